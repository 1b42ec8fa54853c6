"""Teams end to end: Bot Framework activities, with tokens signed like the channel's, sent over
HTTP to ``/api/messages`` of the running bot. The activities' ``serviceUrl`` and
``GRAPH_API_URL`` point at a fake Bot Connector and a fake Graph on loopback.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Bot, build
from bot.config import Settings
from commands.clock import ManualClock
from storage.models import Issue
from tests.conftest import ALL_INDICATORS, START, row_counts
from tests.fake_teams import (
    CONNECTOR_TOKEN,
    GRAPH_TOKEN,
    FakeConnector,
    FakeGraph,
    Identity,
    fixed_credentials,
)
from tests.server import running, serving

APP_ID = "5b8f6d7e-0c43-4d1f-9a5e-opss00000001"
TENANT = "72f988bf-0000-4000-8000-0000000000aa"
TEAM = "19:team-opss@thread.tacv2"
GENERAL = "19:general@thread.tacv2"
INCIDENTS = "19:incidents@thread.tacv2"
IMT = "19:imt@thread.tacv2"
BOT = f"28:{APP_ID}"
REF = "ISS-2026-0001"
PEOPLE = {  # name: (display name, Teams id, Azure AD object id)
    "hana": ("Hana Patel", "29:hana", "aad-hana"),
    "ian": ("Ian Brooks", "29:ian", "aad-ian"),
    "fatima": ("Fatima Khan", "29:fatima", "aad-fatima"),
    "david": ("David Osei", "29:david", "aad-david"),
    "olly": ("Olly Reed", "29:olly", "aad-olly"),
}
# Hana is linked by her Teams id and to Slack as well; the others by Azure AD object id.
SEED = """
[[people]]
name = "hana"
display_name = "Hana Patel"
roles = ["head_of_imt", "admin"]
identities = { slack = "U0HANA", teams = "29:hana" }
[[people]]
name = "ian"
display_name = "Ian Brooks"
roles = ["imt"]
identities = { teams = "aad-ian" }
[[people]]
name = "fatima"
display_name = "Fatima Khan"
roles = [{ role = "ftl", area = "Gas and Electrical" }]
identities = { teams = "aad-fatima" }
[[people]]
name = "david"
display_name = "David Osei"
roles = ["deputy_director"]
identities = { teams = "aad-david" }
[[people]]
name = "olly"
display_name = "Olly Reed"
roles = []
identities = { teams = "aad-olly" }
"""


@dataclass
class TeamsWorld:
    url: str
    connector: FakeConnector
    graph: FakeGraph
    identity: Identity
    bot: Bot
    clock: ManualClock

    # Sending the channel's activities ------------------------------------------------------

    def send(self, activity: dict[str, Any], token: str | None = "valid") -> tuple[int, Any]:
        if token == "valid":
            token = self.identity.token(APP_ID, activity["serviceUrl"])
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            f"{self.url}/api/messages",
            data=json.dumps(activity).encode(),
            method="POST",
            headers=headers,
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                raw = response.read().decode()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            raw = err.read().decode()
            return err.code, json.loads(raw) if raw.startswith("{") else raw

    def activity(self, user: str, kind: str = "message", where: str = "personal") -> dict[str, Any]:
        shown, teams_id, aad = PEOPLE[user]
        if where == "personal":
            conversation = {
                "id": f"a:personal-{teams_id}",
                "conversationType": "personal",
                "tenantId": TENANT,
            }
            data: dict[str, Any] = {"tenant": {"id": TENANT}}
        else:
            conversation = {
                "id": f"{where};messageid=1764000000001",
                "conversationType": "channel",
                "isGroup": True,
                "tenantId": TENANT,
            }
            data = {"tenant": {"id": TENANT}, "team": {"id": TEAM}, "channel": {"id": where}}
        return {
            "type": kind,
            "id": uuid.uuid4().hex,
            "timestamp": "2026-11-23T09:30:00.000Z",
            "serviceUrl": self.connector.url,
            "channelId": "msteams",
            "from": {"id": teams_id, "name": shown, "aadObjectId": aad},
            "conversation": conversation,
            "recipient": {"id": BOT, "name": "OPSS"},
            "channelData": data,
        }

    def say(self, user: str, text: str, where: str = "personal") -> tuple[int, Any]:
        activity = self.activity(user, where=where)
        if where == "personal":
            activity["text"] = text
        else:
            activity["text"] = f"<at>OPSS</at> {text}"
            activity["entities"] = [
                {
                    "type": "mention",
                    "text": "<at>OPSS</at>",
                    "mentioned": {"id": BOT, "name": "OPSS"},
                }
            ]
        return self.send(activity)

    def execute(self, user: str, data: dict[str, Any], where: str = "personal") -> tuple[int, Any]:
        """Action.Execute: the card's data with the inputs merged in."""
        activity = self.activity(user, "invoke", where)
        activity["name"] = "adaptiveCard/action"
        activity["value"] = {"action": {"type": "Action.Execute", "verb": "opss", "data": data}}
        return self.send(activity)

    def submit(self, user: str, data: dict[str, Any], reply_to: str) -> tuple[int, Any]:
        """Action.Submit: a message whose value holds the data, replying to the card's message."""
        activity = self.activity(user)
        activity["value"] = data
        activity["replyToId"] = reply_to
        return self.send(activity)

    # Reading what the bot did --------------------------------------------------------------

    def personal(self, user: str) -> str:
        return f"a:personal-{PEOPLE[user][1]}"

    def last_card(self, conversation: str) -> dict[str, Any]:
        posts = [m for m in self.connector.posts(conversation) if m.get("attachments")]
        assert posts, f"no card in {conversation}: {self.connector.texts(conversation)}"
        return posts[-1]["attachments"][0]["content"]

    def said(self, conversation: str, pattern: str) -> None:
        def found(c: FakeConnector) -> bool:
            return any(pattern in _flat(m) for m in c.posts(conversation))

        self.connector.wait_for(found)


