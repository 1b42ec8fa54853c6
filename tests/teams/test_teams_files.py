"""Teams: records taken away and meetings put in calendars, asserted at the fake Bot Connector
and Graph over ``/api/messages``.

- A record exported to the incident's channel is a card whose Download button sends the
  presser (and only someone who may read the incident) a one-time link in their personal
  chat; with the channel's files granted, the file itself lands in its files folder.
- In a personal chat, a record comes with the file consent card: allowed, its bytes are PUT
  at the upload URL Teams gives, and a file card follows; declined, nothing is sent.
- Each meeting reminder carries its calendar invitation (.ics) and, with an organiser granted,
  the join link of a Teams meeting made for it once; a case conference's card, its own.
"""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

import docx
import icalendar
import pypdf

from bot.teams import files
from tests.fakes.fake_teams import FakeConnector
from tests.fakes.graph_permissions import permissions_used
from tests.fakes.teams_world import (
    CHANNEL_NAME,
    IMT,
    ORGANIZER,
    TeamsWorld,
    _flat,
    declare,
    return_to_normal,
    run,
    teams,
    teams_granted,
)

INC = "INC-2026-001"
__all__ = ["teams", "teams_granted"]  # the fixtures, used by name


def channel_of(world: TeamsWorld) -> str:
    world.graph.wait_for(lambda g: g.named(CHANNEL_NAME) is not None)
    channel = world.graph.named(CHANNEL_NAME)
    assert channel is not None
    return str(channel["id"])


def cards_in(world: TeamsWorld, conversation: str, content_type: str) -> list[dict[str, Any]]:
    return [
        a
        for m in world.connector.posts(conversation)
        for a in m.get("attachments") or []
        if a.get("contentType") == content_type
    ]


def wait_cards(world: TeamsWorld, conversation: str, content_type: str, count: int) -> None:
    def enough(c: FakeConnector) -> bool:
        return len(cards_in(world, conversation, content_type)) >= count

    world.connector.wait_for(enough)


def download(world: TeamsWorld, link: str) -> tuple[int, bytes, str]:
    url = link if link.startswith("http") else world.url + link
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as err:
        return err.code, err.read(), ""


def open_urls(card: dict[str, Any]) -> dict[str, str]:
    return {a["title"]: a["url"] for a in card.get("actions", []) if a["type"] == "Action.OpenUrl"}


def pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_a_record_in_the_channel_is_a_download_for_whoever_may_read_it(teams: TeamsWorld) -> None:
    declare(teams)
    channel = channel_of(teams)
    # The reply says where the records went: the channel (as Download cards, below).
    run(teams, "ian", f"export {INC} timeline", "timeline.pdf, posted in the incident's channel.")
    teams.said(channel, "timeline.pdf (")
    named = [
        m
        for m in teams.connector.posts(channel)
        if "timeline.pdf (" in _flat(m) and "Download" in _flat(m)
    ]
    assert len(named) == 1
    card = named[0]["attachments"][0]["content"]
    (button,) = card["actions"]
    assert button["type"] == "Action.Execute" and set(button["data"]) == {files.PRESS}

    # Ian may read the incident: the link is his, in his personal chat, not the channel's.
    chat = teams.personal("ian")
    seen = len(teams.connector.posts(chat))
    status, body = teams.execute("ian", button["data"], where=channel)
    assert status == 200 and body["value"] == "Your link is in your chat with OPSS."
    teams.connector.wait_for(lambda c: len(c.posts(chat)) > seen)
    linked = teams.connector.posts(chat)[seen]["attachments"][0]["content"]
    (link,) = open_urls(linked).values()
    status, content, media = download(teams, link)
    assert status == 200 and media == "application/pdf"
    text = pdf_text(content)
    assert "Timeline" in text and INC in text
    assert download(teams, link)[0] == 403  # once
    assert not any("/exports/" in _flat(m) for m in teams.connector.posts(channel))

    # Olly may not read it: he is told so, and no link is made for him.
    olly = teams.personal("olly")
    before = len(teams.connector.posts(olly))
    status, body = teams.execute("olly", button["data"], where=channel)
    assert status == 200 and "Only" in body["value"] and INC in body["value"]
    assert not any("/exports/" in _flat(m) for m in teams.connector.posts(olly)[before:])


