"""Slack end to end: standing an EXERCISE incident down over Slack's wire format. De-escalate
with both approvals (refused with one), the plan's actions, re-escalation through a new case
conference, de-escalate again and close (refused while an action is open), the channel
archived, the review with a recommendation, and every record exported as files
(files.uploadV2) that are read back."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import docx
import pypdf
from sqlalchemy import select

from storage.models import OutboxMessage
from tests.conftest import Driver
from tests.fakes.fake_slack import FakeSlack
from tests.fakes.slack_world import RATINGS, REF, USERS, SlackWorld, run, slack, submission
from tests.fakes.steps import publish_sitrep

INC = "INC-2026-001"
__all__ = ["slack"]  # the fixture, used by name


def in_channel(slack: SlackWorld, channel: str, user: str, text: str, expect: str) -> None:
    since = slack.mark()
    status, _ = slack.post(
        slack.command_body(user, text, channel), "application/x-www-form-urlencoded"
    )
    assert status == 200
    slack.replied(expect, since)


def declare_exercise(slack: SlackWorld) -> str:
    run(
        slack,
        "olly",
        'raise Gas hob elbow joints leaking --products "EJ-15" --hazard "Gas escape" '
        '--source business --area "Gas and Electrical"',
        f"Raised {REF}",
    )
    for user, move, expect in (("fatima", "", "FTL assessment"), ("fatima", " cam", "to CAM")):
        run(slack, user, f"assess {REF} {RATINGS}", "overall High")
        run(slack, user, f"escalate {REF}{move}", expect)
    run(slack, "ian", f"assess {REF} {RATINGS}", "overall High")
    run(
        slack,
        "ian",
        f"nnc {REF} novel=yes nationally_significant=no contentious=no "
        "--novel-rationale a --nationally-significant-rationale b --contentious-rationale c",
        "criteria met",
    )
    conference(slack, "CC-2026-0001")
    run(
        slack,
        "hana",
        f"declare {REF} --exercise --level strategic --scg-chair david --tcg-chair fatima "
        "--invite ian,sara",
        f"declared as incident {INC}",
    )
    slack.fake.wait_for(lambda f: f.ok_calls("conversations.setTopic"))
    name = slack.fake.ok_calls("conversations.create")[0].args["name"]
    assert name.startswith("exercise-inc-2026-001-gas-hob")
    channel = slack.fake.channel_named(name)
    assert channel is not None
    return str(channel["id"])


def conference(slack: SlackWorld, cc: str) -> None:
    run(
        slack,
        "david",
        f'conference {REF} --when now --background "Leaks reported"',
        f"Case conference {cc}",
    )
    run(
        slack,
        "ian",
        f'outcome {cc} --outcome declare_incident --rationale "Gas escape risk, national" '
        '--chair "David Osei"',
        "Declare an incident",
    )


def blocks_text(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks") or [], ensure_ascii=False)


def summary(fake: FakeSlack, channel: str) -> str:
    """The pinned summary card as it stands now (edited in place with chat.update)."""
    return blocks_text(fake.messages[channel][0])


def files_named(fake: FakeSlack) -> dict[str, dict[str, Any]]:
    return {f["filename"]: f for f in fake.files.values() if f["channel"]}


def test_standing_an_exercise_incident_down_in_slack(slack: SlackWorld) -> None:
    fake = slack.fake
    channel = declare_exercise(slack)
    # A published sitrep to take away later (the cycle itself is tested elsewhere).
    publish_sitrep(
        Driver(slack.bot.engine, channel, surface="slack", ids=USERS), slack.bot.db, slack.clock
    )
    in_channel(
        slack,
        channel,
        "fatima",
        f"lesson {INC} The LA contact list was out of date --aspect notification",
        "Lesson 1",
    )

    # De-escalation: the plan is a modal; both approvals are needed.
    since = slack.mark()
    slack.slash("hana", f"deescalate {INC}")
    view = slack.opened_view(1)
    assert json.loads(view["private_metadata"])["form"] == "deescalate"
    status, body = slack.interact(
        submission(
            "hana",
            view,
            {
                "to_level": "tactical",
                "rationale": "No new reports for ten days",
                "scg_consultation": "David Osei (SCG chair) agreed by phone",
                "residual": "Monitor complaints | fatima | 2026-12-18",
                "criteria": "Recall effectiveness above 80%",
                "handover": "Gas and Electrical team",
                "monitoring_group": ["true"],
            },
        )
    )
    assert status == 200 and body == ""
    slack.replied("needs approval from IMT and the TCG chair", since)
    run(slack, "hana", f"deescalate {INC} approve", "Awaiting the TCG chair")
    fake.wait_for(
        lambda f: "IMT: approved by Hana Patel; TCG chair: awaited" in summary(f, channel)
    )
    assert "Strategic" in summary(fake, channel)
    run(slack, "olly", f"deescalate {INC} approve", f"may see {INC}")
    run(slack, "sara", f"deescalate {INC} approve", "Only IMT (the incident's IMT lead")
    run(slack, "fatima", f"deescalate {INC} approve", "de-escalated to Tactical")
    fake.wait_for(lambda f: any("ACT-2026-0001" in m["text"] for m in f.messages.get(channel, [])))
    action = next(m for m in fake.messages[channel] if m["text"].startswith("EXERCISE · Action"))
    assert "Residual activity (de-escalation): Monitor complaints" in action["text"]
    fake.wait_for(lambda f: "De-escalated" in summary(f, channel))

    # Re-escalation goes back through section 2, and the same incident comes back.
    run(slack, "hana", f'reescalate {INC} --reason "Two new fires reported"', "back at CAM")
    run(slack, "hana", f"assess {REF} {RATINGS}", "overall High")
    conference(slack, "CC-2026-0002")
    fake.wait_for(
        lambda f: any("re-escalated to Strategic" in m["text"] for m in f.messages[channel])
    )
    # The pinned decision log carries the new conference's decision beside the old ones.
    fake.wait_for(lambda f: "CC-2026-0002" in blocks_text(f.messages[channel][1]))

    def issue_card(f: FakeSlack) -> str:
        cards = [
            blocks_text(m)
            for m in f.messages[slack.general]
            if m["blocks"] and m["blocks"][1]["text"]["text"].startswith(f"{REF} · ")
        ]
        assert len(cards) == 1  # one card, edited in place
        return cards[0]

    # The issue's card links the history: the new conference and the same incident.
    fake.wait_for(lambda f: "CC-2026-0002" in issue_card(f))
    assert INC in issue_card(fake)

    # Back to normal operations (3.26), typed inline this time; close is refused while an action
    # is open.
    run(
        slack,
        "hana",
        f'deescalate {INC} --to normal --rationale "Fires explained" --scg "David agreed" '
        '--criteria "No reports for a month" --rhythm reduced',
        "needs approval",
    )
    run(slack, "hana", f"deescalate {INC} approve", "Awaiting the TCG chair")
    run(slack, "fatima", f"deescalate {INC} approve", "de-escalated to Normal operations")
    run(
        slack,
        "hana",
        f'close {INC} --reason "Back to normal" --review "2026-12-15 10:00"',
        "Open actions: ACT-2026-0001",
    )
    run(slack, "fatima", "done ACT-2026-0001", "done by Fatima Khan")
    run(
        slack,
        "hana",
        f'close {INC} --reason "Back to normal" --review "2026-12-15 10:00"',
        f"{INC} closed by Hana Patel",
    )
    fake.wait_for(lambda f: f.ok_calls("conversations.archive"))
    assert fake.ok_calls("conversations.archive")[0].args["channel"] == channel
    assert fake.channels[channel]["is_archived"] is True
    # The summary says closed and when, edited before the archive; nothing is posted after.
    closing = summary(fake, channel)
    assert "Closed incident · closed Mon 23 Nov 2026" in closing
    archived_at = fake.calls.index(fake.ok_calls("conversations.archive")[0])
    later = [c for c in fake.calls[archived_at:] if c.args.get("channel") == channel]
    assert all(c.method == "conversations.archive" for c in later)

    # The review: a modal, a recommendation that becomes an action, a sign-off.
    since = slack.mark()
    slack.slash("ian", f"review {INC} open")
    view = slack.opened_view(2)
    notification = next(b for b in view["blocks"] if b.get("block_id") == "notification")
    assert "The LA contact list was out of date" in notification["element"]["initial_value"]
    status, body = slack.interact(
        submission(
            "ian",
            view,
            {
                "summary": "Contained; notification was slow",
                "stakeholder_input": "The importer found the TCG helpful",
            },
            view_id="V2",
        )
    )
    assert (status, body) == (200, "")
    slack.replied("Review of INC-2026-001 saved", since)
    run(
        slack,
        "ian",
        f'review {INC} recommend --text "Refresh the LA contact list quarterly" '
        '--team "Gas and Electrical" --owner fatima --due 2027-01-15',
        "allocated to Gas and Electrical: action ACT-2026-0002",
    )
    run(slack, "ian", f"review {INC} signoff", "Only the Head of IMT (6.1)")
    run(slack, "hana", f"review {INC} signoff", "signed off by Hana Patel")

    # Every record, to Sara alone, in her direct messages with the app: the incident's channel
    # is archived, and a record is posted nowhere wider, not in the channel the command came
    # from (issue 20, item 4).
    run(slack, "sara", f"export {INC}", "sent to you alone, in your own chat with the bot")
    sara = fake.dm(USERS["sara"])
    fake.wait_for(lambda f: sum(x["channel"] == sara for x in f.files.values()) >= 12)
    files = {f["filename"]: f for f in fake.files.values() if f["channel"] == sara}
    # Nothing anywhere else but the review report, kept at sign-off, in Hana's own messages.
    elsewhere = {(f["channel"], f["filename"]) for f in fake.files.values()} - {
        (sara, name) for name in files
    }
    assert {channel for channel, _ in elsewhere} == {fake.dm(USERS["hana"])}
    assert set(files) == {
        "EXERCISE-INC-2026-001-review-report.docx",
        "EXERCISE-INC-2026-001-review-report.pdf",
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
    sitrep = docx.Document(io.BytesIO(files["EXERCISE-INC-2026-001-sitrep-1.docx"]["content"]))
    assert "Recall 60% complete" in "\n".join(p.text for p in sitrep.paragraphs)
    assert "EXERCISE" in "\n".join(p.text for p in sitrep.sections[0].header.paragraphs)
    decisions = list(
        csv.DictReader(
            io.StringIO(
                files["EXERCISE-INC-2026-001-decision-log.csv"]["content"].decode("utf-8-sig")
            )
        )
    )
    assert {r["marking"] for r in decisions} == {"EXERCISE"}
    kinds = [r["decision"].split(":")[0] for r in decisions]
    assert kinds[0] == "Declare an incident" and "Close incident INC-2026-001" in kinds
    assert any(r["case_conference"] == "CC-2026-0002" for r in decisions)
    pdf = pypdf.PdfReader(io.BytesIO(files["EXERCISE-INC-2026-001-decision-log.pdf"]["content"]))
    assert all("EXERCISE" in page.extract_text() for page in pdf.pages)
    assert "Two new fires reported" in "".join(p.extract_text() for p in pdf.pages)
    review = docx.Document(io.BytesIO(files["EXERCISE-INC-2026-001-review-report.docx"]["content"]))
    text = "\n".join(p.text for p in review.paragraphs)
    assert "The LA contact list was out of date" in text
    assert "Refresh the LA contact list quarterly" in text
    assert "EXERCISE" in "\n".join(p.text for p in review.sections[0].header.paragraphs)
    timeline = files["EXERCISE-INC-2026-001-timeline.csv"]["content"].decode("utf-8-sig")
    assert "closed incident INC-2026-001" in timeline and "re-escalated INC-2026-001" in timeline


def test_a_failed_file_upload_is_retried_and_posted_once(slack: SlackWorld) -> None:
    declare_exercise(slack)
    slack.fake.failures["files.getUploadURLExternal"] = [(500, {})]
    run(slack, "ian", f"export {INC} timeline", "3 files from INC-2026-001")
    fake = slack.fake
    fake.wait_for(lambda f: any(c.status == 500 for c in f.calls))
    fake.wait_for(lambda f: upload_failed(slack))
    assert files_named(fake) == {}
    slack.real.advance(timedelta(seconds=2))  # the first backoff step, on the outbox's clock
    slack.bot.outbox.kick()
    fake.wait_for(lambda f: len(files_named(f)) == 3)
    file = files_named(fake)["EXERCISE-INC-2026-001-timeline.csv"]
    assert file["content"] is not None and b"declared incident" in file["content"]
    assert len(fake.ok_calls("files.completeUploadExternal")) == 3  # each once


def upload_failed(slack: SlackWorld) -> bool:
    """The upload's outbox row holds its failure (and so its next attempt's time)."""
    with slack.bot.db.read() as s:
        row = s.scalar(
            select(OutboxMessage).where(OutboxMessage.op == "upload").order_by(OutboxMessage.id)
        )
        return row is not None and row.status == "pending" and row.last_error != ""
