"""Delivering queued posts: in order per conversation, retried with backoff, never twice.

Posts are written by the command's own unit of work (``storage.repositories.enqueue``); this
worker delivers them after commit. A platform outage delays posts and never drops them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import case, func, select

from bot.leader import LeaderLock
from bot.logs import request_id
from bot.messaging import Created, DeliveryError, Messenger, Where
from cards.model import Card
from commands.core import outbox as ops
from commands.core.clock import Clock
from storage import repositories as repo
from storage.conversations import ConversationKey
from storage.models import ChannelBinding, Document, Identity, OutboxMessage, OutboxStatus
from storage.unit_of_work import Database

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=5)
UNPACED = frozenset({"local"})  # the local workspace has no rate limit to respect
BATCH = 500  # conversations served per pass; the next pass picks up the rest


class DeliveryObserver(Protocol):
    """Told of each delivery and each failure (metrics); must not raise."""

    def delivered(self, surface: str, op: str) -> None: ...

    def failed(self, surface: str, rate_limited: bool) -> None: ...


@runtime_checkable
class Replier(Protocol):
    """A messenger that delivers a command's reply to its caller (op ``reply``, queued by the
    engine for ``Request.reply_to``): ``destination`` is the surface's own ``reply_to``."""

    async def reply(self, destination: str, answer: ops.Answer) -> dict[str, Any]: ...


@runtime_checkable
class PostFinder(Protocol):
    """A messenger that can find a post it made by its delivery key (Slack, in the message's
    metadata): asked before re-sending a post whose delivery is unknown."""

    async def find_post(
        self, channel_id: str, delivery_key: str, since: datetime
    ) -> str | None: ...


@runtime_checkable
class MeetingMaker(Protocol):
    """A messenger that makes online meetings (Teams): a post that asks for one carries its
    join link. None: not configured, or refused (the post goes without)."""

    async def online_meeting(self, meeting: ops.Meeting) -> str | None: ...


JOIN = "Join the Teams meeting"


async def with_meeting(
    messenger: Messenger, card: Card | None, meeting: ops.Meeting | None
) -> Card | None:
    """The card with the meeting's join link, where the surface makes meetings."""
    if meeting is None or not isinstance(messenger, MeetingMaker):
        return card
    url = await messenger.online_meeting(meeting)
    if not url:
        return card
    card = card or Card(title=meeting.subject)
    return replace(card, links=(*card.links, (JOIN, url)))


@runtime_checkable
class Remover(Protocol):
    """A messenger that takes people out of a channel (op ``remove``: they left the incident)."""

    async def remove(self, channel_id: str, members: list[str]) -> None: ...


@runtime_checkable
class Pointer(Protocol):
    """A messenger that names a conversation it made as people see it, with a link (a
    message's ``about``); without one, the conversation is named by its bound name."""

    def where(self, channel_id: str, name: str) -> Where: ...


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=2 ** min(attempts, 10)), MAX_BACKOFF)


