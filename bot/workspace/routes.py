"""HTTP routes of the local workspace: the page, its assets, and a small JSON API.

It listens on 127.0.0.1 only and has no accounts: whoever uses the page picks a user name.
A custom request header is required on writes so another web page cannot post here.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web
from sqlalchemy import select

from bot.workspace.demo import run_demo
from cards.adaptive import render_card, render_form
from commands.context import Reply, Request, Submission
from commands.engine import Engine
from commands.scheduler import seconds_to_next_due
from rules.timeparse import show
from storage.models import LocalChannel, LocalMessage, Person
from storage.unit_of_work import Database

STATIC = Path(__file__).with_name("static")
ROOT = Path(__file__).resolve().parents[2]
ADAPTIVECARDS_JS = ROOT / "node_modules" / "adaptivecards" / "dist" / "adaptivecards.min.js"
HEADER = "X-OPSS-Local"
MESSAGES_SHOWN = 300
USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")


def reply_json(reply: Reply) -> dict[str, Any]:
    return {
        "ok": reply.ok,
        "text": reply.text,
        "ephemeral": reply.ephemeral,
        "errors": reply.errors,
        # A card also posted in the channel is not repeated in the reply.
        "card": render_card(reply.card) if reply.card and reply.ephemeral else None,
        "form": render_form(reply.form) if reply.form else None,
    }


class Workspace:
    def __init__(
        self,
        db: Database,
        engine: Engine,
        general_channel: str,
        advance_clock: Any = None,
    ) -> None:
        self.db = db
        self.engine = engine
        self.general_channel = general_channel
        self.advance_clock = advance_clock

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/", self.index),
            web.get("/vendor/adaptivecards.js", self.adaptivecards),
            web.static("/static", STATIC),
            web.get("/api/state", self.state),
            web.get("/api/channels/{id}/messages", self.messages),
            web.post("/api/command", self.command),
            web.post("/api/submit", self.submit),
            web.get("/api/documents/{id}", self.document),
        ]

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html")

    async def adaptivecards(self, request: web.Request) -> web.StreamResponse:
        if not ADAPTIVECARDS_JS.exists():
            raise web.HTTPServiceUnavailable(
                text="The Adaptive Cards renderer is not installed: run npm ci (./dev start "
                "does it for you)."
            )
        return web.FileResponse(ADAPTIVECARDS_JS)

    def _user(self, raw: Any) -> str:
        name = str(raw or "").strip().lower()
        if not USER_NAME.match(name):
            raise web.HTTPBadRequest(
                text="User: pick a user name of letters, digits, dots, hyphens (at most 40)."
            )
        return name

    def _check_header(self, request: web.Request) -> None:
        if request.headers.get(HEADER) != "1":
            raise web.HTTPForbidden(text=f"missing {HEADER} header")

    async def state(self, request: web.Request) -> web.Response:
        user = self._user(request.query.get("user", "guest"))

        def work() -> dict[str, Any]:
            with self.db.read() as session:
                channels = session.scalars(select(LocalChannel).order_by(LocalChannel.id)).all()
                people = session.scalars(select(Person).order_by(Person.name)).all()
                return {
                    "channels": [
                        {
                            "id": str(c.id),
                            "name": c.name,
                            "topic": c.topic,
                            "private": c.private,
                            "closed": c.archived_at is not None,
                        }
                        for c in channels
                        if not c.private or user in c.members
                    ],
                    "people": [
                        {"name": p.name, "display_name": p.display_name}
                        for p in people
                        if ":" not in p.name
                    ],
                    "general": self.general_channel,
                    "now": show(self.engine.clock.now()),
                }

        return web.json_response(await asyncio.to_thread(work))

    async def messages(self, request: web.Request) -> web.Response:
        user = self._user(request.query.get("user", "guest"))
        channel_id = int(request.match_info["id"])

        def work() -> dict[str, Any] | None:
            with self.db.read() as session:
                channel = session.get(LocalChannel, channel_id)
                if channel is None or (channel.private and user not in channel.members):
                    return None
                # The latest messages, each with its revision: cards edited in place re-render.
                rows = session.scalars(
                    select(LocalMessage)
                    .where(LocalMessage.channel_id == channel_id)
                    .order_by(LocalMessage.id.desc())
                    .limit(MESSAGES_SHOWN)
                ).all()[::-1]
                return {
                    "channel": {
                        "id": str(channel.id),
                        "name": channel.name,
                        "topic": channel.topic,
                        "private": channel.private,
                        "bookmarks": channel.bookmarks or [],
                        "closed": show(channel.archived_at) if channel.archived_at else None,
                    },
                    "messages": [
                        {
                            "id": m.id,
                            "author": m.author,
                            "text": m.text,
                            "card": m.card,
                            "pinned": m.pinned,
                            "revision": m.revision,
                            "at": show(m.created_at),
                            "file": _file_link(m.attachment, user),
                        }
                        for m in rows
                    ],
                }

        result = await asyncio.to_thread(work)
        if result is None:
            raise web.HTTPNotFound(text="No such channel, or you are not a member of it.")
        return web.json_response(result)

    async def command(self, request: web.Request) -> web.Response:
        self._check_header(request)
        body = await request.json()
        user = self._user(body.get("user"))
        text = str(body.get("text", ""))
        clock_reply = self._clock_command(text)
        if clock_reply is not None:
            return web.json_response(clock_reply)
        if re.match(r"^\s*(/opss\s+)?demo\s*$", text, re.IGNORECASE):
            channel = str(body.get("channel", self.general_channel))
            return web.json_response(
                reply_json(await asyncio.to_thread(run_demo, self.engine, channel))
            )
        reply = await asyncio.to_thread(
            self.engine.handle,
            Request(
                surface="local",
                user_id=user,
                user_name=user,
                channel=str(body.get("channel", self.general_channel)),
                text=text,
                idempotency_key=_key(body),
            ),
        )
        return web.json_response(reply_json(reply))

    async def submit(self, request: web.Request) -> web.Response:
        self._check_header(request)
        body = await request.json()
        user = self._user(body.get("user"))
        data = body.get("data")
        if not isinstance(data, dict):
            raise web.HTTPBadRequest(text="data: expected the card's submitted values")
        reply = await asyncio.to_thread(
            self.engine.submit,
            Submission(
                surface="local",
                user_id=user,
                user_name=user,
                channel=str(body.get("channel", self.general_channel)),
                data=data,
                idempotency_key=_key(body),
            ),
        )
        return web.json_response(reply_json(reply))

    async def document(self, request: web.Request) -> web.StreamResponse:
        """A record taken away, for a reader who may see the incident it belongs to."""
        user = self._user(request.query.get("user", ""))
        raw = request.match_info["id"]
        if not raw.isdigit():
            raise web.HTTPNotFound(text="No such document.")
        found = await asyncio.to_thread(self.engine.read_document, "local", user, int(raw))
        if found is None:
            raise web.HTTPNotFound(
                text="No such document, or it belongs to an incident you are not in."
            )
        filename, media_type, content = found
        return web.Response(
            body=content,
            content_type=media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-store",
            },
        )

    def _clock_command(self, text: str) -> dict[str, Any] | None:
        """``/opss clock +2h`` or ``/opss clock next``: local mode only, moves the workspace's
        clock forward (``next``: to the next reminder, sitrep prompt, chase or cut-off)."""
        m = re.match(r"^\s*(/opss\s+)?clock\b\s*(.*)$", text, re.IGNORECASE)
        if m is None:
            return None
        if self.advance_clock is None:
            return reply_json(Reply(text="The clock cannot be moved here.", ok=False))
        arg = m.group(2).strip().lower()
        if arg == "next":
            seconds = seconds_to_next_due(self.db, self.engine.clock)
            if seconds is None:
                return reply_json(
                    Reply(
                        text="Nothing is scheduled: declare an incident first (or try /opss demo).",
                        ok=False,
                    )
                )
            delta = timedelta(seconds=max(seconds, 0) + 1)
        else:
            step = re.match(r"^\+(\d+)\s*([mhd])$", arg)
            if step is None:
                return reply_json(
                    Reply(
                        text="clock: give how far to move forward, e.g. /opss "
                        "clock +2h (m minutes, h hours, d days), or next.",
                        ok=False,
                    )
                )
            amount, unit = int(step.group(1)), step.group(2)
            delta = {
                "m": timedelta(minutes=amount),
                "h": timedelta(hours=amount),
                "d": timedelta(days=amount),
            }[unit]
        now = self.advance_clock(delta)
        return reply_json(Reply(text=f"Clock moved forward to {show(now)}."))


def _file_link(attachment: dict[str, Any] | None, user: str) -> dict[str, Any] | None:
    if not attachment:
        return None
    return {
        "filename": attachment.get("filename", ""),
        "title": attachment.get("title", ""),
        "size": attachment.get("size", 0),
        "url": f"/api/documents/{attachment['document']}?user={quote(user)}",
    }


def _key(body: dict[str, Any]) -> str | None:
    raw = body.get("key")
    if raw is None:
        return None
    key = str(raw)[:100]
    return f"local:{key}" if key else None
