"""Every ``/opss`` verb, declared once by the concept that owns it.

Each concept package lists its verbs in its ``verbs.py`` (``VERBS``): the verb's name, what
runs it (a handler, a form, or a sub-verb), the fixed words it reads, who may use it and its
help lines. ``commands/core/engine.py`` assembles the tables into one ``Registry``; routing,
``/opss help`` and the submitted-form lookup all read that one registry. A form id is a verb
only when a ``Verb`` names it.

Who may act is decided where it always was (``rules/roles.py``, each flow's ``permit``): the
``who`` here is the words help shows, not a check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from commands.core.args import Args
from commands.core.context import Ctx, Reply
from commands.core.flows import FormFlow

Handler = Callable[[Ctx, Args], Reply]
# Picks a form from the words themselves (e.g. by the kind of reference), or None.
Route = Callable[[Args], FormFlow | None]

# The local workspace is the one surface the core knows by name: it is the core's own
# (the demo and the clock run there only); every chat platform is "any other surface".
LOCAL_ONLY = frozenset({"local"})

# The groups of ``/opss help``, in the order a newcomer meets them.
GROUPS: tuple[str, ...] = (
    "Issues up the ladder",
    "Running an incident",
    "Command and control",
    "Standing an incident down",
    "Finding things",
    "Product-safety notifications",
    "Readiness: training and exercises",
    "Local workspace only",
)


class RegistryError(Exception):
    """Two verbs, sub-verbs or forms claim one name: found when the registry is built."""


@dataclass(frozen=True)
class Sub:
    """``/opss <verb> <REF> <sub>``: the word after the subject picks what runs."""

    name: str
    run: Handler | None = None
    form: FormFlow | None = None
    aliases: tuple[str, ...] = ()  # other spellings, not shown in help

    def __post_init__(self) -> None:
        if (self.run is None) == (self.form is None):
            raise RegistryError(f"sub-verb '{self.name}' needs a handler or a form, not both")


@dataclass(frozen=True)
class Line:
    """One line of ``/opss help``."""

    group: str
    usage: str  # after "/opss ", e.g. "escalate <ISS> [ftl|cam|ttg|cam-ep]"
    what: str
    who: str = ""  # who may use it, in the plan's words; empty when anyone involved may


@dataclass(frozen=True)
class Verb:
    name: str
    # Its lines in help; a verb may share another's line (``started | blocked | done``), and
    # tests/test_verbs.py holds every verb to a line.
    lines: tuple[Line, ...]
    run: Handler | None = None  # runs at once
    form: FormFlow | None = None  # opens this form (the verb takes no handler then)
    route: Route | None = None  # checked before ``run``: a form chosen from the words
    routed: tuple[FormFlow, ...] = ()  # the forms ``route`` may choose (for submissions)
    subs: tuple[Sub, ...] = ()
    # Fixed words the verb's handler or form reads itself (``close ISS nfa``, ``list`` of
    # ``sitrep``): shown in help and the reference, not routed here.
    words: tuple[str, ...] = ()
    surfaces: frozenset[str] | None = None  # None: every surface

    def __post_init__(self) -> None:
        if self.run is not None and self.form is not None:
            raise RegistryError(f"verb '{self.name}' has both a handler and a form")
        names = [n for s in self.subs for n in (s.name, *s.aliases)] + list(self.words)
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise RegistryError(f"verb '{self.name}' names {', '.join(twice)} twice")

    def sub(self, word: str) -> Sub | None:
        for s in self.subs:
            if word == s.name or word in s.aliases:
                return s
        return None

    @property
    def sub_names(self) -> frozenset[str]:
        """Every word after the subject that help shows: routed sub-verbs and fixed words."""
        return frozenset(s.name for s in self.subs) | frozenset(self.words)

    @property
    def flows(self) -> tuple[FormFlow, ...]:
        own = (self.form,) if self.form is not None else ()
        return own + tuple(s.form for s in self.subs if s.form is not None) + self.routed


class Registry:
    """The verbs, checked once: no name, sub-verb or form id is claimed twice."""

    def __init__(self, verbs: Iterable[Verb]) -> None:
        self.verbs: dict[str, Verb] = {}
        self.forms: dict[str, FormFlow] = {}
        for verb in verbs:
            if verb.name in self.verbs:
                raise RegistryError(f"verb '{verb.name}' is registered twice")
            self.verbs[verb.name] = verb
            for line in verb.lines:
                if line.group not in GROUPS:
                    raise RegistryError(f"verb '{verb.name}': no help group '{line.group}'")
            for flow in verb.flows:
                known = self.forms.get(flow.form_id)
                if known is not None and known is not flow:
                    raise RegistryError(f"form '{flow.form_id}' is defined twice")
                self.forms[flow.form_id] = flow

    def find(self, name: str) -> Verb | None:
        return self.verbs.get(name)

    def names(self, surface: str | None = None) -> list[str]:
        """The verbs, sorted; only those a surface offers when it is named."""
        return sorted(
            n
            for n, v in self.verbs.items()
            if surface is None or v.surfaces is None or surface in v.surfaces
        )

    def lines(self, surface: str | None = None) -> list[tuple[str, list[Line]]]:
        """Help's groups in order, each with its lines in the order the verbs were listed."""
        shown = [
            v
            for v in self.verbs.values()
            if surface is None or v.surfaces is None or surface in v.surfaces
        ]
        grouped = [(g, [ln for v in shown for ln in v.lines if ln.group == g]) for g in GROUPS]
        return [(g, rows) for g, rows in grouped if rows]
