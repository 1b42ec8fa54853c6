"""The workspace's reply says once what the channel already shows (``bot/workspace``)."""

from __future__ import annotations

from bot.workspace.said_once import POSTED, said_once

CARD = {"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "Action ACT-2026-0001"}]}


def reply(text: str, card: object = None, **extra: object) -> dict[str, object]:
    return {"ok": True, "text": text, "summary": None, "card": card, "form": None, **extra}


def test_a_reply_the_post_repeats_in_full_points_to_the_post() -> None:
    text = "Action ACT-2026-0001 on INC-2026-001 for Ian Brooks, due Wed 25 Nov: Collect samples"
    shown = said_once(reply(text, CARD), [(text, CARD)])
    assert shown["text"] == POSTED and shown["card"] is None


def test_only_the_sentences_the_post_shows_are_left_out() -> None:
    text = (
        "NOT-2026-0001 recorded: due 3 Dec 2026. Fill in Annex II: /opss notify NOT-2026-0001 form."
    )
    posted = [("NOT-2026-0001 recorded: due 3 Dec 2026. Owner: Fatima Khan.", None)]
    assert (
        said_once(reply(text), posted)["text"]
        == "Fill in Annex II: /opss notify NOT-2026-0001 form."
    )


def test_a_card_not_posted_stays_and_its_text_goes_when_the_post_says_it() -> None:
    shown = said_once(reply("Raised ISS-2026-0001.", CARD), [("Raised ISS-2026-0001.", None)])
    assert shown["card"] == CARD and shown["text"] == ""


def test_nothing_posted_a_refusal_or_a_form_is_left_whole() -> None:
    text = "Only IMT may do that."
    assert said_once(reply(text), []) == reply(text)
    refused = reply(text, ok=False)
    assert said_once(refused, [(text, None)]) == refused
    form = reply(text, form={"type": "AdaptiveCard"})
    assert said_once(form, [(text, None)]) == form


def test_line_breaks_of_what_is_kept_stay() -> None:
    text = "Posted to the channel.\nNext:\n• assess it\n• escalate it"
    shown = said_once(reply(text), [("Posted to the channel.", None)])
    assert shown["text"] == "Next:\n• assess it\n• escalate it"
