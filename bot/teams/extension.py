"""The message extension "Raise an issue from this message": Teams' counterpart of Slack's
message shortcut, declared in the app package (``composeExtensions``, context ``message``).

Teams sends two invokes to ``/api/messages``:

- ``composeExtension/fetchTask`` when someone picks the action on a message: answered with a
  dialog (a task module) holding the raise form, prefilled with the message's words and its
  link, as the Slack shortcut's modal is;
- ``composeExtension/submitAction`` when they submit it: the form's inputs in ``value.data``,
  checked by the engine like any submitted form. Missing or wrong fields keep the dialog open
  with their errors; a recorded issue closes it with a one-line message, and its card is
  posted where the message was (the same as ``opss raise`` typed there).

A dialog takes ``Action.Submit`` only (not ``Action.Execute``), so its card is the form as
rendered, without the Universal Actions the bot's other cards use.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from typing import Any

from bot.teams import cards as teams_cards
from cards.adaptive import render_form, with_person_pickers
from cards.model import Form

FETCH = "composeExtension/fetchTask"
SUBMIT = "composeExtension/submitAction"
COMMAND = "raiseIssue"  # the command's id in the app package
TITLE = "Raise an issue from this message"  # Teams allows 32 characters; this is 32
FORM = "raise"
_TAGS = re.compile(r"<[^>]+>")
_BREAKS = re.compile(r"<\s*(br|/p|/div|/li)\b[^>]*>", re.IGNORECASE)


class NotOurs(Exception):
    """An invoke for a command the app package does not declare."""


def command_of(value: Any) -> str:
    command = value.get("commandId") if isinstance(value, dict) else None
    if command != COMMAND:
        raise NotOurs(f"value.commandId must be {COMMAND}")
    return command


def message_words(value: dict[str, Any]) -> tuple[str, str]:
    """The words of the message the action was picked on (its HTML as text, paragraphs kept)
    and the link that opens it."""
    payload = value.get("messagePayload")
    payload = payload if isinstance(payload, dict) else {}
    body = payload.get("body") if isinstance(payload.get("body"), dict) else {}
    content = str((body or {}).get("content") or "")
    if str((body or {}).get("contentType") or "html").lower() == "html":
        content = html.unescape(_TAGS.sub("", _BREAKS.sub("\n", content)))
    text = "\n".join(line.strip() for line in content.replace("\xa0", " ").splitlines())
    link = payload.get("linkToMessage")
    return text.strip(), str(link) if isinstance(link, str) else ""


def submission_key(conversation: str, value: dict[str, Any], data: dict[str, Any]) -> str | None:
    """One raise per message and answers: a retried invoke or a second press of Submit in the
    same dialog raises nothing more (None where Teams names no message: the activity's id)."""
    payload = value.get("messagePayload")
    message = payload.get("id") if isinstance(payload, dict) else None
    if not isinstance(message, str) or not message:
        return None
    answers = {k: v for k, v in data.items() if k != "msteams"}
    pressed = json.dumps(answers, sort_keys=True, ensure_ascii=True, default=str)
    digest = hashlib.sha256(pressed.encode()).hexdigest()
    return f"teams:extension:{conversation}:{message}:{digest}"


def prefill(value: dict[str, Any]) -> dict[str, str]:
    """What the raise form starts with: as the Slack shortcut fills it."""
    text, link = message_words(value)
    first_line = text.splitlines()[0] if text else ""
    return {"title": first_line[:120], "description": text[:4000], "link": link[:500]}


def dialog(
    form: Form, people: list[tuple[str, str]], carried: dict[str, str], *, in_channel: bool
) -> dict[str, Any]:
    """The dialog that holds the form (or holds it again, with its errors); its button
    carries ``carried`` back (where the message was)."""
    card = with_person_pickers(render_form(form), form, people)
    for action in card.get("actions", []):
        action["data"] = {**action.get("data", {}), **carried}
    card = teams_cards.card_words(card, in_channel=in_channel)
    return {
        "task": {
            "type": "continue",
            "value": {
                "title": TITLE,
                "height": "large",
                "width": "medium",
                "card": {"contentType": teams_cards.CARD_TYPE, "content": card},
            },
        }
    }


def done(text: str, *, in_channel: bool) -> dict[str, Any]:
    """The dialog closed, with a line for the person who raised the issue."""
    words = teams_cards.command_words(text, in_channel=in_channel)
    return {"composeExtension": {"type": "message", "text": words}}
