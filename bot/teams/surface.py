"""Teams as a surface: it only translates. Activities become engine calls; replies become
messages, cards, or the card that answers an ``Action.Execute`` in place.

``POST /api/messages`` is our own handler rather than botbuilder's ``CloudAdapter.process``:
4.17 answers most bad tokens with 500 and fails on every ``adaptiveCard/action`` invoke
(it serialises the invoke body twice). Here any authentication failure is a 401 with nothing
changed, and an invoke body is serialised only if it is an msrest ``Model``.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import logging
import re
from typing import Any

import aiohttp
from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    InvokeResponse,
)
from msrest.serialization import Model
from sqlalchemy import String

from bot.inbox import Inbox
from bot.teams import cards as teams_cards
from bot.teams import directory as people_search
from bot.teams import extension, files
from bot.teams.conversations import Conversations, channel_root
from bot.teams.inbound import Inbound
from bot.teams.messenger import TeamsMessenger
from cards.model import Form
from commands.core import outbox
from commands.core.context import Reply, Request, Submission
from commands.core.engine import Engine
from storage.conversations import ConversationKey
from storage.models import OutboxMessage
from storage.unit_of_work import Database

log = logging.getLogger(__name__)

SURFACE = "teams"
CARD_ACTION = "adaptiveCard/action"
# A form opened from a channel is answered in a personal chat; its data carries the channel
# back, so what the submission posts goes where the command was typed (as Slack's modals do).
FROM_CHANNEL = "teams_channel"
_TAGS = re.compile(r"<[^>]+>")
_PREFIX = re.compile(r"^/?opss\b\s*", re.IGNORECASE)
WELCOME = (
    "OPSS incident bot: it carries the Incident Management Plan. Type opss help for the "
    "commands, or opss raise and a title to report a potential issue to IMT (in a "
    "channel, mention the bot first)."
)


class BadActivity(Exception):
    """An activity whose parts have the wrong shape: answered 400, nothing done."""


class TeamsSurface:
    def __init__(
        self,
        engine: Engine,
        db: Database,
        adapter: CloudAdapter,
        authentication: Any,
        conversations: Conversations,
        app_id: str,
        messenger: TeamsMessenger,
        inbox: Inbox | None = None,
        directory: people_search.Directory | None = None,
    ) -> None:
        self.engine = engine
        # The organisation's people in person pickers (TEAMS_PEOPLE_SEARCH), or None: the
        # pickers offer the people the bot knows, and no search is answered.
        self.directory = directory
        self.messenger = messenger
        self.db = db
        self.adapter = adapter
        self.authentication = authentication
        self.conversations = conversations
        self.app_id = app_id
        # Messages are recorded and answered before their turn (bot/teams/inbound.py) where
        # tokens are checked; unauthenticated local Teams runs them before the answer.
        self.inbound = (
            Inbound(inbox, self._recorded_turn)
            if inbox is not None and getattr(authentication, "tokens", None) is not None
            else None
        )

    # The endpoint ---------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        """``POST /api/messages``."""
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.json_response({"error": "send the activity as application/json"}, status=415)
        try:
            body = await request.json()
            activity = Activity().deserialize(body)
        except Exception:
            return web.json_response({"error": "the body is not an activity"}, status=400)
        if not isinstance(body, dict) or not activity.type:
            return web.json_response({"error": "the activity has no type"}, status=400)
        malformed = malformed_part(body)
        if malformed is not None:
            return web.json_response({"error": f"the activity's {malformed}"}, status=400)
        missing = [
            name
            for name, value in (
                ("serviceUrl", activity.service_url),
                ("conversation", activity.conversation and activity.conversation.id),
                ("from", activity.from_property and activity.from_property.id),
            )
            if not value
        ]
        if missing:
            return web.json_response(
                {"error": f"the activity needs {', '.join(missing)}"}, status=400
            )
        try:
            authenticated = await self.authentication.authenticate_request(
                activity, request.headers.get("Authorization", "")
            )
        except Exception as exc:  # every way a token can be wrong: none of them is our fault
            log.info("Teams activity refused: %s", type(exc).__name__)
            return web.json_response({"error": "unauthorized"}, status=401)
        if self.inbound is not None and activity.type == ActivityTypes.message:
            return await self.inbound.accept(body, authenticated.claims_identity.claims)
        try:
            invoke = await self.adapter.process_activity(authenticated, activity, self.on_turn)
        except BadActivity as exc:
            log.info("Teams activity refused as malformed: %s", exc)
            return web.json_response({"error": str(exc)}, status=400)
        except Exception:
            log.exception("Teams activity %s failed", activity.type)
            return _failed(activity)
        if invoke is None:
            return web.Response(status=201)
        payload = invoke.body.serialize() if isinstance(invoke.body, Model) else invoke.body
        return web.json_response(payload, status=invoke.status or 200)

    async def _recorded_turn(self, claims: dict[str, Any], activity: Activity) -> None:
        """A message from the inbox, after its 201: the turn botbuilder would have run."""
        authenticated = self.authentication.from_claims(claims)
        await self.adapter.process_activity(authenticated, activity, self.on_turn)

    # Turns ----------------------------------------------------------------------------------

    async def on_turn(self, context: TurnContext) -> None:
        activity = context.activity
        await asyncio.to_thread(
            self.conversations.remember_activity, activity, self.engine.clock.now()
        )
        if activity.type == ActivityTypes.message:
            if isinstance(activity.value, dict) and activity.value:
                await self._submitted(context, dict(activity.value))
            else:
                await self._command(context)
        elif activity.type == ActivityTypes.invoke and activity.name == CARD_ACTION:
            await self._card_action(context)
        elif activity.type == ActivityTypes.invoke and activity.name == files.INVOKE:
            await self._file_consent(context)
        elif activity.type == ActivityTypes.invoke and activity.name == extension.FETCH:
            await self._extension_opened(context)
        elif activity.type == ActivityTypes.invoke and activity.name == extension.SUBMIT:
            await self._extension_submitted(context)
        elif (
            activity.type == ActivityTypes.invoke
            and activity.name == people_search.INVOKE
            and self.directory is not None
        ):
            await self._people_searched(context, self.directory)
        elif activity.type == ActivityTypes.invoke:
            # botbuilder would answer 501; the bot declares no other invokes in its package.
            raise BadActivity(f"invoke '{activity.name}' is not one this bot answers")
        elif activity.type == ActivityTypes.conversation_update and _bot_added(activity):
            await self._deliver(
                f"chat:{activity.conversation.id}", teams_cards.message(WELCOME, None)
            )

    async def _command(self, context: TurnContext) -> None:
        activity = context.activity
        text = (
            TurnContext.remove_recipient_mention(activity) if activity.entities else activity.text
        )
        text = html.unescape(_TAGS.sub(" ", text or "")).replace("\xa0", " ").strip()
        text = _PREFIX.sub("", text)
        destination = _reply_to(activity)
        reply = await asyncio.to_thread(
            self.engine.handle,
            Request(
                surface=SURFACE,
                user_id=_user(activity),
                user_name=_user_name(activity),
                channel=_where(activity),
                text=text,
                idempotency_key=f"teams:{activity.conversation.id}:{activity.id}",
                reply_to=_storable(destination),
                aliases=_aliases(activity),
                own_chat=_is_personal(activity),
            ),
        )
        if not reply.queued:  # a queued reply is the outbox's to deliver, with its record
            await self._tell(context, reply, destination)
        elif not _is_personal(activity) and (reply.ephemeral or not reply.ok):
            await self._point(context, "the answer")

    async def _submitted(self, context: TurnContext, data: dict[str, Any]) -> None:
        """``Action.Submit``: a message whose ``value`` holds the card's data and inputs."""
        activity = context.activity
        where = str(data.get(FROM_CHANNEL) or _where(activity))
        # The form is replaced where it is, as Action.Execute would do.
        replace = activity.reply_to_id if "form" in data else None
        destination = (
            f"edit:{activity.conversation.id} {replace}" if replace else _reply_to(activity)
        )
        reply = await self._submit(context, data, _storable(destination))
        if reply.queued:
            return
        if replace:
            card = await self._answer_card(reply, where)
            await self._deliver(destination, teams_cards.message("", card))
        else:
            await self._tell(context, reply, destination)

    async def _card_action(self, context: TurnContext) -> None:
        """``Action.Execute``: answered with the card that replaces the pressed one (for the
        person who pressed it)."""
        value = context.activity.value if isinstance(context.activity.value, dict) else {}
        action = value.get("action") or {}
        data = action.get("data") if isinstance(action, dict) else None
        if not isinstance(data, dict):
            raise BadActivity("value.action.data must be an object")
        data = dict(data)
        if files.PRESS in data:
            await self._file_pressed(context, data[files.PRESS])
            return
        where = str(data.get(FROM_CHANNEL) or _where(context.activity))
        in_channel = not _is_personal(context.activity)
        # Answered in the invoke's own response: nothing to queue (a retry of the invoke is
        # the same press, and replays).
        reply = await self._submit(context, data, None)
        if reply.card is not None and reply.card.links and reply.form is None:
            # Links for the presser alone (downloads, calendar invitations): a message of
            # their own, in their personal chat; the card pressed stays as it is.
            await self._answer(context, await self._privately(context, reply))
            return
        if "command" in data and reply.form is None:
            # A button on a card everyone sees (an issue's, a sitrep's): the card stays, and
            # is edited for everyone through the outbox when its subject changes.
            body = teams_cards.invoke_message(reply.text or "Done.", in_channel=in_channel)
        else:
            card = await self._answer_card(reply, where)
            body = teams_cards.invoke_answer(card, in_channel=in_channel)
        await context.send_activity(
            Activity(
                type=ActivityTypes.invoke_response,
                value=InvokeResponse(status=200, body=body),
            )
        )

    async def _extension_opened(self, context: TurnContext) -> None:
        """``composeExtension/fetchTask``: "Raise an issue from this message" picked on a
        message; answered with the raise form in a dialog, filled from the message."""
        activity = context.activity
        value = activity.value if isinstance(activity.value, dict) else {}
        try:
            extension.command_of(value)
        except extension.NotOurs as exc:
            raise BadActivity(str(exc)) from exc
        where = _where(activity)
        reply = await asyncio.to_thread(
            self.engine.open_form,
            SURFACE,
            _user(activity),
            _user_name(activity),
            where,
            extension.FORM,
            {},
            extension.prefill(value),
        )
        if reply.form is None:
            body = extension.done(reply.text, in_channel=not _is_personal(activity))
        else:
            body = self._dialog(reply.form, where, activity)
        await self._invoked(context, body)

    async def _extension_submitted(self, context: TurnContext) -> None:
        """``composeExtension/submitAction``: the dialog's raise form submitted. Checked as
        any form is; with errors the dialog stays open and shows them."""
        activity = context.activity
        value = activity.value if isinstance(activity.value, dict) else {}
        try:
            extension.command_of(value)
        except extension.NotOurs as exc:
            raise BadActivity(str(exc)) from exc
        data = value.get("data")
        if not isinstance(data, dict) or data.get("form") != extension.FORM:
            raise BadActivity(f"value.data must be the {extension.FORM} form's inputs")
        where = str(data.get(FROM_CHANNEL) or _where(activity))
        key = extension.submission_key(activity.conversation.id, value, data)
        reply = await self._submit(context, dict(data), None, key)
        if reply.form is not None:
            body = self._dialog(reply.form, where, activity)
        else:
            body = extension.done(reply.text or "Done.", in_channel=not _is_personal(activity))
        await self._invoked(context, body)

    async def _people_searched(
        self, context: TurnContext, directory: people_search.Directory
    ) -> None:
        """``application/search``: what a person picker's typeahead asks as someone types.
        Answered from Graph for people of the bot's own tenant only (a person of another,
        where the bot is installed too, reads nothing of this directory)."""
        activity = context.activity
        value = activity.value if isinstance(activity.value, dict) else {}
        if value.get("dataset") != people_search.DATASET:
            raise BadActivity(f"value.dataset must be {people_search.DATASET}")
        text = people_search.search_text(value)
        results: list[dict[str, str]] = []
        if text and _tenant(activity) == directory.tenant_id:
            found = await directory.search(text, people_search.wanted(value))
            known = await asyncio.to_thread(
                self.engine.known_people, SURFACE, [oid for oid, _ in found]
            )
            for oid, shown in found:
                choice = known.get(oid)
                results.append(
                    {"title": f"{choice.title} ({choice.value})", "value": choice.value}
                    if choice is not None
                    else {"title": shown, "value": oid}
                )
        await self._invoked(context, people_search.answer(results))

    def _dialog(self, form: Form, where: str, activity: Activity) -> dict[str, Any]:
        people = next(
            ([(c.value, c.title) for c in f.choices] for f in form.fields if f.kind == "person"),
            [],
        )
        return extension.dialog(
            form, people, {FROM_CHANNEL: where}, in_channel=not _is_personal(activity)
        )

    async def _answer(self, context: TurnContext, text: str) -> None:
        """An invoke answered with a message; the card pressed stays as it is."""
        await context.send_activity(
            Activity(
                type=ActivityTypes.invoke_response,
                value=InvokeResponse(
                    status=200,
                    body=teams_cards.invoke_message(
                        text, in_channel=not _is_personal(context.activity)
                    ),
                ),
            )
        )

    async def _privately(self, context: TurnContext, reply: Reply) -> str:
        """A reply only its person may see (it holds their links): in the chat they pressed
        in if it is their personal chat, else in their personal chat; says where."""
        await self._deliver(_reply_to(context.activity), teams_cards.reply_message(reply))
        if _is_personal(context.activity):
            return "Your link is below."
        return "Your link is in your chat with OPSS."

    async def _file_pressed(self, context: TurnContext, raw: Any) -> None:
        """A record's Download button: a one-time link for the presser, if they may read the
        incident (the engine decides, and audits a refusal)."""
        if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit():
            raise BadActivity(f"{files.PRESS} must be a record's number")
        activity = context.activity
        reply = await asyncio.to_thread(
            self.engine.document_link, SURFACE, _user(activity), int(raw), _aliases(activity)
        )
        if not reply.ok:
            await self._answer(context, reply.text)
            return
        await self._answer(context, await self._privately(context, reply))

    async def _file_consent(self, context: TurnContext) -> None:
        """``fileConsent/invoke``: the person allowed (or declined) a record offered with the
        file consent card. Allowed: the file is read for them (if they may still read its
        incident), put at the upload URL Teams gave, and shown with a file card."""
        activity = context.activity
        value = activity.value if isinstance(activity.value, dict) else {}
        action = value.get("action")
        context_data = value.get("context") if isinstance(value.get("context"), dict) else {}
        raw = (context_data or {}).get("document")
        if action not in ("accept", "decline") or isinstance(raw, bool) or not isinstance(raw, int):
            raise BadActivity("value needs action accept or decline and the record's context")
        chat = f"chat:{activity.conversation.id}"
        if action == "decline":
            await self._deliver(
                chat, teams_cards.message("Not saved: you declined the file.", None)
            )
            await self._invoked(context)
            return
        info = value.get("uploadInfo") if isinstance(value.get("uploadInfo"), dict) else {}
        url = str((info or {}).get("uploadUrl") or "")
        if not files.upload_allowed(url):
            raise BadActivity("uploadInfo.uploadUrl must be an https URL")
        taken = await asyncio.to_thread(
            self.engine.take_document,
            SURFACE,
            _user(activity),
            raw,
            "OneDrive (file consent)",
            _aliases(activity),
        )
        if isinstance(taken, str):  # refused (and audited): who may have it
            await self._deliver(chat, teams_cards.message(f"Not saved. {taken}", None))
            await self._invoked(context)
            return
        filename, _, content = taken
        try:
            await files.put(url, content)
        except (files.UploadFailed, aiohttp.ClientError, TimeoutError) as exc:
            log.info("record %s not saved to OneDrive: %s", filename, exc)
            note = f"{filename} could not be saved to your OneDrive; ask for it again."
            await self._deliver(chat, teams_cards.message(note, None))
        else:
            await self._deliver(chat, files.saved(info or {}, filename))
        await self._invoked(context)

    async def _invoked(self, context: TurnContext, body: dict[str, Any] | None = None) -> None:
        await context.send_activity(
            Activity(
                type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body=body)
            )
        )

    async def _submit(
        self,
        context: TurnContext,
        data: dict[str, Any],
        reply_to: str | None,
        key: str | None = None,
    ) -> Reply:
        activity = context.activity
        data.pop("msteams", None)
        key = key or press_key(activity, data)
        where = str(data.pop(FROM_CHANNEL, "") or _where(activity))
        picked = people_search.object_ids(data, data.pop(people_search.FIELDS, None))
        names: dict[str, str] = {}
        if picked and self.directory is not None and _tenant(activity) == self.directory.tenant_id:
            # Object ids a search offered: checked in Graph, their people's names kept.
            names = await self.directory.names(set(picked.values()))
        return await asyncio.to_thread(
            self.engine.submit,
            Submission(
                surface=SURFACE,
                user_id=_user(activity),
                user_name=_user_name(activity),
                channel=where,
                data=data,
                idempotency_key=key,
                reply_to=reply_to,
                aliases=_aliases(activity),
                own_chat=_own_chat(activity, where, data, reply_to),
                accounts=frozenset(f for f, oid in picked.items() if oid in names),
                account_names=names,
            ),
        )

    # Replies --------------------------------------------------------------------------------

    async def _answer_card(self, reply: Reply, where: str) -> dict[str, Any]:
        if reply.form is not None:
            return await asyncio.to_thread(self._form_card, reply.form, where)
        return teams_cards.reply_card(reply if reply.ephemeral else _text_only(reply))

    async def _tell(self, context: TurnContext, reply: Reply, destination: str) -> None:
        """A reply the engine did not queue (a form, a refusal, an answer that changed
        nothing): where they wrote in a personal chat, otherwise in their personal chat with
        the bot (Teams has no message only one member of a channel sees)."""
        if reply.form is not None:
            card = await asyncio.to_thread(self._form_card, reply.form, _where(context.activity))
            message = teams_cards.message("", card)
        else:
            message = teams_cards.reply_message(reply)
        await self._deliver(destination, message)
        if not _is_personal(context.activity) and (
            reply.form is not None or reply.ephemeral or not reply.ok
        ):
            await self._point(context, "the form" if reply.form is not None else "the answer")

    async def _point(self, context: TurnContext, what: str) -> None:
        """A command typed in a channel and answered in the person's own chat leaves one line
        in its thread, so the channel sees it was heard (an answer the channel was also
        shown, such as an issue's card, needs none)."""
        note = f"{_user_name(context.activity) or 'You'}: {what} is in your chat with OPSS."
        await self._deliver(
            f"chat:{context.activity.conversation.id}", teams_cards.message(note, None)
        )

    async def _deliver(self, destination: str, message: Activity) -> None:
        """Sent at once; if the Bot Connector refuses (a 429, an outage), queued for the outbox
        and its retries rather than dropped or answered with a 5xx. Never raises: whatever
        the command changed has committed."""
        answer = outbox.Answer(rendered=message.serialize())
        try:
            await self.messenger.reply(destination, answer)
            return
        except Exception as exc:
            log.info("Teams reply not sent at once (%s): queued", exc)
        if _storable(destination) is None:
            log.warning("Teams reply dropped: its destination is too long to queue")
            return
        try:
            await asyncio.to_thread(self._queue, destination, answer)
        except Exception:
            log.exception("Teams reply could not be queued")

    def _queue(self, destination: str, answer: outbox.Answer) -> None:
        with self.db.unit_of_work() as session:
            key = ConversationKey(SURFACE, destination)
            outbox.queue(session, key, answer, self.engine.clock.now())
        if self.engine.after_commit is not None:
            self.engine.after_commit()  # wakes the outbox

    def _form_card(self, form: Form, where: str) -> dict[str, Any]:
        return form_card(form, where, search=self.directory is not None)


