"""The paged list in Slack with 1,000 open issues: each page within Slack's limits, filters,
*More* under the message and in the App Home modal."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from bench.fill import Size, fill
from rules.lifecycle import OPEN_STAGES
from storage.models import Issue
from tests.fakes.slack_world import SlackWorld
from tests.fakes.slack_world import slack as slack  # the fixture, used by its name

MANY = Size(issues=1_530, incidents=15, decisions=150, actions=150)


def within_slack_limits(blocks: list[dict[str, Any]], most: int = 50) -> None:
    """A message holds at most 50 blocks (a modal 100); a text block 3,000 characters, a
    section's fields ten of 2,000."""
    assert 0 < len(blocks) <= most
    for block in blocks:
        if "text" in block:
            assert len(block["text"]["text"]) <= 3000
        for field in block.get("fields", []):
            assert len(field["text"]) <= 2000
        assert len(block.get("fields", [])) <= 10
        assert len(block.get("elements", [])) <= 25


def facts(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The card's facts as shown: a bold label, then its value, in the card's rich text."""
    out: list[tuple[str, str]] = []
    for block in blocks:
        if block["type"] != "rich_text":
            continue
        for section in block["elements"]:
            for part in section.get("elements", []):
                if (part.get("style") or {}).get("bold"):
                    out.append((part["text"].removesuffix(": "), ""))
                elif out and part["text"] != "\n":
                    out[-1] = (out[-1][0], out[-1][1] + part["text"])
    return out


def items(blocks: list[dict[str, Any]]) -> list[str]:
    """The references listed, in order."""
    return [label for label, _ in facts(blocks)]


def button(blocks: list[dict[str, Any]], title: str) -> str:
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("type") == "button" and element["text"]["text"].startswith(title):
                return str(element["value"])
    raise AssertionError(f"no {title} button")


def press(slack: SlackWorld, user: str, value: str, **where: Any) -> None:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "user": {"id": f"U0{user.upper()}", "username": user},
        "trigger_id": f"t-{value}",
        "actions": [
            {
                "action_id": "opss_cmd_0",
                "block_id": "b",
                "type": "button",
                "value": value,
                "action_ts": f"{len(slack.fake.calls)}.1",
            }
        ],
        **where,
    }
    status, _ = slack.interact(payload)
    assert status == 200


def test_a_thousand_open_issues_page_by_page_within_slack_limits(slack: SlackWorld) -> None:
    fill(slack.bot.db, MANY, slack.clock.now(), ("Gas and Electrical", "Toys and Childcare"))
    with slack.bot.db.read() as s:
        total = s.scalar(
            select(func.count(Issue.id)).where(Issue.stage.in_([st.value for st in OPEN_STAGES]))
        )
        newest = list(
            s.scalars(
                select(Issue.reference)
                .where(Issue.stage.in_([st.value for st in OPEN_STAGES]))
                .order_by(Issue.id.desc())
                .limit(40)
            )
        )
    assert total is not None and total >= 1000
    since = slack.mark()
    slack.slash("olly", "list")
    # Counting stops 200 past the page, so a page costs the same after years of history.
    first = slack.replied("Open issues: 1-20 of 200+, newest first", since)
    within_slack_limits(first["blocks"])
    assert items(first["blocks"]) == newest[:20]
    assert len(json.dumps(first)) < 12_000  # one page, not the whole history
    since = slack.mark()
    more = button(first["blocks"], "More (21-40)")
    press(
        slack,
        "olly",
        more,
        channel={"id": slack.general},
        response_url=f"{slack.fake.base_url}/respond/more",
    )
    second = slack.replied("Open issues: 21-40 of 220+", since)
    within_slack_limits(second["blocks"])
    assert items(second["blocks"]) == newest[20:40]

    since = slack.mark()
    slack.slash("olly", 'list --stage ttg --area "Toys and Childcare"')
    filtered = slack.replied("area Toys and Childcare, stage TTG", since)
    within_slack_limits(filtered["blocks"])
    stages = [value for _, value in facts(filtered["blocks"])]
    assert stages and all(s.startswith("TTG · ") and "Toys and Childcare" in s for s in stages)


def test_app_home_counts_and_opens_the_rest_in_a_modal(slack: SlackWorld) -> None:
    fill(slack.bot.db, MANY, slack.clock.now(), ("Gas and Electrical", "Toys and Childcare"))
    slack.event({"type": "app_home_opened", "user": "U0HANA", "tab": "home", "channel": "D1"})
    slack.fake.wait_for(lambda f: f.ok_calls("views.publish"))
    home = slack.fake.ok_calls("views.publish")[0].args["view"]
    home = json.loads(home) if isinstance(home, str) else home
    within_slack_limits(home["blocks"], most=100)
    see_all = next(
        e
        for b in home["blocks"]
        for e in b.get("elements", [])
        if e.get("type") == "button" and e["value"] == "/opss list --waiting"
    )
    # The Head of IMT has most of the 1,000 open issues to move; counting stops at 200.
    assert see_all["text"]["text"] == "All 200+ waiting on you"
    press(slack, "hana", see_all["value"], view={"id": "VH1", "type": "home"})
    slack.fake.wait_for(lambda f: f.ok_calls("views.open"))
    modal = slack.fake.ok_calls("views.open")[-1].args["view"]
    modal = json.loads(modal) if isinstance(modal, str) else modal
    within_slack_limits(modal["blocks"], most=100)
    assert "Issues waiting on you: 1-20 of 200+" in json.dumps(modal)
    press(slack, "hana", button(modal["blocks"], "More"), view={"id": "VM1", "type": "modal"})
    slack.fake.wait_for(lambda f: f.ok_calls("views.update"))
    update = slack.fake.ok_calls("views.update")[-1].args
    assert update["view_id"] == "VM1"
    page = json.loads(update["view"]) if isinstance(update["view"], str) else update["view"]
    assert "Issues waiting on you: 21-40 of 220+" in json.dumps(page)
