"""The steps of an issue's way up the ladder, driven through the engine as a surface would:
raise, assess, escalate, call a conference and declare. Tests of every surface start here."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from cards.adaptive import render_card, render_form
from commands.core.clock import ManualClock
from commands.core.context import Reply
from commands.core.due import tick
from rules.timeparse import LONDON
from storage.models import OutboxMessage, Sitrep
from storage.unit_of_work import Database
from tests.conftest import Driver, ratings
from tests.fakes.schema import assert_valid_card

FULL_RAISE = (
    'raise Gas hob elbow joints leaking --products "Elbow joint, batch 7" '
    '--hazard "Gas escape, fire" --source business --area "Gas and Electrical"'
)


def ok(reply: Reply) -> Reply:
    assert reply.ok, reply.text
    if reply.card:
        assert_valid_card(render_card(reply.card))
    if reply.form:
        assert_valid_card(render_form(reply.form))
    return reply


def raise_issue(bot: Driver, user: str = "olly") -> str:
    reply = ok(bot.cmd(user, FULL_RAISE))
    return reply.text.split()[1].rstrip(".")


def assess(bot: Driver, ref: str, user: str = "ian", level: str = "high") -> Reply:
    return ok(bot.submit(user, {"form": "assess", "reference": ref, **ratings(level)}))


def nnc(bot: Driver, ref: str, met: bool = True) -> Reply:
    data: dict[str, Any] = {"form": "nnc", "reference": ref}
    for key in ("nationally_significant", "novel", "contentious"):
        data[key] = "true" if met and key == "novel" else "false"
        data[f"{key}_rationale"] = f"{key} considered"
    return ok(bot.submit("ian", data))


def to_stage(bot: Driver, stage: str) -> str:
    ref = raise_issue(bot)
    steps = [
        ("ftl_assessment", "fatima", ""),
        ("cam", "fatima", ""),
        ("ttg", "ian", " ttg"),
        # TTG, chaired by the Deputy Chief Executive, Regulation, activates CAM-EP (2.12-2.13).
        ("cam_ep", "rachel", " cam-ep --lead sara"),
    ]
    for target, user, word in steps:
        assess(bot, ref)
        if target == "ttg":
            nnc(bot, ref)
        ok(bot.cmd(user, f"escalate {ref}{word}"))
        if target == stage:
            break
    return ref


def call_conference(bot: Driver, ref: str, user: str = "hana", scs: str = "sara") -> str:
    assess(bot, ref, level="critical")
    reply = ok(
        bot.submit(
            user,
            {
                "form": "conference",
                "reference": ref,
                # Convened now, so that its outcome can be recorded straight away.
                "date": f"{now_in_london(bot):%Y-%m-%d}",
                "time": f"{now_in_london(bot):%H:%M}",
                "consulted_scs": scs,
                "agenda_background": "Leaks reported by a business",
            },
        )
    )
    return reply.text.split()[2]


def now_in_london(bot: Driver) -> datetime:
    return bot.engine.clock.now().astimezone(LONDON)


def declare(bot: Driver, options: str = "--level tactical --erco yes") -> str:
    """Walk a new issue up the ladder and declare it; returns the issue's reference.

    The issue is rated Critical, so by default DBT ERCO is recorded as engaged on declaring
    (3.17); tests of the ERCO prompt pass options without ``--erco``."""
    ref = to_stage(bot, "cam_ep")
    cc = call_conference(bot, ref)
    ok(
        bot.submit(
            "ian",
            {
                "form": "outcome",
                "conference": cc,
                "outcomes": "declare_incident",
                "rationale": "r",
                "decided_by": "David",
            },
        )
    )
    ok(bot.cmd("hana", f"declare {ref} {options}"))
    return ref


INC = "INC-2026-001"


def publish_sitrep(bot: Driver, db: Database, clock: ManualClock) -> None:
    """One sitrep cycle to its publication (the cycle itself is tested in test_schedule)."""
    ok(bot.cmd("ian", f'sitrep {INC} set --teams "Gas and Electrical"'))
    ok(
        bot.submit(
            "fatima",
            {
                "form": "sitrep_update",
                "reference": INC,
                "team": "Gas and Electrical",
                "situation": "Recall 60% complete",
                "next_steps": "Chase the three largest retailers",
            },
        )
    )
    clock.advance(timedelta(hours=6, minutes=31))  # 16:01: past the cut-off
    tick(db, clock, bot.engine.options)  # (a running bot's own scheduler may get there first)
    with db.read() as s:
        assert s.scalar(select(Sitrep.title).where(Sitrep.number == 1)) is not None
    ok(bot.cmd("ian", f"sitrep {INC} approve 1"))


def posts(db: Database, needle: str) -> list[str]:
    with db.read() as s:
        rows = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.conversation == f"incident:{INC}", OutboxMessage.op == "post")
            .order_by(OutboxMessage.id)
        )
        return [r.payload["text"] for r in rows if needle in r.payload["text"]]
