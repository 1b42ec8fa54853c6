"""A form's typed values class has the form's fields with the types its kinds give, and the
one generic ``values_as`` builds it from what validation returns."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from datetime import date

import pytest

from cards.model import Form, validate
from commands.core.flows import values_as
from commands.decision.decisions import DecideValues
from commands.decision.forms import decide_form
from commands.incident.erco import CouldDevelopValues, ErcoValues, could_develop_form, erco_form
from commands.incident.level import LevelValues, level_form

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

TYPED: list[tuple[type, Form]] = [
    (ErcoValues, erco_form("INC-2026-001")),
    (LevelValues, level_form("INC-2026-001", "High")),
    (CouldDevelopValues, could_develop_form("INC-2026-001")),
    (DecideValues, decide_form("INC-2026-001")),
]


@pytest.mark.parametrize(("cls", "form"), TYPED, ids=lambda x: getattr(x, "__name__", ""))
def test_a_values_class_has_its_forms_fields_and_types(cls: type, form: Form) -> None:
    hints = typing.get_type_hints(cls)
    assert [f.name for f in dataclasses.fields(cls)] == [f.name for f in form.fields]
    for f in form.fields:
        hint = hints[f.name]
        args = typing.get_args(hint)
        optional = type(None) in args
        base = next(a for a in args if a is not type(None)) if optional else hint
        base = typing.get_origin(base) or base
        assert base is KIND_TYPES[f.kind], f.name
        # Required fields and toggles always have a value; the rest may be empty.
        assert optional is not (f.required or f.kind in {"toggle", "multichoice"}), f.name


def test_values_as_builds_the_class_from_validated_values() -> None:
    form = erco_form("INC-2026-001")
    result = validate(form, {"engaged_by": "Hana", "date": "2026-03-02", "ert": "yes"})
    assert not result.errors
    values = values_as(ErcoValues, result.values)
    assert values == ErcoValues("Hana", date(2026, 3, 2), None, True, None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        values.engaged_by = "someone else"  # type: ignore[misc]


def test_values_as_refuses_a_missing_required_value_and_an_unknown_type() -> None:
    with pytest.raises(TypeError, match="engaged_by"):
        values_as(ErcoValues, {"ert": False})

    @dataclass(frozen=True)
    class Odd:
        when: complex

    with pytest.raises(TypeError, match="when"):
        values_as(Odd, {"when": "1"})
