"""Delivering outbox operations to Teams: posts and edits through the Bot Connector (proactive
``continue_conversation`` on a stored reference), incident channels through Graph, or, where
Graph is not configured or refuses, a new thread in the incidents channel.

Errors become ``DeliveryError`` so the outbox retries them: a 429 after its ``Retry-After``.
Teams has no idempotency key for posts either: as in Slack, a crash between the connector's
answer and the row being marked could repeat one post (docs/install-teams.md says why Teams cannot
check first).

A command's reply to the person who gave it is an outbox row too (op ``reply``), queued by
the command's own unit of work; its destination is one of:

``chat:<conversation>``        the conversation it was typed in (a personal chat)
``user:<user id> <tenant>``    the person's personal chat with the bot, opened if need be
``edit:<conversation> <id>``   the message holding the form they submitted, replaced
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import quote

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationParameters
from msrest.exceptions import ClientException
from sqlalchemy import select

from bot.messaging import Created, DeliveryError, Where
from bot.teams import cards as teams_cards
from bot.teams import files
from bot.teams.conversations import Conversations, channel_root
from bot.teams.graph import MAX_DISPLAY_NAME, MAX_MEMBERS, Graph, GraphRefused, NameTaken
from cards.model import Card
from commands.core import outbox
from commands.core.clock import Clock
from commands.core.context import Reply
from commands.core.outbox import Answer
from storage import repositories as repo
from storage.conversations import ConversationKey
from storage.models import Identity, Person
from storage.unit_of_work import Database

log = logging.getLogger(__name__)

CHANNEL = "msteams"
DEEP_LINK = "https://teams.microsoft.com/l"


def delivery_error(exc: Exception) -> DeliveryError:
    """The connector's refusal as the outbox understands it (429: wait as told)."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if status == 429:
        headers = getattr(response, "headers", {}) or {}
        retry_after = headers.get("Retry-After") or headers.get("retry-after") or "1"
        try:
            wait = float(retry_after)
        except ValueError:
            wait = 1.0
        return DeliveryError("Bot Connector rate limited", wait)
    return DeliveryError(f"Bot Connector {status or type(exc).__name__}", status=status)


