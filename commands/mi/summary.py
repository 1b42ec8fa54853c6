"""The weekly management-information summary (3.20): the dashboard's headline figures posted
to IMT's channel, on every surface where it is set up, at the configured weekday and London
time (``OPSS_MI_SUMMARY``). A due source of the tick (``commands/schedule.py``), listed in
``commands/core/due.py``.

Its schedule is one row (``MiSummarySchedule``, id 1), armed when the bot starts: a changed
setting re-times it, the same setting keeps the time already due, so a summary due while the
bot was down is posted when it comes back (marked late, within a day; ``rules/mi.py``). The
firing's unique key posts each week's summary once, however many processes tick. The summary
reads as IMT reads (every incident), EXERCISE records left out, and costs the dashboard's
constant number of statements.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from commands.core.context import Ctx
from commands.mi.card import dashboard_link, mi_card
from commands.mi.figures import Filters, dashboard
from commands.schedule import Batch, DueSource, Fire
from rules import roles
from rules.firing import FireStatus
from rules.mi import Weekly, parse_weekly, summary_status
from storage import repositories as repo
from storage.models import ChannelBinding, MiSummarySchedule
from storage.unit_of_work import Database

ROW = 1
SOURCE_KEY = "mi-summary"
STEP = "weekly"
# The figures of the week: the measures of time over the last 7 days.
WEEKLY = Filters(period="7d")


def arm(db: Database, now: datetime, weekly: Weekly | None) -> None:
    """Make the schedule match the setting (called as the bot starts)."""
    text = weekly.text if weekly is not None else "off"
    with db.unit_of_work() as session:
        insert = pg_insert if db.is_postgres else sqlite_insert
        session.execute(
            insert(MiSummarySchedule)
            .values(
                id=ROW,
                weekly=text,
                armed_at=now,
                next_run_at=weekly.next_after(now) if weekly else None,
            )
            .on_conflict_do_nothing(index_elements=["id"])
        )
        row = session.get(MiSummarySchedule, ROW, with_for_update=True)
        assert row is not None
        if row.weekly != text:
            row.weekly, row.armed_at = text, now
            row.next_run_at = weekly.next_after(now) if weekly else None


def handle(batch: Batch, rows: list[MiSummarySchedule]) -> None:
    wanted: list[Fire] = []
    for row in rows:
        weekly = parse_weekly(row.weekly)
        due = row.next_run_at
        assert due is not None  # a due row
        status = summary_status(batch.now - due, batch.options.late_after)
        wanted.append(Fire(None, SOURCE_KEY, STEP, due, status))
        row.last_run_at = due
        row.next_run_at = weekly.next_after(batch.now) if weekly else None
    claimed = batch.claim(wanted)
    for fire in wanted:
        if fire.key not in claimed:
            continue  # another process posted it
        batch.result.handled.append(f"MI summary {fire.status}")
        if fire.status == FireStatus.MISSED:
            batch.result.missed += 1
            continue
        _post(batch, fire)


def _post(batch: Batch, fire: Fire) -> None:
    system = repo.system_person(batch.session, batch.now)
    surfaces = list(
        batch.session.scalars(
            select(ChannelBinding.surface)
            .where(ChannelBinding.conversation == batch.options.imt_conversation)
            .order_by(ChannelBinding.surface)
        )
    )
    # What IMT may read: every incident (rules/roles.py may_read_incident), as a member of IMT.
    reader = roles.Actor(system.name, frozenset({roles.Grant(roles.Role.IMT)}))
    figures = None
    late = " (late)" if fire.status == FireStatus.LATE else ""
    for surface in surfaces:
        ctx = Ctx(
            session=batch.session,
            person=system,
            actor=reader,
            surface=surface,
            channel="",
            now=batch.now,
            options=batch.options,
        )
        if figures is None:
            figures = dashboard(ctx, WEEKLY)
        link = dashboard_link(batch.options, surface, WEEKLY)
        card = mi_card(figures, WEEKLY, link, title="Weekly management information")
        text = f"Weekly management information for IMT, as at {figures.as_at}{late}."
        ctx.post(batch.options.imt_conversation, text, card, surface=surface)
        batch.result.posted += 1
        ctx.audit(
            "mi.summary_posted",
            "mi",
            "weekly",
            None,
            {"due": fire.due_at.isoformat(), "status": fire.status, "surface": surface},
        )
    batch.result.late += fire.status == FireStatus.LATE


def describe(row: MiSummarySchedule, holidays: frozenset) -> str:
    return "the weekly management-information summary to IMT"


SOURCE = DueSource("the weekly management-information summary", MiSummarySchedule, handle, describe)
