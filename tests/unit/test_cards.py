"""Every form and card validates against the official schema; the server validates again."""

from __future__ import annotations

from typing import Any

import fastjsonschema
import pytest

from cards import adaptive, blockkit
from cards.model import Action, Card, Form, validate
from commands.action.forms import action_form
from commands.action.progress import blocked_form
from commands.conference.forms import conference_form, outcome_form
from commands.decision.forms import decide_form
from commands.incident.engagement import engage_form, plan_form
from commands.incident.erco import erco_form
from commands.incident.forms import declare_form
from commands.incident.groups import group_form
from commands.incident.incident_roles import role_form
from commands.incident.level import level_form
from commands.incident.strategy import strategy_form
from commands.issue.direct_escalation import direct_form
from commands.issue.forms import impact_form, nnc_form, raise_form
from commands.rhythm.battle_rhythm import meeting_form
from commands.sitrep.sitreps import update_form
from rules.engagement import OPERATIONAL_PARTNERS, STAKEHOLDERS
from tests.fakes.schema import assert_valid_card, card_errors

ALL_FORMS = [
    raise_form(["Gas and Electrical", "Toys and Childcare"]),
    impact_form("ISS-2026-0001", "CAM"),
    nnc_form("ISS-2026-0001"),
    conference_form("ISS-2026-0001", [("sara", "Sara Lind")]),
    outcome_form("CC-2026-0001"),
    declare_form("ISS-2026-0001", "Gas hob elbow joints", erco_prompt=True),
    decide_form("INC-2026-001"),
    action_form("INC-2026-001"),
    meeting_form("INC-2026-001"),
    update_form("INC-2026-001", ["Gas and Electrical", "Product Safety"]),
    # Inside a declared incident (section 3 and 4).
    group_form("INC-2026-001"),
    role_form("INC-2026-001", ("Gas and Electrical", "Toys and Childcare")),
    strategy_form("INC-2026-001"),
    erco_form("INC-2026-001"),
    level_form("INC-2026-001", "High"),
    engage_form("INC-2026-001", OPERATIONAL_PARTNERS + STAKEHOLDERS),
    plan_form("INC-2026-001", OPERATIONAL_PARTNERS + STAKEHOLDERS),
    direct_form("ISS-2026-0001", "Kettle sparks", [("david", "David Osei")]),
    blocked_form("ACT-2026-0001"),
]


@pytest.mark.parametrize("form", ALL_FORMS, ids=lambda f: f.id)
def test_form_validates_against_the_schema(form: Form) -> None:
    card = adaptive.render_form(form.prefilled({"title": "x"}).with_errors({"title": "bad"}))
    assert_valid_card(card)
    assert card["version"] == "1.5"


@pytest.mark.parametrize("form", ALL_FORMS, ids=lambda f: f.id)
def test_required_inputs_carry_is_required_and_an_error_message(form: Form) -> None:
    card = adaptive.render_form(form)
    inputs = {el["id"]: el for el in card["body"] if el["type"].startswith("Input.")}
    for field in form.fields:
        el = inputs[field.name]
        if field.required:
            assert el["isRequired"] is True and el["errorMessage"], field.name
        else:
            assert "isRequired" not in el, field.name


def test_the_schema_rejects_a_broken_card() -> None:
    broken = adaptive.render_form(ALL_FORMS[0])
    broken["body"][2]["isRequired"] = "yes"
    broken["body"].append({"type": "Input.Sparkle", "id": "x"})
    assert card_errors(broken)


# One breakage at a time, each of a kind the schema forbids: a wrong type of value, a value
# outside an enum, an unknown element, an element with no type, a body that is not a list.
BREAKAGES = (
    lambda el: el.__setitem__("isRequired", "yes"),
    lambda el: el.__setitem__("spacing", "Huge"),
    lambda el: el.__setitem__("type", "Input.Sparkle"),
    lambda el: el.pop("type"),
    lambda el: el.__setitem__("isVisible", [1]),
    lambda el: el.__setitem__("height", 5),
)


def _kinds(form: Form) -> int:
    return len({el["type"] for el in adaptive.render_form(form)["body"]})


# The two forms with the most kinds of element (jsonschema is slow on a broken card).
VARIED = sorted(ALL_FORMS, key=lambda f: -_kinds(f))[:2]


