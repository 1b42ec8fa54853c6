"""The command reference shown by ``/opss help`` (and mirrored in the README)."""

from __future__ import annotations

from cards import text as t
from cards.model import Card
from commands.core.args import Args
from commands.core.context import Ctx, Reply

# (group, ((usage, what it does), ...)), in the order a newcomer meets them.
GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Issues up the ladder",
        (
            (
                "raise <title> [--products .. --hazard .. --source .. --area ..]",
                "report a potential issue to IMT (2.1-2.2); opens the form for what is missing",
            ),
            ("assess <ISS> [safety=high media=medium ...]", "impact matrix (Table 1), versioned"),
            ("nnc <ISS> [novel=yes ...]", "nationally significant / novel / contentious (2.10)"),
            (
                "escalate <ISS> [ftl|cam|ttg|cam-ep] [--justification ..]",
                "move up the ladder; needs an assessment at the current rung",
            ),
            (
                "conference <ISS> [--when 'YYYY-MM-DD HH:MM' --scs <user>]",
                "call a case conference (2.14-2.18)",
            ),
            ("outcome <CC or ISS>", "record a case conference outcome as decisions (2.19)"),
            ("declare <ISS> [--exercise]", "declare the incident: record, channel, command team"),
            ("close <ISS> nfa|la|monitoring --reason ..", "no further action, LA-led, or monitor"),
            ("reopen <ISS> --reason ..", "re-open a closed, LA-led or monitored issue"),
        ),
    ),
    (
        "Running an incident",
        (
            ("decide <INC or ISS>", "add to the decision log; --supersedes corrects an entry"),
            (
                "action <INC or ISS> <what> --owner <user> --due YYYY-MM-DD [--standard ..]",
                "assign a task with an owner, timescale and quality standard (3.10)",
            ),
            (
                "started <ACT> | blocked <ACT> [--reason ..] | done <ACT> [--note ..]",
                "an action's progress (also its card's buttons); it is reminded and, once "
                "overdue, escalated",
            ),
            (
                "rhythm <INC> [add | remove <#> | replace standard|escalated|reduced]",
                "the battle rhythm (3.21-3.22): meetings the bot reminds the channel of",
            ),
            (
                "sitrep <INC> update | list | show <n> | approve <n> | amend <n> | set --teams ..",
                "situation reports (3.23): team updates, the collated sitrep, IMT's approval",
            ),
        ),
    ),
    (
        "Command and control",
        (
            (
                "group <INC> [open <kind> --chair .. --members .. | close <#>]",
                "groups mobilised (3.3-3.16), chairs (3.4, 3.9); closing ends their meetings",
            ),
            ("role <INC> <role> <user> [--area ..]", "who holds an incident role (3.18-3.20)"),
            ("strategy <INC>", "the SCG strategy (3.6-3.7) and the equality duty (1.7-1.8)"),
            ("erco <INC>", "record DBT ERCO's engagement and any ERT (3.17)"),
            ("level <INC> low|medium|high|critical --rationale ..", "change the response level"),
            (
                "engage <INC> [--partner .. --what .. --via ..] | engage <INC> plan",
                "log who was told what (4.1-4.7); the stakeholder engagement plan (4.1, 4.5)",
            ),
            (
                "escalate <ISS> incident --consulted <DD> --rationale ..",
                "Head of IMT: straight to an incident from any rung (2.3)",
            ),
        ),
    ),
    (
        "Standing an incident down",
        (
            ("cancel <CC> --reason ..", "cancel a case conference that has not met"),
            (
                "deescalate <INC> [approve | withdraw]",
                "the Incident De-escalation Plan (3.26-3.27); IMT and the TCG chair each approve",
            ),
            ("reescalate <INC> --reason ..", "back through section 2: assessment, case conference"),
            (
                "close <INC> [--reason .. --review 'YYYY-MM-DD HH:MM' --handover 'ACT-..: ..']",
                "close the incident (3.28): stops rhythm and sitreps, archives the channel",
            ),
            ("lesson <INC> <what was learned> [--aspect ..]", "capture a lesson for the review"),
            (
                "review <INC> [open | recommend | signoff]",
                "the post-incident review (5.1-5.2), its recommendations and sign-off",
            ),
            (
                "export <INC> [all|decisions|timeline|sitreps|review|strategy]",
                "records to take away: CSV, DOCX and PDF files",
            ),
        ),
    ),
    (
        "Finding things",
        (
            ("status <ISS or INC>", "the summary card"),
            (
                "list [--mine --waiting --incidents --actions --closed --area .. --stage .. "
                "--page n]",
                "a page of issues (newest first), incidents or your actions (soonest due), "
                "with More",
            ),
            ("role grant|revoke|list ...", "roles (administrators grant and revoke)"),
            ("help", "this list"),
        ),
    ),
    (
        "Product-safety notifications",
        (
            (
                "risk <ISS, INC or NOT> [annex | prism]",
                "product risk assessment: GPSR 2005 Annex I tables or PRISM (EU 2019/417), "
                "versioned",
            ),
            (
                "notify <ISS or INC> <kind> --trigger YYYY-MM-DD [--product .. --owner .. "
                "--answers .. --changes ..]",
                "record a notification owed on a statutory clock (reg33_4, reg33_4_emergency, "
                "other_actions, reg33_2, reg9, reaction_emergency, reaction_serious, "
                "reaction_home, revocation)",
            ),
            (
                "notify <NOT> form [step] | sent | export docx|pdf | section6 | show",
                "fill in its Annex form in steps, mark it sent (no blank boxes), export it",
            ),
            ("notifications [all]", "the register: open notifications by due date, overdue first"),
        ),
    ),
    (
        "Local workspace only",
        (
            ("demo", "the demo people build an EXERCISE incident with the real commands"),
            (
                "clock next|+30m|+2h|+1d",
                "administrators: move the demo clock to the next reminder, prompt or cut-off, "
                "or forward by a step",
            ),
        ),
    ),
)
COMMANDS: tuple[tuple[str, str], ...] = tuple(c for _, group in GROUPS for c in group)
# Verbs the local workspace answers itself rather than the engine.
LOCAL_VERBS: tuple[str, ...] = ("clock", "demo")


def help_card() -> Card:
    sections = tuple(
        (
            title,
            t.Text(tuple(t.bullet(t.code(f"/opss {usage}"), f" · {what}") for usage, what in rows)),
        )
        for title, rows in GROUPS
    )
    return Card(
        title="OPSS incident bot commands",
        subtitle=f"{len(COMMANDS)} commands; type /opss <command>",
        sections=sections,
    )


def show_help(ctx: Ctx, args: Args) -> Reply:
    return Reply(card=help_card())
