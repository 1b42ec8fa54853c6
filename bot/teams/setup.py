"""Switching the Teams surface on: ``POST /api/messages`` and the Teams messenger."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter

from bot.config import Settings
from bot.inbox import Inbox
from bot.messaging import Messenger
from bot.teams.auth import (
    TeamsCredentials,
    authentication,
    default_credentials,
    refresh_metadata_in_threads,
)
from bot.teams.conversations import Conversations
from bot.teams.directory import Directory
from bot.teams.graph import Graph
from bot.teams.inbound import Inbound
from bot.teams.messenger import TeamsMessenger
from bot.teams.surface import TeamsSurface
from commands.core.clock import Clock
from commands.core.engine import Engine
from storage.unit_of_work import Database

log = logging.getLogger(__name__)


def install(
    settings: Settings,
    db: Database,
    engine: Engine,
    clock: Clock,
    messengers: dict[str, Messenger],
    app: web.Application,
    credentials: TeamsCredentials | None = None,
    *,
    inbox_db: Database | None = None,
) -> TeamsSurface:
    refresh_metadata_in_threads()
    credentials = credentials or default_credentials(settings)
    auth = authentication(settings, credentials)
    adapter = CloudAdapter(auth)
    conversations = Conversations(db)
    app_id = settings.microsoft_app_id or ""
    graph = (
        Graph(settings.graph_api_url, credentials.graph_token)
        if credentials.graph_token is not None
        else None
    )
    messenger = TeamsMessenger(
        adapter,
        app_id,
        db,
        clock,
        conversations,
        graph=graph,
        team_id=settings.teams_team_id,
        incidents_channel=settings.teams_incidents_channel_id,
        tenant_id=settings.microsoft_app_tenant_id,
        imt_conversation=engine.options.imt_conversation,
        channel_files=settings.teams_channel_files,
        meeting_organizer=settings.teams_meeting_organizer,
        private=settings.teams_incident_channels == "private",
        app_catalog_id=settings.teams_app_catalog_id,
    )
    messengers["teams"] = messenger
    inbox = Inbox(inbox_db or db, clock.now, surface="teams")
    directory = None
    if settings.teams_people_search:
        if graph is not None and settings.microsoft_app_tenant_id:
            directory = Directory(graph, settings.microsoft_app_tenant_id)
        else:  # Graph needs the tenant and the app's secret: the pickers stay as they are
            log.warning("TEAMS_PEOPLE_SEARCH is on but Graph is not configured: not searching")
    surface = TeamsSurface(
        engine, db, adapter, auth, conversations, app_id, messenger, inbox, directory
    )
    app.router.add_post("/api/messages", surface.handle)
    if surface.inbound is not None:
        app.cleanup_ctx.append(_replayed(surface.inbound))
    if graph is not None:
        app.cleanup_ctx.append(_close(graph))
    return surface


def _replayed(inbound: Inbound) -> Callable[[web.Application], AsyncIterator[None]]:
    """Once serving: the messages a stopped process acknowledged and left undone (a stop
    waits for the turns running, as the lifecycle tracks them)."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(inbound.replay())
        yield
        await task

    return ctx


def _close(graph: Graph) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        yield
        await graph.close()

    return ctx
