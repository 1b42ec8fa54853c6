"""The neutral form and card model that every surface renders.

A form is validated on the server with ``validate`` whatever rendered it: Adaptive Cards make
inputs optional unless ``isRequired``; Slack makes them required unless ``optional``; Slack has
no regex; multi-selects arrive comma-separated from Adaptive Cards and as lists from Slack.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, time
from typing import Any, Literal

from cards.text import Text, as_text, from_json, to_json

# "person" is one person and "people" several: a people picker on each surface (Slack's user
# selects; elsewhere a choice of the people the bot knows, given as ``choices``).
FieldKind = Literal[
    "text", "multiline", "choice", "multichoice", "toggle", "date", "time", "person", "people"
]


@dataclass(frozen=True)
class Choice:
    value: str
    title: str
    detail: str = ""  # longer text (e.g. a Table 1 cell) shown with the choice

    @property
    def full_title(self) -> str:
        return f"{self.title}: {self.detail}" if self.detail else self.title


# Every text field has a limit, enforced by ``validate`` and shown beside the field (the
# placeholder, and the input's own maximum on each surface). Slack's text input holds at most
# 3,000 characters, as does a text block of a card showing it; a Teams card at most 28 KB, which
# a form of a dozen boxes at 2,000 characters still fits; the documents print what is kept.
TEXT_LIMIT = 300
MULTILINE_LIMIT = 2_000
SURFACE_LIMIT = 3_000


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: FieldKind = "text"
    required: bool = False
    choices: tuple[Choice, ...] = ()
    max_length: int | None = None
    placeholder: str = ""
    help: str = ""
    expanded: bool = False  # radio buttons rather than a drop-down
    value: Any = None

    @property
    def limit(self) -> int | None:
        """The most characters the field takes: its own ``max_length`` or its kind's."""
        if self.kind == "text":
            return self.max_length or TEXT_LIMIT
        if self.kind == "multiline":
            return self.max_length or MULTILINE_LIMIT
        return self.max_length

    @property
    def hint(self) -> str:
        """The placeholder, saying the limit where the field takes typed text."""
        if self.limit is None or self.kind not in {"text", "multiline"}:
            return self.placeholder
        limit = f"up to {self.limit:,} characters"
        return f"{self.placeholder} ({limit})" if self.placeholder else limit.capitalize()

    @property
    def error_message(self) -> str:
        if self.kind in {"choice", "multichoice"}:
            return f"{self.label}: choose an option"
        if self.kind == "date":
            return f"{self.label}: give a date"
        if self.kind == "time":
            return f"{self.label}: give a time"
        return f"{self.label}: this is required"


@dataclass(frozen=True)
class Form:
    id: str
    title: str
    fields: tuple[Field, ...]
    submit_label: str = "Submit"
    intro: str = ""
    context: Mapping[str, str] = field(default_factory=dict)  # hidden: references etc.
    exercise: bool = False
    errors: Mapping[str, str] = field(default_factory=dict)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def prefilled(self, values: Mapping[str, Any]) -> Form:
        fields = tuple(
            replace(f, value=values[f.name]) if values.get(f.name) not in (None, "") else f
            for f in self.fields
        )
        return replace(self, fields=fields)

    def with_errors(self, errors: Mapping[str, str]) -> Form:
        return replace(self, errors=dict(errors))

    def with_people(self, people: Sequence[Choice]) -> Form:
        """Person fields offer these people (user name, display name) to choose from; a
        field whose form already chose its people (e.g. those trained first) keeps them."""
        fields = tuple(
            replace(f, choices=tuple(people))
            if f.kind in {"person", "people"} and not f.choices
            else f
            for f in self.fields
        )
        return replace(self, fields=fields)


@dataclass(frozen=True)
class Action:
    title: str
    command: str  # what pressing it runs, e.g. "/opss assess ISS-2026-0001"


EXERCISE_PREFIX = "EXERCISE · "


def shown_text(text: str, card: Card | None) -> str:
    """The words a post shows with its card: an exercise's card carries the mark, so the text
    beside it does not say it again (a text alone keeps it, and so does a notification's
    fallback text, which is read without the card)."""
    if card is not None and card.exercise:
        return text.removeprefix(EXERCISE_PREFIX)
    return text


