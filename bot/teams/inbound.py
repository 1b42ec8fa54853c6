"""Teams messages recorded in the inbox, answered, and processed after (as Slack's commands).

A message activity whose token checked out is written to the inbox (bot/inbox.py) with the
claims that authenticated it, and only then answered 201; its turn runs after, a few at a
time, and the row is marked done. A process killed after the 201 leaves the row undone, and
the next process to start runs it. Teams redelivers an activity it thinks was lost with the
same id: one already recorded (or being recorded) by this process is answered 200 and not
recorded again, and one recorded before a restart is kept from doing anything twice by the
engine's idempotency key, which is the activity's id.

Invokes (a card's button, a file consent) are answered with their result, and a
conversation update is rare: those still run before the answer (bot/teams/surface.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from botbuilder.schema import Activity

from bot.inbox import Inbox

log = logging.getLogger(__name__)

KIND = "message"
WORKERS = 2  # recorded messages processed at once (SQLite has one writer)
REMEMBERED = 10_000  # activity ids kept to answer a redelivery without a second row
# The claims a replayed turn needs (its connector's app id and audience); never the token.
CLAIMS = ("aud", "iss", "serviceurl", "appid", "azp", "ver")

Turn = Callable[[dict[str, Any], Activity], Awaitable[None]]


class Inbound:
    def __init__(self, inbox: Inbox, turn: Turn) -> None:
        self.inbox = inbox
        self.turn = turn
        # Told when acknowledged work starts, so a shutdown waits for it (bot/lifecycle.py).
        self.track: Callable[[], None] = lambda: None
        self._working = asyncio.Semaphore(WORKERS)
        # Activity id -> None once recorded, or the recording of it still under way.
        self._seen: OrderedDict[str, asyncio.Future[bool] | None] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    async def accept(self, body: dict[str, Any], claims: dict[str, Any]) -> web.Response:
        """Record the activity, then answer; its turn is started after the answer is decided."""
        key = activity_key(body)
        if key is not None and key in self._seen:
            recording = self._seen[key]
            # A copy that arrives while the first is being recorded waits for it: it is
            # answered 200 only once the activity is durable, else 503 so Teams sends it again.
            if recording is None or await asyncio.shield(recording):
                log.info("Teams activity delivered again: already recorded")
                return web.Response(status=200)
            return _unrecorded()
        recording = asyncio.get_running_loop().create_future()
        self._remember(key, recording)
        kept = {k: claims[k] for k in CLAIMS if k in claims}
        try:
            entry = await self.inbox.record(KIND, {"activity": body, "claims": kept})
        except Exception:
            if key is not None:
                self._seen.pop(key, None)  # not recorded: a redelivery must be taken
            recording.set_result(False)
            log.exception("could not record a Teams message; not acknowledged as received")
            return _unrecorded()
        recording.set_result(True)
        self._start(entry, body, kept)
        return web.Response(status=201)

    async def replay(self) -> None:
        """At start: the messages a stopped process acknowledged and did not finish."""
        rows = await asyncio.to_thread(self.inbox.claim_undone)
        if rows:
            log.info("processing %d acknowledged Teams messages left unfinished", len(rows))
        for entry, kind, stored in rows:
            if kind != KIND or not isinstance(stored.get("activity"), dict):
                log.warning("inbox row %s of unknown kind %s left unprocessed", entry, kind)
                continue
            self._remember(activity_key(stored["activity"]), None)
            self._start(entry, stored["activity"], dict(stored.get("claims") or {}))

    async def drain(self) -> None:
        """Wait for every started turn (tests, and a clean stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    def _start(self, entry: int, body: dict[str, Any], claims: dict[str, Any]) -> None:
        task = asyncio.create_task(self._process(entry, body, claims))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, entry: int, body: dict[str, Any], claims: dict[str, Any]) -> None:
        self.track()
        try:
            async with self._working:
                await self.turn(claims, Activity().deserialize(body))
        except Exception:
            # Its command, if it ran, has committed; the person is told by the engine's reply.
            log.exception("Teams message (inbox row %s) failed", entry)
        finally:
            await self.inbox.done(entry)

    def _remember(self, key: str | None, recording: asyncio.Future[bool] | None) -> None:
        if key is None:
            return
        self._seen[key] = recording
        while len(self._seen) > REMEMBERED:
            self._seen.popitem(last=False)


def _unrecorded() -> web.Response:
    return web.json_response(
        {"error": "the bot could not record that; nothing was done"}, status=503
    )


def activity_key(body: dict[str, Any]) -> str | None:
    """One activity: Teams' ids are unique within a conversation (None: it has no id)."""
    if not body.get("id"):
        return None
    conversation = body.get("conversation") or {}
    return f"{conversation.get('id', '')}\n{body['id']}"
