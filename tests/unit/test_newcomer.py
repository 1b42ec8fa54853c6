"""What a newcomer trips over: replies that carry their words, help that lists every verb, no
dead ends, the plan's words, the path actually climbed, people as people, times that are
right, meetings numbered as shown."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bot.app import DEMO_PEOPLE
from bot.config import DEFAULT_AREAS
from bot.workspace.demo import run_demo
from cards.adaptive import render_form
from cards.blockkit import form_modal
from commands.action.forms import action_form
from commands.core.clock import ManualClock
from commands.core.context import Options
from commands.core.due import tick
from commands.core.engine import Engine
from commands.incident.forms import declare_form
from rules.lifecycle import STAGE_LABELS, Stage
from storage import seed
from storage.models import Decision, Incident, OutboxMessage, Sitrep
from storage.unit_of_work import Database
from tests.conftest import Driver, ratings
from tests.fakes.steps import declare, ok, posts, raise_issue

INC = "INC-2026-001"
# A state's or a move's internal name (call_conference, close_nfa, cam_ep …) in a reply.
INTERNAL = re.compile(r"\b[a-z]+_[a-z_]+\b")


def test_a_card_reply_carries_a_one_line_summary(bot: Driver) -> None:
    ref = raise_issue(bot)
    reply = ok(bot.cmd("olly", f"status {ref}"))
    assert reply.card is not None and "\n" not in reply.text
    assert reply.text == f"{ref} · Gas hob elbow joints leaking · Potential incident (issue)"
    assert ok(bot.cmd("olly", "help")).text.startswith("OPSS incident bot commands · ")
    assert ok(bot.cmd("olly", "list")).text == "Open issues: 1-1 of 1, newest first."


def test_help_and_the_unknown_command_list_name_clock_and_demo(bot: Driver) -> None:
    shown = ok(bot.cmd("olly", "help")).card
    assert shown is not None
    assert "/opss demo" in shown.plain and "/opss clock next" in shown.plain
    unknown = bot.cmd("olly", "frobnicate")
    assert not unknown.ok
    listed = unknown.text.split("Commands: ")[1]
    assert "clock" in listed and "demo" in listed


def test_a_declared_issue_says_what_to_do_instead(bot: Driver) -> None:
    ref = declare(bot)
    for command in (f"assess {ref}", f"nnc {ref}", f'reopen {ref} --reason "more evidence"'):
        reply = bot.cmd("hana", command)
        assert not reply.ok
        assert f"declared as incident {INC}" in reply.text, reply.text
        assert f"/opss decide {INC}" in reply.text and f"/opss status {INC}" in reply.text
        assert "re-open it" not in reply.text


def test_refusals_use_the_plans_words(bot: Driver) -> None:
    ref = raise_issue(bot)
    early = bot.cmd("hana", f"conference {ref}")  # a raised issue cannot go to conference
    assert not early.ok and "a case conference" in early.text
    ok(bot.cmd("hana", f'close {ref} nfa --reason "duplicate"'))
    again = bot.cmd("hana", f'close {ref} la --reason "duplicate"')
    assert not again.ok and "handed to the local authority" in again.text
    for reply in (early, again):
        assert not INTERNAL.search(reply.text), reply.text


def test_the_demo_cards_show_the_path_actually_climbed(db: Database, clock: ManualClock) -> None:
    seed.apply(db, seed.load(DEMO_PEOPLE), clock.now())
    engine = Engine(db, clock, Options(functional_areas=DEFAULT_AREAS))
    assert run_demo(engine, "1").ok
    card = ok(Driver(engine).cmd("hana", "status ISS-2026-0001")).card
    assert card is not None and card.ladder is not None
    rungs, here = card.ladder
    # TTG went straight to the case conference: CAM-EP is not shown as passed.
    assert rungs[: here + 1] == tuple(
        STAGE_LABELS[s]
        for s in (
            Stage.RAISED,
            Stage.FTL_ASSESSMENT,
            Stage.CAM,
            Stage.TTG,
            Stage.CASE_CONFERENCE,
            Stage.DECLARED,
        )
    )


def test_the_demo_names_what_is_due_next_at_any_hour(db: Database, clock: ManualClock) -> None:
    seed.apply(db, seed.load(DEMO_PEOPLE), clock.now())
    clock.advance(timedelta(hours=8))  # Monday 17:30, after the day's meetings and cut-off
    engine = Engine(db, clock, Options(functional_areas=DEFAULT_AREAS))
    reply = run_demo(engine, "1")
    assert reply.ok
    assert "Bird table reminder at Tue 24 Nov 2026 08:15 GMT" in reply.text, reply.text
    assert "+30 min" not in reply.text and "+2 h" not in reply.text


def test_a_reminder_counts_whole_minutes_up(bot: Driver, db: Database, clock: ManualClock) -> None:
    declare(bot)  # Monday 09:30; the bird table meets weekdays at 08:30, reminder 08:15
    clock.advance(timedelta(hours=22, minutes=45, seconds=20))  # Tue 08:15:20
    tick(db, clock, bot.engine.options)
    assert posts(db, "Reminder: Bird table") == [
        "Reminder: Bird table at Tue 24 Nov 2026 08:30 GMT (in 15 min)"
    ]


def test_an_incident_declared_after_the_prompt_time_is_prompted_at_once(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=5, minutes=30))  # 15:00: after the 14:00 prompt
    declare(bot)
    ok(bot.cmd("hana", f'sitrep {INC} set --teams "Gas and Electrical, Product Safety"'))
    tick(db, clock, bot.engine.options)
    prompts = posts(db, "Sitrep updates due by Mon 23 Nov 2026 16:00")
    assert len(prompts) == 1  # today's cut-off, with its Submit update button
    with db.read() as s:
        card = s.scalars(
            select(OutboxMessage).where(OutboxMessage.op == "post").order_by(OutboxMessage.id)
        ).all()[-1]
        assert [a["title"] for a in card.payload["card"]["actions"]] == ["Submit update"]


def test_too_little_time_before_a_cut_off_starts_with_the_next_one(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=6, minutes=15))  # 15:45: after the 15:30 chase
    declare(bot)
    ok(bot.cmd("hana", f'sitrep {INC} set --teams "Gas and Electrical"'))
    clock.advance(timedelta(minutes=30))  # 16:15: today's cut-off has passed
    tick(db, clock, bot.engine.options)
    with db.read() as s:
        assert s.scalar(select(Sitrep)) is None  # no empty sitrep collated at 16:00
    assert not posts(db, "Sitrep updates due") and not posts(db, "Still waiting")
    clock.advance(timedelta(hours=22))  # Tue 14:15: tomorrow's prompt
    tick(db, clock, bot.engine.options)
    assert posts(db, "Sitrep updates due by Tue 24 Nov 2026 16:00")


def test_meetings_are_numbered_as_shown(bot: Driver) -> None:
    declare(bot)
    ok(bot.cmd("hana", f"rhythm {INC} replace escalated --scg 'David'"))  # new rows, higher ids
    shown = ok(bot.cmd("fatima", f"rhythm {INC}")).card
    assert shown is not None
    labels = [k for k, _ in shown.facts]
    assert [k.split()[0] for k in labels] == [f"#{n}" for n in range(1, len(labels) + 1)]
    second = labels[1].split(" ", 1)[1]
    removed = ok(bot.cmd("hana", f"rhythm {INC} remove 2 --tcg 'TCG of 23 Nov'"))
    assert removed.text.startswith(f"{second} removed")
    assert bot.cmd("hana", f"rhythm {INC} remove 99").text.startswith("Meeting: no meeting #99")


def test_decide_by_names_the_person_as_forms_do(bot: Driver, db: Database) -> None:
    declare(bot)
    ok(bot.cmd("ian", f'decide {INC} --what "Recall" --rationale "Risk" --by hana --group imt'))
    ok(bot.cmd("ian", f'decide {INC} --what "Warn" --rationale "Risk" --by "The LA" --group imt'))
    with db.read() as s:
        by = [d.decided_by for d in s.scalars(select(Decision).order_by(Decision.id))][-2:]
    assert by == ["Hana Patel", "The LA"]  # hana's display name, as the form fills it in


def test_every_person_field_is_a_person_picker_on_both_surfaces(bot: Driver) -> None:
    ref = declare(bot, "--level tactical --exercise")
    for form in (
        declare_form(ref, "Gas hob", erco_prompt=True),
        action_form(INC),
    ):
        people = [f for f in form.fields if f.kind in {"person", "people"}]
        assert people
        modal = form_modal(form, {}).to_dict()
        kinds = {b["block_id"]: b["element"]["type"] for b in modal["blocks"] if "element" in b}
        for f in people:
            wanted = "multi_users_select" if f.kind == "people" else "users_select"
            assert kinds[f.name] == wanted, f.name
    opened = ok(bot.cmd("ian", f"action {INC}")).form
    assert opened is not None
    adaptive = render_form(opened)
    owner = next(e for e in adaptive["body"] if e.get("id") == "owner")
    assert owner["type"] == "Input.ChoiceSet"
    assert {"title": "Fatima Khan", "value": "fatima"} in owner["choices"]
    assert declare_form(ref, "t", erco_prompt=False).field("invite").kind == "people"


def test_not_applicable_non_compliance_is_recorded_and_not_rated(bot: Driver) -> None:
    ref = raise_issue(bot)
    typed = " ".join(f"{k}={v}" for k, v in ratings("low", non_compliance="n/a").items())
    reply = ok(bot.cmd("fatima", f"assess {ref} {typed}"))
    assert "overall Low" in reply.text


def test_the_welcome_fits_how_people_got_in(db: Database, clock: ManualClock) -> None:
    """Picking a name (loopback demo mode): the demo people and /opss demo. Signed in: who
    you are, and no invitation to be someone else."""
    from bot.workspace.welcome import welcome_card

    seed.apply(db, seed.load(DEMO_PEOPLE), clock.now())
    with db.read() as s:
        picking = welcome_card(s, "guest", pick=True).plain
        signed_in = welcome_card(s, "ian", pick=False).plain
    assert "hana · Hana Patel · Head of IMT" in picking and "/opss demo" in picking
    assert "You are ian (IMT member)." in signed_in
    assert "Pick who you are" not in signed_in and "/opss demo" not in signed_in


def test_a_sitrep_collated_before_rich_text_shows_no_asterisks(bot: Driver, db: Database) -> None:
    declare(bot)
    with db.unit_of_work() as s:
        incident = s.scalar(select(Incident))
        assert incident is not None
        s.add(
            Sitrep(
                incident_id=incident.id,
                number=1,
                as_at=incident.declared_at,
                title="SITREP 1 · INC-2026-001",
                sections=[
                    ["Toys (from Ed)", "*Situation*: Calm *really*\n*Next steps*: —"],
                    ["No update received from", "Gas and Electrical"],
                ],
                missing=["Gas and Electrical"],
                status="draft",
                created_at=incident.declared_at,
            )
        )
    card = ok(bot.cmd("ian", f"sitrep {INC} show 1")).card
    assert card is not None
    body = dict(card.sections)["Toys (from Ed)"]
    assert not isinstance(body, str)
    assert [ln.plain for ln in body.lines] == ["Situation: Calm *really*", "Next steps: —"]
    assert body.lines[0].runs[0].bold
