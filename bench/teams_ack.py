"""How fast the bot answers Teams, beside two floors.

Sends N ``opss raise <title>`` message activities, each with a token signed like the Bot
Framework's (against OpenID metadata served from this process), 50 at a time, to the running
bot (its own process, SQLite, a fake Bot Connector in a third process) and the same load to
two floors: a bare botbuilder bot that answers each message with one line
(bench/teams_floor.py, "floor") and the protocol's own floor, which checks the token with
PyJWT and answers at once (bench/teams_jwt_floor.py, "jwt"). Rounds alternate (each round
starts with the next of the three); it prints each round, the medians of p50/p99 latency and
requests/s, the ratios, the load average, how long the bot took after the last round to have
recorded everything, and whether every raise was recorded exactly once.

    .venv/bin/python -m bench.teams_ack [--requests 1000] [--concurrency 50] [--rounds 3]
        [--root CHECKOUT]

``--root`` runs the bot from another checkout (the code before a change), with the same load.
Targets (issue 8): at least half the botbuilder floor's throughput, p99 at most 3 times its.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

from bench.slack_ack import (
    ROOT,
    Round,
    free_port,
    recorded,
    wait_healthy,
    wait_open,
    wait_recorded,
)
from tests.fakes.fake_teams import Identity

APP_ID = "00000000-0000-4000-8000-00000000be0c"
TENANT = "00000000-0000-4000-8000-0000000000aa"
IMT = "19:imt@thread.tacv2"


def activity(n: int, connector_url: str) -> dict[str, object]:
    user = f"29:bench{n % 40}"
    return {
        "type": "message",
        "id": uuid.uuid4().hex,
        "serviceUrl": connector_url,
        "channelId": "msteams",
        "from": {"id": user, "name": f"Officer {n % 40}"},
        "conversation": {"id": f"a:{user}", "conversationType": "personal", "tenantId": TENANT},
        "recipient": {"id": f"28:{APP_ID}", "name": "OPSS"},
        "channelData": {"tenant": {"id": TENANT}},
        "text": f'opss raise "Bench hob {n}" --products "Hob {n}" --hazard "Gas escape" '
        '--source public --area "Gas and Electrical"',
    }


async def load(
    url: str, who: str, count: int, concurrency: int, start: int, token: str, connector: str
) -> Round:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as s:

        async def one(n: int) -> None:
            body = activity(n, connector)
            async with gate:
                began = time.perf_counter()
                async with s.post(f"{url}/api/messages", json=body, headers=headers) as response:
                    await response.read()
                    if response.status not in (200, 201, 202):
                        raise RuntimeError(f"{who}: HTTP {response.status}")
                latencies.append(time.perf_counter() - began)

        began = time.perf_counter()
        await asyncio.gather(*(one(start + i) for i in range(count)))
        return Round(who, latencies, time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args()

    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": ROOT}
    fake_port = free_port()
    connector_url = f"http://127.0.0.1:{fake_port}"
    fake = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.fake_teams", str(fake_port)], **quiet
    )
    identity = Identity()
    with identity.serving() as metadata_url, tempfile.TemporaryDirectory() as tmp:
        wait_open(fake_port, fake)
        db_path = Path(tmp) / "bench.sqlite3"
        env = {
            **os.environ,
            "MicrosoftAppId": APP_ID,
            "MicrosoftAppTenantId": TENANT,
            "MicrosoftAppPassword": "unused: outbound tokens are fixed",
            "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": metadata_url,
            "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": identity.issuer,
            "TEAMS_IMT_CHANNEL_ID": IMT,
            "DATABASE_URL": f"sqlite:///{db_path}",
            "OPSS_LOCAL_WORKSPACE": "false",
            "OPSS_AREAS": '["Gas and Electrical"]',
        }
        bot_port, floor_port, jwt_port = free_port(), free_port(), free_port()
        bot = subprocess.Popen(
            [sys.executable, "-m", "bench.teams_bot"],
            env={**env, "OPSS_PORT": str(bot_port)},
            **{**quiet, "cwd": args.root},
        )
        floor = subprocess.Popen(
            [sys.executable, "-m", "bench.teams_floor", str(floor_port)], env=env, **quiet
        )
        jwt_floor = subprocess.Popen(
            [sys.executable, "-m", "bench.teams_jwt_floor", str(jwt_port)], env=env, **quiet
        )
        processes = {"bot": bot, "floor": floor, "jwt": jwt_floor}
        targets = {
            who: f"http://127.0.0.1:{port}"
            for who, port in (("bot", bot_port), ("floor", floor_port), ("jwt", jwt_port))
        }
        # One token, as the channel reuses its token for an hour.
        token = identity.token(APP_ID, connector_url)
        try:
            for who, url in targets.items():
                wait_healthy(url, processes[who], seconds=300)  # a loaded machine starts slowly
            sent = 0
            for who, url in targets.items():  # warm-up, not counted
                asyncio.run(load(url, who, 50, args.concurrency, sent, token, connector_url))
                sent += 50
            rounds: list[Round] = []
            names = ("floor", "jwt", "bot")
            for r in range(args.rounds):
                order = names[r % 3 :] + names[: r % 3]
                for who in order:
                    result = asyncio.run(
                        load(
                            targets[who],
                            who,
                            args.requests,
                            args.concurrency,
                            sent,
                            token,
                            connector_url,
                        )
                    )
                    sent += args.requests
                    rounds.append(result)
                    print(
                        f"round {r + 1} {who:5}: p50 {result.p50:7.1f} ms  "
                        f"p99 {result.p99:7.1f} ms  {result.rps:8.1f} req/s"
                    )
            expected = 50 + args.requests * args.rounds  # raises the bot received
            ended = time.perf_counter()
            behind = expected - recorded(db_path)[0]
            total, distinct = wait_recorded(db_path, expected)
            drained = time.perf_counter() - ended
        finally:
            for process in (bot, floor, jwt_floor, fake):
                process.terminate()
                process.wait(timeout=30)

    def med(who: str, attr: str) -> float:
        return statistics.median(getattr(x, attr) for x in rounds if x.who == who)

    print()
    print(
        f"{'medians over ' + str(args.rounds) + ' rounds':24} {'bot':>9} {'floor':>9} "
        f"{'jwt':>9} {'bot/floor':>10} {'bot/jwt':>8}"
    )
    for label, attr in (
        ("p50 latency (ms)", "p50"),
        ("p99 latency (ms)", "p99"),
        ("throughput (req/s)", "rps"),
    ):
        ours, base, proto = med("bot", attr), med("floor", attr), med("jwt", attr)
        print(
            f"{label:24} {ours:9.1f} {base:9.1f} {proto:9.1f} {ours / base:10.2f} "
            f"{ours / proto:8.2f}"
        )
    average = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average (1, 5, 15 min) at the end: {average}")
    print(f"after the last round: {behind} raises still to record, all recorded {drained:.1f} s on")
    print(
        f"raises recorded: {total} of {expected} sent, {distinct} distinct "
        f"({'each exactly once' if total == distinct == expected else 'MISMATCH'})"
    )
    p99_ok = med("bot", "p99") <= 3 * med("floor", "p99")
    rps_ok = med("bot", "rps") >= 0.5 * med("floor", "rps")
    print(
        f"targets: p99 <= 3x the botbuilder floor's: {'met' if p99_ok else 'NOT met'}; "
        f"throughput >= half the botbuilder floor's: {'met' if rps_ok else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
