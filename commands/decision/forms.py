"""The form of a decision in the log."""

from __future__ import annotations

from cards.model import Field, Form
from commands.incident.forms import GROUPS


def decide_form(reference: str) -> Form:
    return Form(
        id="decide",
        title=f"Record a decision · {reference}",
        intro="Decisions are append-only; to correct one, record a new one that supersedes it.",
        submit_label="Record decision",
        fields=(
            Field("what", "What was decided", "multiline", required=True, max_length=3000),
            Field("rationale", "Rationale", "multiline", required=True, max_length=3000),
            Field("options_considered", "Options considered", "multiline", max_length=3000),
            Field("decided_by", "Decided by", required=True, max_length=200),
            Field("group", "Group or meeting", "choice", required=True, choices=GROUPS),
            Field("meeting", "Meeting (e.g. TCG 3, 24 Nov)", max_length=200),
            Field("date", "Date decided (blank: today)", "date"),
            Field("time", "Time decided (blank: now)", "time"),
            Field("evidence", "Links to evidence", "multiline", max_length=2000),
            Field("supersedes", "Supersedes decision (reference)", max_length=20),
        ),
        context={"reference": reference},
    )
