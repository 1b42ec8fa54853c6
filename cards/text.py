"""Rich text held once, in a neutral form, and rendered by each surface's translator.

A ``Text`` is a sequence of lines; a line is a paragraph, a heading (bold, on its own line) or
a bullet, made of runs. A run is plain, bold or code, and its characters are always literal:
what people typed stays in runs of its own, so no surface can read it as markup (a mention,
a link or formatting). The translators (``cards/adaptive.py``, ``cards/blockkit.py``) turn
runs into their surface's own styled elements; nothing here is Markdown or mrkdwn.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

LineKind = Literal["para", "heading", "bullet"]


@dataclass(frozen=True)
class Run:
    text: str
    bold: bool = False
    code: bool = False  # a command to type, e.g. /opss help


@dataclass(frozen=True)
class Line:
    runs: tuple[Run, ...]
    kind: LineKind = "para"

    @property
    def plain(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass(frozen=True)
class Text:
    lines: tuple[Line, ...]

    @property
    def plain(self) -> str:
        """The text with no styling, one line per line (bullets keep a bullet)."""
        return "\n".join(("• " if ln.kind == "bullet" else "") + ln.plain for ln in self.lines)

    def __add__(self, other: Text) -> Text:
        return Text(self.lines + other.lines)


Part = str | Run


def _runs(parts: Iterable[Part]) -> tuple[Run, ...]:
    return tuple(p if isinstance(p, Run) else Run(p) for p in parts if p)


def bold(text: str) -> Run:
    return Run(text, bold=True)


def code(text: str) -> Run:
    return Run(text, code=True)


def para(*parts: Part) -> Line:
    return Line(_runs(parts))


def heading(text: str) -> Line:
    return Line((Run(text, bold=True),), "heading")


def bullet(*parts: Part) -> Line:
    return Line(_runs(parts), "bullet")


def labelled(label: str, value: str) -> Line:
    """``Label: value`` with the label in bold, e.g. a sitrep's *Situation*."""
    return Line((Run(label, bold=True), Run(f": {value}")))


def text(*lines: Line) -> Text:
    return Text(tuple(lines))


def plain(value: str) -> Text:
    """What a person typed: each of its lines a paragraph of literal characters."""
    return Text(tuple(Line((Run(ln),)) if ln else Line(()) for ln in value.split("\n")))


def fact_runs(label: str, value: str) -> tuple[Run, ...]:
    """A card's fact as a line: its label in bold, then its value; a fact with no label (the
    sentence a card shows when it lists nothing) is the sentence alone, not "None: …"."""
    return (Run(f"{label}: ", bold=True), Run(value)) if label else (Run(value),)


def bullets(items: Sequence[str], empty: str = "none") -> Text:
    if not items:
        return Text((Line((Run(empty),)),))
    return Text(tuple(Line((Run(i),), "bullet") for i in items))


# JSON, so a queued post or a stored sitrep can hold it -----------------------------------------


def to_json(value: Text) -> list[dict[str, Any]]:
    return [
        {
            "kind": ln.kind,
            "runs": [
                {"text": r.text, **({"bold": True} if r.bold else {})}
                | ({"code": True} if r.code else {})
                for r in ln.runs
            ],
        }
        for ln in value.lines
    ]


def from_json(data: Any) -> Text:
    """A stored rich text; a plain string (older rows) is read as literal text."""
    if isinstance(data, str):
        return plain(data)
    lines = []
    for item in data or ():
        kind = item.get("kind", "para")
        runs = tuple(
            Run(str(r.get("text", "")), bool(r.get("bold")), bool(r.get("code")))
            for r in item.get("runs", ())
        )
        lines.append(Line(runs, kind if kind in ("para", "heading", "bullet") else "para"))
    return Text(tuple(lines))


def as_text(value: str | Text) -> Text:
    return value if isinstance(value, Text) else plain(value)
