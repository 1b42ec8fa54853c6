"""Which declared Graph permission covers each call the fake Graph recorded: a call that no
permission in ``bot/teams/permissions.py`` declares fails the test that asks."""

from __future__ import annotations

import re

from bot.teams import permissions
from tests.fakes.fake_teams import Call


def permissions_used(calls: list[Call], mode: permissions.Mode) -> set[str]:
    """The declared permission each Graph call the bot made with ``mode``'s incident channels
    needs; a call no permission declares fails the test (every permission the bot uses is in
    the package and the docs)."""
    used = set()
    for call in calls:
        found = set()
        for p in (p for p in permissions.PERMISSIONS if mode in p.modes):
            for pattern in p.calls:
                method, _, rest = pattern.partition(" ")
                path, _, note = rest.partition(" (")
                path = path.split("?", 1)[0]
                shape = re.escape(path).replace(r"\{", "{").replace(r"\}", "}")
                shape = re.sub(r"\{[a-z]+\}", "[^/]+", shape)
                kind = re.match(r"membershipType (\w+)", note)
                if method != call.method or not re.fullmatch(shape, call.path):
                    continue
                if kind and call.body.get("membershipType") != kind.group(1):
                    continue
                found.add(p.name)
        assert found, f"no declared permission covers {call.method} {call.path}"
        used |= found
    return used
