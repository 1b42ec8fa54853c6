"""The local workspace as a platform: channels and messages kept in the bot's database."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cards.adaptive import render_card
from cards.model import Card, shown_text
from commands.core.clock import Clock
from storage.models import LocalChannel, LocalMessage
from storage.unit_of_work import Database

BOT_NAME = "OPSS bot"


class LocalMessenger:
    surface = "local"

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def ensure_channel(self, name: str, topic: str = "", private: bool = False) -> str:
        with self.db.unit_of_work() as session:
            found = session.scalar(select(LocalChannel).where(LocalChannel.name == name))
            if found is not None:
                return str(found.id)
            channel = LocalChannel(
                name=name, topic=topic, private=private, members=[], created_at=self.clock.now()
            )
            session.add(channel)
            session.flush()
            return str(channel.id)

    async def create_channel(self, name: str, topic: str, private: bool, members: list[str]) -> str:
        def work() -> str:
            with self.db.unit_of_work() as session:
                # A retry after a crash finds the channel it already made.
                found = session.scalar(select(LocalChannel).where(LocalChannel.name == name))
                if found is not None:
                    return str(found.id)
                channel = LocalChannel(
                    name=name,
                    topic=topic,
                    private=private,
                    members=sorted(set(members)),
                    created_at=self.clock.now(),
                )
                session.add(channel)
                session.flush()
                return str(channel.id)

        return await asyncio.to_thread(work)

    async def invite(self, channel_id: str, members: list[str]) -> None:
        def work() -> None:
            with self.db.unit_of_work() as session:
                channel = session.get(LocalChannel, int(channel_id))
                if channel is not None:
                    channel.members = sorted(set(channel.members) | set(members))

        await asyncio.to_thread(work)

    async def remove(self, channel_id: str, members: list[str]) -> None:
        def work() -> None:
            with self.db.unit_of_work() as session:
                channel = session.get(LocalChannel, int(channel_id))
                if channel is not None:
                    channel.members = sorted(set(channel.members) - set(members))

        await asyncio.to_thread(work)

    async def direct(self, accounts: Sequence[str]) -> str | None:
        """The workspace has no direct messages: what concerns a person is in the channel."""
        return None

    async def post(
        self, channel_id: str, text: str, card: Card | None, *, delivery_key: str
    ) -> str:
        outbox_id = int(delivery_key.removeprefix("outbox-"))

        def work() -> str:
            try:
                with self.db.unit_of_work() as session:
                    message = LocalMessage(
                        channel_id=int(channel_id),
                        author=BOT_NAME,
                        text=shown_text(text, card),  # EXERCISE once, on the card
                        card=render_card(card) if card is not None else None,
                        created_at=self.clock.now(),
                        outbox_id=outbox_id,
                    )
                    session.add(message)
                    session.flush()
                    return str(message.id)
            except IntegrityError:
                # Delivered before (the outbox row was not marked): the same message stands.
                with self.db.read() as session:
                    existing = session.scalar(
                        select(LocalMessage.id).where(LocalMessage.outbox_id == outbox_id)
                    )
                    if existing is None:
                        raise
                    return str(existing)

        return await asyncio.to_thread(work)

    async def update(self, channel_id: str, message_id: str, text: str, card: Card | None) -> None:
        def work() -> None:
            with self.db.unit_of_work() as session:
                message = session.get(LocalMessage, int(message_id))
                if message is None:
                    return
                message.card = render_card(card) if card is not None else None
                message.revision += 1

        await asyncio.to_thread(work)

    async def bookmark(
        self, channel_id: str, title: str, target_channel: str, target_message: str
    ) -> None:
        def work() -> None:
            with self.db.unit_of_work() as session:
                channel = session.get(LocalChannel, int(channel_id))
                if channel is None:
                    return
                marks = list(channel.bookmarks or [])
                mark = {"title": title, "channel": target_channel, "message": target_message}
                if mark not in marks:  # a redelivery adds nothing
                    channel.bookmarks = [*marks, mark]

        await asyncio.to_thread(work)

    async def archive(self, channel_id: str) -> None:
        def work() -> None:
            with self.db.unit_of_work() as session:
                channel = session.get(LocalChannel, int(channel_id))
                if channel is not None and channel.archived_at is None:
                    channel.archived_at = self.clock.now()
                    if not channel.topic.startswith("CLOSED"):
                        channel.topic = f"CLOSED · {channel.topic}"

        await asyncio.to_thread(work)

    async def upload(
        self,
        channel_id: str,
        filename: str,
        title: str,
        content: bytes,
        media_type: str,
        document_id: int,
        *,
        delivery_key: str,
    ) -> str:
        """The file stays in the database; the message links to it (a download link)."""
        outbox_id = int(delivery_key.removeprefix("outbox-"))

        def work() -> str:
            try:
                with self.db.unit_of_work() as session:
                    message = LocalMessage(
                        channel_id=int(channel_id),
                        author=BOT_NAME,
                        text=title,
                        created_at=self.clock.now(),
                        outbox_id=outbox_id,
                        attachment={
                            "document": document_id,
                            "filename": filename,
                            "title": title,
                            "size": len(content),
                        },
                    )
                    session.add(message)
                    session.flush()
                    return str(message.id)
            except IntegrityError:
                with self.db.read() as session:
                    existing = session.scalar(
                        select(LocalMessage.id).where(LocalMessage.outbox_id == outbox_id)
                    )
                    if existing is None:
                        raise
                    return str(existing)

        return await asyncio.to_thread(work)

    async def pin(self, channel_id: str, message_id: str) -> None:
        def work() -> None:
            with self.db.unit_of_work() as session:
                message = session.get(LocalMessage, int(message_id))
                if message is not None:
                    message.pinned = True

        await asyncio.to_thread(work)
