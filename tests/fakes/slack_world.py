"""The bot with Slack on: signed slash commands and interactivity payloads (Slack's wire
format) sent over HTTP to the running bot, whose SLACK_API_URL points at the fake Web API
on loopback. Test modules take the ``slack`` fixture by importing it from here."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Bot
from bot.config import Settings
from commands.core.clock import ManualClock
from storage.models import InboxRequest, OutboxMessage
from tests.conftest import ALL_INDICATORS, START
from tests.fakes.clocks import RealTime
from tests.fakes.fake_slack import FakeSlack
from tests.fakes.server import running, serving

TOKEN = "xoxb-1111-2222-" + "a1b2c3d4e5f6" * 2


SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


REF = "ISS-2026-0001"


USERS = {
    "hana": "U0HANA",
    "ian": "U0IAN",
    "fatima": "U0FATIMA",
    "david": "U0DAVID",
    "sara": "U0SARA",
    "rachel": "U0RACHEL",
    "olly": "U0OLLY",
}


SEED = """
[[people]]
name = "hana"
display_name = "Hana Patel"
roles = ["head_of_imt", "admin"]
identities = { slack = "U0HANA" }
[[people]]
name = "ian"
display_name = "Ian Brooks"
roles = ["imt"]
trained = [
    { role = "secretariat", on = 2025-01-13, expires = 2030-01-13 },
    { role = "loggist", on = 2025-01-13, expires = 2030-01-13 },
]
identities = { slack = "U0IAN" }
[[people]]
name = "fatima"
display_name = "Fatima Khan"
roles = [{ role = "ftl", area = "Gas and Electrical" }]
trained = [
    { role = "ftl_deputy", on = 2025-01-13, expires = 2030-01-13 },
    { role = "tcg_chair", on = 2025-01-13, expires = 2030-01-13 },
    { role = "bird_table_chair", on = 2025-01-13, expires = 2030-01-13 },
    { role = "communications_lead", on = 2025-01-13, expires = 2030-01-13 },
]
identities = { slack = "U0FATIMA" }
[[people]]
name = "david"
display_name = "David Osei"
roles = [{ role = "deputy_director", area = "Targeting" }]
trained = [
    { role = "scg_chair", on = 2025-01-13, expires = 2030-01-13 },
]
identities = { slack = "U0DAVID" }
[[people]]
name = "sara"
display_name = "Sara Lind"
roles = ["scs"]
identities = { slack = "U0SARA" }
[[people]]
name = "rachel"
display_name = "Rachel Moore"
roles = [{ role = "deputy_chief_executive", area = "Regulation" }]
identities = { slack = "U0RACHEL" }
[[people]]
name = "olly"
display_name = "Olly Reed"
roles = []
trained = [
    { role = "senior_investigation_officer", on = 2025-01-13, expires = 2030-01-13 },
]
identities = { slack = "U0OLLY" }
"""


@dataclass
class SlackWorld:
    url: str
    fake: FakeSlack
    bot: Bot
    clock: ManualClock
    general: str
    imt: str
    _n: int = 0
    # The outbox's real-time clock, moved by the test: a retry is due when the test says so,
    # and no test waits for a backoff on the wall clock.
    real: RealTime = field(default_factory=RealTime)

    # Sending Slack's requests --------------------------------------------------------------

    def post(
        self,
        body: str,
        content_type: str,
        *,
        signature: str | None = None,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10,
    ) -> tuple[int, str]:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        base = f"v0:{ts}:{body}".encode()
        sig = signature or "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            f"{self.url}/slack/events",
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": sig,
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def command_body(self, user: str, text: str, channel: str | None = None) -> str:
        self._n += 1
        return urllib.parse.urlencode(
            {
                "token": "unused",
                "team_id": "T1",
                "team_domain": "opss",
                "channel_id": channel or self.general,
                "channel_name": "opss",
                "user_id": USERS[user],
                "user_name": user,
                "command": "/opss",
                "text": text,
                "api_app_id": "A1",
                "response_url": f"{self.fake.base_url}/respond/{self._n}",
                "trigger_id": f"trigger-{self._n}",
            }
        )

    def slash(self, user: str, text: str, **kw: Any) -> tuple[int, str]:
        return self.post(self.command_body(user, text), "application/x-www-form-urlencoded", **kw)

    def interact(self, payload: dict[str, Any]) -> tuple[int, str]:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self.post(body, "application/x-www-form-urlencoded")

    def event(self, event: dict[str, Any]) -> tuple[int, str]:
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T1",
                "api_app_id": "A1",
                "event": event,
                "event_id": f"Ev{self._n}",
                "event_time": 1,
            }
        )
        return self.post(body, "application/json")

    # Reading what the bot did --------------------------------------------------------------

    def mark(self) -> tuple[int, int]:
        """Where the replies stand now, so a wait only counts replies that come after it."""
        return len(self.fake.responses), len(self.fake.ok_calls("chat.postEphemeral"))

    def replied(self, pattern: str, since: tuple[int, int] = (0, 0)) -> dict[str, Any]:
        """Wait for an ephemeral reply (response_url or chat.postEphemeral) containing text."""

        def found(fake: FakeSlack) -> bool:
            return self._reply(pattern, since) is not None

        self.fake.wait_for(found)
        reply = self._reply(pattern, since)
        assert reply is not None
        return reply

    def _reply(self, pattern: str, since: tuple[int, int]) -> dict[str, Any] | None:
        texts = [r for r in self.fake.responses[since[0] :] if pattern in r.get("text", "")]
        texts += [
            c.args
            for c in self.fake.ok_calls("chat.postEphemeral")[since[1] :]
            if pattern in c.args.get("text", "")
        ]
        return texts[-1] if texts else None

    def opened_view(self, count: int) -> dict[str, Any]:
        self.fake.wait_for(lambda f: len(f.ok_calls("views.open")) >= count)
        view = self.fake.ok_calls("views.open")[count - 1].args["view"]
        return json.loads(view) if isinstance(view, str) else view

    def retry_recorded(self) -> bool:
        with self.bot.db.read() as s:
            # A failed attempt, recorded: not a delivery (which counts an attempt too).
            failed = select(OutboxMessage).where(
                OutboxMessage.status == "pending", OutboxMessage.attempts > 0
            )
            return s.scalar(failed) is not None

    def inbox_done(self) -> int:
        assert self.bot.slack is not None
        with self.bot.slack.inbox.db.read() as s:
            return len(
                s.scalars(select(InboxRequest).where(InboxRequest.done_at.isnot(None))).all()
            )

    def db_count(self, model: type) -> int:
        with self.bot.db.read() as s:
            return len(s.scalars(select(model)).all())


def button_press(
    user_id: str,
    username: str,
    channel: str,
    command: str,
    response_url: str,
    *,
    action_ts: str = "1764000001.1",
    trigger_id: str = "t-press",
) -> dict[str, Any]:
    """A card's button, as Slack sends it (block_actions)."""
    return {
        "type": "block_actions",
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "user": {"id": user_id, "username": username},
        "trigger_id": trigger_id,
        "channel": {"id": channel},
        "container": {"type": "message", "message_ts": "1", "channel_id": channel},
        "actions": [
            {
                "action_id": "opss_cmd_0",
                "block_id": "b",
                "type": "button",
                "value": command,
                "action_ts": action_ts,
            }
        ],
        "response_url": response_url,
    }


