"""``python -m bot backup`` while commands run, and ``restore`` (refused while the bot is up,
followed by the migrations): the restored database is the source as it was at the backup."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select

from bot.__main__ import main
from storage.db import make_engine
from storage.migrate import alembic_config, at_head
from storage.models import AuditEvent, Base, Issue
from tests.conftest import make_db
from tests.fakes.processes import ROOT, BotProcess, wait_until
from tests.fakes.workspace import general, raise_issue, titles


def bot_command(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: [
                    tuple(row)
                    for row in conn.execute(select(table).order_by(*table.primary_key.columns))
                ]
                for table in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def test_backup_while_commands_run_and_restore_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    copy = tmp_path / "backups" / "opss-backup.sqlite3"
    bot = BotProcess({"DATABASE_URL": url, "OPSS_OUTBOX_PACE_SECONDS": "0"}, tmp_path / "a.log")
    channel = general(bot.url)
    done: list[str] = []
    stop = threading.Event()

    def burst() -> None:
        n = 0
        give_up = time.monotonic() + 120  # whatever befalls the test, the burst ends
        while not stop.is_set() and time.monotonic() < give_up:
            n += 1
            assert raise_issue(bot.url, f"Backup burst {n}", channel) == 200
            done.append(f"Backup burst {n}")

    writer = threading.Thread(target=burst)
    writer.start()
    try:
        wait_until(lambda: len(done) >= 10, what="commands under way")
        made = bot_command("backup", str(copy), database_url=url)
        assert made.returncode == 0, made.stderr
        assert "backed up" in made.stdout
        at_backup = len(done)
        wait_until(lambda: len(done) >= at_backup + 10, what="commands after the backup")

        refused = bot_command("restore", str(copy), database_url=url)
        assert refused.returncode == 1
        assert "the bot is running" in refused.stderr
    finally:
        stop.set()
        writer.join(timeout=30)
        bot.stop()

    backup_url = f"sqlite:///{copy}"
    source, saved = dump(url), dump(backup_url)
    # A consistent snapshot: the append-only tables are exactly the source's first rows.
    for table in (Issue.__tablename__, AuditEvent.__tablename__, "processed_requests"):
        if table not in saved:
            continue
        assert saved[table] == source[table][: len(saved[table])], table
    assert 10 <= len(saved[Issue.__tablename__]) < len(source[Issue.__tablename__])
    # Every issue in the copy has the audit event written in its own transaction.
    with make_db(backup_url).read() as s:
        raised = set(
            s.scalars(select(AuditEvent.entity_ref).where(AuditEvent.action == "issue.raised"))
        )
        references = set(s.scalars(select(Issue.reference)))
    assert references == raised

    restored = bot_command("restore", str(copy), database_url=url)
    assert restored.returncode == 0, restored.stderr
    assert dump(url) == saved  # the database is the copy again
    # The database it replaced is kept beside it, newer issues and all, and the operator told.
    replaced = list((tmp_path).glob(f"{Path(url.removeprefix('sqlite:///')).name}.replaced-*"))
    assert len(replaced) == 1 and str(replaced[0]) in restored.stdout + restored.stderr
    assert dump(f"sqlite:///{replaced[0]}")[Issue.__tablename__] == source[Issue.__tablename__]
    kept = len(saved[Issue.__tablename__])
    again = BotProcess({"DATABASE_URL": url}, tmp_path / "b.log")
    try:
        assert raise_issue(again.url, "After the restore", general(again.url)) == 200
    finally:
        again.stop()
    with make_db(url).read() as s:
        newest = s.scalar(select(Issue).order_by(Issue.id.desc()).limit(1))
    assert newest is not None and newest.title == "After the restore"
    assert newest.reference == f"ISS-2026-{kept + 1:04d}"  # numbering carries on from the copy
    assert "Backup burst 1" in titles(url)


def test_a_restore_is_followed_by_the_migrations(tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite3"
    engine = make_engine(f"sqlite:///{old}")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")  # a backup made by an older version of the bot
    engine.dispose()
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    result = bot_command("restore", str(old), database_url=url)
    assert result.returncode == 0, result.stderr
    assert "migrated" in result.stdout
    engine = make_engine(url)
    assert at_head(engine)
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("restore", "missing.sqlite3"), "there is no backup at"),
        (("restore", "not-a-db.sqlite3"), "is not a SQLite database"),
        (("backup", "exists.sqlite3"), "already exists; name a new file"),
    ],
)
def test_bad_backup_and_restore_requests_say_why(
    tmp_path: Path,
    args: tuple[str, str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    make_db(url).engine.dispose()
    before = dump(url)
    (tmp_path / "not-a-db.sqlite3").write_text("hello")
    (tmp_path / "exists.sqlite3").write_text("keep me")
    monkeypatch.setenv("DATABASE_URL", url)
    assert main([args[0], str(tmp_path / args[1])]) == 1
    assert message in capsys.readouterr().err
    assert (tmp_path / "exists.sqlite3").read_text() == "keep me"
    assert dump(url) == before


def test_postgresql_backups_are_pg_dump(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://opss@db.example/opss")
    assert main(["backup", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert "pg_dump" in err and "pg_restore" in err
    assert not (tmp_path / "x").exists()
