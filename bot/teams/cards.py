"""The neutral forms and cards as Teams shows them: Adaptive Cards 1.5 whose buttons are
Universal Actions (``Action.Execute``), so Teams can answer a press with a card in place."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from botbuilder.schema import Activity, ActivityTypes, Attachment

from cards.adaptive import SCHEMA, VERSION, render_card, render_form, rich, with_person_pickers
from cards.model import EXERCISE_PREFIX, Card, Form
from commands.core.context import Reply

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
VERB = "opss"  # every button of ours carries its meaning in its data, so one verb serves


# Characters Markdown gives a meaning anywhere (emphasis, links, code, tables), and the
# markers that start a heading, a list, a quote or a rule at the beginning of a line.
_MARKDOWN = re.compile(r"([\\`*_\[\]|~])")
_LINE_START = re.compile(r"^(\s*)(\d*)([#+=.)-])")


def message_text(text: str) -> str:
    """Text for a Teams message, which Teams reads as Markdown with HTML. The engine's text
    is plain (people's words in it are literal), so Markdown's characters are escaped with a
    backslash and angle brackets and ampersands as entities: ``**x**``, ``[a](b)``, a line
    starting ``- `` and ``<at>`` are shown as typed. Each line stays a line."""
    lines = []
    for line in html.escape(text, quote=False).split("\n"):
        line = _MARKDOWN.sub(r"\\\1", line)
        lines.append(_LINE_START.sub(r"\1\2\\\3", line))
    return "\n\n".join(lines)


# The core names a command as typed in Slack and the workspace (``/opss help``). Teams has no
# slash commands: in a personal chat one types ``opss help`` (or just ``help``), in a channel
# one mentions the bot first (``@OPSS help``). Rewritten here, once, for every message and
# card the bot sends in Teams; the data a button carries is left as it is.
_SLASH_COMMAND = re.compile(r"(?<![\w/@.-])/opss\b")
# The keys of an Adaptive Card whose strings people read (not ids, values, URLs or data).
_WORDS = frozenset({"text", "title", "placeholder", "label", "errorMessage", "fallbackText"})


def command_words(text: str, *, in_channel: bool) -> str:
    """``/opss help`` as typed where the message is read: ``opss help`` in a personal chat,
    ``@OPSS help`` in a channel or group chat (where the bot hears only a mention)."""
    return _SLASH_COMMAND.sub("@OPSS" if in_channel else "opss", text)


def card_words(card: dict[str, Any], *, in_channel: bool) -> dict[str, Any]:
    """A card with every command named as Teams types it (``command_words``)."""
    shaped = _card_words(card, in_channel)
    assert isinstance(shaped, dict)
    return shaped


def _card_words(value: Any, in_channel: bool) -> Any:
    if isinstance(value, list):
        return [_card_words(v, in_channel) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "data":  # what a button sends back: a command as the engine reads it
            out[key] = item
        elif key in _WORDS and isinstance(item, str):
            out[key] = command_words(item, in_channel=in_channel)
        else:
            out[key] = _card_words(item, in_channel)
    return out


def teams_shaped(activity: Activity, *, in_channel: bool) -> Activity:
    """The activity with every command named as Teams types it (``command_words``)."""
    if activity.text:
        activity.text = command_words(activity.text, in_channel=in_channel)
    for attachment in activity.attachments or ():
        if attachment.content_type == CARD_TYPE and isinstance(attachment.content, dict):
            attachment.content = _card_words(attachment.content, in_channel)
    return activity


def executable(card: dict[str, Any]) -> dict[str, Any]:
    """Each ``Action.Submit`` becomes an ``Action.Execute`` with the same data."""
    actions = [
        {"type": "Action.Execute", "verb": VERB, "title": a["title"], "data": a.get("data", {})}
        if a.get("type") == "Action.Submit"
        else a
        for a in card.get("actions", [])
    ]
    return {**card, "actions": actions} if actions else card


def form_card(
    form: Form, people: Sequence[tuple[str, str]] = (), *, search: bool = False
) -> dict[str, Any]:
    """``search``: a person field is a picker even with no one known to offer, since it
    searches the organisation too (bot/teams/directory.py)."""
    return executable(with_person_pickers(render_form(form), form, people, even_empty=search))


def card_json(card: Card) -> dict[str, Any]:
    return executable(render_card(card))


def reply_card(reply: Reply) -> dict[str, Any]:
    """What the person who acted sees: the answer's text, and its card when it is theirs alone."""
    body: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    if reply.text:  # a RichTextBlock: its words are literal, never Markdown
        body.append(rich(reply.text, **({} if reply.ok else {"color": "Attention"})))
    if reply.card is not None:
        shown = card_json(reply.card)
        body += shown["body"]
        actions = shown.get("actions", [])
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return card


def reply_message(reply: Reply, *, in_place: bool = False) -> Activity:
    """A reply (not a form) for the person who acted: its card when the card is theirs alone
    or the reply is a refusal, otherwise its words. ``in_place`` replaces the form they
    submitted, which only a card can do."""
    card = reply_card(reply if reply.ephemeral else Reply(text=reply.text, ok=reply.ok))
    if in_place or (reply.card is not None and reply.ephemeral) or not reply.ok:
        return message("", card)
    return message(reply.text or "Done.", None)


def attachment(card: dict[str, Any]) -> Attachment:
    return Attachment(content_type=CARD_TYPE, content=card)


def message(text: str, card: dict[str, Any] | None, *, exercise: bool = False) -> Activity:
    if exercise:  # EXERCISE once: the card's banner says it
        text = text.removeprefix(EXERCISE_PREFIX)
    return Activity(
        type=ActivityTypes.message,
        text=message_text(text) if text else None,
        text_format="markdown",
        attachments=[attachment(card)] if card is not None else None,
    )


MESSAGE_TYPE = "application/vnd.microsoft.activity.message"


def invoke_answer(card: dict[str, Any], *, in_channel: bool = False) -> dict[str, Any]:
    """The body Teams wants for ``adaptiveCard/action``: the card that replaces the pressed one."""
    return {"statusCode": 200, "type": CARD_TYPE, "value": _card_words(card, in_channel)}


def invoke_message(text: str, *, in_channel: bool = False) -> dict[str, Any]:
    """An answer that leaves the pressed card as it is and shows the person a message."""
    words = command_words(text.replace("`", ""), in_channel=in_channel)
    return {"statusCode": 200, "type": MESSAGE_TYPE, "value": words}
