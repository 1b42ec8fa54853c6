"""``python -m bot``: run the bot (by default the local workspace on 127.0.0.1:8080)."""

from __future__ import annotations

from aiohttp import web

from bot.app import build
from bot.config import Settings
from bot.logs import configure


def main() -> None:
    configure()
    settings = Settings()
    bot = build(settings)
    where = f"http://{settings.host}:{settings.port}/"
    print(f"OPSS incident bot: local workspace at {where}  (database: {bot.db.engine.url!r})")
    web.run_app(bot.app, host=settings.host, port=settings.port, print=None)


if __name__ == "__main__":
    main()
