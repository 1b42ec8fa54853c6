"""The verbs of issues: raising, assessing and moving one up or off the ladder."""

from __future__ import annotations

from commands.conference import status as any_status
from commands.core.registry import Line, Sub, Verb
from commands.incident import closure
from commands.issue import assessment, direct_escalation, issues, ladder

LADDER = "Issues up the ladder"

VERBS: tuple[Verb, ...] = (
    Verb(
        "raise",
        form=issues.RAISE,
        lines=(
            Line(
                LADDER,
                "raise <title> [--products .. --hazard .. --source .. --area ..]",
                "report a potential issue to IMT (2.1-2.2); opens the form for what is missing",
            ),
        ),
    ),
    Verb(
        "assess",
        form=assessment.ASSESS,
        lines=(
            Line(
                LADDER,
                "assess <ISS> [safety=high media=medium ...]",
                "impact matrix (Table 1), versioned",
            ),
        ),
    ),
    Verb(
        "nnc",
        form=assessment.NNC,
        lines=(
            Line(
                LADDER,
                "nnc <ISS> [novel=yes ...]",
                "nationally significant / novel / contentious (2.10)",
            ),
        ),
    ),
    Verb(
        "escalate",
        run=ladder.escalate,
        subs=(Sub("incident", form=direct_escalation.DIRECT_ESCALATION),),
        words=("ftl", "cam", "ttg", "cam-ep"),
        lines=(
            Line(
                LADDER,
                "escalate <ISS> [ftl|cam|ttg|cam-ep] [--justification .. --lead <SCS>]",
                "move up the ladder; needs an assessment at the current rung; CAM-EP is "
                "activated by TTG's chair, naming its lead SCS (2.12-2.13)",
            ),
            Line(
                "Command and control",
                "escalate <ISS> incident --consulted <DD> --rationale ..",
                "straight to an incident from any rung (2.3)",
                who="the Head of IMT",
            ),
        ),
    ),
    Verb(
        "close",
        run=ladder.close,
        # An incident's closure (3.28) is a form; an issue's is a word and a reason.
        route=closure.close_route,
        routed=(closure.CLOSE,),
        words=("nfa", "la", "monitoring"),
        lines=(
            Line(
                LADDER,
                "close <ISS> nfa|la|monitoring --reason .. [--feedback ..]",
                "no further action, LA-led, or monitor; at TTG or CAM-EP that body decides, "
                "the feedback to the originator recorded (2.13, 2.19)",
            ),
            Line(
                "Standing an incident down",
                "close <INC> [--reason .. --review 'YYYY-MM-DD HH:MM' --handover 'ACT-..: ..']",
                "close the incident once returned to normal operations (3.26, 3.28): stops "
                "rhythm and sitreps, archives the channel",
                who="the IMT lead or the Head of IMT",
            ),
        ),
    ),
    Verb(
        "reopen",
        run=ladder.reopen,
        lines=(
            Line(
                LADDER,
                "reopen <ISS> --reason ..",
                "re-open a closed, LA-led or monitored issue",
            ),
        ),
    ),
    Verb(
        "status",
        run=any_status.status,
        lines=(Line("Finding things", "status <ISS, INC or CC>", "the summary card"),),
    ),
)
