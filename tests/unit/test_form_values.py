"""Every flow the engine knows names a typed values class with the fields of the form it
builds, in order, with the types their kinds give; and the one generic ``values_as`` builds it
from what validation returns."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pytest

from cards.model import Form, validate
from commands.core.clock import ManualClock
from commands.core.engine import REGISTRY
from commands.core.flows import values_as
from commands.incident.erco import ErcoValues, erco_form
from commands.notification.annex import AnnexValues
from storage.unit_of_work import Database
from tests.conftest import Driver
from tests.fakes.forms import forms_of_every_flow

# A field's kind and whether it is required give the type its value arrives as.
KIND_TYPES: dict[str, type] = {
    "text": str,
    "multiline": str,
    "choice": str,
    "person": str,
    "people": str,  # comma-separated names, as the commands take them
    "time": str,  # "HH:MM"
    "date": date,
    "toggle": bool,
    "multichoice": list,
}


def mismatches(cls: type, form: Form) -> list[str]:
    """How a values class differs from the form it receives the values of."""
    hints = typing.get_type_hints(cls)
    own = [f.name for f in dataclasses.fields(cls)]
    # A form whose fields vary with its context: one Mapping field takes those not named.
    varying = [n for n in own if typing.get_origin(hints[n]) is Mapping]
    fixed = [n for n in own if n not in varying]
    names = [f.name for f in form.fields]
    if varying:
        if fixed != [n for n in names if n in fixed]:
            return [f"fields {fixed} are not the form's, in its order ({names})"]
    elif fixed != names:
        return [f"fields {own}, but the form has {names}"]
    sometimes = getattr(cls, "SOMETIMES_REQUIRED", frozenset())
    out = []
    for f in form.fields:
        if f.name not in fixed:
            continue
        hint = hints[f.name]
        args = typing.get_args(hint)
        optional = type(None) in args
        base = next(a for a in args if a is not type(None)) if optional else hint
        base = typing.get_origin(base) or base
        if base is not KIND_TYPES[f.kind]:
            out.append(f"{f.name}: {hint} for a {f.kind} field")
        # Required fields and toggles always have a value; the rest may be empty. A field
        # required in some contexts only is optional.
        always = (f.required and f.name not in sometimes) or f.kind in {"toggle", "multichoice"}
        if optional is always:
            out.append(
                f"{f.name}: {'optional' if optional else 'not optional'} for a field "
                f"{'always' if always else 'not always'} given"
            )
    return out


def test_every_flow_names_a_values_class_matching_the_form_it_builds(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    built = forms_of_every_flow(bot, db, clock)
    # A new flow fails here until it is built above, and its values class checked.
    assert sorted(built) == sorted(REGISTRY.forms)
    wrong = {
        form_id: problems
        for form_id, form in built.items()
        if (problems := mismatches(REGISTRY.forms[form_id].values, form))
    }
    assert not wrong, wrong
    # The one field sometimes required is required here: closing with no review scheduled.
    assert built["close_incident"].field("review_date").required


def test_values_as_builds_the_class_from_validated_values() -> None:
    form = erco_form("INC-2026-001")
    result = validate(form, {"engaged_by": "Hana", "date": "2026-03-02", "ert": "yes"})
    assert not result.errors
    values = values_as(ErcoValues, result.values)
    assert values == ErcoValues("Hana", date(2026, 3, 2), None, True, None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        values.engaged_by = "someone else"  # type: ignore[misc]


def test_values_as_gives_the_varying_fields_by_name_and_read_only() -> None:
    values = values_as(AnnexValues, {"f1": "Acme Ltd", "f7": None, "f12": ["a", "b"]})
    assert dict(values.boxes) == {"f1": "Acme Ltd", "f7": None, "f12": ["a", "b"]}
    assert isinstance(values.boxes, types.MappingProxyType)
    with pytest.raises(TypeError):
        values.boxes["f1"] = "someone else"  # type: ignore[index]


def test_values_as_refuses_a_missing_required_value_and_an_unknown_type() -> None:
    with pytest.raises(TypeError, match="engaged_by"):
        values_as(ErcoValues, {"ert": False})

    @dataclass(frozen=True)
    class Odd:
        when: complex

    with pytest.raises(TypeError, match="when"):
        values_as(Odd, {"when": "1"})

    @dataclass(frozen=True)
    class TwoRests:
        one: Mapping[str, str]
        two: Mapping[str, str]

    with pytest.raises(TypeError, match="one field"):
        values_as(TwoRests, {})
