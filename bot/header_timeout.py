"""A bound on reading a request's headers, which aiohttp does not have: a client that opens a
connection and sends its headers a byte at a time (slow loris) would hold the connection, and
a slot of the server, for as long as it likes. From the first byte of a request (or from the
connection opening) its headers must arrive within ``timeout`` seconds, or the connection is
closed. A request whose headers have arrived is not timed by this (bodies, long handlers)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_server import Server


class _TimedHandler(RequestHandler):
    header_timeout = 10.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._header_deadline: asyncio.TimerHandle | None = None
        self._arm()

    def data_received(self, data: bytes) -> None:
        before = len(self._messages)
        super().data_received(data)
        if len(self._messages) > before or self._upgraded:
            self._disarm()  # the headers are in
        elif data and self._waiting_for_headers() and self._header_deadline is None:
            self._arm()  # the first bytes of the next request on a kept-alive connection

    def connection_lost(self, exc: BaseException | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _waiting_for_headers(self) -> bool:
        return not self._messages and self._current_request is None

    def _arm(self) -> None:
        self._header_deadline = self._loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _too_slow(self) -> None:
        self._header_deadline = None
        if self._waiting_for_headers() and self.transport is not None:
            self.transport.close()


class _TimedServer(Server):
    header_timeout = 10.0

    def __call__(self) -> RequestHandler:
        handler = _TimedHandler(self, loop=self._loop, **self._kwargs)
        handler.header_timeout = self.header_timeout
        return handler


class TimedAppRunner(web.AppRunner):
    """``web.AppRunner`` whose connections must send their headers within ``header_timeout``."""

    def __init__(self, app: web.Application, *, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._header_timeout = header_timeout

    async def _make_server(self) -> Server:
        server = await super()._make_server()
        server.__class__ = _TimedServer  # the same server, making timed handlers
        server.header_timeout = self._header_timeout  # type: ignore[attr-defined]
        return server
