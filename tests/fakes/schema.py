"""Validation against the official Adaptive Card 1.5 schema in ../shared/schemas."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "adaptive-card-1.5.json"


def _schema() -> dict[str, Any]:
    if not SCHEMA_PATH.exists():
        from tests.conftest import missing

        missing(f"the Adaptive Card schema is not at {SCHEMA_PATH} (shared/ beside the clone)")
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = _schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


@cache
def _compiled() -> Any:
    # The same schema compiled to Python: about 15 times faster than jsonschema, which the
    # suite's thousands of cards felt. Formats are not checked, as jsonschema's default.
    return fastjsonschema.compile(_schema(), use_formats=False)


def card_errors(card: dict[str, Any]) -> list[str]:
    """What is wrong with ``card`` against the schema: the compiled check decides, and
    jsonschema, which lists every error with its path, names them when there are any."""
    try:
        _compiled()(card)
    except fastjsonschema.JsonSchemaException as failed:
        errors = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in _validator().iter_errors(card)
        ]
        return errors or [str(failed)]
    return []


def assert_valid_card(card: dict[str, Any]) -> None:
    errors = card_errors(card)
    assert not errors, errors[:5]


# Teams' dynamic typeahead (learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/
# cards/dynamic-search): an Input.ChoiceSet's ``choices.data``, a Data.Query. Outside the 1.5
# schema; these are the properties Microsoft documents for it, and their types.
DATA_QUERY = {
    "type": str,
    "dataset": str,
    "value": str,
    "count": int,
    "skip": int,
    "associatedInputs": str,
}


def _data_query_errors(path: str, query: Any) -> list[str]:
    if not isinstance(query, dict):
        return [f"{path}: choices.data must be an object"]
    errors = [f"{path}: choices.data.{k} is not documented" for k in query if k not in DATA_QUERY]
    errors += [
        f"{path}: choices.data.{k} must be {t.__name__}"
        for k, t in DATA_QUERY.items()
        if k in query and not isinstance(query[k], t)
    ]
    if query.get("type") != "Data.Query":
        errors.append(f"{path}: choices.data.type must be Data.Query")
    if not query.get("dataset"):
        errors.append(f"{path}: choices.data.dataset is required")
    if query.get("associatedInputs", "none") not in ("auto", "none"):
        errors.append(f"{path}: choices.data.associatedInputs must be auto or none")
    return errors


def without_typeahead(card: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The card with each Input.ChoiceSet's ``choices.data`` taken out (and nothing else),
    and what is wrong with those taken out (``DATA_QUERY``)."""
    errors: list[str] = []

    def strip(value: Any, path: str) -> Any:
        if isinstance(value, list):
            return [strip(v, f"{path}/{i}") for i, v in enumerate(value)]
        if not isinstance(value, dict):
            return value
        out = {k: strip(v, f"{path}/{k}") for k, v in value.items()}
        if "choices.data" in out:
            if out.get("type") != "Input.ChoiceSet":
                errors.append(f"{path}: choices.data is only for an Input.ChoiceSet")
            errors.extend(_data_query_errors(path, out.pop("choices.data")))
        return out

    return strip(card, ""), errors


def teams_card_errors(card: dict[str, Any]) -> list[str]:
    """A card Teams is sent: Adaptive Card 1.5, and Teams' typeahead where a person picker
    searches the organisation (``without_typeahead``), held to its documented shape."""
    stripped, errors = without_typeahead(card)
    return errors + card_errors(stripped)
