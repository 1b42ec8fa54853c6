"""The framework's floor: a bare botbuilder bot on aiohttp (stock ``CloudAdapter.process``)
that answers every message with one line, authenticated as the bot is.

Run by bench/teams_ack.py as ``python -m bench.teams_floor PORT`` with the bot's settings.
"""

from __future__ import annotations

import sys

from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from bot.config import Settings
from bot.teams.auth import FixedTokens, sdk_configuration
from tests.fakes.fake_teams import CONNECTOR_TOKEN


class Echo(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity("ok")


def main() -> None:
    settings = Settings()
    auth = ConfigurationBotFrameworkAuthentication(
        sdk_configuration(settings),
        credentials_factory=FixedTokens(settings.microsoft_app_id or "", CONNECTOR_TOKEN),
    )
    adapter, bot = CloudAdapter(auth), Echo()

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)  # type: ignore[return-value]

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", health)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
