"""Roles are granted and revoked by an administrator; grants are kept, revocations dated."""

from __future__ import annotations

from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from rules import roles
from rules.roles import ROLE_LABELS, Role
from storage import repositories as repo
from storage.models import Person, RoleGrant

USAGE = (
    "Usage: /opss role grant <user> <role> [--area <functional area>] · "
    "/opss role revoke <user> <role> [--area ...] · /opss role list [<user>]. Roles: "
    + ", ".join(r.value for r in Role)
    + "."
)


def role(ctx: Ctx, args: Args) -> Reply:
    action = (args.first() or "").lower()
    if action == "list":
        return _list(ctx, args.words[1] if len(args.words) > 1 else None)
    if action not in {"grant", "revoke"}:
        raise UserError(USAGE)
    allowed = roles.may_administer(ctx.actor)
    if not allowed:
        raise PermissionRefused(f"{action} roles", allowed.who_may)
    if len(args.words) < 3:
        raise UserError(USAGE)
    person = repo.person_by_name(ctx.session, args.words[1])
    if person is None:
        raise UserError(f"User: no user '{args.words[1]}' is known.", "user")
    try:
        role_ = Role(args.words[2].lower())
    except ValueError as exc:
        raise UserError(
            f"Role: '{args.words[2]}' is not a role; use " + ", ".join(r.value for r in Role) + ".",
            "role",
        ) from exc
    area = args.options.get("area")
    if role_ is Role.FTL:
        if not area:
            raise UserError("Area: an FTL role needs --area <functional area>.", "area")
        if area not in ctx.options.functional_areas:
            raise UserError(
                f"Area: '{area}' is not a functional area; use one of "
                + ", ".join(ctx.options.functional_areas)
                + ".",
                "area",
            )
    elif area and role_ not in roles.AREA_ROLES:
        # A director's area is their directorate or function (2.12, 3.4, 3.9).
        raise UserError(
            "Area: only an FTL, a deputy director or a Deputy Chief Executive is held for an "
            f"area, not {role_.value}."
        )
    elif role_ is Role.DEPUTY_CHIEF_EXECUTIVE and not area:
        raise UserError(
            "Area: a Deputy Chief Executive is held for a directorate, e.g. --area Regulation "
            "(who chairs TTG, 2.12) or --area Evidence (who chairs the SCG, 3.4).",
            "area",
        )
    return (
        _grant(ctx, person, role_, area) if action == "grant" else _revoke(ctx, person, role_, area)
    )


def grant_role(ctx: Ctx, person: Person, role_: Role, area: str | None) -> bool:
    """Grant unless already held; returns whether anything changed."""
    held = [
        g
        for g in repo.active_grants(ctx.session, person.id)
        if g.role == role_.value and (g.area or None) == (area or None)
    ]
    if held:
        return False
    ctx.session.add(
        RoleGrant(
            person_id=person.id,
            role=role_.value,
            area=area,
            granted_by_id=ctx.person.id,
            granted_at=ctx.now,
        )
    )
    ctx.audit("role.granted", "person", person.name, None, {"role": role_.value, "area": area})
    return True


def _grant(ctx: Ctx, person: Person, role_: Role, area: str | None) -> Reply:
    label = ROLE_LABELS[role_] + (f" ({area})" if area else "")
    if not grant_role(ctx, person, role_, area):
        return Reply(text=f"{person.name} already holds {label}.")
    return Reply(text=f"{person.name} is now {label}.")


def _revoke(ctx: Ctx, person: Person, role_: Role, area: str | None) -> Reply:
    label = ROLE_LABELS[role_] + (f" ({area})" if area else "")
    held = [
        g
        for g in repo.active_grants(ctx.session, person.id)
        if g.role == role_.value and (g.area or None) == (area or None)
    ]
    if not held:
        raise UserError(f"{person.name} does not hold {label}.")
    for g in held:
        g.revoked_at = ctx.now
        g.revoked_by_id = ctx.person.id
    ctx.audit("role.revoked", "person", person.name, {"role": role_.value, "area": area}, None)
    return Reply(text=f"{person.name} no longer holds {label}.")


def _list(ctx: Ctx, name: str | None) -> Reply:
    if name:
        person = repo.person_by_name(ctx.session, name)
        if person is None:
            raise UserError(f"User: no user '{name}' is known.", "user")
        return Reply(text=f"{person.name}: {repo.actor_for(ctx.session, person).describe()}")
    return Reply(text=f"You ({ctx.person.name}): {ctx.actor.describe()}")
