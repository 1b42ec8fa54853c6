"""The verbs of roles (incident roles and grants) and the demo's clock."""

from __future__ import annotations

from commands.admin import demo_clock, roles
from commands.core.registry import LOCAL_ONLY, Line, Verb
from commands.incident import incident_roles

LOCAL = "Local workspace only"

VERBS: tuple[Verb, ...] = (
    Verb(
        "role",
        run=roles.role,
        # ``role INC-…`` names an incident role (a form); ``role grant|revoke|list`` is admin.
        route=incident_roles.role_route,
        routed=(incident_roles.INCIDENT_ROLE,),
        words=("grant", "revoke", "list"),
        lines=(
            Line(
                "Command and control",
                "role <INC> <role> <user> [--area ..]",
                "who holds an incident role (3.18-3.20)",
            ),
            Line(
                "Finding things",
                "role grant|revoke|list ...",
                "roles",
                who="administrators grant and revoke",
            ),
        ),
    ),
    # The local workspace answers ``demo`` itself (bot/workspace/routes.py), never the engine.
    Verb(
        "demo",
        surfaces=LOCAL_ONLY,
        lines=(
            Line(
                LOCAL, "demo", "the demo people build an EXERCISE incident with the real commands"
            ),
        ),
    ),
    Verb(
        "clock",
        run=demo_clock.clock,
        surfaces=LOCAL_ONLY,
        words=("next",),
        lines=(
            Line(
                LOCAL,
                "clock next|+30m|+2h|+1d",
                "move the demo clock to the next reminder, prompt or cut-off, or forward by a step",
                who="administrators",
            ),
        ),
    ),
)
