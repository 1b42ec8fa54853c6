"""The worked deployment for real: two bot processes on PostgreSQL behind Debian's nginx running
the shipped site (deploy/nginx/opss-bot.conf). Slack's requests go through nginx to a declared
incident and its first reminder; one process is killed with SIGKILL midway; every post is
made exactly once, and /metrics read through nginx shows the outbox backlog back at 0."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.conftest import START
from tests.fakes.fake_slack import FakeSlack
from tests.fakes.nginx import Nginx
from tests.fakes.processes import BotProcess, set_clock, wait_until
from tests.fakes.server import serving
from tests.fakes.slack_world import REF, SECRET, SEED, TOKEN, SlackWorld, declare_through_slack

pytestmark = pytest.mark.postgres
DOWNLOAD_TOKEN = "dLx7-one-time-token-that-must-not-be-logged"


def samples(url: str) -> list[Sample]:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        text = response.read().decode()
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def backlog(url: str) -> float:
    return sum(s.value for s in samples(url) if s.name == "opss_outbox_backlog")


def leader(url: str) -> set[str]:
    return {s.labels["process"] for s in samples(url) if s.name == "opss_outbox_leader_holder"}


def test_two_processes_behind_nginx_survive_a_sigkill_and_post_once(
    pg_url: str, tmp_path: Path
) -> None:
    fake = FakeSlack(TOKEN)
    general = fake.add_channel("opss", member=True, private=False)
    imt = fake.add_channel("opss-imt", member=True, private=False)
    seed = tmp_path / "people.toml"
    seed.write_text(SEED)
    clock_file = tmp_path / "now"
    set_clock(clock_file, START)  # Monday 23 Nov 2026, 09:30 GMT
    with serving(fake.app()) as fake_url:
        fake.base_url = fake_url
        env = {
            "DATABASE_URL": pg_url,
            "OPSS_CLOCK_FILE": str(clock_file),
            "OPSS_LOCAL_WORKSPACE": "false",
            "OPSS_SEED_FILE": str(seed),
            "OPSS_TICK_SECONDS": "0.2",
            "OPSS_OUTBOX_PACE_SECONDS": "0",
            "OPSS_OUTBOX_POLL_SECONDS": "0.1",
            "OPSS_AREAS": '["Gas and Electrical", "Toys and Childcare"]',
            "OPSS_PROCESSES": "2",
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": f"{fake_url}/api/",
            "SLACK_IMT_CHANNEL": imt,
        }
        bots = [BotProcess(env, tmp_path / f"bot{n}.log") for n in (1, 2)]
        proxy = Nginx(tmp_path / "nginx", [b.port for b in bots])
        slack = SlackWorld(proxy.url, fake, None, None, general, imt)  # type: ignore[arg-type]
        try:

            def kill_one() -> None:
                # Between commands, once the outbox is idle: Slack gives no idempotency key
                # for posts, so a kill between its answer and the row being marked could
                # repeat that one post (docs/install-slack.md).
                wait_until(lambda: backlog(proxy.url) == 0, what="an idle outbox")
                bots[0].kill()

            declare_through_slack(slack, midway=kill_one)
            assert bots[0].process.poll() is not None  # the rest ran on one process
            set_clock(clock_file, START + timedelta(minutes=30, seconds=30))  # TCG reminder due
            fake.wait_for(lambda f: posted(f, "Reminder: TCG", incident_channel(f)) == 1)
            wait_until(lambda: backlog(proxy.url) == 0, what="the backlog back to 0")
            # Whichever process answers, it names the survivor as the outbox's deliverer.
            survivor = {f"{socket.gethostname()}:{bots[1].process.pid}"}
            assert leader(proxy.url) == survivor and leader(proxy.url) == survivor
            with urllib.request.urlopen(f"{proxy.url}/readyz", timeout=10) as response:
                assert response.status == 200
            # A download link's token is a secret: nginx's log keeps the path, not the token.
            try:
                urllib.request.urlopen(f"{proxy.url}/exports/{DOWNLOAD_TOKEN}", timeout=10)
            except urllib.error.HTTPError as refused:
                assert refused.code in (403, 404, 410)
        finally:
            proxy.stop()
            for bot in bots:
                bot.stop()

    counts = Counter(
        (c.args["channel"], c.args.get("text", "")) for c in fake.ok_calls("chat.postMessage")
    )
    assert {k: v for k, v in counts.items() if v > 1} == {}  # nothing posted twice
    assert posted(fake, f"Olly Reed raised {REF}") == 1
    assert posted(fake, f"New potential issue {REF}") == 1
    assert posted(fake, "Incident INC-2026-001 declared.") == 1
    assert posted(fake, "Decision log · INC-2026-001") == 1
    assert posted(fake, "Reminder: TCG", incident_channel(fake)) == 1
    assert len(fake.ok_calls("conversations.create")) == 1
    assert len(fake.bookmarks) == 2
    log = (tmp_path / "nginx" / "access.log").read_text()
    assert log.count("POST /slack/events") >= 15  # Slack's requests went through nginx
    assert "GET /exports/[redacted]" in log and DOWNLOAD_TOKEN not in log


def posted(fake: FakeSlack, needle: str, channel: str | None = None) -> int:
    return sum(
        needle in c.args.get("text", "") and channel in (None, c.args["channel"])
        for c in fake.ok_calls("chat.postMessage")
    )


def incident_channel(fake: FakeSlack) -> str:
    made = fake.channel_named("inc-2026-001-gas-hob-elbow-joints-leaking")
    return str(made["id"]) if made else ""
