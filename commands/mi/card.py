"""The headline figures as a card: ``/opss mi``'s answer and the weekly summary's post."""

from __future__ import annotations

from urllib.parse import urlencode

from cards.model import Action as Button
from cards.model import Card
from commands.core.context import Options
from commands.mi.figures import Filters
from commands.mi.panels import EXERCISE, Dashboard


def dashboard_path(filters: Filters) -> str:
    """The dashboard's address for these filters (relative to the workspace)."""
    query = {"area": filters.area or "", "period": filters.period}
    if filters.exercises:
        query["exercises"] = "1"
    return "/mi?" + urlencode({k: v for k, v in query.items() if v})


def dashboard_link(options: Options, surface: str, filters: Filters) -> str | None:
    """The workspace serves the dashboard: a link within it, else one at the address it is
    served at, if any."""
    if surface == "local":
        return dashboard_path(filters)
    if options.dashboard_url:
        return options.dashboard_url.rstrip("/") + dashboard_path(filters)
    return None


def command(filters: Filters, *, exercises: bool) -> str:
    parts = ["/opss mi"]
    if filters.area:
        parts.append(f'--area "{filters.area}"')
    parts.append(f"--period {filters.period}")
    if exercises:
        parts.append("--exercise")
    return " ".join(parts)


def mi_card(
    dashboard: Dashboard, filters: Filters, link: str | None, title: str = "Management information"
) -> Card:
    facts = tuple(
        (h.label, h.value + (f" ({h.note})" if h.note else "")) for h in dashboard.headline
    )
    toggle = (
        Button("Leave out EXERCISE records", command(filters, exercises=False))
        if filters.exercises
        else Button(f"Include {EXERCISE} records", command(filters, exercises=True))
    )
    return Card(
        title=title,
        subtitle=f"As at {dashboard.as_at} · {dashboard.scope}",
        facts=facts,
        warning=(
            f"Includes {EXERCISE} records: their figures are counted apart and marked."
            if filters.exercises
            else ""
        ),
        actions=(toggle,),
        links=(("Open the dashboard", link),) if link else (),
    )
