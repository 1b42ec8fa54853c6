"""Prometheus metrics (``GET /metrics``): requests, the outbox, the scheduler, the leader lock.

Labels hold only fixed sets (surface, verb, operation, step, status), never a reference, a
person or free text, so the number of series is bounded: a verb the engine does not know is
counted as ``other``. Each process counts what it did; the outbox backlog is read from the
database at scrape time, so every process reports the same figure.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from sqlalchemy import Insert, func, select
from sqlalchemy.orm import ORMExecuteState, Session

from bot.leader import PROCESS, LeaderLock
from cards.model import Card
from commands.core.clock import Clock
from commands.core.context import Reply, Request, Submission
from commands.core.engine import ALL_VERBS, FORM_FLOWS, Engine
from rules.firing import FireStatus
from storage.models import Firing, OutboxMessage, OutboxStatus
from storage.unit_of_work import Database

log = logging.getLogger("bot.requests")

SURFACES = frozenset({"local", "slack", "teams"})
VERBS = frozenset(ALL_VERBS) | frozenset(FORM_FLOWS) | {"home"}
OPERATIONS = frozenset({"post", "update", "pin", "bookmark", "invite", "create_channel"})
STEPS = frozenset(
    {
        "reminder",
        "sitrep_prompt",
        "sitrep_chase",
        "sitrep_cutoff",
        "action_reminder",
        "action_overdue",
        "notification_reminder",
        "notification_overdue",
    }
)


def step_label(source: str, step: str) -> str:
    """A firing's step as a label: actions' and notifications' steps named by their kind
    (an action's ``remind_1440`` is an ``action_reminder``), never by their subject."""
    kind = source.split(":", 1)[0]
    if kind in {"action", "notification"}:
        return f"{kind}_{'overdue' if step == 'overdue' else 'reminder'}"
    return step


STATUSES = frozenset({"on_time", "late", "missed"})


def bounded(value: str, allowed: frozenset[str]) -> str:
    return value if value in allowed else "other"


def verb_of(text: str) -> str:
    text = text.strip()
    if text.lower().startswith("/opss"):
        text = text[5:].strip()
    return bounded(text.partition(" ")[0].lower() or "help", VERBS)


class Metrics:
    def __init__(self, db: Database, clock: Clock, leader: LeaderLock | None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "opss_requests",
            "Commands and forms handled",
            ["surface", "verb", "outcome"],
            registry=r,
        )
        self.latency = Histogram(
            "opss_request_seconds",
            "Time to handle a command or form (the unit of work)",
            ["surface", "verb"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.deliveries = Counter(
            "opss_outbox_deliveries", "Outbox operations delivered", ["surface", "op"], registry=r
        )
        self.retries = Counter(
            "opss_outbox_retries",
            "Failed deliveries, to be retried (rate_limited: the platform answered 429)",
            ["surface", "reason"],
            registry=r,
        )
        self.rate_limited = Counter(
            "opss_outbox_rate_limited", "429 answers from the platform", ["surface"], registry=r
        )
        self.lateness = Histogram(
            "opss_scheduler_lateness_seconds",
            "How long after its due time a reminder, prompt, chase or cut-off was handled",
            ["step"],
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
            registry=r,
        )
        self.firings = Counter(
            "opss_scheduler_firings",
            "Reminders, prompts, chases and cut-offs handled, by status",
            ["step", "status"],
            registry=r,
        )
        self.missed = Counter(
            "opss_scheduler_missed",
            "Reminders and prompts recorded as missed (found due beyond the grace period)",
            ["step"],
            registry=r,
        )
        leader_gauge = Gauge(
            "opss_outbox_leader",
            "1 when this process holds the outbox leader lock and delivers the outbox",
            ["process"],
            registry=r,
        )
        leader_gauge.labels(PROCESS).set_function(
            lambda: 1.0 if leader is not None and leader.held else 0.0
        )
        r.register(OutboxBacklog(db, clock))
        if leader is not None:
            r.register(LeaderHolder(leader))

    # Hooks -----------------------------------------------------------------------------------

    def command(self, surface: str, verb: str, ok: bool, seconds: float) -> None:
        surface = bounded(surface, SURFACES)
        self.requests.labels(surface, verb, "ok" if ok else "rejected").inc()
        self.latency.labels(surface, verb).observe(seconds)

    def delivered(self, surface: str, op: str) -> None:
        self.deliveries.labels(bounded(surface, SURFACES), bounded(op, OPERATIONS)).inc()

    def failed(self, surface: str, rate_limited: bool) -> None:
        surface = bounded(surface, SURFACES)
        self.retries.labels(surface, "rate_limited" if rate_limited else "error").inc()
        if rate_limited:
            self.rate_limited.labels(surface).inc()

    def fired(self, step: str, status: str, due: datetime, handled: datetime) -> None:
        step = bounded(step, STEPS)
        self.firings.labels(step, bounded(status, STATUSES)).inc()
        self.lateness.labels(step).observe(max((handled - due).total_seconds(), 0.0))
        if (
            status == FireStatus.MISSED and step != "sitrep_cutoff"
        ):  # a cut-off is collated regardless
            self.missed.labels(step).inc()

    def watch_firings(self, db: Database) -> None:
        """Count the firings this process records, when their transaction commits.

        The tick records firings with ``INSERT … ON CONFLICT DO NOTHING RETURNING``; watching
        that statement (rather than the tick's code) counts each firing once, in the process
        that won it, whatever the shape of the tick.
        """

        def on_execute(state: ORMExecuteState) -> Any:
            statement = state.statement
            if not isinstance(statement, Insert) or state.bind_mapper is None:
                return None
            if state.bind_mapper.class_ is not Firing:
                return None
            try:
                dialect = state.session.get_bind().dialect
                rows = _value_rows(statement.compile(dialect=dialect).params)
            except Exception:  # counting must never stand in the tick's way
                log.warning("could not read a firing for /metrics", exc_info=True)
                return None
            frozen = state.invoke_statement().freeze()
            claimed = _claimed(rows, [dict(r._mapping) for r in frozen.data])
            state.session.info.setdefault("opss_firings", []).extend(claimed)
            return frozen()

        def on_commit(session: Session) -> None:
            for row in session.info.pop("opss_firings", []):
                step = step_label(str(row.get("source") or ""), row["step"])
                self.fired(step, row["status"], row["due_at"], row["handled_at"])

        def on_rollback(session: Session) -> None:
            session.info.pop("opss_firings", None)

        db.listen("do_orm_execute", on_execute)
        db.listen("after_commit", on_commit)
        db.listen("after_rollback", on_rollback)

    # Exposition ------------------------------------------------------------------------------

    async def handler(self, request: web.Request) -> web.Response:
        body = await asyncio.to_thread(generate_latest, self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _value_rows(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of an INSERT's VALUES from its bound parameters (``step``, or ``step_m3``
    for the fourth row of a multi-row insert)."""
    rows: dict[int, dict[str, Any]] = {}
    for key, value in params.items():
        name, _, index = key.rpartition("_m")
        if name and index.isdigit():
            rows.setdefault(int(index), {})[name] = value
        else:
            rows.setdefault(0, {})[key] = value
    return [rows[i] for i in sorted(rows)]


def _claimed(rows: list[dict[str, Any]], returned: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The inserted rows: those the RETURNING clause names (a conflict returns nothing)."""
    if returned and {"source", "step", "due_at"} <= set(returned[0]):
        keys = {(r["source"], r["step"], r["due_at"]) for r in returned}
        return [r for r in rows if (r.get("source"), r.get("step"), r.get("due_at")) in keys]
    return rows if len(returned) == len(rows) else []


class OutboxBacklog(Collector):
    """Per surface: undelivered outbox rows and the age of the oldest (read at scrape time)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def describe(self) -> Iterator[Metric]:
        return iter(())  # collected from the database only when scraped

    def collect(self) -> Iterator[Metric]:
        backlog = GaugeMetricFamily(
            "opss_outbox_backlog", "Undelivered outbox operations", labels=["surface"]
        )
        oldest = GaugeMetricFamily(
            "opss_outbox_oldest_undelivered_seconds",
            "Age of the oldest undelivered outbox operation (0 when none)",
            labels=["surface"],
        )
        try:
            with self.db.read() as session:
                rows = session.execute(
                    select(
                        OutboxMessage.surface,
                        func.count(),
                        func.min(OutboxMessage.created_at),
                    )
                    .where(OutboxMessage.status == OutboxStatus.PENDING)
                    .group_by(OutboxMessage.surface)
                ).all()
        except Exception:
            log.warning("could not read the outbox backlog for /metrics", exc_info=True)
            return
        now = self.clock.now()
        seen: dict[str, tuple[int, float]] = dict.fromkeys(SURFACES, (0, 0.0))
        for surface, count, first in rows:
            label = bounded(surface, SURFACES)
            age = max((now - first).total_seconds(), 0.0) if first is not None else 0.0
            before = seen.get(label, (0, 0.0))
            seen[label] = (before[0] + int(count), max(before[1], age))
        for surface, (count, age) in sorted(seen.items()):
            backlog.add_metric([surface], count)
            oldest.add_metric([surface], age)
        yield backlog
        yield oldest


class LeaderHolder(Collector):
    """Which process delivers the outbox, as any process sees it (through a proxy, the
    process answering the scrape may not be the one holding the lock)."""

    def __init__(self, leader: LeaderLock) -> None:
        self.leader = leader

    def describe(self) -> Iterator[Metric]:
        return iter(())

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "opss_outbox_leader_holder",
            "1 for the process (host:pid) that holds the outbox leader lock",
            labels=["process"],
        )
        try:
            holder = self.leader.holder()
        except Exception:
            log.warning("could not read the outbox leader for /metrics", exc_info=True)
            return
        if holder:
            family.add_metric([holder], 1)
        yield family


class MeasuredEngine(Engine):
    """The engine, counted and timed per surface and verb (and logged, one line a command)."""

    metrics: Metrics | None = None

    def handle(self, request: Request) -> Reply:
        start = time.perf_counter()
        reply = super().handle(request)
        self._observe(request.surface, verb_of(request.text), reply, start)
        return reply

    def submit(self, submission: Submission) -> Reply:
        if "command" in submission.data:  # a card's button: counted as its command by handle
            return super().submit(submission)
        start = time.perf_counter()
        reply = super().submit(submission)
        verb = bounded(str(submission.data.get("form", "")), VERBS)
        self._observe(submission.surface, verb, reply, start)
        return reply

    def open_form(self, surface: str, *args: Any, **kwargs: Any) -> Reply:
        start = time.perf_counter()
        reply = super().open_form(surface, *args, **kwargs)
        form_id = str(kwargs.get("form_id", args[3] if len(args) > 3 else ""))
        self._observe(surface, bounded(form_id, VERBS), reply, start)
        return reply

    def home(self, surface: str, user_id: str, user_name: str) -> list[Card]:
        start = time.perf_counter()
        cards = super().home(surface, user_id, user_name)
        self._observe(surface, "home", Reply(), start)
        return cards

    def _observe(self, surface: str, verb: str, reply: Reply, start: float) -> None:
        seconds = time.perf_counter() - start
        if self.metrics is not None:
            self.metrics.command(surface, verb, reply.ok, seconds)
        log.info(
            "%s %s: %s in %.0f ms",
            bounded(surface, SURFACES),
            verb,
            "ok" if reply.ok else "rejected",
            seconds * 1000,
        )
