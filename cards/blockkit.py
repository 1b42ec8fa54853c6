"""Translate neutral forms and cards to Slack Block Kit, built with ``slack_sdk.models``.

The classes validate Slack's limits as they serialise (``to_dict`` raises on a breach), so a
form that would not open in Slack fails in the tests, not in front of a user. Differences from
Adaptive Cards handled here: Slack inputs are required unless ``optional``; option labels
stop at 75 characters (longer choice details are shown in a section above the input); modal
titles stop at 24; multi-selects come back as lists; toggles are one-option checkboxes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
    TimePickerElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from cards.adaptive import EXERCISE_BANNER
from cards.model import Card, Field, Form

FORM_CALLBACK = "opss_form"
ACTION_PREFIX = "opss_cmd_"
TOGGLE_ON = "true"
MAX_TITLE = 24
MAX_OPTION = 75


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _option(value: str, text: str) -> Option:
    return Option(value=value, label=_clip(text, MAX_OPTION))


def _element(f: Field) -> Any:
    value = f.value
    if f.kind in {"text", "multiline"}:
        return PlainTextInputElement(
            action_id=f.name,
            multiline=f.kind == "multiline",
            max_length=f.max_length,
            initial_value=str(value) if value not in (None, "") else None,
            placeholder=_clip(f.placeholder, 150) if f.placeholder else None,
        )
    if f.kind == "person":
        return UserSelectElement(
            action_id=f.name,
            initial_user=str(value) if value and str(value).startswith(("U", "W")) else None,
            placeholder="Choose a person",
        )
    if f.kind == "toggle":
        on = value is True or str(value).lower() == "true"
        yes = _option(TOGGLE_ON, "Yes")
        return CheckboxesElement(
            action_id=f.name, options=[yes], initial_options=[yes] if on else None
        )
    if f.kind == "date":
        return DatePickerElement(action_id=f.name, initial_date=value or None)
    if f.kind == "time":
        return TimePickerElement(action_id=f.name, initial_time=value or None)
    options = [_option(c.value, c.title) for c in f.choices]
    by_value = {o.value: o for o in options}
    if f.kind == "multichoice":
        chosen = value if isinstance(value, list | tuple) else str(value or "").split(",")
        initial = [by_value[v] for v in chosen if v in by_value] or None
        if f.expanded and len(options) <= 10:
            return CheckboxesElement(action_id=f.name, options=options, initial_options=initial)
        return StaticMultiSelectElement(
            action_id=f.name, options=options, initial_options=initial, placeholder="Choose"
        )
    initial_one = by_value.get(str(value)) if value not in (None, "") else None
    if f.expanded and len(options) <= 10:
        return RadioButtonsElement(action_id=f.name, options=options, initial_option=initial_one)
    return StaticSelectElement(
        action_id=f.name, options=options, initial_option=initial_one, placeholder="Choose"
    )


def _details(f: Field) -> SectionBlock | None:
    """The longer text of choices (Table 1 cells), which option labels cannot hold."""
    if not any(c.detail for c in f.choices):
        return None
    lines = [f"*{c.title}*: {c.detail}" for c in f.choices]
    return SectionBlock(
        block_id=f"{f.name}__detail", text=MarkdownTextObject(text=_clip("\n".join(lines), 3000))
    )


def form_modal(form: Form, metadata: Mapping[str, str]) -> View:
    """The form as a modal; ``metadata`` (the form's context, the channel) rides along."""
    blocks: list[Block] = []
    if form.exercise:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*{EXERCISE_BANNER}*")))
    title, _, subject = form.title.partition(" · ")
    if subject:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"*{subject}*")]))
    if form.intro:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_clip(form.intro, 3000))))
    for f in form.fields:
        detail = _details(f)
        if detail is not None:
            blocks.append(detail)
        blocks.append(
            InputBlock(
                block_id=f.name,
                label=PlainTextObject(text=_clip(f.label, 2000)),
                element=_element(f),
                optional=not f.required,
                hint=PlainTextObject(text=_clip(f.help, 2000)) if f.help else None,
            )
        )
    private = json.dumps({"form": form.id, **form.context, **metadata}, separators=(",", ":"))
    return View(
        type="modal",
        callback_id=FORM_CALLBACK,
        title=PlainTextObject(text=_clip(title, MAX_TITLE)),
        submit=PlainTextObject(text=_clip(form.submit_label, 24)),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
        private_metadata=private,
    )


