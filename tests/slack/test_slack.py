"""Slack end to end: signed slash commands and interactivity payloads (Slack's wire format)
sent over HTTP to the running bot, with SLACK_API_URL pointing at a fake Web API on loopback.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from storage.models import Decision, Incident, Issue, OutboxMessage
from tests.conftest import row_counts
from tests.fakes.clocks import RealTime
from tests.fakes.slack_world import (
    FULL,
    RATINGS,
    REF,
    SlackWorld,
    declare_through_slack,
    run,
    submission,
)
from tests.fakes.slack_world import (
    slack as slack,  # the fixture, used by its name
)


def test_raise_with_a_modal_and_an_inline_error(slack: SlackWorld) -> None:
    status, body = slack.slash("olly", "raise Gas hob elbow joints leaking")
    assert status == 200 and body == ""
    view = slack.opened_view(1)
    title_block = next(b for b in view["blocks"] if b.get("block_id") == "title")
    assert title_block["element"]["initial_value"] == "Gas hob elbow joints leaking"
    assert title_block.get("optional") is not True  # required in Slack's sense
    assert next(b for b in view["blocks"] if b.get("block_id") == "description")["optional"]

    missing = FULL | {"hazard": None}
    status, body = slack.interact(submission("olly", view, missing))
    assert status == 200
    assert json.loads(body) == {
        "response_action": "errors",
        "errors": {"hazard": "Hazard: this is required"},
    }
    assert slack.db_count(Issue) == 0

    status, body = slack.interact(submission("olly", view, FULL, view_id="V2"))
    assert status == 200 and body == ""
    slack.replied(f"Raised {REF}")
    slack.fake.wait_for(lambda f: slack.general in f.messages and slack.imt in f.messages)
    posted = slack.fake.messages[slack.general][0]
    assert "Gas hob elbow joints leaking" in json.dumps(posted["blocks"])
    assert REF in slack.fake.messages[slack.imt][0]["text"]


def test_the_full_ladder_to_a_declared_incident_with_its_private_channel(
    slack: SlackWorld,
) -> None:
    taken = slack.fake.add_channel("inc-2026-001-gas-hob-elbow-joints-leaking", member=False)
    declare_through_slack(slack)

    fake = slack.fake
    fake.wait_for(lambda f: len(f.bookmarks) == 2)
    created = fake.ok_calls("conversations.create")
    assert [c.args["name"] for c in created] == ["inc-2026-001-gas-hob-elbow-joints-leaking-2"]
    assert created[0].args["is_private"] is True
    channel = fake.channel_named("inc-2026-001-gas-hob-elbow-joints-leaking-2")
    assert channel is not None and channel["id"] != taken
    assert channel["topic"].startswith("INC-2026-001 · Gas hob elbow joints leaking")
    assert channel["members"] == {"U0HANA", "U0DAVID", "U0FATIMA"}
    posts = fake.messages[channel["id"]]
    assert posts[0]["text"] == "Incident INC-2026-001 declared." and posts[0]["pinned"]
    assert posts[1]["text"] == "Decision log · INC-2026-001" and posts[1]["pinned"]
    assert [b["title"] for b in fake.bookmarks] == ["Decision log", f"Issue {REF} summary"]
    assert all(b["link"].startswith("https://opss-test.example/archives/") for b in fake.bookmarks)
    # The issue's card where it was raised was edited in place, not posted again.
    fake.wait_for(
        lambda f: any(
            "Incident declared" in json.dumps(m["blocks"])
            for m in f.messages[slack.general]
            if m["blocks"]
        )
    )
    issue_cards = [
        m
        for m in fake.messages[slack.general]
        if m["blocks"] and m["blocks"][1]["text"]["text"].startswith(f"{REF} · ")
    ]
    assert len(issue_cards) == 1
    with slack.bot.db.read() as s:
        incident = s.scalar(select(Incident))
        assert incident is not None and incident.surface == "slack"
        assert len(s.scalars(select(Decision)).all()) == 2


def test_exercise_is_marked_in_channel_name_and_topic(slack: SlackWorld) -> None:
    run(
        slack,
        "olly",
        'raise Toaster sparks --products "T1" --hazard "Fire" '
        '--source public --area "Gas and Electrical"',
        f"Raised {REF}",
    )
    run(slack, "fatima", f"assess {REF} {RATINGS}", "overall High")
    run(slack, "fatima", f"escalate {REF}", "to FTL assessment")
    run(slack, "fatima", f"assess {REF} {RATINGS}", "overall High")
    run(slack, "fatima", f"escalate {REF}", "to CAM")
    run(slack, "ian", f"assess {REF} {RATINGS}", "overall High")
    run(
        slack,
        "ian",
        f"nnc {REF} novel=yes nationally_significant=no contentious=no "
        "--novel-rationale a --nationally-significant-rationale b --contentious-rationale c",
        "criteria met",
    )
    run(
        slack,
        "david",
        f"conference {REF} --when now --background b",
        "Case conference",
    )
    run(
        slack,
        "ian",
        "outcome CC-2026-0001 --outcome declare_incident --rationale r --chair c",
        "Declare",
    )
    run(slack, "hana", f"declare {REF} --exercise --level operational", "EXERCISE")
    slack.fake.wait_for(lambda f: f.ok_calls("conversations.setTopic"))
    channel = slack.fake.channel_named("exercise-inc-2026-001-toaster-sparks")
    assert channel is not None and channel["topic"].startswith("EXERCISE INC-2026-001")
    slack.fake.wait_for(lambda f: len(f.messages.get(channel["id"], [])) >= 2)
    assert all(m["text"].startswith("EXERCISE") for m in slack.fake.messages[channel["id"]])


def test_message_shortcut_prefills_the_raise_form(slack: SlackWorld) -> None:
    status, _ = slack.interact(
        {
            "type": "message_action",
            "callback_id": "raise_as_opss_issue",
            "trigger_id": "t-s",
            "team": {"id": "T1"},
            "api_app_id": "A1",
            "user": {"id": "U0OLLY", "username": "olly"},
            "channel": {"id": slack.general, "name": "opss"},
            "message": {
                "ts": "1764000000.000042",
                "user": "U0SARA",
                "text": "Heaters overheating in care homes\nThree reports this week.",
            },
            "response_url": f"{slack.fake.base_url}/respond/s",
        }
    )
    assert status == 200
    view = slack.opened_view(1)
    by_block = {b.get("block_id"): b for b in view["blocks"]}
    assert by_block["title"]["element"]["initial_value"] == "Heaters overheating in care homes"
    assert "Three reports this week." in by_block["description"]["element"]["initial_value"]
    assert by_block["link"]["element"]["initial_value"] == (
        f"https://opss-test.example/archives/{slack.general}/p1764000000000042"
    )


def test_app_home_lists_what_waits_on_the_user_and_open_incidents(slack: SlackWorld) -> None:
    run(
        slack,
        "olly",
        'raise Hob leaks --products p --hazard h --source public --area "Gas and Electrical"',
        f"Raised {REF}",
    )
    status, _ = slack.event(
        {"type": "app_home_opened", "user": "U0FATIMA", "tab": "home", "channel": "D1"}
    )
    assert status == 200
    slack.fake.wait_for(lambda f: f.ok_calls("views.publish"))
    call = slack.fake.ok_calls("views.publish")[0]
    assert call.args["user_id"] == "U0FATIMA"
    home = json.dumps(call.args["view"])
    assert "Waiting on you" in home and REF in home and "assess the impact" in home
    assert "Open incidents" in home and "No action is assigned to you" in home
    run(
        slack,
        "ian",
        f'action {REF} "Test five samples" --owner fatima --due 2026-11-26',
        "Action ACT-2026-0001",
    )
    slack.event({"type": "app_home_opened", "user": "U0FATIMA", "tab": "home", "channel": "D1"})
    slack.fake.wait_for(lambda f: len(f.ok_calls("views.publish")) == 2)
    home = json.dumps(slack.fake.ok_calls("views.publish")[1].args["view"])
    assert "ACT-2026-0001" in home and "Test five samples" in home


def test_a_button_on_a_card_runs_its_command(slack: SlackWorld) -> None:
    run(
        slack,
        "olly",
        'raise Hob leaks --products p --hazard h --source public --area "Gas and Electrical"',
        f"Raised {REF}",
    )
    status, _ = slack.interact(
        {
            "type": "block_actions",
            "team": {"id": "T1"},
            "api_app_id": "A1",
            "user": {"id": "U0FATIMA", "username": "fatima"},
            "trigger_id": "t-b",
            "channel": {"id": slack.general},
            "container": {"type": "message", "message_ts": "1", "channel_id": slack.general},
            "actions": [
                {
                    "action_id": "opss_cmd_0",
                    "block_id": "b",
                    "type": "button",
                    "value": f"/opss assess {REF}",
                    "action_ts": "1764000001.1",
                }
            ],
            "response_url": f"{slack.fake.base_url}/respond/b",
        }
    )
    assert status == 200
    view = slack.opened_view(1)
    assert json.loads(view["private_metadata"])["form"] == "assess"
    detail = next(b for b in view["blocks"] if b.get("block_id") == "public_safety__detail")
    assert "Severe harm to large numbers of the public" in detail["text"]["text"]


def test_forged_or_stale_signatures_are_refused_and_change_nothing(slack: SlackWorld) -> None:
    slack.slash("olly", "help")
    slack.replied("OPSS incident bot")
    before = row_counts(slack.bot.db)
    forged, _ = slack.slash(
        "olly",
        'raise Forged --products p --hazard h --source public --area "Gas and Electrical"',
        signature="v0=" + "0" * 64,
    )
    stale, _ = slack.slash(
        "olly",
        'raise Stale --products p --hazard h --source public --area "Gas and Electrical"',
        timestamp=int(time.time()) - 600,
    )
    assert (forged, stale) == (401, 401)
    assert row_counts(slack.bot.db) == before


def test_a_retried_delivery_records_once(slack: SlackWorld) -> None:
    body = slack.command_body(
        "olly",
        'raise Hob leaks --products p --hazard h --source public --area "Gas and Electrical"',
    )
    first, _ = slack.post(body, "application/x-www-form-urlencoded")
    slack.replied(f"Raised {REF}")
    again, _ = slack.post(
        body,
        "application/x-www-form-urlencoded",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "timeout"},
    )
    assert (first, again) == (200, 200)
    # Both deliveries were recorded before their acknowledgement, and both processed.
    slack.fake.wait_for(lambda f: slack.inbox_done() == 2)
    assert slack.db_count(Issue) == 1
    # The first delivery's reply, queued with its raise, is the only one: a retry adds none.
    replies = [r["text"] for r in slack.fake.responses]
    assert len([t for t in replies if f"Raised {REF}" in t]) == 1, replies
    assert not [t for t in replies if "already done" in t], replies


def test_a_429_is_retried_after_its_delay_and_delivered_once(slack: SlackWorld) -> None:
    real = RealTime()  # the outbox times retries in real time, not on the bot's clock
    slack.bot.outbox.monotonic = real
    slack.fake.failures["chat.postMessage"] = [(429, {"Retry-After": "7"})]
    run(
        slack,
        "olly",
        'raise Hob leaks --products p --hazard h --source public --area "Gas and Electrical"',
        f"Raised {REF}",
    )
    fake = slack.fake
    fake.wait_for(lambda f: any(c.status == 429 for c in f.calls))
    fake.wait_for(lambda f: slack.retry_recorded())
    with slack.bot.db.read() as session:
        refused = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
        assert refused is not None and refused.status == "pending"
        assert refused.attempts == 1 and "rate limited" in (refused.last_error or "")
    real.advance(timedelta(seconds=6))  # Retry-After: 7 is honoured
    slack.bot.outbox.kick()
    fake.wait_for(lambda f: len(f.ok_calls("chat.postMessage")) >= 1)  # the IMT channel's
    assert [c.args["channel"] for c in fake.ok_calls("chat.postMessage")] == [slack.imt]
    real.advance(timedelta(seconds=1))
    slack.bot.outbox.kick()
    fake.wait_for(lambda f: len(f.ok_calls("chat.postMessage")) == 2)
    channels = sorted(c.args["channel"] for c in fake.ok_calls("chat.postMessage"))
    assert channels == sorted([slack.general, slack.imt])  # each delivered exactly once
    assert len(slack.fake.messages[slack.general]) == 1


def test_a_server_error_is_retried_with_backoff(slack: SlackWorld) -> None:
    slack.fake.failures["chat.postMessage"] = [(500, {})]
    run(
        slack,
        "olly",
        'raise Hob leaks --products p --hazard h --source public --area "Gas and Electrical"',
        f"Raised {REF}",
    )
    slack.fake.wait_for(lambda f: slack.retry_recorded())
    slack.real.advance(timedelta(seconds=2))  # the first backoff step, on the outbox's clock
    slack.bot.outbox.kick()
    slack.fake.wait_for(lambda f: len(f.ok_calls("chat.postMessage")) == 2)
    assert len(slack.fake.messages[slack.general]) == 1


def test_replies_carry_their_words_and_peoples_text_stays_text(slack: SlackWorld) -> None:
    """A card reply's ``text`` is its one-line summary (never "Done."); a hostile title
    neither pings the channel nor hides a link in any message, reply or notification."""
    hostile = "<!channel> urgent <https://evil.example/login|Sign in to OPSS> *now*"
    run(
        slack,
        "olly",
        f'raise "{hostile}" --products "UE55TU7000" --hazard "Shock" --source business '
        '--area "Gas and Electrical"',
        f"Raised {REF}",
    )
    since = slack.mark()
    slack.slash("olly", f"status {REF}")
    reply = slack.replied(f"{REF} · ", since)
    assert reply["text"].startswith(f"{REF} · &lt;!channel&gt; urgent &lt;https://evil.example")
    assert reply["text"] != "Done."
    slack.fake.wait_for(lambda f: slack.general in f.messages and slack.imt in f.messages)
    sent = [*slack.fake.responses, *(m for ms in slack.fake.messages.values() for m in ms)]
    assert len(sent) >= 4
    assert any("evil.example" in json.dumps(m.get("blocks")) for m in sent)  # shown, as text
    for message in sent:
        assert "<" not in message.get("text", ""), message["text"]  # notifications: escaped
        for block in message.get("blocks") or []:
            for text in _mrkdwn(block):
                assert "evil.example" not in text  # people's text is never mrkdwn
    with slack.bot.db.read() as s:
        issue = s.scalar(select(Issue))
        assert issue is not None and issue.products == "UE55TU7000"


def _mrkdwn(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            yield node.get("text", "")
        for value in node.values():
            yield from _mrkdwn(value)
    elif isinstance(node, list):
        for value in node:
            yield from _mrkdwn(value)


def test_a_person_picked_in_slack_is_stored_with_the_change_and_only_with_it(
    slack: SlackWorld,
) -> None:
    """A Slack person picker gives a user id the bot may never have seen. The person is
    stored by the command's own unit of work: a refused or failed submission leaves no person
    and no identity behind; an accepted one stores them with the action they own."""
    from storage.models import Action, Person
    from storage.models import Identity as IdentityRow

    declare_through_slack(slack)
    opened = len(slack.fake.ok_calls("views.open"))
    status, _ = slack.slash("ian", "action INC-2026-001 Collect samples")
    assert status == 200
    view = slack.opened_view(opened + 1)
    owner = next(b for b in view["blocks"] if b.get("block_id") == "owner")
    assert owner["element"]["type"] == "users_select"  # Slack's own picker: a user id comes
    values = {"what": "Collect samples", "owner": "U0NEWCOMER", "date": "2026-11-30"}

    def newcomer() -> tuple[int, int]:
        with slack.bot.db.read() as s:
            people = s.scalars(select(Person).where(Person.name == "slack:U0NEWCOMER")).all()
            links = s.scalars(
                select(IdentityRow).where(IdentityRow.external_id == "U0NEWCOMER")
            ).all()
            return len(people), len(links)

    # Refused (olly holds no role that may assign actions): nothing stored for the newcomer.
    status, body = slack.interact(submission("olly", view, values, view_id="V7"))
    assert status == 200 and json.loads(body)["response_action"] == "errors"
    assert "may" in json.dumps(json.loads(body)["errors"])
    assert newcomer() == (0, 0)
    # Failed (a date that is not one): nothing stored either.
    bad = values | {"date": "2026-02-30"}
    status, body = slack.interact(submission("ian", view, bad, view_id="V8"))
    assert status == 200 and "date" in json.loads(body)["errors"]
    assert newcomer() == (0, 0)
    assert slack.db_count(Action) == 0
    # Accepted: the newcomer is stored, linked to their Slack id, and owns the action.
    status, body = slack.interact(submission("ian", view, values, view_id="V9"))
    assert status == 200 and body == ""
    slack.replied("ACT-2026-0001")
    assert newcomer() == (1, 1)
    with slack.bot.db.read() as s:
        action = s.scalars(select(Action)).one()
        assert s.get(Person, action.owner_id).name == "slack:U0NEWCOMER"


def test_a_long_write_on_the_records_does_not_hold_the_acknowledgement(
    slack: SlackWorld,
) -> None:
    """The inbox row that comes before Slack's 200 has a write lock of its own on SQLite: a
    transaction holding the records' lock (a long command, a backup) cannot make Slack's 3 s
    run out. The command still waits for the lock to do its work, and does it after."""
    path = slack.bot.settings.database_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, timeout=1, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the records' one write lock, held
    try:
        status, _ = slack.post(
            slack.command_body(
                "olly",
                'raise "Held hob" --products p --hazard h --source public '
                '--area "Gas and Electrical"',
            ),
            "application/x-www-form-urlencoded",
            timeout=3,  # Slack's own wait
        )
        assert status == 200
        assert slack.db_count(Issue) == 0  # acknowledged, not yet done: the lock is held
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    slack.replied(f"Raised {REF}")
    assert slack.db_count(Issue) == 1