def test_with_the_channels_files_granted_the_file_is_in_the_channel(
    teams_granted: TeamsWorld,
) -> None:
    world = teams_granted
    declare(world)
    channel = channel_of(world)
    run(
        world,
        "ian",
        f"export {INC} decisions",
        "decision-log.docx, posted in the incident's channel.",
    )
    world.graph.wait_for(lambda g: len(g.stored(f"folder-{channel}")) == 3)
    stored = {f.name: f.content for f in world.graph.stored(f"folder-{channel}")}
    assert set(stored) == {f"{INC}-decision-log.{x}" for x in ("csv", "pdf", "docx")}
    assert INC in docx_text(stored[f"{INC}-decision-log.docx"])
    assert INC in pdf_text(stored[f"{INC}-decision-log.pdf"])
    puts = [c for c in world.graph.calls if c.method == "PUT"]
    assert all(c.body["query"] == {"@microsoft.graph.conflictBehavior": "replace"} for c in puts)
    assert "Files.ReadWrite.All" in permissions_used(world.graph.calls, "private")
    world.said(channel, "decision-log.docx (")
    opened = [
        open_urls(a["content"])
        for a in cards_in(world, channel, "application/vnd.microsoft.card.adaptive")
        if "in this channel's Files" in _flat(a)
    ]
    assert {next(iter(o.values())).rsplit("/", 1)[1] for o in opened} == set(stored)

    # Where Graph refuses the files after all, the Download card stands instead.
    world.graph.refuse_files = True
    run(world, "ian", f"export {INC} timeline", "3 files from INC-2026-001")
    world.connector.wait_for(
        lambda c: any(
            "timeline.docx (" in _flat(m) and "Download" in _flat(m) for m in c.posts(channel)
        )
    )
    assert len(world.graph.stored(f"folder-{channel}")) == 3


def test_in_a_personal_chat_a_record_comes_with_the_file_consent_card(teams: TeamsWorld) -> None:
    declare(teams)
    return_to_normal(teams)
    run(
        teams,
        "hana",
        f'close {INC} --reason "Back to normal" --review "2026-12-15 10:00"',
        f"{INC} closed by Hana Patel",
    )
    # The channel is archived: the records come where Ian asked, his chat with the bot.
    run(
        teams,
        "ian",
        f"export {INC} timeline",
        "sent to you alone, in your own chat with the bot (the incident's channel is archived",
    )
    chat = teams.personal("ian")
    wait_cards(teams, chat, files.CONSENT, 3)
    offers = {a["name"]: a for a in cards_in(teams, chat, files.CONSENT)}
    offer = offers[f"{INC}-timeline.docx"]
    assert offer["content"]["sizeInBytes"] > 0
    accept = offer["content"]["acceptContext"]

    upload_url = f"{teams.bot.settings.graph_api_url}/upload/ian-timeline"
    value = {
        "type": "fileUpload",
        "action": "accept",
        "context": accept,
        "uploadInfo": {
            "name": f"{INC}-timeline.docx",
            "uploadUrl": upload_url,
            "contentUrl": "https://contoso-my.sharepoint.test/personal/ian/timeline.docx",
            "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C9D",
            "fileType": "docx",
        },
    }
    status, _ = consent(teams, "ian", value)
    assert status == 200
    (saved,) = teams.graph.stored("upload:ian-timeline")
    size = len(saved.content)
    assert saved.headers["Content-Range"] == f"bytes 0-{size - 1}/{size}"
    assert size == offer["content"]["sizeInBytes"]
    text = docx_text(saved.content)
    assert INC in text and "Timeline" in text
    wait_cards(teams, chat, files.INFO, 1)
    (info,) = cards_in(teams, chat, files.INFO)
    assert info["content"] == {
        "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C9D",
        "fileType": "docx",
    }
    assert info["contentUrl"].endswith("timeline.docx")

    # Declined: nothing is uploaded, and the chat says so.
    declined = {"type": "fileUpload", "action": "decline", "context": accept}
    assert consent(teams, "ian", declined)[0] == 200
    teams.said(chat, "Not saved: you declined the file.")

    # Olly, who may not read the incident, names the same record: nothing is uploaded.
    forged = {**value, "uploadInfo": {**value["uploadInfo"], "uploadUrl": f"{upload_url}-olly"}}
    assert consent(teams, "olly", forged)[0] == 200
    teams.said(teams.personal("olly"), "Not saved. Only")
    refusal = next(
        m for m in teams.connector.posts(teams.personal("olly")) if "Not saved" in _flat(m)
    )
    assert f"may see {INC}" in _flat(refusal)
    assert teams.graph.stored("upload:ian-timeline-olly") == []
    # An upload URL that is not Teams' (plain http off loopback) is refused outright.
    elsewhere = {**value, "uploadInfo": {**value["uploadInfo"], "uploadUrl": "http://evil.test/x"}}
    assert consent(teams, "ian", elsewhere)[0] == 400


def consent(world: TeamsWorld, user: str, value: dict[str, Any]) -> tuple[int, Any]:
    activity = world.activity(user, "invoke")
    activity["name"] = files.INVOKE
    activity["value"] = value
    return world.send(activity)


