"""A private incident is private in Teams, and the people it names are told, over
``/api/messages`` against the fake Bot Connector and Graph, asserting on what they recorded:
its conversation is a private channel made with exactly its members (the bot added to it),
a person who joins or leaves the incident joins or leaves it, everyone named is told in their
personal chat with a deep link to it, a notification's owner is reminded there (and an
overdue action's owner, and the FTL of a team whose sitrep update is missing), nothing is
posted to it once archived, and a taken name is told by Graph's error code."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from bot.teams import permissions
from commands.core import outbox
from storage import seed
from storage.conversations import ConversationKey
from storage.models import Notification, OutboxMessage
from tests.fakes.fake_teams import Call
from tests.fakes.graph_permissions import permissions_used
from tests.fakes.teams_world import (
    CATALOG_ID,
    CHANNEL_NAME,
    IMT,
    INCIDENTS,
    TEAM,
    TENANT,
    TeamsWorld,
    _flat,
    declare,
    return_to_normal,
    run,
    teams_world,
)
from tests.fakes.teams_world import teams as teams  # the fixture, used by its name

INC = "INC-2026-001"
NOT = "NOT-2026-0001"


def deep_link(channel_id: str, name: str) -> str:
    return (
        f"https://teams.microsoft.com/l/channel/{quote(channel_id, safe='')}/"
        f"{quote(name, safe='')}?groupId={quote(TEAM, safe='')}&tenantId={TENANT}"
    )


def links(message: dict[str, Any]) -> list[str]:
    """The URLs of a message's buttons that open a link."""
    return [
        a["url"]
        for attachment in message.get("attachments") or []
        for a in attachment["content"].get("actions", [])
        if a["type"] == "Action.OpenUrl"
    ]


def told(teams: TeamsWorld, user: str, needle: str) -> dict[str, Any]:
    """The message in the person's personal chat that says ``needle`` (waited for)."""
    chat = teams.personal(user)
    teams.said(chat, needle)
    return next(m for m in teams.connector.posts(chat) if needle in _flat(m))


def members_of(call: Call) -> dict[str, list[str]]:
    return {m["user@odata.bind"].split("'")[1]: m["roles"] for m in call.body["members"]}


def graph_channel(teams: TeamsWorld, name: str) -> dict[str, Any]:
    teams.graph.wait_for(lambda g: g.named(name) is not None)
    channel = teams.graph.named(name)
    assert channel is not None
    return channel


def test_a_private_incident_is_a_private_channel_of_exactly_its_members(
    teams: TeamsWorld,
) -> None:
    # Someone else's channel holds the name; Graph's words for it are not the ones the bot
    # once looked for: only the error code says the name is taken.
    teams.graph.taken_message = "Der Kanalname ist bereits vergeben."
    teams.graph.add_channel(CHANNEL_NAME, "someone else's")
    declare(teams, options="--invite ian,olly")
    name = f"{CHANNEL_NAME}-2"
    channel = graph_channel(teams, name)
    made = [c for c in teams.graph.calls if c.method == "POST" and c.path.endswith("/channels")]
    assert [c.status for c in made] == [400, 201]
    assert made[1].body["membershipType"] == "private"
    # Exactly its members: who declared (its owner), the chairs (Fatima is also the FTL of
    # the contributing team) and those invited, by their Azure AD ids.
    expected = {
        "aad-hana": ["owner"],
        "aad-david": [],
        "aad-fatima": [],
        "aad-ian": [],
        "aad-olly": [],
    }
    assert members_of(made[1]) == expected
    assert teams.graph.private_members(channel["id"]) == expected
    # The name was resolved without listing the team: one read, of that one name.
    reads = [c for c in teams.graph.calls if c.method == "GET"]
    assert [c.body for c in reads] == [{"$filter": f"displayName eq '{CHANNEL_NAME}'"}]
    # The bot added itself to the channel (a bot of the team is not in its private channels),
    # and only then could post there.
    (enabled,) = [c for c in teams.graph.calls if c.path.endswith("/enabledApps/$ref")]
    assert enabled.body["@odata.id"].endswith(f"/beta/appCatalogs/teamsApps/{CATALOG_ID}")
    assert enabled.path == f"/beta/teams/{TEAM}/channels/{channel['id']}/enabledApps/$ref"
    teams.said(channel["id"], f"Decision log · {INC}")
    assert not any(c.status == 403 for c in teams.connector.calls)

    # The declaration's reply names the channel Teams has, with its deep link, and no "#".
    reply = told(teams, "hana", f"Private channel {name}")
    assert "declared as incident INC-2026-001" in _flat(reply)
    assert links(reply) == [deep_link(channel["id"], name)]
    everything = " ".join(_flat(m) for ms in teams.connector.messages.values() for m in ms)
    assert "#inc-" not in everything

    # Everyone it names is told in their personal chat, with what they are in it as.
    for user, role in (
        ("ian", "invited"),
        ("olly", "invited"),
        ("david", "SCG chair"),
        ("fatima", "TCG chair and FTL of Gas and Electrical, a contributing team"),
    ):
        message = told(teams, user, f"Hana Patel declared incident {INC}")
        assert f"You are in it as {role}." in _flat(message), _flat(message)
        assert f"Private channel {name}" in _flat(message)
        assert links(message) == [deep_link(channel["id"], name)]
    assert not any(f"declared incident {INC}" in t for t in teams.connector.texts(IMT))


