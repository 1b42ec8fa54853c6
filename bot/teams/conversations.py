"""Conversation references: where the bot can post in Teams, kept for every conversation it
is in or creates, so the outbox and the scheduler can post there later (proactively)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.models import TeamsConversation
from storage.unit_of_work import Database


def channel_root(conversation_id: str) -> str:
    """A channel thread (``19:…@thread.tacv2;messageid=1``) lives in the channel ``19:…``."""
    return conversation_id.split(";messageid=", 1)[0]


class Conversations:
    def __init__(self, db: Database) -> None:
        self.db = db
        # What is already stored, so a busy conversation costs no write per message.
        self._known: dict[str, str] = {}

    def remember_activity(self, activity: Activity, now: datetime) -> None:
        reference = TurnContext.get_conversation_reference(activity)
        conversation = activity.conversation
        data = activity.channel_data or {}
        kind = (conversation.conversation_type if conversation else None) or "personal"
        tenant = (conversation.tenant_id if conversation else None) or (
            (data.get("tenant") or {}).get("id", "")
        )
        team = (data.get("team") or {}).get("id", "")
        self.remember(reference, kind, tenant or "", team, now)
        if kind == "channel" and reference.conversation is not None:
            # Posting to the channel itself starts a new thread there.
            root = channel_root(reference.conversation.id)
            channel = (data.get("channel") or {}).get("id") or root
            self.remember(_moved(reference, channel), kind, tenant or "", team, now)

    def remember(
        self,
        reference: ConversationReference,
        kind: str,
        tenant: str,
        team: str,
        now: datetime,
    ) -> None:
        assert reference.conversation is not None
        conversation_id = reference.conversation.id
        if self._known.get(conversation_id) == reference.service_url:
            return
        stored: dict[str, Any] = reference.serialize()
        stored.pop("activityId", None)  # a later post is not a reply to this message
        try:
            with self.db.unit_of_work() as session:
                row = session.get(TeamsConversation, conversation_id)
                if row is None:
                    row = TeamsConversation(conversation_id=conversation_id)
                    session.add(row)
                row.service_url = reference.service_url or ""
                row.tenant_id = tenant
                row.kind = kind
                row.team_id = team or row.team_id or ""
                row.reference = stored
                row.updated_at = now
        except IntegrityError:
            pass  # the same conversation stored by a concurrent turn: either is right
        self._known[conversation_id] = reference.service_url or ""

    def reference(self, conversation_id: str) -> ConversationReference | None:
        with self.db.read() as session:
            row = session.get(TeamsConversation, conversation_id)
            if row is None and ";messageid=" in conversation_id:
                row = session.get(TeamsConversation, channel_root(conversation_id))
                if row is not None:
                    moved = _moved(
                        ConversationReference().deserialize(row.reference), conversation_id
                    )
                    return moved
            if row is None:
                return None
            return ConversationReference().deserialize(row.reference)

    def kind_of(self, conversation_id: str) -> str | None:
        """What the conversation is (``personal``, ``channel``, ``groupChat``), as stored."""
        with self.db.read() as session:
            row = session.get(TeamsConversation, conversation_id)
            if row is None and ";messageid=" in conversation_id:
                row = session.get(TeamsConversation, channel_root(conversation_id))
            return row.kind if row is not None else None

    def personal_of(self, accounts: Sequence[str]) -> str | None:
        """The stored personal chat of the person with these accounts, if they have one (a
        reference names the user it is with)."""
        wanted = set(accounts)
        with self.db.read() as session:
            for conversation_id, reference in session.execute(
                select(TeamsConversation.conversation_id, TeamsConversation.reference).where(
                    TeamsConversation.kind == "personal"
                )
            ):
                user = str(((reference or {}).get("user") or {}).get("id", ""))
                if user in wanted:
                    return str(conversation_id)
        return None

    def any_in_tenant(self, tenant: str | None) -> ConversationReference | None:
        """A recent reference from the same tenant: its service URL and bot reach a channel the
        bot has not heard from yet (one it created, or the configured IMT channel)."""
        with self.db.read() as session:
            query = select(TeamsConversation).order_by(TeamsConversation.updated_at.desc())
            if tenant:
                query = query.where(TeamsConversation.tenant_id == tenant)
            row = session.scalars(query.limit(1)).first()
            return ConversationReference().deserialize(row.reference) if row else None


def _moved(reference: ConversationReference, conversation_id: str) -> ConversationReference:
    data = reference.serialize()
    data["conversation"] = {**(data.get("conversation") or {}), "id": conversation_id}
    data.pop("activityId", None)
    data.pop("user", None)  # a post to the channel is to everyone in it
    return ConversationReference().deserialize(data)