class TeamsMessenger:
    surface = "teams"

    def __init__(
        self,
        adapter: CloudAdapter,
        app_id: str,
        db: Database,
        clock: Clock,
        conversations: Conversations,
        *,
        graph: Graph | None,
        team_id: str | None,
        incidents_channel: str | None,
        tenant_id: str | None,
        imt_conversation: str,
        channel_files: bool = False,
        meeting_organizer: str | None = None,
        private: bool = True,
        app_catalog_id: str | None = None,
    ) -> None:
        self.adapter = adapter
        self.app_id = app_id
        self.db = db
        self.clock = clock
        self.conversations = conversations
        self.graph = graph if team_id else None
        self.team_id = team_id or ""
        self.incidents_channel = incidents_channel
        self.tenant_id = tenant_id
        self.imt_conversation = imt_conversation
        # An administrator granted the bot the team's files (docs/install-teams.md).
        self.channel_files = channel_files
        # The user whose Teams meetings the bot makes (an application access policy).
        self.meeting_organizer = meeting_organizer
        self.private = private  # TEAMS_INCIDENT_CHANNELS=private
        self.app_catalog_id = app_catalog_id

    # Channels -------------------------------------------------------------------------------

    async def create_channel(
        self, name: str, topic: str, private: bool, members: list[str]
    ) -> Created:
        """The incident's channel through Graph: private with exactly its members (the first
        its owner) when TEAMS_INCIDENT_CHANNELS is ``private``, else standard, open to the
        whole team (docs/install-teams.md says which permissions each needs). Where Graph is
        not configured or refuses, a thread in the incidents channel."""
        reason = "Graph is not configured (TEAMS_TEAM_ID, MicrosoftAppTenantId)"
        if self.graph is not None:
            ids = await asyncio.to_thread(self._aad_ids, members) if self.private else {}
            people = [ids[m] for m in members if m in ids]
            try:
                channel = await self._graph_channel(name, topic, people)
            except GraphRefused as exc:
                reason = str(exc)
                log.warning("incident channel %s not created: %s; using a thread", name, exc)
            else:
                channel_id, taken = str(channel["id"]), str(channel.get("displayName") or name)
                if self.private:
                    await self._fill(channel_id, taken, people, members)
                await self._remember_channel(channel_id, self.team_id)
                return Created(channel_id, taken)
        return Created(await self._thread_instead(name, topic, reason), "")

    async def _graph_channel(self, name: str, topic: str, members: list[str]) -> dict[str, Any]:
        assert self.graph is not None
        if self.private and not members:
            raise GraphRefused("no member of the incident has a Teams account the bot knows")
        for attempt in range(1, 20):
            candidate = _suffixed(name, attempt)
            try:
                return await self.graph.create_channel(
                    self.team_id, candidate, topic, members=members
                )
            except NameTaken:
                # Told by its error code. A retry after a crash finds the channel it made
                # (same description); any other channel of that name is someone else's.
                found = await self.graph.find_channel(self.team_id, candidate)
                if found is not None and found.get("description") == topic[:1024]:
                    return found
        raise DeliveryError(f"no free channel name for {name}")

    async def _fill(self, channel_id: str, name: str, people: list[str], names: list[str]) -> None:
        """A new private channel: the bot added to it (a bot of the team is not in its private
        channels until added), and whoever Graph could not take at creation added after."""
        assert self.graph is not None
        for user in people[MAX_MEMBERS:]:
            await self.graph.add_member(self.team_id, channel_id, user)
        problem = ""
        if not self.app_catalog_id:
            problem = "TEAMS_APP_CATALOG_ID is not set"
        else:
            try:
                await self.graph.enable_app(self.team_id, channel_id, self.app_catalog_id)
            except GraphRefused as exc:
                problem = str(exc)
        if problem:
            log.warning("the bot is not added to private channel %s: %s", name, problem)
            await asyncio.to_thread(self._ask_to_add_the_app, name, problem, names[:1])

    def _ask_to_add_the_app(self, name: str, problem: str, owner: list[str]) -> None:
        """Queued like any post: IMT, and the channel's owner, who can add the app by hand."""
        text = (
            f"OPSS could not add itself to the private channel {name} ({problem}). Its "
            "owner can: in Teams, the channel's ⋯ menu, Manage channel, Apps, then add OPSS. "
            "The incident's posts wait until then."
        )
        with self.db.unit_of_work() as session:
            outbox.queue(
                session,
                ConversationKey(self.surface, self.imt_conversation),
                outbox.Post(text),
                self.clock.now(),
            )
            person = repo.person_by_name(session, owner[0]) if owner else None
            if person is not None:
                outbox.queue(
                    session,
                    ConversationKey.of_person(self.surface, person.id),
                    outbox.Tell(person.id, text),
                    self.clock.now(),
                )

    def _aad_ids(self, names: Sequence[str]) -> dict[str, str]:
        """Each person's Azure AD object id, which Graph names members by: their Teams account
        that is not a ``29:`` Teams id (a seed's, or the alias their first activity gave)."""
        if not names:
            return {}
        with self.db.read() as session:
            rows = session.execute(
                select(Person.name, Identity.external_id)
                .join(Identity, Identity.person_id == Person.id)
                .where(Identity.surface == self.surface, Person.name.in_(list(names)))
                .order_by(Identity.id)
            ).tuples()
            out: dict[str, str] = {}
            for name, external in rows:
                if not external.startswith(("29:", "28:")):
                    out.setdefault(name, external)
        unknown = sorted(set(names) - set(out))
        if unknown:
            log.info("no Azure AD id known, so not in the private channel: %s", ", ".join(unknown))
        return out

    def _in_graph(self, channel_id: str) -> bool:
        """A private Graph channel, whose members the bot keeps (not a thread, not standard)."""
        return self.graph is not None and self.private and ";messageid=" not in channel_id

    async def _remember_channel(self, channel_id: str, team_id: str) -> None:
        base = await asyncio.to_thread(self.conversations.any_in_tenant, self.tenant_id)
        if base is None:
            raise DeliveryError("no Teams conversation known yet: install the app in the team")
        data = base.serialize()
        data.pop("user", None)  # someone else's conversation lent its service URL and bot
        data["conversation"] = {
            "id": channel_id,
            "isGroup": True,
            "conversationType": "channel",
            "tenantId": (data.get("conversation") or {}).get("tenantId"),
        }
        reference = type(base)().deserialize(data)
        await asyncio.to_thread(
            self.conversations.remember,
            reference,
            "channel",
            self.tenant_id or "",
            team_id,
            self.clock.now(),
        )

    async def _thread_instead(self, name: str, topic: str, reason: str) -> str:
        if not self.incidents_channel:
            raise DeliveryError(f"{reason}, and TEAMS_INCIDENTS_CHANNEL_ID is not set")
        reference = await self._reference(self.incidents_channel)
        started: list[str] = []

        async def capture(context: TurnContext) -> None:
            started.append(context.activity.conversation.id)

        parameters = ConversationParameters(
            is_group=True,
            bot=reference.bot,
            channel_data={"channel": {"id": self.incidents_channel}},
            # The topic holds the incident's title: plain text, shown as typed.
            activity=teams_cards.message(f"{topic}\nThis thread is the incident's channel.", None),
            tenant_id=self.tenant_id
            or (reference.conversation.tenant_id if reference.conversation else None),
        )
        try:
            await self.adapter.create_conversation(
                self.app_id, capture, parameters, CHANNEL, reference.service_url, None
            )
        except ClientException as exc:  # a refusal, an unreadable answer, no connection
            raise delivery_error(exc) from exc
        thread = started[0]
        await self._remember_thread(reference, thread)
        await asyncio.to_thread(self._tell_imt, topic, reason)
        return thread

    async def _remember_thread(self, base: Any, thread: str) -> None:
        data = base.serialize()
        data["conversation"] = {**(data.get("conversation") or {}), "id": thread}
        await asyncio.to_thread(
            self.conversations.remember,
            type(base)().deserialize(data),
            "channel",
            self.tenant_id or "",
            self.team_id,
            self.clock.now(),
        )

    def _tell_imt(self, topic: str, reason: str) -> None:
        """Queued like any post, after the thread exists."""
        text = (
            f"Teams could not create the channel for {topic} ({reason}). The incident's "
            "posts are in a new thread in the incidents channel instead."
        )
        with self.db.unit_of_work() as session:
            outbox.queue(
                session,
                ConversationKey(self.surface, self.imt_conversation),
                outbox.Post(text),
                self.clock.now(),
            )

    async def invite(self, channel_id: str, members: list[str]) -> None:
        """People who joined the incident join its private channel. A standard channel is open
        to the whole team, and a thread to its channel's members: no one to add."""
        if not self._in_graph(channel_id):
            return
        assert self.graph is not None
        ids = await asyncio.to_thread(self._aad_ids, members)
        for name in members:
            if name in ids:
                await self.graph.add_member(self.team_id, channel_id, ids[name])

    async def remove(self, channel_id: str, members: list[str]) -> None:
        """People who left the incident leave its private channel."""
        if not self._in_graph(channel_id):
            return
        assert self.graph is not None
        ids = await asyncio.to_thread(self._aad_ids, members)
        for name in members:
            if name in ids:
                await self.graph.remove_member(self.team_id, channel_id, ids[name])

    def where(self, channel_id: str, name: str) -> Where:
        """The conversation as Teams shows it, with the deep link that opens it: no ``#``
        (Slack's), and for the thread fallback, no channel name at all."""
        tenant = quote(self.tenant_id or "", safe="")
        team = quote(self.team_id, safe="")
        if ";messageid=" in channel_id:
            channel, _, message = channel_id.partition(";messageid=")
            url = (
                f"{DEEP_LINK}/message/{quote(channel, safe='')}/{quote(message, safe='')}"
                f"?tenantId={tenant}&groupId={team}&parentMessageId={quote(message, safe='')}"
            )
            return Where("A thread in the incidents channel", url, "Open in Teams")
        kind = "Private channel" if self.private else "Channel"
        url = (
            f"{DEEP_LINK}/channel/{quote(channel_id, safe='')}/{quote(name, safe='')}"
            f"?groupId={team}&tenantId={tenant}"
        )
        return Where(f"{kind} {name}", url, "Open in Teams")

    # Posts ----------------------------------------------------------------------------------

    async def post(
        self, channel_id: str, text: str, card: Card | None, *, delivery_key: str
    ) -> str:
        activity = teams_cards.message(
            text,
            teams_cards.card_json(card) if card else None,
            exercise=bool(card and card.exercise),
        )
        ids: list[str] = []

        async def send(context: TurnContext) -> None:
            response = await context.send_activity(activity)
            ids.append(response.id if response else "")

        await self._proactive(channel_id, send, activity)
        return ids[0]

    async def update(self, channel_id: str, message_id: str, text: str, card: Card | None) -> None:
        activity = teams_cards.message(
            text,
            teams_cards.card_json(card) if card else None,
            exercise=bool(card and card.exercise),
        )
        activity.id = message_id

        async def edit(context: TurnContext) -> None:
            await context.update_activity(activity)

        try:
            await self._proactive(channel_id, edit, activity)
        except (DeliveryError, ValueError) as exc:
            # A message that cannot be edited (deleted, not the bot's, or a client that edits
            # nothing) would hold every later post to its conversation for ever, retried in
            # order. The card stays as it was; its next edit carries the whole card again.
            status = exc.status if isinstance(exc, DeliveryError) else None
            lasting = isinstance(exc, ValueError) or (
                status is not None and 400 <= status < 500 and status != 429
            )
            if not lasting:
                raise
            log.warning("message %s not edited, left as it was: %s", message_id, exc)

    async def pin(self, channel_id: str, message_id: str) -> None:
        # Teams has no API to pin a channel message; docs/install-teams.md says what we do instead.
        return None

    async def bookmark(
        self, channel_id: str, title: str, target_channel: str, target_message: str
    ) -> None:
        return None

    async def archive(self, channel_id: str) -> None:
        """A closed incident's Graph channel is archived; a thread (the fallback) cannot be,
        and its closing post says it is closed."""
        if self.graph is None or ";messageid=" in channel_id:
            return None
        try:
            await self.graph.archive_channel(self.team_id, channel_id)
        except GraphRefused as exc:  # no permission: not worth retrying for ever
            log.warning("incident channel %s not archived: %s", channel_id, exc)

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
        """A kept record delivered as Teams allows where it goes (``bot/teams/files.py``): in
        a personal chat the file consent card; in a channel whose files the bot was granted,
        the file itself in its files folder; elsewhere a card whose Download button gives the
        presser a link of their own."""
        kind = await asyncio.to_thread(self.conversations.kind_of, channel_id)
        size = len(content)
        if kind == "personal":
            activity = files.consent(filename, title, size, document_id)
        else:
            activity = files.to_download(filename, title, size, document_id)
            if kind == "channel" and self.channel_files and self.graph is not None:
                try:
                    item = await self.graph.upload_to_channel(
                        self.team_id, channel_root(channel_id), filename, content
                    )
                except GraphRefused as exc:  # no grant after all: the Download card stands
                    log.warning("record %s not put in the channel's files: %s", filename, exc)
                else:
                    web_url = str(item.get("webUrl") or "")
                    activity = files.in_channel_files(filename, title, size, web_url)
        return await self._send_one(channel_id, activity)

    async def _send_one(self, conversation: str, activity: Activity) -> str:
        return str((await self._send(conversation, activity))["message"])

    # Teams meetings -------------------------------------------------------------------------

    async def online_meeting(self, meeting: outbox.Meeting) -> str | None:
        """The join link of the Teams meeting for one occurrence (made once: createOrGet by
        its key), when Graph and an organiser are configured; None otherwise, or when Graph
        refuses (the reminder goes without it, and the log says why)."""
        if self.graph is None or not self.meeting_organizer:
            return None
        try:
            return await self.graph.online_meeting(
                self.meeting_organizer,
                meeting.key,
                meeting.subject,
                meeting.start.isoformat(),
                meeting.end.isoformat(),
            )
        except GraphRefused as exc:
            log.warning("no Teams meeting for %s: %s", meeting.subject, exc)
            return None

    # Replies to one person ------------------------------------------------------------------

    async def direct(self, accounts: Sequence[str]) -> str | None:
        """A person's personal chat with the bot: the one stored when they used it, or one
        ``create_conversation`` opens (or finds, when it is already open)."""
        stored = await asyncio.to_thread(self.conversations.personal_of, accounts)
        if stored is not None:
            return stored
        user = next((a for a in accounts if a.startswith("29:")), accounts[0] if accounts else "")
        return await self._open_private(user, self.tenant_id) if user else None

    async def reply(self, destination: str, answer: Answer) -> dict[str, Any]:
        """A command's answer (the engine's reply, or a message the surface rendered)
        delivered to ``destination`` (see the module's docstring)."""
        kind, _, where = destination.partition(":")
        if kind == "edit":
            conversation, _, message_id = where.rpartition(" ")
            activity = _reply_activity(answer, in_place=True)
            activity.id = message_id

            async def edit(context: TurnContext) -> None:
                await context.update_activity(activity)

            await self._proactive(conversation, edit, activity)
            return {"channel": conversation, "message": message_id}
        activity = _reply_activity(answer, in_place=False)
        if kind == "chat":
            return await self._send(where, activity)
        if kind == "user":
            user, _, tenant = where.partition(" ")
            return await self._in_private(user, tenant or self.tenant_id, activity)
        return {"skipped": f"no Teams destination '{destination[:40]}'"}

    async def _send(self, conversation: str, activity: Activity) -> dict[str, Any]:
        ids: list[str] = []

        async def send(context: TurnContext) -> None:
            response = await context.send_activity(activity)
            ids.append(response.id if response else "")

        await self._proactive(conversation, send, activity)
        return {"channel": conversation, "message": ids[0]}

    async def _in_private(
        self, user: str, tenant: str | None, activity: Activity
    ) -> dict[str, Any]:
        """Teams has no message only one member of a channel sees: the person's own chat with
        the bot, which ``create_conversation`` opens, or finds when it is already open."""
        return await self._send(await self._open_private(user, tenant), activity)

    async def _open_private(self, user: str, tenant: str | None) -> str:
        """The personal chat with ``user``, opened (or found) and its reference stored."""
        base = await asyncio.to_thread(self.conversations.any_in_tenant, tenant)
        if base is None:
            raise DeliveryError("no Teams conversation known yet in that tenant")
        parameters = ConversationParameters(
            is_group=False,
            bot=base.bot,
            members=[ChannelAccount(id=user)],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}} if tenant else None,
        )
        opened: list[str] = []

        async def remember(private: TurnContext) -> None:
            reference = TurnContext.get_conversation_reference(private.activity)
            reference.user = ChannelAccount(id=user)  # whose chat it is, for ``direct``
            await asyncio.to_thread(
                self.conversations.remember,
                reference,
                "personal",
                tenant or "",
                "",
                self.clock.now(),
            )
            opened.append(private.activity.conversation.id)

        try:
            await self.adapter.create_conversation(
                self.app_id,
                remember,
                parameters,
                base.channel_id or CHANNEL,
                base.service_url,
                None,
            )
        except ClientException as exc:  # a refusal, an unreadable answer, no connection
            raise delivery_error(exc) from exc
        return opened[0]

    # The Bot Connector ----------------------------------------------------------------------

    async def _reference(self, conversation_id: str) -> Any:
        reference = await asyncio.to_thread(self.conversations.reference, conversation_id)
        if reference is None:
            base = await asyncio.to_thread(self.conversations.any_in_tenant, self.tenant_id)
            if base is None:
                raise DeliveryError(
                    f"no Teams conversation reference for {conversation_id}: install the app"
                )
            data = base.serialize()
            data.pop("user", None)
            data["conversation"] = {"id": conversation_id, "isGroup": True}
            reference = type(base)().deserialize(data)
        return reference

    async def _proactive(
        self,
        conversation_id: str,
        work: Callable[[TurnContext], Awaitable[None]],
        activity: Activity | None = None,
    ) -> None:
        """``work`` on the conversation; ``activity``, what it sends, first has its commands
        named as Teams types them there (``teams_shaped``)."""
        reference = await self._reference(conversation_id)
        if activity is not None:
            teams_cards.teams_shaped(activity, in_channel=not _personal(reference))
        try:
            await self.adapter.continue_conversation(reference, work, self.app_id)
        except ClientException as exc:  # a refusal, an unreadable answer, no connection
            raise delivery_error(exc) from exc


def _personal(reference: Any) -> bool:
    """A personal chat (one person and the bot), as the stored reference says."""
    conversation = reference.conversation
    kind = conversation.conversation_type if conversation else None
    return kind in (None, "personal") and not (conversation and conversation.is_group)


def _reply_activity(answer: Answer, *, in_place: bool) -> Activity:
    if answer.rendered is not None:  # rendered by the surface (a form, a note)
        return Activity().deserialize(answer.rendered)
    reply = Reply(text=answer.text, card=answer.card, ephemeral=answer.ephemeral, ok=answer.ok)
    return teams_cards.reply_message(reply, in_place=in_place)


def _suffixed(name: str, n: int) -> str:
    """The ``n``th name tried: the name itself, within Teams' 50 characters, then ``-2``…"""
    suffix = f"-{n}" if n > 1 else ""
    return name[: MAX_DISPLAY_NAME - len(suffix)].rstrip("-") + suffix


def _marked(card: Card | None) -> bool:
    """Whether the card carries the EXERCISE banner (its text then does not repeat it)."""
    return card is not None and card.exercise
