"""Options keep their values: only an option's name is normalised (``--Lead-Department`` is
``lead_department``), never what follows it. Every option any verb names in its refusal is
read the same in both spellings, ``--name=value`` and ``--name value``; and through the
engine, values with capitals, hyphens and colons reach the database as typed.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from commands.conference import conferences as conference
from commands.core.args import FLAGS, parse
from commands.decision import decisions
from commands.incident import engagement, groups, incidents, strategy
from commands.issue import issues
from commands.overview import listing
from storage.models import Action, Decision, Engagement, Incident, Issue, Lesson
from tests.conftest import Driver
from tests.fakes.steps import declare, ok, raise_issue

ROOT = Path(__file__).resolve().parents[2]
INC = "INC-2026-001"


def advertised_options() -> set[str]:
    """Every ``--option`` a verb names when it refuses an unknown one (what it accepts)."""
    names: set[str] = set()
    for path in (ROOT / "commands").rglob("*.py"):
        for match in re.finditer(r"does not take --.*?\n(?:.*\n){0,3}", path.read_text()):
            names |= set(re.findall(r"--([a-z][a-z0-9-]*)", match.group(0).split(";", 1)[-1]))
    # Verbs that build their list from a table, and options read one by one.
    tables: list[Any] = [
        issues.OPTION_FIELDS,
        incidents.OPTION_FIELDS,
        decisions.DECIDE_OPTIONS,
        conference.AGENDA_OPTIONS,
        groups.GROUP_OPTIONS,
        engagement.ENGAGE_OPTIONS,
        listing.OPTIONS,
        [k for k, _, _ in strategy.HEADINGS] + [strategy.EQUALITY, strategy.DEADLINES],
        ["section6", "section6_due", "note", "reason", "cutoff", "teams", "days", "text"],
    ]
    names |= {str(k).replace("_", "-") for table in tables for k in table}
    return names


def test_the_advertised_options_are_found() -> None:
    names = advertised_options()
    for expected in ("products", "lead-department", "imt-lead", "supersedes", "trigger"):
        assert expected in names, sorted(names)


def quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


VALUES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40
).filter(lambda v: v.strip() == v and not v.startswith("--"))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(value=VALUES | st.sampled_from(["Elbow-Joint EJ-15, batch 7", "2026-03-01T10:00"]))
def test_every_option_keeps_its_value_in_both_spellings(value: str) -> None:
    for name in sorted(advertised_options()):
        key = name.replace("-", "_")
        if key in FLAGS:  # --exercise takes no value
            assert parse(f"verb --{name} {quoted(value)}").flags == {key}
            continue
        for spelling in (f"--{name}={quoted(value)}", f"--{name} {quoted(value)}"):
            got = parse(f"verb REF {spelling}").options
            assert got == {key: value}, (spelling, got)
        upper = parse(f"verb --{name.upper()}={quoted(value)}").options
        assert upper == {key: value}


# Through the engine: what the database holds ---------------------------------------------

SPELLINGS = pytest.mark.parametrize("eq", [True, False], ids=["name=value", "name value"])


def opts(eq: bool, **values: str) -> str:
    sep = "=" if eq else " "
    return " ".join(f"--{k.replace('_', '-')}{sep}{quoted(v)}" for k, v in values.items())


def one(bot: Driver, model: Any) -> Any:
    with bot.engine.db.read() as s:
        rows = s.scalars(select(model).order_by(model.id.desc())).all()
        assert rows, model
        s.expunge_all()
        return rows[0]


@SPELLINGS
def test_raise_stores_every_option_as_typed(bot: Driver, eq: bool) -> None:
    typed = {
        "products": "Elbow-Joint EJ-15, batch 7",
        "hazard": "Gas-Escape: CO at 10:00",
        "source": "Business",
        "area": "Gas and Electrical",
        "description": "Seen-By LA Trading-Standards",
        "link": "https://Example.org/Report-EJ-15",
    }
    ok(bot.cmd("olly", f'raise "Gas hob leak" {opts(eq, **typed)}'))
    issue = one(bot, Issue)
    assert (issue.title, issue.products, issue.hazard) == (
        "Gas hob leak",
        typed["products"],
        typed["hazard"],
    )
    assert (issue.source, issue.functional_area) == ("business", "Gas and Electrical")
    assert issue.description.startswith(typed["description"])
    assert typed["link"] in issue.description or typed["link"] in str(vars(issue))


@SPELLINGS
def test_action_and_decide_store_every_option_as_typed(bot: Driver, eq: bool) -> None:
    ref = raise_issue(bot)
    action = opts(eq, owner="olly", due="2026-12-03", standard="BS-EN 1234: Signed-Off")
    ok(bot.cmd("fatima", f"action {ref} Collect-Samples EJ-15 {action}"))
    row = one(bot, Action)
    assert (row.what, row.standard) == ("Collect-Samples EJ-15", "BS-EN 1234: Signed-Off")
    assert row.due_at.date().isoformat() == "2026-12-03"

    typed = {
        "what": "Recall EJ-15 Batch-7",
        "rationale": "CO-Risk: High",
        "options": "Recall; Warn-Only",
        "by": "The LA Trading-Standards",
        "meeting": "Bird-Table 10:00",
        "when": "2026-03-01T10:00",
        "evidence": "Lab-Report EJ-15",
    }
    ok(bot.cmd("fatima", f"decide {ref} {opts(eq, **typed)} --group imt"))
    decision = one(bot, Decision)
    assert decision.what == typed["what"]
    assert decision.rationale == typed["rationale"]
    assert decision.options_considered == typed["options"]
    assert decision.decided_by == typed["by"]
    assert decision.meeting == typed["meeting"]
    assert decision.evidence == typed["evidence"]
    assert decision.decided_at.replace(tzinfo=None) == datetime(2026, 3, 1, 10, 0)


@SPELLINGS
def test_incident_options_store_as_typed(bot: Driver, eq: bool) -> None:
    declare(
        bot, opts(eq, title="Gas-Hob EJ-15 Leaks", level="tactical", erco="yes", tcg_chair="fatima")
    )
    incident = one(bot, Incident)
    assert incident.title == "Gas-Hob EJ-15 Leaks"
    typed = {"by": "Fatima Okafor-Smith", "when": "2026-01-05 09:00", "notes": "ERT-Stood Up"}
    ok(bot.cmd("hana", f"erco {INC} {opts(eq, **typed)}"))
    incident = one(bot, Incident)
    assert incident.erco_engaged_by == typed["by"]
    engage = {"partner": "HSE", "what": "Recall-Notice EJ-15", "via": "email"}
    ok(bot.cmd("ian", f"engage {INC} {opts(eq, **engage, by='Ian Tan-Lee')}"))
    told = one(bot, Engagement)
    assert (told.partner, told.what, told.told_by) == ("HSE", "Recall-Notice EJ-15", "Ian Tan-Lee")
    ok(
        bot.cmd(
            "ian", f"lesson {INC} The LA-Contact list was old {opts(eq, aspect='notification')}"
        )
    )
    assert one(bot, Lesson).aspect == "notification"
    lower = opts(eq, rationale="Recall 90%-Complete: Wales", scg="SCG-Chair: Agreed 10:00")
    ok(bot.cmd("hana", f"level {INC} medium {lower}"))
    ok(bot.cmd("fatima", f"level {INC} approve"))
    with bot.engine.db.read() as s:
        rationales = list(s.scalars(select(Decision.rationale)))
    assert "Recall 90%-Complete: Wales. SCG consultation: SCG-Chair: Agreed 10:00" in rationales