def form_card(form: Form, where: str, *, search: bool = False) -> dict[str, Any]:
    """A form as Teams shows it: person fields offer the people the core put on the form
    (``people.pickable``, the same on every surface), and with ``search`` the organisation's
    people too (bot/teams/directory.py); its buttons say where it came from."""
    people = next(
        ([(c.value, c.title) for c in f.choices] for f in form.fields if f.kind == "person"),
        [],
    )
    card = teams_cards.form_card(form, people, search=search)
    if search:
        card = people_search.searchable(card, form)
    for action in card.get("actions", []):
        action["data"] = {**action.get("data", {}), FROM_CHANNEL: where}
    return card


def _reply_to(activity: Activity) -> str:
    """Where a reply to this activity goes, as ``TeamsMessenger.reply`` reads it."""
    if _is_personal(activity):
        return f"chat:{activity.conversation.id}"
    return f"user:{_user(activity)} {_tenant(activity) or ''}".rstrip()


def _tenant(activity: Activity) -> str | None:
    """The tenant the activity came from."""
    tenant = activity.conversation.tenant_id if activity.conversation else None
    return tenant or ((activity.channel_data or {}).get("tenant") or {}).get("id")


# An outbox row's conversation holds the destination (Teams ids are well within it).
_CONVERSATION = OutboxMessage.__table__.c.conversation.type
assert isinstance(_CONVERSATION, String) and _CONVERSATION.length is not None
_DESTINATION = _CONVERSATION.length


