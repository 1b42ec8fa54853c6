"""Assembling the bot: database, engine, outbox and the surfaces, on one aiohttp server.

Nothing here runs at import time: ``build`` makes the pieces, the server's startup hook starts
the outbox worker, the scheduler and then Socket Mode, and ``Bot.stop`` (on SIGTERM, or the
server's cleanup) stops them in the order that loses nothing: see ``Bot.stop``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import holidays
from aiohttp import web

from bot.backup import hold_running
from bot.checks import refusals
from bot.config import Settings
from bot.exports import export_route
from bot.leader import LeaderLock
from bot.lifecycle import Lifecycle, probes
from bot.logs import stamp_request_ids
from bot.messaging import Messenger
from bot.metrics import MeasuredEngine, Metrics
from bot.outbox import OutboxWorker
from bot.scheduler import Scheduler
from bot.slack.messenger import SlackMessenger
from bot.slack.surface import SlackSurface
from bot.workspace.messenger import LocalMessenger
from bot.workspace.routes import Workspace
from bot.workspace.sign_in import COOKIE, HOST_COOKIE
from cards.annex_forms import contact_point
from commands.core.clock import Clock, FileClock, SharedClock
from commands.core.context import Options
from commands.core.engine import Engine
from commands.mi import summary
from commands.rhythm.battle_rhythm import DEFAULT_RHYTHMS, load_presets
from rules import deadlines, engagement
from rules.action_chasing import parse_leads
from rules.mi import parse_weekly
from storage import seed
from storage.db import make_engine
from storage.inbox import inbox_database
from storage.migrate import upgrade
from storage.models import ChannelBinding
from storage.repositories import binding
from storage.unit_of_work import Database

log = logging.getLogger(__name__)

# Where each surface's IMT channel is configured, for the message that says it is not.
IMT_SETTINGS = {"slack": "SLACK_IMT_CHANNEL", "teams": "TEAMS_IMT_CHANNEL_ID"}

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
    scheduler: Scheduler
    metrics: Metrics | None = None
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    slack: SlackSurface | None = None
    running_lock: Any = None  # the SQLite "bot is running" lock (bot/backup.py), held while alive
    teams: Any = None  # the TeamsSurface, when Teams is on (botbuilder is imported only then)
    _outbox_task: asyncio.Task[None] | None = field(default=None, init=False, repr=False)
    _socket: Any = field(default=None, init=False, repr=False)
    _socket_task: asyncio.Task[None] | None = field(default=None, init=False, repr=False)
    _stopped: bool = field(default=False, init=False, repr=False)

    async def start(self) -> None:
        """The outbox worker, then the scheduler (its first tick catches up), then Socket Mode
        in the background: a Slack that cannot be reached never holds up the rest."""
        self._outbox_task = asyncio.create_task(self.outbox.run(self.settings.outbox_poll_seconds))
        self.scheduler.start()
        token = self.settings.slack_app_token
        if self.slack is not None and token is not None:
            self._socket_task = asyncio.create_task(self._connect_socket(token.get_secret_value()))

    async def _connect_socket(self, app_token: str) -> None:
        """Socket Mode (no public URL): the same listeners over Slack's WebSocket."""
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        assert self.slack is not None
        self._socket = AsyncSocketModeHandler(
            self.slack.app, app_token, ping_interval=self.settings.socket_retry_seconds
        )
        # It retries on its own until Slack answers (and reconnects when Slack asks).
        await self._socket.connect_async()
        log.info("Socket Mode connected")

    async def stop(self, seconds: float) -> None:
        """Stop without losing anything acknowledged, within ``seconds``.

        New requests are refused (503, so a proxy tries another process), requests and
        acknowledged work in flight finish, the scheduler stops after its current tick, and
        the outbox after the delivery it is making; then the leader lock is given up so
        another process delivers at once.
        """
        if self._stopped:
            return
        self._stopped = True
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        self.lifecycle.stopping = True
        if self._socket_task is not None:
            self._socket_task.cancel()
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close_async()
        await self.lifecycle.quiesce(end - loop.time())
        await self.scheduler.stop_after_tick(max(end - loop.time(), 0.0))
        self.outbox.stop()
        if self._outbox_task is not None:
            done, _ = await asyncio.wait({self._outbox_task}, timeout=max(end - loop.time(), 0))
            if not done:
                log.warning("shutdown: the outbox delivery did not finish in time")
                self._outbox_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._outbox_task
        if self.outbox.leader is not None:
            await asyncio.to_thread(self.outbox.leader.release)


