"""The outbox: posts delivered after commit, in order per channel, retried, never twice."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select

from bot.messaging import DeliveryError
from bot.outbox import OutboxWorker, backoff
from bot.workspace.messenger import LocalMessenger
from cards.model import Card
from commands.core.clock import ManualClock
from storage import repositories as repo
from storage.models import Identity, LocalChannel, LocalMessage, OutboxMessage
from storage.unit_of_work import Database
from tests.fakes.clocks import RealTime


class FlakyPlatform:
    """A fake chat platform: records what it is sent and fails the first N calls."""

    surface = "fake"

    def __init__(self, failures: int = 0, retry_after: float | None = None) -> None:
        self.failures = failures
        self.retry_after = retry_after
        self.posts: list[tuple[str, str]] = []
        self.channels: dict[str, str] = {}
        self.pins: list[str] = []
        self.updates: list[tuple[str, str, str]] = []
        self.bookmarks: list[tuple[str, str, str, str]] = []
        self.archived: list[str] = []

    def _maybe_fail(self) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise DeliveryError("platform unavailable", self.retry_after)

    async def create_channel(self, name: str, topic: str, private: bool, members: list[str]) -> str:
        self._maybe_fail()
        return self.channels.setdefault(name, f"C{len(self.channels) + 1}")

    async def invite(self, channel_id: str, members: list[str]) -> None:
        self._maybe_fail()

    async def direct(self, accounts: Sequence[str]) -> str | None:
        return f"D-{accounts[0]}" if accounts else None

    async def post(
        self, channel_id: str, text: str, card: Card | None, *, delivery_key: str
    ) -> str:
        self._maybe_fail()
        self.posts.append((channel_id, text))
        return f"m{len(self.posts)}"

    async def pin(self, channel_id: str, message_id: str) -> None:
        self.pins.append(message_id)

    async def update(self, channel_id: str, message_id: str, text: str, card: Card | None) -> None:
        self._maybe_fail()
        self.updates.append((channel_id, message_id, card.title if card else ""))

    async def bookmark(
        self, channel_id: str, title: str, target_channel: str, target_message: str
    ) -> None:
        self.bookmarks.append((channel_id, title, target_channel, target_message))

    async def archive(self, channel_id: str) -> None:
        self.archived.append(channel_id)


def queue(db: Database, clock: ManualClock, conversation: str, op: str, **payload: object) -> None:
    with db.unit_of_work() as s:
        repo.enqueue(
            s,
            surface="fake",
            conversation=conversation,
            op=op,
            payload=dict(payload),
            now=clock.now(),
        )


def statuses(db: Database) -> list[tuple[str, int]]:
    with db.read() as s:
        return [
            (m.status, m.attempts)
            for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def test_channel_is_created_before_its_posts_and_posts_keep_order(
    db: Database, clock: ManualClock
) -> None:
    platform = FlakyPlatform()
    worker = OutboxWorker(db, clock, {"fake": platform})
    queue(
        db,
        clock,
        "incident:INC-2026-001",
        "create_channel",
        name="inc-2026-001-hob",
        topic="t",
        private=True,
        members=["hana"],
    )
    for n in range(3):
        queue(db, clock, "incident:INC-2026-001", "post", text=f"post {n}", pin=n == 0)
    assert asyncio.run(worker.drain()) == 4
    assert platform.posts == [("C1", "post 0"), ("C1", "post 1"), ("C1", "post 2")]
    assert platform.pins == ["m1"]
    assert statuses(db) == [("delivered", 1)] * 4


def test_failures_are_retried_with_backoff_and_nothing_overtakes(
    db: Database, clock: ManualClock
) -> None:
    platform = FlakyPlatform(failures=1)
    real = RealTime()
    worker = OutboxWorker(db, clock, {"fake": platform}, monotonic=real)
    queue(db, clock, "channel:C9", "post", text="first")
    queue(db, clock, "channel:C9", "post", text="second")
    assert asyncio.run(worker.drain()) == 0
    assert platform.posts == []  # "second" waits behind "first"
    assert statuses(db) == [("pending", 1), ("pending", 0)]
    assert asyncio.run(worker.drain()) == 0  # not due yet: no time has passed
    real.advance(backoff(1))
    assert asyncio.run(worker.drain()) == 2
    assert platform.posts == [("C9", "first"), ("C9", "second")]


def test_retry_after_from_the_platform_is_honoured(db: Database, clock: ManualClock) -> None:
    platform = FlakyPlatform(failures=1, retry_after=30)
    real = RealTime()
    worker = OutboxWorker(db, clock, {"fake": platform}, monotonic=real)
    queue(db, clock, "channel:C1", "post", text="hello")
    asyncio.run(worker.drain())
    real.advance(timedelta(seconds=29))
    assert asyncio.run(worker.drain()) == 0
    real.advance(timedelta(seconds=1))
    assert asyncio.run(worker.drain()) == 1
    assert platform.posts == [("C1", "hello")]


def test_an_outage_delays_posts_but_never_drops_them(db: Database, clock: ManualClock) -> None:
    platform = FlakyPlatform(failures=6)
    real = RealTime()
    worker = OutboxWorker(db, clock, {"fake": platform}, monotonic=real)
    queue(db, clock, "channel:C1", "post", text="during the outage")
    for _ in range(7):
        asyncio.run(worker.drain())
        real.advance(timedelta(minutes=5))
    assert platform.posts == [("C1", "during the outage")]
    assert statuses(db) == [("delivered", 7)]


def test_retries_are_timed_in_real_time_when_the_bots_clock_stands_still(
    db: Database, clock: ManualClock
) -> None:
    """A demo's frozen clock (or one moved far ahead) neither stalls nor rushes retries."""
    platform = FlakyPlatform(failures=1, retry_after=2)  # a 429 with Retry-After: 2
    real = RealTime()
    worker = OutboxWorker(db, clock, {"fake": platform}, monotonic=real)
    queue(db, clock, "channel:C1", "post", text="hello")
    assert asyncio.run(worker.drain()) == 0
    clock.advance(timedelta(days=1))  # the bot's clock jumps: still two real seconds to wait
    assert asyncio.run(worker.drain()) == 0
    real.advance(timedelta(seconds=2))  # the bot's clock stands still; real time passes
    assert asyncio.run(worker.drain()) == 1
    assert platform.posts == [("C1", "hello")]


