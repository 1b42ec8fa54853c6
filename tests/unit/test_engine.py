"""The command engine through its one entry point, as every surface calls it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from cards.adaptive import render_card
from cards.model import card_from_dict
from storage.models import (
    AuditEvent,
    Decision,
    ImpactAssessment,
    Incident,
    Issue,
    LocalMessage,
    OutboxMessage,
)
from storage.unit_of_work import Database
from tests.conftest import Driver, ratings, row_counts
from tests.fakes.schema import assert_valid_card
from tests.fakes.steps import (
    FULL_RAISE,
    assess,
    call_conference,
    declare,
    nnc,
    ok,
    raise_issue,
    to_stage,
)


def stage_of(db: Database, ref: str) -> str:
    with db.read() as s:
        return s.scalar(select(Issue.stage).where(Issue.reference == ref)) or ""


# The whole ladder -------------------------------------------------------------------------


def test_raised_to_declared(bot: Driver, db: Database) -> None:
    ref = to_stage(bot, "cam_ep")
    assert stage_of(db, ref) == "cam_ep"
    cc = call_conference(bot, ref)
    assert stage_of(db, ref) == "case_conference"
    outcome = ok(
        bot.submit(
            "ian",
            {
                "form": "outcome",
                "conference": cc,
                "outcomes": "declare_incident",
                "rationale": "Serious risk, national spread",
                "decided_by": "David Osei",
            },
        )
    )
    assert "Declare an incident" in outcome.text
    form = ok(bot.cmd("hana", f"declare {ref}")).form
    assert form is not None and form.field("title").value == "Gas hob elbow joints leaking"
    declared = ok(
        bot.submit(
            "hana",
            {
                "form": "declare",
                "reference": ref,
                "title": "Gas hob elbow joints",
                "level": "tactical",
                "scg_chair": "david",
                "tcg_chair": "fatima",
                "exercise": "false",
                "erco_engaged": "true",
            },
        )
    )
    assert "INC-2026-001" in declared.text
    # The reply points to the incident's conversation, which the platform names once made.
    assert declared.about == "incident:INC-2026-001"
    assert stage_of(db, ref) == "declared"
    with db.read() as s:
        incident = s.scalar(select(Incident))
        assert incident is not None and incident.command_team["scg_chair"] == "david"
        ops = [
            (m.op, m.conversation)
            for m in s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.conversation == "incident:INC-2026-001")
                .order_by(OutboxMessage.id)
            )
        ]
        assert ops[0] == ("create_channel", "incident:INC-2026-001")
        create = s.scalar(select(OutboxMessage).where(OutboxMessage.op == "create_channel"))
        assert create is not None
        # The one who declared first (a private channel's owner), then the named people.
        assert create.payload["members"] == ["hana", "david", "fatima"]
        assert create.payload["name"] == "inc-2026-001-gas-hob-elbow-joints"
        summary = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.conversation == "incident:INC-2026-001", OutboxMessage.op == "post"
            )
        ).first()
        assert summary is not None and summary.payload["pin"] is True
        kinds = [d.kind for d in s.scalars(select(Decision).order_by(Decision.id))]
        assert kinds == ["case_conference.declare_incident", "declaration"]
        for queued in s.scalars(select(OutboxMessage)):  # every card this flow posts
            if queued.payload.get("card"):
                assert_valid_card(render_card(card_from_dict(queued.payload["card"])))


def test_declaring_needs_a_conference_that_decided_to(bot: Driver, db: Database) -> None:
    ref = to_stage(bot, "cam_ep")
    refused = bot.cmd("hana", f"declare {ref} --exercise")
    assert not refused.ok and "case conference" in refused.text
    cc = call_conference(bot, ref)
    ok(
        bot.submit(
            "ian",
            {
                "form": "outcome",
                "conference": cc,
                "outcomes": "further_information",
                "rationale": "Need test results",
                "decided_by": "David",
            },
        )
    )
    refused = bot.cmd("hana", f"declare {ref} --exercise")
    assert not refused.ok and "No case conference" in refused.text


def test_exercise_is_labelled_on_every_post(bot: Driver, db: Database) -> None:
    declare(bot, "--exercise --level strategic")
    ok(
        bot.cmd(
            "hana",
            'decide INC-2026-001 --what "Recall notice" --rationale "Risk" '
            '--by "SCG chair" --group scg',
        )
    )
    with db.read() as s:
        queued = s.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.conversation == "incident:INC-2026-001",
                OutboxMessage.op.in_(["post", "update"]),
            )
            .order_by(OutboxMessage.id)
        ).all()
        texts = [
            (q.op, q.payload["text"], q.payload.get("card", {}).get("exercise")) for q in queued
        ]
        create = s.scalar(select(OutboxMessage).where(OutboxMessage.op == "create_channel"))
    assert create is not None and create.payload["name"].startswith("exercise-inc-2026-001")
    assert create.payload["topic"].startswith("EXERCISE")
    # summary, decision log, ERCO prompt (Critical impact), battle rhythm, the decision,
    # then the edits of the decision log and the summary
    assert [op for op, _, _ in texts] == ["post"] * 5 + ["update", "update"]
    for _, text, card_exercise in texts:
        assert text.startswith("EXERCISE")
        assert card_exercise in (True, None)


def test_case_conference_outcome_no_further_action_needs_feedback(
    bot: Driver, db: Database
) -> None:
    ref = to_stage(bot, "ttg")
    cc = call_conference(bot, ref)
    data = {
        "form": "outcome",
        "conference": cc,
        "outcomes": "no_further_action",
        "rationale": "Risk is low",
        "decided_by": "David",
    }
    refused = bot.submit("ian", data)
    assert not refused.ok and "feedback" in refused.errors
    ok(bot.submit("ian", data | {"feedback": "Emailed the LA on 23 Nov"}))
    assert stage_of(db, ref) == "closed_nfa"
    again = bot.submit("ian", data | {"feedback": "x"})
    assert not again.ok and "already has its outcome" in again.text


# Assessments and escalation preconditions -----------------------------------------------


def test_assessments_are_versioned_never_overwritten(bot: Driver, db: Database) -> None:
    ref = raise_issue(bot)
    assess(bot, ref, level="low")
    second = assess(bot, ref, level="medium")
    assert (
        "v2" in second.text
        and "overall Medium: the potential consequences are less "
        "significant but should be monitored"
        in second.text
    )  # the plan's words (Table 1)
    with db.read() as s:
        rows = s.scalars(select(ImpactAssessment).order_by(ImpactAssessment.version)).all()
        assert [(r.version, r.overall) for r in rows] == [(1, 1), (2, 2)]


def test_escalation_refused_without_a_fresh_assessment(bot: Driver, db: Database) -> None:
    ref = raise_issue(bot)
    refused = bot.cmd("fatima", f"escalate {ref}")
    assert not refused.ok and "No impact assessment" in refused.text
    assess(bot, ref)
    ok(bot.cmd("fatima", f"escalate {ref}"))
    stale = bot.cmd("fatima", f"escalate {ref}")
    assert not stale.ok and "before the issue reached FTL assessment" in stale.text
    assert stage_of(db, ref) == "ftl_assessment"


def test_cam_escalation_without_nnc_needs_a_justification(bot: Driver, db: Database) -> None:
    ref = to_stage(bot, "cam")
    assess(bot, ref)
    nnc(bot, ref, met=False)
    refused = bot.cmd("ian", f"escalate {ref} ttg")
    assert not refused.ok and "justification" in refused.text
    ok(bot.cmd("ian", f'escalate {ref} ttg --justification "Minister has asked for a briefing"'))
    assert stage_of(db, ref) == "ttg"
    with db.read() as s:
        moved = s.scalars(select(AuditEvent).where(AuditEvent.action == "issue.moved")).all()[-1]
        assert moved.after and moved.after["justification"] == "Minister has asked for a briefing"


def test_inline_ratings_and_form_when_incomplete(bot: Driver) -> None:
    ref = raise_issue(bot)
    partial = ok(bot.cmd("ian", f"assess {ref} media=high"))
    assert partial.form is not None and partial.form.field("media_interest").value == "high"
    full = " ".join(f"{k}={v}" for k, v in ratings("low", public_safety="high").items())
    assert "overall High" in ok(bot.cmd("ian", f"assess {ref} {full}")).text


# Permissions ------------------------------------------------------------------------------


def test_refusals_say_who_may_and_are_audited(bot: Driver, db: Database) -> None:
    ref = to_stage(bot, "ttg")
    refused = bot.cmd("olly", f"conference {ref}")
    assert not refused.ok
    assert "Only a deputy director or higher; the Head of IMT in consultation with an SCS" in (
        refused.text
    )
    assert "You hold: no roles" in refused.text
    refused_ftl = bot.cmd("tom", f"escalate {ref} cam-ep")
    assert "the Deputy Chief Executive, Regulation, who chairs TTG (2.12)" in refused_ftl.text
    with db.read() as s:
        events = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "permission.refused")
            .order_by(AuditEvent.id)
        ).all()
        assert [(e.actor_name, e.entity_ref) for e in events] == [("olly", ref), ("tom", ref)]
        assert events[0].after and "2.16" in events[0].after["who_may"]


def test_head_of_imt_must_name_the_scs_consulted(bot: Driver) -> None:
    ref = to_stage(bot, "ttg")
    assess(bot, ref)
    reply = bot.submit(
        "hana",
        {
            "form": "conference",
            "reference": ref,
            "date": "2026-11-24",
            "time": "10:00",
            "agenda_background": "b",
        },
    )
    assert not reply.ok and "consulted_scs" in reply.errors
    direct = ok(
        bot.submit(
            "david",
            {
                "form": "conference",
                "reference": ref,
                "date": "2026-11-24",
                "time": "10:00",
                "agenda_background": "b",
            },
        )
    )
    assert "deputy director or higher" in direct.text


def test_roles_are_granted_by_an_admin(bot: Driver) -> None:
    refused = bot.cmd("olly", "role grant olly head_of_imt")
    assert not refused.ok and "bot administrator" in refused.text
    assert ok(bot.cmd("hana", 'role grant olly ftl --area "Toys and Childcare"')).text == (
        "olly is now Functional Team Leader (Toys and Childcare)."
    )
    assert "Functional Team Leader (Toys and Childcare)" in ok(bot.cmd("olly", "role list")).text
    ok(bot.cmd("hana", 'role revoke olly ftl --area "Toys and Childcare"'))
    assert ok(bot.cmd("olly", "role list")).text.endswith("no roles")


# Decisions --------------------------------------------------------------------------------


def test_decisions_are_append_only_and_corrections_supersede(bot: Driver, db: Database) -> None:
    ref = raise_issue(bot)
    first = ok(
        bot.cmd(
            "ian",
            f'decide {ref} --what "Test 5 samples" --rationale "Evidence" '
            '--by "Ian" --group imt --when "2026-11-23 08:00"',
        )
    )
    first_ref = first.text.split()[1]
    fix = ok(
        bot.cmd(
            "ian",
            f'decide {ref} --what "Test 10 samples" --rationale "More" '
            f'--by "Ian" --group imt --supersedes {first_ref}',
        )
    )
    assert f"supersedes {first_ref}" in fix.text
    with db.read() as s:
        rows = s.scalars(select(Decision).order_by(Decision.id)).all()
        assert [r.what for r in rows] == ["Test 5 samples", "Test 10 samples"]
        assert rows[1].supersedes_id == rows[0].id and rows[1].kind == "correction"
        assert rows[0].decided_at.hour == 8
    future = bot.cmd(
        "ian", f'decide {ref} --what a --rationale b --by c --group imt --when "2026-12-25 10:00"'
    )
    assert not future.ok and "future" in future.text


# Bad input: a clear reply, and the database unchanged -----------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("frobnicate the hob", "'frobnicate' is not an /opss command"),
        ("status ISS-2026-0999", "No issue ISS-2026-0999 is recorded"),
        ("escalate ISS-2026-0999", "No issue ISS-2026-0999 is recorded"),
        ("status hob", "'hob' is not a reference"),
        (
            "raise " + "x" * 121 + " --products p --hazard h --source business --area Product",
            "Title is too long: 121 characters, at most 120",
        ),
        (
            'raise Hob --products p --hazard h --source rumour --area "Gas and Electrical"',
            "Source: 'rumour' is not one of the options",
        ),
        ('raise "unclosed quote', "Could not read the command"),
    ],
)
def test_bad_commands_get_a_clear_reply_and_change_nothing(
    bot: Driver, db: Database, text: str, expected: str
) -> None:
    ok(bot.cmd("olly", "help"))  # so the user exists before we count
    before = row_counts(db)
    reply = bot.cmd("olly", text)
    assert not reply.ok and expected in reply.text
    assert row_counts(db) == before


def test_malformed_date_is_named_and_nothing_is_stored(bot: Driver, db: Database) -> None:
    ref = to_stage(bot, "ttg")
    before = row_counts(db)
    reply = bot.cmd("david", f"conference {ref} --when 2026-13-40 --background b")
    assert not reply.ok
    assert "When: '2026-13-40' is not a date and time; use YYYY-MM-DD HH:MM" in reply.text
    assert row_counts(db) == before


def test_form_with_a_required_field_missing(bot: Driver, db: Database) -> None:
    ok(bot.cmd("olly", "help"))
    before = row_counts(db)
    reply = bot.submit(
        "olly",
        {
            "form": "raise",
            "title": "Hob",
            "products": "p",
            "source": "business",
            "functional_area": "Gas and Electrical",
        },
    )
    assert not reply.ok and reply.errors == {"hazard": "Hazard: this is required"}
    assert reply.form is not None and reply.form.field("title").value == "Hob"
    assert row_counts(db) == before


def test_quick_raise_opens_the_form_prefilled(bot: Driver, db: Database) -> None:
    reply = ok(bot.cmd("olly", "/opss raise Gas hob elbow joints leaking"))
    assert reply.form is not None and reply.form.id == "raise"
    assert reply.form.field("title").value == "Gas hob elbow joints leaking"
    with db.read() as s:
        assert s.scalar(select(Issue)) is None


def test_raise_posts_here_and_tells_imt(bot: Driver, db: Database) -> None:
    ref = raise_issue(bot)
    with db.read() as s:
        posts = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [p.conversation for p in posts] == ["channel:general", "imt"]
        assert ref in posts[1].payload["text"] and "Fatima Khan" in posts[1].payload["text"]
        assert not s.scalars(select(LocalMessage)).all()  # delivered later, by the outbox


# Idempotency ------------------------------------------------------------------------------


def test_a_repeated_request_key_records_once(bot: Driver, db: Database) -> None:
    first = ok(bot.cmd("olly", FULL_RAISE, key="slack-retry-1"))
    second = ok(bot.cmd("olly", FULL_RAISE, key="slack-retry-1"))
    assert "already done" in second.text and first.text.split()[1] in second.text
    with db.read() as s:
        assert len(s.scalars(select(Issue)).all()) == 1


def test_conference_from_cam_without_nnc_needs_a_justification(bot: Driver, db: Database) -> None:
    ref = to_stage(bot, "cam")
    assess(bot, ref)
    nnc(bot, ref, met=False)
    data = {
        "form": "conference",
        "reference": ref,
        "date": "2026-11-24",
        "time": "10:00",
        "agenda_background": "b",
    }
    refused = bot.submit("david", data)
    assert not refused.ok and "justification" in refused.errors
    ok(bot.submit("david", data | {"justification": "Ministerial interest is rising"}))
    assert stage_of(db, ref) == "case_conference"


# Actions (3.10) ----------------------------------------------------------------------------


def test_actions_have_an_owner_a_due_time_and_are_closed_by_their_owner(
    bot: Driver, db: Database
) -> None:
    ref = raise_issue(bot)
    refused = bot.cmd("olly", f"action {ref} Test samples --owner fatima --due 2026-11-25")
    assert not refused.ok and "an FTL, IMT" in refused.text
    assigned = ok(
        bot.cmd(
            "fatima",
            f'action {ref} "Send 5 samples to the lab" --owner ian '
            '--due 2026-11-25 --standard "Accredited lab"',
        )
    )
    assert "ACT-2026-0001" in assigned.text and "Wed 25 Nov 2026 17:00 GMT" in assigned.text
    home = bot.engine.home("local", "ian", "ian")
    assert home[0].title == "Your open actions"
    assert home[0].facts[0][0] == "ACT-2026-0001"
    assert not bot.cmd("olly", "done ACT-2026-0001").ok
    ok(bot.cmd("ian", "done ACT-2026-0001 --note sent"))
    assert bot.engine.home("local", "ian", "ian")[0].facts[0][0] == ""
    again = bot.cmd("ian", "done ACT-2026-0001")
    assert not again.ok and "already" in again.text


def test_an_overdue_action_is_flagged(bot: Driver, clock: Any) -> None:
    ref = raise_issue(bot)
    ok(bot.cmd("ian", f"action {ref} Chase the importer --owner fatima --due 2026-11-23"))
    clock.advance(timedelta(days=1))
    facts = bot.engine.home("local", "fatima", "fatima")[0].facts
    assert facts[0][0] == "ACT-2026-0001 · OVERDUE"


def test_an_action_due_in_the_past_is_refused(bot: Driver, db: Database) -> None:
    ref = raise_issue(bot)
    before = row_counts(db)
    reply = bot.cmd("ian", f"action {ref} Chase --owner fatima --due 2026-11-01")
    assert not reply.ok and "Due: the due time has already passed" in reply.text
    assert row_counts(db) == before
