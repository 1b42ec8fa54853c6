"""Teams end to end: Bot Framework activities, with tokens signed like the channel's, sent over
HTTP to ``/api/messages`` of the running bot. The activities' ``serviceUrl`` and
``GRAPH_API_URL`` point at a fake Bot Connector and a fake Graph on loopback.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import build
from bot.config import Settings
from bot.teams.cards import message_text
from commands.core.clock import ManualClock
from commands.core.context import Request
from storage.models import Identity as IdentityRow
from storage.models import Incident, Issue, OutboxMessage, Person, TeamsConversation
from tests.conftest import START, row_counts
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
from tests.fakes.server import running, serving
from tests.fakes.teams_world import (
    APP_ID,
    CHANNEL_NAME,
    GENERAL,
    IMT,
    INCIDENTS,
    REF,
    TEAM,
    TENANT,
    TeamsWorld,
    _flat,
    action_data,
    action_form,
    declare,
    inputs,
    run,
    world_settings,
)
from tests.fakes.teams_world import (
    teams as teams,  # the fixture, used by its name
)

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
        if "Hazard" in shown_text(e)
        and "Attention" in (e.get("color"), *(r.get("color") for r in e.get("inlines", ())))
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
    # A well-signed activity without a sender or a conversation is refused as bad input.
    for drop in ("from", "conversation"):
        activity = teams.activity("olly")
        activity["text"] = "opss raise Nobody"
        del activity[drop]
        status, body = teams.send(activity)
        assert status == 400 and drop in body["error"]
    assert row_counts(teams.bot.db) == before
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
            wait_until(lambda: identity.metadata_fetches > 0, timeout=15, what="the key fetch")
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
    with pytest.raises(SystemExit, match="TEAMS_ALLOW_UNAUTHENTICATED"):
        build(settings, ManualClock(START))


def test_the_whole_ladder_to_an_incident_with_its_own_channel_made_through_graph(
    teams: TeamsWorld,
) -> None:
    taken = teams.graph.add_channel(CHANNEL_NAME, "someone else's")
    declare(teams)
    graph = teams.graph
    graph.wait_for(lambda g: g.named(f"{CHANNEL_NAME}-2") is not None)
    created = [c for c in graph.calls if c.method == "POST" and c.status == 201]
    assert len(created) == 1
    # Private by default: its members are the incident's (tests/teams/test_teams_private.py).
    assert created[0].body["membershipType"] == "private"
    assert created[0].body["description"].startswith("INC-2026-001 · Gas hob elbow joints leaking")
    assert created[0].auth == f"Bearer {GRAPH_TOKEN}"
    channel = graph.named(f"{CHANNEL_NAME}-2")
    assert channel is not None and channel["id"] != taken
    # The summary and the decision log are the channel's first posts, made proactively.
    teams.said(channel["id"], "Decision log · INC-2026-001")
    texts = teams.connector.texts(channel["id"])
    assert texts[:2] == ["Incident INC-2026-001 declared.", "Decision log · INC-2026-001"]
    assert all(c.auth == f"Bearer {CONNECTOR_TOKEN}" for c in teams.connector.calls)
    # The issue's card where it was raised was edited in place (PUT), not posted again.
    chat = teams.personal("olly")
    teams.connector.wait_for(
        lambda c: any("Incident declared" in _flat(m) and m.get("edited") for m in c.posts(chat))
    )
    cards = [
        m for m in teams.connector.posts(chat) if f"{REF} · " in _flat(m) and m.get("attachments")
    ]
    assert len(cards) == 1
    with teams.bot.db.read() as s:
        incident = s.scalar(select(Incident))
        assert incident is not None and incident.surface == "teams"
    # Nothing about the thread fallback was said.
    assert not any("could not create" in t for t in teams.connector.texts(IMT))


def test_where_graph_refuses_the_incident_gets_a_thread_and_imt_is_told(teams: TeamsWorld) -> None:
    teams.graph.refuse = True
    declare(teams)
    connector = teams.connector
    connector.wait_for(lambda c: any(k.startswith(f"{INCIDENTS};messageid=") for k in c.messages))
    (thread,) = [k for k in connector.messages if k.startswith(f"{INCIDENTS};messageid=")]
    (started,) = [
        c for c in connector.calls if c.path == "/v3/conversations" and c.body.get("isGroup")
    ]
    assert started.body["channelData"]["channel"]["id"] == INCIDENTS
    assert "INC-2026-001 · Gas hob elbow joints leaking" in _flat(connector.posts(thread)[0])
    teams.said(thread, "Decision log · INC-2026-001")
    teams.said(IMT, "could not create the channel")
    assert "Graph 403" in " ".join(connector.texts(IMT))


def test_a_reminder_and_a_sitrep_cycle_reach_the_incident_channel(teams: TeamsWorld) -> None:
    declare(teams)
    teams.graph.wait_for(lambda g: g.named(CHANNEL_NAME) is not None)
    channel = teams.graph.named(CHANNEL_NAME)["id"]  # type: ignore[index]
    teams.said(channel, "Battle rhythm of INC-2026-001")

    teams.clock.advance(timedelta(minutes=31))  # 10:01: the TCG (10:30) reminder is due
    teams.bot.scheduler.kick()
    teams.said(channel, "Reminder: TCG")

    teams.clock.advance(timedelta(hours=4))  # 14:01: the sitrep prompt
    teams.bot.scheduler.kick()
    teams.said(channel, "Sitrep updates due by Mon 23 Nov 2026 16:00")
    prompt = next(m for m in teams.connector.posts(channel) if "Sitrep updates due" in _flat(m))
    button = action_data(prompt["attachments"][0]["content"])
    # Its button works in Teams: Fatima gets the update form in place, fills it and submits.
    status, body = teams.execute("fatima", button, where=channel)
    assert status == 200
    form = body["value"]
    assert "Sitrep update" in _flat(form)
    data = action_data(form)
    status, body = teams.execute(
        "fatima",
        {**data, "team": "Gas and Electrical", "situation": "Testing 40% done"},
        where=channel,
    )
    assert status == 200 and "update for the Mon 23 Nov 2026 16:00" in _flat(body["value"])

    teams.clock.advance(timedelta(hours=2))  # 16:01: the cut-off
    teams.bot.scheduler.kick()
    teams.said(channel, "SITREP 1 · INC-2026-001")
    draft = next(m for m in teams.connector.posts(channel) if "SITREP 1 · INC-2026-001" in _flat(m))
    assert "Testing 40% done" in _flat(draft)
    approve = next(
        a["data"]
        for a in draft["attachments"][0]["content"]["actions"]
        if a["title"] == "Approve and publish"
    )
    status, body = teams.execute("hana", approve, where=channel)
    assert status == 200 and "SITREP 1 published" in _flat(body["value"])
    teams.said(channel, "published by Hana Patel")


def test_a_429_from_the_connector_is_retried_after_its_delay_and_posted_once(
    teams: TeamsWorld,
) -> None:
    real = RealTime()  # the outbox times retries in real time, not on the bot's clock
    teams.bot.outbox.monotonic = real
    teams.connector.failures[IMT] = [(429, {"Retry-After": "7"})]
    run(
        teams,
        "olly",
        'raise Hob leaks --products p --hazard h --source public --area "Gas and Electrical"',
        f"Raised {REF}",
    )
    connector = teams.connector
    connector.wait_for(lambda c: any(call.status == 429 for call in c.calls))

    def retry_recorded() -> bool:
        with teams.bot.db.read() as s:
            waiting = select(OutboxMessage).where(
                OutboxMessage.attempts > 0, OutboxMessage.status == "pending"
            )
            return s.scalar(waiting) is not None

    connector.wait_for(lambda c: retry_recorded())
    with teams.bot.db.read() as s:
        refused = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.status == "pending", OutboxMessage.attempts > 0
            )
        ).one()
        assert refused.attempts == 1
        assert refused.conversation == "imt"
    real.advance(timedelta(seconds=7))
    teams.bot.outbox.kick()

    def delivered() -> bool:
        with teams.bot.db.read() as s:
            return all(m.status == "delivered" for m in s.scalars(select(OutboxMessage)))

    connector.wait_for(lambda c: delivered())
    posted = [m for m in connector.posts(IMT) if REF in _flat(m)]
    assert len(posted) == 1  # delivered exactly once
    tries = [c.status for c in connector.calls if IMT in c.path and REF in json.dumps(c.body)]
    assert tries == [429, 200]


def test_in_a_channel_the_form_goes_to_a_personal_chat_and_the_card_to_the_channel(
    teams: TeamsWorld,
) -> None:
    status, _ = teams.say("olly", "opss raise Cot sides collapse", where=GENERAL)
    assert status == 201
    # Nobody else in the channel sees the form: the bot opens a chat with Olly for it.
    chat = teams.personal("olly")
    (opened,) = [
        c
        for c in teams.connector.calls
        if c.path == "/v3/conversations" and not c.body.get("isGroup")
    ]
    assert opened.body["members"] == [{"id": "29:olly"}]
    form = teams.last_card(chat)
    thread = f"{GENERAL};messageid=1764000000001"
    assert teams.connector.texts(thread) == ["Olly Reed: the form is in your chat with OPSS."]
    with teams.bot.db.read() as s:
        made = s.get(TeamsConversation, chat)  # the chat the bot opened is kept too
        assert made is not None and made.kind == "personal"
    data = action_data(form)
    status, body = teams.execute(
        "olly",
        {**data, "title": "Cot sides collapse", **FULL, "functional_area": "Toys and Childcare"},
    )
    assert status == 200 and f"Raised {REF}" in _flat(body["value"])
    # The issue's card is posted where the command was typed: the channel.
    teams.said(GENERAL, f"{REF} · Cot sides collapse")


def test_action_submit_with_a_value_works_too_and_replaces_the_form(teams: TeamsWorld) -> None:
    teams.say("olly", "opss raise Hair dryer overheats")
    chat = teams.personal("olly")
    form_message = [m for m in teams.connector.posts(chat) if m.get("attachments")][-1]
    data = action_data(form_message["attachments"][0]["content"])
    status, _ = teams.submit(
        "olly",
        {**data, "title": "Hair dryer overheats", **FULL, "source": "nonsense"},
        form_message["id"],
    )
    assert status == 201
    edited = next(m for m in teams.connector.posts(chat) if m["id"] == form_message["id"])
    assert edited.get("edited") == 1
    assert "'nonsense' is not one of the options" in _flat(edited)
    status, _ = teams.submit(
        "olly", {**data, "title": "Hair dryer overheats", **FULL}, form_message["id"]
    )
    assert status == 201

    def replaced(c: FakeConnector) -> bool:  # through the outbox, committed with the issue
        edited = next(m for m in c.posts(chat) if m["id"] == form_message["id"])
        return edited.get("edited") == 2 and f"Raised {REF}" in _flat(edited)

    teams.connector.wait_for(replaced)
    with teams.bot.db.read() as s:
        assert len(s.scalars(select(Issue)).all()) == 1


def test_person_fields_are_a_picker_of_the_people_the_bot_knows(teams: TeamsWorld) -> None:
    form = action_form(teams)
    owner = inputs(form)["owner"]
    assert owner["type"] == "Input.ChoiceSet" and owner["style"] == "compact"
    assert {"title": "Fatima Khan (fatima)", "value": "fatima"} in owner["choices"]
    status, body = teams.execute(
        "ian",
        {**action_data(form), "what": "Test five samples", "owner": "fatima", "date": "2026-11-26"},
    )
    assert status == 200 and "ACT-2026-0001" in _flat(body["value"])


def test_one_person_on_slack_and_teams_holds_one_set_of_roles(teams: TeamsWorld) -> None:
    engine = teams.bot.engine
    with teams.bot.db.read() as s:
        people = s.scalar(select(func.count()).select_from(Person))
    # Hana, linked to both, grants a role from Slack ...
    granted = engine.handle(Request("slack", "U0HANA", "C1", "role grant olly scs", "hana"))
    assert granted.ok, granted.text
    # ... and Olly, known to Teams by his Azure AD object id, holds it there.
    run(teams, "olly", "role list olly", "olly: senior civil servant (SCS)")
    run(teams, "hana", "role list hana", "Head of IMT")
    with teams.bot.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == people  # nobody new
        olly = s.scalar(select(Person).where(Person.name == "olly"))
        assert olly is not None
        ids = {
            (i.surface, i.external_id)
            for i in s.scalars(select(IdentityRow).where(IdentityRow.person_id == olly.id))
        }
        assert ("teams", "29:olly") in ids and ("teams", "aad-olly") in ids
        hana = s.scalar(select(Person).where(Person.name == "hana"))
        assert hana is not None
        kept = {
            i.external_id
            for i in s.scalars(select(IdentityRow).where(IdentityRow.person_id == hana.id))
        }
        assert kept == {
            "hana",
            "U0HANA",
            "29:hana",
            "aad-hana",
        }  # seeded by Teams id, object id learnt


def test_references_are_kept_for_every_conversation_the_bot_is_in(teams: TeamsWorld) -> None:
    teams.say("david", "opss help")
    installed = teams.activity("david", "installationUpdate")
    installed["action"] = "add"
    installed["conversation"] = {
        "id": "19:group-chat@thread.v2",
        "conversationType": "groupChat",
        "isGroup": True,
        "tenantId": TENANT,
    }
    assert teams.send(installed)[0] == 201
    with teams.bot.db.read() as s:
        kept = {r.conversation_id: r for r in s.scalars(select(TeamsConversation))}
    assert {GENERAL, IMT, INCIDENTS, teams.personal("david"), "19:group-chat@thread.v2"} <= set(
        kept
    )
    assert kept["19:group-chat@thread.v2"].kind == "groupChat"
    assert kept[IMT].service_url == teams.connector.url and kept[IMT].team_id == TEAM
    # The welcome was said where the app was installed.
    assert any("opss help" in t for t in teams.connector.texts(IMT))


def shown_text(element: dict[str, Any]) -> str:
    """The words of a TextBlock, or of a RichTextBlock's runs."""
    return element.get("text") or "".join(r.get("text", "") for r in element.get("inlines", ()))


