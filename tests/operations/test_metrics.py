"""``GET /metrics`` as Prometheus reads it: requests per surface and verb, the outbox (backlog,
oldest undelivered, deliveries, retries, 429s), the scheduler (firings, lateness, missed) and
the leader lock; labels never carry a reference, a person or free text."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from bot.metrics import PROCESS
from commands.core.clock import ManualClock
from tests.conftest import START
from tests.fakes.processes import wait_until
from tests.fakes.server import running
from tests.fakes.slack_world import SlackWorld, slack  # noqa: F401 - the fixture
from tests.fakes.workspace import declared_in_workspace

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def label_values(samples: Samples) -> set[str]:
    return {v for _, labels in samples for _, v in labels}


RAISE = (
    "raise Kettle base sparks --products K1 --hazard Fire --source public "
    '--area "Gas and Electrical"'
)


def test_requests_and_the_outbox_are_counted_without_personal_data(slack: SlackWorld) -> None:  # noqa: F811
    fake = slack.fake
    # The first post meets a 429 (retried at once, as Slack says), the second a server error.
    fake.failures["chat.postMessage"] = [(429, {"Retry-After": "0"}), (500, {})]
    slack.slash("olly", RAISE)
    slack.replied("Raised ISS-2026-0001")
    slack.slash("olly", "frobnicate ISS-2026-0001 the kettle Olly bought")
    slack.replied("is not an /opss command")
    wait(
        lambda: (
            value(scrape(slack.url), "opss_outbox_retries_total", surface="slack", reason="error")
            == 1
        )
    )
    slack.real.advance(timedelta(seconds=2))  # the server error's backoff, on the outbox's clock
    slack.bot.outbox.kick()
    wait(  # posted here and to IMT, each after one failure
        lambda: (
            value(scrape(slack.url), "opss_outbox_deliveries_total", surface="slack", op="post")
            == 2
        )
    )

    samples = scrape(slack.url)
    assert value(samples, "opss_requests_total", surface="slack", verb="raise", outcome="ok") == 1
    assert (
        value(samples, "opss_requests_total", surface="slack", verb="other", outcome="rejected")
        == 1
    )
    assert value(samples, "opss_request_seconds_count", surface="slack", verb="raise") == 1
    assert value(samples, "opss_outbox_rate_limited_total", surface="slack") == 1
    assert value(samples, "opss_outbox_retries_total", surface="slack", reason="rate_limited") == 1
    assert value(samples, "opss_outbox_retries_total", surface="slack", reason="error") == 1
    assert value(samples, "opss_outbox_leader", process=PROCESS) == 1
    assert value(samples, "opss_outbox_leader_holder", process=PROCESS) == 1
    # Bounded and anonymous: no reference, person, Slack id or typed text in any label.
    for label in label_values(samples):
        assert not any(
            word in label for word in ("ISS-", "olly", "U0OLLY", "frobnicate", "Kettle", "C1")
        ), label


def test_the_backlog_and_its_oldest_post_while_slack_is_slow(slack: SlackWorld) -> None:  # noqa: F811
    fake = slack.fake
    answer = threading.Event()
    fake.held["chat.postMessage"] = answer  # Slack sits on the first post
    slack.slash("olly", RAISE)
    fake.wait_for(lambda f: "chat.postMessage" in f.arrived)
    slack.clock.advance(timedelta(seconds=90))

    samples = scrape(slack.url)
    assert value(samples, "opss_outbox_backlog", surface="slack") == 2  # here and to IMT
    assert value(samples, "opss_outbox_oldest_undelivered_seconds", surface="slack") == 90
    assert value(samples, "opss_outbox_backlog", surface="local") == 0

    answer.set()
    wait(lambda: value(scrape(slack.url), "opss_outbox_backlog", surface="slack") == 0)
    samples = scrape(slack.url)
    assert value(samples, "opss_outbox_oldest_undelivered_seconds", surface="slack") == 0
    assert value(samples, "opss_outbox_deliveries_total", surface="slack", op="post") == 2


def test_scheduler_firings_lateness_and_missed(database_url: str) -> None:
    url = database_url
    db, _general = declared_in_workspace(url)
    db.engine.dispose()
    clock = ManualClock(START)  # Monday 23 Nov 2026, 09:30 GMT

    clock.advance(timedelta(minutes=30, seconds=45))  # the 10:00 TCG reminder, 45 s late
    settings = Settings(database_url=url, outbox_poll_seconds=0.1, outbox_pace_seconds=0)
    with running(settings, clock) as (bot_url, bot):

        def scraped(name: str, **labels: str) -> float:
            return value(scrape(bot_url), name, **labels)

        wait(lambda: scraped("opss_scheduler_firings_total", step="reminder", status="on_time"))
        samples = scrape(bot_url)
        assert value(samples, "opss_scheduler_lateness_seconds_count", step="reminder") == 1
        assert value(samples, "opss_scheduler_lateness_seconds_sum", step="reminder") == 45
        assert (
            value(samples, "opss_scheduler_lateness_seconds_bucket", step="reminder", le="30.0")
            == 0
        )
        assert (
            value(samples, "opss_scheduler_lateness_seconds_bucket", step="reminder", le="60.0")
            == 1
        )

        # Down all afternoon (as the clock sees it): the prompt and chase are too old.
        clock.advance(timedelta(hours=6, minutes=10))  # 16:10
        bot.scheduler.kick()
        wait(lambda: scraped("opss_scheduler_firings_total", step="sitrep_cutoff", status="late"))
        samples = scrape(bot_url)
        assert value(samples, "opss_scheduler_missed_total", step="sitrep_prompt") == 1
        assert value(samples, "opss_scheduler_missed_total", step="sitrep_chase") == 1
        assert (
            value(samples, "opss_scheduler_firings_total", step="sitrep_prompt", status="missed")
            == 1
        )
        assert value(samples, "opss_scheduler_missed_total", step="reminder") == 0


def wait(check) -> None:  # type: ignore[no-untyped-def]
    wait_until(check, timeout=15, what="a metric")


def test_metrics_port_off_and_separate(tmp_path: Path) -> None:
    clock = ManualClock(START)
    off = Settings(database_url=f"sqlite:///{tmp_path / 'a.sqlite3'}", metrics_port="off")
    with running(off, clock) as (url, _bot), pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{url}/metrics", timeout=10)
    assert err.value.code == 404


def test_action_and_notification_steps_have_labels_of_their_own() -> None:
    """Each kind of due row is counted under its own step, never a reference or 'other'."""
    from bot.metrics import STEPS, step_label

    assert step_label("action:12", "remind_1440") == "action_reminder"
    assert step_label("action:12", "remind_120") == "action_reminder"
    assert step_label("action:12", "overdue") == "action_overdue"
    assert step_label("notification:3", "reminder") == "notification_reminder"
    assert step_label("notification:3", "overdue") == "notification_overdue"
    assert step_label("rhythm:7", "reminder") == "reminder"
    labels = {step_label(s, t) for s, t in [("action:1", "remind_60"), ("notification:9", "x")]}
    assert labels <= STEPS
