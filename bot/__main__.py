"""``python -m bot``: run the bot (by default the local workspace on 127.0.0.1:8080).

python -m bot                    serve (SIGTERM stops it gracefully)
python -m bot check              say what is wrong or risky in the settings, one line
                                 each; non-zero if the bot would refuse to start
python -m bot backup PATH        a consistent copy of the SQLite database, while it runs
python -m bot restore PATH       replace the SQLite database with a backup (bot stopped)
python -m bot set-password NAME  set a person's workspace secret (password sign-in), read
                                 from the terminal, stored only as a hash
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from bot import backup
from bot.checks import problems
from bot.config import Settings
from bot.logs import configure
from commands.core.clock import SystemClock

log = logging.getLogger("bot")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="OPSS incident bot")
    sub = parser.add_subparsers(dest="action")
    sub.add_parser("serve", help="run the bot (the default)")
    sub.add_parser("check", help="check the settings")
    for name, what in (("backup", "file to write"), ("restore", "backup file to restore")):
        sub.add_parser(name, help=f"{name} the SQLite database").add_argument("path", help=what)
    sub.add_parser("set-password", help="set a workspace secret").add_argument("name")
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:  # one line per bad setting, as ``check`` prints them
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]).upper()
            print(f"refuse: {where}: {error['msg']}", file=sys.stderr)
        return 1
    if args.action == "check":
        return check(settings, sys.stdout)
    if args.action in {"backup", "restore"}:
        operation = backup.backup if args.action == "backup" else backup.restore
        try:
            print(operation(settings.database_url, Path(args.path)))
        except backup.BackupError as exc:
            print(f"{args.action}: {exc}", file=sys.stderr)
            return 1
        return 0
    configure(fmt=settings.log_format)
    if args.action == "set-password":
        return set_password(settings, args.name)
    found = problems(settings)
    refused = [p for p in found if p.level == "refuse"]
    if refused:
        print("The bot will not start:", file=sys.stderr)
        for problem in refused:
            print(f"  {problem.setting}: {problem.message}", file=sys.stderr)
        return 1
    for problem in found:
        log.warning("%s: %s", problem.setting, problem.message)
    from bot.serve import serve

    asyncio.run(serve(settings, announce(settings)))
    return 0


def check(settings: Settings, out: TextIO) -> int:
    """One line per problem or risk; 1 if the bot would refuse to start, else 0."""
    found = problems(settings)
    for problem in found:
        print(problem, file=out)
    if not found:
        print("ok: nothing wrong or risky found", file=out)
    return 1 if any(p.level == "refuse" for p in found) else 0


def announce(settings: Settings) -> str:
    """The start-up line: what is served where (never a workspace that is off)."""
    where = f"http://{settings.host}:{settings.port}/"
    surfaces = [
        name
        for name, on in (
            ("Slack at /slack/events", settings.slack_enabled),
            ("Teams at /api/messages", settings.teams_enabled),
        )
        if on
    ]
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
    sys.exit(main())
