"""Names for incident channels: lower case, digits, hyphens; at most 80 characters.

Letters outside ASCII are transliterated, not dropped: "Łukasz's kettle" names a channel
``...-lukasz-s-kettle``, not ``...-ukasz-s-kettle``.
"""

from __future__ import annotations

import re

from text_unidecode import unidecode

MAX_NAME = 80
_NOT_ALLOWED = re.compile(r"[^a-z0-9_-]+")


def incident_channel_name(reference: str, title: str, exercise: bool, taken: set[str]) -> str:
    """``inc-2026-001-gas-hob-elbow-joints``; EXERCISE channels start ``exercise-``; a numeric
    suffix makes the name unique when it is taken."""
    prefix = ("exercise-" if exercise else "") + reference.lower()
    slug = _NOT_ALLOWED.sub("-", unidecode(title).lower()).strip("-")
    slug = re.sub(r"-{2,}", "-", slug)
    base = f"{prefix}-{slug}" if slug else prefix
    base = base[:MAX_NAME].rstrip("-")
    name, n = base, 2
    while name in taken:
        suffix = f"-{n}"
        name = base[: MAX_NAME - len(suffix)].rstrip("-") + suffix
        n += 1
    return name
