"""Reference formats: ISS-2026-0001 for issues, INC-2026-001 for incidents, EXR-2026-001 for
exercises, and so on."""

from __future__ import annotations

import re

FORMATS: dict[str, tuple[str, int]] = {
    "issue": ("ISS", 4),
    "incident": ("INC", 3),
    "conference": ("CC", 4),
    "decision": ("DEC", 4),
    "action": ("ACT", 4),
    "notification": ("NOT", 4),
    "exercise": ("EXR", 3),
}

PATTERN = re.compile(r"^(ISS|INC|CC|DEC|ACT|NOT|EXR)-(\d{4})-(\d{3,})$", re.IGNORECASE)
KIND_BY_PREFIX = {prefix: kind for kind, (prefix, _) in FORMATS.items()}


def format_reference(kind: str, year: int, number: int) -> str:
    prefix, width = FORMATS[kind]
    return f"{prefix}-{year}-{number:0{width}d}"


def parse_reference(text: str) -> tuple[str, str] | None:
    """(kind, canonical reference) for text that looks like a reference, else None."""
    m = PATTERN.match(text.strip())
    if not m:
        return None
    prefix = m.group(1).upper()
    return KIND_BY_PREFIX[prefix], f"{prefix}-{m.group(2)}-{m.group(3)}"
