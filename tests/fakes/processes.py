"""Running real bot processes (``python -m bot``) for restart and multi-process tests."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def set_clock(path: Path, when: datetime) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(when.isoformat())
    tmp.replace(path)  # atomic: a process never reads half a time


class BotProcess:
    def __init__(
        self, env: dict[str, str], log: Path, *, ready: bool = True, module: str = "bot"
    ) -> None:
        """``module``: ``bench.teams_bot`` runs the bot with fixed outbound Teams tokens."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        full = {**os.environ, **env, "OPSS_PORT": str(self.port)}
        self._log_handle = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", module],
            env=full,
            cwd=ROOT,
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
        )
        if ready:
            self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bot exited: {self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=1):
                    return  # 200: migrated and serving (503 raises HTTPError, an OSError)
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("bot did not start")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, nothing flushed."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._log_handle.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if not self._log_handle.closed:
            self._log_handle.close()


def wait_until(check, timeout: float = 30.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    """Poll ``check()`` until it is true (waiting on another process, not on a clock)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def wait_until_async(check, timeout: float = 30.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    """``wait_until`` for a test that runs on the event loop: yields to it between checks."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")
