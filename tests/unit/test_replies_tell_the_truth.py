"""Cards and replies tell the truth (issue 20, item 6): a held conference shows as held, and its
reference has a status; the level after de-escalation is the current one; EXERCISE is marked
once on a card; no reply or post doubles a phrase ("(Head of IMT) (Head of IMT)", "…))") or
says "None:" before saying that nothing is there."""

from __future__ import annotations

import re
import tomllib
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from cards import adaptive, blockkit
from cards.model import Card, card_from_dict
from commands.core.clock import ManualClock
from commands.core.context import Reply
from commands.core.due import tick
from storage.models import OutboxMessage
from storage.unit_of_work import Database
from tests.conftest import IMT_CHANNEL, Driver
from tests.fakes.stand_down import de_escalate, open_actions, plan
from tests.fakes.steps import INC, call_conference, declare, ok, publish_sitrep, to_stage

# A parenthesised phrase said twice, a parenthesis closed twice, a list that says "None:" or
# "Nothing:", a line or bullet that starts with the colon of a label it does not have.
DOUBLED = re.compile(r"(\([^()]+\))\s*\1|\)\)|\b(None|Nothing): |(^|\n|• ): ")


class Said:
    """Everything a walk shows people: its replies and every post, card and message queued."""

    def __init__(self, bot: Driver, db: Database) -> None:
        self.bot, self.db, self.replies = bot, db, list[str]()

    def cmd(self, user: str, text: str) -> Reply:
        return self.keep(self.bot.cmd(user, text))

    def submit(self, user: str, data: dict[str, str]) -> Reply:
        return self.keep(self.bot.submit(user, data))

    def keep(self, reply: Reply) -> Reply:
        self.replies.append(reply.text)
        if reply.card is not None:
            self.replies.append(reply.card.plain)
        return reply

    def everything(self) -> list[str]:
        out = list(self.replies)
        with self.db.read() as s:
            for payload in s.scalars(select(OutboxMessage.payload)):
                out.append(str(payload.get("text", "")))
                if isinstance(payload.get("card"), dict):
                    out.append(card_from_dict(payload["card"]).plain)
        return out