def _storable(destination: str) -> str | None:
    return destination if len(destination) <= _DESTINATION else None


def press_key(activity: Activity, data: dict[str, Any]) -> str:
    """One press of one button: the card's message (``replyToId``) and what the button
    carries. A redelivered activity, a client's retry and a second click on the same button of
    the same card share it; the same button on another card (another page's *More*) does not.
    Before its data is read (the channel a form came from is part of what it carries)."""
    conversation = activity.conversation.id
    card = activity.reply_to_id
    if not card:  # a card the channel does not name: one activity is one press
        return f"teams:{conversation}:{activity.id}"
    verb = ""
    if isinstance(activity.value, dict) and isinstance(activity.value.get("action"), dict):
        verb = str(activity.value["action"].get("verb") or "")
    pressed = json.dumps([verb, data], sort_keys=True, ensure_ascii=True, default=str)
    digest = hashlib.sha256(pressed.encode()).hexdigest()
    return f"teams:card:{conversation}:{card}:{digest}"


# What no database stores: a lone surrogate (not a character at all) or NUL.
_UNSTORABLE = re.compile("[\\ud800-\\udfff\\x00]")
# Ids and names: text the channel makes, with no control characters (they would end up in
# URLs and headers to the Bot Connector).
_NOT_AN_ID = re.compile("[\\ud800-\\udfff\\x00-\\x1f\\x7f]")
# The channel's ids themselves are ASCII (29:…, 19:…@thread.tacv2, GUIDs, URLs); one that is
# not would fail in an HTTP header on the way back, after its command had committed.
_NOT_ASCII = re.compile("[^\\x20-\\x7e]")
_OBJECTS = ("conversation", "from", "recipient", "channelData")
_IDS = (
    "id",
    "serviceUrl",
    "replyToId",
    "channelId",
    "conversation.id",
    "conversation.tenantId",
    "conversation.conversationType",
    "from.id",
    "from.name",
    "from.aadObjectId",
    "recipient.id",
    "recipient.name",
)
# The person's words, which the engine checks and answers with a message naming the field.
_THEIRS = ("text", "value")


