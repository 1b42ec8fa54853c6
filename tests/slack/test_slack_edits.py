"""A Slack message the bot cannot edit any more holds nothing up."""

from __future__ import annotations

from typing import Any

from tests.conftest import Driver
from tests.fakes.slack_world import USERS, SlackWorld, slack
from tests.fakes.steps import INC, ok, raise_issue

__all__ = ["slack"]  # the fixture, used by name


def test_a_card_deleted_in_slack_holds_no_later_post_to_its_channel(slack: SlackWorld) -> None:
    """chat.update answered message_not_found (the card was deleted): the card is left as it
    was, and the posts queued after its edit still reach the channel."""
    fake = slack.fake
    bot = Driver(slack.bot.engine, channel=slack.general, surface="slack", ids=USERS)
    ref = raise_issue(bot)
    slack.bot.outbox.kick()

    def card(f: Any) -> dict[str, Any] | None:
        posted = f.messages.get(slack.general, [])
        return next((m for m in posted if f"raised {ref}" in m["text"]), None)

    fake.wait_for(card)
    fake.messages[slack.general].remove(card(fake))  # deleted by someone in the channel
    ok(bot.cmd("hana", f"escalate {ref} incident --consulted david --rationale Fatality"))
    slack.bot.outbox.kick()
    fake.wait_for(
        lambda f: any(
            f"your issue {ref} is now incident {INC}" in m["text"]
            for m in f.messages.get(slack.general, [])
        )
    )
    refused = [c for c in fake.calls if c.method == "chat.update"]
    assert len(refused) == 1  # tried once, not for ever
