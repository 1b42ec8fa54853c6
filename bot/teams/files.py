"""Records as Teams delivers them: the messages that carry a file, and the file consent flow.

Teams gives a bot three ways to hand someone a file, and the messenger picks by where it
writes (``TeamsMessenger.upload``):

- a personal chat: the file consent card (``supportsFiles`` in the app package). The person
  presses Allow; Teams sends ``fileConsent/invoke`` with an ``uploadUrl`` in their OneDrive;
  the bot checks they may still read the incident, PUTs the bytes there and answers with a
  file card (``FileInfoCard``) that opens the file.
- a channel, where an administrator granted the bot its files (``TEAMS_CHANNEL_FILES``): the
  file put in the channel's files folder through Graph, and a card that opens it.
- anywhere else (a thread, a group chat, no grant): a card naming the file with a Download
  button; whoever presses it gets a one-time link of their own in their personal chat, if
  they may read the incident (``commands/records/files.py``).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from botbuilder.schema import Activity, ActivityTypes, Attachment

from bot.checks import LOOPBACK_NAMES
from bot.teams import cards as teams_cards
from cards.adaptive import SCHEMA, VERSION, rich

log = logging.getLogger(__name__)

CONSENT = "application/vnd.microsoft.teams.card.file.consent"
INFO = "application/vnd.microsoft.teams.card.file.info"
INVOKE = "fileConsent/invoke"
PRESS = "opss_file"  # the Download button's data: the kept record's id
TIMEOUT = aiohttp.ClientTimeout(total=60)


def size_text(size: int) -> str:
    return f"{max(1, round(size / 1024))} KB"


def consent(filename: str, title: str, size: int, document_id: int) -> Activity:
    """The card that asks to save the file in the person's OneDrive (a personal chat only)."""
    context = {"document": document_id}
    return Activity(
        type=ActivityTypes.message,
        text=teams_cards.message_text(f"📄 {filename} ({size_text(size)}): {title}"),
        text_format="markdown",
        attachments=[
            Attachment(
                content_type=CONSENT,
                name=filename,
                content={
                    "description": f"{title} ({filename}), kept with the incident's records",
                    "sizeInBytes": size,
                    "acceptContext": context,
                    "declineContext": context,
                },
            )
        ],
    )


def saved(upload_info: dict[str, Any], filename: str) -> Activity:
    """The file card Teams shows for a file the bot put in the person's OneDrive."""
    name = str(upload_info.get("name") or filename)
    return Activity(
        type=ActivityTypes.message,
        text=teams_cards.message_text(f"{filename} is saved in your OneDrive."),
        text_format="markdown",
        attachments=[
            Attachment(
                content_type=INFO,
                name=name,
                content_url=str(upload_info.get("contentUrl") or ""),
                content={
                    "uniqueId": str(upload_info.get("uniqueId") or ""),
                    "fileType": str(upload_info.get("fileType") or filename.rsplit(".", 1)[-1]),
                },
            )
        ],
    )


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
        "actions": actions,
    }


def in_channel_files(filename: str, title: str, size: int, web_url: str) -> Activity:
    """A file put in the channel's files folder, and the button that opens it there."""
    card = _card(
        [
            rich(f"📄 {filename} ({size_text(size)})", weight="Bolder"),
            rich(f"{title}: in this channel's Files."),
        ],
        [{"type": "Action.OpenUrl", "title": f"Open {filename}", "url": web_url}],
    )
    return teams_cards.message("", card)


def to_download(filename: str, title: str, size: int, document_id: int) -> Activity:
    """A file named in a conversation, and the button that sends the presser a link."""
    card = _card(
        [
            rich(f"📄 {filename} ({size_text(size)})", weight="Bolder"),
            rich(
                f"{title}. Download sends you a link of your own in your chat with OPSS, "
                "if you may read the incident."
            ),
        ],
        [
            {
                "type": "Action.Execute",
                "verb": teams_cards.VERB,
                "title": "Download",
                "data": {PRESS: document_id},
            }
        ],
    )
    return teams_cards.message("", card)


def upload_allowed(url: str) -> bool:
    """Teams' upload URLs are HTTPS (the person's OneDrive); loopback is the tests' fake."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_NAMES


async def put(url: str, content: bytes) -> None:
    """The whole file in one request to the upload session Teams opened (well under the
    60 MiB a single range may carry)."""
    headers = {
        "Content-Length": str(len(content)),
        "Content-Range": f"bytes 0-{len(content) - 1}/{len(content)}",
    }
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as http,
        http.put(url, data=content, headers=headers) as response,
    ):
        if response.status not in (200, 201):
            raise UploadFailed(f"the upload was answered {response.status}")


class UploadFailed(Exception):
    pass