def malformed_part(body: dict[str, Any]) -> str | None:
    """What is wrong with an activity's ids or parts (``from.id must be text``), before it
    is read: the person's own words are left to the engine."""
    for name in _OBJECTS:
        if body.get(name) is not None and not isinstance(body[name], dict):
            return f"{name} must be an object"
    for path in _IDS:
        outer, _, inner = path.partition(".")
        value = body.get(outer) if not inner else (body.get(outer) or {}).get(inner)
        if value is None:
            continue
        if not isinstance(value, str):
            return f"{path} must be text"
        if _NOT_AN_ID.search(value) or (not path.endswith(".name") and _NOT_ASCII.search(value)):
            return f"{path} is not valid text"
    tenant = (body.get("channelData") or {}).get("tenant")
    if tenant is not None:
        tenant_id = tenant.get("id") if isinstance(tenant, dict) else tenant
        if not isinstance(tenant_id, str) or _NOT_ASCII.search(tenant_id):
            return "channelData.tenant.id must be an id"
    stack: list[tuple[str, Any]] = [(k, v) for k, v in body.items() if k not in _THEIRS]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                return f"{path} is not valid text"
        elif isinstance(value, dict):
            for k, v in value.items():
                if _UNSTORABLE.search(str(k)):
                    return f"{path} is not valid text"
                stack.append((f"{path}.{k}", v))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(value))
    return None


