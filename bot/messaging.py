"""The surface-neutral messaging port the outbox delivers through."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cards.model import Card


@dataclass(frozen=True)
class Created:
    """A channel as the platform made it: its id and the name it took (a suffix when the name
    was taken, shortened to the platform's limit), which the binding keeps."""

    id: str
    name: str


@dataclass(frozen=True)
class Where:
    """A conversation as a surface names it to people: words (``Private channel
    inc-2026-001-…``) and a link that opens it (empty when the platform gives none)."""

    words: str
    url: str = ""
    button: str = "Open"


class DeliveryError(Exception):
    """A failed delivery; ``retry_after`` is set when the platform said how long to wait."""

    def __init__(
        self, message: str, retry_after: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status  # the platform's HTTP status, where it answered with one


class Messenger(Protocol):
    surface: str

    async def create_channel(
        self, name: str, topic: str, private: bool, members: list[str]
    ) -> str | Created:
        """Create (or find, if a retry already made it) a channel; returns its id, or its id
        and the name it took when that is not ``name``."""
        ...

    async def invite(self, channel_id: str, members: list[str]) -> None: ...

    async def direct(self, accounts: Sequence[str]) -> str | None:
        """Where to write to one person directly (their DM), given their accounts on this
        surface; opened if need be. None when the platform has no such place: a message to
        them directly is then not sent (what concerns them is in the channel too)."""
        ...

    async def post(
        self, channel_id: str, text: str, card: Card | None, *, delivery_key: str
    ) -> str:
        """Post once per ``delivery_key`` (the outbox row); returns the message id."""
        ...

    async def pin(self, channel_id: str, message_id: str) -> None: ...

    async def update(self, channel_id: str, message_id: str, text: str, card: Card | None) -> None:
        """Edit an earlier post in place."""
        ...

    async def bookmark(
        self, channel_id: str, title: str, target_channel: str, target_message: str
    ) -> None:
        """Add a channel bookmark linking to a post (possibly in another channel)."""
        ...

    async def archive(self, channel_id: str) -> None:
        """Archive (close) a channel; archiving one already archived is not an error."""
        ...

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
        """Post a file to the channel; returns the platform's file or message id."""
        ...
