"""HTTP routes of the local workspace: the page, its assets, and a small JSON API.

Who is using it: in ``pick`` mode (loopback only, refused elsewhere at start-up) whoever
uses the page picks a user name; in ``password`` mode a signed-in session says (see
``sign_in.py``). Every API request must name this server in ``Host`` (a loopback name, or
``OPSS_PUBLIC_URL``'s host: no DNS rebinding) and, when a browser sends ``Origin``, come from
this server's own page; writes also need a custom header, which another site's page cannot
send without a CORS preflight that this server never grants. What arrives is checked for
shape before the engine sees it: anything else is a 400 that says what was wrong.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.checks import LOOPBACK_NAMES, is_loopback
from bot.config import Settings
from bot.workspace.demo import run_demo
from bot.workspace.entra import EntraSignIn
from bot.workspace.said_once import said_once
from bot.workspace.sign_in import (
    COOKIE,
    HOST_COOKIE,
    Busy,
    HashingPool,
    person_for_token,
    sign_out,
)
from bot.workspace.welcome import welcome_card
from cards.adaptive import render_card, render_form
from commands.core.context import Reply, Request, Submission, UserError
from commands.core.engine import FAILED, Engine
from commands.core.inputs import InputProblem, clean_text
from commands.core.people import pickable
from commands.mi.figures import dashboard, parse_filters
from commands.records import downloads
from rules.mi import PERIODS
from rules.throttle import wait_words
from rules.timeparse import show
from storage import repositories as repo
from storage.models import Document, LocalChannel, LocalMessage, Person
from storage.unit_of_work import Database

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
ROOT = Path(__file__).resolve().parents[2]
NODE = ROOT / "node_modules"
# The page's libraries, kept as npm packages (package.json): the Adaptive Cards renderer, and
# markdown-it with DOMPurify for the Markdown a TextBlock may hold.
VENDOR = {
    "adaptivecards.js": NODE / "adaptivecards" / "dist" / "adaptivecards.min.js",
    "markdown-it.js": NODE / "markdown-it" / "dist" / "browser" / "markdown-it.umd.min.js",
    "purify.js": NODE / "dompurify" / "dist" / "purify.min.js",
    # The management-information dashboard's charts.
    "chart.js": NODE / "chart.js" / "dist" / "chart.umd.min.js",
}
ADAPTIVECARDS_JS = VENDOR["adaptivecards.js"]
HEADER = "X-OPSS-Local"
MESSAGES_SHOWN = 300
USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
MAX_NAME = 80  # a name to sign in with
CHANNEL_ID = re.compile(r"^[0-9]{1,9}$")
DEMO = re.compile(r"^\s*(/opss\s+)?demo\s*$", re.IGNORECASE)
MAX_BODY = 256 * 1024


def reply_json(reply: Reply) -> dict[str, Any]:
    return {
        "ok": reply.ok,
        "text": reply.text,
        # When the text only sums the card up, the page shows the card alone (as Slack does).
        "summary": reply.card.summary if reply.card else None,
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
        settings: Settings,
        settle: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.db = db
        # Delivers the workspace's queued posts (the outbox, for this surface) before a
        # command's reply is sent: the page shows the reply below what the command posted.
        self.settle = settle
        self.engine = engine
        self.general_channel = general_channel
        self.mode = settings.workspace_sign_in
        self.secure_cookie = (settings.public_url or "").startswith("https://")
        public = urlsplit(settings.public_url or "").hostname
        # Its own names: loopback, the address it is bound to, and its public name.
        self.hosts = LOOPBACK_NAMES | {settings.host.strip("[]").lower()}
        self.hosts |= {public.lower()} if public else set()
        self.hashing = HashingPool()
        self.cookie = HOST_COOKIE if self.mode == "oidc" else COOKIE
        self.hours = settings.session_hours
        self.idle = timedelta(minutes=settings.session_idle_minutes)
        self.entra = (
            EntraSignIn(db, engine.clock, settings, check_host=self._check_host, client_of=_client)
            if self.mode == "oidc"
            else None
        )

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.get("/", self.index),
            web.get("/vendor/{name}", self.vendor),
            web.static("/static", STATIC),
            web.get("/api/state", self.state),
            web.get("/api/channels/{id}/messages", self.messages),
            web.post("/api/command", self.command),
            web.post("/api/submit", self.submit),
            web.get("/api/documents/{id}", self.document),
            web.get("/mi", self.mi_page),
            web.get("/api/mi", self.mi),
            web.post("/api/sign-in", self.sign_in),
            web.post("/api/sign-out", self.sign_out),
            *(self.entra.routes() if self.entra else []),
        ]

    async def index(self, request: web.Request) -> web.StreamResponse:
        self._check_host(request)
        return web.FileResponse(STATIC / "index.html")

    async def mi_page(self, request: web.Request) -> web.StreamResponse:
        self._check_host(request)
        return web.FileResponse(STATIC / "mi.html")

    async def mi(self, request: web.Request) -> web.Response:
        """The dashboard's figures for the person using the page (``commands/mi``): refused,
        and audited, for anyone whose role does not give them this view."""
        self._check_host(request)
        if self.mode != "pick" and self.cookie not in request.cookies:
            return web.json_response({"mode": self.mode, "me": None}, status=401)
        try:
            user = await self._who(request, request.query.get("user", "guest"))
        except web.HTTPUnauthorized:
            return web.json_response({"mode": self.mode, "me": None}, status=401)
        try:
            filters = parse_filters(
                self.engine.options.functional_areas,
                request.query.get("area"),
                request.query.get("period"),
                request.query.get("exercises", "") in {"1", "true", "yes", "on"},
            )
        except UserError as exc:
            return web.json_response({"error": exc.message, "field": exc.field}, status=400)
        found, reply = await asyncio.to_thread(
            self.engine.read, "local", user, user, lambda ctx: dashboard(ctx, filters)
        )
        choices = {
            "areas": list(self.engine.options.functional_areas),
            "periods": [{"value": k, "label": words} for k, (_, words) in PERIODS.items()],
        }
        if found is None:
            status = 503 if reply.text == FAILED else 403
            return web.json_response({"me": user, "refused": reply.text, **choices}, status=status)
        return web.json_response({"me": user, "mode": self.mode, **choices, **found.as_json()})

    async def vendor(self, request: web.Request) -> web.StreamResponse:
        path = VENDOR.get(request.match_info["name"])
        if path is None:
            raise web.HTTPNotFound(text="No such library.")
        if not path.exists():
            raise web.HTTPServiceUnavailable(
                text="The page's libraries are not installed: run npm ci (./dev start "
                "does it for you)."
            )
        return web.FileResponse(path)

    # Where a request comes from, and who sends it ------------------------------------------

    def _check_host(self, request: web.Request) -> None:
        host = urlsplit(f"//{request.headers.get('Host', '')}").hostname or ""
        # Any loopback address (127.0.0.2 too) is this machine; names other than its own are
        # refused, which is what stops DNS rebinding.
        if not self._ours(host):
            raise web.HTTPMisdirectedRequest(text="This server does not answer for that host.")

    def _ours(self, host: str) -> bool:
        return host.lower() in self.hosts or is_loopback(host)

    def _check_write(self, request: web.Request) -> None:
        self._check_host(request)
        origin = request.headers.get("Origin")
        if origin is not None and not self._ours(urlsplit(origin).hostname or ""):
            raise web.HTTPForbidden(text="Requests from other sites are refused.")
        if request.headers.get(HEADER) != "1":
            raise web.HTTPForbidden(text=f"missing {HEADER} header")

    async def _who(self, request: web.Request, picked: Any) -> str:
        """The user's name: picked (demo mode) or from the signed-in session."""
        if self.mode == "pick":
            name = str(picked or "guest").strip().lower() if isinstance(picked, str | None) else ""
            if not USER_NAME.match(name):
                raise web.HTTPBadRequest(
                    text="User: pick a user name of letters, digits, dots, hyphens (at most 40)."
                )
            return name
        person = await asyncio.to_thread(
            person_for_token,
            self.db,
            request.cookies.get(self.cookie),
            self.engine.clock.now(),
            self.idle,
        )
        if person is None:
            raise web.HTTPUnauthorized(text="Sign in first.")
        return person.name

    async def _body(self, request: web.Request) -> dict[str, Any]:
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise web.HTTPRequestEntityTooLarge(
                max_size=MAX_BODY, actual_size=request.content_length
            )
        try:
            body = json.loads(await request.text())
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise web.HTTPBadRequest(text="The request body must be a JSON object.") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="The request body must be a JSON object.")
        return body

    def _channel_id(self, raw: Any) -> int:
        text = str(raw if raw is not None else self.general_channel)
        if not CHANNEL_ID.match(text):
            raise web.HTTPBadRequest(text="Channel: expected a channel number.")
        return int(text)

    def _channel(self, user: str, raw: Any) -> LocalChannel | None:
        """The channel if it exists and the user may see it (members only for a private one)."""
        with self.db.read() as session:
            channel = session.get(LocalChannel, self._channel_id(raw))
            if channel is None or (channel.private and user not in channel.members):
                return None
            return channel

    async def _where(self, user: str, raw: Any) -> str:
        channel = await asyncio.to_thread(self._channel, user, raw)
        if channel is None:
            raise web.HTTPNotFound(text="No such channel, or you are not a member of it.")
        return str(channel.id)

    # Sign-in (password mode) --------------------------------------------------------------

    async def sign_in(self, request: web.Request) -> web.Response:
        self._check_write(request)
        if self.mode != "password":
            raise web.HTTPNotFound(
                text="Sign in with Microsoft (/auth/sign-in)."
                if self.mode == "oidc"
                else "This workspace has no sign-in: pick who you are."
            )
        body = await self._body(request)
        name, secret = body.get("name"), body.get("secret")
        if not isinstance(name, str) or not isinstance(secret, str) or len(secret) > 1000:
            raise web.HTTPBadRequest(text="Sign in with your user name and secret.")
        try:  # text no database stores or hash reads (a lone surrogate, NUL): said, not a 500
            clean_text("user_name", name, MAX_NAME)
            clean_text("secret", secret, 1000)
        except InputProblem as exc:
            raise web.HTTPBadRequest(text=exc.message) from None
        now = self.engine.clock.now()
        try:
            outcome = await self.hashing.sign_in(
                self.db, name.strip().lower(), secret, _client(request), now, self.hours
            )
        except Busy:
            raise web.HTTPServiceUnavailable(
                text="Sign-in is busy: try again in a few seconds.", headers={"Retry-After": "2"}
            ) from None
        if outcome.wait_until is not None:
            raise web.HTTPTooManyRequests(
                text="Too many failed sign-ins for this name or from this address: "
                f"{wait_words(outcome.wait_until, now)}.",
                headers={"Retry-After": str(_seconds(outcome.wait_until, now))},
            )
        if outcome.token is None:
            later = f" Then {wait_words(outcome.next_try, now)}." if outcome.next_try else ""
            raise web.HTTPUnauthorized(text=f"That user name and secret do not match.{later}")
        token = outcome.token
        response = web.json_response({"ok": True})
        response.set_cookie(
            COOKIE,
            token,
            httponly=True,
            samesite="Strict",
            secure=self.secure_cookie,
            max_age=self.hours * 3600,
            path="/",
        )
        return response

    async def sign_out(self, request: web.Request) -> web.Response:
        self._check_write(request)
        await asyncio.to_thread(
            sign_out, self.db, request.cookies.get(self.cookie), self.engine.clock.now()
        )
        response = web.json_response({"ok": True})
        # A __Host- cookie is only replaced by one that is Secure too.
        response.del_cookie(self.cookie, path="/", secure=self.cookie == HOST_COOKIE or None)
        return response

    # Reading ------------------------------------------------------------------------------

    async def state(self, request: web.Request) -> web.Response:
        self._check_host(request)
        if self.mode != "pick" and self.cookie not in request.cookies:
            return web.json_response({"mode": self.mode, "me": None})
        try:
            user = await self._who(request, request.query.get("user", "guest"))
        except web.HTTPUnauthorized:  # refused, and the page still learns how to sign in
            return web.json_response({"mode": self.mode, "me": None}, status=401)

        def work() -> dict[str, Any]:
            with self.db.read() as session:
                channels = session.scalars(select(LocalChannel).order_by(LocalChannel.id)).all()
                people = pickable(session)  # who may be picked, as on every surface
                return {
                    "mode": self.mode,
                    "me": user,
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
                        {
                            "name": p.name,
                            "display_name": p.display_name,
                            "label": picker_label(session, p),
                        }
                        for p in people
                    ],
                    "general": self.general_channel,
                    "now": show(self.engine.clock.now()),
                    "welcome": render_card(welcome_card(session, user, pick=self.mode == "pick")),
                }

        return web.json_response(await asyncio.to_thread(work))

    async def messages(self, request: web.Request) -> web.Response:
        self._check_host(request)
        user = await self._who(request, request.query.get("user", "guest"))
        channel_id = self._channel_id(request.match_info["id"])

        def work() -> dict[str, Any] | None:
            channel = self._channel(user, channel_id)
            if channel is None:
                return None
            with self.db.read() as session:
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

    # Acting -------------------------------------------------------------------------------

    async def command(self, request: web.Request) -> web.Response:
        self._check_write(request)
        body = await self._body(request)
        user = await self._who(request, body.get("user"))
        text = body.get("text", "")
        if not isinstance(text, str):
            raise web.HTTPBadRequest(text="Text: expected the command as text.")
        channel = await self._where(user, body.get("channel"))
        before = await asyncio.to_thread(self._last_message)
        answer = await self._typed(user, channel, body, text)
        return web.json_response(await self._settled(answer, channel, before))

    def _last_message(self) -> int:
        with self.db.read() as session:
            return int(session.scalar(select(func.max(LocalMessage.id))) or 0)

    async def _settled(self, answer: dict[str, Any], channel: str, before: int) -> dict[str, Any]:
        """The reply, once what the command posted is in its channels (the page shows the
        posts, then the reply below them), less what those posts in this channel show."""
        if self.settle is not None:
            try:
                await self.settle()
            except Exception:  # the reply stands; the posts follow on the worker's next pass
                log.exception("workspace: delivering the command's posts failed")

        def posted() -> list[tuple[str, Any]]:
            with self.db.read() as session:
                rows = session.execute(
                    select(LocalMessage.text, LocalMessage.card)
                    .where(LocalMessage.channel_id == int(channel), LocalMessage.id > before)
                    .order_by(LocalMessage.id)
                    .limit(MESSAGES_SHOWN)
                ).tuples()
                return [(text, card) for text, card in rows]

        return said_once(answer, await asyncio.to_thread(posted))

    async def _typed(
        self, user: str, channel: str, body: dict[str, Any], text: str
    ) -> dict[str, Any]:
        """A typed command or a card's button: the workspace's demo, or the engine."""
        if DEMO.match(text[:100]):
            if self.mode != "pick":
                return reply_json(
                    Reply(text="The demo runs only in the loopback demo mode.", ok=False)
                )
            return reply_json(await asyncio.to_thread(run_demo, self.engine, channel))
        reply = await asyncio.to_thread(
            self.engine.handle,
            Request(
                surface="local",
                user_id=user,
                user_name=user,
                channel=channel,
                text=text,
                idempotency_key=_key(body),
            ),
        )
        return reply_json(reply)

    async def submit(self, request: web.Request) -> web.Response:
        self._check_write(request)
        body = await self._body(request)
        user = await self._who(request, body.get("user"))
        data = body.get("data")
        if not isinstance(data, dict):
            raise web.HTTPBadRequest(text="data: expected the card's submitted values")
        channel = await self._where(user, body.get("channel"))
        before = await asyncio.to_thread(self._last_message)
        if isinstance(data.get("command"), str):  # a card's button, e.g. "Run the demo"
            answer = await self._typed(user, channel, body, data["command"])
            return web.json_response(await self._settled(answer, channel, before))
        reply = await asyncio.to_thread(
            self.engine.submit,
            Submission(
                surface="local",
                user_id=user,
                user_name=user,
                channel=channel,
                data=data,
                idempotency_key=_key(body),
            ),
        )
        return web.json_response(await self._settled(reply_json(reply), channel, before))

    async def document(self, request: web.Request) -> web.StreamResponse:
        """A record taken away: a one-time link for this reader, followed at once (the file
        itself is served, checked and audited by ``/exports/``, as every download is)."""
        self._check_host(request)
        user = await self._who(request, request.query.get("user", "guest"))
        raw = request.match_info["id"]
        if not raw.isdigit() or len(raw) > 12:
            raise web.HTTPNotFound(text="No such document.")

        def mint() -> str | None:
            now = self.engine.clock.now()
            with self.db.unit_of_work() as session:
                person = session.scalar(select(Person).where(Person.name == user))
                if person is None or session.get(Document, int(raw)) is None:
                    return None
                return downloads.mint(session, person, "local", "document", raw, "", now)

        token = await asyncio.to_thread(mint)
        if token is None:
            raise web.HTTPNotFound(
                text="No such document, or it belongs to an incident you are not in."
            )
        raise web.HTTPSeeOther(
            location=downloads.PATH + token, headers={"Cache-Control": "no-store"}
        )


def _file_link(attachment: dict[str, Any] | None, user: str) -> dict[str, Any] | None:
    if not attachment:
        return None
    return {
        "filename": attachment.get("filename", ""),
        "title": attachment.get("title", ""),
        "size": attachment.get("size", 0),
        "url": f"/api/documents/{attachment['document']}?user={quote(user)}",
    }


def _client(request: web.Request) -> str:
    """The caller's address: nginx on this host (deploy/nginx) appends the address it saw to
    X-Forwarded-For; from anywhere else the header is the caller's word and is ignored."""
    remote = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and remote in {"127.0.0.1", "::1"}:
        return forwarded.rsplit(",", 1)[-1].strip()[:64] or remote
    return remote


def _seconds(until: datetime, now: datetime) -> int:
    return max(1, int((until - now).total_seconds() + 0.999))


def _key(body: dict[str, Any]) -> str | None:
    raw = body.get("key")
    if not isinstance(raw, str) or not raw:
        return None
    return raw[:100]


def picker_label(session: Session, person: Person) -> str:
    """A demo person as the picker offers them: their name and the roles they hold."""
    actor = repo.actor_for(session, person)
    return f"{person.display_name} ({actor.describe()})" if actor.grants else person.display_name
