"""An action's card (3.10): its owner, due time, status and the buttons that progress it.

Posted when the action is assigned, edited in place by each change of progress, and shown by
the chases; so the use cases that do these import it, and it imports none of them.
"""

from __future__ import annotations

from cards.model import Action as Button
from cards.model import Card
from commands.incident.forms import GROUP_LABELS
from rules.action_chasing import ActionStatus
from rules.timeparse import show
from storage.models import Action

STATUS_LABELS = {
    "open": "Open",
    "started": "Started",
    "blocked": "Blocked",
    "done": "Done",
}


def status_label(action: Action) -> str:
    label = STATUS_LABELS.get(action.status, action.status.capitalize())
    if action.status != ActionStatus.DONE and action.overdue_at is not None:
        label += " · OVERDUE"
    return label


def action_buttons(action: Action) -> tuple[Button, ...]:
    if action.status == ActionStatus.DONE:
        return ()
    ref = action.reference
    buttons = []
    if action.status != ActionStatus.STARTED:
        buttons.append(Button("Started", f"/opss started {ref}"))
    buttons.append(Button("Blocked", f"/opss blocked {ref}"))
    buttons.append(Button("Done", f"/opss done {ref}"))
    return tuple(buttons)


def action_anchor(action: Action) -> str:
    return f"action:{action.reference}"


def action_card(row: Action, subject: str, *, exercise: bool = False) -> Card:
    facts = [
        ("Subject", subject),
        ("Owner", row.owner.display_name),
        ("Due", show(row.due_at)),
        ("Status", status_label(row)),
    ]
    if row.group:
        facts.append(("Group", GROUP_LABELS.get(row.group, row.group)))
    if row.standard:
        facts.append(("Quality standard", row.standard))
    if row.progress_note and row.status in {ActionStatus.STARTED, ActionStatus.BLOCKED}:
        facts.append(
            ("Blocked because" if row.status == ActionStatus.BLOCKED else "Note", row.progress_note)
        )
    return Card(
        title=f"Action {row.reference}",
        subtitle=row.what,
        facts=tuple(facts),
        actions=action_buttons(row),
        exercise=exercise,
    )
