"""The roster of trained staff (plan 6.3, 6.6): who is trained for each response role, when,
and until when.

/opss roster                         every role, who is trained and until when
/opss roster <role> | <user>         one role, or one person
/opss roster add <user> <role> --trained YYYY-MM-DD [--expires YYYY-MM-DD --note ..]  (a form)
/opss roster remove <user> <role> [--reason ..]

IMT and the FTLs keep it (6.1, 6.6); anyone may read it. Adding a newer training of a role
someone already holds renews it; a removal keeps the entry, ended. A roster can also be
loaded from a TOML file like the seed (``storage/seed.py``, ``trained``).

``roster_readiness`` is what the management information reads: roles with too few people
trained, and training about to lapse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cards.model import Action as Button
from cards.model import Card, Choice, Field, Form
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.readiness.training import current_entries, today
from rules import roster
from rules.roster import RESPONSE_ROLES, Readiness, Training
from rules.timeparse import show_date
from storage import repositories as repo
from storage.models import Person, RosterEntry
from storage.whose import names_person

ROLE_CHOICES = tuple(Choice(r.key, f"{r.label} ({r.plan})") for r in RESPONSE_ROLES)
SHOWN = 30  # people listed under one role on the card


def roster_readiness(
    session: Session,
    now: datetime,
    *,
    within_days: int = roster.LAPSING_DAYS,
    minimum: int = roster.MINIMUM_TRAINED,
) -> Readiness:
    """For the management information: the roles with fewer than ``minimum`` people trained
    and in date, and the training that lapses within ``within_days`` (soonest first), on
    ``now``'s day in London. One query, whatever the roster's history."""
    return roster.readiness(
        current_entries(session), today(now), minimum=minimum, within_days=within_days
    )


def _role(raw: str, field: str = "role") -> str:
    wanted = raw.strip().lower().replace("-", "_").replace(" ", "_")
    for r in RESPONSE_ROLES:
        if wanted in {r.key, r.label.lower().replace(" ", "_")}:
            return r.key
    raise UserError(
        f"Role: '{raw}' is not a response role; the roles are "
        + ", ".join(r.key for r in RESPONSE_ROLES)
        + ".",
        field,
    )


def _require_keeper(ctx: Ctx, what: str) -> None:
    allowed = roster.may_keep_roster(ctx.actor)
    if not allowed:
        raise PermissionRefused(what, allowed.who_may, "roster")


def _person(ctx: Ctx, name: str, field: str = "person") -> Person:
    person = repo.person_by_name(ctx.session, name.strip().lstrip("@"))
    if person is None or person.name == repo.SYSTEM_NAME:
        raise UserError(f"Person: no user '{name}' is known.", field)
    return person


# The card ---------------------------------------------------------------------------------------


def roster_card(
    entries: list[Training], on: date, *, roles: tuple[str, ...] | None = None, title: str = ""
) -> Card:
    shown_roles = [r for r in RESPONSE_ROLES if roles is None or r.key in roles]
    state = roster.readiness(entries, on)
    counts = dict(state.counts)
    facts = []
    sections: list[tuple[str, str]] = []
    for r in shown_roles:
        trained = counts.get(r.key, 0)
        short = (
            f" · fewer than {roster.MINIMUM_TRAINED} (a holder and a deputy, 6.3)"
            if trained < roster.MINIMUM_TRAINED
            else ""
        )
        facts.append((f"{r.label} ({r.plan})", f"{trained} trained and in date{short}"))
        held = sorted(
            (e for e in entries if e.role == r.key),
            key=lambda e: (e.expires_on < on, e.shown.casefold()),
        )
        if held:
            lines = [
                f"{e.shown} · trained {show_date(e.trained_on)} · {roster.standing(e, on)}"
                for e in held[:SHOWN]
            ]
            if len(held) > SHOWN:
                lines.append(f"and {len(held) - SHOWN} more (/opss roster {r.key})")
            sections.append((r.label, "\n".join(lines)))
    lapsing = [x for x in state.lapsing if roles is None or x.role in roles]
    warning = ""
    short_roles = [s.label for s in state.shortfalls if roles is None or s.role in roles]
    if short_roles:
        warning = "Too few trained: " + ", ".join(short_roles) + "."
    if lapsing:
        warning += (" " if warning else "") + (
            f"{len(lapsing)} training{'s lapse' if len(lapsing) != 1 else ' lapses'} within "
            f"{roster.LAPSING_DAYS} days."
        )
    people = len({e.person for e in entries})
    return Card(
        title=title or "Roster of trained staff",
        subtitle=f"{people} {'person' if people == 1 else 'people'} on the roster, "
        f"on {show_date(on)} (plan 6.3, 6.6)",
        facts=tuple(facts),
        sections=tuple(sections),
        warning=warning,
        actions=(Button("Add a training", "/opss roster add"),),
    )


# /opss roster [role | user] and remove ------------------------------------------------------------


def roster_verb(ctx: Ctx, args: Args) -> Reply:
    first = (args.first() or "").strip()
    if first.lower() == "remove":
        return remove(ctx, args)
    on = today(ctx.now)
    if not first:
        entries = current_entries(ctx.session)
        return Reply(text="Roster of trained staff", card=roster_card(entries, on))
    try:
        role = _role(first)
    except UserError:
        role = ""
    if role:
        entries = current_entries(ctx.session)
        card = roster_card(entries, on, roles=(role,), title=f"Roster · {roster.label(role)}")
        return Reply(text=card.title, card=card)
    person = repo.person_by_name(ctx.session, first.lstrip("@"))
    if person is None:
        raise UserError(
            f"roster: '{first}' is neither a response role nor a user; the roles are "
            + ", ".join(r.key for r in RESPONSE_ROLES)
            + "."
        )
    entries = current_entries(ctx.session, [person.id])
    held = tuple(dict.fromkeys(e.role for e in entries))
    lines = [
        f"{roster.label(e.role)} · trained {show_date(e.trained_on)} · {roster.standing(e, on)}"
        for e in entries
    ]
    card = Card(
        title=f"Roster · {person.display_name}",
        subtitle=f"{len(held)} response role{'s' if len(held) != 1 else ''} (plan 6.6)",
        sections=(("Trained for", "\n".join(lines) or "no response role"),),
    )
    return Reply(text=card.title, card=card)


def remove(ctx: Ctx, args: Args) -> Reply:
    _require_keeper(ctx, "remove people from the roster")
    words = args.words[1:]
    if len(words) < 2:
        raise UserError("Usage: /opss roster remove <user> <role> [--reason ..].")
    for name in args.options:
        if name != "reason":
            raise UserError(f"roster remove does not take --{name}; it takes --reason.")
    person = _person(ctx, words[0])
    role = _role(words[1])
    rows = list(
        ctx.session.scalars(
            select(RosterEntry).where(
                names_person(RosterEntry.person_id, person),
                RosterEntry.role == role,
                RosterEntry.removed_at.is_(None),
            )
        )
    )
    if not rows:
        raise UserError(f"{person.display_name} is not on the roster as {roster.label(role)}.")
    reason = args.options.get("reason", "").strip()
    for row in rows:
        row.removed_at = ctx.now
        row.removed_by_id = ctx.person.id
        row.removed_reason = reason or "removed"
        ctx.audit(
            "roster.removed",
            "person",
            person.name,
            {
                "role": role,
                "trained_on": row.trained_on.isoformat(),
                "expires_on": row.expires_on.isoformat(),
            },
            {"reason": reason},
        )
    text = f"{person.display_name} is no longer on the roster as {roster.label(role)}." + (
        f" Reason: {reason}" if reason else ""
    )
    return Reply(text=text)


# /opss roster add (a form) ------------------------------------------------------------------------


def add_form() -> Form:
    return Form(
        id="roster_add",
        title="Add to the roster",
        intro="Someone trained in role (6.6): the training date and when it lapses (blank: a "
        "year after). A newer training of a role they hold renews it.",
        submit_label="Add to the roster",
        fields=(
            Field(
                "person", "Person", "person", required=True, max_length=200, placeholder="user name"
            ),
            Field("role", "Response role", "choice", required=True, choices=ROLE_CHOICES),
            Field("trained_on", "Trained on", "date", required=True),
            Field("expires_on", "Training lapses after (blank: a year on)", "date"),
            Field("note", "Note (the course, who trained them)", max_length=500),
        ),
    )


@dataclass(frozen=True)
class RosterValues:
    person: str
    role: str
    trained_on: date
    expires_on: date | None
    note: str | None


OPTION_FIELDS = {"trained": "trained_on", "trained_on": "trained_on", "on": "trained_on"}
OPTION_FIELDS |= {"expires": "expires_on", "expires_on": "expires_on", "note": "note"}


def _prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    _require_keeper(ctx, "add people to the roster")
    words = args.words[1:] if args.words and args.words[0].lower() == "add" else args.words
    values: dict[str, Any] = {}
    if words:
        values["person"] = words[0].lstrip("@")
    if len(words) > 1:
        values["role"] = _role(words[1])
    for name, value in args.options.items():
        if name not in OPTION_FIELDS:
            raise UserError(
                f"roster add does not take --{name}; it takes --trained, --expires and --note."
            )
        values[OPTION_FIELDS[name]] = value
    return {}, values


def _build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    return add_form()


def _apply(ctx: Ctx, context: Mapping[str, str], v: RosterValues) -> Reply:
    _require_keeper(ctx, "add people to the roster")
    person = _person(ctx, v.person)
    role = _role(v.role)
    expires = v.expires_on or roster.default_expiry(v.trained_on)
    problem = roster.entry_problem(v.trained_on, expires, today(ctx.now))
    if problem:
        raise UserError(problem[1], problem[0])
    held = list(
        ctx.session.scalars(
            select(RosterEntry).where(
                names_person(RosterEntry.person_id, person),
                RosterEntry.role == role,
                RosterEntry.removed_at.is_(None),
            )
        )
    )
    if any(h.trained_on >= v.trained_on for h in held):
        latest = max(h.trained_on for h in held)
        raise UserError(
            f"Trained on: {person.display_name} is on the roster as {roster.label(role)} from "
            f"a training on {show_date(latest)}; a renewal is a later training.",
            "trained_on",
        )
    before = None
    for h in held:
        before = {"trained_on": h.trained_on.isoformat(), "expires_on": h.expires_on.isoformat()}
        h.removed_at = ctx.now
        h.removed_by_id = ctx.person.id
        h.removed_reason = "renewed"
    ctx.session.add(
        RosterEntry(
            person_id=person.id,
            role=role,
            trained_on=v.trained_on,
            expires_on=expires,
            note=(v.note or "").strip(),
            added_by_id=ctx.person.id,
            added_at=ctx.now,
            removed_reason="",
        )
    )
    ctx.session.flush()
    ctx.audit(
        "roster.renewed" if held else "roster.added",
        "person",
        person.name,
        before,
        {
            "role": role,
            "trained_on": v.trained_on.isoformat(),
            "expires_on": expires.isoformat(),
        },
    )
    verb = "renewed on the roster" if held else "added to the roster"
    text = (
        f"{person.display_name} {verb} as {roster.label(role)}: trained "
        f"{show_date(v.trained_on)}, lapses after {show_date(expires)}."
    )
    card = roster_card(
        current_entries(ctx.session),
        today(ctx.now),
        roles=(role,),
        title=f"Roster · {roster.label(role)}",
    )
    return Reply(text=text, card=card)


ROSTER_ADD = FormFlow(
    "roster_add",
    _prepare,
    _build,
    _apply,
    prompt="Who was trained, for which role, and when?",
    permit=lambda ctx, context: _require_keeper(ctx, "add people to the roster"),
    values=RosterValues,
)


def roster_route(args: Args) -> FormFlow | None:
    """``/opss roster add`` opens the form; every other word is the list or a removal."""
    first = (args.first() or "").lower()
    return ROSTER_ADD if first == "add" else None
