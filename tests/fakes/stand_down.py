"""Standing an incident down through the engine: IMT's de-escalation plan, both approvals."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Action
from storage.unit_of_work import Database
from tests.conftest import Driver
from tests.fakes.steps import INC, ok


def plan(bot: Driver, user: str = "hana", **extra: str) -> object:
    return bot.submit(
        user,
        {
            "form": "deescalate",
            "reference": INC,
            "to_level": extra.get("to_level", "tactical"),
            "rationale": "No new reports for ten days",
            "scg_consultation": "David Osei (SCG chair) consulted by phone on 25 Nov: agrees",
            "residual": extra.get(
                "residual",
                "Monitor complaints | fatima | 2026-12-18\nChase the importer's recall | ian | "
                "2026-12-11",
            ),
            "criteria": "Recall effectiveness above 80%",
            "handover": "Gas and Electrical team",
            "monitoring_group": extra.get("monitoring_group", "true"),
            "rhythm": "reduced",
        },
    )


def open_actions(db: Database) -> list[str]:
    with db.read() as s:
        return list(
            s.scalars(select(Action.reference).where(Action.status == "open").order_by(Action.id))
        )


def de_escalate(bot: Driver, to: str = "tactical") -> None:
    ok(plan(bot, to_level=to, residual="Monitor complaints | fatima | 2026-12-18"))
    ok(bot.cmd("hana", f"deescalate {INC} approve"))
    ok(bot.cmd("fatima", f"deescalate {INC} approve"))
