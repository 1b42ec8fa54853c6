"""A fake Slack Web API on loopback: records every call, keeps channels and messages, checks
every Block Kit payload with ``slack_sdk.models``, and fails on request (429, name_taken).

For Socket Mode, ``apps.connections.open`` (with the app-level token) answers ``socket_url``,
where ``tests/fakes/fake_socket.py`` speaks Slack's envelope protocol. A method named in ``held``
is answered only once its event is set (a slow Slack, for shutdown tests); one in
``held_after`` is carried out at once and answered only then (an answer the bot never hears).
Messages keep their ``metadata``, and ``conversations.history`` serves them back."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    status: int


@dataclass
class FakeSlack:
    token: str
    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # posts to response_url
    response_hooks: list[str] = field(default_factory=list)  # which response_url, in step
    failures: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)  # by id
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by channel id
    bookmarks: list[dict[str, Any]] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)  # users conversations.open was asked for
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # by file id
    invalid: list[str] = field(default_factory=list)  # Block Kit that failed validation
    base_url: str = ""
    validate: bool = True  # the benchmark turns it off: it measures the bot, not the fake
    app_token: str = ""  # the xapp- token apps.connections.open accepts
    socket_url: str = ""  # the ws:// URL apps.connections.open hands out
    held: dict[str, threading.Event] = field(default_factory=dict)  # answered once set
    # Done at once (the message is posted) but answered only once set: a lost answer.
    held_after: dict[str, threading.Event] = field(default_factory=dict)
    arrived: list[str] = field(default_factory=list)  # held methods that reached the fake
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _ts: int = 0

    # Test-side helpers ------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{hook}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        return app

    def wait_for(self, predicate: Any, timeout: float = 15.0) -> None:
        """Block until ``predicate(self)`` holds (signalled on every call), or fail."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"fake Slack never saw that; calls: {self.methods()}")
                # Woken by every call; the short cap re-checks conditions on the bot's database.
                self._cond.wait(timeout=min(left, 0.05))

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def ok_calls(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200]

    def add_channel(self, name: str, *, member: bool, private: bool = True) -> str:
        channel_id = f"C{len(self.channels) + 100}"
        self.channels[channel_id] = {
            "id": channel_id,
            "name": name,
            "is_private": private,
            "is_member": member,
            "topic": "",
            "members": set(),
        }
        return channel_id

    def channel_named(self, name: str) -> dict[str, Any] | None:
        return next((c for c in self.channels.values() if c["name"] == name), None)

    # Server side --------------------------------------------------------------------------

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.validate:
            self._check_blocks(body.get("blocks"), "response_url")
        with self._cond:
            self.responses.append(body)
            self.response_hooks.append(request.match_info["hook"])
            self._cond.notify_all()
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL files.getUploadURLExternal hands out: it receives the file's bytes."""
        file_id = request.match_info["file_id"]
        body = await request.read()
        with self._cond:
            if file_id not in self.files:
                return web.Response(status=404, text="unknown upload")
            self.files[file_id]["content"] = body
            self._cond.notify_all()
        return web.Response(text=f"OK - {len(body)}")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        token = self.app_token if method == "apps.connections.open" else self.token
        if request.headers.get("Authorization") != f"Bearer {token}":
            return self._record(method, args, 200, {"ok": False, "error": "invalid_auth"})
        gate = self.held.get(method)
        if gate is not None:
            with self._cond:
                self.arrived.append(method)
                self._cond.notify_all()
            await asyncio.to_thread(gate.wait, 30)
        queued = self.failures.get(method)
        if queued:
            status, headers = queued.pop(0)
            body = {"ok": False, "error": "ratelimited" if status == 429 else "internal_error"}
            return self._record(method, args, status, body, headers)
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        result = handler(args) if handler else {}
        after = self.held_after.get(method)
        if after is not None:  # done, but the answer waits: a bot killed before it hears it
            with self._cond:
                self.arrived.append(method)
                self._cond.notify_all()
            await asyncio.to_thread(after.wait, 30)
        if "error" in result:
            return self._record(method, args, 200, {"ok": False, **result})
        return self._record(method, args, 200, {"ok": True, **result})

    def _record(
        self,
        method: str,
        args: dict[str, Any],
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        if status == 200 and body.get("ok") and self.validate:
            self._check_blocks(args.get("blocks"), method)
            if "view" in args:
                self._check_view(args["view"], method)
        with self._cond:
            self.calls.append(
                Call(method, args, status if body.get("ok") else (status if status != 200 else 400))
            )
            self._cond.notify_all()
        return web.json_response(body, status=status, headers=headers)

    def _check_blocks(self, blocks: Any, where: str) -> None:
        if not blocks:
            return
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        try:
            for block in Block.parse_all(blocks):
                block.to_dict()  # validates Slack's limits
        except Exception as exc:
            self.invalid.append(f"{where}: {exc}")

    def _check_view(self, view: Any, where: str) -> None:
        if isinstance(view, str):
            view = json.loads(view)
        try:
            View(**view).to_dict()
        except Exception as exc:
            self.invalid.append(f"{where}: {exc}")

    def _next_ts(self) -> str:
        # Real seconds, as Slack's are (a reader's ``oldest`` compares with them), and a
        # counter after the point so that every message's ts is unique and increasing.
        self._ts += 1
        return f"{int(time.time())}.{self._ts:06d}"

    # Web API methods ----------------------------------------------------------------------

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "user_id": "UBOT",
            "bot_id": "BBOT",
            "team_id": "T1",
            "user": "opss",
            "url": "https://opss-test.example/",
        }

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args["channel"]
        if channel not in self.channels and not channel.startswith(("C", "U", "D")):
            return {"error": "channel_not_found"}
        if self.channels.get(channel, {}).get("is_archived"):
            return {"error": "is_archived"}
        ts = self._next_ts()
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        self.messages.setdefault(channel, []).append(
            {
                "ts": ts,
                "text": args.get("text", ""),
                "blocks": args.get("blocks"),
                "pinned": False,
                "metadata": metadata,
            }
        )
        return {"channel": channel, "ts": ts}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        """A person's direct conversation with the app, made once (as Slack's)."""
        users = str(args.get("users", "")).split(",")
        if len(users) != 1 or not users[0].startswith(("U", "W")):
            return {"error": "user_not_found"}
        self.opened.append(users[0])
        self.messages.setdefault(self.dm(users[0]), [])  # it has a history, empty at first
        return {"channel": {"id": self.dm(users[0])}}

    def dm(self, user: str) -> str:
        """The id of the app's direct conversation with ``user``."""
        return "D" + user

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """Newest first, after ``oldest``, paged by ``cursor``; message metadata only with
        ``include_all_metadata`` (as Slack's). A user id is not a conversation: it has none."""
        channel = str(args.get("channel", ""))
        if channel.startswith(("U", "W")) or (
            channel not in self.messages and channel not in self.channels
        ):
            return {"error": "channel_not_found"}
        oldest = float(args.get("oldest") or 0)
        every = str(args.get("include_all_metadata", "")).lower() in {"true", "1"}
        found = [
            {
                "type": "message",
                "ts": m["ts"],
                "text": m["text"],
                **({"metadata": m["metadata"]} if every and m.get("metadata") else {}),
            }
            for m in reversed(self.messages.get(args["channel"], []))
            if float(m["ts"]) > oldest
        ]
        start = int(args.get("cursor") or 0)
        limit = min(int(args.get("limit") or 100), 999)
        page = found[start : start + limit]
        more = start + limit < len(found)
        return {
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        for message in self.messages.get(args["channel"], []):
            if message["ts"] == args["ts"]:
                message.update(text=args.get("text", ""), blocks=args.get("blocks"))
                return {"channel": args["channel"], "ts": args["ts"]}
        return {"error": "message_not_found"}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"message_ts": self._next_ts()}

    def _chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = str(args["message_ts"]).replace(".", "")
        return {"permalink": f"https://opss-test.example/archives/{args['channel']}/p{ts}"}

    def _conversations_create(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.channel_named(args["name"]) is not None:
            return {"error": "name_taken"}
        private = str(args.get("is_private")).lower() in {"true", "1"}
        channel_id = self.add_channel(args["name"], member=True, private=private)
        return {"channel": {k: v for k, v in self.channels[channel_id].items() if k != "members"}}

    def _conversations_list(self, args: dict[str, Any]) -> dict[str, Any]:
        visible = [
            {k: v for k, v in c.items() if k != "members"}
            for c in self.channels.values()
            if c["is_member"] or not c["is_private"]
        ]
        return {"channels": visible, "response_metadata": {"next_cursor": ""}}

    def _conversations_setTopic(self, args: dict[str, Any]) -> dict[str, Any]:
        self.channels[args["channel"]]["topic"] = args["topic"]
        return {}

    def _conversations_invite(self, args: dict[str, Any]) -> dict[str, Any]:
        self.channels[args["channel"]]["members"] |= set(str(args["users"]).split(","))
        return {}

    def _pins_add(self, args: dict[str, Any]) -> dict[str, Any]:
        for message in self.messages.get(args["channel"], []):
            if message["ts"] == args["timestamp"]:
                message["pinned"] = True
        return {}

    def _bookmarks_add(self, args: dict[str, Any]) -> dict[str, Any]:
        self.bookmarks.append(args)
        return {"bookmark": {"id": f"Bk{len(self.bookmarks)}", **args}}

    def _conversations_archive(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(args["channel"])
        if channel is None:
            return {"error": "channel_not_found"}
        if channel.get("is_archived"):
            return {"error": "already_archived"}
        channel["is_archived"] = True
        return {}

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return {"error": "invalid_arguments"}
        file_id = f"F{len(self.files) + 1:04d}"
        self.files[file_id] = {
            "id": file_id,
            "filename": args["filename"],
            "length": int(args["length"]),
            "content": None,
            "channel": None,
            "title": None,
        }
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        listed = args.get("files")
        items = json.loads(listed) if isinstance(listed, str) else listed or []
        channel = self.channels.get(str(args.get("channel_id", "")))
        if channel is not None and channel.get("is_archived"):
            return {"error": "is_archived"}
        done = []
        for item in items:
            record = self.files.get(item.get("id", ""))
            if record is None or record["content"] is None:
                return {"error": "file_not_found"}
            if len(record["content"]) != record["length"]:
                return {"error": "file_upload_size_mismatch"}
            record["title"] = item.get("title")
            record["channel"] = args.get("channel_id")
            done.append({"id": record["id"], "title": record["title"], "name": record["filename"]})
        return {"files": done}

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.socket_url} if self.socket_url else {"error": "not_allowed"}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"view": {"id": f"V{len(self.calls)}"}}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"view": {"id": args.get("view_id", "")}}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"view": {"id": f"VH{len(self.calls)}"}}


def main() -> None:
    """``python -m tests.fakes.fake_slack PORT TOKEN [CHANNEL ...]``: serve it on its own."""
    import sys

    port, token = int(sys.argv[1]), sys.argv[2]
    fake = FakeSlack(token, validate=False)
    for name in sys.argv[3:]:
        fake.add_channel(name, member=True, private=False)
    web.run_app(fake.app(), host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
