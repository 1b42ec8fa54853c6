"""The outbox's operations: one small class per thing a queued row asks a surface to do.

A command builds one and queues it with ``queue`` in its own unit of work; the outbox worker
reads the row back as the same class (``operation``) and delivers it. ``to_payload`` writes
the row's JSON in the format rows have always had, so rows queued before these classes still
deliver (``from_payload`` reads every key as optional, as the worker always did).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from cards.model import Card, card_from_dict, card_to_dict
from storage import repositories as repo
from storage.conversations import ConversationKey
from storage.models import OutboxMessage


def _card(payload: dict[str, Any]) -> Card | None:
    raw = payload.get("card")
    return card_from_dict(raw) if isinstance(raw, dict) and raw else None


def _with_card(payload: dict[str, Any], card: Card | None) -> dict[str, Any]:
    if card is not None:
        payload["card"] = card_to_dict(card)
    return payload


def _with_about(payload: dict[str, Any], about: str) -> dict[str, Any]:
    if about:
        payload["about"] = about
    return payload


# ``about`` on a message: the conversation key (``incident:INC-2026-001``) of a conversation
# the message points to. The core cannot name it, for only the platform knows what exists
# (the name it took, a private channel or a thread, its link): at delivery the outbox waits
# until that conversation is made, then the surface names it under the text, with a link.


@dataclass(frozen=True)
class Meeting:
    """An online meeting a post asks for, where its surface makes them (Teams, with Graph
    configured): the worker adds its join link to the post's card. ``key`` names the one
    occurrence: asked again (a retry, the same reminder told to each member), the same one."""

    key: str
    subject: str
    start: datetime
    end: datetime

    def to_payload(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "subject": self.subject,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }

    @classmethod
    def from_payload(cls, p: Any) -> Meeting | None:
        if not isinstance(p, dict) or not p.get("key"):
            return None
        return cls(
            str(p["key"]),
            str(p.get("subject", "")),
            datetime.fromisoformat(str(p["start"])),
            datetime.fromisoformat(str(p["end"])),
        )


def _with_meeting(payload: dict[str, Any], meeting: Meeting | None) -> dict[str, Any]:
    if meeting is not None:
        payload["meeting"] = meeting.to_payload()
    return payload


@dataclass(frozen=True)
class Post:
    """A message in a conversation (pinned if asked); an anchor on the row names it."""

    OP: ClassVar[str] = "post"
    text: str
    card: Card | None = None
    pin: bool = False
    meeting: Meeting | None = None
    about: str = ""  # a conversation it points to (see above)

    def to_payload(self) -> dict[str, Any]:
        payload = _with_card({"text": self.text, "pin": self.pin}, self.card)
        return _with_about(_with_meeting(payload, self.meeting), self.about)

    @classmethod
    def from_payload(cls, p: dict[str, Any]) -> Post:
        return cls(
            str(p.get("text", "")),
            _card(p),
            bool(p.get("pin")),
            Meeting.from_payload(p.get("meeting")),
            str(p.get("about") or ""),
        )


@dataclass(frozen=True)
class Update:
    """An edit, in place, of the post the row's anchor names."""

    OP: ClassVar[str] = "update"
    text: str
    card: Card | None = None
    meeting: Meeting | None = None

    def to_payload(self) -> dict[str, Any]:
        return _with_meeting(_with_card({"text": self.text}, self.card), self.meeting)

    @classmethod
    def from_payload(cls, p: dict[str, Any]) -> Update:
        return cls(str(p.get("text", "")), _card(p), Meeting.from_payload(p.get("meeting")))


@dataclass(frozen=True)
class Bookmark:
    """A channel bookmark linking to the post the row's anchor names."""

    OP: ClassVar[str] = "bookmark"
    title: str

    def to_payload(self) -> dict[str, Any]:
        return {"title": self.title}

    @classmethod
    def from_payload(cls, p: dict[str, Any]) -> Bookmark:
        return cls(str(p.get("title", "")))


@dataclass(frozen=True)
class CreateChannel:
    """A channel made for the row's conversation key, which it is bound to once made (under
    the name it took). ``members`` are user names; the first is its owner where the platform
    makes a private channel's maker name one (Teams)."""

    OP: ClassVar[str] = "create_channel"
    name: str
    topic: str = ""
    private: bool = False
    members: tuple[str, ...] = ()

    def to_payload(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "topic": self.topic,
            "private": self.private,
            "members": list(self.members),
        }

    @classmethod
    def from_payload(cls, p: dict[str, Any]) -> CreateChannel:
        return cls(
            str(p["name"]),
            str(p.get("topic", "")),
            bool(p.get("private")),
            tuple(str(m) for m in p.get("members", [])),
        )


