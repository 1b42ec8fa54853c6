"""What the dashboard shows, as plain data: headline figures and panels, each a chart's
categories and series with the same figures as a table, for people who read rather than look
and for screen readers. The page (``bot/workspace/static/mi.js``) draws them with Chart.js;
the chat card (``commands/mi/card.py``) takes the headline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EXERCISE = "EXERCISE"


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[float | None, ...]  # one per category; None: nothing to measure
    exercise: bool = False  # EXERCISE records: drawn and labelled apart


@dataclass(frozen=True)
class Table:
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: str = "None."
    # Rows about EXERCISE records (their index), marked on the page as well as in the words.
    exercise_rows: tuple[int, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "caption": self.caption,
            "columns": list(self.columns),
            "rows": [list(r) for r in self.rows],
            "empty": self.empty,
            "exercise_rows": list(self.exercise_rows),
        }


def figure(value: float | None, decimals: int = 0) -> str:
    """A figure as the table shows it (and the chart's tooltip): "–" for nothing measured."""
    if value is None:
        return "–"
    return f"{value:.{decimals}f}" if decimals else str(round(value))


@dataclass(frozen=True)
class Panel:
    """One chart and its table. ``labels`` are the categories (the table's first column),
    each series a column; ``details`` are further tables (the records behind the figures)."""

    key: str
    title: str
    summary: str  # one sentence: the chart's text alternative, and the card's line
    category: str  # the heading of the categories' column
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    unit: str = ""  # what the figures count or measure ("issues", "days")
    decimals: int = 0
    horizontal: bool = False
    stacked: bool = False
    note: str = ""
    details: tuple[Table, ...] = field(default=())

    def table(self) -> Table:
        """The chart's figures, category by category: the same numbers, as text."""
        columns = (self.category, *(s.label for s in self.series))
        rows = tuple(
            (label, *(figure(s.values[i], self.decimals) for s in self.series))
            for i, label in enumerate(self.labels)
        )
        return Table(f"{self.title}: the chart's figures", columns, rows)

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "summary": self.summary,
            "unit": self.unit,
            "decimals": self.decimals,
            "horizontal": self.horizontal,
            "stacked": self.stacked,
            "note": self.note,
            "labels": list(self.labels),
            "series": [
                {"label": s.label, "values": list(s.values), "exercise": s.exercise}
                for s in self.series
            ],
            "table": self.table().as_json(),
            "details": [d.as_json() for d in self.details],
        }


@dataclass(frozen=True)
class Headline:
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Dashboard:
    as_at: str
    filters: dict[str, Any]  # what it was asked for (the page's controls, the card's line)
    scope: str  # the filters in words
    headline: tuple[Headline, ...]
    panels: tuple[Panel, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "as_at": self.as_at,
            "filters": self.filters,
            "scope": self.scope,
            "headline": [
                {"label": h.label, "value": h.value, "note": h.note} for h in self.headline
            ],
            "panels": [p.as_json() for p in self.panels],
        }
