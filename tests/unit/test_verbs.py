"""The registry, ``/opss help`` and the command reference (docs/commands.md) name the same
verbs and sub-verbs, both ways; the registry refuses a name claimed twice; a form's id is a
verb only when a verb names it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from commands.core.engine import FORM_FLOWS, REGISTRY
from commands.core.flows import FormFlow
from commands.core.help import help_card
from commands.core.registry import Line, Registry, RegistryError, Sub, Verb
from storage.models import AuditEvent
from tests.conftest import Driver

DOCS = Path(__file__).resolve().parents[2] / "docs" / "commands.md"
WORD = re.compile(r"^[a-z][a-z0-9-]*$")

Names = set[tuple[str, str | None]]  # (verb, None) or (verb, sub-verb or fixed word)


def tokens(usage: str) -> list[str]:
    """Words, with a placeholder ("<ISS, INC or NOT>") or a bracketed group ("[form [step] |
    sent]", nested) as one token."""
    out: list[str] = []
    word, depth = "", 0
    for char in usage:
        if char.isspace() and depth == 0:
            if word:
                out.append(word)
            word = ""
            continue
        depth += char in "[<"
        depth -= char in "]>"
        word += char
    return [*out, word] if word else out


def _alternatives(text: str) -> list[str]:
    """'a | b <n>' or 'a|b|c': the alternatives' first words that are words."""
    parts = text.split(" | ") if " | " in text else text.split("|")
    firsts = [p.split()[0] for p in parts if p.split()]
    return [w for w in firsts if WORD.match(w)]


def _words_at(tokens: list[str]) -> list[str]:
    """The words in the place of a sub-verb: the first token after the verb's subject."""
    if tokens and tokens[0].startswith("<"):
        tokens = tokens[1:]
    if not tokens or tokens[0].startswith(("<", "--")) or tokens[0] == "|":
        return []
    first = tokens[0]
    if first.startswith("["):  # "[annex | prism]"; "[--when ..|now]" holds options only
        inner = first[1:-1].strip()
        return [] if inner.startswith("-") else _alternatives(inner)
    return _alternatives(first)


def usage_names(usage: str, verbs: set[str], current: str | None = None) -> Names:
    """The verbs and sub-verbs one usage names: 'verb <REF> sub | sub2 <n> | verb2 <REF>'."""
    found: Names = set()
    found_tokens = tokens(usage)
    pieces: list[list[str]] = [[]]
    for token in found_tokens:  # alternatives at the top level are separated by a lone "|"
        if token == "|":
            pieces.append([])
        else:
            pieces[-1].append(token)
    for piece in pieces:
        if not piece:
            continue
        head = piece[0]
        if current is None or head in verbs:
            current = head
            found.add((head, None))
            found |= {(head, w) for w in _words_at(piece[1:])}
        else:  # "remove <#>" after "rhythm <INC> add": a sub-verb of the same verb
            found |= {(current, w) for w in _alternatives(head)}
    return found


def docs_names(verbs: set[str]) -> Names:
    """Every verb and sub-verb in the first column of the reference's table."""
    found: Names = set()
    for row in DOCS.read_text().splitlines():
        if not row.startswith("| `"):
            continue
        first = row.split(" | ")[0]
        spans = [s.replace("\\|", "|") for s in re.findall(r"`([^`]*)`", first)]
        current: str | None = None
        for span in spans:
            names = usage_names(span, verbs, current)
            found |= names
            current = next((v for v, s in sorted(names, key=str) if s is None), current)
    return found


def help_names(verbs: set[str], surface: str | None = None) -> Names:
    card = help_card(REGISTRY, surface)
    usages = re.findall(r"/opss (.*?) · ", card.plain)
    assert usages, card.plain
    return {n for usage in usages for n in usage_names(usage, verbs)}


def registry_names() -> Names:
    return {(v.name, None) for v in REGISTRY.verbs.values()} | {
        (v.name, s) for v in REGISTRY.verbs.values() for s in v.sub_names
    }


def test_help_the_registry_and_the_reference_name_the_same_verbs() -> None:
    verbs = set(REGISTRY.verbs)
    registered = registry_names()
    in_docs = docs_names(verbs)
    in_help = help_names(verbs)
    assert in_docs - registered == set(), "in docs/commands.md but not registered"
    assert registered - in_docs == set(), "registered but not in docs/commands.md"
    assert in_help == registered
    # The sub-verbs are compared too, not only the verbs.
    assert ("notify", "section6") in in_docs and ("rhythm", "remove") in in_help


def test_the_parser_sees_what_it_is_shown() -> None:
    names = usage_names("rhythm <INC> [add | remove <#> | replace a|b]", {"rhythm"})
    assert names == {
        ("rhythm", None),
        ("rhythm", "add"),
        ("rhythm", "remove"),
        ("rhythm", "replace"),
    }
    assert usage_names("started <ACT> | blocked <ACT> [--reason ..]", {"started", "blocked"}) == {
        ("started", None),
        ("blocked", None),
    }
    assert usage_names("risk <ISS, INC or NOT> [annex|prism]", {"risk"}) == {
        ("risk", None),
        ("risk", "annex"),
        ("risk", "prism"),
    }


def test_a_chat_platforms_help_leaves_out_the_workspaces_own_verbs() -> None:
    verbs = set(REGISTRY.verbs)
    on_slack = {v for v, s in help_names(verbs, "slack") if s is None}
    assert {"clock", "demo"} & on_slack == set()
    assert on_slack == set(REGISTRY.names("slack"))
    assert {"clock", "demo"} <= {v for v, s in help_names(verbs, "local") if s is None}


@dataclass(frozen=True)
class _NoValues:
    pass


def _flow(form_id: str) -> FormFlow:
    return FormFlow(
        form_id,
        lambda c, a: ({}, {}),
        lambda c, x: None,  # type: ignore[arg-type,return-value]
        lambda c, x, v: None,  # type: ignore[arg-type,return-value]
        values=_NoValues,
    )


LINE = (Line("Finding things", "x", "x"),)


def test_the_registry_refuses_a_name_claimed_twice() -> None:
    with pytest.raises(RegistryError, match="'status' is registered twice"):
        Registry([Verb("status", LINE), Verb("status", LINE)])
    with pytest.raises(RegistryError, match="names open twice"):
        Verb("group", LINE, subs=(Sub("open", form=_flow("a")),), words=("open",))
    with pytest.raises(RegistryError, match="form 'a' is defined twice"):
        Registry([Verb("x", LINE, form=_flow("a")), Verb("y", LINE, form=_flow("a"))])
    with pytest.raises(RegistryError, match="no help group"):
        Registry([Verb("x", (Line("Elsewhere", "x", "x"),))])
    with pytest.raises(RegistryError, match="both a handler and a form"):
        Verb("x", LINE, run=lambda c, a: None, form=_flow("a"))  # type: ignore[arg-type,return-value]


def test_a_form_id_is_not_a_verb_unless_a_verb_names_it(bot: Driver) -> None:
    """``/opss annex`` once opened the notification's Annex form and answered "notify
    needs…"; now every form id that no verb names is an unknown command, and changes
    nothing."""
    with bot.engine.db.read() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent))
    accidental = sorted(set(FORM_FLOWS) - set(REGISTRY.verbs))
    assert "annex" in accidental and "rhythm_add" in accidental
    for form_id in accidental:
        reply = bot.cmd("olly", f"{form_id} NOT-2026-0001")
        assert not reply.ok
        assert reply.text.startswith(f"'{form_id}' is not an /opss command."), reply.text
        assert reply.form is None
    with bot.engine.db.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
