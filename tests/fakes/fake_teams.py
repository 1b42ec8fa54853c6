"""Fake Microsoft services on loopback for the Teams tests: the Bot Connector and Graph (aiohttp
apps that record every call and can fail on request), and an identity service that publishes
OpenID metadata and signing keys, and signs the tokens the channel would send.

The identity service runs in a plain thread: botbuilder fetches it with blocking ``requests``.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from aiohttp import web
from jwt.algorithms import RSAAlgorithm

from bot.teams.auth import TeamsCredentials, fixed_tokens
from bot.teams.cards import CARD_TYPE
from tests.fakes.keys import signing_keys

CONNECTOR_TOKEN = "connector-token-7f3a"
GRAPH_TOKEN = "graph-token-91bd"


@dataclass
class Call:
    method: str
    path: str
    body: dict[str, Any]
    status: int
    auth: str


class _Recorder:
    calls: list[Call]
    _cond: threading.Condition

    def wait_for(self, predicate: Any, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [f"{c.method} {c.path} {c.status}" for c in self.calls]
                    raise AssertionError(f"{type(self).__name__} never saw that; calls: {seen}")
                self._cond.wait(timeout=min(left, 0.05))

    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()


@dataclass
class FakeConnector(_Recorder):
    """The Bot Connector: conversations, their messages (with edits), and queued failures."""

    token: str | None = CONNECTOR_TOKEN
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by conversation
    # The next posts to a conversation fail with (status, headers), e.g. a 429.
    failures: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    cards: list[dict[str, Any]] = field(default_factory=list)  # every card sent, in order
    # Posts to conversations whose id starts with this wait until ``release()`` (or 20 s),
    # as a slow connector would: the bot can be killed with replies in flight.
    hold: str | None = None
    # Messages deleted in Teams: editing one is answered 404, as Teams answers it.
    gone: set[str] = field(default_factory=set)
    # Graph's channels, when the connector should know them: a post to a private channel the
    # app has not been added to is refused, as Teams refuses it (403).
    graph: FakeGraph | None = None
    url: str = ""
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _n: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{conv}/activities", self._post)
        app.router.add_post("/v3/conversations/{conv}/activities/{id}", self._post)
        app.router.add_put("/v3/conversations/{conv}/activities/{id}", self._put)
        return app

    def release(self) -> None:
        self.hold = None

    async def _held(self, conversation: str) -> None:
        waited = 0.0
        while self.hold is not None and conversation.startswith(self.hold) and waited < 20:
            await asyncio.sleep(0.02)
            waited += 0.02

    def posts(self, conversation: str) -> list[dict[str, Any]]:
        return self.messages.get(conversation, [])

    def texts(self, conversation: str) -> list[str]:
        return [m.get("text") or "" for m in self.posts(conversation)]

    def ok(self, method: str, part: str = "") -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status < 300 and part in c.path]

    def _next_id(self) -> str:
        self._n += 1
        return f"{1764000000000 + self._n}"

    def _refused(self, request: web.Request, body: dict[str, Any]) -> web.Response | None:
        auth = request.headers.get("Authorization", "")
        if self.token is not None and auth != f"Bearer {self.token}":
            self._record(Call(request.method, request.path, body, 401, auth))
            return web.json_response({"error": {"code": "Unauthorized"}}, status=401)
        queued = self.failures.get(request.match_info.get("conv", ""))
        if request.method == "POST" and queued:
            status, headers = queued.pop(0)
            self._record(Call(request.method, request.path, body, status, auth))
            return web.json_response(
                {"error": {"code": "Throttled" if status == 429 else "ServiceError"}},
                status=status,
                headers=headers,
            )
        return None

    def _store(self, conversation: str, body: dict[str, Any], message_id: str) -> None:
        for attachment in body.get("attachments") or []:
            if attachment.get("contentType") == CARD_TYPE:
                self.cards.append(attachment["content"])
        self.messages.setdefault(conversation, []).append(
            {"id": message_id, **{k: body.get(k) for k in ("text", "attachments", "replyToId")}}
        )

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        refused = self._refused(request, body)
        if refused is not None:
            return refused
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        first = self._next_id()
        if body.get("isGroup") and channel:
            conversation = f"{channel};messageid={first}"  # a new thread in the channel
        else:
            members = body.get("members") or [{}]
            conversation = f"a:personal-{members[0].get('id', '')}"
        if body.get("activity"):
            self._store(conversation, body["activity"], first)
        self._record(
            Call("POST", request.path, body, 201, request.headers.get("Authorization", ""))
        )
        return web.json_response(
            {"id": conversation, "activityId": first, "serviceUrl": self.url}, status=201
        )

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        await self._held(request.match_info["conv"])
        refused = self._refused(request, body)
        if refused is not None:
            return refused
        if self.graph is not None and not self.graph.app_in(request.match_info["conv"]):
            auth = request.headers.get("Authorization", "")
            self._record(Call("POST", request.path, body, 403, auth))
            return web.json_response({"error": {"code": "BotNotInConversationRoster"}}, status=403)
        message_id = self._next_id()
        self._store(request.match_info["conv"], body, message_id)
        self._record(
            Call("POST", request.path, body, 200, request.headers.get("Authorization", ""))
        )
        return web.json_response({"id": message_id})

    async def _put(self, request: web.Request) -> web.Response:
        body = await request.json()
        refused = self._refused(request, body)
        if refused is not None:
            return refused
        conversation, message_id = request.match_info["conv"], request.match_info["id"]
        if message_id in self.gone:
            self._record(
                Call("PUT", request.path, body, 404, request.headers.get("Authorization", ""))
            )
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        for message in self.messages.get(conversation, []):
            if message["id"] == message_id:
                message.update(text=body.get("text"), attachments=body.get("attachments"))
                message["edited"] = message.get("edited", 0) + 1
        for attachment in body.get("attachments") or []:
            if attachment.get("contentType") == CARD_TYPE:
                self.cards.append(attachment["content"])
        self._record(Call("PUT", request.path, body, 200, request.headers.get("Authorization", "")))
        return web.json_response({"id": message_id})


@dataclass
class Stored:
    """A file as it arrived: where (a channel's files folder, or an upload URL), its bytes."""

    where: str
    name: str
    content: bytes
    headers: dict[str, str]


@dataclass
class FakeGraph(_Recorder):
    """Graph's channels of one team; ``refuse`` answers 403 as a tenant without consent does.
    Also the channels' files folders (``files``), the OneDrive upload sessions Teams opens
    for the file consent card (``/upload/{session}``, in ``files`` too), and online meetings
    made with createOrGet (``meetings``, by external id); ``refuse_files`` and
    ``refuse_meetings`` answer 403 as a tenant that did not grant them does.

    A private channel keeps its members (``members``: Azure AD id -> roles) and the apps added
    to it (``apps``): Graph requires an owner among the members an app creates it with, and
    takes members only into private channels. A taken name is refused with the error code
    ``NameAlreadyExists``; its message is ``taken_message``, whose words Graph may change."""

    token: str = GRAPH_TOKEN
    calls: list[Call] = field(default_factory=list)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    refuse: bool = False
    # Refuse adding the app to a private channel (no TeamsAppInstallation permission).
    refuse_apps: bool = False
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    files: list[Stored] = field(default_factory=list)
    meetings: dict[str, dict[str, Any]] = field(default_factory=dict)
    refuse_files: bool = False
    refuse_meetings: bool = False
    # The organisation's directory (users as Graph holds them: id, displayName, givenName,
    # surname, userPrincipalName, mail); ``refuse_people`` answers 403, as without
    # User.ReadBasic.All.
    people: list[dict[str, Any]] = field(default_factory=list)
    refuse_people: bool = False
    url: str = ""
    taken_message: str = "Channel name already existed, please use other name."
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _memberships: int = 0

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1.0/teams/{team}/channels", self._create)
        app.router.add_get("/v1.0/teams/{team}/channels", self._list)
        app.router.add_post("/v1.0/teams/{team}/channels/{channel}/archive", self._archive)
        app.router.add_get("/v1.0/teams/{team}/channels/{channel}/filesFolder", self._folder)
        app.router.add_put("/v1.0/drives/{drive}/items/{target:.+}", self._put_file)
        app.router.add_put("/upload/{session}", self._upload_session)
        app.router.add_post("/v1.0/users/{user}/onlineMeetings/createOrGet", self._meeting)
        app.router.add_get("/v1.0/users", self._users)
        app.router.add_get("/v1.0/users/{user}", self._user)
        app.router.add_post("/v1.0/teams/{team}/channels/{channel}/members", self._add_member)
        app.router.add_get("/v1.0/teams/{team}/channels/{channel}/members", self._members)
        app.router.add_delete(
            "/v1.0/teams/{team}/channels/{channel}/members/{membership}", self._remove_member
        )
        app.router.add_post(
            "/beta/teams/{team}/channels/{channel}/enabledApps/$ref", self._enable_app
        )
        return app

    def stored(self, where: str) -> list[Stored]:
        return [f for f in self.files if f.where == where]

    def _has_token(self, request: web.Request) -> bool:
        return request.headers.get("Authorization", "") == f"Bearer {self.token}"

    async def _folder(self, request: web.Request) -> web.Response:
        channel = self.channels.get(request.match_info["channel"])
        if not self._has_token(request):
            return self._answer(request, {}, 401, {"error": {"code": "InvalidAuthenticationToken"}})
        if self.refuse_files:
            return self._answer(
                request, {}, 403, {"error": {"code": "Forbidden", "message": "Missing role"}}
            )
        name = channel["displayName"] if channel else request.match_info["channel"]
        folder = {
            "id": f"folder-{request.match_info['channel']}",
            "name": name,
            "webUrl": f"https://contoso.sharepoint.test/sites/opss/Shared%20Documents/{name}",
            "parentReference": {"driveId": "drive-opss"},
        }
        return self._answer(request, {}, 200, folder)

    async def _put_file(self, request: web.Request) -> web.Response:
        # /drives/{drive}/items/{folder}:/{filename}:/content
        target = request.match_info["target"]
        content = await request.read()
        if not self._has_token(request):
            return self._answer(request, {}, 401, {"error": {"code": "InvalidAuthenticationToken"}})
        folder, _, rest = target.partition(":/")
        name = rest.removesuffix(":/content")
        body = {"name": name, "size": len(content), "query": dict(request.query)}
        with self._cond:
            self.files.append(Stored(folder, name, content, dict(request.headers)))
        item = {
            "id": f"item-{len(self.files)}",
            "name": name,
            "size": len(content),
            "webUrl": f"https://contoso.sharepoint.test/sites/opss/{folder}/{name}",
        }
        return self._answer(request, body, 201, item)

    async def _upload_session(self, request: web.Request) -> web.Response:
        """The upload URL of a file consent card: no bearer token (the URL is the grant)."""
        content = await request.read()
        session = request.match_info["session"]
        with self._cond:
            self.files.append(Stored(f"upload:{session}", session, content, dict(request.headers)))
        body = {"size": len(content), "range": request.headers.get("Content-Range", "")}
        return self._answer(request, body, 201, {"id": f"onedrive-{session}", "size": len(content)})

    async def _meeting(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not self._has_token(request):
            return self._answer(
                request, body, 401, {"error": {"code": "InvalidAuthenticationToken"}}
            )
        if self.refuse_meetings:
            message = "No application access policy found for this app."
            return self._answer(
                request, body, 403, {"error": {"code": "Forbidden", "message": message}}
            )
        key = body.get("externalId")
        if not key:
            return self._answer(request, body, 400, {"error": {"message": "externalId missing"}})
        meeting = self.meetings.get(key)
        if meeting is None:
            n = len(self.meetings) + 1
            meeting = {
                "id": f"meeting-{n}",
                "externalId": key,
                "subject": body.get("subject"),
                "startDateTime": body.get("startDateTime"),
                "endDateTime": body.get("endDateTime"),
                "organizer": request.match_info["user"],
                "joinWebUrl": f"https://teams.microsoft.test/l/meetup-join/meeting-{n}",
            }
            self.meetings[key] = meeting
        return self._answer(request, body, 201, meeting)

    def searches(self) -> list[Call]:
        """The directory searches the bot made (``GET /v1.0/users``)."""
        return [c for c in self.calls if c.method == "GET" and c.path == "/v1.0/users"]

    def _people_refused(self, request: web.Request) -> web.Response | None:
        if not self._has_token(request):
            return self._answer(
                request, dict(request.query), 401, {"error": {"code": "InvalidAuthenticationToken"}}
            )
        if self.refuse_people:
            return self._answer(
                request,
                dict(request.query),
                403,
                {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient"}},
            )
        return None

    def _selected(self, request: web.Request, user: dict[str, Any]) -> dict[str, Any]:
        wanted = request.query.get("$select")
        if not wanted:
            return dict(user)
        return {k: user.get(k) for k in wanted.split(",")}

    async def _users(self, request: web.Request) -> web.Response:
        """``$filter`` of ``startswith(property,'literal')`` clauses joined by ``or``, as
        Graph parses it: a literal's quote is doubled; anything else is a 400, as Graph
        answers a filter it cannot parse."""
        refused = self._people_refused(request)
        if refused is not None:
            return refused
        query = dict(request.query)
        clauses = _startswith_clauses(request.query.get("$filter", ""))
        if clauses is None:
            return self._answer(
                request,
                query,
                400,
                {"error": {"code": "BadRequest", "message": "Invalid filter clause"}},
            )
        top = int(request.query.get("$top", "100"))
        found = [
            self._selected(request, u)
            for u in self.people
            if any(str(u.get(p) or "").casefold().startswith(v.casefold()) for p, v in clauses)
        ]
        return self._answer(request, query, 200, {"value": found[:top]})

    async def _user(self, request: web.Request) -> web.Response:
        refused = self._people_refused(request)
        if refused is not None:
            return refused
        wanted = request.match_info["user"]
        user = next((u for u in self.people if u["id"] == wanted), None)
        if user is None:
            return self._answer(
                request, dict(request.query), 404, {"error": {"code": "Request_ResourceNotFound"}}
            )
        return self._answer(request, dict(request.query), 200, self._selected(request, user))

    def private_members(self, channel_id: str) -> dict[str, list[str]]:
        """A private channel's members (Azure AD id -> roles), as Graph holds them now."""
        channel = self.channels[channel_id]
        return {m["userId"]: m["roles"] for m in channel.get("members", [])}

    def app_in(self, conversation: str) -> bool:
        """Whether the bot may post there: anywhere but a private channel it is not in."""
        channel = self.channels.get(conversation.split(";messageid=", 1)[0])
        return channel is None or channel["membershipType"] != "private" or bool(channel["apps"])

    def _authorised(self, request: web.Request, body: dict[str, Any]) -> web.Response | None:
        if request.headers.get("Authorization", "") != f"Bearer {self.token}":
            return self._answer(
                request, body, 401, {"error": {"code": "InvalidAuthenticationToken"}}
            )
        return None

    def _membership(self, user: str, roles: list[str]) -> dict[str, Any]:
        self._memberships += 1
        return {"id": f"membership-{self._memberships}", "userId": user, "roles": roles}

    @staticmethod
    def _bound_user(member: dict[str, Any]) -> str:
        """The Azure AD id in ``user@odata.bind`` (``…/users('aad-ian')``)."""
        bound = str(member.get("user@odata.bind", ""))
        return bound.rsplit("users('", 1)[-1].rstrip("')") if "users('" in bound else ""

    async def _add_member(self, request: web.Request) -> web.Response:
        body = await request.json()
        refused = self._authorised(request, body)
        if refused is not None:
            return refused
        channel = self.channels.get(request.match_info["channel"])
        if channel is None:
            return self._answer(request, body, 404, {"error": {"code": "NotFound"}})
        if channel["membershipType"] != "private":
            return self._answer(
                request,
                body,
                400,
                {"error": {"code": "BadRequest", "message": "Only private or shared channels"}},
            )
        user = self._bound_user(body)
        if user in self.private_members(channel["id"]):
            return self._answer(request, body, 409, {"error": {"code": "Conflict"}})
        member = self._membership(user, list(body.get("roles") or []))
        channel["members"].append(member)
        return self._answer(request, body, 201, member)

    async def _members(self, request: web.Request) -> web.Response:
        refused = self._authorised(request, {})
        if refused is not None:
            return refused
        channel = self.channels.get(request.match_info["channel"])
        if channel is None:
            return self._answer(request, {}, 404, {"error": {"code": "NotFound"}})
        return self._answer(request, {}, 200, {"value": list(channel.get("members", []))})

    async def _remove_member(self, request: web.Request) -> web.Response:
        refused = self._authorised(request, {})
        if refused is not None:
            return refused
        channel = self.channels.get(request.match_info["channel"])
        wanted = request.match_info["membership"]
        if channel is None or not any(m["id"] == wanted for m in channel.get("members", [])):
            return self._answer(request, {}, 404, {"error": {"code": "NotFound"}})
        channel["members"] = [m for m in channel["members"] if m["id"] != wanted]
        return self._answer(request, {}, 204, {})

    async def _enable_app(self, request: web.Request) -> web.Response:
        body = await request.json()
        refused = self._authorised(request, body)
        if refused is not None:
            return refused
        if self.refuse_apps:
            return self._answer(
                request, body, 403, {"error": {"code": "Forbidden", "message": "Missing role"}}
            )
        channel = self.channels.get(request.match_info["channel"])
        if channel is None:
            return self._answer(request, body, 404, {"error": {"code": "NotFound"}})
        channel["apps"].append(str(body.get("@odata.id", "")).rsplit("/", 1)[-1])
        return self._answer(request, body, 204, {})

    async def _archive(self, request: web.Request) -> web.Response:
        channel = self.channels.get(request.match_info["channel"])
        if request.headers.get("Authorization", "") != f"Bearer {self.token}":
            return self._answer(request, {}, 401, {"error": {"code": "InvalidAuthenticationToken"}})
        if channel is None:
            return self._answer(request, {}, 404, {"error": {"code": "NotFound"}})
        if channel.get("isArchived"):
            return self._answer(
                request, {}, 400, {"error": {"message": "Channel is already archived."}}
            )
        channel["isArchived"] = True
        return self._answer(request, {}, 202, {})

    def add_channel(self, name: str, description: str = "", membership: str = "standard") -> str:
        channel_id = f"19:graph{len(self.channels) + 1}@thread.tacv2"
        self.channels[channel_id] = {
            "id": channel_id,
            "displayName": name,
            "description": description,
            "membershipType": membership,
            "members": [],
            "apps": [],
        }
        return channel_id

    def named(self, name: str) -> dict[str, Any] | None:
        return next((c for c in self.channels.values() if c["displayName"] == name), None)

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        auth = request.headers.get("Authorization", "")
        if auth != f"Bearer {self.token}":
            return self._answer(
                request, body, 401, {"error": {"code": "InvalidAuthenticationToken"}}
            )
        if self.failures:
            status, headers = self.failures.pop(0)
            return self._answer(
                request, body, status, {"error": {"code": "TooManyRequests"}}, headers
            )
        if self.refuse:
            return self._answer(
                request, body, 403, {"error": {"code": "Forbidden", "message": "Missing role"}}
            )
        name = body.get("displayName", "")
        if len(name) > 50 or not name:
            return self._answer(request, body, 400, {"error": {"message": "displayName invalid"}})
        if self.named(name) is not None:
            return self._answer(
                request,
                body,
                400,
                {"error": {"code": "NameAlreadyExists", "message": self.taken_message}},
            )
        membership = body.get("membershipType", "standard")
        members = [
            self._membership(self._bound_user(m), list(m.get("roles") or []))
            for m in body.get("members") or []
        ]
        if membership == "private" and not any("owner" in m["roles"] for m in members):
            return self._answer(
                request,
                body,
                400,
                {"error": {"code": "BadRequest", "message": "An owner is required"}},
            )
        channel_id = self.add_channel(name, body.get("description", ""), membership)
        self.channels[channel_id]["members"] = members
        shown = {k: v for k, v in self.channels[channel_id].items() if k not in ("members", "apps")}
        return self._answer(request, body, 201, shown)

    async def _list(self, request: web.Request) -> web.Response:
        wanted = request.query.get("$filter", "")
        found = [c for c in self.channels.values() if f"'{c['displayName']}'" in wanted]
        return self._answer(request, dict(request.query), 200, {"value": found})

    def _answer(
        self,
        request: web.Request,
        body: dict[str, Any],
        status: int,
        data: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        self._record(
            Call(
                request.method, request.path, body, status, request.headers.get("Authorization", "")
            )
        )
        return web.json_response(data, status=status, headers=headers)


_CLAUSE = re.compile(r"startswith\((displayName|givenName|surname|mail),'((?:[^']|'')*)'\)")


def _startswith_clauses(text: str) -> list[tuple[str, str]] | None:
    """(property, prefix) of each clause, or None when the filter is not only such clauses."""
    clauses: list[tuple[str, str]] = []
    at = 0
    while True:
        match = _CLAUSE.match(text, at)
        if match is None:
            return None
        clauses.append((match.group(1), match.group(2).replace("''", "'")))
        at = match.end()
        if at == len(text):
            return clauses
        if not text.startswith(" or ", at):
            return None
        at += len(" or ")


def fixed_credentials(app_id: str) -> TeamsCredentials:
    """Outbound tokens for tests: MSAL refuses an http:// authority, so no MSAL here."""
    return fixed_tokens(app_id, CONNECTOR_TOKEN, GRAPH_TOKEN)


class Identity:
    """The channel's identity service: a key pair, its OpenID metadata and JWKS over HTTP
    (from a thread), and tokens signed like the Bot Framework's."""

    def __init__(self, issuer: str = "https://api.botframework.test") -> None:
        self.issuer = issuer
        self.key, self.other_key = signing_keys("bot framework")
        self.kid = "test-key-1"
        self.url = ""
        self.metadata_fetches = 0
        self.gate: threading.Event | None = None  # when set, metadata waits for it

    @contextmanager
    def serving(self) -> Iterator[str]:
        identity = self
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, use="sig", endorsements=["msteams"])

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if "/keys" in self.path:
                    self._json({"keys": [jwk]})
                    return
                identity.metadata_fetches += 1
                if identity.gate is not None:
                    identity.gate.wait(timeout=15)
                self._json({"issuer": identity.issuer, "jwks_uri": f"{identity.url}/keys"})

            def _json(self, data: dict[str, Any]) -> None:
                raw = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            # A distinct metadata URL each time: botbuilder caches metadata by URL, class-wide.
            yield f"{self.url}/{uuid.uuid4().hex}/.well-known/openid-configuration"
        finally:
            server.shutdown()
            server.server_close()

    def token(
        self,
        audience: str,
        service_url: str,
        *,
        key: Any = None,
        kid: str | None = None,
        issuer: str | None = None,
        expires_in: int = 3600,
        algorithm: str = "RS256",
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload = {
            "iss": issuer or self.issuer,
            "aud": audience,
            "serviceurl": service_url,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": now + expires_in,
            **claims,
        }
        headers = {"kid": kid or self.kid}
        if algorithm == "none":
            return jwt.encode(payload, None, algorithm="none", headers=headers)
        return jwt.encode(payload, key or self.key, algorithm=algorithm, headers=headers)


def main() -> None:
    """``python -m tests.fakes.fake_teams PORT``: the fake Bot Connector on its own (benchmarks)."""
    import sys

    connector = FakeConnector()
    connector.url = f"http://127.0.0.1:{sys.argv[1]}"
    web.run_app(
        connector.app(), host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None
    )


if __name__ == "__main__":
    main()
