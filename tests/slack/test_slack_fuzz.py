"""Slack's interactivity payloads, fuzzed (hypothesis, a fixed derandomised budget): signed
payloads of Slack's shape whose fields (``type``, ``action_id``, ``value``, ``view``,
``channel``, ``callback_id`` …) are of any JSON type answer 200 or 400, never 5xx, and leave
no traceback in the log."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cards import blockkit
from tests.fakes.hostile import FUZZ_HTTP, VALUES
from tests.fakes.slack_world import SlackWorld
from tests.fakes.slack_world import slack as slack

TEXT = st.text(max_size=20)
KINDS = st.sampled_from(
    ["block_actions", "view_submission", "view_closed", "shortcut", "message_action"]
)
ACTION = st.fixed_dictionaries(
    {},
    optional={
        "action_id": st.sampled_from(
            [f"{blockkit.ACTION_PREFIX}1", f"{blockkit.LINK_PREFIX}1", "other"]
        )
        | VALUES,
        "value": st.sampled_from(["help", "list"]) | VALUES,
        "block_id": TEXT | VALUES,
        "action_ts": TEXT | VALUES,
        "type": st.just("button") | VALUES,
    },
)
VIEW = st.fixed_dictionaries(
    {"id": st.just("V1") | VALUES},
    optional={
        "type": st.sampled_from(["modal", "home"]) | VALUES,
        "callback_id": st.just(blockkit.FORM_CALLBACK) | VALUES,
        "private_metadata": st.just("{}") | VALUES,
        "state": st.fixed_dictionaries({"values": st.just({}) | VALUES}) | VALUES,
    },
)
PAYLOAD = st.fixed_dictionaries(
    {
        "type": KINDS | VALUES,
        "user": st.fixed_dictionaries(
            {"id": st.just("U0OLLY") | VALUES}, optional={"username": TEXT | VALUES}
        )
        | VALUES,
    },
    optional={
        "actions": st.lists(ACTION, max_size=2) | VALUES,
        "view": VIEW | VALUES,
        "channel": st.fixed_dictionaries({"id": st.just("C100") | VALUES}) | VALUES,
        "callback_id": st.just("raise_as_opss_issue") | VALUES,
        "trigger_id": TEXT | VALUES,
        "response_url": VALUES,
        "message": st.fixed_dictionaries({"text": TEXT, "ts": TEXT}) | VALUES,
        "container": VALUES,
    },
)


@settings(FUZZ_HTTP, max_examples=80)
@given(payload=PAYLOAD)
def test_fuzz_slack_interactivity_payloads(
    slack: SlackWorld,
    caplog: pytest.LogCaptureFixture,
    payload: dict[str, Any],
) -> None:
    status, text = slack.interact(payload)
    assert status in {200, 400, 404}, (payload, status, text)
    assert "Traceback" not in caplog.text, caplog.text[-2000:]