def test_peoples_words_in_a_teams_message_are_shown_as_typed() -> None:
    text = "Raised ISS-2026-0001: **Sign in** [here](https://evil.example) <at>All</at>\n- item"
    assert message_text(text) == (
        "Raised ISS-2026-0001: \\*\\*Sign in\\*\\* \\[here\\](https://evil.example) "
        "&lt;at&gt;All&lt;/at&gt;\n\n\\- item"
    )


def test_a_429_from_graph_is_waited_out_not_taken_for_a_refusal(teams: TeamsWorld) -> None:
    real = RealTime()  # the outbox times retries in real time, not on the bot's clock
    teams.bot.outbox.monotonic = real
    teams.graph.failures.append((429, {"Retry-After": "9"}))
    declare(teams, answered=False)
    teams.graph.wait_for(lambda g: any(c.status == 429 for c in g.calls))

    def waiting() -> OutboxMessage | None:
        with teams.bot.db.read() as s:
            return s.scalar(
                select(OutboxMessage).where(
                    OutboxMessage.op == "create_channel", OutboxMessage.attempts == 1
                )
            )

    teams.graph.wait_for(lambda g: waiting() is not None)
    row = waiting()
    assert row is not None and row.status == "pending"
    real.advance(timedelta(seconds=9))
    teams.bot.outbox.kick()
    teams.graph.wait_for(lambda g: g.named(CHANNEL_NAME) is not None)
    channel = teams.graph.named(CHANNEL_NAME)["id"]  # type: ignore[index]
    teams.said(channel, "Decision log · INC-2026-001")
    # The declarer's one reply names the channel, so it came once the channel was made.
    teams.said(teams.personal("hana"), "declared as incident INC-2026-001")
    # No thread was started instead.
    assert not any(k.startswith(INCIDENTS + ";") for k in teams.connector.messages)


