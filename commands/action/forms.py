"""The form of an action (3.10)."""

from __future__ import annotations

from cards.model import Field, Form
from commands.incident.forms import GROUPS


def action_form(reference: str) -> Form:
    return Form(
        id="action",
        title=f"Assign an action · {reference}",
        intro="A task with an owner, a timescale and a quality standard (plan 3.10).",
        submit_label="Assign action",
        fields=(
            Field("what", "What is to be done", "multiline", required=True, max_length=2000),
            Field(
                "owner", "Owner", "person", required=True, max_length=200, placeholder="user name"
            ),
            Field("date", "Due date", "date", required=True),
            Field("time", "Due time (London; blank: 17:00)", "time"),
            Field("standard", "Quality standard", "multiline", max_length=2000),
            Field("group", "Group whose meetings review it", "choice", choices=GROUPS),
        ),
        context={"reference": reference},
    )