def submitted_values(state: Mapping[str, Any]) -> dict[str, Any]:
    """``view.state.values`` back to plain values keyed by input block (the field name).

    Toggles and multi-selects both come back as lists; the server's validator reads a
    one-option list as a toggle that is on.
    """
    values: dict[str, Any] = {}
    for block_id, actions in state.items():
        for entry in actions.values():
            kind = entry.get("type")
            if kind == "plain_text_input":
                values[block_id] = entry.get("value")
            elif kind in {"static_select", "radio_buttons"}:
                selected = entry.get("selected_option")
                values[block_id] = selected["value"] if selected else None
            elif kind in {"checkboxes", "multi_static_select"}:
                values[block_id] = [o["value"] for o in entry.get("selected_options") or []]
            elif kind == "datepicker":
                values[block_id] = entry.get("selected_date")
            elif kind == "timepicker":
                values[block_id] = entry.get("selected_time")
            elif kind == "users_select":
                values[block_id] = entry.get("selected_user")
    return values


def person_fields(state: Mapping[str, Any]) -> set[str]:
    """The input blocks of ``view.state.values`` that are person pickers (their values are
    Slack user ids; no other field's value is ever read as a person)."""
    return {
        block_id
        for block_id, actions in state.items()
        for entry in actions.values()
        if entry.get("type") in {"users_select", "multi_users_select"}
    }


def error_response(form: Form, errors: Mapping[str, str]) -> dict[str, Any]:
    """``response_action: errors`` keyed by input block; form-wide errors go on the first."""
    names = {f.name for f in form.fields}
    out: dict[str, str] = {}
    for key, message in errors.items():
        block = key if key in names else form.fields[0].name
        out[block] = _clip(message, 2000) if block not in out else out[block]
    return {"response_action": "errors", "errors": out}


def card_blocks(card: Card) -> list[Block]:
    blocks: list[Block] = []
    if card.exercise:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=f":rotating_light: *{EXERCISE_BANNER}*"))
        )
    blocks.append(HeaderBlock(text=PlainTextObject(text=_clip(card.title, 150))))
    context = [card.subtitle, *card.badges]
    context = [c for c in context if c]
    if context:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=_clip(" · ".join(context), 3000))])
        )
    if card.warning:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=f":warning: {_clip(card.warning, 2990)}"))
        )
    if card.ladder is not None:
        rungs, current = card.ladder
        parts = [
            f"{r} ✓" if i < current else (f"*▶ {r}*" if i == current else r)
            for i, r in enumerate(rungs)
        ]
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=" → ".join(parts))]))
    facts = [MarkdownTextObject(text=_clip(f"*{k}*\n{v}", 2000)) for k, v in card.facts]
    for i in range(0, len(facts), 10):  # a section holds at most ten fields
        blocks.append(SectionBlock(fields=facts[i : i + 10]))
    for heading, text in card.sections:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=_clip(f"*{heading}*\n{text}", 3000)))
        )
    if card.actions:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text=_clip(a.title, MAX_OPTION),
                        action_id=f"{ACTION_PREFIX}{i}",
                        value=a.command[:2000],
                    )
                    for i, a in enumerate(card.actions[:25])
                ]
            )
        )
    return blocks


def blocks_json(blocks: list[Block]) -> list[dict[str, Any]]:
    return [b.to_dict() for b in blocks]
