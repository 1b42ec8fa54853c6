"""``python -m bot``: run the bot (by default the local workspace on 127.0.0.1:8080).

``python -m bot set-password NAME``: set a person's workspace secret (password sign-in),
read from the terminal, stored only as a hash.
"""

from __future__ import annotations

import getpass
import logging
import sys

from aiohttp import web

from bot.app import RefusedToStart, build
from bot.checks import problems
from bot.config import Settings
from bot.logs import configure
from commands.clock import SystemClock

log = logging.getLogger("bot")


def main(argv: list[str]) -> int:
    configure()
    settings = Settings()
    if argv[:1] == ["set-password"] and len(argv) == 2:
        return set_password(settings, argv[1])
    if argv:
        print("usage: python -m bot [set-password NAME]", file=sys.stderr)
        return 2
    try:
        bot = build(settings)
    except RefusedToStart as exc:
        print(exc, file=sys.stderr)
        return 1
    for problem in problems(settings):
        log.warning("%s: %s", problem.setting, problem.message)
    print(f"{announce(settings)}  (database: {bot.db.engine.url!r})")
    web.run_app(bot.app, host=settings.host, port=settings.port, print=None)
    return 0


def announce(settings: Settings) -> str:
    """The start-up line: what is served where (never a workspace that is off)."""
    where = f"http://{settings.host}:{settings.port}/"
    surfaces = [name for name, on in (("Slack at /slack/events", settings.slack_enabled),) if on]
    if settings.workspace_enabled:
        surfaces.append(f"local workspace at {where}")
    return f"OPSS incident bot on {where}: {', '.join(surfaces) or 'no surface configured'}"


def set_password(settings: Settings, name: str) -> int:
    from bot.workspace.sign_in import set_secret
    from storage.db import make_engine
    from storage.migrate import upgrade
    from storage.unit_of_work import Database

    db = Database(make_engine(settings.database_url))
    upgrade(db.engine)
    first = getpass.getpass(f"New workspace secret for {name}: ")
    if getpass.getpass("Again: ") != first:
        print("The two did not match; nothing was changed.", file=sys.stderr)
        return 1
    try:
        set_secret(db, name, first, SystemClock().now())
    except ValueError as exc:
        print(f"Not set: {exc}.", file=sys.stderr)
        return 1
    print(f"Secret set for {name}; their other sessions are signed out.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