def submission(
    user: str, view: dict[str, Any], values: dict[str, Any], view_id: str = "V1"
) -> dict[str, Any]:
    """A view_submission payload whose state holds ``values`` typed per input element."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        name, kind = element["action_id"], element["type"]
        value = values.get(name, _initial(element))
        entry: dict[str, Any] = {"type": kind}
        if kind == "plain_text_input":
            entry["value"] = value
        elif kind in {"static_select", "radio_buttons"}:
            entry["selected_option"] = {"value": value} if value else None
        elif kind in {"checkboxes", "multi_static_select"}:
            entry["selected_options"] = [{"value": v} for v in (value or [])]
        elif kind == "datepicker":
            entry["selected_date"] = value
        elif kind == "timepicker":
            entry["selected_time"] = value
        elif kind == "users_select":
            entry["selected_user"] = value
        state[block["block_id"]] = {name: entry}
    return {
        "type": "view_submission",
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "user": {"id": USERS[user], "username": user},
        "trigger_id": "t-sub",
        "view": {
            "id": view_id,
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "hash": "h1",
            "state": {"values": state},
        },
    }


def _initial(element: dict[str, Any]) -> Any:
    if "initial_value" in element:
        return element["initial_value"]
    if "initial_option" in element:
        return element["initial_option"]["value"]
    if "initial_options" in element:
        return [o["value"] for o in element["initial_options"]]
    return element.get("initial_date") or element.get("initial_time") or element.get("initial_user")


@pytest.fixture
def slack(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[SlackWorld]:
    caplog.set_level(logging.DEBUG)
    fake = FakeSlack(TOKEN)
    general = fake.add_channel("opss", member=True, private=False)
    imt = fake.add_channel("opss-imt", member=True, private=False)
    seed = tmp_path / "people.toml"
    seed.write_text(SEED)
    with serving(fake.app()) as fake_url:
        fake.base_url = fake_url
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'slack.sqlite3'}",
            local_workspace=False,
            seed_file=seed,
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=f"{fake_url}/api/",
            slack_imt_channel=imt,
            outbox_poll_seconds=0.1,
            outbox_pace_seconds=0,
            functional_areas=["Gas and Electrical", "Toys and Childcare"],
        )
        clock = ManualClock(START)
        with running(settings, clock) as (url, bot):
            world = SlackWorld(url, fake, bot, clock, general, imt)
            bot.outbox.monotonic = world.real
            yield world
    # Whatever the test did: every Block Kit payload was valid, and no secret was logged.
    assert fake.invalid == []
    assert TOKEN not in caplog.text and SECRET not in caplog.text


FULL = {
    "products": "Elbow joint EJ-15",
    "hazard": "Gas escape",
    "source": "business",
    "functional_area": "Gas and Electrical",
}


def run(slack: SlackWorld, user: str, text: str, expect: str) -> None:
    since = slack.mark()
    status, _ = slack.slash(user, text)
    assert status == 200
    slack.replied(expect, since)


RATINGS = " ".join(f"{k}=high" for k in ALL_INDICATORS)


def declare_through_slack(slack: SlackWorld, midway: Callable[[], None] | None = None) -> None:
    """Raise an issue with slash commands and walk it up the ladder to a declared incident
    (``midway`` runs once it is at TTG)."""
    run(
        slack,
        "olly",
        'raise Gas hob elbow joints leaking --products "EJ-15" '
        '--hazard "Gas escape" --source business --area "Gas and Electrical"',
        f"Raised {REF}",
    )
    for user, move, expect in (
        ("fatima", "", "to FTL assessment"),
        ("fatima", " cam", "to CAM"),
    ):
        run(slack, user, f"assess {REF} {RATINGS}", "overall High")
        run(slack, user, f"escalate {REF}{move}", expect)
    run(slack, "ian", f"assess {REF} {RATINGS}", "overall High")
    run(
        slack,
        "ian",
        f"nnc {REF} novel=yes nationally_significant=no contentious=no "
        '--novel-rationale "New failure" --nationally-significant-rationale "Few LAs" '
        '--contentious-rationale "Agreed fix"',
        "criteria met: Novel",
    )
    run(slack, "ian", f"escalate {REF} ttg", "to TTG")
    if midway is not None:
        midway()
    run(slack, "david", f"assess {REF} {RATINGS}", "overall High")
    run(slack, "rachel", f"escalate {REF} cam-ep --lead david", "to CAM-EP")
    run(slack, "david", f"assess {REF} {RATINGS}", "overall High")
    run(slack, "olly", f"conference {REF}", "Only a deputy director or higher")
    run(
        slack,
        "david",
        f'conference {REF} --when now --background "Leaks"',
        "Case conference CC-2026-0001",
    )
    run(
        slack,
        "ian",
        'outcome CC-2026-0001 --outcome declare_incident --rationale "Serious" '
        '--chair "David Osei"',
        "Declare an incident",
    )
    run(
        slack,
        "hana",
        f"declare {REF} --scg-chair david --tcg-chair fatima",
        "declared as incident INC-2026-001",
    )
