"""What the bot's own token check (bot/teams/tokens.py) refuses beyond tests/teams/test_teams.py's
bad tokens: what botbuilder's channel validation refused too, each a 401 that changes nothing."""

from __future__ import annotations

from tests.conftest import row_counts
from tests.fakes.teams_world import APP_ID, TeamsWorld
from tests.fakes.teams_world import teams as teams  # the fixture, used by its name

RAISE = 'opss raise Sneaky --products p --hazard h --source public --area "Gas and Electrical"'


def test_tokens_the_channel_would_not_send_are_refused_with_401(teams: TeamsWorld) -> None:
    identity, url = teams.identity, teams.connector.url
    before = row_counts(teams.bot.db)
    calls = len(teams.connector.calls)
    cases = {
        # The key is endorsed for msteams only.
        "another channel": ({"channelId": "directline"}, identity.token(APP_ID, url)),
        "several audiences": ({}, identity.token([APP_ID, "another-bot"], url)),  # type: ignore[arg-type]
        "not yet valid": ({}, identity.token(APP_ID, url, nbf=2_000_000_000)),
        "no serviceurl claim": ({}, identity.token(APP_ID, "")),
        "HS256 with the key id": ({}, identity.token(APP_ID, url, key="s" * 32, algorithm="HS256")),
    }
    for name, (changed, token) in cases.items():
        activity = {**teams.activity("olly"), **changed, "text": RAISE}
        status, _ = teams.send(activity, token=token)
        assert status == 401, name
    assert row_counts(teams.bot.db) == before
    assert len(teams.connector.calls) == calls
