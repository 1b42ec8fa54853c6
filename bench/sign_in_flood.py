"""A signed-in user's ``help`` while others flood the workspace's sign-in, beside a quiet server.

Runs the bot in its own process (SQLite, the workspace in ``password`` mode), signs one
reader in, and times the reader's ``help`` (``POST /api/command``), one at a time: first on
the quiet server, then while 12 and then 24 clients send wrong secrets as fast as they are
answered. Each flooding request comes from a new address (``X-Forwarded-For``, as nginx on
the same host sends it) under a new name, so the per-name and per-client throttle never holds
it back: what stands between the flood and the reader is the hashing pool alone. Prints each
round and the medians over the rounds, and what the flood was answered.

    .venv/bin/python -m bench.sign_in_flood [--rounds 3] [--helps 15] [--root CHECKOUT]

``--root`` runs the bot from another checkout (e.g. one from before the hashing pool) with the
same load, for a before-and-after on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.slack_ack import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[1]
READER, SECRET = "reader", "the reader's long secret"
HEADERS = {"X-OPSS-Local": "1", "Content-Type": "application/json"}
FLOODS = (0, 12, 24)


async def help_times(session: aiohttp.ClientSession, url: str, cookie: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        began = time.perf_counter()
        async with session.post(
            f"{url}/api/command",
            json={"text": "help"},
            headers={**HEADERS, "Cookie": cookie},
        ) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"help answered {response.status}")
        times.append(time.perf_counter() - began)
    return times


async def flood(
    session: aiohttp.ClientSession, url: str, stop: asyncio.Event, seq: itertools.count[int]
) -> collections.Counter[int]:
    answered: collections.Counter[int] = collections.Counter()
    while not stop.is_set():
        n = next(seq)
        address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        async with session.post(
            f"{url}/api/sign-in",
            json={"name": f"guess{n}", "secret": f"wrong guess {n}"},
            headers={**HEADERS, "X-Forwarded-For": address},
        ) as response:
            await response.read()
            answered[response.status] += 1
    return answered


async def one_round(
    url: str, cookie: str, helps: int, seq: itertools.count[int]
) -> dict[int, tuple[float, collections.Counter[int]]]:
    out = {}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        for clients in FLOODS:
            stop = asyncio.Event()
            flooders = [asyncio.create_task(flood(session, url, stop, seq)) for _ in range(clients)]
            if clients:
                await asyncio.sleep(1.0)  # let the flood fill the server first
            times = await help_times(session, url, cookie, helps)
            stop.set()
            answered: collections.Counter[int] = collections.Counter()
            for counted in await asyncio.wait_for(asyncio.gather(*flooders), timeout=120):
                answered += counted
            out[clients] = (statistics.median(times) * 1000, answered)
    return out


async def sign_in_reader(url: str) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{url}/api/sign-in", json={"name": READER, "secret": SECRET}, headers=HEADERS
        ) as response,
    ):
        if response.status != 200:
            raise RuntimeError(f"the reader could not sign in: {response.status}")
        return response.headers["Set-Cookie"].split(";")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--helps", type=int, default=15)
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.sqlite3"
        people = Path(tmp) / "people.toml"
        people.write_text(f'[[people]]\nname = "{READER}"\ndisplay_name = "Reader"\nroles = []\n')
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{db_path}",
            "OPSS_PORT": str(port),
            "OPSS_LOCAL_WORKSPACE": "true",
            "OPSS_WORKSPACE_SIGN_IN": "password",
            "OPSS_SEED_FILE": str(people),
            "OPSS_AREAS": '["Gas and Electrical"]',
        }
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            env=env,
            cwd=args.root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, bot, "/readyz")
            from bot.workspace.sign_in import set_secret
            from commands.core.clock import SystemClock
            from storage.db import make_engine
            from storage.unit_of_work import Database

            db = Database(make_engine(f"sqlite:///{db_path}"))
            set_secret(db, READER, SECRET, SystemClock().now())
            db.engine.dispose()
            cookie = asyncio.run(sign_in_reader(url))
            seq = itertools.count()
            rounds = []
            for r in range(args.rounds):
                result = asyncio.run(one_round(url, cookie, args.helps, seq))
                rounds.append(result)
                print(
                    f"round {r + 1}: "
                    + "  ".join(
                        f"{c or 'quiet'}{' clients' if c else ''} {ms:8.1f} ms"
                        for c, (ms, _) in result.items()
                    )
                )
        finally:
            bot.terminate()
            bot.wait(timeout=30)

    print(f"\nreader's help, median of {args.rounds} rounds' medians ({args.helps} each):")
    quiet = statistics.median(r[0][0] for r in rounds)
    for clients in FLOODS:
        ms = statistics.median(r[clients][0] for r in rounds)
        answered: collections.Counter[int] = collections.Counter()
        for r in rounds:
            answered += r[clients][1]
        what = ", ".join(f"{n} × {status}" for status, n in sorted(answered.items()))
        label = "quiet server" if not clients else f"{clients} clients flooding sign-in"
        print(
            f"  {label:32} {ms:8.1f} ms  ({ms / quiet:5.1f}× quiet)"
            + (f"  sign-ins answered: {what}" if clients else "")
        )


if __name__ == "__main__":
    main()