def test_someone_known_only_by_a_teams_id_is_told_and_left_out_of_the_channel(
    teams: TeamsWorld, caplog: pytest.LogCaptureFixture
) -> None:
    # Tom has never used the bot, and his seed entry gives his Teams id, not his Azure AD id,
    # which Graph names a private channel's members by.
    seed.apply(
        teams.bot.db,
        [{"name": "tom", "display_name": "Tom Hughes", "identities": {"teams": "29:tom"}}],
        teams.clock.now(),
    )
    declare(teams, options="--invite tom,ian")
    channel = graph_channel(teams, CHANNEL_NAME)
    assert set(teams.graph.private_members(channel["id"])) == {
        "aad-hana",
        "aad-david",
        "aad-fatima",
        "aad-ian",
    }
    # Told all the same, in the personal chat the bot opens with his Teams id.
    chat = "a:personal-29:tom"
    teams.said(chat, f"Hana Patel declared incident {INC}")
    (message,) = [m for m in teams.connector.posts(chat) if "declared incident" in _flat(m)]
    assert "You are in it as invited." in _flat(message)
    assert links(message) == [deep_link(channel["id"], CHANNEL_NAME)]
    assert "no Azure AD id known, so not in the private channel: tom" in caplog.text


def test_a_member_added_and_removed_joins_and_leaves_the_channel(teams: TeamsWorld) -> None:
    teams.graph.add_channel(CHANNEL_NAME, "someone else's")
    declare(teams)
    name = f"{CHANNEL_NAME}-2"
    channel = graph_channel(teams, name)
    assert "aad-ian" not in teams.graph.private_members(channel["id"])
    run(teams, "fatima", f"members {INC} add ian", "add people to the incident for INC-2026-001")

    run(teams, "hana", f"members {INC} add ian", f"Hana Patel added Ian Brooks to {INC}")
    teams.graph.wait_for(lambda g: "aad-ian" in g.private_members(channel["id"]))
    (added,) = [c for c in teams.graph.calls if c.method == "POST" and c.path.endswith("/members")]
    assert added.status == 201 and added.body["roles"] == []
    message = told(teams, "ian", f"You are now in incident {INC}")
    assert links(message) == [deep_link(channel["id"], name)]
    teams.said(channel["id"], f"Hana Patel added Ian Brooks to {INC}")
    run(teams, "hana", f"members {INC}", "Ian Brooks")

    # Someone who holds a part in it is not taken out behind its back.
    run(teams, "hana", f"members {INC} remove fatima", "Fatima Khan is the incident's TCG chair")
    assert "aad-fatima" in teams.graph.private_members(channel["id"])

    run(teams, "hana", f"members {INC} remove ian", f"Hana Patel took Ian Brooks out of {INC}")
    teams.graph.wait_for(lambda g: "aad-ian" not in g.private_members(channel["id"]))
    (deleted,) = [c for c in teams.graph.calls if c.method == "DELETE"]
    assert deleted.status == 204 and "/members/membership-" in deleted.path
    told(teams, "ian", f"Hana Patel took you out of incident {INC}")
    assert set(teams.graph.private_members(channel["id"])) == {
        "aad-hana",
        "aad-david",
        "aad-fatima",
    }

    # Closed, its channel archived: every Graph call the bot made is one a permission it
    # declares covers, and every permission declared for private channels was used.
    return_to_normal(teams)
    run(
        teams,
        "hana",
        f'close {INC} --reason "Back to normal" --review "2026-12-15 10:00"',
        f"{INC} closed by Hana Patel",
    )
    teams.graph.wait_for(lambda g: bool(g.channels[channel["id"]].get("isArchived")))
    assert permissions_used(teams.graph.calls, "private") == set(permissions.application("private"))