def _user(activity: Activity) -> str:
    return str(activity.from_property.id) if activity.from_property else ""


def _aliases(activity: Activity) -> tuple[str, ...]:
    """The caller's Azure AD object id, what Graph and a seed file know them by; activities
    name them by their Teams id (``29:…``). The engine links the two to one person."""
    aad = getattr(activity.from_property, "aad_object_id", None) if activity.from_property else None
    return (str(aad),) if aad and aad != _user(activity) else ()


def _user_name(activity: Activity) -> str:
    return str(activity.from_property.name or "") if activity.from_property else ""


def _where(activity: Activity) -> str:
    """The channel a command came from: a channel thread counts as its channel."""
    conversation = activity.conversation.id if activity.conversation else ""
    if _is_personal(activity):
        return conversation
    channel = ((activity.channel_data or {}).get("channel") or {}).get("id")
    return channel or channel_root(conversation)


def _is_personal(activity: Activity) -> bool:
    conversation = activity.conversation
    kind = conversation.conversation_type if conversation else None
    return kind in (None, "personal") and not (conversation and conversation.is_group)


def _own_chat(activity: Activity, where: str, data: dict[str, Any], reply_to: str | None) -> bool:
    """Whether what the submission says "here" would repeat its answer there: in the person's
    own chat, when the answer is a message of the chat (a reply, or the card replacing a
    form). A card's button answered in its invoke alone shows a passing note, so the chat
    keeps its line."""
    if not _is_personal(activity) or where != activity.conversation.id:
        return False
    return reply_to is not None or "command" not in data