def test_start_up_checks_name_what_teams_is_missing() -> None:
    from bot.checks import problems

    said = {
        (p.level, p.setting)
        for p in problems(
            Settings(
                _env_file=None,
                microsoft_app_id=APP_ID,
                microsoft_app_type="SingleTenant",
                local_workspace=False,
            )
        )
    }
    assert ("refuse", "MicrosoftAppTenantId") in said
    assert ("refuse", "MicrosoftAppPassword") in said
    assert ("warn", "TEAMS_IMT_CHANNEL_ID") in said
    assert ("warn", "TEAMS_TEAM_ID") in said
    private = {
        (p.level, p.setting)
        for p in problems(
            Settings(
                _env_file=None,
                microsoft_app_id=APP_ID,
                microsoft_app_tenant_id=TENANT,
                teams_team_id=TEAM,
                local_workspace=False,
            )
        )
    }
    assert ("warn", "TEAMS_APP_CATALOG_ID") in private  # private channels it cannot join

    def graph_warning(**settings: str) -> str:
        base = {"microsoft_app_id": APP_ID, "microsoft_app_type": "MultiTenant"}
        found = problems(Settings(_env_file=None, local_workspace=False, **base, **settings))
        (said,) = [p.message for p in found if p.setting == "TEAMS_TEAM_ID"]
        return said

    # Without Graph, incidents take threads in the incidents channel; without that either, an
    # incident has nowhere to go, and the operator is told so rather than promised a thread.
    assert "get a thread in TEAMS_INCIDENTS_CHANNEL_ID" in graph_warning(
        teams_incidents_channel_id=INCIDENTS
    )
    assert "an incident declared in Teams gets no conversation" in graph_warning()


