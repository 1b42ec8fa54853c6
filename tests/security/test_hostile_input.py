"""No input answers 500: malformed and hostile requests to both HTTP surfaces get a clear
4xx, leave no traceback or request body in the log, and write nothing. A hypothesis fuzz
run (a fixed budget of examples, so CI time stays flat) sends random and hostile command
texts and form values through the engine and both surfaces.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from commands.core.engine import FAILED
from storage.models import Identity, Issue, Person
from tests.conftest import Driver, row_counts
from tests.fakes.hostile import COMMANDS, FORMS, FUZZ, FUZZ_HTTP, KEYS, TEXT, VALUES
from tests.fakes.server import call
from tests.fakes.slack_world import FULL, SlackWorld, slack, submission  # noqa: F401 (fixture)

# Slack: malformed requests ------------------------------------------------------------------


def test_malformed_slack_requests_answer_400_without_a_trace(
    slack: SlackWorld,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = row_counts(slack.bot.db)
    form = "application/x-www-form-urlencoded"
    view = {"id": "V9", "state": {"values": {}}, "private_metadata": "", "callback_id": "opss"}
    user = {"id": "U0HANA"}

    def payload(obj: Any) -> str:
        return urllib.parse.urlencode({"payload": json.dumps(obj)})

    cases: list[tuple[str, str, dict[str, Any], int]] = [
        (slack.command_body("hana", "list"), form, {"timestamp": "abc"}, 400),
        ("{not json", "application/json", {}, 400),
        ("[1, 2]", "application/json", {}, 400),
        (urllib.parse.urlencode({"payload": "[1]"}), form, {}, 400),
        (urllib.parse.urlencode({"payload": "{oops"}), form, {}, 400),
        (
            payload(
                {
                    "type": "view_submission",
                    "user": user,
                    "view": view | {"private_metadata": "not json"},
                }
            ),
            form,
            {},
            400,
        ),
        (payload({"type": "view_submission", "user": user, "view": {"id": "V9"}}), form, {}, 400),
        (payload({"type": "block_actions", "user": user, "actions": "x"}), form, {}, 400),
        (payload({"type": "something_else", "user": user}), form, {}, 400),
        (urllib.parse.urlencode({"hello": "there"}), form, {}, 400),
        (slack.command_body("hana", "list"), form, {"signature": "v0=forged"}, 401),
    ]
    for body, content_type, kw, status in cases:
        timestamp = kw.pop("timestamp", None)
        if timestamp is not None:
            kw["headers"] = {"X-Slack-Request-Timestamp": timestamp}
        got, text = slack.post(body, content_type, **kw)
        assert got == status, (body[:80], got, text)
        assert text.startswith("Refused: ")
    assert row_counts(slack.bot.db) == before
    assert "Traceback" not in caplog.text
    assert "/respond/" not in caplog.text  # no request body (response_url) in the log
    refused = [r for r in caplog.records if "slack request refused" in r.getMessage()]
    assert len(refused) == len(cases) and all("\n" not in r.getMessage() for r in refused)


def test_a_product_model_number_is_never_made_a_person(slack: SlackWorld) -> None:  # noqa: F811
    slack.slash("olly", "raise Television overheating")
    view = slack.opened_view(1)
    since = slack.mark()
    status, _ = slack.interact(submission("olly", view, FULL | {"products": "UE55TU7000"}))
    assert status == 200
    slack.replied("Raised ISS-2026-0001", since)
    with slack.bot.db.read() as s:
        issue = s.scalar(select(Issue))
        assert issue is not None and issue.products == "UE55TU7000"
        assert s.scalar(select(Person).where(Person.name == "slack:UE55TU7000")) is None
        assert s.scalar(select(Identity).where(Identity.external_id == "UE55TU7000")) is None


# The workspace: malformed requests ---------------------------------------------------------


def test_malformed_workspace_requests_answer_4xx(
    local: tuple[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    url, bot = local
    before = row_counts(bot.db)
    bad_bodies = [
        b"{not json",
        b"[1,2,3]",
        b'"a string"',
        b"[" * 50_000 + b"]" * 50_000,
    ]
    for raw in bad_bodies:
        for path in ("/api/command", "/api/submit"):
            status, text = call(url, "POST", path, raw=raw)
            assert status == 400 and "JSON object" in text, (raw[:20], status, text)
    rhythm = {"form": "rhythm_add", "reference": "INC-2026-001", "days": ["x", None]}
    cases: list[tuple[str, dict[str, Any], int]] = [
        ("/api/submit", {"user": "hana", "data": rhythm}, 200),
        ("/api/submit", {"user": "hana", "data": {"form": "raise", "title": ["x"]}}, 200),
        ("/api/submit", {"user": "hana", "data": {"form": "raise", "title": 5}}, 200),
        ("/api/submit", {"user": "hana", "data": {"form": "raise", "title": None}}, 200),
        ("/api/submit", {"user": "hana", "data": {"form": {"nested": 1}}}, 200),
        ("/api/submit", {"user": "hana", "data": [1]}, 400),
        ("/api/command", {"user": "hana", "text": ["list"]}, 400),
        ("/api/command", {"user": ["hana"], "text": "list"}, 400),
        ("/api/command", {"user": "hana", "text": "list", "channel": "abc"}, 400),
        ("/api/command", {"user": "hana", "text": "list", "channel": "9" * 40}, 400),
        ("/api/command", {"user": "hana", "text": "list", "channel": "99999"}, 404),
        ("/api/command", {"user": "hana", "text": "list", "key": ["k"]}, 200),
        ("/api/command", {"user": "hana", "text": "nonsense", "key": "\udfff"}, 200),
        ("/api/submit", {"user": "hana", "data": {"form": "raise"}, "key": "\ud800"}, 200),
    ]
    for path, body, status in cases:
        got, text = call(url, "POST", path, body)
        assert got == status, (body, got, text)
        if got == 200:
            assert json.loads(text)["ok"] is False or body.get("text") == "list"
    for path in ("/api/channels/abc/messages", "/api/channels/" + "9" * 40 + "/messages"):
        assert call(url, "GET", path + "?user=hana")[0] == 400
    assert row_counts(bot.db) == before
    assert "Traceback" not in caplog.text


# Fuzzing ------------------------------------------------------------------------------------


@FUZZ
@given(user=st.sampled_from(["olly", "hana", "stranger"]), text=COMMANDS | TEXT)
def test_fuzz_commands_through_the_engine(bot: Driver, user: str, text: str) -> None:
    before = row_counts(bot.engine.db)
    reply = bot.cmd(user, text)
    assert reply.text and reply.text != FAILED
    if not reply.ok:  # nothing half stored: a refusal writes only its audit event
        changed = {k for k, v in row_counts(bot.engine.db).items() if v != before[k]}
        assert changed <= {"audit_events"}, (text, changed)


@FUZZ
@given(user=st.sampled_from(["olly", "hana"]), data=FORMS)
def test_fuzz_forms_through_the_engine(bot: Driver, user: str, data: dict[str, Any]) -> None:
    before = row_counts(bot.engine.db)
    reply = bot.submit(user, data)
    assert reply.text and reply.text != FAILED
    if not reply.ok:
        changed = {k for k, v in row_counts(bot.engine.db).items() if v != before[k]}
        assert changed <= {"audit_events"}, (data, changed)


@FUZZ_HTTP
@given(
    body=st.one_of(
        st.fixed_dictionaries({"user": VALUES, "text": COMMANDS | VALUES, "channel": VALUES}),
        st.fixed_dictionaries(
            {"user": st.sampled_from(["olly", "hana"]), "text": COMMANDS, "key": KEYS}
        ),
        st.fixed_dictionaries({"user": st.just("olly"), "data": FORMS, "key": KEYS}),
        st.fixed_dictionaries({"user": st.just("olly"), "data": FORMS | VALUES}),
        VALUES,
    ),
    path=st.sampled_from(["/api/command", "/api/submit"]),
)
def test_fuzz_the_workspace_over_http(local: tuple[str, Any], body: Any, path: str) -> None:
    url, bot = local
    before = row_counts(bot.db)
    status, text = call(url, "POST", path, body)
    assert status < 500, text
    if status != 200 or not json.loads(text).get("ok"):
        assert row_counts(bot.db)["audit_events"] >= before["audit_events"]
        changed = {k for k, v in row_counts(bot.db).items() if v != before[k]}
        assert changed <= {"audit_events"}, changed  # a refusal records only its audit


@FUZZ_HTTP
@given(
    payload=VALUES
    | st.fixed_dictionaries(
        {
            "type": st.sampled_from(["view_submission", "block_actions", "shortcut"]),
            "user": st.fixed_dictionaries({"id": st.just("U0OLLY")}) | VALUES,
        },
        optional={"view": VALUES, "actions": VALUES, "trigger_id": VALUES},
    ),
    command=COMMANDS,
)
def test_fuzz_slack_over_http(
    slack: SlackWorld,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
    payload: Any,
    command: str,
) -> None:
    status, _ = slack.interact(payload)  # type: ignore[arg-type]
    assert status < 500
    status, _ = slack.slash("olly", command)
    assert status < 500
    assert "Traceback" not in caplog.text
