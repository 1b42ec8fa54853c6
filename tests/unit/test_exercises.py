"""The exercise programme (plan 6.7-6.11) and the plan's annual review (6.2), through the
engine with a manual clock: an exercise scheduled with its scenario, date and people, injects
posted by the scheduler into its EXERCISE incident once each (late after downtime, withdrawn
when it ends), its lessons recorded as for incidents, and the year's review pack read back as
DOCX and PDF, every lesson found in it."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import docx
import pypdf
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from commands.core.clock import ManualClock
from commands.core.due import next_due, tick
from commands.readiness import injects, plan_review
from commands.records import downloads
from commands.schedule import tick as schedule_tick
from rules.exercises import InjectStatus
from storage.models import (
    AuditEvent,
    Exercise,
    ExerciseInject,
    Firing,
    Incident,
    OutboxMessage,
    Person,
)
from storage.unit_of_work import Database
from tests.conftest import Driver, row_counts, seeded_engine
from tests.fakes.stand_down import de_escalate, open_actions
from tests.fakes.steps import declare, ok

EXR = "EXR-2026-001"
LIVE = "INC-2026-001"
DRILL = "INC-2026-002"  # the EXERCISE incident the exercise is played in


def posts(db: Database, needle: str, conversation: str) -> list[str]:
    with db.read() as s:
        rows = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.conversation == conversation, OutboxMessage.op == "post")
            .order_by(OutboxMessage.id)
        )
        return [r.payload["text"] for r in rows if needle in r.payload["text"]]


def at(clock: ManualClock, when: datetime) -> None:
    clock.advance(when - clock.now())


def schedule(bot: Driver, extra: str = "") -> None:
    ok(
        bot.cmd(
            "ian",
            'exercise schedule --title "Exercise Ember" --when "2026-11-24 10:00" '
            '--scenario "Lithium e-bike batteries catch fire while charging" '
            f"--participants olly,sara {extra}",
        )
    )


def test_an_exercise_is_scheduled_by_imt_and_refused_to_others(bot: Driver, db: Database) -> None:
    before = row_counts(db)
    refused = bot.cmd("olly", 'exercise schedule --title "Mine" --when "2026-11-24 10:00"')
    assert not refused.ok and refused.text.startswith("Only IMT, who coordinate the exercise")
    bad = {
        'exercise schedule --title T --scenario S --when "2026-11-22 10:00"': (
            "Date and time: Sun 22 Nov 2026 10:00 GMT: the time has passed"
        ),
        'exercise schedule --title T --scenario S --when "2026-11-24 25:00"': "When: '2026-11-24",
        'exercise schedule --title T --scenario S --when "2026-11-24 10:00" --participants x': (
            "Taking part: no user 'x' is known."
        ),
        'exercise schedule --title T --scenario S --when "2026-11-24 10:00" --incident '
        "INC-2026-009": "No incident INC-2026-009 is recorded.",
        'exercise schedule --title T --where "Room 1"': "exercise schedule does not take --where",
        "exercise EXR-2026-009": "No exercise EXR-2026-009 is scheduled.",
        "exercise INC-2026-001 end": "'INC-2026-001' is not an exercise reference",
    }
    for text, expected in bad.items():
        reply = bot.cmd("ian", text)
        assert not reply.ok and expected in reply.text, (text, reply.text)
    with db.read() as s:
        assert [e.action for e in s.scalars(select(AuditEvent))][-1] == "permission.refused"
    assert row_counts(db)["exercises"] == before["exercises"] == 0

    form = ok(bot.cmd("ian", "exercise schedule")).form  # the programme card's button
    assert form is not None and form.exercise
    assert [f.name for f in form.fields] == [
        "title",
        "scenario",
        "date",
        "time",
        "participants",
        "incident",
    ]
    schedule(bot)
    with db.read() as s:
        exercise = s.scalars(select(Exercise)).one()
        assert (exercise.reference, exercise.participants) == (EXR, ["olly", "sara"])
        assert exercise.starts_at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
        told = s.scalars(select(OutboxMessage).where(OutboxMessage.op == "tell")).all()
        assert sorted(m.conversation for m in told) == sorted(
            f"person:{p}" for p in _ids(s, "olly", "sara")
        )
    assert posts(db, f"Exercise {EXR} scheduled", "imt") == [
        f"EXERCISE · Exercise {EXR} scheduled for Tue 24 Nov 2026 10:00 GMT: Exercise Ember."
    ]
    programme = ok(bot.cmd("olly", "exercise")).card
    assert programme is not None and programme.exercise
    assert dict(programme.sections)["Exercises"] == (
        f"{EXR} · Tue 24 Nov 2026 10:00 GMT · Exercise Ember · Scheduled · 0 injects"
    )


def _ids(session: Session, *names: str) -> list[int]:
    return [session.scalars(select(Person.id).where(Person.name == n)).one() for n in names]


def test_injects_are_posted_into_the_exercise_incident_once_each(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot)  # INC-2026-001, live
    declare(bot, "--level tactical --erco yes --exercise")  # INC-2026-002, an EXERCISE
    live = bot.cmd(
        "ian",
        f'exercise schedule --title T --scenario S --when "2026-11-24 10:00" --incident {LIVE}',
    )
    assert not live.ok and f"{LIVE} is a live incident" in live.text
    schedule(bot, f"--incident {DRILL}")
    with db.read() as s:
        drill = s.scalars(select(Incident).where(Incident.reference == DRILL)).one()
        assert {"olly", "sara"} <= set(drill.members or [])  # invited to its channel
    ok(
        bot.cmd(
            "ian",
            f'exercise {EXR} inject --at "2026-11-24 10:15" --from "BBC Newsnight" '
            '--text "We hear of three fires in Leeds; will OPSS comment tonight?"',
        )
    )
    ok(bot.cmd("ian", f"exercise {EXR} inject --at 10:45 --text 'The importer stops answering'"))
    # The people taking part do not see an inject's words before it is posted; IMT do.
    theirs = ok(bot.cmd("olly", f"exercise {EXR}")).card
    assert theirs is not None
    assert dict(theirs.sections)["Injects"] == (
        "1. Tue 24 Nov 2026 10:15 GMT · to come\n2. Tue 24 Nov 2026 10:45 GMT · to come"
    )
    imt = ok(bot.cmd("ian", f"exercise {EXR}")).card
    assert (
        imt is not None
        and "from BBC Newsnight · to come: We hear of three fires" in dict(imt.sections)["Injects"]
    )
    assert next_due(db, clock) is not None
    drill_channel = f"incident:{DRILL}"

    at(clock, datetime(2026, 11, 24, 10, 14, tzinfo=UTC))
    tick(db, clock, bot.engine.options)
    assert posts(db, "Inject", drill_channel) == []
    at(clock, datetime(2026, 11, 24, 10, 15, 20, tzinfo=UTC))
    tick(db, clock, bot.engine.options)
    tick(db, clock, bot.engine.options)  # again: nothing more
    assert posts(db, "Inject", drill_channel) == [
        f"EXERCISE · Inject 1 of {EXR} · from BBC Newsnight: We hear of three fires in Leeds; "
        "will OPSS comment tonight?"
    ]
    assert posts(db, "Inject", f"incident:{LIVE}") == []
    with db.read() as s:
        card = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.conversation == drill_channel)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        ).one()
        assert card.payload["card"]["exercise"] is True
        assert card.payload["card"]["title"] == f"Inject 1 · {EXR}"
    # The bot was down at 10:45: found at 11:30, the inject is still posted, once, said late.
    at(clock, datetime(2026, 11, 24, 11, 30, tzinfo=UTC))
    tick(db, clock, bot.engine.options)
    tick(db, clock, bot.engine.options)
    assert posts(db, "Inject 2", drill_channel) == [
        f"EXERCISE · Inject 2 of {EXR}: The importer stops answering "
        "(late: due Tue 24 Nov 2026 10:45 GMT)"
    ]
    with db.read() as s:
        firings = s.scalars(select(Firing).where(Firing.source.like("inject:%"))).all()
        assert sorted((f.step, f.status) for f in firings) == [
            ("inject", "late"),
            ("inject", "on_time"),
        ]
        assert {i.status for i in s.scalars(select(ExerciseInject))} == {InjectStatus.POSTED}
        audits = [
            e.after["number"]
            for e in s.scalars(
                select(AuditEvent).where(AuditEvent.action == "exercise.inject_posted")
            )
        ]
        assert audits == [1, 2]
    # Once posted, its words are on the card for everyone.
    posted = ok(bot.cmd("olly", f"exercise {EXR}")).card
    assert posted is not None and "We hear of three fires" in dict(posted.sections)["Injects"]


def test_injects_wait_for_the_exercises_incident_and_an_ended_one_withdraws_them(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    schedule(bot)
    ok(bot.cmd("ian", f"exercise {EXR} inject --at '2026-11-24 10:15' --text 'First'"))
    ok(bot.cmd("ian", f"exercise {EXR} inject --at '2026-11-24 12:00' --text 'Second'"))
    refused = bot.cmd("olly", f"exercise {EXR} inject --at '2026-11-24 12:30' --text 'x'")
    assert not refused.ok and "Only IMT" in refused.text
    past = bot.cmd("ian", f"exercise {EXR} inject --at '2026-11-23 09:00' --text 'x'")
    assert not past.ok and past.text.startswith("Time: Mon 23 Nov 2026 09:00 GMT: the time has")
    with db.read() as s:
        assert [i.next_run_at for i in s.scalars(select(ExerciseInject))] == [None, None]
    at(clock, datetime(2026, 11, 24, 10, 30, tzinfo=UTC))
    tick(db, clock, bot.engine.options)  # no incident named yet: nothing is posted
    declare(bot, "--level tactical --erco yes --exercise")  # INC-2026-001, an EXERCISE
    ok(bot.cmd("ian", f"exercise {EXR} incident {LIVE}"))
    tick(db, clock, bot.engine.options)
    assert posts(db, "Inject", f"incident:{LIVE}") == [
        f"EXERCISE · Inject 1 of {EXR}: First (late: due Tue 24 Nov 2026 10:15 GMT)"
    ]
    ended = ok(bot.cmd("ian", f"exercise {EXR} end --note 'Played to the end of phase 1'"))
    assert ended.text == (
        f"Exercise {EXR} ended by Ian Brooks. 1 inject not posted was withdrawn. Record the "
        f"lessons identified as for any incident: /opss lesson {LIVE} <what was learned> "
        "(5.1, 6.11)."
    )
    at(clock, datetime(2026, 11, 24, 12, 5, tzinfo=UTC))
    tick(db, clock, bot.engine.options)
    assert posts(db, "Second", f"incident:{LIVE}") == []
    again = bot.cmd("ian", f"exercise {EXR} inject --at '2026-11-25 10:00' --text 'x'")
    assert not again.ok and f"{EXR} is ended; it takes no more injects" in again.text
    # Its lessons are recorded as they are for an incident (5.1).
    ok(bot.cmd("olly", f"lesson {LIVE} Nobody knew who briefs the press --aspect communications"))
    assert posts(db, "Lesson 1", f"incident:{LIVE}")


def test_the_annual_review_pack_gathers_every_lesson_by_theme(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    # A live incident, closed and reviewed, with a recommendation on a theme.
    declare(bot, "--level strategic --tcg-chair fatima")
    ok(
        bot.cmd(
            "fatima", f"lesson {LIVE} The LA contact list was out of date --aspect notification"
        )
    )
    ok(bot.cmd("sara", f"lesson {LIVE} Press lines came late"))
    de_escalate(bot, to="normal")  # closing follows the return to normal (3.26)
    for ref in open_actions(db):
        ok(bot.cmd("fatima", f"done {ref}"))
    ok(bot.cmd("hana", f'close {LIVE} --reason "Normal" --review "2026-12-15 10:00"'))
    ok(
        bot.submit(
            "ian",
            {
                "form": "review",
                "reference": LIVE,
                "summary": "Contained",
                "communications": "Press lines late: no owner for them",
            },
        )
    )
    ok(
        bot.cmd(
            "ian",
            f'review {LIVE} recommend --text "Name a press lead at declaration" '
            '--team "Communications" --owner sara --due 2027-01-15 --aspect communications',
        )
    )
    # An exercise, played in an EXERCISE incident, with its own lesson.
    declare(bot, "--level tactical --erco yes --exercise")
    schedule(bot, f"--incident {DRILL}")
    ok(bot.cmd("ian", f"exercise {EXR} end"))
    ok(bot.cmd("olly", f"lesson {DRILL} Injects reached the channel before the TCG met"))

    refused = bot.cmd("olly", "review-plan")
    assert not refused.ok and refused.text.startswith("Only IMT or a senior civil servant")
    assert not bot.cmd("ian", "review-plan 2031").ok
    reply = ok(bot.cmd("sara", "review-plan"))
    assert reply.card is not None
    links = dict(reply.card.links)
    assert set(links) == {"Download DOCX", "Download PDF"}

    files = {}
    for title, url in links.items():
        token = url.rsplit("/", 1)[1]
        grant = downloads.redeem(db, token, clock.now(), requester=None, session_required=False)
        assert (grant.kind, grant.subject) == ("plan_review", "2026")
        found = plan_review.pack_file(db, grant.subject, grant.fmt, grant.person_name, clock.now())
        assert not isinstance(found, str), found
        files[title.split()[-1]] = found
    name, _, content = files["DOCX"]
    assert name == "plan-review-2026.docx"
    document = docx.Document(io.BytesIO(content))
    text = "\n".join(p.text for p in document.paragraphs)
    pdf_name, _, pdf_content = files["PDF"]
    assert pdf_name == "plan-review-2026.pdf"
    pdf = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf_content)).pages)
    flat = re.sub(r"\s+", " ", pdf)
    for needle in (
        "The LA contact list was out of date",
        "Press lines came late",
        "Injects reached the channel before the TCG met",
        "Press lines late: no owner for them",
        "Name a press lead at declaration",
    ):
        assert needle in text, needle
        assert needle in flat, needle
    # By theme: each lesson under its aspect of 5.2, the untagged ones apart.
    sections = _sections(document)
    assert (
        "Lesson 1 of INC-2026-001: The LA contact list was out of date"
        in (sections["Theme: Notification"])
    )
    communications = sections["Theme: Communications"]
    assert "Review finding of INC-2026-001: Press lines late: no owner for them" in communications
    assert (
        "Recommendation 1 of INC-2026-001: Name a press lead at declaration · owner Sara Lind "
        "(Communications) · action ACT-2026-0002, due Fri 15 Jan 2027 17:00 GMT · Open"
    ) in communications
    untagged = sections["Theme: Not themed (no aspect of 5.2 given)"]
    assert "Lesson 2 of INC-2026-001: Press lines came late · captured by Sara Lind" in untagged
    assert f"Lesson 1 of {DRILL} (EXERCISE): Injects reached the channel" in untagged
    register = sections["Incidents and exercises"]
    assert f"{EXR} (EXERCISE) · Exercise Ember · Tue 24 Nov 2026 10:00 GMT · Ended" in register
    facts = {r.cells[0].text: r.cells[1].text for r in document.tables[0].rows}
    assert facts["Incidents"] == "1 live, 1 EXERCISE"
    assert facts["Lessons identified"] == "3"
    assert facts["Recommendations"] == "1 (1 open, 0 done)"
    header = "\n".join(p.text for p in document.sections[0].header.paragraphs)
    assert "OFFICIAL-SENSITIVE" in header and "annual review 2026" in header
    assert "Sara Lind" in header
    # Spent: each link gives the pack once.
    token = links["Download PDF"].rsplit("/", 1)[1]
    try:
        downloads.redeem(db, token, clock.now(), requester=None, session_required=False)
    except downloads.Refused as exc:
        assert "already used" in str(exc)
    else:
        raise AssertionError("a spent link gave the pack again")
    # Someone whose roles no longer allow it is refused when the link is redeemed.
    assert plan_review.pack_file(db, "2026", "pdf", "olly", clock.now()) == (
        "Only IMT or a senior civil servant may have the annual plan review pack."
    )


def _sections(document) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The DOCX's headed blocks: each level-2 heading with the paragraphs under it."""
    out: dict[str, list[str]] = {}
    current = ""
    for p in document.paragraphs:
        if p.style.name == "Heading 2":
            current = p.text
            out[current] = []
        elif current:
            out[current].append(p.text)
    return {k: "\n".join(v) for k, v in out.items()}


