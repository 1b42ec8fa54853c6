"""A verb that takes a form: how to build it, and what to do with validated values.

Every flow names its typed values class (a frozen dataclass whose fields are the form's
fields): its ``apply`` receives an instance built by ``values_as``, never a ``dict[str, Any]``.

A form whose fields vary with its context (an annex's boxes, step by step) names its fixed
fields and one field typed ``Mapping[str, FieldValue]``: that field receives every other
validated value by its field's name, as validation gave it.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from cards.model import Form
from commands.core.args import Args
from commands.core.context import Ctx, Reply
from commands.core.people import people_choices

Context = dict[str, str]
V = TypeVar("V")
# One validated value as validation gives it: text (a date or time as its text), a toggle's
# bool, a multichoice's list, or None when left empty.
FieldValue = str | bool | list[str] | None


@dataclass(frozen=True)
class FormFlow:
    form_id: str
    # From typed words: the hidden context (e.g. the reference) and the values given inline.
    prepare: Callable[[Ctx, Args], tuple[Context, dict[str, Any]]]
    build: Callable[[Ctx, Mapping[str, str]], Form]
    # Receives the validated values as an instance of ``values``.
    apply: Callable[[Ctx, Mapping[str, str], Any], Reply]
    # Shown with the form when it is the reply to a typed command.
    prompt: str = "Fill in the form."
    # Checked before a submitted form is validated, so a refusal is a refusal (audited),
    # never a form error. Typed commands check in ``prepare``; ``apply`` checks again.
    permit: Callable[[Ctx, Mapping[str, str]], object] | None = None
    # The form's typed values class (required: no flow reads a dict of values).
    values: type = field(kw_only=True)

    def make(self, ctx: Ctx, context: Mapping[str, str]) -> Form:
        """The form, its person fields offering the people the bot knows."""
        form = self.build(ctx, context)
        if any(f.kind in {"person", "people"} for f in form.fields):
            form = form.with_people(people_choices(ctx.session))
        return form

    def run(self, ctx: Ctx, context: Mapping[str, str], values: Mapping[str, Any]) -> Reply:
        return self.apply(ctx, context, values_as(self.values, values))


def _convert(name: str, hint: Any, raw: Any) -> Any:
    """One validated value as its field's type: str, X | None, date, datetime, list[str],
    bool or int (a time field stays the "HH:MM" text validation gives)."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        if raw is None or raw == "":
            return None
        (hint,) = [a for a in args if a is not type(None)]
    if raw is None:
        raise TypeError(f"{name}: no value for a field that is not optional")
    if hint is str:
        return str(raw)
    if hint is bool:
        return bool(raw)
    if hint is int:
        return int(raw)
    if hint is date:
        return raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    if hint is datetime:
        return raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
    if typing.get_origin(hint) is list:
        return [str(item) for item in raw]
    raise TypeError(f"{name}: a form value cannot be a {hint}")


def values_as(cls: type[V], values: Mapping[str, Any]) -> V:
    """The validated values as the form's typed values class (one field per form field)."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a dataclass")
    hints = typing.get_type_hints(cls)
    own = dataclasses.fields(cls)
    rest = [f.name for f in own if typing.get_origin(hints[f.name]) is Mapping]
    if len(rest) > 1:
        raise TypeError(f"{cls.__name__}: one field may take the varying fields, not {rest}")
    named = {f.name for f in own} - set(rest)
    fields = {
        f.name: types.MappingProxyType({k: v for k, v in values.items() if k not in named})
        if f.name in rest
        else _convert(f.name, hints[f.name], values.get(f.name))
        for f in own
    }
    return cls(**fields)
