"""No Teams activity answers 5xx: ids no database can store (a lone surrogate, NUL) are a
400 naming the part, and a hypothesis fuzz run (a fixed, derandomised budget, so CI time
stays flat) sends well-signed activities of random shape and content to ``/api/messages``.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import row_counts
from tests.fakes.hostile import COMMANDS, FORMS, FUZZ, TEXT, VALUES
from tests.fakes.teams_world import APP_ID, TeamsWorld
from tests.fakes.teams_world import teams as teams

LONE = ["\ud800", "\udfff", "a\ud83dz", "\x00"]


@pytest.fixture
def world(teams: TeamsWorld) -> TeamsWorld:
    return teams


PARTS: dict[str, Any] = {
    "conversation.id": lambda a, v: a["conversation"].__setitem__("id", f"a:{v}"),
    "from.id": lambda a, v: a["from"].__setitem__("id", f"29:{v}"),
    "from.aadObjectId": lambda a, v: a["from"].__setitem__("aadObjectId", f"aad-{v}"),
    "from.name": lambda a, v: a["from"].__setitem__("name", f"O{v}lly"),
    "id": lambda a, v: a.__setitem__("id", v),
    "replyToId": lambda a, v: a.__setitem__("replyToId", v),
    "conversation.tenantId": lambda a, v: a["conversation"].__setitem__("tenantId", v),
    "serviceUrl": lambda a, v: a.__setitem__("serviceUrl", a["serviceUrl"] + "/" + v),
    "channelData.tenant.id": lambda a, v: a["channelData"]["tenant"].__setitem__("id", v),
}


def test_ids_no_database_can_store_are_refused_with_400_naming_the_part(
    world: TeamsWorld, caplog: pytest.LogCaptureFixture
) -> None:
    before = row_counts(world.bot.db)
    for part, put in PARTS.items():
        for bad in LONE:
            activity = world.activity("olly")
            activity["text"] = 'opss raise "Toaster lever sticks"'
            put(activity, bad)
            token = world.identity.token(APP_ID, world.connector.url)
            status, body = world.send(activity, token=token)
            assert status == 400, (part, bad, status, body)
            assert part in body["error"], (part, body)
    assert row_counts(world.bot.db) == before
    assert "Traceback" not in caplog.text


def test_a_lone_surrogate_in_the_persons_words_is_answered_not_refused(
    world: TeamsWorld,
) -> None:
    """Their own words go to the engine, which tells them what to fix."""
    status, _ = world.say("olly", "opss raise \ud800")
    assert status == 201
    world.said(world.personal("olly"), "Command")


# Fuzzing ------------------------------------------------------------------------------------

FUZZ_TEAMS = settings(FUZZ, max_examples=60)  # each example is a signed HTTP round trip
IDS = TEXT | st.sampled_from(LONE) | VALUES
SHAPES = st.sampled_from(["message", "invoke", "conversationUpdate", "installationUpdate"])


@st.composite
def activities(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed activity with parts replaced by anything JSON can carry."""
    kind = draw(SHAPES)
    where = draw(st.sampled_from(["personal", "19:general@thread.tacv2"]))
    return {
        "kind": kind,
        "where": where,
        "user": draw(st.sampled_from(["olly", "hana"])),
        "text": draw(COMMANDS | TEXT | VALUES),
        "value": draw(
            st.none()
            | FORMS
            | st.fixed_dictionaries({"action": st.fixed_dictionaries({"data": FORMS | VALUES})})
            | VALUES
        ),
        "name": draw(st.sampled_from(["adaptiveCard/action", "composeExtension/query"]) | TEXT),
        "swap": draw(
            st.dictionaries(
                st.sampled_from(
                    [
                        "id",
                        "replyToId",
                        "conversation",
                        "from",
                        "recipient",
                        "channelData",
                        "entities",
                        "attachments",
                        "membersAdded",
                        "locale",
                        "timestamp",
                    ]
                ),
                IDS,
                max_size=3,
            )
        ),
        "inner": draw(
            st.dictionaries(
                st.sampled_from(
                    ["conversation.id", "from.id", "from.name", "conversation.tenantId"]
                ),
                IDS,
                max_size=2,
            )
        ),
    }


@FUZZ_TEAMS
@given(shape=activities())
def test_fuzz_teams_activities_over_http(
    world: TeamsWorld, caplog: pytest.LogCaptureFixture, shape: dict[str, Any]
) -> None:
    activity = world.activity(shape["user"], shape["kind"], shape["where"])
    activity["text"] = shape["text"]
    activity["value"] = shape["value"]
    if shape["kind"] == "invoke":
        activity["name"] = shape["name"]
    for path, value in shape["inner"].items():
        outer, inner = path.split(".")
        activity[outer][inner] = value
    activity.update(shape["swap"])
    before = row_counts(world.bot.db)["issues"]
    status, body = world.send(activity)
    assert status < 500, (status, body)
    assert "Traceback" not in caplog.text
    if status >= 400:
        assert row_counts(world.bot.db)["issues"] == before
