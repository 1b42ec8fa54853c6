"""The bot with Teams on: Bot Framework activities, signed by a fake identity service, sent
over HTTP to the running bot, which answers through the fake Bot Connector and makes channels
through the fake Graph, both on loopback. Test modules take the ``teams`` fixture by
importing it from here."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.app import Bot
from bot.config import Settings
from bot.teams.cards import CARD_TYPE
from commands.core.clock import ManualClock
from tests.conftest import ALL_INDICATORS, START
from tests.fakes.clocks import RealTime
from tests.fakes.fake_teams import (
    CONNECTOR_TOKEN,
    GRAPH_TOKEN,
    FakeConnector,
    FakeGraph,
    Identity,
    fixed_credentials,
)
from tests.fakes.processes import wait_until
from tests.fakes.schema import SCHEMA_PATH, teams_card_errors
from tests.fakes.server import running, serving

APP_ID = "5b8f6d7e-0c43-4d1f-9a5e-opss00000001"


TENANT = "72f988bf-0000-4000-8000-0000000000aa"


TEAM = "19:team-opss@thread.tacv2"


GENERAL = "19:general@thread.tacv2"


INCIDENTS = "19:incidents@thread.tacv2"


IMT = "19:imt@thread.tacv2"


BOT = f"28:{APP_ID}"


REF = "ISS-2026-0001"


CATALOG_ID = "e7c3f1d2-0000-4000-8000-0000000000c1"  # the app's id in the app catalog


PEOPLE = {  # name: (display name, Teams id, Azure AD object id)
    "hana": ("Hana Patel", "29:hana", "aad-hana"),
    "ian": ("Ian Brooks", "29:ian", "aad-ian"),
    "fatima": ("Fatima Khan", "29:fatima", "aad-fatima"),
    "david": ("David Osei", "29:david", "aad-david"),
    "rachel": ("Rachel Moore", "29:rachel", "aad-rachel"),
    "olly": ("Olly Reed", "29:olly", "aad-olly"),
}


# The organisation's directory in Graph: the people above (by their Azure AD object ids) and
# people the bot has never met, with Entra object ids, and a guest.
DIRECTORY = [
    *(
        {
            "id": aad,
            "displayName": shown,
            "givenName": shown.split()[0],
            "surname": shown.split()[-1],
            "userPrincipalName": f"{name}@opss.test",
            "mail": f"{name}@opss.test",
        }
        for name, (shown, _, aad) in PEOPLE.items()
    ),
    {
        "id": "3f2a9c1e-7b4d-4e8a-9f10-2c6d8e4b5a71",
        "displayName": "Priya Shah",
        "givenName": "Priya",
        "surname": "Shah",
        "userPrincipalName": "priya.shah@opss.test",
        "mail": "priya.shah@opss.test",
    },
    {
        "id": "8c0e4d2b-1a3f-4b6c-8d9e-0f1a2b3c4d5e",
        "displayName": "Patrick O'Neill",
        "givenName": "Patrick",
        "surname": "O'Neill",
        "userPrincipalName": "patrick.oneill@opss.test",
        "mail": "patrick.oneill@opss.test",
    },
    {
        "id": "5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f",
        "displayName": "Pat Guest",
        "givenName": "Pat",
        "surname": "Guest",
        "userPrincipalName": "pat_partner.test#EXT#@opss.onmicrosoft.test",
        "mail": "pat@partner.test",
    },
]


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
trained = [
    { role = "secretariat", on = 2025-01-13, expires = 2030-01-13 },
    { role = "loggist", on = 2025-01-13, expires = 2030-01-13 },
]
identities = { teams = "aad-ian" }
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
identities = { teams = "aad-fatima" }
[[people]]
name = "david"
display_name = "David Osei"
roles = [{ role = "deputy_director", area = "Targeting" }]
trained = [
    { role = "scg_chair", on = 2025-01-13, expires = 2030-01-13 },
]
identities = { teams = "aad-david" }
[[people]]
name = "rachel"
display_name = "Rachel Moore"
roles = [{ role = "deputy_chief_executive", area = "Regulation" }]
identities = { teams = "aad-rachel" }
[[people]]
name = "olly"
display_name = "Olly Reed"
roles = []
trained = [
    { role = "senior_investigation_officer", on = 2025-01-13, expires = 2030-01-13 },
]
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
    # The outbox's real-time clock, moved by the test: a retry is due when the test says so,
    # and no test waits for a backoff on the wall clock.
    real: RealTime = field(default_factory=RealTime)

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
                body = json.loads(raw) if raw else None
                if isinstance(body, dict) and body.get("type") == CARD_TYPE:
                    self.connector.cards.append(body["value"])  # checked with the rest
                self.settled()
                return response.status, body
        except urllib.error.HTTPError as err:
            raw = err.read().decode()
            return err.code, json.loads(raw) if raw.startswith("{") else raw

    def settled(self) -> None:
        """Until the messages the bot answered have had their turns (it records a message,
        answers 201 and runs its turn after: bot/teams/inbound.py)."""
        inbound = self.bot.teams.inbound if self.bot.teams is not None else None
        if inbound is not None:
            wait_until(lambda: not inbound.busy, timeout=20, what="the bot's turns")

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
        teams_app_catalog_id=CATALOG_ID,
        graph_api_url=graph_url,
        teams_openid_metadata_url=metadata_url,
        teams_token_issuer=issuer,
        outbox_poll_seconds=0.1,
        outbox_pace_seconds=0,
        functional_areas=["Gas and Electrical", "Toys and Childcare"],
    )


@pytest.fixture
def teams(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[TeamsWorld]:
    with teams_world(tmp_path, caplog) as world:
        yield world


@contextmanager
def teams_world(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, **settings_changed: Any
) -> Iterator[TeamsWorld]:
    """The world of the ``teams`` fixture, with some settings changed (e.g. standard
    incident channels)."""
    caplog.set_level(logging.DEBUG)
    connector, graph, identity = FakeConnector(), FakeGraph(), Identity()
    connector.graph = graph  # a private channel takes posts once the bot is added to it
    with (
        identity.serving() as metadata_url,
        serving(connector.app()) as connector_url,
        serving(graph.app()) as graph_url,
    ):
        connector.url = connector_url
        settings = world_settings(tmp_path, graph_url, metadata_url, identity.issuer)
        settings = settings.model_copy(update=settings_changed)
        clock = ManualClock(START)
        with running(settings, clock, teams_credentials=fixed_credentials(APP_ID)) as (url, bot):
            world = TeamsWorld(url, connector, graph, identity, bot, clock)
            bot.outbox.monotonic = world.real
            # The app is installed in the team: Teams tells the bot about the team's channels.
            for channel in (GENERAL, IMT, INCIDENTS):
                update = world.activity("hana", "conversationUpdate", channel)
                update["conversation"]["id"] = channel
                update["membersAdded"] = [{"id": BOT}]
                assert world.send(update)[0] in (200, 201)
            yield world
    # Whatever the test did, no token was logged, and every card was valid Adaptive Card 1.5.
    for secret in (CONNECTOR_TOKEN, GRAPH_TOKEN):
        assert secret not in caplog.text
    if SCHEMA_PATH.exists():  # shared/ beside the clone (tests/unit/test_cards.py insists)
        for card in connector.cards:
            assert teams_card_errors(card) == [], card["body"][0]


ORGANIZER = "aad-opss-meetings"  # the user whose Teams meetings the bot makes


@pytest.fixture
def teams_granted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[TeamsWorld]:
    """The same world, with what an administrator may grant besides: the channels' files
    (``TEAMS_CHANNEL_FILES``) and Teams meetings organised by ``ORGANIZER``."""
    caplog.set_level(logging.DEBUG)
    connector, graph, identity = FakeConnector(), FakeGraph(), Identity()
    with (
        identity.serving() as metadata_url,
        serving(connector.app()) as connector_url,
        serving(graph.app()) as graph_url,
    ):
        connector.url, graph.url = connector_url, graph_url
        settings = world_settings(tmp_path, graph_url, metadata_url, identity.issuer)
        settings = settings.model_copy(
            update={"teams_channel_files": True, "teams_meeting_organizer": ORGANIZER}
        )
        clock = ManualClock(START)
        with running(settings, clock, teams_credentials=fixed_credentials(APP_ID)) as (url, bot):
            world = TeamsWorld(url, connector, graph, identity, bot, clock)
            bot.outbox.monotonic = world.real
            for channel in (GENERAL, IMT, INCIDENTS):
                update = world.activity("hana", "conversationUpdate", channel)
                update["conversation"]["id"] = channel
                update["membersAdded"] = [{"id": BOT}]
                assert world.send(update)[0] in (200, 201)
            yield world
    for secret in (CONNECTOR_TOKEN, GRAPH_TOKEN):
        assert secret not in caplog.text
    if SCHEMA_PATH.exists():
        for card in connector.cards:
            assert teams_card_errors(card) == [], card["body"][0]


def run(teams: TeamsWorld, user: str, text: str, expect: str) -> None:
    """A command in the person's chat with the bot, and its answer there (a reply to a
    change comes through the outbox, committed with it)."""
    chat = teams.personal(user)
    seen = len(teams.connector.posts(chat))
    status, _ = teams.say(user, f"opss {text}")
    assert status == 201

    def answered(c: FakeConnector) -> bool:
        return any(expect in _flat(m) for m in c.posts(chat)[seen:])

    teams.connector.wait_for(answered)


def return_to_normal(teams: TeamsWorld, inc: str = "INC-2026-001") -> None:
    """The return to normal operations that closing follows: IMT proposes, the IMT lead and
    the TCG chair approve (3.26)."""
    run(
        teams,
        "hana",
        f'deescalate {inc} --to normal --rationale "No new reports" --scg "David agreed" '
        '--criteria "No reports for a month" --rhythm reduced',
        "needs approval",
    )
    run(teams, "hana", f"deescalate {inc} approve", "Awaiting the TCG chair")
    run(teams, "fatima", f"deescalate {inc} approve", "de-escalated to Normal operations")


def action_form(teams: TeamsWorld, user: str = "ian") -> dict[str, Any]:
    """An issue raised, and the action form ``user`` opens on it, in their personal chat."""
    run(
        teams,
        "olly",
        'raise Hob leaks --products p --hazard h --source public --area "Gas and Electrical"',
        f"Raised {REF}",
    )
    teams.say(user, f"opss action {REF} Test five samples")
    return teams.last_card(teams.personal(user))


RATINGS = " ".join(f"{k}=high" for k in ALL_INDICATORS)


def declare(
    teams: TeamsWorld, exercise: bool = False, options: str = "", *, answered: bool = True
) -> None:
    """The whole ladder, typed in Teams, to a declared incident (``options``: more of the
    declaration's, e.g. ``--invite ian``). ``answered=False``: the declaration is sent, and
    its reply not waited for (it names the incident's channel, so comes once that is made)."""
    run(
        teams,
        "olly",
        'raise Gas hob elbow joints leaking --products "EJ-15" '
        '--hazard "Gas escape" --source business --area "Gas and Electrical"',
        f"Raised {REF}",
    )
    for move, expect in (("", "to FTL assessment"), (" cam", "to CAM")):
        run(teams, "fatima", f"assess {REF} {RATINGS}", "overall High")
        run(teams, "fatima", f"escalate {REF}{move}", expect)
    run(teams, "ian", f"assess {REF} {RATINGS}", "overall High")
    run(
        teams,
        "ian",
        f"nnc {REF} novel=yes nationally_significant=no contentious=no "
        '--novel-rationale "New failure" --nationally-significant-rationale "Few LAs" '
        '--contentious-rationale "Agreed fix"',
        "criteria met: Novel",
    )
    run(teams, "ian", f"escalate {REF} ttg", "to TTG")
    run(teams, "david", f"assess {REF} {RATINGS}", "overall High")
    run(teams, "rachel", f"escalate {REF} cam-ep --lead david", "to CAM-EP")
    run(teams, "david", f"assess {REF} {RATINGS}", "overall High")
    run(teams, "olly", f"conference {REF}", "Only a deputy director or higher")
    run(
        teams,
        "david",
        f'conference {REF} --when now --background "Leaks"',
        "Case conference CC-2026-0001",
    )
    run(
        teams,
        "ian",
        'outcome CC-2026-0001 --outcome declare_incident --rationale "Serious" '
        '--chair "David Osei"',
        "Declare an incident",
    )
    flag = " --exercise" if exercise else ""
    declaration = f"declare {REF} --scg-chair david --tcg-chair fatima --level tactical{flag}"
    if not answered:
        assert teams.say("hana", f"opss {declaration} {options}")[0] == 201
        return
    run(teams, "hana", f"{declaration} {options}", "declared as incident INC-2026-001")


CHANNEL_NAME = "inc-2026-001-gas-hob-elbow-joints-leaking"
