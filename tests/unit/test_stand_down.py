"""Standing an incident down through the engine: de-escalation with its two approvals,
re-escalation through section 2, closure, lessons, the review and the records taken away."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import docx
import pypdf
from sqlalchemy import select

from commands.core.clock import ManualClock
from storage.models import (
    Action,
    AuditEvent,
    CaseConference,
    Decision,
    Document,
    Incident,
    Issue,
    OutboxMessage,
    RhythmEvent,
    SitrepSchedule,
)
from storage.unit_of_work import Database
from tests.conftest import Driver, row_counts
from tests.fakes.stand_down import de_escalate, open_actions, plan
from tests.fakes.steps import call_conference, declare, ok, publish_sitrep

INC = "INC-2026-001"


def incident(db: Database) -> Incident:
    with db.read() as s:
        found = s.scalar(select(Incident).where(Incident.reference == INC))
        assert found is not None
        return found


def test_de_escalation_needs_both_approvals_from_two_people(bot: Driver, db: Database) -> None:
    declare(bot, "--level strategic --exercise --tcg-chair fatima --scg-chair david")
    assert "needs approval from IMT and the TCG chair" in ok(plan(bot)).text
    # Proposed is not decided: the incident stays at its level.
    assert incident(db).level == "strategic" and incident(db).status == "active"

    first = ok(bot.cmd("hana", f"deescalate {INC} approve"))
    assert "Awaiting the TCG chair (Fatima Khan)" in first.text
    assert "stays at Strategic level" in first.text
    assert incident(db).level == "strategic"
    status = ok(bot.cmd("ian", f"status {INC}"))
    assert status.card is not None
    facts = dict(status.card.facts)
    assert facts["De-escalation to Tactical"] == "IMT: approved by Hana Patel; TCG chair: awaited"

    # The same person cannot give the second approval; nobody else but the TCG chair can.
    again = bot.cmd("hana", f"deescalate {INC} approve")
    assert not again.ok and "must come from someone else" in again.text
    outsider = bot.cmd("olly", f"deescalate {INC} approve")
    assert not outsider.ok and f"may see {INC}" in outsider.text  # the incident is private
    senior = bot.cmd("sara", f"deescalate {INC} approve")
    assert not senior.ok and "the TCG chair (Fatima Khan)" in senior.text
    imt_member = bot.cmd("ian", f"deescalate {INC} approve")
    assert not imt_member.ok  # IMT's approval is given; Ian is not the TCG chair

    done = ok(bot.cmd("fatima", f"deescalate {INC} approve"))
    assert "de-escalated to Tactical" in done.text
    row = incident(db)
    assert row.level == "tactical" and row.status == "de_escalated"
    # Residual activities became actions; the monitoring group meets weekly; reduced rhythm.
    with db.read() as s:
        what = list(s.scalars(select(Action.what).where(Action.incident_id == row.id)))
        meetings = list(
            s.scalars(
                select(RhythmEvent.name).where(
                    RhythmEvent.incident_id == row.id, RhythmEvent.active
                )
            )
        )
        decision = s.scalar(select(Decision).where(Decision.kind == "de_escalation"))
        refused = s.scalars(
            select(AuditEvent.entity_ref).where(AuditEvent.action == "permission.refused")
        ).all()
    assert any("Monitor complaints" in w for w in what) and len(what) == 2
    assert sorted(meetings) == ["Monitoring group", "SCG", "TCG"]
    assert decision is not None and ". SCG consultation: David Osei" in decision.rationale
    assert "Hana Patel" in decision.decided_by and "Fatima Khan" in decision.decided_by
    assert len(refused) == 4  # each refusal is audited


def test_plan_with_a_bad_residual_line_stores_nothing(bot: Driver, db: Database) -> None:
    declare(bot, "--level strategic --tcg-chair fatima")
    before = row_counts(db)
    reply = plan(bot, residual="Monitor complaints, fatima, next week")
    assert not reply.ok and "Residual activities, line 1" in reply.text
    assert reply.errors and "residual" in reply.errors
    unknown = plan(bot, residual="Monitor | nobody | 2026-12-18")
    assert "no user 'nobody'" in unknown.text
    past = plan(bot, residual="Monitor | fatima | 2026-11-01")
    assert "has passed" in past.text
    assert row_counts(db) == before


def test_a_plan_awaiting_approval_can_be_withdrawn_and_another_proposed(
    bot: Driver, db: Database
) -> None:
    declare(bot, "--level strategic --tcg-chair fatima")
    ok(plan(bot))
    again = plan(bot)
    assert not again.ok and "already has a de-escalation plan awaiting approval" in again.text
    ok(bot.cmd("hana", f"deescalate {INC} approve"))
    refused = bot.cmd("fatima", f"deescalate {INC} withdraw")
    assert not refused.ok and "IMT, who develop" in refused.text
    withdrawn = ok(bot.cmd("ian", f"deescalate {INC} withdraw"))
    assert "stays at Strategic level" in withdrawn.text
    # The withdrawn plan's approval does not carry over: a new plan starts again.
    ok(plan(bot, to_level="operational"))
    ok(bot.cmd("fatima", f"deescalate {INC} approve"))
    assert incident(db).level == "strategic"
    ok(bot.cmd("hana", f"deescalate {INC} approve"))
    assert incident(db).level == "operational"


def test_only_imt_proposes_and_a_declared_tcg_chair_is_needed(bot: Driver, db: Database) -> None:
    declare(bot, "--level strategic")
    refused = plan(bot, user="fatima")
    assert not refused.ok and "IMT, who develop the Incident De-escalation Plan" in refused.text
    ok(plan(bot))
    ok(bot.cmd("hana", f"deescalate {INC} approve"))
    # No TCG chair is named on this incident: nobody can give that approval.
    assert not bot.cmd("fatima", f"deescalate {INC} approve").ok
    assert incident(db).status == "active"


def test_re_escalation_goes_back_through_section_2_keeping_history(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    issue_ref = declare(bot, "--level strategic --exercise --tcg-chair fatima")
    ok(plan(bot))
    ok(bot.cmd("hana", f"deescalate {INC} approve"))
    ok(bot.cmd("fatima", f"deescalate {INC} approve"))

    refused = bot.cmd("ian", f"reescalate {INC} --reason x")
    assert not refused.ok and "the Head of IMT" in refused.text
    form = ok(bot.cmd("hana", f"reescalate {INC}")).form  # the button opens the form
    assert form is not None and form.field("reason").required
    flagged = ok(bot.cmd("hana", f'reescalate {INC} --reason "Two new fires reported"'))
    assert f"{issue_ref} is back at CAM" in flagged.text
    assert incident(db).status == "re_escalating"
    # Section 2: a fresh assessment at CAM before a case conference (2.4).
    clock.advance(timedelta(minutes=5))
    cc2 = call_conference(bot, issue_ref)
    outcome = ok(
        bot.submit(
            "ian",
            {
                "form": "outcome",
                "conference": cc2,
                "outcomes": "declare_incident",
                "rationale": "Fires: national concern again",
                "decided_by": "David Osei",
            },
        )
    )
    assert f"{INC} re-escalated to Strategic level" in outcome.text
    row = incident(db)
    assert row.status == "active" and row.level == "strategic"
    with db.read() as s:
        conferences = s.scalars(select(CaseConference.reference).order_by(CaseConference.id)).all()
        stage = s.scalar(select(Issue.stage).where(Issue.reference == issue_ref))
        kinds = s.scalars(select(Decision.kind).order_by(Decision.id)).all()
    assert list(conferences) == ["CC-2026-0001", "CC-2026-0002"]
    assert stage == "declared"
    assert kinds == [
        "case_conference.declare_incident",
        "declaration",
        "de_escalation",
        "re_escalation",
        "case_conference.declare_incident",
        "re_escalated",
    ]
    log = ok(bot.cmd("ian", f"status {INC}"))
    assert log.card is not None and dict(log.card.facts)["Decisions logged"] == "6"
    history = dict(log.card.facts)["Case conferences"]
    assert history.startswith("CC-2026-0001 held") and "; CC-2026-0002 held" in history
    # Declaring again is not the way back: the same incident returns.
    assert "already declared" in bot.cmd("hana", f"declare {issue_ref}").text


def test_closure_needs_no_open_actions_and_a_scheduled_review(bot: Driver, db: Database) -> None:
    declare(bot, "--level strategic --exercise --tcg-chair fatima")
    de_escalate(bot, to="normal")
    [action] = open_actions(db)

    refused = bot.cmd("ian", f"close {INC} --reason done --review '2026-12-15 10:00'")
    assert not refused.ok and "Head of IMT" in refused.text
    form = ok(bot.cmd("hana", f"close {INC}"))
    assert form.form is not None and action in form.form.intro
    still_open = bot.cmd(
        "hana", f'close {INC} --reason "Back to normal" --review "2026-12-15 10:00"'
    )
    assert not still_open.ok and f"Open actions: {action}" in still_open.text
    no_review = bot.submit(
        "hana",
        {
            "form": "close_incident",
            "reference": INC,
            "rationale": "Back to normal",
            "handover": f"{action}: Gas and Electrical team continues monitoring",
        },
    )
    assert not no_review.ok and "review_date" in no_review.errors
    assert incident(db).status == "de_escalated"

    closed = ok(
        bot.cmd(
            "hana",
            f'close {INC} --reason "Back to normal" --review "2026-12-15 10:00" '
            f'--handover "{action}: Gas and Electrical team continues monitoring"',
        )
    )
    assert "closed by Hana Patel" in closed.text
    row = incident(db)
    assert row.status == "closed" and row.closed_at is not None
    with db.read() as s:
        active_meetings = s.scalar(
            select(RhythmEvent.id).where(RhythmEvent.incident_id == row.id, RhythmEvent.active)
        )
        sitreps = s.scalar(
            select(SitrepSchedule.id).where(
                SitrepSchedule.incident_id == row.id, SitrepSchedule.active
            )
        )
        handed = s.scalar(select(Action).where(Action.reference == action))
        ops = s.scalars(
            select(OutboxMessage.op)
            .where(OutboxMessage.conversation == f"incident:{INC}")
            .order_by(OutboxMessage.id.desc())
        ).all()
    assert active_meetings is None and sitreps is None
    assert handed is not None and handed.status == "handed_over"
    assert "Gas and Electrical team" in handed.done_note
    assert ops[0] == "archive"  # queued last: the closing posts reach the channel first
    status = ok(bot.cmd("ian", f"status {INC}"))
    assert status.card is not None
    assert status.card.subtitle.startswith("Closed incident · closed Mon 23 Nov 2026")
    assert dict(status.card.facts)["Status"] == "Closed"
    again = bot.cmd("hana", f"close {INC} --reason again")
    assert not again.ok and "The incident is closed" in again.text


def test_lessons_review_recommendations_and_sign_off(bot: Driver, db: Database) -> None:
    declare(bot, "--level strategic --exercise --tcg-chair fatima")
    ok(bot.cmd("fatima", f"lesson {INC} The LA contact list was out of date --aspect notification"))
    ok(bot.cmd("sara", f"lesson {INC} Press lines came late"))
    nobody = bot.cmd("olly", f"lesson {INC} I was never in it")
    assert not nobody.ok and f"may see {INC}" in nobody.text
    bad_aspect = bot.cmd("ian", f"lesson {INC} x --aspect weather")
    assert not bad_aspect.ok and "not one of the review's aspects" in bad_aspect.text
    form = ok(bot.cmd("ian", f"lesson {INC}")).form  # the summary card's button: a form
    assert form is not None and form.field("aspect").choices[1].title == "Notification"
    ok(bot.submit("ian", {"form": "lesson", "reference": INC, "text": "Brief the LAs sooner"}))

    early = bot.cmd("ian", f"review {INC} open")
    assert not early.ok and "no review scheduled" in early.text
    de_escalate(bot, to="normal")
    for ref in open_actions(db):
        ok(bot.cmd("fatima", f"done {ref}"))
    ok(bot.cmd("hana", f'close {INC} --reason "Normal" --review "2026-12-15 10:00"'))

    assert not bot.cmd("fatima", f"review {INC} open").ok  # IMT opens the review
    form = ok(bot.cmd("ian", f"review {INC} open"))
    assert form.form is not None
    assert "The LA contact list was out of date" in (form.form.field("notification").value or "")
    assert "Press lines came late" in form.form.intro
    saved = ok(
        bot.submit(
            "ian",
            {
                "form": "review",
                "reference": INC,
                "summary": "A contained response; notification was slow",
                "notification": "LA contacts out of date",
                "communications": "Press lines late",
                "stakeholder_input": "The importer found the TCG helpful",
            },
        )
    )
    assert saved.card is not None and dict(saved.card.facts)["Status"] == "Open"
    refused = bot.cmd(
        "fatima", f"review {INC} recommend --text x --team y --owner ian --due 2027-01-15"
    )
    assert not refused.ok and "IMT, who allocate recommendations" in refused.text
    rec = ok(
        bot.cmd(
            "ian",
            f'review {INC} recommend --text "Refresh the LA contact list quarterly" '
            '--team "Gas and Electrical" --owner fatima --due 2027-01-15',
        )
    )
    assert "allocated to Gas and Electrical: action ACT-2026-0002 for Fatima Khan" in rec.text
    assert open_actions(db) == ["ACT-2026-0002"]

    not_head = bot.cmd("ian", f"review {INC} signoff")
    assert not not_head.ok and "the Head of IMT (6.1)" in not_head.text
    signed = ok(bot.cmd("hana", f"review {INC} signoff"))
    assert "signed off by Hana Patel" in signed.text
    with db.read() as s:
        kept = s.scalars(select(Document).where(Document.kind == "review")).all()
    assert sorted(d.filename for d in kept) == [
        "EXERCISE-INC-2026-001-review-report.docx",
        "EXERCISE-INC-2026-001-review-report.pdf",
    ]
    report = docx.Document(
        io.BytesIO(next(d for d in kept if d.filename.endswith(".docx")).content)
    )
    body = "\n".join(p.text for p in report.paragraphs)
    assert "Notification" in body and "LA contacts out of date" in body
    assert "The LA contact list was out of date" in body  # lessons gathered
    assert "Refresh the LA contact list quarterly" in body
    assert "EXERCISE" in "\n".join(p.text for p in report.sections[0].header.paragraphs)
    after = bot.cmd("hana", f"review {INC} open")
    assert not after.ok and "the review is signed off; its report is kept" in after.text


def test_export_every_record_and_read_it_back(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot, "--level strategic --exercise --tcg-chair fatima")
    ok(bot.cmd("ian", f"lesson {INC} Keep the bird table short"))
    publish_sitrep(bot, db, clock)
    de_escalate(bot)
    refused = bot.cmd("olly", f"export {INC}")
    assert not refused.ok and f"may see {INC}" in refused.text
    reply = ok(bot.cmd("ian", f"export {INC}"))
    assert "Nothing yet to take away from INC-2026-001 for: review (not scheduled)." in reply.text
    assert "posted in the incident's channel" in reply.text
    with db.read() as s:
        files = {d.filename: d for d in s.scalars(select(Document))}
    assert set(files) == {
        "EXERCISE-INC-2026-001-decision-log.csv",
        "EXERCISE-INC-2026-001-decision-log.pdf",
        "EXERCISE-INC-2026-001-decision-log.docx",
        "EXERCISE-INC-2026-001-timeline.csv",
        "EXERCISE-INC-2026-001-timeline.docx",
        "EXERCISE-INC-2026-001-timeline.pdf",
        "EXERCISE-INC-2026-001-strategy.docx",
        "EXERCISE-INC-2026-001-strategy.pdf",
        "EXERCISE-INC-2026-001-sitrep-1.docx",
        "EXERCISE-INC-2026-001-sitrep-1.pdf",
    }
    sitrep = docx.Document(io.BytesIO(files["EXERCISE-INC-2026-001-sitrep-1.docx"].content))
    body = "\n".join(p.text for p in sitrep.paragraphs)
    assert "SITREP 1 · INC-2026-001 · as at Mon 23 Nov 2026 16:00 GMT" in body
    assert "Situation: Recall 60% complete" in body and "*" not in body  # no chat markup
    assert "EXERCISE" in "\n".join(p.text for p in sitrep.sections[0].header.paragraphs)
    sitrep_pdf = pypdf.PdfReader(io.BytesIO(files["EXERCISE-INC-2026-001-sitrep-1.pdf"].content))
    assert all("EXERCISE" in page.extract_text() for page in sitrep_pdf.pages)
    assert "Chase the three largest retailers" in sitrep_pdf.pages[0].extract_text()
    rows = list(
        csv.DictReader(
            io.StringIO(files["EXERCISE-INC-2026-001-decision-log.csv"].content.decode("utf-8-sig"))
        )
    )
    assert [r["marking"] for r in rows] == ["EXERCISE"] * len(rows)
    conference = rows[0]
    assert conference["case_conference"] == "CC-2026-0001" and conference["rationale"] == "r"
    assert rows[-1]["decision"].startswith("De-escalate INC-2026-001 from Strategic to Tactical")
    pdf = pypdf.PdfReader(io.BytesIO(files["EXERCISE-INC-2026-001-decision-log.pdf"].content))
    assert all("EXERCISE" in page.extract_text() for page in pdf.pages)
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "No new reports for ten days" in text and "CC-2026-0001" in text
    timeline = list(
        csv.DictReader(
            io.StringIO(files["EXERCISE-INC-2026-001-timeline.csv"].content.decode("utf-8-sig"))
        )
    )
    events = [r["what happened"].split(" ")[0] for r in timeline]
    assert events.index("raised") < events.index("declared")
    assert events.index("declared") < events.index("de-escalated")
    assert "recorded a lesson for INC-2026-001" in [r["what happened"] for r in timeline]
    with db.read() as s:
        uploads = s.scalars(select(OutboxMessage.payload).where(OutboxMessage.op == "upload")).all()
    assert len(uploads) == 10