def test_local_redelivery_never_posts_twice(db: Database, clock: ManualClock) -> None:
    local = LocalMessenger(db, clock)
    channel = local.ensure_channel("opss")
    first = asyncio.run(local.post(channel, "hello", None, delivery_key="outbox-7"))
    again = asyncio.run(local.post(channel, "hello", None, delivery_key="outbox-7"))
    assert first == again
    with db.read() as s:
        assert [m.text for m in s.scalars(select(LocalMessage))] == ["hello"]


def test_local_channel_creation_is_idempotent(db: Database, clock: ManualClock) -> None:
    local = LocalMessenger(db, clock)
    a = asyncio.run(local.create_channel("inc-2026-001-hob", "t", True, ["hana", "david"]))
    b = asyncio.run(local.create_channel("inc-2026-001-hob", "t", True, ["hana"]))
    assert a == b
    with db.read() as s:
        channel = s.scalar(select(LocalChannel))
        assert channel is not None and channel.members == ["david", "hana"]


def test_an_edit_waits_for_its_post_and_a_bookmark_links_across_channels(
    db: Database, clock: ManualClock
) -> None:
    platform = FlakyPlatform(failures=1)
    real = RealTime()
    worker = OutboxWorker(db, clock, {"fake": platform}, monotonic=real)
    card = {"title": "ISS-2026-0001 at CAM"}
    queue(db, clock, "channel:C1", "post", anchor="issue:ISS-2026-0001", text="raised")
    queue(db, clock, "channel:C1", "update", anchor="issue:ISS-2026-0001", text="t", card=card)
    queue(db, clock, "channel:C2", "bookmark", anchor="issue:ISS-2026-0001", title="Issue")
    assert asyncio.run(worker.drain()) == 0  # the post failed: its edit and bookmark wait
    assert platform.updates == [] and platform.bookmarks == []
    real.advance(backoff(1))
    assert asyncio.run(worker.drain()) == 3
    assert platform.updates == [("C1", "m1", "ISS-2026-0001 at CAM")]
    assert platform.bookmarks == [("C2", "Issue", "C1", "m1")]


