"""``GET /exports/{token}``: every download the bot serves, through one door.

The token is a one-time link for one person (``commands/downloads.py``): a notification's
annex form, a calendar invitation (made when it is fetched), the plan's annual review pack
(``commands/readiness/plan_review.py``), or a record kept with an incident (the workspace's
file links mint one for the signed-in reader, ``GET /api/documents/{id}``, and redirect
here). The request must name this
server in ``Host``; in a workspace that signs people in, a link made there is honoured only
with its person's session, and any session that comes with a link must be its person's. The
reply is never cached (``Cache-Control: no-store``), and the token is masked in every log
line (``bot/logs.py``).
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from aiohttp import web

from bot.checks import LOOPBACK_NAMES
from bot.workspace.sign_in import COOKIE, IDLE, person_for_token
from commands.core.clock import Clock
from commands.core.context import Options
from commands.notification.export import ExportRefused, export_file
from commands.readiness.plan_review import pack_file
from commands.records import downloads
from storage.unit_of_work import Database

ReadDocument = Callable[[str, str, int], "tuple[str, str, bytes] | None"]
ReadInvitation = Callable[[str, str, str], "tuple[str, str, bytes] | None"]


def hosts_for(public_url: str) -> frozenset[str]:
    public = urlsplit(public_url or "").hostname
    return LOOPBACK_NAMES | ({public.lower()} if public else set())


def file_response(filename: str, media_type: str, content: bytes) -> web.Response:
    return web.Response(
        body=content,
        content_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


REFUSAL_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Download not available</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto; padding: 0 1em">
<h1 style="font-size: 1.3em">Download not available</h1>
<p>{message}</p>
<p>A download link works once, for the person it was made for, within 5 minutes. To have the
file again, run the command that offered it once more (for example
<code>/opss export INC-2026-001 decisions</code> or <code>/opss notify NOT-2026-0001 export
pdf</code>), or press the file's link in the channel again.</p>
<p><a href="/">Back to the workspace</a></p>
</body></html>
"""


def refusal(status: int, text: str) -> web.Response:
    """A refused download, said as a page a person can leave (a browser followed the link)."""
    return web.Response(
        status=status,
        text=REFUSAL_PAGE.format(message=html.escape(text)),
        content_type="text/html",
        headers={"Cache-Control": "no-store"},
    )


def export_route(
    db: Database,
    clock: Clock,
    options: Options,
    read_document: ReadDocument,
    *,
    sessions_required: bool,
    read_invitation: ReadInvitation | None = None,
    cookie: str = COOKIE,
    idle: timedelta = IDLE,
) -> web.RouteDef:
    """``sessions_required``: the workspace signs people in (``password`` or ``oidc`` mode),
    with sessions in ``cookie`` that end after ``idle`` unused."""
    hosts = hosts_for(options.public_url)

    async def download(request: web.Request) -> web.Response:
        host = urlsplit(f"//{request.headers.get('Host', '')}").hostname or ""
        if host.lower() not in hosts:
            return refusal(421, "This server does not answer for that host.")
        token = request.match_info["token"]
        now = clock.now()
        requester = await asyncio.to_thread(
            person_for_token, db, request.cookies.get(cookie), now, idle
        )
        try:
            grant = await asyncio.to_thread(
                downloads.redeem,
                db,
                token,
                now,
                requester=requester,
                session_required=sessions_required,
            )
        except downloads.Refused as exc:
            return refusal(exc.status, str(exc))
        found = await asyncio.to_thread(
            _build, db, read_document, read_invitation, grant, options, now
        )
        if isinstance(found, str):
            await asyncio.to_thread(downloads.refused_after, db, grant, found, now)
            return refusal(403, found)
        filename, media_type, content = found
        await asyncio.to_thread(downloads.served, db, grant, filename, now)
        return file_response(filename, media_type, content)

    return web.get(downloads.PATH + "{token}", download)


def _build(
    db: Database,
    read_document: ReadDocument,
    read_invitation: ReadInvitation | None,
    grant: downloads.Grant,
    options: Options,
    now: datetime,
) -> tuple[str, str, bytes] | str:
    """The file a redeemed link grants, or why its person may no longer have it."""
    if grant.kind == "plan_review":
        return pack_file(db, grant.subject, grant.fmt, grant.person_name, now)
    if grant.kind == "notification":
        try:
            found = export_file(
                db, grant.subject, grant.fmt, grant.person_name, options.national_contact_point
            )
        except ExportRefused as exc:
            return str(exc)
        except Exception:  # e.g. a notification no longer readable as it was
            return "This export is not available."
        return found.filename, found.content_type, found.content
    if grant.kind == "invitation":  # made now, so it is the latest (or the cancellation)
        made = (
            read_invitation("local", grant.person_name, grant.subject) if read_invitation else None
        )
        return made or "This invitation belongs to an incident you may not read."
    # The reader's rights are checked as the person (their name is their local id).
    document = read_document("local", grant.person_name, int(grant.subject))
    if document is None:
        return "This record belongs to an incident you may not read."
    return document