def test_a_notification_owner_is_reminded_in_their_chat_and_nothing_follows_the_archive(
    teams: TeamsWorld,
) -> None:
    declare(teams)
    channel = graph_channel(teams, CHANNEL_NAME)
    run(
        teams,
        "fatima",
        f"notify {INC} reg33_4 --trigger 2026-11-23 --owner ian",
        f"{NOT} recorded",
    )
    return_to_normal(teams)
    run(
        teams,
        "hana",
        f'close {INC} --reason "Back to normal" --review "2026-12-15 10:00"',
        f"{INC} closed by Hana Patel",
    )
    teams.graph.wait_for(lambda g: bool(g.channels[channel["id"]].get("isArchived")))
    teams.said(channel["id"], f"{INC} closed by Hana Patel")
    in_channel = len(teams.connector.posts(channel["id"]))

    # The statutory reminder falls due after the closure (on the injected clock): its owner
    # is told in his personal chat; IMT has it; the archived channel gets nothing.
    with teams.bot.db.read() as s:
        remind_at = s.scalars(select(Notification.remind_at)).one()
    teams.clock.advance(remind_at - teams.clock.now() + timedelta(minutes=1))
    teams.bot.scheduler.kick()
    reminder = told(teams, "ian", f"Reminder: {NOT}")
    assert "Owner: Ian Brooks" in _flat(reminder)
    teams.said(IMT, f"Reminder: {NOT}")

    # A post queued for the channel after it was archived (a process that did not know) is
    # not posted either: the outbox checks when it delivers.
    with teams.bot.db.unit_of_work() as s:
        late = outbox.queue(
            s,
            ConversationKey("teams", f"incident:{INC}"),
            outbox.Post("Posted to an archived channel"),
            teams.clock.now(),
        )
        s.flush()
        late_id = late.id
    teams.bot.outbox.kick()

    def skipped() -> bool:
        with teams.bot.db.read() as s:
            row = s.get(OutboxMessage, late_id)
            return row is not None and row.status == "delivered"

    teams.connector.wait_for(lambda c: skipped())
    with teams.bot.db.read() as s:
        row = s.get(OutboxMessage, late_id)
        assert row is not None and row.result == {"skipped": "the conversation is archived"}
    assert len(teams.connector.posts(channel["id"])) == in_channel
    assert not any(f"Reminder: {NOT}" in _flat(m) for m in teams.connector.posts(channel["id"]))