@dataclass(frozen=True)
class Invite:
    """People (user names) invited to the conversation's channel."""

    OP: ClassVar[str] = "invite"
    members: tuple[str, ...]

    def to_payload(self) -> dict[str, Any]:
        return {"members": list(self.members)}

    @classmethod
    def from_payload(cls, p: dict[str, Any]) -> Invite:
        return cls(tuple(str(m) for m in p.get("members", [])))


@dataclass(frozen=True)
class Remove:
    """People (user names) taken out of the conversation's channel: they left the incident."""

    OP: ClassVar[str] = "remove"
    members: tuple[str, ...]

    def to_payload(self) -> dict[str, Any]:
        return {"members": list(self.members)}

    @classmethod
    def from_payload(cls, p: dict[str, Any]) -> Remove:
        return cls(tuple(str(m) for m in p.get("members", [])))


@dataclass(frozen=True)
class Archive:
    """The conversation's channel archived (queued after the posts that precede it)."""

    OP: ClassVar[str] = "archive"

    def to_payload(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_payload(cls, p: dict[str, Any]) -> Archive:
        return cls()


@dataclass(frozen=True)
class Upload:
    """A stored ``Document`` posted as a file."""

    OP: ClassVar[str] = "upload"
    document: int
    title: str = ""
    filename: str = ""

    def to_payload(self) -> dict[str, Any]:
        return {"document": self.document, "title": self.title, "filename": self.filename}

    @classmethod
    def from_payload(cls, p: dict[str, Any]) -> Upload:
        return cls(int(p["document"]), str(p.get("title", "")), str(p.get("filename", "")))


@dataclass(frozen=True)
class Answer:
    """A command's reply to its caller; the row's conversation is the surface's own
    destination (``Request.reply_to``). ``rendered`` is a message the surface drew itself
    (a Teams activity: a form, a note), delivered as it is."""

    OP: ClassVar[str] = "reply"
    text: str = ""
    card: Card | None = None
    ok: bool = True
    ephemeral: bool = True
    rendered: dict[str, Any] | None = None
    about: str = ""  # a conversation it points to (see above)

    def to_payload(self) -> dict[str, Any]:
        if self.rendered is not None:
            return {"activity": self.rendered}
        payload: dict[str, Any] = {"text": self.text, "ok": self.ok, "ephemeral": self.ephemeral}
        return _with_about(_with_card(payload, self.card), self.about)

    @classmethod
    def from_payload(cls, p: dict[str, Any]) -> Answer:
        rendered = p.get("activity")
        return cls(
            str(p.get("text") or ""),
            _card(p),
            bool(p.get("ok", True)),
            bool(p.get("ephemeral", True)),
            rendered if isinstance(rendered, dict) else None,
            str(p.get("about") or ""),
        )


@dataclass(frozen=True)
class Tell:
    """A message to one person directly. The core names the person, never a platform's id;
    at delivery the surface's messenger finds where it writes to them (their DM), or says it
    cannot. The row's key is ``ConversationKey.of_person``: one queue per person."""

    OP: ClassVar[str] = "tell"
    person: int
    text: str
    card: Card | None = None
    meeting: Meeting | None = None
    about: str = ""  # a conversation it points to (see above)

    def to_payload(self) -> dict[str, Any]:
        payload = _with_card({"person": self.person, "text": self.text}, self.card)
        return _with_about(_with_meeting(payload, self.meeting), self.about)

    @classmethod
    def from_payload(cls, p: dict[str, Any]) -> Tell:
        return cls(
            int(p["person"]),
            str(p.get("text", "")),
            _card(p),
            Meeting.from_payload(p.get("meeting")),
            str(p.get("about") or ""),
        )

    def as_post(self) -> Post:
        return Post(self.text, self.card, meeting=self.meeting, about=self.about)


Operation = (
    Post | Update | Bookmark | CreateChannel | Invite | Remove | Archive | Upload | Answer | Tell
)

OPERATIONS: dict[str, Any] = {
    c.OP: c
    for c in (Post, Update, Bookmark, CreateChannel, Invite, Remove, Archive, Upload, Answer, Tell)
}


def operation(message: OutboxMessage) -> Operation | None:
    """The operation a row holds; None for an operation this version does not know."""
    kind = OPERATIONS.get(message.op)
    return kind.from_payload(message.payload or {}) if kind is not None else None


def key_of(message: OutboxMessage) -> ConversationKey:
    return ConversationKey(message.surface, message.conversation)


def queue(
    session: Session,
    key: ConversationKey,
    op: Operation,
    now: datetime,
    *,
    anchor: str | None = None,
) -> OutboxMessage:
    """Queue ``op`` for ``key`` in this unit of work: delivered after it commits."""
    message = repo.enqueue(
        session,
        surface=key.surface,
        conversation=key.conversation,
        op=op.OP,
        payload=op.to_payload(),
        now=now,
    )
    message.anchor = anchor
    return message
