"""Delivering outbox operations to Slack through the Web API (``SLACK_API_URL``).

Errors become ``DeliveryError`` so the outbox retries them: ``429`` with its ``Retry-After``,
server errors with backoff. The SDK's own retry handlers are not used, so one policy applies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.logs import request_id
from bot.messaging import Created, DeliveryError, Where
from cards.blockkit import blocks_json, card_blocks, message_text, text_blocks
from cards.model import Card, shown_text
from commands.core.context import Reply
from commands.core.outbox import Answer
from rules.channels import MAX_NAME
from storage import repositories as repo
from storage.unit_of_work import Database

log = logging.getLogger(__name__)

RESPONSE = "response:"  # a reply through the request's response_url (valid 30 minutes)
EPHEMERAL = "ephemeral:"  # a reply with chat.postEphemeral: "ephemeral:CHANNEL:USER"
MAX_DESTINATION = 200  # the outbox's conversation column
HISTORY_PAGES = 5  # of 200 messages, searched for a post whose answer was lost
# chat.update's errors for a message that will never take the edit (Slack's documented codes).
UNEDITABLE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
HISTORY_MARGIN = 60.0  # seconds before the row was queued (clocks differ a little)


def _delivery_error(exc: SlackApiError) -> DeliveryError:
    response = exc.response
    status = response.status_code
    error = response.get("error") if isinstance(response.data, dict) else None
    if status == 429:
        retry_after = float(
            response.headers.get("Retry-After", response.headers.get("retry-after", "1"))
        )
        return DeliveryError(f"rate limited ({response.api_url})", retry_after)
    return DeliveryError(f"{response.api_url}: {status} {error or ''}".strip())


class SlackMessenger:
    surface = "slack"

    def __init__(self, client: AsyncWebClient, db: Database) -> None:
        self.client = client
        self.db = db
        self._directs: dict[str, str] = {}  # user id -> their direct conversation's id

    async def _call(self, method: str, **kwargs: object) -> dict:
        try:
            response = await self.client.api_call(method, json=kwargs)
        except SlackApiError as exc:
            raise _delivery_error(exc) from exc
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def create_channel(
        self, name: str, topic: str, private: bool, members: list[str]
    ) -> Created:
        created = await self._create_or_find(name, private)
        await self._call("conversations.setTopic", channel=created.id, topic=topic[:250])
        await self.invite(created.id, members)
        return created

    async def _create_or_find(self, name: str, private: bool) -> Created:
        for attempt in range(1, 20):
            candidate = name if attempt == 1 else _suffixed(name, attempt)
            try:
                response = await self.client.api_call(
                    "conversations.create", json={"name": candidate, "is_private": private}
                )
                return Created(str(response["channel"]["id"]), candidate)
            except SlackApiError as exc:
                if exc.response.get("error") != "name_taken":
                    raise _delivery_error(exc) from exc
                # A retry after a crash finds the channel it made (the bot is a member).
                mine = await self._find_own_channel(candidate)
                if mine is not None:
                    return Created(mine, candidate)
        raise DeliveryError(f"no free channel name for {name}")

    async def _find_own_channel(self, name: str) -> str | None:
        cursor = None
        while True:
            data = await self._call(
                "conversations.list",
                types="private_channel,public_channel",
                exclude_archived=True,
                limit=200,
                **({"cursor": cursor} if cursor else {}),
            )
            for channel in data.get("channels", []):
                if channel.get("name") == name and channel.get("is_member"):
                    return str(channel["id"])
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    async def invite(self, channel_id: str, members: list[str]) -> None:
        ids = await asyncio.to_thread(self._slack_ids, members)
        if not ids:
            return
        try:
            await self.client.api_call(
                "conversations.invite", json={"channel": channel_id, "users": ",".join(ids)}
            )
        except SlackApiError as exc:
            if exc.response.get("error") != "already_in_channel":
                raise _delivery_error(exc) from exc

    async def remove(self, channel_id: str, members: list[str]) -> None:
        """People who left the incident leave its channel (one ``conversations.kick`` each)."""
        for user in await asyncio.to_thread(self._slack_ids, members):
            try:
                await self.client.api_call(
                    "conversations.kick", json={"channel": channel_id, "user": user}
                )
            except SlackApiError as exc:
                if exc.response.get("error") != "not_in_channel":
                    raise _delivery_error(exc) from exc

    def where(self, channel_id: str, name: str) -> Where:
        """A channel as Slack names it, and the link that opens it there."""
        return Where(f"#{name}", f"https://slack.com/app_redirect?channel={channel_id}", "Open")

    def _slack_ids(self, names: list[str]) -> list[str]:
        with self.db.read() as session:
            found = repo.external_ids(session, "slack", names)
        missing = sorted(set(names) - set(found))
        if missing:
            log.info("not invited (no Slack account linked): %s", ", ".join(missing))
        return sorted(found.values())

    async def post(
        self, channel_id: str, text: str, card: Card | None, *, delivery_key: str
    ) -> str:
        kwargs: dict[str, object] = {"channel": channel_id, "text": message_text(text)}
        if card is not None:
            shown = shown_text(text, card)  # EXERCISE once: the card's banner says it
            kwargs["blocks"] = blocks_json([*text_blocks(shown), *card_blocks(card)])
        # The outbox row id and the request id ride along as message metadata, so a post in
        # Slack is traceable to its delivery and to the command that caused it.
        trace = {"key": delivery_key, "request_id": request_id.get()}
        kwargs["metadata"] = {"event_type": "opss_post", "event_payload": trace}
        data = await self._call("chat.postMessage", **kwargs)
        return str(data.get("ts", ""))

    async def direct(self, accounts: Sequence[str]) -> str | None:
        """The id of the app's direct conversation with a person (its Messages tab), opened or
        resumed by ``conversations.open``: a user id can be posted to, but only the
        conversation's own id has a history, where a retried delivery looks for its post."""
        if not accounts:
            return None
        user = accounts[0]
        if user not in self._directs:
            data = await self._call("conversations.open", users=user)
            self._directs[user] = str((data.get("channel") or {}).get("id") or user)
        return self._directs[user]

    async def reply(self, destination: str, answer: Answer) -> dict[str, Any]:
        """A command's reply queued by its unit of work (``reply_to``), to its caller alone."""
        reply = Reply(text=answer.text, card=answer.card, ok=answer.ok, ephemeral=answer.ephemeral)
        text, blocks = message_text(reply.text), reply_blocks(reply)
        if destination.startswith(EPHEMERAL):
            channel, _, user = destination.removeprefix(EPHEMERAL).rpartition(":")
            data = await self._call(
                "chat.postEphemeral", channel=channel, user=user, text=text, blocks=blocks
            )
            return {"channel": channel, "ephemeral": str(data.get("message_ts", ""))}
        if not destination.startswith(RESPONSE):
            return {"skipped": "not a Slack reply destination"}
        webhook = AsyncWebhookClient(
            url=destination.removeprefix(RESPONSE), session=self.client.session
        )
        try:
            response = await webhook.send(
                text=text, blocks=blocks, response_type="ephemeral", replace_original=False
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"response_url: {type(exc).__name__}") from exc
        status = response.status_code
        if status == 200:
            return {"response_url": "ok"}  # never the URL itself: it can post as the bot
        if status in {404, 410}:
            # A response_url lasts 30 minutes (and five uses): after that, the reply is moot.
            return {"skipped": f"response_url expired ({status})"}
        if status == 429:
            retry = response.headers.get("Retry-After") or response.headers.get("retry-after")
            raise DeliveryError("response_url rate limited", float(retry or 1))
        raise DeliveryError(f"response_url: {status}")

    async def find_post(self, channel_id: str, delivery_key: str, since: datetime) -> str | None:
        """The ts of a post this bot made with ``delivery_key`` (in its metadata) since
        ``since``, if Slack has one: a delivery whose answer was lost is not posted again."""
        cursor = ""
        for _ in range(HISTORY_PAGES):
            data = await self._call(
                "conversations.history",
                channel=channel_id,
                oldest=f"{since.timestamp() - HISTORY_MARGIN:.6f}",
                include_all_metadata=True,
                limit=200,
                **({"cursor": cursor} if cursor else {}),
            )
            for message in data.get("messages", []):
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == "opss_post" and payload.get("key") == delivery_key:
                    return str(message.get("ts", ""))
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                return None
        log.warning(
            "not found in %d pages of history: posting %s again", HISTORY_PAGES, delivery_key
        )
        return None

    async def update(self, channel_id: str, message_id: str, text: str, card: Card | None) -> None:
        kwargs: dict[str, object] = {
            "channel": channel_id,
            "ts": message_id,
            "text": message_text(text),
        }
        if card is not None:
            shown = shown_text(text, card)  # EXERCISE once: the card's banner says it
            kwargs["blocks"] = blocks_json([*text_blocks(shown), *card_blocks(card)])
        try:
            await self.client.api_call("chat.update", json=kwargs)
        except SlackApiError as exc:
            # A message that cannot be edited (deleted, or past editing) would hold every
            # later post to its channel for ever, retried in order. The card stays as it was;
            # its next edit carries the whole card again.
            if exc.response.get("error") not in UNEDITABLE:
                raise _delivery_error(exc) from exc
            log.warning("message %s not edited, left as it was: %s", message_id, exc)

    async def pin(self, channel_id: str, message_id: str) -> None:
        try:
            await self.client.api_call(
                "pins.add", json={"channel": channel_id, "timestamp": message_id}
            )
        except SlackApiError as exc:
            if exc.response.get("error") != "already_pinned":
                raise _delivery_error(exc) from exc

    async def bookmark(
        self, channel_id: str, title: str, target_channel: str, target_message: str
    ) -> None:
        data = await self._call(
            "chat.getPermalink", channel=target_channel, message_ts=target_message
        )
        await self._call(
            "bookmarks.add",
            channel_id=channel_id,
            title=title[:100],
            type="link",
            link=data.get("permalink", ""),
        )

    async def archive(self, channel_id: str) -> None:
        try:
            await self.client.api_call("conversations.archive", json={"channel": channel_id})
        except SlackApiError as exc:
            if exc.response.get("error") != "already_archived":
                raise _delivery_error(exc) from exc

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
        """files.uploadV2: files.getUploadURLExternal, the upload, files.completeUploadExternal.
        Slack has no idempotency key here: a crash between its answer and the outbox row
        being marked could post the file twice."""
        try:
            response = await self.client.files_upload_v2(
                channel=channel_id, content=content, filename=filename, title=title
            )
        except SlackApiError as exc:
            raise _delivery_error(exc) from exc
        except SlackRequestError as exc:  # the upload step itself failed: retried later
            raise DeliveryError(f"file upload failed: {exc}") from exc
        file = (response.data or {}).get("file") if isinstance(response.data, dict) else None
        return str((file or {}).get("id", ""))


