"""Names for incident channels: lower case, digits, hyphens; at most 80 characters."""

from __future__ import annotations

import re

MAX_NAME = 80
_NOT_ALLOWED = re.compile(r"[^a-z0-9_-]+")


def incident_channel_name(reference: str, title: str, exercise: bool, taken: set[str]) -> str:
    """``inc-2026-001-gas-hob-elbow-joints``; EXERCISE channels start ``exercise-``; a numeric
    suffix makes the name unique when it is taken."""
    prefix = ("exercise-" if exercise else "") + reference.lower()
    slug = _NOT_ALLOWED.sub("-", title.lower()).strip("-")
    slug = re.sub(r"-{2,}", "-", slug)
    base = f"{prefix}-{slug}" if slug else prefix
    base = base[:MAX_NAME].rstrip("-")
    name, n = base, 2
    while name in taken:
        suffix = f"-{n}"
        name = base[: MAX_NAME - len(suffix)].rstrip("-") + suffix
        n += 1
    return name
