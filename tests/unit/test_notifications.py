"""Notifications through the engine: record with a trigger date, the Annex form in steps,
no blank boxes, confidentiality, exclusions, reactions and revocations, exports, the clocks'
reminder and escalation, and the register."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from cards.adaptive import render_card, render_form
from cards.blockkit import blocks_json, card_blocks, form_modal
from commands.core.clock import ManualClock
from commands.core.due import tick
from commands.records import downloads
from storage.models import Firing, Notification, OutboxMessage, Person, RiskAssessment
from storage.unit_of_work import Database
from tests.conftest import Driver, row_counts
from tests.fakes.annex_v import ANNEX_V, PRINTED, SECRET, STEPS, docx_value, read_docx
from tests.fakes.downloads import fetch
from tests.fakes.schema import assert_valid_card as validate_card
from tests.fakes.steps import ok, raise_issue


def record(bot: Driver, ref: str, extra: str = "", user: str = "fatima") -> str:
    reply = ok(bot.cmd(user, f"notify {ref} reg33_4 --trigger 2026-11-23 {extra}"))
    return reply.text.split()[0]


def fill(bot: Driver, ref: str, values: dict[str, Any], user: str = "fatima") -> Any:
    reply = None
    for step, keys in enumerate(STEPS, start=1):
        data = {"form": "annex", "reference": ref, "step": str(step)}
        data |= {k: values[k] for k in keys if k in values}
        reply = ok(bot.submit(user, data))
    return reply


def db_person(db: Database, name: str) -> int:
    with db.read() as s:
        return int(s.scalars(select(Person.id).where(Person.name == name)).one())


def posted(db: Database) -> list[dict[str, Any]]:
    with db.read() as s:
        return [
            {"conversation": m.conversation, **m.payload}
            for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def test_risk_assessment_by_annex_i_names_the_path_and_is_versioned(
    bot: Driver, db: Database
) -> None:
    ref = raise_issue(bot)
    choice = ok(bot.cmd("fatima", f"risk {ref}"))
    assert [a.title for a in choice.card.actions] == ["Annex I", "PRISM"]  # type: ignore[union-attr]
    form = ok(bot.cmd("fatima", f"risk {ref} annex")).form
    assert form is not None and form.id == "risk_annex"
    data = {
        "form": "risk_annex",
        "reference": ref,
        "hazardous": "100",
        "exposure": "possible",
        "severity": "serious",
        "exposed": "adult_inadequate_obvious",
        "necessary": "yes",
        "beyond_uk": "yes",
    }
    reply = ok(bot.submit("fatima", data))
    assert reply.text.startswith(f"Risk assessment v1 for {ref} (GPSR 2005 Annex I): Serious risk")
    assert "Table A: probability High × severity Serious → gravity High" in reply.text
    assert "Reg 33(4)" in reply.text
    ok(bot.submit("fatima", data | {"exposed": "adult_adequate_obvious"}))
    status = ok(bot.cmd("fatima", f"status {ref}"))
    assert ("Product risk", "Moderate risk (v2, GPSR 2005 Annex I)") in status.card.facts  # type: ignore[union-attr]
    with db.read() as s:
        assert [r.version for r in s.scalars(select(RiskAssessment))] == [1, 2]


def test_prism_multiplies_steps_and_refuses_a_bad_line(bot: Driver, db: Database) -> None:
    ref = raise_issue(bot)
    before = row_counts(db)
    bad = bot.submit(
        "fatima",
        {
            "form": "risk_prism",
            "reference": ref,
            "severity_1": "4",
            "steps_1": "1 in 100: cracks\nsometimes: leaks",
            "beyond_uk": "yes",
        },
    )
    assert not bad.ok and "Steps, line 2" in bad.errors["steps_1"]
    assert row_counts(db) == before
    good = ok(
        bot.submit(
            "fatima",
            {
                "form": "risk_prism",
                "reference": ref,
                "severity_1": "4",
                "steps_1": "1 in 100: cracks\n1 in 10: leaks",
                "beyond_uk": "yes",
            },
        )
    )
    assert "1 in 100 × 1 in 10 = 1 in 1,000 (band > 1/10,000) × severity 4 → Serious" in good.text


def test_record_a_notification_with_its_clock_and_source(bot: Driver, db: Database) -> None:
    ref = raise_issue(bot)
    reply = ok(bot.cmd("fatima", f"notify {ref} reg33_4 --trigger 2026-11-23"))
    assert reply.text.startswith(
        f"NOT-2026-0001 recorded: Reg 33(4) RAPEX notification (serious risk) on {ref}, due "
        "Thu 3 Dec 2026 (10 calendar days (GPSR 2005 notification guidance for local authorities, "
        "section 2 'Timetable'), from Mon 23 Nov 2026)."
    )
    card = dict(reply.card.facts)  # type: ignore[union-attr]
    assert card["Due"].startswith(
        "Thu 3 Dec 2026 (in 10 days) · 10 calendar days from Mon 23 Nov 2026"
    )
    refused = bot.cmd("olly", f"notify {ref} reg33_4 --trigger 2026-11-23")
    assert not refused.ok and "Only IMT, the FTL for the area, or an SCS" in refused.text


def test_excluded_products_are_refused_with_the_reason(bot: Driver, db: Database) -> None:
    ref = raise_issue(bot)
    before = row_counts(db)
    for product, law in (("pharmaceutical", "75/319/EC"), ("food", "178/2002")):
        reply = bot.cmd("fatima", f"notify {ref} rapex --trigger 2026-11-23 --product {product}")
        assert not reply.ok and "excluded from RAPEX" in reply.text and law in reply.text
    counts = row_counts(db)
    assert counts["notifications"] == before["notifications"] == 0


def test_chemicals_ask_for_section_5_data_and_toys_use_annex_vi(bot: Driver) -> None:
    ref = raise_issue(bot)
    chem = record(bot, ref, "--product chemical")
    refused = bot.cmd("fatima", f"notify {chem} sent")
    assert "Summary or references of the data on the substance" in refused.text
    toy = ok(
        bot.cmd(
            "fatima",
            f"notify {ref} rapex --trigger 2026-11-23 --product toy --measures compulsory "
            "--ce-marked yes --second-hand no",
        )
    )
    assert "Fill in Annex VI" in toy.text


def test_the_form_in_steps_no_blank_boxes_and_mark_sent(bot: Driver, db: Database) -> None:
    ref = raise_issue(bot)
    nref = record(bot, ref)
    first = ok(bot.cmd("fatima", f"notify {nref} form")).form
    assert first is not None and first.intro.startswith("Step 1 of 5: Product")
    # Every step fits a Slack modal and is a valid Adaptive Card.
    for step in range(1, 6):
        form = ok(bot.cmd("fatima", f"notify {nref} form {step}")).form
        assert form is not None
        assert len(form_modal(form, {"channel": "C1"}).to_dict()["blocks"]) < 100
        validate_card(render_form(form))
    values = {k: v for k, v in ANNEX_V.items() if k not in {"f4", "f14"}}
    fill(bot, nref, values)
    refused = bot.cmd("fatima", f"notify {nref} sent")
    assert not refused.ok
    assert "no blank boxes" in refused.text
    assert "4. Customs code" in refused.text and "14. Name, address" in refused.text
    assert "5. Product name" not in refused.text
    # A gap note (an expected date or a reason) fills a box as far as the rule goes.
    ok(
        bot.submit(
            "fatima",
            {
                "form": "annex",
                "reference": nref,
                "step": "1",
                **{k: ANNEX_V[k] for k in STEPS[0] if k != "f4"},
                "f4_gap": "2026-12-01",
            },
        )
    )
    ok(
        bot.submit(
            "fatima",
            {
                "form": "annex",
                "reference": nref,
                "step": "2",
                **{k: ANNEX_V[k] for k in STEPS[1] if k != "f14"},
                "f14_gap": "Manufacturer has ceased trading",
            },
        )
    )
    sent = ok(bot.cmd("fatima", f"notify {nref} sent"))
    assert f"{nref} marked sent by Fatima Khan on Mon 23 Nov 2026" in sent.text
    with db.read() as s:
        n = s.scalar(select(Notification))
        assert n is not None and n.status == "sent" and n.next_run_at is None


def test_confidential_yes_needs_a_justification(bot: Driver, db: Database) -> None:
    ref = raise_issue(bot)
    nref = record(bot, ref)
    reply = bot.submit("fatima", {"form": "annex", "reference": nref, "step": "4", "f25": "yes"})
    assert not reply.ok
    assert "f26" in reply.errors and "justification" in reply.errors["f26"]


def test_box_27_is_never_shared(bot: Driver, db: Database) -> None:
    ref = raise_issue(bot)
    nref = record(bot, ref)
    fill(bot, nref, ANNEX_V | {"f27": SECRET})
    ok(bot.cmd("fatima", f"risk {nref}"))
    ok(bot.cmd("fatima", f"notify {nref} sent"))
    ok(bot.cmd("hana", f"notify {nref}  show"))
    # Nothing queued for any channel holds it, nor any card (Adaptive or Block Kit).
    for post in posted(db):
        assert SECRET not in json.dumps(post)
    shown = ok(bot.cmd("olly", f"notify {nref} show"))
    assert SECRET not in json.dumps(render_card(shown.card))  # type: ignore[arg-type]
    assert SECRET not in json.dumps(blocks_json(card_blocks(shown.card)))  # type: ignore[arg-type]
    # Someone else does not get it in the form either; the owner does.
    other = bot.cmd("hana", f"notify {nref} form 4")  # IMT: the national contact point
    assert other.form is not None and other.form.field("f27").value == SECRET
    olly = bot.cmd("olly", f"notify {nref} form 4")
    assert not olly.ok and "owner or IMT" in olly.text
    with db.read() as s:
        audit = s.execute(select(OutboxMessage.payload)).all()
    assert all(SECRET not in json.dumps(p) for (p,) in audit)


def test_reactions_answer_a_notification_and_revocations_change_a_measure(
    bot: Driver, db: Database
) -> None:
    ref = raise_issue(bot)
    nref = record(bot, ref)
    missing = bot.cmd("fatima", f"notify {ref} reaction_serious --trigger 2026-11-23")
    assert not missing.ok and "Answers" in missing.text
    reaction = ok(
        bot.cmd(
            "fatima",
            f'notify {ref} reaction_serious --trigger 2026-11-23 --answers "A12/0034/06 Germany"',
        )
    )
    assert "due Thu 7 Jan 2027" in reaction.text and "Annex III" in reaction.text
    form = ok(bot.cmd("fatima", f"notify {reaction.text.split()[0]} form")).form
    assert form is not None and form.field("f3").value == "A12/0034/06 Germany"
    revoke = bot.cmd("fatima", f"notify {ref} revocation --trigger 2026-11-24")
    assert not revoke.ok and "Changes" in revoke.text
    revoked = ok(
        bot.cmd("fatima", f"notify {ref} revocation --trigger 2026-11-24 --changes {nref}")
    )
    facts = dict(revoked.card.facts)  # type: ignore[union-attr]
    assert (
        facts["Changes the measure of"] == f"{nref} (Reg 33(4) RAPEX notification (serious risk))"
    )
    answered = ok(
        bot.cmd("fatima", f"notify {ref} reaction_home --trigger 2026-11-24 --answers {nref}")
    )
    reaction_ref = answered.text.split()[0]
    facts = dict(ok(bot.cmd("fatima", f"notify {nref} show")).card.facts)  # type: ignore[union-attr]
    assert facts["Reactions"] == reaction_ref
    assert facts["Measure changed by"] == revoked.text.split()[0]
    assert "due Sun 29 Nov 2026" in revoked.text


def test_reminder_then_overdue_escalation_once_each(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    ref = raise_issue(bot)
    nref = record(bot, ref)  # due 3 Dec; reminder 1 Dec 09:00; overdue 4 Dec 00:00
    engine = bot.engine
    clock.advance(clock.now().replace(day=30, hour=23) - clock.now())
    assert tick(engine.db, clock, engine.options).posted == 0
    clock.advance(clock.now().replace(month=12, day=1, hour=9, minute=0) - clock.now())
    assert tick(engine.db, clock, engine.options).posted == 1
    assert tick(engine.db, clock, engine.options).posted == 0  # never twice
    reminders = [p for p in posted(db) if p["text"].startswith("Reminder:")]
    text = (
        f"Reminder: {nref} (Reg 33(4) RAPEX notification (serious risk) on {ref}) is due "
        "Thu 3 Dec 2026, in 2 days. Owner: Fatima Khan."
    )
    # Where it is followed, and to its owner directly (queued by person, once each).
    fatima = db_person(db, "fatima")
    assert [(p["conversation"], p["text"]) for p in reminders] == [
        ("channel:general", text),
        (f"person:{fatima}", text),
    ]
    clock.advance(timedelta(days=2, hours=15))  # 4 Dec 00:00 GMT
    assert tick(engine.db, clock, engine.options).posted == 1
    overdue = [p for p in posted(db) if p["text"].startswith("OVERDUE")]
    assert {p["conversation"] for p in overdue} == {"imt", "channel:general", f"person:{fatima}"}
    assert "Escalated to the FTL (Fatima Khan) and IMT" in overdue[0]["text"]
    register = ok(bot.cmd("ian", "notifications"))
    assert register.card.facts[0][0] == f"{nref} · OVERDUE by 1 day"  # type: ignore[union-attr]
    with db.read() as s:
        assert [f.step for f in s.scalars(select(Firing).order_by(Firing.id))] == [
            "reminder",
            "overdue",
        ]


def test_register_lists_overdue_first_then_by_due_date(bot: Driver, clock: ManualClock) -> None:
    ref = raise_issue(bot)
    late = ok(bot.cmd("fatima", f"notify {ref} emergency --trigger 2026-11-18")).text.split()[0]
    soon = ok(bot.cmd("fatima", f"notify {ref} revocation --trigger 2026-11-23 --changes {late}"))
    later = record(bot, ref)
    facts = ok(bot.cmd("ian", "notifications")).card.facts  # type: ignore[union-attr]
    assert [f[0].split(" · ")[0] for f in facts] == [late, soon.text.split()[0], later]
    assert facts[0][0].endswith("OVERDUE by 2 days")
    home = bot.engine.home("local", "fatima", "fatima")
    assert home[-1].title == "Notifications" and home[-1].facts == facts


def test_exports_read_back_the_annex_v_example_box_for_box(bot: Driver, clock: ManualClock) -> None:
    ref = raise_issue(bot)
    nref = record(bot, ref)
    fill(bot, nref, ANNEX_V | {"f27": SECRET})
    ok(bot.cmd("fatima", f"notify {nref} sent"))
    link = ok(bot.cmd("fatima", f"notify {nref} export docx")).card.links[0][1]  # type: ignore[union-attr]
    docx = fetch(bot.engine.db, link, clock.now())
    assert docx.filename == f"{nref}-annex-II.docx"
    boxes = read_docx(docx.content)
    for key, value in PRINTED.items():
        assert docx_value(boxes, key) == value, key
    assert docx_value(boxes, "f1") == "United Kingdom"
    assert docx_value(boxes, "f2") == "Mon 23 Nov 2026"
    assert docx_value(boxes, "f27") == SECRET  # the form goes to the national contact point
    pdf_link = ok(bot.cmd("fatima", f"notify {nref} export pdf")).card.links[0][1]  # type: ignore[union-attr]
    pdf = fetch(bot.engine.db, pdf_link, clock.now())
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    for label in ("ANNEX II", "5. Product name", "Rotary Hammer Drill 1050W", "30. Details"):
        assert label in text
    assert "[X] Regulation 33(4) RAPEX notification" in text
    token = link.split("/exports/")[1]
    for spent_or_forged in (token, token[:-2] + "xx", "nonsense"):
        with pytest.raises(downloads.Refused, match=r"already used|not valid"):
            fetch(bot.engine.db, f"/exports/{spent_or_forged}", clock.now())
    late = ok(bot.cmd("fatima", f"notify {nref} export docx")).card.links[0][1]  # type: ignore[union-attr]
    clock.advance(downloads.VALID)
    with pytest.raises(downloads.Refused, match="expired"):
        fetch(bot.engine.db, late, clock.now())
    assert not bot.cmd("olly", f"notify {nref} export docx").ok


def test_annex_iv_sends_sections_1_to_5_then_section_6_on_its_timetable(bot: Driver) -> None:
    ref = raise_issue(bot)
    nref = ok(
        bot.cmd("fatima", f"notify {ref} reg9 --trigger 2026-11-23 --section6 serious")
    ).text.split()[0]
    first = ok(bot.cmd("fatima", f"notify {nref} form")).form
    assert first is not None and first.intro.startswith("Step 1 of 2: Sections 1-2")
    for step, keys in (
        (1, ("s1_authority", "s1_companies", "s2_producer", "s2_contact")),
        (2, ("s3_product", "s3_description", "s4_hazard", "s4_accidents", "s5_actions")),
    ):
        ok(
            bot.submit(
                "fatima",
                {
                    "form": "annex",
                    "reference": nref,
                    "step": str(step),
                    **{k: f"value of {k}" for k in keys},
                },
            )
        )
    no_timetable = bot.cmd("fatima", f"notify {nref} sent")
    assert not no_timetable.ok and "Section 6 timetable" in no_timetable.text
    sent = ok(bot.cmd("fatima", f"notify {nref} sent --section6-due 2026-12-10"))
    assert "Section 6 to follow by Thu 10 Dec 2026" in sent.text
    blank = bot.cmd("fatima", f"notify {nref} section6")
    assert not blank.ok and "List of manufacturers/importers" in blank.text
    six = ok(bot.cmd("fatima", f"notify {nref} form 3")).form
    assert six is not None and six.intro.startswith("Step 3 of 3: Section 6")
    ok(
        bot.submit(
            "fatima",
            {
                "form": "annex",
                "reference": nref,
                "step": "3",
                "s6_manufacturers": "Jiangsu Golden Harbour (CN)",
                "s6_distributors": "B&Q plc (UK, IE)",
                "s6_numbers_gap": "2026-12-08",
            },
        )
    )
    done = ok(bot.cmd("fatima", f"notify {nref} section6"))
    assert done.text.startswith(f"Section 6 of {nref} marked sent")


def test_every_annex_step_renders_on_both_surfaces_within_slack_limits() -> None:
    from cards.annex_forms import ANNEXES, form_step, steps_for

    for annex in ANNEXES.values():
        steps = steps_for(annex, chemical=True, section6=True)
        assert steps == list(range(1, len(annex.steps) + 1))
        for step in steps:
            form = form_step(
                annex,
                step,
                {},
                reference="NOT-2026-0001",
                subtitle="",
                show_confidential=True,
                steps=steps,
            )
            validate_card(render_form(form))
            assert len(form_modal(form, {"channel": "C1"}).to_dict()["blocks"]) < 100
        numbered = [b.number for b in annex.boxes if b.number[0].isdigit()]
        assert numbered == sorted(numbered, key=int)  # laid out in the annex's order


def test_a_batch_of_due_clocks_costs_the_same_statements_whatever_its_size(
    bot: Driver, clock: ManualClock
) -> None:
    from sqlalchemy import event

    ref = raise_issue(bot)
    engine = bot.engine

    def statements_for(count: int) -> int:
        for _ in range(count):
            trigger = (clock.now() - timedelta(days=10)).date().isoformat()
            ok(bot.cmd("fatima", f"notify {ref} emergency --trigger {trigger}"))
        seen: list[str] = []

        def count_it(*args: Any) -> None:
            seen.append(args[2])

        event.listen(engine.db.engine, "before_cursor_execute", count_it)
        try:
            result = tick(engine.db, clock, engine.options)
        finally:
            event.remove(engine.db.engine, "before_cursor_execute", count_it)
        # Each: its reminder superseded (recorded as missed) and its escalation posted.
        assert (result.missed, result.posted) == (count, count)
        return len(seen)

    statements_for(1)  # the first tick also makes the bot's own person
    one = statements_for(1)  # triggered ten days ago: every one of them overdue
    many = statements_for(40)
    assert many == one


def test_clocks_fire_once_on_both_databases(any_db: Database, clock: ManualClock) -> None:
    from tests.conftest import seeded_engine

    bot = Driver(seeded_engine(any_db, clock))
    ref = raise_issue(bot)
    record(bot, ref)
    clock.advance(timedelta(days=8))  # Tue 1 Dec 09:30: the reminder, half an hour late
    first = tick(any_db, clock, bot.engine.options)
    again = tick(any_db, clock, bot.engine.options)
    assert (first.posted, first.late, again.posted) == (1, 1, 0)
    with any_db.read() as s:
        firings = s.scalars(select(Firing)).all()
        n = s.scalar(select(Notification))
    assert [(f.step, f.incident_id) for f in firings] == [("reminder", None)]
    assert n is not None and n.next_run_at == n.overdue_at


def test_a_notification_about_an_incident_is_as_private_as_the_incident(bot: Driver) -> None:
    from tests.fakes.steps import declare

    declare(bot)
    nref = record(bot, "INC-2026-001", user="hana")
    issue_ref = raise_issue(bot)
    public = record(bot, issue_ref)
    refused = bot.cmd("olly", f"notify {nref} show")
    assert not refused.ok and "may see INC-2026-001" in refused.text
    assert not bot.cmd("olly", f"risk {nref}").ok
    listed = [k.split(" · ")[0] for k, _ in ok(bot.cmd("olly", "notifications")).card.facts]  # type: ignore[union-attr]
    assert listed == [public]
    imt = [k.split(" · ")[0] for k, _ in ok(bot.cmd("ian", "notifications")).card.facts]  # type: ignore[union-attr]
    assert sorted(imt) == sorted([nref, public])


def test_risk_on_an_incident_or_a_notification_shows_on_its_card(bot: Driver) -> None:
    from tests.fakes.steps import declare

    declare(bot)
    nref = record(bot, "INC-2026-001", user="hana")
    prism = {
        "form": "risk_prism",
        "severity_1": "2",
        "steps_1": "1 in 2000: handle slips",
        "beyond_uk": "yes",
    }
    ok(bot.submit("hana", prism | {"reference": "INC-2026-001"}))
    ok(bot.submit("hana", prism | {"reference": nref, "severity_1": "4"}))
    incident = ok(bot.cmd("hana", "status INC-2026-001")).card
    assert ("Product risk", "Medium (v1, PRISM (EU 2019/417))") in incident.facts  # type: ignore[union-attr]
    card = ok(bot.cmd("hana", f"notify {nref} show")).card
    assert ("Product risk", "Serious (v1, PRISM (EU 2019/417))") in card.facts  # type: ignore[union-attr]


def test_record_fill_send_and_export_on_both_databases(
    any_db: Database, clock: ManualClock
) -> None:
    from tests.conftest import seeded_engine

    bot = Driver(seeded_engine(any_db, clock))
    ref = raise_issue(bot)
    nref = record(bot, ref)
    fill(bot, nref, ANNEX_V | {"f27": SECRET})
    ok(bot.cmd("fatima", f"notify {nref} sent"))
    link = ok(bot.cmd("fatima", f"notify {nref} export docx")).card.links[0][1]  # type: ignore[union-attr]
    boxes = read_docx(fetch(any_db, link, clock.now()).content)
    assert {k: docx_value(boxes, k) for k in PRINTED} == PRINTED


def test_the_notify_form_fits_slack_and_adaptive_cards(bot: Driver) -> None:
    ref = raise_issue(bot)
    form = ok(bot.cmd("fatima", f"notify {ref}")).form
    assert form is not None and form.id == "notify"
    validate_card(render_form(form))
    kinds = form.field("kind").choices
    assert all(len(c.title) <= 75 for c in kinds)  # Slack's option labels, never clipped
    assert "Reg 33(4) RAPEX (serious risk) · 10 days" in [c.title for c in kinds]
    form_modal(form, {"channel": "C1"}).to_dict()  # slack_sdk checks Slack's limits


def test_hostile_values_in_notification_forms_are_answered_and_store_nothing(
    bot: Driver,
) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from commands.core.engine import FAILED
    from tests.fakes.hostile import VALUES

    ref = raise_issue(bot)
    nref = record(bot, ref)
    fields = (
        "kind",
        "trigger",
        "product_type",
        "measures",
        "owner",
        "answers",
        "changes",
        "f3",
        "f25",
        "f26",
        "f27",
        "f4_gap",
        "hazardous",
        "severity",
        "exposed",
        "severity_1",
        "steps_1",
        "steps_2",
        "severity_2",
    )

    @settings(
        max_examples=120,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        form=st.sampled_from(["notify", "annex", "risk_annex", "risk_prism"]),
        reference=st.sampled_from([ref, nref, "NOT-2026-9999", "x"]),
        step=st.sampled_from(["1", "4", "9", "²", "-1", "", "1e3"]),
        values=st.dictionaries(st.sampled_from(fields), VALUES, max_size=6),
        user=st.sampled_from(["fatima", "olly"]),
    )
    def check(form: str, reference: str, step: str, values: dict[str, Any], user: str) -> None:
        before = row_counts(bot.engine.db)
        data = {**values, "form": form, "reference": reference, "step": step}
        reply = bot.submit(user, data)
        assert reply.text and reply.text != FAILED, data
        if not reply.ok:
            changed = {k for k, v in row_counts(bot.engine.db).items() if v != before[k]}
            assert changed <= {"audit_events"}, (data, changed)

    check()


def test_the_register_costs_the_same_with_3_or_30_notifications(bot: Driver) -> None:
    from sqlalchemy import event

    from tests.fakes.steps import declare

    declare(bot)
    issue = raise_issue(bot)

    def statements() -> int:
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        ok(bot.cmd("ian", "notifications"))  # warm the caches
        event.listen(bot.engine.db.engine, "before_cursor_execute", listener)
        try:
            ok(bot.cmd("ian", "notifications"))
            bot.engine.home("local", "ian", "ian")
        finally:
            event.remove(bot.engine.db.engine, "before_cursor_execute", listener)
        return len(seen)

    for subject in (issue, "INC-2026-001", issue):
        record(bot, subject, user="hana")
    few = statements()
    for n in range(27):
        record(bot, "INC-2026-001" if n % 2 else issue, user="hana")
    assert statements() == few
