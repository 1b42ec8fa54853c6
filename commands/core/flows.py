"""A verb that takes a form: how to build it, and what to do with validated values."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cards.model import Form
from commands.core.args import Args
from commands.core.context import Ctx, Reply
from commands.core.people import people_choices

Context = dict[str, str]


@dataclass(frozen=True)
class FormFlow:
    form_id: str
    # From typed words: the hidden context (e.g. the reference) and the values given inline.
    prepare: Callable[[Ctx, Args], tuple[Context, dict[str, Any]]]
    build: Callable[[Ctx, Mapping[str, str]], Form]
    apply: Callable[[Ctx, Mapping[str, str], dict[str, Any]], Reply]
    # Shown with the form when it is the reply to a typed command.
    prompt: str = "Fill in the form."
    # Checked before a submitted form is validated, so a refusal is a refusal (audited),
    # never a form error. Typed commands check in ``prepare``; ``apply`` checks again.
    permit: Callable[[Ctx, Mapping[str, str]], object] | None = None

    def make(self, ctx: Ctx, context: Mapping[str, str]) -> Form:
        """The form, its person fields offering the people the bot knows."""
        form = self.build(ctx, context)
        if any(f.kind in {"person", "people"} for f in form.fields):
            form = form.with_people(people_choices(ctx.session))
        return form