def test_a_retried_channel_creation_finds_the_channel_it_made(teams: TeamsWorld) -> None:
    """As after a crash between Graph's answer and the outbox row being marked."""
    made = teams.graph.add_channel(
        CHANNEL_NAME, "INC-2026-001 · Gas hob elbow joints leaking · declared Mon 23 Nov 2026"
    )
    declare(teams)
    teams.said(made, "Decision log · INC-2026-001")
    assert [c["displayName"] for c in teams.graph.channels.values()] == [CHANNEL_NAME]


def test_malformed_activities_answer_4xx_and_write_nothing(
    teams: TeamsWorld, caplog: pytest.LogCaptureFixture
) -> None:
    before = row_counts(teams.bot.db)
    token = teams.identity.token(APP_ID, teams.connector.url)

    def raw(body: str) -> int:
        request = urllib.request.Request(
            f"{teams.url}/api/messages",
            data=body.encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status
        except urllib.error.HTTPError as err:
            return err.code

    assert raw("{not json") == 400
    assert raw("[1, 2]") == 400
    assert raw(json.dumps({"type": "message", "text": "opss list"})) == 400
    assert raw(json.dumps({**teams.activity("olly"), "conversation": 5})) == 400
    odd: list[dict[str, Any]] = []
    invoke = teams.activity("olly", "invoke")
    odd.append({**invoke, "name": "adaptiveCard/action", "value": "not an object"})
    odd.append({**invoke, "name": "adaptiveCard/action", "value": {"action": {"data": [1]}}})
    odd.append(
        {
            **invoke,
            "name": "adaptiveCard/action",
            "value": {"action": {"data": {"form": "raise", "title": ["x"], "hazard": 7}}},
        }
    )
    odd.append({**invoke, "name": "composeExtension/query", "value": {}})
    odd.append({**teams.activity("olly"), "value": "not an object", "text": None})
    odd.append({**teams.activity("olly"), "text": "opss raise " + "x" * 20_000})
    for activity in odd:
        status, _ = teams.send(activity)
        assert status < 500, activity
    assert row_counts(teams.bot.db)["issues"] == before["issues"]
    assert row_counts(teams.bot.db)["people"] == before["people"]
    assert "Traceback" not in caplog.text


def test_told_directly_in_the_personal_chat_kept_or_one_opened(teams: TeamsWorld) -> None:
    """ "Tell this person" is queued by person, and Teams finds their personal chat when it
    delivers: the one kept from when they used the bot (olly), or one ``create_conversation``
    opens for someone who never has (david, known only by his Azure AD object id)."""
    status, _ = teams.say(
        "olly",
        'opss raise Hob leaks --products "EJ-15" --hazard Gas --source business '
        '--area "Gas and Electrical"',
    )
    assert status == 201
    teams.said(teams.personal("olly"), REF)
    assert teams.say("hana", f"opss escalate {REF} incident --consulted david --rationale r")[0]
    olly_chat, david_chat = teams.personal("olly"), "a:personal-aad-david"
    teams.said(olly_chat, "straight to incident")
    teams.said(david_chat, "straight to incident")
    # David's chat was opened by the bot (no activity in it), and is kept for next time; so
    # was Fatima's, the FTL of the issue's area, told that she is in the incident.
    opened = [c for c in teams.connector.ok("POST") if c.path.endswith("/v3/conversations")]
    assert sorted(c.body["members"][0]["id"] for c in opened if not c.body.get("isGroup")) == [
        "aad-david",
        "aad-fatima",
    ]
    with teams.bot.db.read() as s:
        kept = s.get(TeamsConversation, david_chat)
        assert kept is not None and kept.kind == "personal"
        assert kept.reference["user"]["id"] == "aad-david"
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.op == "tell")).all()
    assert {r.conversation for r in rows} == {
        f"person:{r.payload['person']}" for r in rows
    }  # queued by person, never by a Teams id


