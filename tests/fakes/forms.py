"""Every flow's form as the engine builds it, for the tests of forms (their values classes,
their fields' limits)."""

from __future__ import annotations

from cards.model import Form
from commands.core.clock import ManualClock
from storage.unit_of_work import Database
from tests.conftest import Driver
from tests.fakes.stand_down import de_escalate, open_actions
from tests.fakes.steps import INC, declare, ok, publish_sitrep


def forms_of_every_flow(bot: Driver, db: Database, clock: ManualClock) -> dict[str, Form]:
    """Each flow's form as the engine builds it for an issue declared, an incident at each
    stage standing down, a notification, an action and a sitrep."""
    ref = declare(bot, "--level strategic --tcg-chair fatima --erco yes")
    notification = ok(bot.cmd("fatima", f"notify {ref} reg33_4 --trigger 2026-11-23"))
    action = ok(bot.cmd("hana", f"action {INC} Chase the importer --owner fatima --due 2026-12-20"))
    publish_sitrep(bot, db, clock)
    exercise = ok(
        bot.cmd(
            "ian",
            'exercise schedule --title "Exercise Ember" --when "2026-12-24 10:00" '
            '--scenario "E-bike batteries catch fire" --participants olly,sara',
        )
    )
    exercise_ref = next(w.strip(".,:") for w in exercise.text.split() if w.startswith("EXR-"))
    issue, incident = {"reference": ref}, {"reference": INC}
    contexts: dict[str, tuple[str, dict[str, str]]] = {
        "raise": ("olly", {}),
        "assess": ("hana", issue),
        "nnc": ("hana", issue),
        "conference": ("hana", issue),
        "outcome": ("hana", {"conference": "CC-2026-0001"}),
        "declare": ("hana", issue),
        "direct_escalation": ("hana", issue),
        "notify": ("hana", issue),
        "annex": ("fatima", {"reference": notification.text.split()[0]}),
        "risk_annex": ("hana", issue),
        "risk_prism": ("hana", issue),
        "action": ("hana", incident),
        "blocked": ("fatima", {"reference": action.text.split()[1]}),
        "sitrep_update": ("fatima", incident),
        "sitrep_amend": ("ian", {**incident, "number": "1"}),
        "roster_add": ("hana", {}),
        "exercise_schedule": ("ian", {}),
        "exercise_inject": ("ian", {"reference": exercise_ref}),
    }
    at_each_stage = {
        "active": (
            "decide erco level lesson incident_role group strategy engage "
            "engagement_plan rhythm_add rhythm_replace deescalate erco_could_develop"
        ),
        "de_escalated": "reescalate",
        "normal": "close_incident",
        "closed": "review recommend",
    }
    built: dict[str, Form] = {}

    def build(form_id: str, user: str, context: dict[str, str]) -> None:
        reply = bot.engine.open_form("local", user, user, "general", form_id, context, {})
        assert reply.form is not None, f"{form_id}: {reply.text}"
        built[form_id] = reply.form

    for form_id, (user, context) in contexts.items():
        build(form_id, user, context)
    for stage, form_ids in at_each_stage.items():
        if stage == "de_escalated":
            de_escalate(bot)
        elif stage == "normal":  # closing follows the return to normal operations (3.26)
            de_escalate(bot, to="normal")
        elif stage == "closed":
            for done in open_actions(db):
                ok(bot.cmd("fatima", f"done {done}"))
            ok(bot.cmd("hana", f'close {INC} --reason "Normal" --review "2026-12-15 10:00"'))
        for form_id in form_ids.split():
            build(form_id, "hana", incident)
    return built