def reply_blocks(reply: Reply) -> list[dict[str, Any]]:
    """A reply to its caller as Block Kit (the same whether sent at once or from the outbox)."""
    blocks: list[Any] = []
    shown = reply.card is not None and reply.ephemeral  # a public card is in the channel
    # The text is the card's one-line summary when the command gave no other words.
    if reply.text and not (shown and reply.card and reply.text == reply.card.summary):
        prefix = "" if reply.ok else "⛔ "
        blocks += text_blocks(prefix + reply.text)
    if shown and reply.card is not None:
        blocks += card_blocks(reply.card)
    return blocks_json(blocks)


def response_destination(response_url: str | None) -> str | None:
    """``reply_to`` for a request's ``response_url`` (None when there is none, or it is too
    long for the outbox's conversation column: then the reply is sent at once)."""
    if not response_url or len(RESPONSE) + len(response_url) > MAX_DESTINATION:
        return None
    return RESPONSE + response_url


def ephemeral_destination(channel: str, user: str) -> str:
    """``reply_to`` for an ephemeral message to one user in a channel (chat.postEphemeral)."""
    return f"{EPHEMERAL}{channel}:{user}"


def _suffixed(name: str, n: int) -> str:
    suffix = f"-{n}"
    return name[: MAX_NAME - len(suffix)].rstrip("-") + suffix
