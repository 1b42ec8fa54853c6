"""What arrives from people, checked before any parsing or database work: bounded in size,
of the expected shape, normalised (NFC) and free of control characters. The same rules on
every surface and both databases (PostgreSQL refuses a NUL that SQLite would store).

Pure: text in, cleaned text or a message naming the field out.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

MAX_COMMAND_BYTES = 8 * 1024
MAX_VALUE_CHARS = 20_000
MAX_FIELDS = 200
MAX_LIST_ITEMS = 100
MAX_KEY_CHARS = 64

# Characters that reorder or hide text (Trojan Source): embeddings, overrides, isolates.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
ALLOWED_CONTROLS = frozenset("\n\t")
NAMES = {
    "\x00": "NUL",
    "\x1b": "ESC",
    "\x7f": "DEL",
    "\u202e": "right-to-left override",
    "\u202d": "left-to-right override",
    "\u2066": "left-to-right isolate",
    "\u2067": "right-to-left isolate",
}


class InputProblem(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def label_of(field: str) -> str:
    return field.replace("_", " ").strip().capitalize() or "Value"


def clean_text(field: str, value: str, limit: int = MAX_VALUE_CHARS) -> str:
    """NFC-normalised text with line endings made \\n; refuses control characters."""
    if len(value) > limit * 2:  # cheap bound before any per-character work
        raise InputProblem(field, f"{label_of(field)} is too long: at most {limit} characters.")
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    for position, char in enumerate(value):
        if _refused(char):
            raise InputProblem(
                field,
                f"{label_of(field)}: remove the control character {_describe(char)} "
                f"(at character {position + 1}); only printable text is accepted.",
            )
    value = unicodedata.normalize("NFC", value)
    if len(value) > limit:
        raise InputProblem(field, f"{label_of(field)} is too long: at most {limit} characters.")
    return value


def clean_command(text: str) -> str:
    if len(text) > MAX_COMMAND_BYTES or len(text.encode("utf-8", "surrogatepass")) > (
        MAX_COMMAND_BYTES
    ):
        raise InputProblem(
            "command",
            f"That command is too long (at most {MAX_COMMAND_BYTES // 1024} KB). Put long text "
            "in the form instead: type the command without it and the form opens.",
        )
    return clean_text("command", text, MAX_COMMAND_BYTES)


def clean_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """A submitted form: text, yes/no, or a list of texts per field, nothing nested."""
    if len(data) > MAX_FIELDS:
        raise InputProblem("form", f"Too many fields: at most {MAX_FIELDS}.")
    out: dict[str, Any] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not key or len(key) > MAX_KEY_CHARS:
            raise InputProblem("form", "Form: a field name is missing or too long.")
        name = clean_text("form", key, MAX_KEY_CHARS)
        if value is None or isinstance(value, bool):
            out[name] = value
        elif isinstance(value, str):
            out[name] = clean_text(name, value)
        elif isinstance(value, list):
            if len(value) > MAX_LIST_ITEMS or not all(isinstance(v, str) for v in value):
                raise InputProblem(
                    name, f"{label_of(name)}: expected a list of options (text), not that."
                )
            out[name] = [clean_text(name, v) for v in value]
        else:
            raise InputProblem(name, f"{label_of(name)}: expected text, not a number or object.")
    return out


def _refused(char: str) -> bool:
    if char in ALLOWED_CONTROLS:
        return False
    if char in BIDI_CONTROLS or char in "\u2028\u2029":
        return True
    category = unicodedata.category(char)
    return category in {"Cc", "Cs"}  # controls (C0, DEL, C1) and lone surrogates


def _describe(char: str) -> str:
    code = f"U+{ord(char):04X}"
    name = NAMES.get(char) or unicodedata.name(char, "")
    if unicodedata.category(char) == "Cs":
        name = "a lone surrogate"
    return f"{code} ({name.lower()})" if name else code
