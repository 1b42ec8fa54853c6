"""``python -m bot``: run the bot (by default the local workspace on 127.0.0.1:8080).

python -m bot              serve (SIGTERM stops it gracefully)
python -m bot check        say what is wrong or risky in the settings; non-zero if it
                           would refuse to start
python -m bot backup PATH  a consistent copy of the SQLite database, while the bot runs
python -m bot restore PATH replace the SQLite database with a backup (bot stopped)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot import backup
from bot.config import Settings
from bot.logs import configure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="OPSS incident bot")
    sub = parser.add_subparsers(dest="action")
    sub.add_parser("serve", help="run the bot (the default)")
    sub.add_parser("check", help="check the settings")
    for name, what in (("backup", "file to write"), ("restore", "backup file to restore")):
        sub.add_parser(name, help=f"{name} the SQLite database").add_argument("path", help=what)
    args = parser.parse_args(argv)
    settings = Settings()
    if args.action == "check":
        from bot.checks import report

        return report(settings, sys.stdout)
    if args.action in {"backup", "restore"}:
        operation = backup.backup if args.action == "backup" else backup.restore
        try:
            print(operation(settings.database_url, Path(args.path)))
        except backup.BackupError as exc:
            print(f"{args.action}: {exc}", file=sys.stderr)
            return 1
        return 0
    configure(fmt=settings.log_format)
    from bot.serve import serve

    asyncio.run(serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