def test_an_edit_of_a_post_that_never_existed_does_not_block_the_channel(
    db: Database, clock: ManualClock
) -> None:
    platform = FlakyPlatform()
    worker = OutboxWorker(db, clock, {"fake": platform})
    queue(
        db,
        clock,
        "channel:C1",
        "update",
        anchor="issue:ISS-2026-0404",
        text="t",
        card={"title": "x"},
    )
    queue(db, clock, "channel:C1", "post", text="next")
    assert asyncio.run(worker.drain()) == 2
    assert platform.updates == [] and platform.posts == [("C1", "next")]


def test_the_local_workspace_is_not_paced(db: Database, clock: ManualClock) -> None:
    worker = OutboxWorker(
        db, clock, {"local": LocalMessenger(db, clock)}, pace_seconds=1.0, monotonic=lambda: 100.0
    )
    channel = LocalMessenger(db, clock).ensure_channel("opss")
    with db.unit_of_work() as s:
        for n in range(3):
            repo.enqueue(
                s,
                surface="local",
                conversation=f"channel:{channel}",
                op="post",
                payload={"text": f"post {n}"},
                now=clock.now(),
            )
    assert asyncio.run(worker.drain()) == 3


def test_posts_to_one_channel_are_paced_and_other_channels_are_not_held_up(
    db: Database, clock: ManualClock
) -> None:
    seconds = [100.0]
    platform = FlakyPlatform()
    worker = OutboxWorker(
        db, clock, {"fake": platform}, pace_seconds=1.0, monotonic=lambda: seconds[0]
    )
    for n in range(3):
        queue(db, clock, "channel:C1", "post", text=f"c1 post {n}")
    queue(db, clock, "channel:C2", "post", text="c2 post")
    assert asyncio.run(worker.drain()) == 2  # one for each channel
    assert platform.posts == [("C1", "c1 post 0"), ("C2", "c2 post")]
    seconds[0] += 0.5
    assert asyncio.run(worker.drain()) == 0  # under a second since C1's last post
    seconds[0] += 0.5
    assert asyncio.run(worker.drain()) == 1
    seconds[0] += 1.0
    assert asyncio.run(worker.drain()) == 1
    assert [t for c, t in platform.posts if c == "C1"] == ["c1 post 0", "c1 post 1", "c1 post 2"]


def test_only_the_leader_delivers(any_db: Database, clock: ManualClock) -> None:
    from bot.leader import LeaderLock

    db = any_db
    first, second = LeaderLock(db.engine), LeaderLock(db.engine)
    assert first.try_acquire()
    platform = FlakyPlatform()
    follower = OutboxWorker(db, clock, {"fake": platform}, leader=second)
    queue(db, clock, "channel:C1", "post", text="hello")
    assert asyncio.run(follower.drain()) == 0 and platform.posts == []
    first.release()
    assert asyncio.run(follower.drain()) == 1  # the lock passed on
    second.release()


