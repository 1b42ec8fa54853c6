"""The verbs of product-safety notifications: risk, the notification, its register."""

from __future__ import annotations

from commands.core.registry import Line, Sub, Verb
from commands.notification import annex, record, risk, sending

NOTIFICATIONS = "Product-safety notifications"

VERBS: tuple[Verb, ...] = (
    Verb(
        "risk",
        run=risk.choose,
        subs=(Sub("annex", form=risk.RISK_ANNEX), Sub("prism", form=risk.RISK_PRISM)),
        lines=(
            Line(
                NOTIFICATIONS,
                "risk <ISS, INC or NOT> [annex | prism]",
                "product risk assessment: GPSR 2005 Annex I tables or PRISM (EU 2019/417), "
                "versioned",
            ),
        ),
    ),
    Verb(
        "notify",
        form=record.NOTIFY,
        subs=(
            Sub("form", form=annex.ANNEX),
            Sub("show", run=sending.show),
            Sub("sent", run=sending.mark_sent),
            Sub("export", run=sending.export),
            Sub("section6", run=sending.section6_sent),
            Sub("home-authority", run=sending.home_authority),
        ),
        lines=(
            Line(
                NOTIFICATIONS,
                "notify <ISS or INC> <kind> --trigger YYYY-MM-DD [--product .. --owner .. "
                "--answers .. --changes ..]",
                "record a notification owed on a statutory clock (reg33_4, reg33_4_emergency, "
                "other_actions, reg33_2, reg9, reaction_emergency, reaction_serious, "
                "reaction_home, revocation)",
            ),
            Line(
                NOTIFICATIONS,
                "notify <NOT> [form [step] | sent | export docx|pdf | section6 | show "
                "| home-authority ..]",
                "fill in its Annex form in steps, mark it sent (no blank boxes), export it; the "
                "home authority told (guidance sections 1 and 4)",
            ),
        ),
    ),
    Verb(
        "notifications",
        run=sending.register,
        words=("all",),
        lines=(
            Line(
                NOTIFICATIONS,
                "notifications [all]",
                "the register: open notifications by due date, overdue first",
            ),
        ),
    ),
)
