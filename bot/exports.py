"""``GET /exports/{token}``: the filled annex form behind a signed, short-lived link."""

from __future__ import annotations

import asyncio

from aiohttp import web

from commands.core.clock import Clock
from commands.core.context import Options
from commands.notification.export import PATH, ExportRefused, export_file
from storage.unit_of_work import Database


def export_route(db: Database, clock: Clock, options: Options) -> web.RouteDef:
    async def download(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        try:
            found = await asyncio.to_thread(export_file, db, options, token, clock.now())
        except ExportRefused as exc:
            return web.Response(status=403, text=str(exc))
        except Exception:  # e.g. a notification named by an old link no longer readable
            return web.Response(status=404, text="This export is not available.")
        return web.Response(
            body=found.content,
            content_type=found.content_type,
            headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
        )

    return web.get(PATH + "{token}", download)
