"""Reading the words after ``/opss <verb>``: positionals, ``--option value`` and ``key=value``."""

from __future__ import annotations

from dataclasses import dataclass, field

from commands.core.context import UserError


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
QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}


def option_name(raw: str) -> str:
    """``--Lead-Department`` and ``--lead_department`` name the same option."""
    return raw.replace("-", "_").lower()


def tokens(text: str) -> list[str]:
    """Words split on spaces, with "double", 'single' or “curly” quotes grouping spaces.

    Linear in the length of the text (shlex's is not). A quote opens only at the start of a
    word or after ``=``, so an apostrophe inside a word ("children's") is just a letter.
    """
    out: list[str] = []
    word: list[str] = []
    in_word = False
    closing = ""
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if closing:
            if char == "\\" and closing == '"' and i + 1 < n and text[i + 1] in '"\\':
                word.append(text[i + 1])
                i += 2
                continue
            if char == closing:
                closing = ""
            else:
                word.append(char)
        elif char.isspace():
            if in_word:
                out.append("".join(word))
                word, in_word = [], False
        elif char in QUOTES and (not in_word or (word and word[-1] == "=")):
            closing, in_word = QUOTES[char], True
        else:
            word.append(char)
            in_word = True
        i += 1
    if closing:
        raise UserError(f"Could not read the command: a {closing} quote is not closed.")
    if in_word:
        out.append("".join(word))
    return out


def parse(text: str, verb: str = "") -> Args:
    tokens_ = tokens(text)
    out = Args()
    i = 0
    while i < len(tokens_):
        token = tokens_[i]
        if token.startswith("--") and len(token) > 2:
            # Only the name is normalised: the value after ``=`` is kept as typed.
            name, equals, value = token[2:].partition("=")
            name = option_name(name)
            if equals:
                out.options[name] = value
            elif name in FLAGS or name in VERB_FLAGS.get(verb, ()):
                out.flags.add(name)
            elif i + 1 < len(tokens_) and not tokens_[i + 1].startswith("--"):
                out.options[name] = tokens_[i + 1]
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
