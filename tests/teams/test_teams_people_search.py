"""A person picker that searches the organisation (issue 19, item 8), over ``/api/messages``:
with ``TEAMS_PEOPLE_SEARCH`` a form's person field is Teams' dynamic typeahead
(``choices.data``, a ``Data.Query``), its ``application/search`` invokes are answered from the
fake Graph's directory, and a person found only there, once chosen, is stored with their name
in the command's unit of work. Without the setting the picker is the people the bot knows,
and Graph's users are never read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.teams.surface import form_card
from cards.model import Field, Form
from storage.models import Action, Identity, IncidentGroup, Person
from tests.fakes.graph_permissions import permissions_used
from tests.fakes.schema import card_errors, teams_card_errors, without_typeahead
from tests.fakes.teams_world import (
    DIRECTORY,
    TeamsWorld,
    _flat,
    action_data,
    action_form,
    declare,
    inputs,
    teams_world,
)
from tests.fakes.teams_world import (
    teams as teams,  # the fixture, used by its name
)

PRIYA = "3f2a9c1e-7b4d-4e8a-9f10-2c6d8e4b5a71"  # in the directory, never met by the bot
PATRICK = "8c0e4d2b-1a3f-4b6c-8d9e-0f1a2b3c4d5e"
GUEST = "5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f"
NOBODY = "00000000-1111-4222-8333-444444444444"  # an object id no one in the directory has
QUERY = {"type": "Data.Query", "dataset": "opss.people", "associatedInputs": "none"}


@pytest.fixture
def searching(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[TeamsWorld]:
    """The Teams world where an administrator granted User.ReadBasic.All."""
    with teams_world(tmp_path, caplog, teams_people_search=True) as world:
        world.graph.people = [dict(u) for u in DIRECTORY]
        yield world


def search(
    teams: TeamsWorld,
    text: Any,
    *,
    user: str = "ian",
    dataset: Any = "opss.people",
    value: Any = None,
    token: str | None = "valid",
    tenant: str | None = None,
) -> tuple[int, Any]:
    """What Teams sends as someone types in the picker (learn.microsoft.com's invoke)."""
    activity = teams.activity(user, "invoke")
    activity["name"] = "application/search"
    activity["value"] = (
        value
        if value is not None
        else {"queryText": text, "queryOptions": {"skip": 0, "top": 15}, "dataset": dataset}
    )
    if tenant is not None:
        activity["conversation"]["tenantId"] = tenant
        activity["channelData"]["tenant"]["id"] = tenant
    return teams.send(activity, token=token)


def results(answer: tuple[int, Any]) -> list[dict[str, str]]:
    status, body = answer
    assert status == 200, body
    assert body["type"] == "application/vnd.microsoft.search.searchResponse"
    return list(body["value"]["results"])


def filters(teams: TeamsWorld) -> list[str]:
    return [c.body.get("$filter", "") for c in teams.graph.searches()]


def test_the_picker_offers_known_people_and_searches_the_organisation(
    searching: TeamsWorld,
) -> None:
    form = action_form(searching)
    owner = inputs(form)["owner"]
    assert owner["type"] == "Input.ChoiceSet" and owner["style"] == "compact"
    assert {"title": "Fatima Khan (fatima)", "value": "fatima"} in owner["choices"]
    assert owner["choices.data"] == QUERY
    # Teams' extension is outside Adaptive Card 1.5; all else of the card is inside it.
    assert card_errors(form) != []
    stripped, wrong = without_typeahead(form)
    assert wrong == [] and card_errors(stripped) == [] and teams_card_errors(form) == []
    assert "choices.data" not in _flat(stripped)

    # Someone the bot has never met: their name, and their Entra object id.
    assert results(search(searching, "pri")) == [{"title": "Priya Shah", "value": PRIYA}]
    assert filters(searching) == [
        "startswith(displayName,'pri') or startswith(givenName,'pri') or startswith(surname,'pri')"
    ]
    (call,) = searching.graph.searches()
    assert call.body["$select"] == "id,displayName,userPrincipalName,mail"
    # Someone it knows is offered as its own choice; by surname too.
    assert results(search(searching, "Brooks")) == [{"title": "Ian Brooks (ian)", "value": "ian"}]
    # A guest (#EXT#) is left out.
    assert results(search(searching, "Guest")) == []
    assert results(search(searching, "patrick")) == [{"title": "Patrick O'Neill", "value": PATRICK}]
    assert all(c.auth == "Bearer graph-token-91bd" for c in searching.graph.searches())
    assert "User.ReadBasic.All" in permissions_used(searching.graph.calls, "private")


def test_a_person_found_only_in_the_directory_is_stored_with_their_name_and_owns_the_action(
    searching: TeamsWorld,
) -> None:
    form = action_form(searching)
    data = action_data(form)
    assert data["teams_people"] == "owner"
    status, body = searching.execute(
        "ian", {**data, "what": "Test five samples", "owner": PRIYA, "date": "2026-11-26"}
    )
    assert status == 200 and "ACT-2026-0001" in _flat(body["value"])
    assert "Priya Shah" in _flat(body["value"])
    # Checked in Graph (the card's value came from the client), with the basic profile only.
    (looked,) = [c for c in searching.graph.calls if c.path == f"/v1.0/users/{PRIYA}"]
    assert looked.method == "GET" and looked.status == 200
    with searching.bot.db.read() as s:
        (action,) = s.scalars(select(Action)).all()
        assert action.owner.display_name == "Priya Shah"
        identity = s.scalar(select(Identity).where(Identity.external_id == PRIYA))
        assert identity is not None and identity.surface == "teams"
        assert identity.person_id == action.owner_id
    assert "User.ReadBasic.All" in permissions_used(searching.graph.calls, "private")


def test_an_object_id_not_in_the_directory_or_a_guests_stores_no_one(
    searching: TeamsWorld,
) -> None:
    form = action_form(searching)
    with searching.bot.db.read() as s:
        people = len(s.scalars(select(Person)).all())
    for oid in (NOBODY, GUEST):
        status, body = searching.execute(
            "ian",
            {**action_data(form), "what": "Test five samples", "owner": oid, "date": "2026-11-26"},
        )
        assert status == 200  # the form back, the problem beside the field
        assert f"Owner: no user '{oid}' is known." in _flat(body["value"])
    with searching.bot.db.read() as s:
        assert len(s.scalars(select(Person)).all()) == people
        assert s.scalars(select(Action)).all() == []


def test_odd_search_text_is_words_and_never_a_5xx(searching: TeamsWorld) -> None:
    for text in ("", "   ", "\ud800", "a\x00b", 7, None, ["pri"]):
        assert results(search(searching, text)) == []
    assert searching.graph.searches() == []  # nothing worth asking Graph
    # A quote is a quote: doubled in the OData literal, not the end of it.
    assert results(search(searching, "O'Neill")) == [{"title": "Patrick O'Neill", "value": PATRICK}]
    injected = "x') or startswith(mail,'"
    assert results(search(searching, injected)) == []
    assert filters(searching)[-1].startswith("startswith(displayName,'x'') or startswith(mail,''')")
    assert all(c.status == 200 for c in searching.graph.searches())  # every filter parsed
    # Long text is cut; odd options are Teams' default.
    assert results(search(searching, "P" * 10_000)) == []
    assert len(filters(searching)[-1]) < 500
    odd = {"queryText": "pri", "queryOptions": {"top": "all"}, "dataset": "opss.people"}
    assert results(search(searching, None, value=odd)) == [{"title": "Priya Shah", "value": PRIYA}]
    # Not our dataset, or no value at all: refused as malformed, and Graph not asked.
    asked = len(searching.graph.searches())
    assert search(searching, "pri", dataset="npm")[0] == 400
    assert search(searching, None, value=["pri"])[0] == 400
    assert len(searching.graph.searches()) == asked


def test_a_search_is_checked_as_every_activity_and_reads_only_our_tenant(
    searching: TeamsWorld,
) -> None:
    assert search(searching, "pri", token=None)[0] == 401
    assert search(searching, "pri", token="not-a-token")[0] == 401
    assert results(search(searching, "pri", tenant="11111111-2222-4333-8444-555555555555")) == []
    assert searching.graph.searches() == []


def test_graph_refusing_the_search_finds_no_one_and_fails_nothing(
    searching: TeamsWorld,
) -> None:
    searching.graph.refuse_people = True
    assert results(search(searching, "pri")) == []
    (call,) = searching.graph.searches()
    assert call.status == 403


def test_without_the_setting_the_picker_is_the_people_known_and_graph_is_not_read(
    teams: TeamsWorld,
) -> None:
    form = action_form(teams)
    assert "choices.data" not in _flat(form) and "Data.Query" not in _flat(form)
    assert card_errors(form) == []
    assert "teams_people" not in action_data(form)
    assert search(teams, "pri")[0] == 400  # no card asks; the bot answers no search
    # A submission naming an object id (and the marker) makes no Graph call either.
    status, body = teams.execute(
        "ian",
        {
            **action_data(form),
            "teams_people": "owner",
            "what": "Test five samples",
            "owner": PRIYA,
            "date": "2026-11-26",
        },
    )
    assert status == 200 and f"Owner: no user '{PRIYA}' is known." in _flat(body["value"])
    assert [c for c in teams.graph.calls if c.path.startswith("/v1.0/users")] == []


def test_the_schema_check_lets_through_only_the_documented_data_query() -> None:
    """The one exemption from Adaptive Card 1.5: ``choices.data`` on an Input.ChoiceSet, in
    the shape Microsoft documents; anything else in it, or elsewhere, is still an error."""
    picker = {"type": "Input.ChoiceSet", "id": "owner", "choices": [], "style": "compact"}

    def card(*elements: dict[str, Any]) -> dict[str, Any]:
        return {"type": "AdaptiveCard", "version": "1.5", "body": list(elements)}

    assert teams_card_errors(card({**picker, "choices.data": QUERY})) == []
    wrong = [
        {**picker, "choices.data": {**QUERY, "type": "Data.Search"}},
        {**picker, "choices.data": {"type": "Data.Query"}},
        {**picker, "choices.data": {**QUERY, "associatedInputs": "all"}},
        {**picker, "choices.data": {**QUERY, "url": "https://example.test"}},
        {**picker, "choices.data": {**QUERY, "count": "15"}},
        {**picker, "choices.data": "opss.people"},
        {"type": "Input.Text", "id": "owner", "choices.data": QUERY},
        {**picker, "choices.data": QUERY, "style": "filtered"},  # still not in 1.5
    ]
    for element in wrong:
        assert teams_card_errors(card(element)) != [], element


def test_with_no_one_known_yet_a_person_field_is_still_a_searching_picker() -> None:
    form = Form(
        id="action",
        title="Action",
        fields=(Field("owner", "Owner", "person", required=True, max_length=200),),
    )
    card = form_card(form, "19:general", search=True)
    owner = inputs(card)["owner"]
    assert owner["type"] == "Input.ChoiceSet" and owner["choices"] == []
    assert owner["choices.data"] == QUERY and owner["isRequired"] is True
    assert action_data(card)["teams_people"] == "owner"
    assert teams_card_errors(card) == []
    # Without the search, the same form asks for a user name, as before.
    assert inputs(form_card(form, "19:general"))["owner"]["type"] == "Input.Text"


def test_a_group_chaired_by_someone_found_in_the_directory(searching: TeamsWorld) -> None:
    """The same for a chair, in a form of several fields: the group's chair is the person
    stored from the directory, with their name."""
    declare(searching)
    searching.say("ian", "opss group INC-2026-001 open")
    form = searching.last_card(searching.personal("ian"))
    assert inputs(form)["chair"]["choices.data"] == QUERY
    status, body = searching.execute(
        "ian",
        {
            **action_data(form),
            "kind": "evidence_group",
            "chair": PRIYA,
            "justification": "A chemist from the science team",
        },
    )
    assert status == 200, body
    with searching.bot.db.read() as s:
        group = s.scalar(select(IncidentGroup).where(IncidentGroup.kind == "evidence_group"))
        assert group is not None and group.chair is not None, _flat(body)
        assert group.chair.display_name == "Priya Shah"
