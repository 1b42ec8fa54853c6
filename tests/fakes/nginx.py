"""Debian's nginx as a non-daemon child process, running ``deploy/nginx/opss-bot.conf`` (the
shipped site, with its upstream ports and listen address pointed at the test's processes)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.conftest import missing
from tests.fakes.processes import ROOT, free_port

NGINX = Path("/usr/sbin/nginx")
SITE = ROOT / "deploy" / "nginx" / "opss-bot.conf"


def site_for(ports: list[int], listen: int, log: Path) -> str:
    """The shipped site with its upstream servers, listen line and log file replaced (nothing
    else)."""
    text = SITE.read_text()
    servers = "".join(
        f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;\n" for port in ports
    )
    text, count = re.subn(r"(    server 127\.0\.0\.1:\d+ [^\n]*\n)+", servers, text)
    assert count == 1, "the site's upstream block changed shape"
    text, count = re.subn(r"^    listen 80;$", f"    listen 127.0.0.1:{listen};", text, flags=re.M)
    assert count == 1, "the site's listen line changed shape"
    text, count = re.subn(
        r"access_log /var/log/nginx/opss-bot\.access\.log ", f"access_log {log} ", text
    )
    assert count == 1, "the site's access_log line changed shape"
    return text


class Nginx:
    def __init__(self, directory: Path, ports: list[int]) -> None:
        if not NGINX.exists():
            missing(f"nginx is not installed at {NGINX} (apt-get install nginx)")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = directory
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "opss-bot.conf").write_text(
            site_for(ports, self.port, directory / "access.log")
        )
        temp = "".join(
            f"    {kind}_temp_path {directory / kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        # As root, nginx would switch its workers to "nobody", who cannot reach a test's
        # temporary directory; keep them as the user running the test.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (directory / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {directory / 'nginx.pid'};\n"
            f"error_log {directory / 'error.log'} info;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            f"    access_log {directory / 'access.log'};\n{temp}"
            f"    include {directory / 'opss-bot.conf'};\n"
            "}\n"
        )
        command = [str(NGINX), "-p", str(directory), "-c", str(directory / "nginx.conf")]
        check = subprocess.run(
            [*command, "-e", str(directory / "error.log"), "-t"], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stderr
        self.process = subprocess.Popen(
            [*command, "-e", str(directory / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_listening()

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.dir / "error.log").read_text()[-2000:])
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        shutil.rmtree(self.dir / "proxy", ignore_errors=True)