def test_a_card_deleted_in_teams_holds_no_later_post_to_its_chat(teams: TeamsWorld) -> None:
    """A card the bot cannot edit (deleted in Teams: 404) is left as it was; the posts queued
    after its edit still reach the conversation, and the edit is not retried for ever."""
    chat = teams.personal("olly")
    status, _ = teams.say(
        "olly",
        "opss raise Toaster sparks --products T-100 --hazard Fire --source public "
        '--area "Gas and Electrical"',
    )
    assert status == 201
    teams.said(chat, f"{REF} · Toaster sparks")
    (card,) = [m for m in teams.connector.posts(chat) if f"{REF} · " in _flat(m)]
    teams.connector.gone.add(card["id"])  # olly deleted it
    teams.say("hana", f'opss escalate {REF} incident --consulted david --rationale "Fatality"')
    teams.said(chat, f"Olly Reed: your issue {REF} is now incident INC-2026-001")
    refused = [c for c in teams.connector.calls if c.method == "PUT" and c.status == 404]
    assert len(refused) == 1 and card["id"] in refused[0].path
    with teams.bot.db.read() as s:
        stuck = s.scalars(select(OutboxMessage).where(OutboxMessage.op == "update")).all()
    assert [m.status for m in stuck if m.conversation == f"channel:{chat}"] == ["delivered"]
