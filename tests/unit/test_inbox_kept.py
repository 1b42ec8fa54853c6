"""The inbox keeps a processed request only briefly: its rows hold what people typed, and a
restart needs only the ones not yet processed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.inbox import KEPT_DONE, Inbox
from commands.core.clock import ManualClock
from storage.models import InboxRequest
from storage.unit_of_work import Database


def test_processed_requests_are_deleted_after_an_hour_and_the_rest_kept(
    db: Database, clock: ManualClock
) -> None:
    async def run() -> None:
        inbox = Inbox(db, clock.now, owner="host:1")
        old = await inbox.record("command", {"text": "raise Gas hob leak"})
        waiting = await inbox.record("command", {"text": "raise Toaster lever sticks"})
        await inbox.done(old)
        clock.advance(KEPT_DONE - timedelta(minutes=1))
        fresh = await inbox.record("command", {"text": "status INC-2026-001"})
        await inbox.done(fresh)
        with db.read() as s:  # within the hour: kept
            assert len(s.scalars(select(InboxRequest)).all()) == 3
        clock.advance(timedelta(minutes=2))
        later = await inbox.record("command", {"text": "help"})
        await inbox.done(later)
        with db.read() as s:
            left = {r.body["text"]: r.done_at is None for r in s.scalars(select(InboxRequest))}
        # The one processed over an hour ago is gone; the unprocessed one is kept whatever
        # its age, for the next start to process.
        assert left == {
            "raise Toaster lever sticks": True,
            "status INC-2026-001": False,
            "help": False,
        }
        assert waiting

    asyncio.run(run())
