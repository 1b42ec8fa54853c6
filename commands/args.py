"""Reading the words after ``/opss <verb>``: positionals, ``--option value`` and ``key=value``."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from commands.context import UserError


@dataclass
class Args:
    words: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    pairs: dict[str, str] = field(default_factory=dict)

    def first(self) -> str | None:
        return self.words[0] if self.words else None

    def rest(self, start: int = 0) -> str:
        return " ".join(self.words[start:]).strip()


FLAGS = {"exercise", "help"}
# Options that take no value for one verb only (``--actions`` takes a value for ``outcome``).
VERB_FLAGS: dict[str, set[str]] = {
    "list": {"mine", "waiting", "incidents", "actions", "closed"},
}


def parse(text: str, verb: str = "") -> Args:
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise UserError(f"Could not read the command: {exc} (check your quotes).") from exc
    out = Args()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.startswith("--") and len(token) > 2:
            name = token[2:].replace("-", "_").lower()
            if "=" in name:
                name, value = name.split("=", 1)
                out.options[name] = value
            elif name in FLAGS or name in VERB_FLAGS.get(verb, ()):
                out.flags.add(name)
            elif i + 1 < len(tokens) and not tokens[i + 1].startswith("--"):
                out.options[name] = tokens[i + 1]
                i += 1
            else:
                raise UserError(f"--{name.replace('_', '-')} needs a value.")
        elif "=" in token and not token.startswith("=") and " " not in token.split("=", 1)[0]:
            key, value = token.split("=", 1)
            out.pairs[key.lower()] = value
        else:
            out.words.append(token)
        i += 1
    return out
