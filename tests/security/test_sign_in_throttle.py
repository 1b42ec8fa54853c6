"""Guessing a workspace secret gets nowhere, and a flood of guesses stalls nobody else.

Failures are counted per name and per client in the database; past three, each try waits
twice as long as the last (the right secret included), and every refusal is audited. The
clock is a ManualClock: no test waits on wall time. Secrets stored by these tests are hashed
with cheap argon2 parameters (verification reads them from the hash), so a test of twenty
guesses takes milliseconds; the real cost is the benchmark's (bench/sign_in_flood.py).
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.workspace.sign_in import (
    Attempt,
    Busy,
    HashingPool,
    Outcome,
    begin,
    set_secret,
    sign_in,
)
from commands.core.clock import ManualClock
from rules.throttle import FREE_FAILURES, LONGEST_DELAY, delay_after
from storage.models import AuditEvent
from storage.unit_of_work import Database
from tests.conftest import PEOPLE, START
from tests.fakes.server import running
from tests.fakes.workspace import store_secret

SECRET = "olly's long secret"


def audits(db: Database, action: str) -> list[AuditEvent]:
    with db.read() as s:
        return list(
            s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        )


@pytest.fixture
def people(any_db: Database) -> Database:
    from storage import seed

    seed.apply(any_db, PEOPLE, START)
    store_secret(any_db, "olly", SECRET)
    return any_db


def test_the_delay_grows_by_name_whatever_the_client_and_holds_the_right_secret(
    people: Database,
) -> None:
    db, clock = people, ManualClock(START)
    waits = []
    for n in range(1, 8):
        outcome = sign_in(db, "olly", f"wrong guess {n}", clock.now(), client=f"10.0.0.{n}")
        assert outcome.token is None and outcome.wait_until is None  # checked, and wrong
        waits.append(outcome.next_try - clock.now() if outcome.next_try else timedelta(0))
        # The right secret, at once, from yet another address: refused unchecked.
        if outcome.next_try:
            held = sign_in(db, "olly", SECRET, clock.now(), client="10.9.9.9")
            assert held.token is None and held.wait_until == outcome.next_try
            clock.advance(outcome.next_try - clock.now())
    assert waits == [timedelta(0)] * (FREE_FAILURES - 1) + [
        timedelta(seconds=s) for s in (1, 2, 4, 8, 16)
    ]
    # Every failure audited, each refusal unchecked too, under the name tried.
    refused = audits(db, "workspace.sign_in_refused")
    assert [e.after["failures"] for e in refused] == list(range(1, 8))  # type: ignore[index]
    assert {e.entity_ref for e in refused} == {"olly"}
    assert [e.after["client"] for e in refused] == [f"10.0.0.{n}" for n in range(1, 8)]  # type: ignore[index]
    throttled = audits(db, "workspace.sign_in_throttled")
    assert len(throttled) == 5 and all(e.after["client"] == "10.9.9.9" for e in throttled)  # type: ignore[index]
    # Once the wait is over the right secret works, and the name starts afresh.
    assert sign_in(db, "olly", SECRET, clock.now(), client="10.9.9.9").token
    assert sign_in(db, "olly", "wrong again", clock.now(), client="10.9.9.9").next_try is None


def test_the_delay_grows_by_client_whatever_the_name(people: Database) -> None:
    db, clock = people, ManualClock(START)
    for n in range(FREE_FAILURES):
        sign_in(db, f"nobody{n}", "a guess at a secret", clock.now(), client="203.0.113.9")
    # A fourth name from the same address waits, even olly's right secret.
    held = sign_in(db, "olly", SECRET, clock.now(), client="203.0.113.9")
    assert held.wait_until == clock.now() + timedelta(seconds=1) and held.token is None
    # Olly from another address is not held by someone else's guessing.
    assert sign_in(db, "olly", SECRET, clock.now(), client="198.51.100.7").token
    # Unknown names are counted and audited like known ones (nothing tells them apart).
    assert [e.entity_ref for e in audits(db, "workspace.sign_in_refused")] == [
        "nobody0",
        "nobody1",
        "nobody2",
    ]


def test_a_name_written_another_way_is_the_same_name(people: Database) -> None:
    """ "@olly" finds olly, so it is counted as olly: each way of writing the name is not a
    count of its own, free for three more guesses."""
    db, clock = people, ManualClock(START)
    for n, written in enumerate(["@olly", " olly", "@@olly", "@@@olly "]):
        sign_in(db, written, f"wrong {n}", clock.now(), client=f"10.0.3.{n}")
    held = sign_in(db, "olly", SECRET, clock.now(), client="10.0.3.9")
    assert held.token is None and held.wait_until == clock.now() + timedelta(seconds=1)
    refused = audits(db, "workspace.sign_in_refused") + audits(db, "workspace.sign_in_throttled")
    assert len(refused) == 5 and {e.entity_ref for e in refused} == {"olly"}


def test_failures_are_forgotten_after_an_hour_of_none(people: Database) -> None:
    db, clock = people, ManualClock(START)
    for n in range(FREE_FAILURES + 2):
        clock.advance(timedelta(minutes=1))
        sign_in(db, "olly", f"wrong {n}", clock.now(), client=f"10.0.1.{n}")
    assert sign_in(db, "olly", SECRET, clock.now(), client="10.0.2.1").wait_until
    clock.advance(timedelta(hours=1))
    outcome = sign_in(db, "olly", "wrong once more", clock.now(), client="10.0.2.1")
    assert outcome.wait_until is None and outcome.next_try is None  # counting from one again


def test_at_most_a_hundred_guesses_a_day_where_there_were_400_000() -> None:
    elapsed, guesses = timedelta(0), 0
    while elapsed < timedelta(days=1):
        guesses += 1
        elapsed += delay_after(guesses)
    assert delay_after(60) == LONGEST_DELAY and guesses < 110


def test_parallel_guesses_cannot_slip_past_the_delay(people: Database) -> None:
    """Each try is counted before its secret is checked, under a row lock, so ten guesses sent
    at the same instant get three checks, not ten."""
    db, now = people, START
    results: list[Attempt | Outcome] = []
    barrier = threading.Barrier(10, timeout=10)

    def guess(n: int) -> None:
        barrier.wait()
        results.append(begin(db, "olly", f"10.1.0.{n}", now))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 10
    assert sum(isinstance(r, Attempt) for r in results) == FREE_FAILURES
    assert len(audits(db, "workspace.sign_in_throttled")) == 10 - FREE_FAILURES


def test_the_hashing_pool_refuses_at_once_what_it_cannot_take(people: Database) -> None:
    db = people
    set_secret(db, "hana", "hana's long secret", START)  # the real argon2 cost: ~0.1-0.5 s

    async def flood() -> tuple[list[Outcome], float, float]:
        pool = HashingPool(workers=1, waiting=1)
        loop = asyncio.get_running_loop()
        taken = [
            asyncio.create_task(pool.sign_in(db, "hana", "a wrong guess!", f"10.2.0.{n}", START))
            for n in range(2)
        ]
        await asyncio.sleep(0)  # both admitted: one hashing, one waiting
        started = loop.time()
        with pytest.raises(Busy):
            await pool.sign_in(db, "hana", "hana's long secret", "10.2.0.9", START)
        refused_in = loop.time() - started
        done = await asyncio.wait_for(asyncio.gather(*taken), timeout=60)
        pool.close()
        return list(done), refused_in, loop.time() - started

    done, refused_in, all_in = asyncio.run(flood())
    assert all(o.token is None and o.wait_until is None for o in done)  # both checked
    assert refused_in < all_in / 4  # refused without waiting for the hashes in front of it
    assert len(audits(db, "workspace.sign_in_refused")) == 2  # the refused one never counted


# Over HTTP: the page's sign-in answers 429 with when to try again --------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Any, ManualClock]]:
    seed = tmp_path / "people.toml"
    seed.write_text('[[people]]\nname = "olly"\ndisplay_name = "Olly"\nroles = []\n')
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'p.db'}",
        local_workspace=True,
        workspace_sign_in="password",
        seed_file=seed,
        outbox_pace_seconds=0,
    )
    clock = ManualClock(START)
    with running(settings, clock) as (url, bot):
        store_secret(bot.db, "olly", SECRET)
        yield url, bot, clock


def post_sign_in(url: str, name: str, secret: str, client: str) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(
        url + "/api/sign-in",
        data=json.dumps({"name": name, "secret": secret}).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-OPSS-Local": "1",
            "X-Forwarded-For": f"198.51.100.1, {client}",  # as nginx on this host sends it
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), dict(err.headers)


def test_the_page_is_told_when_to_try_again(served: tuple[str, Any, ManualClock]) -> None:
    url, bot, clock = served
    for n in range(FREE_FAILURES - 1):
        status, text, _ = post_sign_in(url, "olly", f"wrong {n}", "192.0.2.10")
        assert status == 401 and text == "That user name and secret do not match."
    status, text, _ = post_sign_in(url, "olly", "wrong again", "192.0.2.10")
    assert status == 401
    assert text.endswith("Then try again in 1 second (after 09:30:01 UTC).")
    status, text, headers = post_sign_in(url, "olly", SECRET, "192.0.2.10")
    assert status == 429 and headers["Retry-After"] == "1"
    assert text == (
        "Too many failed sign-ins for this name or from this address: try again in 1 second "
        "(after 09:30:01 UTC)."
    )
    # The address the audit names is the one nginx saw, not what the caller wrote before it.
    assert {e.after["client"] for e in audits(bot.db, "workspace.sign_in_throttled")} == {  # type: ignore[index]
        "192.0.2.10"
    }
    clock.advance(timedelta(seconds=1))
    status, _, headers = post_sign_in(url, "olly", SECRET, "192.0.2.10")
    assert status == 200 and headers["Set-Cookie"].startswith("opss_session=")


def test_a_name_or_secret_no_database_stores_is_refused_naming_it(
    served: tuple[str, Any, ManualClock],
) -> None:
    """A lone surrogate (JSON carries "\\udfff") or NUL is a 400 that says which field, never
    a 500; nothing is counted or checked."""
    url, bot, _ = served
    for name, secret, field in [
        ("\udfff", SECRET, "User name"),
        ("ol\x00ly", SECRET, "User name"),
        ("olly", "a secret \ud800", "Secret"),
        ("x" * 81, SECRET, "User name"),
    ]:
        status, text, _ = post_sign_in(url, name, secret, "192.0.2.20")
        assert status == 400 and text.startswith(field), (name, secret, status, text)
    assert audits(bot.db, "workspace.sign_in_refused") == []
    status, _, _ = post_sign_in(url, "olly", SECRET, "192.0.2.20")
    assert status == 200
