"""The verbs of an incident: declaring it, commanding it and standing it down."""

from __future__ import annotations

from commands.core.registry import Line, Sub, Verb
from commands.incident import (
    deescalation,
    engagement,
    erco,
    groups,
    incidents,
    lessons,
    level,
    membership,
    reescalation,
    review,
    strategy,
)

COMMAND = "Command and control"
STANDING_DOWN = "Standing an incident down"

VERBS: tuple[Verb, ...] = (
    Verb(
        "declare",
        form=incidents.DECLARE,
        lines=(
            Line(
                "Issues up the ladder",
                "declare <ISS> [--exercise]",
                "declare the incident: record, channel, command team",
            ),
        ),
    ),
    Verb(
        "group",
        run=groups.group_verb,
        subs=(Sub("open", form=groups.GROUP, aliases=("set",)),),
        words=("close",),
        lines=(
            Line(
                COMMAND,
                "group <INC> [open <kind> --chair .. --members .. --exit-strategy .. | close <#>]",
                "groups mobilised (3.3-3.16), chairs (3.4, 3.9), the other groups' exit "
                "strategy (3.16); closing ends their meetings",
            ),
        ),
    ),
    Verb(
        "members",
        run=membership.members_verb,
        subs=(Sub("add", run=membership.add), Sub("remove", run=membership.remove)),
        lines=(
            Line(
                COMMAND,
                "members <INC> [add | remove <user,..>]",
                "who is in the incident and its conversation; join or leave them",
                who="IMT or a deputy director, to add or remove",
            ),
        ),
    ),
    Verb(
        "strategy",
        form=strategy.STRATEGY,
        lines=(
            Line(
                COMMAND,
                "strategy <INC>",
                "the SCG strategy (3.6-3.7) and the equality duty (1.7-1.8)",
            ),
        ),
    ),
    Verb(
        "erco",
        form=erco.ERCO,
        subs=(Sub("could-develop", form=erco.COULD_DEVELOP),),
        lines=(
            Line(
                COMMAND,
                "erco <INC> [could-develop --rationale ..]",
                "record DBT ERCO's engagement and any ERT, or that the incident could develop "
                "to be High or Critical (3.17)",
            ),
        ),
    ),
    Verb(
        "level",
        form=level.LEVEL,
        subs=(Sub("approve", run=level.approve), Sub("withdraw", run=level.withdraw)),
        words=("low", "medium", "high", "critical"),
        lines=(
            Line(
                COMMAND,
                "level <INC> low|medium|high|critical --rationale .. [--scg ..] | approve | "
                "withdraw",
                "raise the response level (the IMT lead's flag, 3.25), or lower it: IMT and the "
                "TCG chair each approve, the SCG consulted (3.26)",
                who="the Head of IMT or the incident's IMT lead; to lower, also the TCG chair",
            ),
        ),
    ),
    Verb(
        "engage",
        form=engagement.ENGAGE,
        subs=(Sub("plan", form=engagement.ENGAGEMENT_PLAN),),
        lines=(
            Line(
                COMMAND,
                "engage <INC> [--partner .. --what .. --via ..] | engage <INC> plan",
                "log who was told what (4.1-4.7); the stakeholder engagement plan (4.1, 4.5)",
            ),
        ),
    ),
    Verb(
        "deescalate",
        form=deescalation.DEESCALATE,
        subs=(
            Sub("approve", run=deescalation.approve),
            Sub("withdraw", run=deescalation.withdraw),
        ),
        lines=(
            Line(
                STANDING_DOWN,
                "deescalate <INC> [approve | withdraw]",
                "the Incident De-escalation Plan (3.26-3.27); IMT and the TCG chair each approve",
            ),
        ),
    ),
    Verb(
        "reescalate",
        form=reescalation.REESCALATE,
        lines=(
            Line(
                STANDING_DOWN,
                "reescalate <INC> --reason ..",
                "back through section 2: assessment, case conference",
            ),
        ),
    ),
    Verb(
        "lesson",
        form=lessons.LESSON,
        lines=(
            Line(
                STANDING_DOWN,
                "lesson <INC> <what was learned> [--aspect ..]",
                "capture a lesson for the review",
            ),
        ),
    ),
    Verb(
        "review",
        run=review.review_verb,
        subs=(Sub("open", form=review.REVIEW), Sub("recommend", form=review.RECOMMEND)),
        words=("signoff",),
        lines=(
            Line(
                STANDING_DOWN,
                "review <INC> [open | recommend | signoff]",
                "the post-incident review (5.1-5.2), its recommendations and sign-off",
            ),
        ),
    ),
)
