"""Slack pieces without a server: the manifest matches the code; logs never show secrets."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import yaml

from bot.logs import RedactSecrets
from bot.slack import surface

ROOT = Path(__file__).resolve().parents[2]

# The scopes each Web API method the bot calls needs for the conversations it calls it on
# (Slack's method documentation): public (IMT), private (incidents) and direct (people).
SCOPES = {
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "chat.getPermalink": set(),
    "conversations.create": {"groups:write", "channels:manage"},
    "conversations.setTopic": {"groups:write"},
    "conversations.invite": {"groups:write"},
    "conversations.kick": {"groups:write"},
    "conversations.list": {"groups:read", "channels:read"},
    "conversations.history": {"channels:history", "groups:history", "im:history"},
    "conversations.open": {"im:write"},
    "pins.add": {"pins:write"},
    "bookmarks.add": {"bookmarks:write"},
    "conversations.archive": {"groups:write"},
    "files.uploadV2": {"files:write"},
}


def test_manifest_matches_the_code() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    features = manifest["features"]
    assert [c["command"] for c in features["slash_commands"]] == [surface.COMMAND]
    assert [s["callback_id"] for s in features["shortcuts"]] == [surface.SHORTCUT]
    assert features["app_home"]["home_tab_enabled"] is True
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    urls = {
        features["slash_commands"][0]["url"],
        settings["interactivity"]["request_url"],
        settings["event_subscriptions"]["request_url"],
    }
    assert len(urls) == 1 and urls.pop().endswith("/slack/events")
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert "commands" in scopes
    code = "".join(p.read_text() for p in (ROOT / "bot" / "slack").glob("*.py"))
    called = set(re.findall(r'"((?:chat|conversations|pins|bookmarks)\.[A-Za-z]+)"', code))
    called |= {m.replace("_", ".", 1) for m in re.findall(r"client\.(chat_\w+)", code)}
    if "files_upload_v2" in code:
        called.add("files.uploadV2")
    assert {"conversations.archive", "files.uploadV2"} <= called
    for method in called:
        assert method in SCOPES, f"{method}: which scopes does it need?"
        assert SCOPES[method] <= scopes, method


def test_tokens_are_masked_in_logs() -> None:
    record = logging.LogRecord(
        "x",
        logging.INFO,
        "f",
        1,
        "calling with %s and %s",
        ("xoxb-1234-5678-abcdef", "Bearer abc.def"),
        None,
    )
    RedactSecrets().filter(record)
    text = record.getMessage()
    assert "xoxb-1234" not in text and "abc.def" not in text and "[redacted]" in text
