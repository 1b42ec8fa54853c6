"""How fast the bot acknowledges Slack, beside the framework's floor.

Sends N signed ``/opss raise <title>`` slash commands, 50 at a time, to the running bot
(its own process, SQLite, a fake Slack Web API on loopback) and the same load to a minimal
slack-bolt app whose handler only acknowledges (bench/slack_floor.py). Rounds alternate
between the two; it prints each round and the medians of p50/p99 acknowledgement latency
and requests/s, the ratios, and whether every raise was recorded exactly once.

    .venv/bin/python -m bench.slack_ack [--requests 1000] [--concurrency 50] [--rounds 3]

Targets (issues 3 and 17): p99 at or below 250 ms and at most 3 times the floor's, at least
half the floor's throughput. Each command is recorded (the inbox) before it is acknowledged.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

TOKEN = "xoxb-bench-0000-" + "f" * 24
SECRET = "bench-signing-secret-0123456789ab"
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Round:
    who: str
    latencies: list[float]
    seconds: float

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds


def signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    sig = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={sig}",
    }


async def load(
    url: str, who: str, count: int, concurrency: int, start: int, respond_url: str
) -> Round:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(n: int) -> None:
            body = urllib.parse.urlencode(
                {
                    "team_id": "T1",
                    "channel_id": "C100",
                    "user_id": f"UBENCH{n % 40}",
                    "user_name": f"officer{n % 40}",
                    "command": "/opss",
                    "text": f'raise "Bench hob {n}" --products "Hob {n}" --hazard "Gas escape" '
                    '--source public --area "Gas and Electrical"',
                    "response_url": respond_url,
                    "trigger_id": f"bench-{n}",
                    "api_app_id": "A1",
                }
            )
            async with gate:
                began = time.perf_counter()
                async with session.post(
                    f"{url}/slack/events", data=body, headers=signed(body)
                ) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{who}: HTTP {response.status}")
                latencies.append(time.perf_counter() - began)

        began = time.perf_counter()
        await asyncio.gather(*(one(start + i) for i in range(count)))
        return Round(who, latencies, time.perf_counter() - began)


def wait_healthy(
    url: str, process: subprocess.Popen[bytes], probe: str = "/healthz", seconds: float = 60
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            import urllib.request

            with urllib.request.urlopen(f"{url}{probe}", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


def wait_open(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the fake Slack exited")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("the fake Slack did not start")


def recorded(db_path: Path) -> tuple[int, int]:
    with sqlite3.connect(db_path) as conn:
        total, distinct = conn.execute(
            "select count(*), count(distinct title) from issues"
        ).fetchone()
    return int(total), int(distinct)


def wait_recorded(db_path: Path, expected: int) -> tuple[int, int]:
    """Wait (at most 2 minutes) until the bot has recorded what it was sent."""
    deadline = time.monotonic() + 120
    while recorded(db_path)[0] < expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return recorded(db_path)


def report(
    rounds: list[Round], n_rounds: int, latency: str, expected: int, total: int, distinct: int
) -> Callable[[str, str], float]:
    """Print the medians of the bot's and the floor's rounds; returns the median getter."""

    def med(who: str, attr: str) -> float:
        return statistics.median(getattr(x, attr) for x in rounds if x.who == who)

    print()
    print(
        f"{'medians over ' + str(n_rounds) + ' rounds':28} {'bot':>10} {'floor':>10} {'ratio':>8}"
    )
    for label, attr in (
        (f"p50 {latency} (ms)", "p50"),
        (f"p99 {latency} (ms)", "p99"),
        ("throughput (req/s)", "rps"),
    ):
        ours, base = med("bot", attr), med("floor", attr)
        print(f"{label:28} {ours:10.1f} {base:10.1f} {ours / base:8.2f}")
    print(
        f"raises recorded: {total} of {expected} sent, {distinct} distinct "
        f"({'each exactly once' if total == distinct == expected else 'MISMATCH'})"
    )
    return med


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    # The fake Slack runs in its own process, so its work never delays the load's timing.
    fake_port = free_port()
    fake_url = f"http://127.0.0.1:{fake_port}"
    imt = "C101"  # the second channel the fake creates
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": ROOT}
    fake = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.fake_slack", str(fake_port), TOKEN, "opss", "opss-imt"],
        **quiet,
    )
    with tempfile.TemporaryDirectory() as tmp:
        wait_open(fake_port, fake)
        db_path = Path(tmp) / "bench.sqlite3"
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": f"{fake_url}/api/",
            "SLACK_IMT_CHANNEL": imt,
            "DATABASE_URL": f"sqlite:///{db_path}",
            "OPSS_LOCAL_WORKSPACE": "false",
            "OPSS_AREAS": '["Gas and Electrical"]',
        }
        bot_port, floor_port = free_port(), free_port()
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot"], env={**env, "OPSS_PORT": str(bot_port)}, **quiet
        )
        floor = subprocess.Popen(
            [sys.executable, "-m", "bench.slack_floor", str(floor_port)], env=env, **quiet
        )
        targets = {"bot": f"http://127.0.0.1:{bot_port}", "floor": f"http://127.0.0.1:{floor_port}"}
        try:
            wait_healthy(targets["bot"], bot, "/readyz")  # the bot answers 503 until it is ready
            wait_healthy(targets["floor"], floor)
            respond = f"{fake_url}/respond/bench"
            sent = 0
            for who, url in targets.items():  # warm-up, not counted
                asyncio.run(load(url, who, 50, args.concurrency, sent, respond))
                sent += 50
            rounds: list[Round] = []
            for r in range(args.rounds):
                order = ("floor", "bot") if r % 2 == 0 else ("bot", "floor")
                for who in order:
                    result = asyncio.run(
                        load(targets[who], who, args.requests, args.concurrency, sent, respond)
                    )
                    sent += args.requests
                    rounds.append(result)
                    print(
                        f"round {r + 1} {who:5}: p50 {result.p50:7.1f} ms  "
                        f"p99 {result.p99:7.1f} ms  {result.rps:8.1f} req/s"
                    )
            expected = 50 + args.requests * args.rounds  # raises the bot received
            total, distinct = wait_recorded(db_path, expected)
        finally:
            for process in (bot, floor, fake):
                process.terminate()
                process.wait(timeout=30)

    med = report(rounds, args.rounds, "ack latency", expected, total, distinct)
    p99_ok = med("bot", "p99") <= 250
    p99_floor_ok = med("bot", "p99") <= 3 * med("floor", "p99")
    rps_ok = med("bot", "rps") >= 0.5 * med("floor", "rps")
    print(
        f"targets: p99 <= 250 ms: {'met' if p99_ok else 'NOT met'}; "
        f"p99 <= 3x the floor's: {'met' if p99_floor_ok else 'NOT met'}; "
        f"throughput >= half the floor: {'met' if rps_ok else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