def test_no_reply_or_post_of_a_lifecycle_doubles_a_phrase_or_says_none(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    said = Said(bot, db)
    declare(bot, "--level strategic --exercise --tcg-chair fatima --scg-chair david")
    said.cmd("ian", f"action {INC} Collect samples --owner fatima --due 2026-11-24 --group tcg")
    said.cmd("ian", f"decide {INC} Recall batch 7 --rationale Leaks --by hana")
    said.cmd("ian", f"status {INC}")
    said.cmd("ian", "status CC-2026-0001")
    said.cmd("olly", "list")
    said.cmd("ian", "list --actions")
    said.cmd("ian", "home")
    said.cmd("tom", "home")  # nothing waiting, assigned or open for him: each list empty
    said.cmd("ian", f"rhythm {INC}")
    said.cmd("ian", f"group {INC}")
    publish_sitrep(bot, db, clock)
    clock.advance(timedelta(hours=17))  # the next morning's reminders
    tick(db, clock, bot.engine.options)
    said.keep(plan(bot))  # type: ignore[arg-type]
    said.cmd("hana", f"deescalate {INC} approve")
    said.cmd("hana", f"deescalate {INC} approve")  # twice: refused
    said.cmd("sara", f"deescalate {INC} approve")  # not an approver: refused
    said.cmd("fatima", f"deescalate {INC} approve")
    said.cmd("ian", f"status {INC}")
    de_escalate(bot, to="normal")
    for ref in open_actions(db):
        said.cmd("fatima", f"done {ref}")
    said.cmd("ian", f'close {INC} --reason "Normal" --review "2026-12-15 10:00"')  # refused
    said.cmd("hana", f'close {INC} --reason "Normal" --review "2026-12-15 10:00"')
    said.cmd("ian", f"export {INC} decisions")
    # An issue escalated straight to an incident by the Head of IMT (2.3), and an FTL's.
    other = to_stage(bot, "ftl_assessment")
    said.submit(
        "hana",
        {
            "form": "direct_escalation",
            "reference": other,
            "title": "Kettles overheating",
            "consulted": "david",
            "rationale": "Deaths reported",
            "level": "tactical",
        },
    )
    third = to_stage(bot, "ftl_assessment")
    call_conference(bot, third, user="fatima")
    said.cmd("fatima", "status CC-2026-0003")
    found = sorted(
        {
            t[max(0, m.start() - 60) : m.end() + 20]
            for t in said.everything()
            for m in DOUBLED.finditer(t)
        }
    )
    assert found == [], "\n".join(found)


# The conference's status and its card -------------------------------------------------------


def test_a_held_conference_shows_held_with_its_outcome_on_its_card_and_status(
    bot: Driver, db: Database
) -> None:
    ref = to_stage(bot, "cam_ep")
    cc = call_conference(bot, ref)
    called = ok(bot.cmd("ian", f"status {cc}"))
    assert called.card is not None and dict(called.card.facts)["Status"] == "Called"
    ok(
        bot.submit(
            "ian",
            {
                "form": "outcome",
                "conference": cc,
                "outcomes": "declare_incident",
                "rationale": "Fires reported",
                "decided_by": "David",
            },
        )
    )
    held = ok(bot.cmd("ian", f"status {cc}"))
    assert held.card is not None and held.card.title == f"Case conference {cc}"
    facts = dict(held.card.facts)
    assert facts["Status"] == "Held"
    assert facts["Outcome"] == "Declare an incident"
    assert facts["Held"].startswith("outcome recorded")
    # Every copy of its card posted when it was called is edited to say so.
    with db.read() as s:
        rows = s.execute(
            select(OutboxMessage.op, OutboxMessage.anchor, OutboxMessage.payload).where(
                OutboxMessage.anchor.like(f"conference:{cc}%")
            )
        ).all()
    posted = {anchor for op, anchor, _ in rows if op == "post"}
    edited = {
        anchor: dict(card_from_dict(p["card"]).facts)["Status"]
        for op, anchor, p in rows
        if op == "update"
    }
    assert posted == {f"conference:{cc}", f"conference:{cc}:here"}
    assert edited == {f"conference:{cc}": "Held", f"conference:{cc}:here": "Held"}


def test_a_conference_called_in_imts_channel_is_one_post_edited_when_held(
    bot: Driver, db: Database
) -> None:
    imt = Driver(bot.engine, channel=IMT_CHANNEL)  # IMT's own channel
    ref = to_stage(imt, "cam_ep")
    cc = call_conference(imt, ref)
    with db.read() as s:
        posts = s.scalars(
            select(OutboxMessage.anchor).where(
                OutboxMessage.op == "post",
                OutboxMessage.conversation == "imt",
                OutboxMessage.payload["text"].as_string().like(f"Case conference {cc}%"),
            )
        ).all()
    assert posts == [f"conference:{cc}"]  # one post, under the anchor its edits name


def test_status_of_an_unknown_conference_or_a_conference_given_elsewhere(bot: Driver) -> None:
    unknown = bot.cmd("ian", "status CC-2026-0009")
    assert not unknown.ok and unknown.text == "No case conference CC-2026-0009 is recorded."
    elsewhere = bot.cmd("ian", "export CC-2026-0001")
    assert not elsewhere.ok
    assert elsewhere.text == (
        "CC-2026-0001 is a case conference; this takes an issue (ISS-2026-0001) or an incident "
        "(INC-2026-001). /opss status CC-2026-0001 shows the conference."
    )


# The level after de-escalation --------------------------------------------------------------


def test_the_card_and_status_show_the_level_after_de_escalation(bot: Driver, db: Database) -> None:
    declare(bot, "--level strategic --exercise --tcg-chair fatima")
    before = ok(bot.cmd("ian", f"status {INC}")).card
    assert before is not None
    assert dict(before.facts)["Command level"] == "Strategic"
    assert dict(before.facts)["Response level"] == "Critical"
    de_escalate(bot)
    after = ok(bot.cmd("ian", f"status {INC}")).card
    assert after is not None
    facts = dict(after.facts)
    assert facts["Command level"] == "Tactical"
    assert facts["Status"] == "De-escalated"
    # The response level (the impact rating) is not the command level: named apart, and not
    # left saying Critical as if de-escalation had not happened.
    assert facts["Response level"] == (
        "Critical, as last rated (de-escalation lowers the command level; "
        "/opss level INC-2026-001 changes this)"
    )
    with db.read() as s:
        pinned = s.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.anchor == f"incident:{INC}", OutboxMessage.op == "update")
            .order_by(OutboxMessage.id.desc())
        ).first()
    assert pinned is not None
    assert dict(card_from_dict(pinned["card"]).facts)["Command level"] == "Tactical"