def _flat(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in card["body"] if e.get("type", "").startswith("Input.")}


def action_data(card: dict[str, Any]) -> dict[str, Any]:
    (action,) = [a for a in card["actions"] if a["type"] == "Action.Execute"]
    return dict(action["data"])


def world_settings(tmp_path: Path, graph_url: str, metadata_url: str, issuer: str) -> Settings:
    seed = tmp_path / "people.toml"
    seed.write_text(SEED)
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'teams.sqlite3'}",
        local_workspace=False,
        seed_file=seed,
        microsoft_app_id=APP_ID,
        microsoft_app_password="not-used-with-fixed-tokens",
        microsoft_app_tenant_id=TENANT,
        teams_team_id=TEAM,
        teams_incidents_channel_id=INCIDENTS,
        teams_imt_channel_id=IMT,
        graph_api_url=graph_url,
        teams_openid_metadata_url=metadata_url,
        teams_token_issuer=issuer,
        outbox_poll_seconds=0.1,
        outbox_pace_seconds=0,
        functional_areas=["Gas and Electrical", "Toys and Childcare"],
    )


@pytest.fixture
def teams(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[TeamsWorld]:
    caplog.set_level(logging.DEBUG)
    connector, graph, identity = FakeConnector(), FakeGraph(), Identity()
    with (
        identity.serving() as metadata_url,
        serving(connector.app()) as connector_url,
        serving(graph.app()) as graph_url,
    ):
        connector.url = connector_url
        settings = world_settings(tmp_path, graph_url, metadata_url, identity.issuer)
        clock = ManualClock(START)
        with running(settings, clock, teams_credentials=fixed_credentials(APP_ID)) as (url, bot):
            world = TeamsWorld(url, connector, graph, identity, bot, clock)
            # The app is installed in the team: Teams tells the bot about the team's channels.
            for channel in (GENERAL, IMT, INCIDENTS):
                update = world.activity("hana", "conversationUpdate", channel)
                update["conversation"]["id"] = channel
                update["membersAdded"] = [{"id": BOT}]
                assert world.send(update)[0] in (200, 201)
            yield world
    # Whatever the test did, no token was logged.
    for secret in (CONNECTOR_TOKEN, GRAPH_TOKEN):
        assert secret not in caplog.text


FULL = {
    "products": "Elbow joint EJ-15",
    "hazard": "Gas escape",
    "source": "business",
    "functional_area": "Gas and Electrical",
}


def test_raise_with_a_form_an_invalid_submission_and_the_card_updated_in_place(
    teams: TeamsWorld,
) -> None:
    status, _ = teams.say("olly", "opss raise Gas hob elbow joints leaking")
    assert status == 201
    chat = teams.personal("olly")
    teams.connector.wait_for(lambda c: any(m.get("attachments") for m in c.posts(chat)))
    form = teams.last_card(chat)
    fields = inputs(form)
    assert fields["title"]["value"] == "Gas hob elbow joints leaking"
    assert fields["hazard"]["isRequired"] is True
    data = action_data(form)
    assert data["form"] == "raise"

    # Hazard left empty: the same form comes back with the problem beside the field.
    status, body = teams.execute(
        "olly", {**data, "title": fields["title"]["value"], **FULL, "hazard": ""}
    )
    assert status == 200
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    again = body["value"]
    ids = [e.get("id") for e in again["body"]]
    error_at = next(
        i
        for i, e in enumerate(again["body"])
        if e.get("color") == "Attention" and "Hazard" in e["text"]
    )
    assert ids[error_at - 1] == "hazard" or again["body"][error_at - 1].get("isSubtle")
    with teams.bot.db.read() as s:
        assert s.scalars(select(Issue)).all() == []

    status, body = teams.execute("olly", {**data, "title": "Gas hob elbow joints leaking", **FULL})
    assert status == 200
    answer = json.dumps(body["value"])
    assert f"Raised {REF}" in answer
    with teams.bot.db.read() as s:
        (issue,) = s.scalars(select(Issue)).all()
        assert issue.surface == "teams"
    # IMT is told in its channel, through the outbox.
    teams.said(IMT, REF)


def _bad_tokens(teams: TeamsWorld, service_url: str) -> dict[str, str | None]:
    identity = teams.identity
    return {
        "none": None,
        "garbage": "not-a-token",
        "unknown key": identity.token(APP_ID, service_url, kid="someone-elses-key"),
        "wrong key": identity.token(APP_ID, service_url, key=identity.other_key),
        "wrong audience": identity.token("another-bot", service_url),
        "wrong issuer": identity.token(APP_ID, service_url, issuer="https://evil.example"),
        "expired": identity.token(APP_ID, service_url, expires_in=-3600),
        "alg none": identity.token(APP_ID, service_url, algorithm="none"),
        "wrong serviceUrl": identity.token(APP_ID, "https://smba.evil.example/"),
    }


def test_every_bad_token_is_refused_with_401_and_changes_nothing(teams: TeamsWorld) -> None:
    before = row_counts(teams.bot.db)
    calls = len(teams.connector.calls)
    for name, token in _bad_tokens(teams, teams.connector.url).items():
        activity = teams.activity("olly")
        activity["text"] = (
            f'opss raise {name} --products p --hazard h --source public --area "Gas and Electrical"'
        )
        status, _ = teams.send(activity, token=token)
        assert status == 401, name
    assert row_counts(teams.bot.db) == before
    assert len(teams.connector.calls) == calls
    # The same activity with a good token is accepted.
    status, _ = teams.say(
        "olly",
        'opss raise Good --products p --hazard h --source public --area "Gas and Electrical"',
    )
    assert status == 201
    with teams.bot.db.read() as s:
        assert [i.title for i in s.scalars(select(Issue))] == ["Good"]


def test_the_signing_keys_are_fetched_off_the_event_loop(tmp_path: Path) -> None:
    """While botbuilder waits for the identity service, the server still answers others."""
    identity = Identity()
    gate = threading.Event()
    identity.gate = gate
    with identity.serving() as metadata_url, serving(FakeConnector().app()) as connector_url:
        settings = world_settings(tmp_path, "http://127.0.0.1:9", metadata_url, identity.issuer)
        with running(settings, ManualClock(START), teams_credentials=fixed_credentials(APP_ID)) as (
            url,
            _bot,
        ):
            world = TeamsWorld(
                url,
                FakeConnector(url=connector_url),
                FakeGraph(),
                identity,
                _bot,
                ManualClock(START),
            )
            activity = world.activity("olly")
            activity["text"] = "opss help"
            result: list[int] = []
            sender = threading.Thread(target=lambda: result.append(world.send(activity)[0]))
            sender.start()
            while identity.metadata_fetches == 0:
                sender.join(timeout=0.01)
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as health:
                assert health.status == 200  # answered while the key fetch is held
            gate.set()
            sender.join(timeout=20)
            assert result == [201]


def test_without_an_app_id_the_endpoint_is_off(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}", local_workspace=False)
    with running(settings, ManualClock(START)) as (url, _bot):
        request = urllib.request.Request(
            f"{url}/api/messages", data=b"{}", headers={"Content-Type": "application/json"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code in (404, 405)


def test_unauthenticated_teams_is_refused_off_loopback(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}",
        local_workspace=False,
        teams_allow_unauthenticated=True,
        host="0.0.0.0",
    )
    with pytest.raises(ValueError, match="TEAMS_ALLOW_UNAUTHENTICATED"):
        build(settings, ManualClock(START))