def _bot_added(activity: Activity) -> bool:
    """(installationUpdate comes too; its reference is kept, and one welcome is enough.)"""
    bot = activity.recipient.id if activity.recipient else None
    return any(m.id == bot for m in activity.members_added or [])


def _text_only(reply: Reply) -> Reply:
    return Reply(text=reply.text, ok=reply.ok)


# A press or a dialog may have committed before its answer failed: Teams then shows this,
# not an error, and a second press of the same card replays what was done (press_key).
UNANSWERED = (
    "The bot could not show its answer. Press the button again to see it: "
    "what was done is not done twice."
)


def _failed(activity: Activity) -> web.Response:
    """Answering an invoke that may have committed: never 5xx, which invites a redelivery and
    tells the person nothing; other activities commit nothing and may be redelivered."""
    in_channel = not _is_personal(activity)
    if activity.type == ActivityTypes.invoke and activity.name == CARD_ACTION:
        return web.json_response(teams_cards.invoke_message(UNANSWERED, in_channel=in_channel))
    if activity.type == ActivityTypes.invoke and activity.name == extension.SUBMIT:
        words = (
            "The bot could not show its answer. Submit the same form again to see it: "
            "the issue is not raised twice."
        )
        return web.json_response(extension.done(words, in_channel=in_channel))
    return web.json_response({"error": "the bot could not answer"}, status=502)