# EXERCISE, once on a card -------------------------------------------------------------------


def _exercise_words(card: Card) -> tuple[int, int]:
    """How often EXERCISE appears on the card as Slack and as Teams/the workspace draw it."""
    slack = str(blockkit.blocks_json(blockkit.card_blocks(card))).count("EXERCISE")
    teams = str(adaptive.render_card(card)).count("EXERCISE")
    return slack, teams


def test_exercise_is_marked_once_on_each_card(bot: Driver, db: Database) -> None:
    declare(bot, "--level strategic --exercise --tcg-chair fatima")
    status = ok(bot.cmd("ian", f"status {INC}")).card
    assert status is not None
    assert _exercise_words(status) == (1, 1)
    assert not status.title.startswith("EXERCISE")
    with db.read() as s:
        cards = [
            card_from_dict(p["card"])
            for p in s.scalars(select(OutboxMessage.payload))
            if isinstance(p.get("card"), dict)
        ]
    exercise_cards = [c for c in cards if c.exercise]
    assert exercise_cards
    twice = [c.plain for c in exercise_cards if _exercise_words(c) != (1, 1)]
    assert twice == [], twice[0]


def test_the_demo_peoples_names_carry_no_role() -> None:
    """A card names a person's role beside their name; a display name that carried it too
    printed "Hana Patel (Head of IMT) (Head of IMT)"."""
    people = tomllib.loads(Path("bot/workspace/people.toml").read_text())["people"]
    assert [p["display_name"] for p in people if "(" in p["display_name"]] == []


# Forms of an issue (declaring it), not of an incident.
ABOUT_SOMETHING_ELSE = {"declare", "direct_escalation"}


def _forms_opened_on(bot: Driver) -> dict[str, bool]:
    """Every form the engine knows, opened on the incident as a surface's button would open
    it: its id, and whether it is marked EXERCISE on Slack and in Teams and the workspace."""
    from commands.core.engine import FORM_FLOWS

    marked: dict[str, bool] = {}
    for form_id in sorted(FORM_FLOWS):
        reply = bot.engine.open_form(
            "local", "ian", "ian", bot.channel, form_id, {"reference": INC}, {}
        )
        if reply.form is None or form_id in ABOUT_SOMETHING_ELSE or form_id.startswith("exercise_"):
            continue  # not a form of the incident's (the exercise programme's are all marked)
        slack = str(blockkit.form_modal(reply.form, {}).to_dict()).count("EXERCISE")
        teams = str(adaptive.render_form(reply.form)).count("EXERCISE")
        marked[form_id] = (slack, teams) == (1, 1)
    return marked


def test_every_form_of_an_exercise_says_so(bot: Driver) -> None:
    declare(bot, "--level strategic --exercise --tcg-chair fatima")
    marked = _forms_opened_on(bot)
    assert len(marked) >= 15, sorted(marked)  # the incident's forms were reached
    assert [f for f, yes in marked.items() if not yes] == []


def test_no_form_of_a_live_incident_says_exercise(bot: Driver) -> None:
    declare(bot, "--level strategic --tcg-chair fatima")
    marked = _forms_opened_on(bot)
    assert len(marked) >= 15 and not any(marked.values())
