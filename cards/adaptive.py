"""Render neutral forms and cards as Adaptive Cards 1.5 (what Teams and the workspace show).

Text from people goes only into ``TextRun``s of a ``RichTextBlock``, which renderers show as
literal characters (Markdown applies to ``TextBlock`` and facts, not to runs): a title such as
``**[Sign in](https://evil.example)**`` stays text on every client. Backslash escapes in
Markdown would be the alternative, but Teams' clients disagree on them (AdaptiveCards issues
4677 and 5590). ``TextBlock`` is kept for the bot's own fixed words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cards.model import Card, Field, Form, section_text
from cards.text import Line, Run, Text, bold, fact_runs

VERSION = "1.5"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
# An exercise is marked once on each card, here, and nowhere else on it (``Card.marked``).
EXERCISE_BANNER = "EXERCISE · not a live incident"


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return card


def _text(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **extra}


def literal(value: str) -> str:
    """A run's text as shown: the renderer's ``{{DATE(..)}}`` functions are not called."""
    return value.replace("{{", "{\u200b{")


def _run(run: Run, style: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "TextRun", "text": literal(run.text), **style}
    if run.bold:
        out["weight"] = "Bolder"
    if run.code:
        out["fontType"] = "Monospace"
    return out


def rich(line: Line | str | Run, **style: Any) -> dict[str, Any]:
    """One line as a ``RichTextBlock``: its runs stay literal on every renderer.

    ``spacing``, ``horizontalAlignment`` and ``separator`` apply to the block, anything else
    (``size``, ``weight``, ``color``, ``isSubtle``) to each run.
    """
    block_keys = {"spacing", "horizontalAlignment", "separator", "id"}
    block = {k: v for k, v in style.items() if k in block_keys}
    run_style = {k: v for k, v in style.items() if k not in block_keys}
    if isinstance(line, str):
        line = Line((Run(line),))
    elif isinstance(line, Run):
        line = Line((line,))
    runs = list(line.runs)
    if line.kind == "heading":
        runs = [Run(r.text, bold=True, code=r.code) for r in runs]
    if line.kind == "bullet":
        runs.insert(0, Run("• "))
    return {
        "type": "RichTextBlock",
        "inlines": [_run(r, run_style) for r in runs if r.text] or [_run(Run(" "), run_style)],
        **block,
    }


def rich_lines(value: Text, first_spacing: str = "None") -> list[dict[str, Any]]:
    """Each line its own block, so line breaks and headings survive every renderer."""
    out: list[dict[str, Any]] = []
    gap = False
    for i, line in enumerate(value.lines):
        if not line.runs:
            gap = True
            continue
        spacing = (
            first_spacing if i == 0 else ("Medium" if gap or line.kind == "heading" else "None")
        )
        out.append(rich(line, spacing=spacing))
        gap = False
    return out


def _banner() -> dict[str, Any]:
    return {
        "type": "Container",
        "style": "attention",
        "bleed": True,
        "items": [_text(EXERCISE_BANNER, weight="Bolder", horizontalAlignment="Center")],
    }


def _input(f: Field) -> dict[str, Any]:
    base: dict[str, Any] = {"id": f.name, "label": f.label}
    if f.required:
        base["isRequired"] = True
        base["errorMessage"] = f.error_message
    value = f.value
    if f.kind in {"person", "people"} and f.choices:  # a choice of people
        el: dict[str, Any] = {
            "type": "Input.ChoiceSet",
            **base,
            "choices": [{"title": c.title, "value": c.value} for c in f.choices],
            "style": "compact",
            "wrap": True,
        }
        if f.kind == "people":
            el["isMultiSelect"] = True
        else:
            el["placeholder"] = "Choose a person"
        if value not in (None, ""):
            el["value"] = ",".join(value) if isinstance(value, list | tuple) else str(value)
        return el
    if f.kind in {"text", "multiline", "person", "people"}:
        el = {"type": "Input.Text", **base}
        if f.kind == "multiline":
            el["isMultiline"] = True
        if f.limit:
            el["maxLength"] = f.limit
        if f.hint:
            el["placeholder"] = f.hint
        if value not in (None, ""):
            el["value"] = str(value)
        return el
    if f.kind in {"choice", "multichoice"}:
        el = {
            "type": "Input.ChoiceSet",
            **base,
            "choices": [{"title": c.full_title, "value": c.value} for c in f.choices],
            "style": "expanded" if f.expanded else "compact",
            "wrap": True,
        }
        if f.kind == "multichoice":
            el["isMultiSelect"] = True
            if value:
                el["value"] = ",".join(value) if isinstance(value, list | tuple) else str(value)
        elif value not in (None, ""):
            el["value"] = str(value)
        return el
    if f.kind == "toggle":
        # A toggle is never "required" in the Adaptive sense: off is an answer.
        el = {
            "type": "Input.Toggle",
            "id": f.name,
            "title": f.label,
            "valueOn": "true",
            "valueOff": "false",
            "value": "true" if value is True or str(value).lower() == "true" else "false",
            "wrap": True,
        }
        return el
    el = {"type": "Input.Date" if f.kind == "date" else "Input.Time", **base}
    if value not in (None, ""):
        el["value"] = str(value)
    return el


def render_form(form: Form) -> dict[str, Any]:
    body: list[dict[str, Any]] = []
    if form.exercise:
        body.append(_banner())
    body.append(rich(bold(form.title), size="Large"))
    if form.intro:
        body.append(rich(form.intro, isSubtle=True))
    if form.errors and "_form" in form.errors:
        body.append(rich(form.errors["_form"], color="Attention"))
    for f in form.fields:
        body.append(_input(f))
        if f.help:
            body.append(rich(f.help, isSubtle=True, size="Small", spacing="None"))
        if f.name in form.errors:
            body.append(rich(form.errors[f.name], color="Attention", spacing="None"))
    data = {"form": form.id, **form.context}
    actions = [{"type": "Action.Submit", "title": form.submit_label, "data": data}]
    return _card(body, actions)


def render_card(card: Card) -> dict[str, Any]:
    card = card.marked()
    body: list[dict[str, Any]] = []
    if card.exercise:
        body.append(_banner())
    body.append(rich(bold(card.title), size="Large"))
    if card.subtitle:
        body.append(rich(card.subtitle, isSubtle=True, spacing="None"))
    if card.badges:
        body.append(rich(bold(" · ".join(card.badges)), color="Accent"))
    if card.warning:
        body.append({"type": "Container", "style": "warning", "items": [rich(card.warning)]})
    if card.ladder is not None:
        rungs, current = card.ladder
        runs: list[Run] = []
        for i, rung in enumerate(rungs):
            if i:
                runs.append(Run(" → "))
            if i < current:
                runs.append(Run(f"{rung} ✓"))
            elif i == current:
                runs.append(Run(f"▶ {rung}", bold=True))
            else:
                runs.append(Run(rung))
        body.append(rich(Line(tuple(runs)), size="Small"))
    for i, (label, value) in enumerate(card.facts):
        line = Line(fact_runs(label, value))
        body.append(rich(line, spacing="Default" if i == 0 else "None"))
    for heading, text in card.sections:
        body.append(rich(bold(heading), spacing="Medium"))
        body.extend(rich_lines(section_text(text)))
    actions = [
        {"type": "Action.Submit", "title": a.title, "data": {"command": a.command}}
        for a in card.actions
    ]
    links = [{"type": "Action.OpenUrl", "title": t, "url": u} for t, u in card.links]
    if len(actions) + len(links) <= MAX_ACTIONS:
        return _card(body, actions + links)
    # More links than a card's row of actions shows (hosts cut it at five or six): each link
    # in rows of their own, so none is dropped (a closed incident's twelve records).
    for start in range(0, len(links), MAX_ACTIONS):
        body.append({"type": "ActionSet", "actions": links[start : start + MAX_ACTIONS]})
    return _card(body, actions)


MAX_ACTIONS = 5  # what Adaptive Cards' hosts show in one row by default


def with_person_pickers(
    card: dict[str, Any],
    form: Form,
    people: Sequence[tuple[str, str]],
    *,
    even_empty: bool = False,
) -> dict[str, Any]:
    """The rendered form with each person field as a drop-down choice of ``people``
    (``(name, display name)`` pairs) instead of a box for a typed user name; with no one to
    offer, a box, unless ``even_empty`` (a picker that also searches). (``filtered``, the
    type-ahead style, is not in the Adaptive Cards 1.5 schema the cards are held to.)"""
    persons = {f.name: f for f in form.fields if f.kind == "person"}
    if not persons or not (people or even_empty):
        return card
    choices = [{"title": f"{shown} ({name})", "value": name} for name, shown in people]
    known = {name for name, _ in people}
    body = []
    for element in card["body"]:
        f = persons.get(element.get("id", ""))
        if f is None:
            body.append(element)
            continue
        picker: dict[str, Any] = {
            "type": "Input.ChoiceSet",
            "id": f.name,
            "label": f.label,
            "choices": choices,
            "style": "compact",
            "placeholder": "Choose a person",
        }
        if f.required:
            picker["isRequired"] = True
            picker["errorMessage"] = f.error_message
        if f.value not in (None, "") and str(f.value) in known:
            picker["value"] = str(f.value)
        body.append(picker)
    return {**card, "body": body}