def test_told_directly_where_the_person_has_an_account_and_nowhere_else(
    db: Database, clock: ManualClock
) -> None:
    """A "tell" row names the person; at delivery the worker reads their accounts on the
    row's surface and its messenger says where it writes to them. Without an account, or on a
    surface with no direct messages (the workspace), the row is done and nothing is posted."""
    from commands.core import outbox as ops
    from storage.conversations import ConversationKey
    from storage.models import Identity, Person

    platform, local = FlakyPlatform(), LocalMessenger(db, clock)
    worker = OutboxWorker(db, clock, {"fake": platform, "local": local})
    with db.unit_of_work() as s:
        reachable, unknown = (
            Person(name=n, display_name=n, created_at=clock.now()) for n in ("ria", "uma")
        )
        s.add_all([reachable, unknown])
        s.flush()
        s.add(Identity(person_id=reachable.id, surface="fake", external_id="U-RIA"))
        s.add(Identity(person_id=reachable.id, surface="local", external_id="ria"))
        for person, surface in ((reachable, "fake"), (unknown, "fake"), (reachable, "local")):
            tell = ops.Tell(person.id, f"to {person.name} on {surface}")
            ops.queue(s, ConversationKey.of_person(surface, person.id), tell, clock.now())
    assert asyncio.run(worker.drain()) == 3
    assert platform.posts == [("D-U-RIA", "to ria on fake")]
    with db.read() as s:
        results = [m.result for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
        assert s.scalars(select(LocalMessage)).all() == []
    assert results[0] == {"channel": "D-U-RIA", "message": "m1"}
    assert all("skipped" in r for r in results[1:])


def test_rows_in_the_payload_format_of_before_still_deliver(
    db: Database, clock: ManualClock
) -> None:
    """Each operation's class reads the JSON rows have always held (written here by hand, as
    an older version queued them), so a queue left by an upgrade still drains."""
    platform = FlakyPlatform()
    worker = OutboxWorker(db, clock, {"fake": platform})
    queue(db, clock, "incident:INC-2026-009", "create_channel", name="inc-9", members=["hana"])
    queue(db, clock, "incident:INC-2026-009", "post", text="hello", pin=True)
    queue(db, clock, "channel:U0IAN", "post", text="a direct message as queued before")
    queue(db, clock, "incident:INC-2026-009", "invite", members=["ian"])
    queue(db, clock, "incident:INC-2026-009", "archive")
    assert asyncio.run(worker.drain()) == 5
    assert platform.posts == [("C1", "hello"), ("U0IAN", "a direct message as queued before")]
    assert platform.pins == ["m1"]
    assert platform.archived == ["C1"]
    assert [s for s, _ in statuses(db)] == ["delivered"] * 5


def test_a_message_about_a_conversation_waits_for_it_and_names_it_as_made(
    db: Database, clock: ManualClock
) -> None:
    """``about``: the person is told after the conversation is made, under the name the
    platform gave it (without a ``Pointer``, the surface names it by that name alone); about
    one that will never be made here, the message goes without it."""
    real = RealTime()
    platform = FlakyPlatform(failures=1)  # the channel is not made at the first try
    worker = OutboxWorker(db, clock, {"fake": platform}, monotonic=real)
    with db.unit_of_work() as s:
        person = repo.system_person(s, clock.now())
        s.add(Identity(person_id=person.id, surface="fake", external_id="U1"))
        person_id = person.id
    key = "incident:INC-2026-001"
    queue(db, clock, key, "create_channel", name="inc-1", topic="t", private=True, members=[])
    told = {"person": person_id, "text": "You are in it.", "about": key}
    queue(db, clock, f"person:{person_id}", "tell", **told)
    assert asyncio.run(worker.drain()) == 0  # the channel failed; the message waits for it
    real.advance(timedelta(seconds=3))
    assert asyncio.run(worker.drain()) == 2  # the channel, then the message naming it
    assert platform.posts == [("D-U1", "You are in it.\ninc-1")]
    queue(db, clock, f"person:{person_id}", "tell", **{**told, "about": "incident:INC-2026-009"})
    assert asyncio.run(worker.drain()) == 1
    assert platform.posts[-1] == ("D-U1", "You are in it.")


def test_nothing_is_posted_to_a_channel_after_its_archive(db: Database, clock: ManualClock) -> None:
    """Checked when it is delivered: a post queued after the archive (by a process that did
    not know) is skipped, and the posts before it are delivered."""
    platform = FlakyPlatform()
    worker = OutboxWorker(db, clock, {"fake": platform})
    key = "incident:INC-2026-001"
    queue(db, clock, key, "create_channel", name="inc-1", topic="t", private=True, members=[])
    queue(db, clock, key, "post", text="closed")
    queue(db, clock, key, "archive")
    queue(db, clock, key, "post", text="too late")
    assert asyncio.run(worker.drain()) == 4
    assert platform.posts == [("C1", "closed")]
    assert platform.archived == ["C1"]
    with db.read() as s:
        last = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
        assert last is not None and last.result == {"skipped": "the conversation is archived"}
