"""``python -m bot check``: one line per problem or risk in the settings, and a non-zero exit
exactly when the bot would refuse to start."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import main
from bot.app import RefusedToStart, build
from bot.config import Settings
from tests.fakes.slack_world import SECRET, TOKEN

APP_TOKEN = "xapp-1-A1-1-" + "ab12" * 8


def check(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], **env: str):  # type: ignore[no-untyped-def]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = main(["check"])
    captured = capsys.readouterr()
    return code, (captured.out + captured.err).strip().splitlines()


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env file from the checkout
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bot.sqlite3'}")


def test_the_defaults_are_fine(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(monkeypatch, capsys) == (0, ["ok: nothing wrong or risky found"])


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"OPSS_PROCESSES": "3"}, "warn: DATABASE_URL: SQLite with 3 processes"),
        (
            {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET},
            "warn: SLACK_IMT_CHANNEL: unset",
        ),
        ({"OPSS_SHUTDOWN_SECONDS": "45"}, "warn: OPSS_SHUTDOWN_SECONDS: 45 s"),
        (
            {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_IMT_CHANNEL": "C1"},
            "warn: OPSS_RAPEX_CONTACT_EMAIL: unset: the Annex forms' national contact point",
        ),
        (
            {
                "SLACK_BOT_TOKEN": "not-a-token",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_IMT_CHANNEL": "C1",
            },
            "warn: SLACK_BOT_TOKEN: does not look like a Bot User OAuth Token",
        ),
    ],
)
def test_risks_are_said_and_the_bot_still_starts(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    line: str,
) -> None:
    code, lines = check(monkeypatch, capsys, **env)
    assert code == 0
    assert any(out.startswith(line) for out in lines), lines
    assert all(out.startswith("warn: ") for out in lines)
    assert TOKEN not in "\n".join(lines) and SECRET not in "\n".join(lines)


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"OPSS_HOST": "0.0.0.0"}, "refuse: OPSS_HOST: the local workspace lets anyone pick"),
        ({"SLACK_BOT_TOKEN": TOKEN}, "refuse: SLACK_SIGNING_SECRET: Slack is half configured"),
        ({"SLACK_APP_TOKEN": APP_TOKEN}, "refuse: SLACK_APP_TOKEN: Socket Mode needs Slack"),
        ({"OPSS_METRICS_PORT": "prometheus"}, "refuse: OPSS_METRICS_PORT: use a port number"),
        ({"OPSS_METRICS_PORT": "8080"}, "refuse: OPSS_METRICS_PORT: is OPSS_PORT"),
        ({"OPSS_LOG_FORMAT": "xml"}, "refuse: OPSS_LOG_FORMAT: use text or json"),
        ({"OPSS_SHUTDOWN_SECONDS": "0"}, "refuse: OPSS_SHUTDOWN_SECONDS: must be more than 0"),
        ({"OPSS_PORT": "eighty"}, "refuse: OPSS_PORT: Input should be a valid integer"),
    ],
)
def test_what_the_bot_would_refuse_exits_non_zero(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    line: str,
) -> None:
    code, lines = check(monkeypatch, capsys, **env)
    assert code == 1
    assert any(out.startswith(line) for out in lines), lines
    assert TOKEN not in "\n".join(lines) and APP_TOKEN not in "\n".join(lines)


def test_check_and_start_up_agree(tmp_path: Path) -> None:
    refused = Settings(database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}", metrics_port="nine")
    with pytest.raises(RefusedToStart, match="OPSS_METRICS_PORT"):
        build(refused)
