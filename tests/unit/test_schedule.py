"""The scheduler's tick through the engine's storage, with a manual clock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cards.adaptive import render_card
from cards.blockkit import blocks_json, card_blocks
from cards.model import card_from_dict, section_text
from commands.core.clock import ManualClock
from commands.core.due import tick
from storage.models import Firing, OutboxMessage, RhythmEvent, Sitrep
from storage.unit_of_work import Database
from tests.conftest import Driver
from tests.fakes.schema import assert_valid_card
from tests.fakes.steps import declare, ok, posts

INC = "INC-2026-001"


def test_declaring_applies_the_standard_rhythm(bot: Driver, db: Database) -> None:
    declare(bot)
    with db.read() as s:
        names = [e.name for e in s.scalars(select(RhythmEvent).where(RhythmEvent.active))]
    assert names == ["SCG", "TCG", "Bird table"]
    shown = ok(bot.cmd("ian", f"rhythm {INC}")).card
    assert shown is not None and any("Bird table" in k for k, _ in shown.facts)


def test_each_reminder_is_posted_once_with_agenda_actions_and_decisions(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot)  # Monday 23 Nov 2026, 09:30 GMT
    ok(bot.cmd("ian", f"action {INC} Collect samples --owner fatima --due 2026-11-24"))
    clock.advance(timedelta(minutes=30, seconds=30))  # 10:00:30: TCG's reminder is due
    first = tick(db, clock, bot.engine.options)
    second = tick(db, clock, bot.engine.options)  # the same moment again: nothing new
    assert first.posted == 1 and second.posted == 0
    reminders = posts(db, "Reminder: TCG")
    assert reminders == ["Reminder: TCG at Mon 23 Nov 2026 10:30 GMT (in 30 min)"]
    with db.read() as s:
        card = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.op == "post", OutboxMessage.conversation == f"incident:{INC}")
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert card is not None
        sections = {
            h: section_text(b).plain for h, b in card_from_dict(card.payload["card"]).sections
        }
    assert "Actions review" in sections["Agenda"]
    assert "ACT-2026-0001" in sections["Open actions"]
    assert "Declare incident INC-2026-001" in sections["Decisions since the last TCG"]


def test_after_downtime_recent_reminders_are_late_and_older_ones_missed(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot)
    clock.advance(timedelta(days=1, hours=-1, minutes=-20))  # Tue 08:10: bird table 08:30
    result = tick(db, clock, bot.engine.options)
    # Missed while "down": Monday's TCG reminder and the sitrep prompt and chase; Monday's
    # cut-off is still collated (marked late); Tuesday's bird table (reminder 08:15) is not
    # due yet. Nothing is posted for what was missed.
    assert (result.missed, result.collated, result.posted) == (3, 1, 0)
    clock.advance(timedelta(minutes=10))  # 08:20, five minutes after the 08:15 reminder
    late = tick(db, clock, bot.engine.options)
    assert late.posted == 1 and late.late == 1
    assert posts(db, "Bird table")[-1].endswith("(late)")
    with db.read() as s:
        statuses = sorted(f.status for f in s.scalars(select(Firing)))
    assert statuses.count("missed") >= 1 and "late" in statuses


def test_replacing_the_rhythm_wholesale(bot: Driver, db: Database) -> None:
    declare(bot)
    refused = bot.cmd("fatima", f"rhythm {INC} replace reduced --scg 'David, 24 Nov'")
    assert not refused.ok and "IMT" in refused.text
    ok(bot.cmd("ian", f"rhythm {INC} replace reduced --scg 'David Osei agreed, 24 Nov'"))
    with db.read() as s:
        active = [e.name for e in s.scalars(select(RhythmEvent).where(RhythmEvent.active))]
        kept = len(s.scalars(select(RhythmEvent)).all())
    assert active == ["SCG", "TCG"] and kept == 5  # the old rows are kept, inactive


def test_a_meeting_added_with_the_form(bot: Driver, db: Database) -> None:
    declare(bot)
    form = ok(bot.cmd("ian", f"rhythm {INC} add")).form
    assert form is not None and form.id == "rhythm_add"
    bad = bot.submit(
        "ian",
        {
            "form": "rhythm_add",
            "reference": INC,
            "name": "Evidence group",
            "group": "evidence_group",
            "days": "1,3",
            "time": "14:00",
            "duration": "ninety",
            "reminder": "15",
            "holidays": "shift",
        },
    )
    assert not bad.ok and "duration" in bad.errors
    ok(
        bot.submit(
            "ian",
            {
                "form": "rhythm_add",
                "reference": INC,
                "name": "Evidence group",
                "group": "evidence_group",
                "days": "1,3",
                "time": "14:00",
                "duration": "90",
                "reminder": "15",
                "holidays": "shift",
                "agreed": "tcg",
                "agreement": "TCG of 23 Nov",
            },
        )
    )
    with db.read() as s:
        added = s.scalar(select(RhythmEvent).where(RhythmEvent.name == "Evidence group"))
        assert added is not None and added.days == [1, 3] and added.holidays == "shift"


def test_the_sitrep_prompt_asks_only_the_teams_still_due(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot)
    teams = "Gas and Electrical, Toys and Childcare"
    ok(bot.cmd("ian", f'sitrep {INC} set --teams "{teams}"'))
    early = {"form": "sitrep_update", "reference": INC, "team": "Gas and Electrical"}
    ok(bot.submit("fatima", {**early, "situation": "Gas and Electrical: on track"}))
    clock.advance(timedelta(hours=4, minutes=31))  # 14:01: the prompt for 16:00 went at 14:00
    tick(db, clock, bot.engine.options)
    (prompt,) = posts(db, "Sitrep updates due by Mon 23 Nov 2026 16:00 GMT")
    assert "from: Toys and Childcare (" in prompt
    assert prompt.endswith("Already in: Gas and Electrical")
    clock.advance(timedelta(hours=2, minutes=30))  # 16:31: collated; the next cut-off's turn
    tick(db, clock, bot.engine.options)
    for team, user in (("Gas and Electrical", "fatima"), ("Toys and Childcare", "tom")):
        ok(bot.submit(user, {**early, "team": team, "situation": f"{team}: tomorrow's, early"}))
    clock.advance(timedelta(hours=21, minutes=30))  # Tue 14:01
    tick(db, clock, bot.engine.options)
    assert len(posts(db, "Sitrep updates due by")) == 1, "nobody is asked for what they sent"
    assert posts(db, "Every sitrep update for the cut-off Tue 24 Nov 2026 16:00 GMT is in: ")


def test_the_sitrep_cycle_prompt_chase_collate_approve(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot)
    teams = "Gas and Electrical, Toys and Childcare, Product Safety"
    ok(bot.cmd("ian", f'sitrep {INC} set --teams "{teams}"'))
    clock.advance(timedelta(hours=4, minutes=31))  # 14:01: prompts went at 14:00
    assert tick(db, clock, bot.engine.options).posted >= 1
    assert posts(db, "Sitrep updates due by Mon 23 Nov 2026 16:00 GMT")
    for team, user in (("Gas and Electrical", "fatima"), ("Toys and Childcare", "tom")):
        ok(
            bot.submit(
                user,
                {
                    "form": "sitrep_update",
                    "reference": INC,
                    "team": team,
                    "situation": f"{team}: on track",
                },
            )
        )
    clock.advance(timedelta(hours=1, minutes=30))  # 15:31: the chase went at 15:30
    tick(db, clock, bot.engine.options)
    assert posts(db, "Still waiting")[-1].startswith(
        "Still waiting for sitrep updates (cut-off Mon 23 Nov 2026 16:00 GMT): Product Safety"
    )
    clock.advance(timedelta(minutes=30))  # 16:01
    assert tick(db, clock, bot.engine.options).collated == 1
    with db.read() as s:
        report = s.scalar(select(Sitrep))
        assert report is not None and report.status == "draft"
        assert report.title == "SITREP 1 · INC-2026-001 · as at Mon 23 Nov 2026 16:00 GMT"
        assert report.missing == ["Product Safety"]
    assert not bot.cmd("fatima", f"sitrep {INC} approve 1").ok
    ok(bot.cmd("ian", f'sitrep {INC} amend 1 --text "Testing on track; no new cases"'))
    ok(bot.cmd("ian", f"sitrep {INC} approve 1"))
    assert not bot.cmd("olly", f"sitrep {INC} list").ok  # not one of the incident's people
    listed = ok(bot.cmd("fatima", f"sitrep {INC} list")).card.plain
    assert "SITREP 1 · INC-2026-001 · as at Mon 23 Nov 2026 16:00 GMT · published" in listed
    with db.read() as session:  # every card the scheduler queued renders validly
        for queued in session.scalars(select(OutboxMessage)):
            if queued.payload.get("card"):
                card = card_from_dict(queued.payload["card"])
                assert_valid_card(render_card(card))
                blocks_json(card_blocks(card))  # slack_sdk.models validates as it serialises
    shown = ok(bot.cmd("fatima", f"sitrep {INC} show 1")).card
    assert shown is not None and shown.sections[0] == (
        "IMT amendment",
        "Testing on track; no new cases",
    )


def test_a_meeting_every_n_hours(bot: Driver, db: Database, clock: ManualClock) -> None:
    declare(bot)
    both = bot.cmd(
        "ian",
        f'rhythm {INC} add --name "Cell" --group other --every 4 '
        "--days mon --at 09:00 --duration 30 --reminder 10 --holidays ignore --tcg 'TCG 23 Nov'",
    )
    assert not both.ok and "not both" in both.text
    ok(
        bot.cmd(
            "ian",
            f'rhythm {INC} add --name "Cell" --group other --every 4 '
            "--duration 30 --reminder 10 --holidays ignore --tcg 'TCG 23 Nov'",
        )
    )
    clock.advance(timedelta(hours=3, minutes=50, seconds=30))  # 13:20:30: 13:30 is 10 min off
    tick(db, clock, bot.engine.options)
    assert posts(db, "Reminder: Cell") == [
        "Reminder: Cell at Mon 23 Nov 2026 13:30 GMT (in 10 min)"
    ]


def test_rhythm_presets_come_from_configuration() -> None:
    import pytest

    from commands.rhythm.battle_rhythm import load_presets

    presets = load_presets(
        '[[standard]]\nname = "SCG"\ngroup = "scg"\ndays = "tue"\n'
        'at = "08:00"\n[[quiet]]\nname = "TCG"\ngroup = "tcg"\n'
        'days = "fri"\nat = "10:00"\n'
    )
    assert [s.name for s in presets["standard"]] == ["SCG"] and "quiet" in presets
    with pytest.raises(ValueError, match="standard"):
        load_presets('[[quiet]]\nname = "TCG"\ngroup = "tcg"\ndays = "fri"\nat = "10:00"\n')
    with pytest.raises(ValueError, match="days"):
        load_presets('[[standard]]\nname = "SCG"\ngroup = "scg"\ndays = "funday"\nat = "08:00"\n')


def test_the_bird_table_reminder_lists_every_open_action_of_the_incident(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    """Issue 20: the 08:15 reminder said "Open actions: none" with 5 open and 1 overdue, as it
    listed only the actions set for the bird table. It lists them all, and says so."""
    declare(bot)  # Monday 23 Nov 2026, 09:30 GMT
    due = {"tcg": "2026-11-23", "scg": "2026-11-25", "": "2026-11-26", "imt": "2026-11-27"}
    for group, day in due.items():
        flag = f" --group {group}" if group else ""
        ok(
            bot.cmd(
                "ian", f"action {INC} Task for {group or 'nobody'} --owner fatima --due {day}{flag}"
            )
        )
    ok(bot.cmd("ian", f"action {INC} Brief the LAs --owner ian --due 2026-11-28 --group tcg"))
    ok(bot.cmd("ian", "done ACT-2026-0005"))  # done: not open
    ok(bot.cmd("ian", f"action {INC} Chase the importer --owner ian --due 2026-11-30"))
    clock.advance(timedelta(hours=22, minutes=45, seconds=30))  # Tue 08:15:30
    tick(db, clock, bot.engine.options)
    with db.read() as s:
        row = next(
            m
            for m in s.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.op == "post", OutboxMessage.conversation == f"incident:{INC}"
                )
            )
            if m.payload["text"].startswith("Reminder: Bird table")
        )
        sections = {
            h: section_text(b).plain for h, b in card_from_dict(row.payload["card"]).sections
        }
    lines = sections["Open actions"].splitlines()
    assert lines[0] == "5 open on INC-2026-001, 1 overdue; every group's, soonest due first:"
    assert [ln.split(" · ")[0] for ln in lines[1:]] == [
        "• ACT-2026-0001",
        "• ACT-2026-0002",
        "• ACT-2026-0003",
        "• ACT-2026-0004",
        "• ACT-2026-0006",
    ]
    assert lines[1].endswith("· OVERDUE · TCG: Task for tcg")
    assert "IMT: Task for imt" in lines[4] and "OVERDUE" not in lines[2]
    assert lines[3].endswith("GMT: Task for nobody")  # set for no group


def test_a_reminder_with_no_open_action_says_none_is_open(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot)
    clock.advance(timedelta(minutes=30, seconds=30))  # the TCG's reminder
    tick(db, clock, bot.engine.options)
    with db.read() as s:
        row = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.op == "post", OutboxMessage.conversation == f"incident:{INC}")
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert row is not None
        sections = {
            h: section_text(b).plain for h, b in card_from_dict(row.payload["card"]).sections
        }
    assert sections["Open actions"] == "None open on INC-2026-001."
