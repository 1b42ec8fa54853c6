"""Slack as a surface: it only translates. Slack payloads become engine calls; replies become
ephemeral messages, modals or inline errors. A command or a button is recorded in the inbox
before it is acknowledged (Slack allows 3 s) and processed after; a modal submission is
processed before its acknowledgement, in which its inline errors travel; a shortcut opens
its form before. A reply to a change is queued with the change (the outbox delivers it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.error import BoltUnhandledRequestError
from slack_sdk.models.blocks import HeaderBlock, MarkdownTextObject, PlainTextObject, SectionBlock
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.inbox import Inbox
from bot.slack import inbound
from bot.slack.messenger import ephemeral_destination, reply_blocks, response_destination
from cards import blockkit
from cards.model import Form
from commands.core.context import Reply, Request, Submission
from commands.core.engine import Engine
from storage import repositories as repo
from storage.unit_of_work import Database

log = logging.getLogger(__name__)

COMMAND = "/opss"
SHORTCUT = "raise_as_opss_issue"
SURFACE = "slack"
WORKERS = 2  # acknowledged requests processed at once
NOT_RECORDED = "The bot could not record that, and nothing was done. Please try again."
RESTARTED = (
    "The bot restarted before it could open the form for that; nothing was saved. "
    "Please run the command again."
)


class SlackSurface:
    def __init__(
        self,
        engine: Engine,
        db: Database,
        *,
        token: str,
        signing_secret: str,
        api_url: str,
        inbox_db: Database | None = None,
    ) -> None:
        self.engine = engine
        self.db = db
        self.client = AsyncWebClient(token=token, base_url=api_url)
        self._http: aiohttp.ClientSession | None = None
        self._replaying: asyncio.Task[None] | None = None
        # Told when acknowledged work starts, so a shutdown waits for it (bot/lifecycle.py).
        self.track: Callable[[], None] = lambda: None
        # On SQLite, in a file of its own, so the insert that comes before the acknowledgement
        # never waits behind the engine's writes (storage/inbox.py).
        self.inbox = Inbox(inbox_db or db, engine.clock.now)
        # Acknowledged work runs a few at a time: SQLite has one writer, and a crowd of engine
        # transactions waiting for it would keep the inbox (which Slack's 3 s wait on) out.
        self._working = asyncio.Semaphore(WORKERS)
        self.signing_secret = signing_secret
        self.app = AsyncApp(
            client=self.client,
            signing_secret=signing_secret,
            process_before_response=False,
            # handle() has checked the signature and its age already (bot/slack/inbound.py),
            # before bolt sees the request; bolt checking it again is the same HMAC twice.
            request_verification_enabled=False,
            logger=logging.getLogger("slack_bolt"),
            # An unhandled request is answered here in one line, not logged with its body.
            raise_error_for_unhandled_request=True,
        )
        self.app.command(COMMAND)(self.on_command)
        self.app.view(blockkit.FORM_CALLBACK)(self.on_view_submission)
        self.app.action(re.compile(f"^{blockkit.ACTION_PREFIX}"))(self.on_button)
        self.app.action(re.compile(f"^{blockkit.LINK_PREFIX}"))(self.on_link)
        self.app.shortcut(SHORTCUT)(self.on_shortcut)
        self.app.event("app_home_opened")(self.on_home)
        self.app.error(self.on_error)

    async def handle(self, request: web.Request) -> web.Response:
        """``POST /slack/events``: signature and shape checked first (401 / 400), then bolt."""
        if request.content_length is not None and request.content_length > inbound.MAX_BODY:
            return self._refused(inbound.Refusal(400, "the request body is too large"))
        body = await request.read()
        refusal = inbound.check(request.headers, body, self.signing_secret)
        if refusal is not None:
            return self._refused(refusal)
        bolt_response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    @staticmethod
    async def on_error(error: Exception) -> None:
        """Bolt's errors, in one line and never with the request body."""
        if isinstance(error, BoltUnhandledRequestError):
            log.info("slack request refused (404): no listener for that request")
        else:
            log.error("slack listener failed: %s", type(error).__name__, exc_info=error)

    @staticmethod
    def _refused(refusal: inbound.Refusal) -> web.Response:
        log.info("slack request refused (%s): %s", refusal.status, refusal.reason)
        return web.Response(status=refusal.status, text=f"Refused: {refusal.reason}.")

    # Listeners ------------------------------------------------------------------------------
    # A command or a button is recorded in the inbox before Slack is told it was received, and
    # processed after; its reply is queued by the engine in the command's own unit of work
    # (``reply_to``), so a process killed at any moment loses neither (bot/inbox.py).

    async def on_command(self, ack: Any, command: dict[str, Any]) -> None:
        self.track()
        try:
            entry = await self.inbox.record("command", command)
        except Exception:
            log.exception("could not record a slash command; not acknowledged as received")
            await ack(text=NOT_RECORDED, response_type="ephemeral")
            return
        await ack()
        await self._process(entry, "command", command, replayed=False)

    async def on_button(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        self.track()
        if not isinstance(action.get("value"), str):
            await ack()
            return  # not one of our buttons
        view = body.get("view") or {}
        pressed = {
            "user": {"id": body["user"]["id"], "username": body["user"].get("username", "")},
            "channel": (body.get("channel") or {}).get("id"),
            "response_url": body.get("response_url"),
            "trigger_id": body.get("trigger_id", ""),
            "view": {"id": view.get("id"), "type": view.get("type")} if view else None,
            "value": action["value"],
            "action_ts": action.get("action_ts", ""),
        }
        try:
            entry = await self.inbox.record("button", pressed)
        except Exception:
            log.exception("could not record a button press; not acknowledged as received")
            return  # unacknowledged: Slack tells the user it failed
        await ack()
        await self._process(entry, "button", pressed, replayed=False)

    async def _process(
        self, entry: int, kind: str, body: dict[str, Any], *, replayed: bool
    ) -> None:
        """Run a recorded request, then mark it done (a crash before that: it runs again at the
        next start, and the engine's idempotency key keeps it from recording anything twice)."""
        try:
            async with self._working:
                if kind == "command":
                    await self._command(body, replayed)
                elif kind == "button":
                    await self._button(body, replayed)
                else:
                    log.warning("inbox row %s of unknown kind %s left unprocessed", entry, kind)
        finally:
            await self.inbox.done(entry)

    async def replay(self) -> None:
        """At start: the requests a stopped process acknowledged and did not finish."""
        self.track()
        rows = await asyncio.to_thread(self.inbox.claim_undone)
        if rows:
            log.info("processing %d acknowledged Slack requests left unfinished", len(rows))
        for entry, kind, body in rows:
            try:
                await self._process(entry, kind, body, replayed=True)
            except Exception:
                log.exception("replay of inbox row %s failed", entry)

    async def _command(self, command: dict[str, Any], replayed: bool) -> None:
        response_url = command.get("response_url")
        reply = await asyncio.to_thread(
            self.engine.handle,
            Request(
                surface=SURFACE,
                user_id=command["user_id"],
                user_name=command.get("user_name", ""),
                channel=command["channel_id"],
                text=command.get("text", ""),
                # Identical on a retried delivery, so the retry records nothing twice.
                idempotency_key=f"slack:command:{command['trigger_id']}",
                reply_to=response_destination(response_url),
            ),
        )
        if reply.queued:
            return  # the outbox delivers it, committed with the change it reports
        await self._answer(
            _late(reply) if replayed else reply,
            command["trigger_id"],
            command["channel_id"],
            response_url,
        )

    async def _button(self, pressed: dict[str, Any], replayed: bool) -> None:
        user = pressed["user"]["id"]
        channel = pressed.get("channel") or user
        response_url = pressed.get("response_url")
        reply = await asyncio.to_thread(
            self.engine.submit,
            Submission(
                surface=SURFACE,
                user_id=user,
                user_name=pressed["user"].get("username", ""),
                channel=channel,
                data={"command": pressed["value"]},
                idempotency_key=f"slack:action:{pressed.get('action_ts', '')}:{user}",
                reply_to=response_destination(response_url),
            ),
        )
        if reply.queued:
            return
        view = pressed.get("view") or {}
        if not response_url and reply.form is None and view.get("type"):
            # Pressed on App Home or in a modal, where there is no message to answer under:
            # the answer opens in a modal, and a button inside it (More) updates it in place.
            modal = self._answer_modal(reply)
            if view["type"] == "modal":
                await self.client.views_update(view_id=view["id"], view=modal.to_dict())
            elif not replayed:  # a trigger lasts 3 seconds: a replay cannot open a modal
                await self.client.views_open(
                    trigger_id=pressed.get("trigger_id", ""), view=modal.to_dict()
                )
            return
        await self._answer(
            _late(reply) if replayed else reply,
            pressed.get("trigger_id", ""),
            channel,
            response_url,
        )

    async def on_link(self, ack: Any) -> None:
        await ack()  # a link button (a download): Slack opens the URL; nothing to do

    def _answer_modal(self, reply: Reply) -> View:
        title = reply.card.title if reply.card is not None else "OPSS"
        if len(title) > blockkit.MAX_TITLE:
            title = title[: blockkit.MAX_TITLE - 1] + "…"
        return View(
            type="modal",
            title=PlainTextObject(text=title),
            close=PlainTextObject(text="Close"),
            blocks=reply_blocks(reply),
        )

    async def on_view_submission(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        self.track()
        user = body["user"]["id"]
        meta = json.loads(view.get("private_metadata") or "{}")  # an object: inbound.py
        channel = str(meta.pop("channel", "") or user)
        state = view["state"]["values"]
        values = blockkit.submitted_values(state)
        reply = await asyncio.to_thread(
            self.engine.submit,
            Submission(
                surface=SURFACE,
                user_id=user,
                user_name=body["user"].get("username", ""),
                channel=channel,
                data={**meta, **values},
                idempotency_key=f"slack:view:{view['id']}",
                # Run before the acknowledgement (its errors travel in it), so the change and
                # this reply are committed before Slack hears anything.
                reply_to=ephemeral_destination(channel, user),
                # Person pickers give Slack user ids: the engine names the people, and stores
                # a first-time one with the change (nothing is written before it).
                accounts=frozenset(blockkit.person_fields(state)),
            ),
        )
        if not reply.ok:
            first_block = next(iter(view["state"]["values"]), "")
            errors = dict(reply.errors) or {"_form": reply.text}
            if reply.form is not None:
                await ack(**blockkit.error_response(reply.form, errors))
            else:  # e.g. a refusal: say it under the first input
                await ack(response_action="errors", errors={first_block: reply.text[:2000]})
            return
        if reply.form is not None:
            modal = blockkit.form_modal(
                await asyncio.to_thread(self._slack_form, reply.form), {"channel": channel}
            )
            await ack(response_action="update", view=modal.to_dict())
            return
        await ack()
        if reply.text and not reply.queued:
            await self.client.chat_postEphemeral(
                channel=channel,
                user=user,
                text=blockkit.message_text(reply.text),
                blocks=reply_blocks(reply),
            )

    async def on_shortcut(self, ack: Any, shortcut: dict[str, Any]) -> None:
        """Message shortcut "Raise as OPSS issue": the raise form with the message in it. The
        form opens before the acknowledgement (a trigger lasts 3 s anyway): a process that
        dies first leaves Slack to tell the user it failed, rather than nobody."""
        self.track()
        message = shortcut.get("message") or {}
        channel = (shortcut.get("channel") or {}).get("id", "")
        user = shortcut["user"]["id"]
        link = ""
        if channel and message.get("ts"):
            permalink = await self.client.chat_getPermalink(
                channel=channel, message_ts=message["ts"]
            )
            link = str(permalink.get("permalink", ""))
        text = str(message.get("text", ""))
        first_line = text.strip().splitlines()[0] if text.strip() else ""
        reply = await asyncio.to_thread(
            self.engine.open_form,
            SURFACE,
            user,
            shortcut["user"].get("username", ""),
            channel,
            "raise",
            {},
            {"title": first_line[:120], "description": text[:4000], "link": link},
        )
        await self._answer(reply, shortcut.get("trigger_id", ""), channel, None)
        await ack()

    async def on_home(self, event: dict[str, Any]) -> None:
        self.track()
        if event.get("tab", "home") != "home":
            return
        user = event["user"]
        cards = await asyncio.to_thread(self.engine.home, SURFACE, user, "")
        blocks: list[Any] = [HeaderBlock(text=PlainTextObject(text="OPSS incident bot"))]
        for card in cards:
            blocks += blockkit.card_blocks(card)
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text="Type `/opss help` in any channel for the commands.")
            )
        )
        await self.client.views_publish(
            user_id=user, view=View(type="home", blocks=blocks[:100]).to_dict()
        )

    # Replies --------------------------------------------------------------------------------

    async def _answer(
        self, reply: Reply, trigger_id: str, channel: str, response_url: str | None
    ) -> None:
        if reply.form is not None:
            form = await asyncio.to_thread(self._slack_form, reply.form)
            modal = blockkit.form_modal(form, {"channel": channel})
            await self.client.views_open(trigger_id=trigger_id, view=modal.to_dict())
            return
        if not response_url:
            return
        # One keep-alive HTTP session for every reply, rather than a new one per reply.
        webhook = AsyncWebhookClient(url=response_url, session=self.http())
        await webhook.send(
            text=blockkit.message_text(reply.text),
            blocks=reply_blocks(reply),
            response_type="ephemeral",
            replace_original=False,
        )

    async def start(self) -> None:
        """Once serving: the shared HTTP session, and the replay of unfinished requests."""
        self.http()
        self._replaying = asyncio.create_task(self.replay())

    def http(self) -> aiohttp.ClientSession:
        """The process's shared HTTP session (made inside the running loop, on first use)."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
            self.client.session = self._http  # the Web API client reuses it too
        return self._http

    async def close(self) -> None:
        if self._http is not None and not self._http.closed:
            await self._http.close()

    # People: Slack user ids in forms, person names in the core ------------------------------

    def _slack_form(self, form: Form) -> Form:
        """Pre-filled people are shown as Slack users where their account is known."""
        people = [f for f in form.fields if f.kind in {"person", "people"} and f.value]
        names = [n.strip() for f in people for n in str(f.value).split(",") if n.strip()]
        if not names:
            return form
        with self.db.read() as session:
            ids = repo.external_ids(session, SURFACE, names)
        return form.prefilled(
            {
                f.name: ",".join(
                    ids[n.strip()] for n in str(f.value).split(",") if n.strip() in ids
                )
                for f in people
            }
        )


def _late(reply: Reply) -> Reply:
    """A replayed request's form cannot open (its trigger expired): the caller is told."""
    return Reply(text=RESTARTED, ok=False) if reply.form is not None else reply
