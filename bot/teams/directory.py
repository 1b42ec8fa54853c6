"""The organisation's people in a Teams person picker, where an administrator granted the bot
``User.ReadBasic.All`` (``TEAMS_PEOPLE_SEARCH``).

A person field is then an ``Input.ChoiceSet`` whose ``choices.data`` is a ``Data.Query``:
Teams' dynamic typeahead (learn.microsoft.com, "Typeahead search in Adaptive Cards"). The
people the bot knows stay its static choices (``people.pickable``); as the person types, Teams
sends an ``invoke`` named ``application/search`` and shows the results the bot answers with,
which are read from Graph. A result is the person's Entra object id, the id Teams identities
carry; one the bot already knows is offered as its own choice (their user name). A submitted
form naming an object id is checked against Graph again (a card's values come from the
client) and its person's name goes with the submission; the engine stores a first-time person
in the command's unit of work (``commands/core/people.py``), never here.

``choices.data`` is Teams' extension, outside the Adaptive Card 1.5 schema: the tests hold
every other part of such a card to the schema, and this one to Microsoft's documented shape.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from bot.messaging import DeliveryError
from bot.teams.graph import Graph, GraphRefused
from cards.model import Form

log = logging.getLogger(__name__)

INVOKE = "application/search"
DATASET = "opss.people"
SEARCH_RESPONSE = "application/vnd.microsoft.search.searchResponse"
MOST = 15  # Teams shows at most 15 of a search's results
LONGEST = 100  # characters of a search sent to Graph (display names are at most 256)
# In a form's buttons' data: its person fields, whose values may be object ids from a search.
FIELDS = "teams_people"
# An Entra object id: what a search's result carries, and all a submission is checked for.
_OBJECT_ID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
# What no search needs and a URL cannot carry: control characters, a lone surrogate.
_UNSEARCHABLE = re.compile("[\\ud800-\\udfff\\x00-\\x1f\\x7f]")
GUEST = "#EXT#"  # in a guest's userPrincipalName (userType needs more than the basic profile)


def query() -> dict[str, str]:
    """The ``choices.data`` of a person picker. ``associatedInputs`` is ``none``: a search
    for a person depends on no other field, so the form's other inputs (an incident's words)
    are not sent with every keystroke."""
    return {"type": "Data.Query", "dataset": DATASET, "associatedInputs": "none"}


def searchable(card: dict[str, Any], form: Form) -> dict[str, Any]:
    """The form's card (its person fields pickers, ``with_person_pickers(even_empty=True)``)
    with each person picker searching the organisation as well as offering the people the
    bot knows, and its buttons naming those fields, so that a submission's object ids are
    found again."""
    persons = [f.name for f in form.fields if f.kind == "person"]
    if not persons:
        return card
    body = [
        {**e, "choices.data": query(), "placeholder": "Type a name to search"}
        if e.get("id") in persons and e.get("type") == "Input.ChoiceSet"
        else e
        for e in card["body"]
    ]
    named = ",".join(persons)
    actions = [
        {**a, "data": {**a.get("data", {}), FIELDS: named}} if "data" in a else a
        for a in card.get("actions", [])
    ]
    return {**card, "body": body, **({"actions": actions} if "actions" in card else {})}


def search_text(value: dict[str, Any]) -> str:
    """What the person typed, as Graph is asked for it; empty when it cannot be searched."""
    text = value.get("queryText")
    if not isinstance(text, str):
        return ""
    text = " ".join(text.split())
    if _UNSEARCHABLE.search(text):
        return ""
    return text[:LONGEST]


def wanted(value: dict[str, Any]) -> int:
    """How many results Teams asked for (``queryOptions.top``), at most ``MOST``."""
    options = value.get("queryOptions")
    top = options.get("top") if isinstance(options, dict) else None
    if isinstance(top, bool) or not isinstance(top, int) or top <= 0:
        return MOST
    return min(top, MOST)


def answer(results: list[dict[str, str]]) -> dict[str, Any]:
    """The invoke's body: Teams' search response."""
    return {"type": SEARCH_RESPONSE, "value": {"results": results}}


def object_ids(data: dict[str, Any], fields: Any) -> dict[str, str]:
    """The person fields of a submission whose values are object ids: field -> id."""
    if not isinstance(fields, str):
        return {}
    out = {}
    for name in fields.split(","):
        value = data.get(name)
        if isinstance(value, str) and _OBJECT_ID.fullmatch(value.strip()):
            out[name] = value.strip()
    return out


def _member(user: dict[str, Any]) -> tuple[str, str] | None:
    """(object id, display name) of a member of the organisation; None for a guest."""
    oid, shown = user.get("id"), user.get("displayName")
    if not isinstance(oid, str) or not oid or not isinstance(shown, str) or not shown.strip():
        return None
    if GUEST in str(user.get("userPrincipalName") or "").upper():
        return None
    return oid, shown.strip()


class Directory:
    """Graph's users for the bot's own tenant."""

    def __init__(self, graph: Graph, tenant_id: str) -> None:
        self.graph = graph
        self.tenant_id = tenant_id

    async def search(self, text: str, top: int) -> list[tuple[str, str]]:
        """Members whose names start with ``text``: (object id, display name), at most
        ``top``. Graph refusing or unreachable finds no one (logged): a picker's search is
        never worth a failed card."""
        try:
            # More than shown are asked for: guests are left out after.
            found = await self.graph.find_people(text, min(top * 2, 50))
        except (GraphRefused, DeliveryError) as exc:
            log.warning("people search in Graph failed: %s", exc)
            return []
        members = [m for m in map(_member, found) if m is not None]
        return members[:top]

    async def names(self, ids: set[str]) -> dict[str, str]:
        """The display names of those of ``ids`` who are members of the organisation."""

        async def one(oid: str) -> tuple[str, str] | None:
            try:
                user = await self.graph.person(oid)
            except (GraphRefused, DeliveryError) as exc:
                log.warning("person %s not read from Graph: %s", oid, exc)
                return None
            member = _member(user) if user is not None else None
            if member is None or member[0].lower() != oid.lower():
                return None
            return oid, member[1]

        found = await asyncio.gather(*(one(i) for i in sorted(ids)))
        return dict(m for m in found if m is not None)
