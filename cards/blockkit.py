"""Translate neutral forms and cards to Slack Block Kit, built with ``slack_sdk.models``.

The classes validate Slack's limits as they serialise (``to_dict`` raises on a breach), so a
form that would not open in Slack fails in the tests, not in front of a user. Differences from
Adaptive Cards handled here: Slack inputs are required unless ``optional``; option labels
stop at 75 characters (longer choice details are shown in a section above the input); modal
titles stop at 24; multi-selects come back as lists; toggles are one-option checkboxes.

Text from people is never mrkdwn here: titles and subtitles are ``plain_text``, facts and
sections are ``rich_text`` whose runs Slack shows literally, so a title such as
``<!channel> <https://evil.example|Sign in>`` can neither ping a channel nor hide a link.
Where a string must go into mrkdwn (a message's ``text``, which notifications show), it goes
through ``escape`` (Slack's documented escaping of ``&``, ``<`` and ``>``), here and only here.
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
    RichTextBlock,
    RichTextElementParts,
    RichTextListElement,
    RichTextSectionElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
    TimePickerElement,
    UserMultiSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from cards.adaptive import EXERCISE_BANNER
from cards.model import Card, Field, Form, section_text
from cards.text import Line, Run, Text, fact_runs

FORM_CALLBACK = "opss_form"
ACTION_PREFIX = "opss_cmd_"
LINK_PREFIX = "opss_link_"
TOGGLE_ON = "true"
MAX_TITLE = 24
MAX_OPTION = 75


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """Slack's escaping for mrkdwn: ``&``, ``<`` and ``>`` become entities (and nothing else
    does, as Slack decodes only these three)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message_text(text: str) -> str:
    """A message's top-level ``text`` (what notifications and screen readers get): clipped
    before escaping, so an entity is never cut in half."""
    return escape(_clip(text, 3000))


def _plain(text: str, limit: int = 3000) -> PlainTextObject:
    # emoji=False: a person's ":shortcode:" stays as typed; the bot writes emoji as characters.
    return PlainTextObject(text=_clip(text, limit), emoji=False)


def _rich_runs(runs: tuple[Run, ...]) -> list[RichTextElementParts.Text]:
    out = []
    for r in runs:
        if not r.text:
            continue
        style = {k: True for k, on in (("bold", r.bold), ("code", r.code)) if on}
        out.append(RichTextElementParts.Text(text=r.text, style=style or None))
    return out


def rich_text(value: Text, heading: str = "") -> RichTextBlock | None:
    """Lines as one ``rich_text`` block, as Slack's composer makes them: consecutive lines
    in one section separated by line breaks (headings bold on their own line), bullets a
    list."""
    elements: list[Any] = []
    section: list[RichTextElementParts.Text] = []
    items: list[RichTextSectionElement] = []

    def flush_section() -> None:
        if section:
            elements.append(RichTextSectionElement(elements=list(section)))
            section.clear()

    def flush_list() -> None:
        if items:
            elements.append(RichTextListElement(elements=list(items), style="bullet"))
            items.clear()

    lines = list(value.lines)
    if heading:
        lines.insert(0, Line((Run(heading, bold=True),), "heading"))
    for line in lines:
        runs = line.runs
        if line.kind == "heading":
            runs = tuple(Run(r.text, bold=True, code=r.code) for r in runs)
        parts = _rich_runs(runs)
        if line.kind == "bullet":
            flush_section()
            items.append(RichTextSectionElement(elements=parts or [_blank()]))
            continue
        flush_list()
        if section or not parts:  # a blank line is a line break of its own
            section.append(RichTextElementParts.Text(text="\n"))
        section.extend(parts)
    flush_section()
    flush_list()
    if not elements:
        return None
    return RichTextBlock(elements=elements)


def _blank() -> RichTextElementParts.Text:
    return RichTextElementParts.Text(text=" ")


def _option(value: str, text: str) -> Option:
    return Option(value=value, label=_clip(text, MAX_OPTION))


def _element(f: Field) -> Any:
    value = f.value
    if f.kind in {"text", "multiline"}:
        return PlainTextInputElement(
            action_id=f.name,
            multiline=f.kind == "multiline",
            max_length=f.limit,
            initial_value=str(value) if value not in (None, "") else None,
            placeholder=_clip(f.hint, 150) if f.hint else None,
        )
    if f.kind == "person":
        return UserSelectElement(
            action_id=f.name,
            initial_user=str(value) if value and str(value).startswith(("U", "W")) else None,
            placeholder="Choose a person",
        )
    if f.kind == "people":
        ids = value if isinstance(value, list | tuple) else str(value or "").split(",")
        initial = [i.strip() for i in ids if i.strip().startswith(("U", "W"))]
        return UserMultiSelectElement(
            action_id=f.name, initial_users=initial or None, placeholder="Choose people"
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
        picked = [by_value[v] for v in chosen if v in by_value] or None
        if f.expanded and len(options) <= 10:
            return CheckboxesElement(action_id=f.name, options=options, initial_options=picked)
        return StaticMultiSelectElement(
            action_id=f.name, options=options, initial_options=picked, placeholder="Choose"
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
    lines = [f"*{escape(c.title)}*: {escape(c.detail)}" for c in f.choices]
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
        blocks.append(ContextBlock(elements=[_plain(subject)]))
    if form.intro:
        blocks.append(SectionBlock(text=_plain(form.intro)))
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
            elif kind == "multi_users_select":
                values[block_id] = list(entry.get("selected_users") or [])
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
    card = card.marked()
    blocks: list[Block] = []
    if card.exercise:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"🚨 *{EXERCISE_BANNER}*")))
    blocks.append(HeaderBlock(text=_plain(card.title, 150)))
    context = [c for c in (card.subtitle, *card.badges) if c]
    if context:
        blocks.append(ContextBlock(elements=[_plain(" · ".join(context))]))
    if card.warning:
        blocks.append(SectionBlock(text=_plain(f"⚠️ {card.warning}")))
    if card.ladder is not None:
        rungs, current = card.ladder
        runs: list[Run] = []
        for i, r in enumerate(rungs):
            if i:
                runs.append(Run(" → "))
            runs.append(
                Run(f"{r} ✓")
                if i < current
                else Run(f"▶ {r}", bold=True)
                if i == current
                else Run(r)
            )
        blocks.append(_required(rich_text(Text((Line(tuple(runs)),)))))
    if card.facts:
        facts = Text(tuple(Line(fact_runs(k, v)) for k, v in card.facts))
        blocks.append(_required(rich_text(facts)))
    for heading, body in card.sections:
        blocks.append(_required(rich_text(section_text(body), heading)))
    if card.links:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(text=_clip(t, MAX_OPTION), action_id=f"{LINK_PREFIX}{i}", url=u)
                    for i, (t, u) in enumerate(card.links[:25])
                ]
            )
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


def _required(block: RichTextBlock | None) -> RichTextBlock:
    assert block is not None  # a heading or a fact always gives a line
    return block


def text_blocks(value: str | Text) -> list[Block]:
    """A reply's own words as blocks: literal text (plain), or the bot's styled text."""
    if isinstance(value, str):
        return [SectionBlock(text=_plain(value))] if value else []
    block = rich_text(value)
    return [block] if block is not None else []


def blocks_json(blocks: list[Block]) -> list[dict[str, Any]]:
    return [b.to_dict() for b in blocks]
