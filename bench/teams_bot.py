"""The bot for bench/teams_ack.py: ``python -m bot``'s app, with outbound tokens fixed (the
fake Bot Connector is plain http on loopback, where MSAL will not go)."""

from __future__ import annotations

from aiohttp import web

from bot.app import build
from bot.config import Settings
from tests.fakes.fake_teams import fixed_credentials


def main() -> None:
    settings = Settings()
    bot = build(settings, teams_credentials=fixed_credentials(settings.microsoft_app_id or ""))
    web.run_app(bot.app, host=settings.host, port=settings.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
