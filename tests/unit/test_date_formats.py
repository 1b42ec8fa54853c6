"""One date format for people, with the time zone, and ISO 8601 for machines (issue 20, item 8).

An incident's life is walked through the engine (declared, actions assigned and chased
overdue, a notification recorded and sent, a sitrep published, the roster, the lists, the
stand-down and closing) and every reply, card and post it caused is scanned for anything
shaped like a date: each must read "Tue 1 Dec 2026", with "09:00 GMT" after it for a time. A
stray shape ("01 Dec 2026", "1 December 2026", "16:00 Mon 23 Nov 2026", a bare "2026-12-01"
the bot wrote itself) fails, naming where it was said. The CSV exports carry ISO 8601."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from cards.model import Card, card_from_dict
from commands.core.clock import ManualClock
from commands.core.context import Reply
from commands.core.due import tick
from rules.timeparse import LONDON, machine, show, show_date
from storage.models import Document, OutboxMessage
from storage.unit_of_work import Database
from tests.conftest import Driver
from tests.fakes.stand_down import de_escalate, open_actions
from tests.fakes.steps import INC, declare, ok, publish_sitrep

MONTHS = "January February March April May June July August September October November December"
MONTH = "|".join(m for name in MONTHS.split() for m in (name, name[:3]) if m)
WEEKDAY = "Mon|Tue|Wed|Thu|Fri|Sat|Sun"
# Anything a person could read as a date: a day and a month name (with or without a year or
# a weekday before it), or a date in digits.
DATE_SHAPED = re.compile(
    rf"(?:\b(?:{WEEKDAY}) )?\b\d{{1,2}} (?:{MONTH})\b(?: \d{{4}})?"
    rf"(?: \d{{2}}:\d{{2}}(?: [A-Z]{{3,4}})?)?"
    rf"|\b\d{{4}}-\d{{1,2}}-\d{{1,2}}(?:[T ]\d{{2}}:\d{{2}}\S*)?"
    rf"|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b"
    rf"|\b\d{{2}}:\d{{2}} (?:{WEEKDAY})\b"
)
# The one shape for people: "Tue 1 Dec 2026", and for a time "Tue 1 Dec 2026 09:00 GMT".
ONE_SHAPE = re.compile(
    rf"(?:{WEEKDAY}) [1-9]\d? (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{{4}}"
    rf"(?: \d{{2}}:\d{{2}} (?:GMT|BST))?"
)


def strays(text: str, typed: str) -> list[str]:
    """The date shapes in ``text`` other than the one; a date someone typed in their own
    words and the bot repeats (a rationale, a residual activity's line) is theirs."""
    out = []
    for found in DATE_SHAPED.finditer(text):
        shape = found.group(0)
        if ONE_SHAPE.fullmatch(shape) or shape in typed:
            continue
        out.append(shape)
    return out


class Walk:
    """Drives the bot and keeps every reply, and what each command typed."""

    def __init__(self, bot: Driver) -> None:
        self.bot = bot
        self.said: list[tuple[str, str]] = []  # (where, words)
        self.typed: list[str] = []

    def keep(self, where: str, reply: Reply) -> Reply:
        self.said.append((where, reply.text))
        if reply.card is not None:
            self.said.append((f"{where} (card)", reply.card.plain))
        return reply

    def cmd(self, user: str, text: str) -> Reply:
        self.typed.append(text)
        return self.keep(f"/opss {text}", ok(self.bot.cmd(user, text)))

    def submit(self, user: str, data: dict[str, Any]) -> Reply:
        self.typed.extend(str(v) for v in data.values())
        return self.keep(f"form {data['form']}", ok(self.bot.submit(user, data)))


def posted(db: Database) -> list[tuple[str, str]]:
    with db.read() as s:
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    out = []
    for row in rows:
        payload: dict[str, Any] = row.payload
        where = f"{row.op} to {row.conversation}"
        if isinstance(payload.get("text"), str):
            out.append((where, payload["text"]))
        if isinstance(payload.get("card"), dict):
            card: Card = card_from_dict(payload["card"])
            out.append((f"{where} (card)", card.plain))
    return out


def test_the_one_format_reads_as_people_expect() -> None:
    winter = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert show(winter) == "Tue 1 Dec 2026 09:00 GMT"
    assert show(summer) == "Wed 1 Jul 2026 09:00 BST"  # London wall time, its zone named
    assert show_date(date(2026, 11, 23)) == "Mon 23 Nov 2026"
    assert machine(summer.astimezone(LONDON)) == "2026-07-01T08:00:00+00:00"
    assert strays("due Tue 01 Dec 2026 and 1 December 2026, as at 16:00 Mon 23 Nov 2026", "") == [
        "Tue 01 Dec 2026",
        "1 December 2026",
        "16:00 Mon",  # the time before the day
        "23 Nov 2026",  # and so the day without its weekday
    ]
    assert strays("sent 2026-12-01, Tue 1 Dec 2026 09:00", "") == [
        "2026-12-01",
        "Tue 1 Dec 2026 09:00",  # a time without its zone
    ]


def test_a_lifecycle_says_every_date_one_way(bot: Driver, db: Database, clock: ManualClock) -> None:
    walk = Walk(bot)
    declare(bot, "--level strategic --tcg-chair fatima --erco yes")
    walk.cmd("hana", f"status {INC}")
    walk.cmd("hana", f"action {INC} Call the importer --owner ian --due 2026-11-24")
    walk.cmd("hana", f"action {INC} Test the joints --owner fatima --due 2026-12-03")
    nref = walk.cmd("fatima", f"notify {INC} reg33_4 --trigger 2026-11-23").text.split()[0]
    walk.cmd("fatima", f"notify {nref} show")
    walk.cmd("fatima", "roster add sara scg_chair --trained 2026-10-01")
    walk.cmd("olly", "roster")
    walk.cmd("hana", "decide " + INC + " --what Recall --rationale Evidence --by David --group scg")
    clock.advance(timedelta(days=1, hours=8))  # past the first action's due time: overdue
    tick(db, clock, bot.engine.options)
    publish_sitrep(bot, db, clock)
    walk.cmd("ian", f"sitrep {INC} list")
    walk.cmd("ian", f"sitrep {INC} show 1")
    walk.cmd("hana", f"list --actions {INC}")
    walk.cmd("ian", "list --actions")
    walk.cmd("hana", "list --incidents")
    walk.cmd("hana", "notifications")
    walk.cmd("hana", f"rhythm {INC}")
    de_escalate(bot, to="normal")
    walk.typed.append("consulted by phone on 25 Nov")  # the plan's SCG consultation, as typed
    for done in open_actions(db):
        walk.cmd("hana", f"done {done}")
    walk.cmd("hana", f'close {INC} --reason "Normal" --review "2026-12-15 10:00"')
    walk.cmd("hana", f"status {INC}")

    typed = "\n".join(walk.typed)
    found = {
        f"{where}: {shape}"
        for where, words in [*walk.said, *posted(db)]
        for shape in strays(words, typed)
    }
    assert not found, sorted(found)
    # The walk did say dates, in the one shape.
    everything = "\n".join(words for _, words in [*walk.said, *posted(db)])
    assert "Tue 24 Nov 2026 17:00 GMT" in everything  # the first action's due time
    assert "Thu 3 Dec 2026" in everything  # the notification's statutory due date


def test_the_csv_exports_carry_iso_8601(bot: Driver, db: Database) -> None:
    declare(bot)
    ok(bot.cmd("hana", f"decide {INC} --what Recall --rationale Evidence --by David --group scg"))
    ok(bot.cmd("ian", f"export {INC} decisions"))
    ok(bot.cmd("ian", f"export {INC} timeline"))
    with db.read() as s:
        kept = {d.filename: d.content for d in s.scalars(select(Document))}
    iso = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$")
    columns = {
        f"{INC}-decision-log.csv": ("decided_at", "recorded_at"),
        f"{INC}-timeline.csv": ("when",),
    }
    for name, wanted in columns.items():
        rows = list(csv.DictReader(io.StringIO(kept[name].decode("utf-8-sig"))))
        assert rows, name
        for row in rows:
            for column in wanted:
                assert iso.match(row[column]), (name, column, row[column])
