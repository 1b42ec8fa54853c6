"""Assembling the bot: database, engine, outbox and the surfaces, on one aiohttp server.

Nothing here runs at import time: ``build`` makes the pieces, the server's startup hook starts
the outbox worker, and its cleanup stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.config import Settings
from bot.messaging import Messenger
from bot.outbox import OutboxWorker
from bot.workspace.messenger import LocalMessenger
from bot.workspace.routes import Workspace
from commands.clock import Clock, OffsetClock
from commands.context import Options
from commands.engine import Engine
from storage import seed
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import ChannelBinding
from storage.repositories import binding
from storage.unit_of_work import Database

log = logging.getLogger(__name__)

DEMO_PEOPLE = Path(__file__).with_name("workspace") / "people.toml"
GENERAL_CHANNEL = "opss"


@dataclass
class Bot:
    settings: Settings
    db: Database
    clock: Clock
    engine: Engine
    outbox: OutboxWorker
    app: web.Application


def build(settings: Settings, clock: Clock | None = None) -> Bot:
    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    db = Database(make_engine(settings.database_url))
    upgrade(db.engine)  # schema upgrades on start: nobody has to remember them
    clock = clock or OffsetClock()
    seed_file = settings.seed_file or (DEMO_PEOPLE if settings.local_workspace else None)
    if seed_file is not None:
        seed.apply(db, seed.load(seed_file), clock.now())
    messengers: dict[str, Messenger] = {}
    outbox = OutboxWorker(db, clock, messengers)
    engine = Engine(
        db,
        clock,
        Options(functional_areas=tuple(settings.functional_areas)),
        after_commit=outbox.kick,
    )
    app = web.Application()
    app.router.add_get("/healthz", _health)
    if settings.local_workspace:
        local = LocalMessenger(db, clock)
        messengers["local"] = local
        general = local.ensure_channel(GENERAL_CHANNEL, "Raise and discuss potential issues")
        imt = local.ensure_channel(settings.imt_channel, "Incident Management Team")
        _bind(db, "local", engine.options.imt_conversation, imt, settings.imt_channel)
        advance = getattr(clock, "advance", None)
        app.router.add_routes(Workspace(db, engine, local, general, advance).routes())
    app.cleanup_ctx.append(_run_outbox(outbox, settings.outbox_poll_seconds))
    return Bot(settings, db, clock, engine, outbox, app)


def _bind(db: Database, surface: str, conversation: str, external_id: str, name: str) -> None:
    with db.unit_of_work() as session:
        if binding(session, surface, conversation) is None:
            session.add(
                ChannelBinding(
                    surface=surface, conversation=conversation, external_id=external_id, name=name
                )
            )


def _run_outbox(outbox: OutboxWorker, poll: float):  # type: ignore[no-untyped-def]
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(outbox.run(poll))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return ctx


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})