@dataclass(frozen=True)
class Card:
    title: str
    subtitle: str = ""
    badges: tuple[str, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()
    ladder: tuple[tuple[str, ...], int] | None = None  # rung labels, index of current
    # (heading, body): a plain string is what someone typed, shown literally; a ``Text``
    # carries the bot's own styling (bold labels, bullets) around literal runs.
    sections: tuple[tuple[str, str | Text], ...] = ()
    actions: tuple[Action, ...] = ()
    exercise: bool = False
    warning: str = ""
    links: tuple[tuple[str, str], ...] = ()  # (title, url): downloads such as an export

    def marked(self) -> Card:
        """The card as drawn: an exercise's banner says EXERCISE once, so its title and badges
        do not say it again (a title or a badge made before the banner was drawn did)."""
        if not self.exercise:
            return self
        return replace(
            self,
            title=self.title.removeprefix(EXERCISE_PREFIX),
            badges=tuple(b for b in self.badges if b != "EXERCISE"),
        )

    @property
    def summary(self) -> str:
        """One line that says what the card is: a reply's text, a notification's."""
        return " · ".join(p for p in (self.title, self.subtitle) if p)

    @property
    def plain(self) -> str:
        """Every word on the card as plain lines (what a text-only reader would get)."""
        lines = [self.title, self.subtitle, " · ".join(self.badges), self.warning]
        lines += [f"{k}: {v}" if k else v for k, v in self.facts]
        for heading, body in self.sections:
            lines += [heading, as_text(body).plain]
        return "\n".join(ln for ln in lines if ln)


@dataclass(frozen=True)
class Validation:
    values: dict[str, Any]
    errors: dict[str, str]
    # The fields in ``errors`` that are required and were left empty (not given wrongly).
    missing: frozenset[str] = frozenset()

    @property
    def only_missing(self) -> bool:
        """True when every error is a required field left empty (so the form is the answer)."""
        return bool(self.errors) and set(self.errors) <= self.missing

    @property
    def wrong(self) -> dict[str, str]:
        """The errors of values given, not merely missing."""
        return {k: m for k, m in self.errors.items() if k not in self.missing}


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?$")
_TRUE = {"true", "yes", "on", "1", "y"}
_FALSE = {"false", "no", "off", "0", "n", ""}


def _as_list(raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [p.strip() for p in raw.split(",") if p.strip()]
    if isinstance(raw, Sequence):
        return [str(p).strip() for p in raw if str(p).strip()]
    return [str(raw)]


def validate(form: Form, raw: Mapping[str, Any]) -> Validation:
    """Check submitted values against the form; every message names the field."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    missing: set[str] = set()
    for f in form.fields:
        value = raw.get(f.name)
        if f.kind == "toggle":
            if isinstance(value, list | tuple):  # Slack: a one-option checkbox group
                value = bool(value)
            text = str(value).strip().lower() if value is not None else ""
            if isinstance(value, bool):
                values[f.name] = value
            elif text in _TRUE:
                values[f.name] = True
            elif text in _FALSE:
                values[f.name] = False
            else:
                errors[f.name] = f"{f.label}: answer yes or no, not '{value}'"
            continue
        if f.kind == "people":  # comma-separated names, as the commands take them
            names = [n.lstrip("@") for n in _as_list(value)]
            if not names and f.required:
                errors[f.name] = f"{f.label}: choose at least one person"
                missing.add(f.name)
            values[f.name] = ", ".join(names) or None
            continue
        if f.kind == "multichoice":
            items = _as_list(value)
            if not items:
                if f.required:
                    errors[f.name] = f"{f.label}: choose at least one option"
                    missing.add(f.name)
                values[f.name] = []
                continue
            allowed = {c.value for c in f.choices}
            bad = [i for i in items if i not in allowed]
            if bad:
                errors[f.name] = f"{f.label}: '{bad[0]}' is not one of the options"
            values[f.name] = items
            continue
        text = "" if value is None else str(value).strip()
        if not text:
            if f.required:
                errors[f.name] = f.error_message
                missing.add(f.name)
            values[f.name] = None
            continue
        if f.limit is not None and len(text) > f.limit:
            errors[f.name] = f"{f.label} is too long: {len(text):,} characters, at most {f.limit:,}"
            continue
        if f.kind == "choice":
            match = _match_choice(f, text)
            if match is None:
                options = ", ".join(c.value for c in f.choices[:12])
                errors[f.name] = f"{f.label}: '{text}' is not one of the options ({options})"
                continue
            text = match
        elif f.kind == "date":
            if not _DATE.match(text) or not _valid_date(text):
                errors[f.name] = f"{f.label}: '{text}' is not a date; use YYYY-MM-DD"
                continue
        elif f.kind == "time":
            if not _TIME.match(text) or not _valid_time(text):
                errors[f.name] = f"{f.label}: '{text}' is not a time; use HH:MM (24-hour)"
                continue
            text = text[:5] if len(text) > 5 else text.zfill(5)
        values[f.name] = text
    return Validation(values, errors, frozenset(missing))


def _match_choice(f: Field, text: str) -> str | None:
    folded = text.casefold()
    for c in f.choices:
        if folded in {c.value.casefold(), c.title.casefold(), c.full_title.casefold()}:
            return c.value
    return None


def _valid_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _valid_time(text: str) -> bool:
    try:
        time.fromisoformat(text.zfill(5))
    except ValueError:
        return False
    return True


def card_to_dict(card: Card) -> dict[str, Any]:
    """A card as plain JSON, so a queued post can carry it and any surface render it later."""
    return {
        "title": card.title,
        "subtitle": card.subtitle,
        "badges": list(card.badges),
        "facts": [list(f) for f in card.facts],
        "ladder": [list(card.ladder[0]), card.ladder[1]] if card.ladder else None,
        "sections": [[h, section_to_json(b)] for h, b in card.sections],
        "actions": [{"title": a.title, "command": a.command} for a in card.actions],
        "exercise": card.exercise,
        "warning": card.warning,
        "links": [list(link) for link in card.links],
    }


def card_from_dict(data: Mapping[str, Any]) -> Card:
    ladder = data.get("ladder")
    return Card(
        title=data["title"],
        subtitle=data.get("subtitle", ""),
        badges=tuple(data.get("badges", ())),
        facts=tuple((k, v) for k, v in data.get("facts", ())),
        ladder=(tuple(ladder[0]), int(ladder[1])) if ladder else None,
        sections=tuple((h, section_from_json(b)) for h, b in data.get("sections", ())),
        actions=tuple(Action(a["title"], a["command"]) for a in data.get("actions", ())),
        exercise=bool(data.get("exercise", False)),
        warning=data.get("warning", ""),
        links=tuple((t, u) for t, u in data.get("links", ())),
    )


def section_to_json(body: str | Text) -> Any:
    return {"rich": to_json(body)} if isinstance(body, Text) else body


def section_from_json(body: Any) -> str | Text:
    if isinstance(body, dict) and "rich" in body:
        return from_json(body["rich"])
    return str(body)


def section_text(body: str | Text) -> Text:
    return as_text(body)
