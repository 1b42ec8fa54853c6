"""Running one bot process: ready only when its database is, and stopping gracefully.

The port opens at once with ``/healthz`` (200) and ``/readyz`` (503) while the process reaches
its database and brings the schema to the newest migration (retrying while the database is
unreachable); then the bot itself is served. On SIGTERM (or SIGINT) it stops within
``OPSS_SHUTDOWN_SECONDS`` as ``Bot.stop`` describes; a watchdog ends the process if anything
hangs beyond that.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading

from aiohttp import web
from sqlalchemy.exc import DBAPIError

from bot.app import Bot, build
from bot.backup import BackupError
from bot.config import Settings
from bot.header_timeout import TimedAppRunner
from bot.lifecycle import Lifecycle, probes

log = logging.getLogger(__name__)

MAX_RETRY_SECONDS = 5.0
WATCHDOG_GRACE = 3.0  # beyond the shutdown budget, before the process is ended regardless


async def serve(settings: Settings, banner: str = "OPSS incident bot") -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    waiting = Lifecycle(waiting_for="reaching the database and migrating its schema")
    holding = web.Application(middlewares=[waiting.middleware])
    holding.router.add_routes(probes(waiting))
    holding.router.add_route("*", "/{tail:.*}", _starting)
    runner = TimedAppRunner(holding, header_timeout=settings.header_timeout_seconds)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.port).start()
    bot = await _build_when_reachable(settings, stop)
    await runner.cleanup()
    if bot is None:
        return  # stopped before the database was reached

    runner = TimedAppRunner(
        bot.app,
        shutdown_timeout=settings.shutdown_seconds,
        header_timeout=settings.header_timeout_seconds,
    )
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.port).start()
    metrics_runner = await _serve_metrics(bot)
    log.info("%s  (database: %r)", banner, bot.db.engine.url)
    await stop.wait()

    log.info("stopping (within %s s)", settings.shutdown_seconds)
    watchdog = threading.Timer(settings.shutdown_seconds + WATCHDOG_GRACE, _hung)
    watchdog.daemon = True
    watchdog.start()
    await bot.stop(settings.shutdown_seconds)
    await runner.cleanup()  # closes the port; cleanup hooks find the bot already stopped
    if metrics_runner is not None:
        await metrics_runner.cleanup()
    bot.db.engine.dispose()
    log.info("stopped")


async def _build_when_reachable(settings: Settings, stop: asyncio.Event) -> Bot | None:
    wait = 0.5
    while not stop.is_set():
        try:
            return await asyncio.to_thread(build, settings)
        except DBAPIError as exc:
            log.warning(
                "database not reachable (%s); retrying in %.1f s", type(exc.orig).__name__, wait
            )
        except BackupError as exc:
            log.warning("%s; retrying in %.1f s", exc, wait)
        try:
            async with asyncio.timeout(wait):
                await stop.wait()
        except TimeoutError:
            pass
        wait = min(wait * 2, MAX_RETRY_SECONDS)
    return None


async def _serve_metrics(bot: Bot) -> web.AppRunner | None:
    port = bot.settings.metrics_port
    if port is None or port.lower() == "off" or bot.metrics is None:
        return None
    app = web.Application()
    app.router.add_get("/metrics", bot.metrics.handler)
    runner = TimedAppRunner(
        app, access_log=None, header_timeout=bot.settings.header_timeout_seconds
    )
    await runner.setup()
    await web.TCPSite(runner, bot.settings.host, int(port)).start()
    return runner


async def _starting(request: web.Request) -> web.Response:
    return web.json_response(
        {"error": "The bot is starting; try again shortly."},
        status=503,
        headers={"Retry-After": "2"},
    )


def _hung() -> None:
    log.error("shutdown took too long; ending the process")
    sys.stderr.flush()
    os._exit(3)