class OutboxWorker:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        messengers: dict[str, Messenger],
        *,
        leader: LeaderLock | None = None,
        pace_seconds: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
        coalesce_seconds: float = 0.1,
    ) -> None:
        self.db = db
        self.clock = clock
        self.messengers = messengers
        self.leader = leader
        # At most one delivery per channel per ``pace_seconds`` (Slack allows about one post
        # per second per channel); measured in real time, not the domain clock.
        self.pace_seconds = pace_seconds
        self.monotonic = monotonic
        self._last: dict[ConversationKey, float] = {}
        # When a failed message may be tried again, on the same real-time clock as pacing:
        # the domain clock can stand still (a frozen demo clock) or jump, and a retry timed on
        # it would never come or come at once. Kept in memory: after a restart, or in a new
        # leader, a message is tried once at once, then backs off again.
        self._retry_at: dict[int, float] = {}
        self.coalesce_seconds = coalesce_seconds
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.observer: DeliveryObserver | None = None
        self._stopping = False
        # Posts whose delivery is unknown: tried and failed in a way that may have landed,
        # or at the head of a lane when this worker took over (a process that died while
        # posting it). Before one is sent again, the platform is asked whether it has it.
        self._unknown: set[int] = set()
        self._seen_upto: int | None = None  # the last row queued before this worker led
        self._lanes_begun: set[ConversationKey] = set()
        # Lanes whose channel was archived, and the archiving row's id: nothing queued after
        # it is posted there (a reminder that fell due as the incident closed).
        self._archived: dict[ConversationKey, int] = {}

    def kick(self) -> None:
        """Called after a commit that queued posts; safe from any thread."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self, poll_seconds: float) -> None:
        self._loop = asyncio.get_running_loop()
        while not self._stopping:
            try:
                await self.drain()
            except Exception:  # keep delivering; the row keeps its error for inspection
                log.exception("outbox drain failed")
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
            # cancellation that races the wake-up, and the worker would never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll_seconds):
                    await self._wake.wait()
            # Every commit kicks the worker; a short gap lets a burst of commits share one
            # pass instead of paying for a pass each.
            await asyncio.sleep(self.coalesce_seconds)
            self._wake.clear()

    def stop(self) -> None:
        """Stop after the delivery in progress (``run`` then returns); safe from any thread."""
        self._stopping = True
        self.kick()

    async def drain(self, surface: str | None = None) -> int:
        """Deliver every due message (of one ``surface`` only, when named: the workspace's
        posts before its reply); returns how many were delivered.

        Each pass reads only the head of each conversation's queue, then walks that queue in
        order until a message is not delivered (not due, failed, or paced): a backlog of
        paced posts costs one small query per pass, not a reload of every pending row.
        """
        async with self._lock:
            if self.leader is not None and not await asyncio.to_thread(self.leader.try_acquire):
                self._seen_upto = None  # when this process leads again, it takes over anew
                return 0  # another process delivers
            if self._seen_upto is None:
                self._seen_upto = await asyncio.to_thread(self._last_id)
                self._lanes_begun.clear()
            delivered = 0
            for lane in await asyncio.to_thread(self._lanes, surface):
                if self._stopping:
                    break
                after = 0
                while not self._paced(lane) and not self._stopping:
                    message = await asyncio.to_thread(self._next, lane, after)
                    if message is None or not await self._deliver(message):
                        break  # keep order: nothing overtakes an undelivered earlier post
                    delivered += 1
                    self._last[lane] = self.monotonic()
                    after = message.id
            return delivered

    def _last_id(self) -> int:
        with self.db.read() as session:
            return int(session.scalar(select(func.max(OutboxMessage.id))) or 0)

    def _maybe_delivered(self, message: OutboxMessage) -> bool:
        """Whether an earlier attempt may have landed: only the head of each lane can have
        been in flight when a process died (a lane is delivered one message at a time)."""
        lane = ops.key_of(message)
        first = lane not in self._lanes_begun
        self._lanes_begun.add(lane)
        if message.id in self._unknown:
            return True
        return first and self._seen_upto is not None and message.id <= self._seen_upto

    def _paced(self, lane: ConversationKey) -> bool:
        if lane.surface in UNPACED:
            return False
        last = self._last.get(lane)
        return last is not None and self.monotonic() - last < self.pace_seconds

    def _lanes(self, surface: str | None = None) -> list[ConversationKey]:
        """Conversations with something undelivered: replies to a caller first (someone waits
        for each, and each is a lane of its own), then the one waiting longest."""
        only = [OutboxMessage.surface == surface] if surface is not None else []
        with self.db.read() as session:
            rows = session.execute(
                select(OutboxMessage.surface, OutboxMessage.conversation)
                .where(OutboxMessage.status == OutboxStatus.PENDING, *only)
                .group_by(OutboxMessage.surface, OutboxMessage.conversation)
                .order_by(
                    func.min(case((OutboxMessage.op == "reply", 0), else_=1)),
                    func.min(OutboxMessage.id),
                )
                .limit(BATCH)
            ).all()
            return [ConversationKey(surface, conversation) for surface, conversation in rows]

    def _next(self, lane: ConversationKey, after: int) -> OutboxMessage | None:
        """The oldest undelivered message of one conversation (a detached copy)."""
        with self.db.read() as session:
            return session.scalar(
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.surface == lane.surface,
                    OutboxMessage.conversation == lane.conversation,
                    OutboxMessage.id > after,
                )
                .order_by(OutboxMessage.id)
                .limit(1)
            )

    async def _deliver(self, message: OutboxMessage) -> bool:
        # A fresh post is due at once, whatever its timestamp: order is by sequence, so no
        # clock move can hold a queue. Only a retry waits for its time, in real time.
        if self.monotonic() < self._retry_at.get(message.id, float("-inf")):
            return False
        messenger = self.messengers.get(message.surface)
        if messenger is None:
            return False  # that surface is not running here; it stays queued
        # The command's request id follows its posts to the platform call (see bot/logs.py).
        token = request_id.set(str(message.payload.get("request_id") or f"outbox-{message.id}"))
        try:
            return await self._deliver_as(messenger, message)
        finally:
            request_id.reset(token)

    async def _deliver_as(self, messenger: Messenger, message: OutboxMessage) -> bool:
        try:
            result = await self._perform(messenger, message)
        except DeliveryError as exc:
            if exc.retry_after is None:  # a refusal with a wait was not carried out
                self._unknown.add(message.id)
            log.info("delivery of outbox %s failed, to retry: %s", message.id, exc)
            await asyncio.to_thread(self._failed, message.id, str(exc), exc.retry_after)
            if self.observer is not None:
                self.observer.failed(message.surface, exc.retry_after is not None)
            return False
        except Exception as exc:
            self._unknown.add(message.id)
            log.exception("delivery of outbox %s failed", message.id)
            await asyncio.to_thread(self._failed, message.id, type(exc).__name__, None)
            if self.observer is not None:
                self.observer.failed(message.surface, False)
            return False
        if result is None:
            return False
        await asyncio.to_thread(self._done, message.id, result)
        self._retry_at.pop(message.id, None)
        self._unknown.discard(message.id)
        log.info(
            "delivered outbox %s (%s) to %s: %s", message.id, message.op, message.surface, result
        )
        if self.observer is not None:
            self.observer.delivered(message.surface, message.op)
        return True

    async def _perform(self, messenger: Messenger, message: OutboxMessage) -> dict | None:
        op = ops.operation(message)
        key = ops.key_of(message)
        channel_id: str | None  # the channel created, or the one the conversation is bound to
        if op is None:
            return {"skipped": f"unknown operation {message.op}"}
        if isinstance(op, ops.CreateChannel):
            made = await messenger.create_channel(op.name, op.topic, op.private, list(op.members))
            created = made if isinstance(made, Created) else Created(made, op.name)
            await asyncio.to_thread(self._bind, key, created.id, created.name)
            return {"channel": created.id, "name": created.name}
        if isinstance(op, ops.Post | ops.Answer | ops.Tell) and op.about:
            pointed = await self._pointing(messenger, message.surface, op)
            if pointed is None:
                return None  # the conversation it points to is not made yet: wait for it
            op = pointed
        if isinstance(op, ops.Answer):  # to the caller: the destination is the surface's own
            if not isinstance(messenger, Replier):
                return {"skipped": f"{message.surface} takes no queued replies"}
            return await messenger.reply(message.conversation, op)
        if isinstance(op, ops.Tell):  # to a person: their surface's messenger finds where
            direct = await self._direct(messenger, message.surface, op.person)
            if direct is None:
                return {"skipped": f"no direct messages to person {op.person} here"}
            return await self._post(messenger, message, direct, op.as_post())
        if key.person is not None and isinstance(op, ops.Upload):  # a file for one person
            direct = await self._direct(messenger, message.surface, key.person)
            if direct is None:
                return {"skipped": f"no direct messages to person {key.person} here"}
            return await self._upload(messenger, message, direct, op)
        channel_id = await asyncio.to_thread(self._resolve, key)
        if channel_id is None:
            return None  # its channel is not created yet: wait for the create_channel row
        if not isinstance(op, ops.Archive) and await asyncio.to_thread(
            self._after_archive, key, message.id
        ):
            return {"skipped": "the conversation is archived"}
        if isinstance(op, ops.Invite):
            await messenger.invite(channel_id, list(op.members))
            return {"channel": channel_id}
        if isinstance(op, ops.Remove):
            if not isinstance(messenger, Remover):
                return {"skipped": f"{message.surface} takes no one out of a channel"}
            await messenger.remove(channel_id, list(op.members))
            return {"channel": channel_id, "removed": list(op.members)}
        if isinstance(op, ops.Update | ops.Bookmark):
            target = await asyncio.to_thread(self._anchor_target, message)
            if target is None:
                return None  # the post it refers to is not delivered yet
            if "skipped" in target:
                return target
            if isinstance(op, ops.Bookmark):
                await messenger.bookmark(channel_id, op.title, target["channel"], target["message"])
                return {"channel": channel_id, "bookmark": target["message"]}
            card = await with_meeting(messenger, op.card, op.meeting)
            await messenger.update(target["channel"], target["message"], op.text, card)
            return target
        if isinstance(op, ops.Archive):
            await messenger.archive(channel_id)
            self._archived.setdefault(key, message.id)
            return {"channel": channel_id, "archived": True}
        if isinstance(op, ops.Upload):
            return await self._upload(messenger, message, channel_id, op)
        return await self._post(messenger, message, channel_id, op)

    async def _direct(self, messenger: Messenger, surface: str, person: int) -> str | None:
        accounts = await asyncio.to_thread(self._accounts, surface, person)
        return await messenger.direct(accounts) if accounts else None

    async def _upload(
        self, messenger: Messenger, message: OutboxMessage, channel_id: str, op: ops.Upload
    ) -> dict:
        document = await asyncio.to_thread(self._document, op.document)
        if document is None:
            return {"skipped": f"no document {op.document}"}
        file_id = await messenger.upload(
            channel_id,
            document.filename,
            document.title,
            document.content,
            document.media_type,
            document.id,
            delivery_key=f"outbox-{message.id}",
        )
        return {"channel": channel_id, "file": file_id}

    async def _post(
        self, messenger: Messenger, message: OutboxMessage, channel_id: str, op: ops.Post
    ) -> dict:
        key = f"outbox-{message.id}"
        found = None
        if self._maybe_delivered(message) and isinstance(messenger, PostFinder):
            found = await messenger.find_post(channel_id, key, message.created_at)
            if found:
                log.info("outbox %s was already posted (%s): not posted again", message.id, found)
        message_id = found
        if not message_id:
            card = await with_meeting(messenger, op.card, op.meeting)
            message_id = await messenger.post(channel_id, op.text, card, delivery_key=key)
        if op.pin:
            await messenger.pin(channel_id, message_id)
        return {"channel": channel_id, "message": message_id}

    async def _pointing(
        self, messenger: Messenger, surface: str, op: ops.Post | ops.Answer | ops.Tell
    ) -> ops.Post | ops.Answer | ops.Tell | None:
        """``op`` with the conversation it is ``about`` named under its text, as the surface
        names it, with a link; None while that conversation is still to be made."""
        found = await asyncio.to_thread(self._made, surface, op.about)
        if found is None:
            return None
        if not found:  # never to be made on this surface: the message goes without it
            return replace(op, about="")
        channel_id, name = found
        where = messenger.where(channel_id, name) if isinstance(messenger, Pointer) else Where(name)
        return pointed(op, where)

    def _made(self, surface: str, conversation: str) -> tuple[str, str] | tuple[()] | None:
        """The bound channel (id, name) of a conversation; () when none is bound or queued to
        be made; None while its ``create_channel`` waits."""
        with self.db.read() as session:
            bound = repo.binding(session, surface, conversation)
            if bound is not None:
                return bound.external_id, bound.name
            waiting = session.scalar(
                select(OutboxMessage.id).where(
                    OutboxMessage.surface == surface,
                    OutboxMessage.conversation == conversation,
                    OutboxMessage.op == ops.CreateChannel.OP,
                    OutboxMessage.status == OutboxStatus.PENDING,
                )
            )
            return None if waiting is not None else ()

    def _after_archive(self, lane: ConversationKey, message_id: int) -> bool:
        """Whether the lane's channel was archived by a row before this one: checked when it
        is delivered, whatever was known when it was queued."""
        archived = self._archived.get(lane)
        if archived is None:
            with self.db.read() as session:
                archived = session.scalar(
                    select(func.min(OutboxMessage.id)).where(
                        OutboxMessage.surface == lane.surface,
                        OutboxMessage.conversation == lane.conversation,
                        OutboxMessage.op == ops.Archive.OP,
                        OutboxMessage.status == OutboxStatus.DELIVERED,
                    )
                )
            if archived is None:
                return False
            self._archived[lane] = archived
        return archived < message_id

    def _accounts(self, surface: str, person_id: int) -> list[str]:
        """The person's accounts on ``surface``, oldest first (the one they first used)."""
        with self.db.read() as session:
            return list(
                session.scalars(
                    select(Identity.external_id)
                    .where(Identity.person_id == person_id, Identity.surface == surface)
                    .order_by(Identity.id)
                )
            )

    def _anchor_target(self, message: OutboxMessage) -> dict[str, str] | None:
        """Where the post named by ``message.anchor`` was delivered, or None while it waits."""
        with self.db.read() as session:
            rows = session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.surface == message.surface,
                    OutboxMessage.anchor == message.anchor,
                    OutboxMessage.op == "post",
                    OutboxMessage.id < message.id,
                )
                .order_by(OutboxMessage.id.desc())
                .limit(1)
            ).all()
        if not rows:
            # Nothing to edit on this surface (posted elsewhere, or before anchors existed).
            return {"skipped": f"no post named {message.anchor}"}
        anchor = rows[0]
        if anchor.status != OutboxStatus.DELIVERED or not anchor.result:
            return None
        return {"channel": str(anchor.result["channel"]), "message": str(anchor.result["message"])}

    def _document(self, document_id: int) -> Document | None:
        with self.db.read() as session:
            return session.get(Document, document_id)

    def _resolve(self, key: ConversationKey) -> str | None:
        if key.channel is not None:
            return key.channel
        with self.db.read() as session:
            bound = repo.binding(session, key.surface, key.conversation)
            return bound.external_id if bound else None

    def _bind(self, key: ConversationKey, external_id: str, name: str) -> None:
        with self.db.unit_of_work() as session:
            if repo.binding(session, key.surface, key.conversation) is None:
                session.add(
                    ChannelBinding(
                        surface=key.surface,
                        conversation=key.conversation,
                        external_id=external_id,
                        name=name,
                    )
                )

    def _done(self, message_id: int, result: dict) -> None:
        with self.db.unit_of_work() as session:
            message = session.get(OutboxMessage, message_id)
            assert message is not None
            message.status = OutboxStatus.DELIVERED
            message.attempts += 1
            message.delivered_at = self.clock.now()
            message.result = result

    def _failed(self, message_id: int, error: str, retry_after: float | None) -> None:
        with self.db.unit_of_work() as session:
            message = session.get(OutboxMessage, message_id)
            assert message is not None
            message.attempts += 1
            wait = (
                timedelta(seconds=retry_after)
                if retry_after is not None
                else backoff(message.attempts)
            )
            message.last_error = error[:500]
        self._retry_at[message_id] = self.monotonic() + wait.total_seconds()


Pointed = ops.Post | ops.Answer | ops.Tell


def pointed(op: Pointed, where: Where) -> Pointed:
    """A message with the conversation it points to named under its text and, where there
    is a link, a button that opens it: on its card, or on a small card of its own (a reply
    whose card its caller is not shown gets that one instead)."""
    link = ((where.button, where.url),) if where.url else ()
    text = f"{op.text}\n{where.words}" if op.text else where.words
    hidden = isinstance(op, ops.Answer) and not op.ephemeral  # its caller sees its text only
    if op.card is not None and not hidden:
        return replace(op, text=text, card=replace(op.card, links=op.card.links + link), about="")
    if not link:
        return replace(op, text=text, about="")
    own = Card(title=where.words, links=link, exercise=op.text.startswith("EXERCISE"))
    if isinstance(op, ops.Answer):
        return replace(op, card=own, ephemeral=True, about="")
    return replace(op, card=own, about="")