def test_an_overdue_actions_owner_and_a_missing_sitreps_ftl_are_told_in_their_chats(
    teams: TeamsWorld,
) -> None:
    declare(teams)
    channel = graph_channel(teams, CHANNEL_NAME)
    action = f"action {INC} Collect samples --owner olly --due '2026-11-23 12:00'"
    run(teams, "ian", action, "ACT-2026-0001")
    # 12:01 on the injected clock: the action is overdue. Its owner hears of it in his own
    # chat, not only the TCG chair; the channel has it too.
    teams.clock.advance(datetime(2026, 11, 23, 12, 1, tzinfo=UTC) - teams.clock.now())
    teams.bot.scheduler.kick()
    overdue = told(teams, "olly", "Overdue: ACT-2026-0001")
    assert "escalated to the TCG chair, Fatima Khan" in _flat(overdue)
    told(teams, "fatima", "Overdue: ACT-2026-0001")
    teams.said(channel["id"], "Overdue: ACT-2026-0001")
    # 15:31: the sitrep chase. Gas and Electrical has sent nothing: its FTL is told directly.
    teams.clock.advance(datetime(2026, 11, 23, 15, 31, tzinfo=UTC) - teams.clock.now())
    teams.bot.scheduler.kick()
    chase = told(teams, "fatima", "the sitrep update from Gas and Electrical is still awaited")
    assert INC in _flat(chase)


def test_where_the_bot_cannot_add_itself_the_owner_and_imt_are_told(teams: TeamsWorld) -> None:
    teams.graph.refuse_apps = True
    declare(teams)
    channel = graph_channel(teams, CHANNEL_NAME)
    teams.said(IMT, f"OPSS could not add itself to the private channel {CHANNEL_NAME}")
    told(teams, "hana", "Manage channel, Apps, then add OPSS")
    # Its posts wait: Teams refuses them until the app is in the channel.
    teams.connector.wait_for(lambda c: any(x.status == 403 for x in c.calls))
    assert teams.connector.posts(channel["id"]) == []


def test_a_thread_fallback_is_named_as_a_thread_not_an_invented_channel(
    teams: TeamsWorld,
) -> None:
    teams.graph.refuse = True
    declare(teams)
    teams.connector.wait_for(
        lambda c: any(k.startswith(f"{INCIDENTS};messageid=") for k in c.messages)
    )
    (thread,) = [k for k in teams.connector.messages if k.startswith(f"{INCIDENTS};messageid=")]
    message_id = thread.split(";messageid=")[1]
    reply = told(teams, "hana", "A thread in the incidents channel")
    assert CHANNEL_NAME not in _flat(reply)
    assert links(reply) == [
        f"https://teams.microsoft.com/l/message/{quote(INCIDENTS, safe='')}/{message_id}"
        f"?tenantId={TENANT}&groupId={quote(TEAM, safe='')}&parentMessageId={message_id}"
    ]


@pytest.fixture
def standard(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[TeamsWorld]:
    with teams_world(tmp_path, caplog, teams_incident_channels="standard") as world:
        yield world


def test_standard_channels_stay_a_configured_choice(standard: TeamsWorld) -> None:
    """And a long title: Teams' 50 characters, the suffix of a taken name within them."""
    title = "Gas hob elbow joints leaking at the flange under domestic pressure"
    fitted = "inc-2026-001-gas-hob-elbow-joints-leaking-at-the-f"  # 50 characters
    standard.graph.add_channel(fitted, "someone else's")
    declare(standard, options=f'--invite ian --title "{title}"')
    name = "inc-2026-001-gas-hob-elbow-joints-leaking-at-the-2"
    assert len(fitted) == len(name) == 50
    channel = graph_channel(standard, name)
    made = [c for c in standard.graph.calls if c.method == "POST" and c.path.endswith("/channels")]
    assert [c.body["membershipType"] for c in made] == ["standard", "standard"]
    assert "members" not in made[1].body
    assert not any("enabledApps" in c.path or "/members" in c.path for c in standard.graph.calls)
    standard.said(channel["id"], f"Decision log · {INC}")
    message = told(standard, "ian", f"Hana Patel declared incident {INC}")
    assert f"Channel {name}" in _flat(message) and "Private" not in _flat(message)
    assert links(message) == [deep_link(channel["id"], name)]
    return_to_normal(standard)
    run(
        standard,
        "hana",
        f'close {INC} --reason "Back to normal" --review "2026-12-15 10:00"',
        f"{INC} closed by Hana Patel",
    )
    standard.graph.wait_for(lambda g: bool(g.channels[channel["id"]].get("isArchived")))
    needed = {p.name for p in permissions.PERMISSIONS if "standard" in p.modes and not p.setting}
    assert permissions_used(standard.graph.calls, "standard") == needed