def test_a_reminder_carries_its_invitation_and_its_teams_meeting(
    teams_granted: TeamsWorld,
) -> None:
    world = teams_granted
    declare(world, options="--tcg-chair fatima")
    channel = channel_of(world)
    world.clock.advance(timedelta(minutes=31))  # 10:01: the TCG (10:30) reminder is due
    world.bot.scheduler.kick()
    world.said(channel, "Reminder: TCG")
    reminder = next(m for m in world.connector.posts(channel) if "Reminder: TCG" in _flat(m))
    card = reminder["attachments"][0]["content"]
    join = open_urls(card)["Join the Teams meeting"]
    # The case conference that led to the incident had its own meeting; this is the TCG's.
    ((key, meeting),) = [
        (k, m) for k, m in world.graph.meetings.items() if m["subject"].startswith("TCG")
    ]
    assert join == meeting["joinWebUrl"] and meeting["organizer"] == ORGANIZER
    assert meeting["subject"].startswith(f"TCG · {INC}")
    assert meeting["startDateTime"].startswith("2026-11-23T10:30:00")
    assert meeting["endDateTime"].startswith("2026-11-23T11:30:00")
    made = [c for c in world.graph.calls if c.path.endswith("/onlineMeetings/createOrGet")]
    assert {c.path for c in made} == {f"/v1.0/users/{ORGANIZER}/onlineMeetings/createOrGet"}
    for_tcg = [c for c in made if c.body["subject"].startswith("TCG")]
    assert {c.body["externalId"] for c in for_tcg} == {key}  # every copy, one meeting
    assert "OnlineMeetings.ReadWrite.All" in permissions_used(made, "private")
    # That case conference's card was posted to IMT with its own meeting's join link (the
    # card, edited once the conference was held, no longer needs one).
    (conference,) = [
        m for m in world.graph.meetings.values() if m["subject"].startswith("Case conference CC-")
    ]
    assert conference["organizer"] == ORGANIZER
    posted = [
        open_urls(a["content"])
        for c in world.connector.calls
        if c.method == "POST" and c.path.startswith(f"/v3/conversations/{IMT}/activities")
        for a in c.body.get("attachments") or []
        if "Case conference CC-" in _flat(a)
    ]
    assert {"Join the Teams meeting": conference["joinWebUrl"]}.items() <= posted[0].items()

    # Its Add to calendar button: Ian's own link, in his chat, to the TCG's invitation.
    (press,) = [a for a in card["actions"] if a.get("title") == "Add to calendar"]
    chat = world.personal("ian")
    seen = len(world.connector.posts(chat))
    status, body = world.execute("ian", press["data"], where=channel)
    assert status == 200 and body["value"] == "Your link is in your chat with OPSS."
    world.connector.wait_for(lambda c: len(c.posts(chat)) > seen)
    linked = world.connector.posts(chat)[seen]["attachments"][0]["content"]
    (link,) = open_urls(linked).values()
    status, content, media = download(world, link)
    assert status == 200 and media.startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(content)
    (event,) = cal.walk("VEVENT")
    assert cal["METHOD"] == "REQUEST" and event["SEQUENCE"] == 0
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event.decoded("DTSTART").strftime("%a %H:%M") == "Mon 10:30"
    assert str(event["SUMMARY"]).startswith(f"TCG · {INC}")

    # When the incident closes, the same button gives the cancellation.
    return_to_normal(world)
    run(
        world,
        "hana",
        f'close {INC} --reason "Back to normal" --review "2026-12-15 10:00"',
        f"{INC} closed by Hana Patel",
    )
    seen = len(world.connector.posts(chat))
    world.execute("ian", press["data"], where=channel)
    world.connector.wait_for(lambda c: len(c.posts(chat)) > seen)
    (link,) = open_urls(world.connector.posts(chat)[seen]["attachments"][0]["content"]).values()
    cancelled = icalendar.Calendar.from_ical(download(world, link)[1])
    (gone,) = cancelled.walk("VEVENT")
    assert cancelled["METHOD"] == "CANCEL" and gone["STATUS"] == "CANCELLED"
    assert (
        str(gone["UID"]) == str(event["UID"]) and gone["SEQUENCE"] == 2
    )  # the reduced rhythm, then closed


def test_without_an_organiser_granted_a_reminder_goes_without_a_meeting(
    teams_granted: TeamsWorld,
) -> None:
    world = teams_granted
    world.graph.refuse_meetings = True
    declare(world)
    channel = channel_of(world)
    world.clock.advance(timedelta(minutes=31))
    world.bot.scheduler.kick()
    world.said(channel, "Reminder: TCG")
    reminder = next(m for m in world.connector.posts(channel) if "Reminder: TCG" in _flat(m))
    assert "Join the Teams meeting" not in _flat(reminder)
    assert world.graph.meetings == {}
    refused = [c for c in world.graph.calls if c.path.endswith("/onlineMeetings/createOrGet")]
    assert refused and all(c.status == 403 for c in refused)
