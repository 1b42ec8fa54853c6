"""A conversation key: where on which surface a queued message goes, as one value.

``conversation`` is the core's name for the place, never a platform's: an incident's channel
(``incident:INC-2026-001``), IMT's (``imt``), a platform channel the command came from
(``channel:C123``), a person written to directly (``person:12``), or, for a command's reply,
the surface's own destination. The outbox keeps one queue per key, in order.
"""

from __future__ import annotations

from dataclasses import dataclass

CHANNEL = "channel:"
PERSON = "person:"


@dataclass(frozen=True, order=True)
class ConversationKey:
    surface: str
    conversation: str

    @classmethod
    def of_channel(cls, surface: str, external_id: str) -> ConversationKey:
        """A platform's own channel, named by its id (the channel a command came from)."""
        return cls(surface, CHANNEL + external_id)

    @classmethod
    def of_person(cls, surface: str, person_id: int) -> ConversationKey:
        """A person written to directly: the surface's messenger finds where, at delivery."""
        return cls(surface, f"{PERSON}{person_id}")

    @property
    def channel(self) -> str | None:
        """The platform channel id when the key names one directly (``channel:…``)."""
        if self.conversation.startswith(CHANNEL):
            return self.conversation.removeprefix(CHANNEL)
        return None

    @property
    def person(self) -> int | None:
        """The person's id when the key names a person (``person:12``)."""
        rest = self.conversation.removeprefix(PERSON)
        if rest != self.conversation and rest.isdigit():
            return int(rest)
        return None

    def __str__(self) -> str:
        return f"{self.surface}/{self.conversation}"
