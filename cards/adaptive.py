"""Render neutral forms and cards as Adaptive Cards 1.5 (what Teams and the workspace show)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cards.model import Card, Field, Form

VERSION = "1.5"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
EXERCISE_BANNER = "EXERCISE · EXERCISE · EXERCISE"


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
    if f.kind in {"text", "multiline", "person"}:
        el: dict[str, Any] = {"type": "Input.Text", **base}
        if f.kind == "multiline":
            el["isMultiline"] = True
        if f.max_length:
            el["maxLength"] = f.max_length
        if f.placeholder:
            el["placeholder"] = f.placeholder
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
    body.append(_text(form.title, size="Large", weight="Bolder"))
    if form.intro:
        body.append(_text(form.intro, isSubtle=True))
    if form.errors and "_form" in form.errors:
        body.append(_text(form.errors["_form"], color="Attention"))
    for f in form.fields:
        body.append(_input(f))
        if f.help:
            body.append(_text(f.help, isSubtle=True, size="Small", spacing="None"))
        if f.name in form.errors:
            body.append(_text(form.errors[f.name], color="Attention", spacing="None"))
    data = {"form": form.id, **form.context}
    actions = [{"type": "Action.Submit", "title": form.submit_label, "data": data}]
    return _card(body, actions)


def render_card(card: Card) -> dict[str, Any]:
    body: list[dict[str, Any]] = []
    if card.exercise:
        body.append(_banner())
    body.append(_text(card.title, size="Large", weight="Bolder"))
    if card.subtitle:
        body.append(_text(card.subtitle, isSubtle=True, spacing="None"))
    if card.badges:
        body.append(_text(" · ".join(card.badges), weight="Bolder", color="Accent"))
    if card.warning:
        body.append({"type": "Container", "style": "warning", "items": [_text(card.warning)]})
    if card.ladder is not None:
        rungs, current = card.ladder
        parts = []
        for i, rung in enumerate(rungs):
            if i < current:
                parts.append(f"{rung} ✓")
            elif i == current:
                parts.append(f"**▶ {rung}**")
            else:
                parts.append(rung)
        body.append(_text(" → ".join(parts), size="Small"))
    if card.facts:
        body.append({"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in card.facts]})
    for heading, text in card.sections:
        body.append(_text(heading, weight="Bolder", spacing="Medium"))
        body.append(_text(text, spacing="None"))
    actions = [
        {"type": "Action.Submit", "title": a.title, "data": {"command": a.command}}
        for a in card.actions
    ]
    return _card(body, actions)


def with_person_pickers(
    card: dict[str, Any], form: Form, people: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """The rendered form with each person field as a drop-down choice of ``people``
    (``(name, display name)`` pairs) instead of a box for a typed user name. (``filtered``,
    the type-ahead style, is not in the Adaptive Cards 1.5 schema the cards are held to.)"""
    persons = {f.name: f for f in form.fields if f.kind == "person"}
    if not persons or not people:
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
