"""Validation against the official Adaptive Card 1.5 schema in ../shared/schemas."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "adaptive-card-1.5.json"


@cache
def _validator() -> jsonschema.protocols.Validator:
    if not SCHEMA_PATH.exists():
        from tests.conftest import missing

        missing(f"the Adaptive Card schema is not at {SCHEMA_PATH} (shared/ beside the clone)")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def card_errors(card: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in _validator().iter_errors(card)
    ]


def assert_valid_card(card: dict[str, Any]) -> None:
    errors = card_errors(card)
    assert not errors, errors[:5]
