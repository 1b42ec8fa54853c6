"""A fake Slack Socket Mode endpoint on loopback, speaking Slack's envelope protocol.

A client connects to the ``ws://`` URL that the fake Web API's ``apps.connections.open``
handed out and is greeted with ``hello``. The test sends envelopes (a slash command, an
interaction) and reads the client's acknowledgements, each naming the ``envelope_id`` and
carrying any response payload (a modal's inline errors); ``disconnect`` asks the client to
fetch a new URL and reconnect, as Slack does every few hours.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web


@dataclass
class FakeSocketMode:
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)  # by envelope_id
    connections: int = 0  # connections opened so far (each greeted with hello)
    open_now: int = 0
    _sockets: list[tuple[web.WebSocketResponse, asyncio.AbstractEventLoop]] = field(
        default_factory=list
    )
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/link", self._connect)
        return app

    # Test side ------------------------------------------------------------------------------

    def wait_for(self, predicate: Any, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"socket never saw that: {self.connections} connections, "
                        f"acks {list(self.acks)}"
                    )
                self._cond.wait(timeout=left)

    def send(self, kind: str, payload: dict[str, Any]) -> str:
        """Deliver an envelope on the newest connection; returns its envelope_id."""
        envelope_id = uuid.uuid4().hex
        self._send(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
                "payload": payload,
            }
        )
        return envelope_id

    def ack(self, envelope_id: str) -> dict[str, Any]:
        """Wait for the client's acknowledgement of an envelope."""
        self.wait_for(lambda s: envelope_id in s.acks)
        return self.acks[envelope_id]

    def disconnect(self) -> None:
        """Slack's request to reconnect (the client must open a new connection)."""
        self._send({"type": "disconnect", "reason": "refresh_requested", "debug_info": {}})

    def _send(self, message: dict[str, Any]) -> None:
        with self._cond:
            ws, loop = self._sockets[-1]
        asyncio.run_coroutine_threadsafe(ws.send_str(json.dumps(message)), loop).result(10)

    # Server side ----------------------------------------------------------------------------

    async def _connect(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        with self._cond:
            self._sockets.append((ws, asyncio.get_running_loop()))
            self.connections += 1
            self.open_now += 1
            self._cond.notify_all()
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "fake", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": "A1"},
                }
            )
        )
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                with self._cond:
                    if "envelope_id" in data:
                        self.acks[data["envelope_id"]] = data
                    self._cond.notify_all()
        finally:
            with self._cond:
                self.open_now -= 1
                self._cond.notify_all()
        return ws