def test_the_inject_source_says_what_falls_due_next(bot: Driver, db: Database) -> None:
    declare(bot, "--level tactical --erco yes --exercise")
    schedule(bot, f"--incident {LIVE}")
    ok(bot.cmd("ian", f"exercise {EXR} inject --at '2026-11-24 10:40' --text 'Soon'"))
    with db.read() as s:
        first = s.scalars(injects.SOURCE.first_due()).one()
        assert injects.SOURCE.describe(first, frozenset()) == f"inject 1 of {EXR}"
        assert first.next_run_at == datetime(2026, 11, 24, 10, 40, tzinfo=UTC)


def test_a_batch_of_due_injects_costs_a_constant_number_of_statements(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot, "--level tactical --erco yes --exercise")
    schedule(bot, f"--incident {LIVE}")

    def statements_for(count: int) -> int:
        due = clock.now() + timedelta(minutes=5)
        for i in range(count):
            ok(bot.cmd("ian", f"exercise {EXR} inject --at '{due:%Y-%m-%d %H:%M}' --text 'I{i}'"))
        at(clock, due)
        seen: list[str] = []

        def count_it(*args: Any) -> None:
            seen.append(args[2])

        event.listen(db.engine, "before_cursor_execute", count_it)
        try:
            result = schedule_tick(db, clock, bot.engine.options, [injects.SOURCE])
        finally:
            event.remove(db.engine, "before_cursor_execute", count_it)
        assert result.posted == count
        return len(seen)

    statements_for(1)  # the first also creates the bot's own person
    two = statements_for(2)
    assert statements_for(40) == two


def test_an_inject_is_posted_once_on_either_database(any_db: Database, clock: ManualClock) -> None:
    """The claim (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and the firing's unique key."""
    bot = Driver(seeded_engine(any_db, clock))
    declare(bot, "--level tactical --erco yes --exercise")
    schedule(bot, f"--incident {LIVE}")
    ok(bot.cmd("ian", f"exercise {EXR} inject --at '2026-11-24 10:15' --text 'Only once'"))
    at(clock, datetime(2026, 11, 24, 10, 16, tzinfo=UTC))
    for _ in range(3):
        tick(any_db, clock, bot.engine.options)
    assert posts(any_db, "Only once", f"incident:{LIVE}") == [
        f"EXERCISE · Inject 1 of {EXR}: Only once"
    ]