@pytest.mark.parametrize("form", VARIED, ids=lambda f: f.id)
def test_the_quick_schema_check_refuses_what_jsonschema_refuses(form: Form) -> None:
    """card_errors decides with a compiled copy of the schema and asks jsonschema only to
    name the errors; the two must agree, element by element, on cards that are wrong."""
    from tests.fakes.schema import _compiled, _validator

    def quick_accepts(card: dict[str, Any]) -> bool:
        try:
            _compiled()(card)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    assert card_errors(adaptive.render_form(form)) == []
    for index in range(len(adaptive.render_form(form)["body"])):
        refused = 0
        for breakage in BREAKAGES:
            broken = adaptive.render_form(form)
            breakage(broken["body"][index])
            accepted = _validator().is_valid(broken)
            assert quick_accepts(broken) == accepted, (form.id, index, broken["body"][index])
            refused += not accepted
        assert refused >= 3, (form.id, index, "most breakages of an element are refused")
    broken = adaptive.render_form(form)
    broken["body"] = {"not": "a list"}
    assert card_errors(broken)


def test_summary_card_with_everything_validates() -> None:
    card = Card(
        title="INC-2026-001 · Gas hob",
        subtitle="Declared incident",
        badges=("EXERCISE",),
        facts=(("Stage", "CAM"),),
        ladder=(("Raised", "CAM", "TTG"), 1),
        sections=(("Background", "text"),),
        actions=(Action("Status", "/opss status INC-2026-001"),),
        exercise=True,
        warning="Engage DBT ERCO",
    )
    rendered = adaptive.render_card(card)
    assert_valid_card(rendered)
    assert rendered["body"][0]["items"][0]["text"] == adaptive.EXERCISE_BANNER
    assert rendered["actions"][0]["data"] == {"command": "/opss status INC-2026-001"}


def test_multiselect_arrives_comma_separated_or_as_a_list() -> None:
    form = outcome_form("CC-2026-0001")
    base = {"rationale": "r", "decided_by": "d"}
    from_adaptive = validate(form, base | {"outcomes": "declare_incident,further_information"})
    from_slack = validate(form, base | {"outcomes": ["declare_incident", "further_information"]})
    assert from_adaptive.values["outcomes"] == from_slack.values["outcomes"]
    assert not from_adaptive.errors


def test_server_side_validation_names_the_field() -> None:
    form = raise_form(["Gas and Electrical"])
    result = validate(form, {"title": "x" * 121, "source": "rumour"})
    assert "Title is too long: 121 characters, at most 120" in result.errors["title"]
    assert "'rumour' is not one of the options" in result.errors["source"]
    assert "Product(s)" in result.errors["products"]
    assert not result.only_missing
    # Missing is a flag on the result, not a suffix on the words people read.
    assert result.missing == {"products", "hazard", "functional_area"}
    assert set(result.wrong) == {"title", "source"}
    assert not any("required)" in m for m in result.errors.values())
    empty = validate(form, {"title": "Gas hob"})
    assert empty.only_missing and empty.wrong == {}


def test_dates_and_times_are_checked_on_the_server() -> None:
    form = conference_form("ISS-2026-0001", [])
    result = validate(form, {"date": "2026-02-30", "time": "25:00", "agenda_background": "b"})
    assert "'2026-02-30' is not a date" in result.errors["date"]
    assert "'25:00' is not a time" in result.errors["time"]


@pytest.mark.parametrize("form", ALL_FORMS, ids=lambda f: f.id)
def test_form_translates_to_a_valid_slack_modal(form: Form) -> None:
    view = blockkit.form_modal(form.prefilled({"title": "x"}), {"channel": "C1"}).to_dict()
    assert len(view["title"]["text"]) <= 24 and len(view["blocks"]) <= 100
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    for field in form.fields:
        assert inputs[field.name].get("optional", False) is not field.required, field.name


def test_slack_state_comes_back_as_plain_values() -> None:
    state = {
        "title": {"title": {"type": "plain_text_input", "value": "Hob"}},
        "source": {"source": {"type": "static_select", "selected_option": {"value": "media"}}},
        "outcomes": {
            "outcomes": {
                "type": "checkboxes",
                "selected_options": [
                    {"value": "declare_incident"},
                    {"value": "further_information"},
                ],
            }
        },
        "exercise": {"exercise": {"type": "checkboxes", "selected_options": []}},
        "date": {"date": {"type": "datepicker", "selected_date": "2026-11-24"}},
        "owner": {"owner": {"type": "users_select", "selected_user": "U0HANA"}},
    }
    assert blockkit.submitted_values(state) == {
        "title": "Hob",
        "source": "media",
        "outcomes": ["declare_incident", "further_information"],
        "exercise": [],
        "date": "2026-11-24",
        "owner": "U0HANA",
    }
    toggle = validate(
        declare_form("ISS-2026-0001", "t", False),
        {"title": "t", "level": "tactical", "exercise": ["true"]},
    )
    assert toggle.values["exercise"] is True
