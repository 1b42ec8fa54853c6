"""Running the real bot (aiohttp) on a loopback port in a background thread for a test."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

from bot.app import Bot, build
from bot.config import Settings
from commands.core.clock import Clock
from tests.fakes import migrated


@contextmanager
def serving(
    app: web.Application, port: int = 0, ssl_context: ssl.SSLContext | None = None
) -> Iterator[str]:
    """Any aiohttp app on a loopback port (any free one unless given), in its own thread and
    event loop; over TLS with ``ssl_context``."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runner = web.AppRunner(app)

    async def start() -> int:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=ssl_context)
        await site.start()
        server = site._server
        assert server is not None
        return int(server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    bound = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    try:
        yield f"{'https' if ssl_context else 'http'}://127.0.0.1:{bound}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


@contextmanager
def running(
    settings: Settings, clock: Clock, port: int = 0, **extra: Any
) -> Iterator[tuple[str, Bot]]:
    # A new database starts as a copy of the session's migrated one; the bot's own migration
    # on start then finds it at head (startup migrations are tested on real processes).
    migrated.prepare(settings.database_url)
    bot = build(settings, clock, **extra)
    try:
        with serving(bot.app, port) as url:
            yield url, bot
    finally:
        bot.db.engine.dispose()


def call(
    url: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> tuple[int, str]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(
        url + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", "X-OPSS-Local": "1", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def free_port() -> int:
    """A loopback port free now, for a server whose own address must be known before it starts
    (e.g. a redirect URI)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
