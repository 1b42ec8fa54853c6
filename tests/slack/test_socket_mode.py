"""Slack over Socket Mode (no public URL), end to end: the fake Web API hands out a ``ws://``
URL on loopback where a fake Socket Mode endpoint speaks Slack's envelope protocol."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Bot
from bot.config import Settings
from bot.workspace.sign_in import set_secret
from commands.core.clock import ManualClock
from storage.models import Issue
from tests.conftest import START
from tests.fakes.fake_slack import FakeSlack
from tests.fakes.fake_socket import FakeSocketMode
from tests.fakes.server import call, running, serving
from tests.fakes.slack_world import FULL, SECRET, SEED, TOKEN, USERS, SlackWorld, submission
from tests.fakes.workspace import get, sign_in

APP_TOKEN = "xapp-1-A111-222-" + "f0e1d2c3b4a5" * 3


@dataclass
class SocketWorld:
    fake: FakeSlack
    socket: FakeSocketMode
    bot: Bot
    general: str
    http: SlackWorld  # the same bot over HTTP, to show it keeps serving
    _n: int = 0

    def slash(self, user: str, text: str) -> str:
        self._n += 1
        return self.socket.send(
            "slash_commands",
            {
                "token": "unused",
                "team_id": "T1",
                "team_domain": "opss",
                "channel_id": self.general,
                "channel_name": "opss",
                "user_id": USERS[user],
                "user_name": user,
                "command": "/opss",
                "text": text,
                "api_app_id": "A1",
                "response_url": f"{self.fake.base_url}/respond/sm{self._n}",
                "trigger_id": f"sm-trigger-{self._n}",
            },
        )

    def opened_view(self, count: int) -> dict[str, Any]:
        self.fake.wait_for(lambda f: len(f.ok_calls("views.open")) >= count)
        view = self.fake.ok_calls("views.open")[count - 1].args["view"]
        return json.loads(view) if isinstance(view, str) else view

    def issues(self) -> list[str]:
        with self.bot.db.read() as s:
            return [i.title for i in s.scalars(select(Issue).order_by(Issue.id))]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nobody listens


@pytest.fixture
def world(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest
) -> Iterator[SocketWorld]:
    caplog.set_level(logging.INFO)
    fake = FakeSlack(TOKEN, app_token=APP_TOKEN)
    general = fake.add_channel("opss", member=True, private=False)
    imt = fake.add_channel("opss-imt", member=True, private=False)
    sockets = FakeSocketMode()
    seed = tmp_path / "people.toml"
    seed.write_text(SEED)
    unreachable = getattr(request, "param", False)
    with serving(fake.app()) as fake_url, serving(sockets.app()) as socket_http:
        fake.base_url = fake_url
        fake.socket_url = (
            f"ws://127.0.0.1:{closed_port()}/link"
            if unreachable
            else socket_http.replace("http://", "ws://") + "/link"
        )
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'socket.sqlite3'}",
            local_workspace=False,
            seed_file=seed,
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_app_token=APP_TOKEN,
            slack_api_url=f"{fake_url}/api/",
            slack_imt_channel=imt,
            outbox_poll_seconds=0.1,
            outbox_pace_seconds=0,
            socket_retry_seconds=0.2,
            functional_areas=["Gas and Electrical", "Toys and Childcare"],
        )
        clock = ManualClock(START)
        with running(settings, clock) as (url, bot):
            yield SocketWorld(
                fake, sockets, bot, general, SlackWorld(url, fake, bot, clock, general, imt)
            )
    assert fake.invalid == []
    assert APP_TOKEN not in caplog.text and TOKEN not in caplog.text


def test_raise_through_a_modal_over_socket_mode(world: SocketWorld) -> None:
    world.socket.wait_for(lambda s: s.connections == 1)
    envelope = world.slash("olly", "raise Gas hob elbow joints leaking")
    assert world.socket.ack(envelope) == {"envelope_id": envelope}  # acknowledged at once
    view = world.opened_view(1)

    missing = submission("olly", view, FULL | {"hazard": None})
    ack = world.socket.ack(world.socket.send("interactive", missing))
    assert ack["payload"]["response_action"] == "errors"
    assert "hazard" in ack["payload"]["errors"]
    assert world.issues() == []  # nothing half stored

    ack = world.socket.ack(world.socket.send("interactive", submission("olly", view, FULL)))
    assert ack.get("payload", {}).get("response_action") is None  # the modal closes
    assert world.issues() == ["Gas hob elbow joints leaking"]
    # The card reaches the channel through the outbox, as over HTTP.
    world.fake.wait_for(
        lambda f: any(
            "raised ISS-2026-0001" in c.args.get("text", "") and c.args["channel"] == world.general
            for c in f.ok_calls("chat.postMessage")
        )
    )


def test_reconnects_when_slack_asks(world: SocketWorld) -> None:
    world.socket.wait_for(lambda s: s.connections == 1)
    world.socket.disconnect()
    world.socket.wait_for(lambda s: s.connections == 2)
    assert len(world.fake.ok_calls("apps.connections.open")) == 2  # a fresh URL each time
    envelope = world.slash(
        "olly",
        "raise Kettle base sparks --products K1 --hazard Fire --source public "
        '--area "Gas and Electrical"',
    )
    assert world.socket.ack(envelope)["envelope_id"] == envelope  # on the new connection
    world.http.replied("Raised ISS-2026-0001")
    assert world.issues() == ["Kettle base sparks"]


@pytest.mark.parametrize("world", [True], indirect=True)
def test_an_unreachable_socket_leaves_the_rest_serving(world: SocketWorld) -> None:
    # The bot keeps asking Slack for a connection ...
    world.fake.wait_for(lambda f: len(f.ok_calls("apps.connections.open")) >= 1)
    assert world.socket.connections == 0
    # ... while /slack/events, the engine and the outbox work as ever.
    status, _ = world.http.slash("olly", "raise Kettle base sparks")
    assert status == 200
    view = world.http.opened_view(1)
    status, body = world.http.interact(submission("olly", view, FULL))
    assert status == 200 and body == ""
    assert world.issues() == ["Kettle base sparks"]
    world.fake.wait_for(
        lambda f: any(
            "raised ISS-2026-0001" in c.args.get("text", "") for c in f.ok_calls("chat.postMessage")
        )
    )


def test_with_slack_unreachable_the_port_opens_and_the_workspace_serves(tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{closed_port()}/api/"
    seed = tmp_path / "people.toml"
    seed.write_text('[[people]]\nname = "olly"\ndisplay_name = "Olly"\nroles = []\n')
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        local_workspace=True,
        workspace_sign_in="password",  # beside a chat platform, never pick-a-name
        seed_file=seed,
        slack_bot_token=TOKEN,
        slack_signing_secret=SECRET,
        slack_app_token=APP_TOKEN,
        slack_api_url=nowhere,  # neither the Web API nor Socket Mode answers
        socket_retry_seconds=0.2,
    )
    with running(settings, ManualClock(START)) as (url, bot):
        status, body = get(f"{url}/readyz")
        assert status == 200, body
        set_secret(bot.db, "olly", "olly's long secret", START)
        _, cookie = sign_in(url, "olly", "olly's long secret")
        assert cookie
        state = json.loads(call(url, "GET", "/api/state", headers={"Cookie": cookie})[1])
        text = (
            "raise Kettle base sparks --products K1 --hazard Fire --source public "
            '--area "Gas and Electrical"'
        )
        body_ = {"channel": state["general"], "text": text}
        status, body = call(url, "POST", "/api/command", body_, headers={"Cookie": cookie})
        assert status == 200 and "Raised ISS-2026-0001" in json.loads(body)["text"]