class RefusedToStart(SystemExit):
    """The configuration is unsafe or incomplete: the bot says why and does not start."""


def build(settings: Settings, clock: Clock | None = None, *, teams_credentials: Any = None) -> Bot:
    """``teams_credentials``: tests and benchmarks give the Teams surface fixed tokens."""
    refused = refusals(settings)
    if refused:
        raise RefusedToStart(
            "The bot will not start:\n" + "\n".join(f"  {p.setting}: {p.message}" for p in refused)
        )
    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    running = hold_running(settings.database_url)  # a restore refuses while it is held
    db = Database(make_engine(settings.database_url))
    upgrade(db.engine)  # schema upgrades on start: nobody has to remember them
    stamp_request_ids(db)
    # Every clock is shared: the demo offset lives in the database (it only grows), so
    # processes agree and a restart keeps it.
    clock = SharedClock(
        db, base=clock or (FileClock(settings.clock_file) if settings.clock_file else None)
    )
    demo = settings.workspace_enabled and settings.workspace_sign_in == "pick"
    seed_file = settings.seed_file or (DEMO_PEOPLE if demo else None)
    if seed_file is not None:
        seed.apply(db, seed.load(seed_file), clock.now())
    messengers: dict[str, Messenger] = {}
    leader = LeaderLock(db.engine)
    outbox = OutboxWorker(
        db, clock, messengers, leader=leader, pace_seconds=settings.outbox_pace_seconds
    )
    metrics = Metrics(db, clock, leader)
    outbox.observer = metrics
    metrics.watch_firings(db)
    options = Options(
        functional_areas=tuple(settings.functional_areas),
        imt_settings=IMT_SETTINGS,
        rhythms=(
            load_presets(settings.rhythm_file.read_text(encoding="utf-8"))
            if settings.rhythm_file
            else DEFAULT_RHYTHMS
        ),
        sitrep_cutoff=settings.sitrep_cutoff,
        holidays=bank_holidays(settings.holidays_region, clock.now().year),
        grace=timedelta(minutes=settings.grace_minutes),
        clock_movable=settings.clock_movable,
        action_reminders=parse_leads(settings.action_reminders),
        mi_summary=parse_weekly(settings.mi_summary),
        dashboard_url=settings.public_url if settings.workspace_enabled else None,
        # Slack's and Teams' messengers write to a person directly; the workspace's does not.
        direct_messages=frozenset(
            name
            for name, on in (("slack", settings.slack_enabled), ("teams", settings.teams_enabled))
            if on
        ),
        **notification_options(settings),
    )
    if settings.partners_file:
        partners, stakeholders = engagement.load(settings.partners_file.read_text("utf-8"))
        options = replace(options, partners=partners, stakeholders=stakeholders)

    def after_commit() -> None:
        outbox.kick()
        clock.refresh()  # a /opss clock move is seen at once (the scheduler is told)

    engine = MeasuredEngine(db, clock, options, after_commit=after_commit)
    engine.metrics = metrics
    summary.arm(db, clock.now(), options.mi_summary)  # the weekly MI summary's time
    scheduler = Scheduler(db, clock, options, settings.tick_seconds, after_tick=outbox.kick)
    clock.listeners.append(scheduler.kick)
    lifecycle = Lifecycle(db)
    app = web.Application(middlewares=[lifecycle.middleware])
    app.router.add_routes(probes(lifecycle))
    if settings.metrics_port is None:
        app.router.add_get("/metrics", metrics.handler)
    app.router.add_routes(
        [
            export_route(
                db,
                clock,
                options,
                engine.read_document,
                sessions_required=settings.signs_in,
                read_invitation=engine.read_invitation,
                cookie=HOST_COOKIE if settings.workspace_sign_in == "oidc" else COOKIE,
                idle=timedelta(minutes=settings.session_idle_minutes),
            )
        ]
    )
    if settings.workspace_enabled:
        local = LocalMessenger(db, clock)
        messengers["local"] = local
        general = local.ensure_channel(GENERAL_CHANNEL, "Raise and discuss potential issues")
        imt = local.ensure_channel(settings.imt_channel, "Incident Management Team")
        _bind(db, "local", engine.options.imt_conversation, imt, settings.imt_channel)
        workspace = Workspace(db, engine, general, settings, settle=lambda: outbox.drain("local"))
        app.router.add_routes(workspace.routes())
    # One inbox for every surface that records requests before answering them.
    inbox_db = inbox_database(db, settings.database_url)
    if settings.slack_enabled or settings.teams_enabled:
        lifecycle.inbox = inbox_db  # where their requests are written before the answer
    slack = (
        _add_slack(settings, db, engine, messengers, app, inbox_db)
        if settings.slack_enabled
        else None
    )
    if slack is not None:
        slack.track = lifecycle.track
    teams: Any = None
    if settings.teams_enabled:
        from bot.teams.setup import install  # botbuilder is imported only when Teams is on

        teams = install(
            settings, db, engine, clock, messengers, app, teams_credentials, inbox_db=inbox_db
        )
        if teams.inbound is not None:
            teams.inbound.track = lifecycle.track
        if settings.teams_imt_channel_id:
            _bind(db, "teams", options.imt_conversation, settings.teams_imt_channel_id, "imt")
    bot = Bot(
        settings, db, clock, engine, outbox, app, scheduler, metrics, lifecycle, slack, running
    )
    bot.teams = teams
    app.cleanup_ctx.append(_run(bot))
    return bot


def _add_slack(
    settings: Settings,
    db: Database,
    engine: Engine,
    messengers: dict[str, Messenger],
    app: web.Application,
    inbox_db: Database,
) -> SlackSurface:
    assert settings.slack_bot_token is not None and settings.slack_signing_secret is not None
    slack = SlackSurface(
        engine,
        db,
        token=settings.slack_bot_token.get_secret_value(),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        api_url=settings.slack_api_url,
        inbox_db=inbox_db,
    )
    messengers["slack"] = SlackMessenger(slack.client, db)
    app.router.add_post("/slack/events", slack.handle)
    # Its shared HTTP session, and the requests a stopped process acknowledged and left undone.
    app.on_startup.append(lambda _app: slack.start())
    app.on_cleanup.append(lambda _app: slack.close())
    if settings.slack_imt_channel:
        _bind(db, "slack", engine.options.imt_conversation, settings.slack_imt_channel, "imt")
    return slack


def _bind(db: Database, surface: str, conversation: str, external_id: str, name: str) -> None:
    with db.unit_of_work() as session:
        if binding(session, surface, conversation) is None:
            session.add(
                ChannelBinding(
                    surface=surface, conversation=conversation, external_id=external_id, name=name
                )
            )


def _run(bot: Bot) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        await bot.start()
        yield
        await bot.stop(bot.settings.shutdown_seconds)  # nothing left to do after a SIGTERM

    return ctx


REGIONS = {"england-and-wales": "ENG", "scotland": "SCT", "northern-ireland": "NIR"}


def bank_holidays(region: str, year: int) -> frozenset[date]:
    """UK bank holidays for the region, from the year before to three years ahead."""
    if region not in REGIONS:
        raise ValueError(f"OPSS_HOLIDAYS: use one of {', '.join(REGIONS)}, not '{region}'")
    calendar = holidays.country_holidays(
        "GB", subdiv=REGIONS[region], years=range(year - 1, year + 4)
    )
    return frozenset(calendar)


def notification_options(settings: Settings) -> dict[str, Any]:
    """Statutory clocks (the 2005 guidance's unless OPSS_NOTIFICATION_DAYS says otherwise),
    the reminder lead, and what download links start with."""
    out: dict[str, Any] = {
        "notification_clocks": deadlines.configured(
            settings.notification_days, "configured in OPSS_NOTIFICATION_DAYS"
        ),
        "notification_remind_days": settings.notification_remind_days,
        "national_contact_point": contact_point(
            settings.rapex_contact_email, settings.rapex_contact_details
        ),
        "public_url": (settings.public_url or "").rstrip("/"),
        "calendar_organizer": settings.calendar_organizer or "",
    }
    return out
