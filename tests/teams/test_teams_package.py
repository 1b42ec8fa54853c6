"""The Teams app package: built by its command, checked against Microsoft's manifest schema."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from bot.teams import permissions
from commands.core.engine import ALL_VERBS

APP_ID = "5b8f6d7e-0c43-4d1f-9a5e-000000000001"
ROOT = Path(__file__).resolve().parents[2]
BUILDER = ROOT / "deploy" / "teams" / "package.py"


def _load_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("teams_package", BUILDER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


package = _load_builder()


def test_the_command_builds_a_valid_package(tmp_path: Path) -> None:
    out = tmp_path / "opss-teams-app.zip"
    done = subprocess.run(
        [sys.executable, str(BUILDER), "--app-id", APP_ID, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # this checkout's bot, not another's
    )
    assert done.returncode == 0, done.stderr
    data = out.read_bytes()
    assert package.problems(data) == []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    (bot,) = manifest["bots"]
    assert bot["botId"] == APP_ID == manifest["id"]
    assert bot["supportsFiles"] is True  # records offered with the file consent card
    assert manifest["manifestVersion"] == "1.25"
    assert manifest["supportsChannelFeatures"] == "tier1"  # private channels let it in
    declared = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert declared == [
        {"name": "Channel.Create.Group", "type": "Application"},
        {"name": "ChannelSettings.Read.Group", "type": "Application"},
    ]
    assert declared == permissions.resource_specific()
    # What an administrator grants is said by the builder, from the same table.
    for mode in ("private", "standard"):
        assert ", ".join(permissions.application(mode)) in done.stdout
    # The message extension, on a message's menu, answered by bot/teams/extension.py.
    (extension,) = manifest["composeExtensions"]
    (action,) = extension["commands"]
    assert extension["botId"] == APP_ID
    assert action["id"] == "raiseIssue" and action["type"] == "action"
    assert action["title"] == "Raise an issue from this message"
    assert action["context"] == ["message"] and action["fetchTask"] is True
    titles = [c["title"] for c in bot["commandLists"][0]["commands"]]
    assert "opss raise" in titles and "opss help" in titles
    assert all(t.removeprefix("opss ") in ALL_VERBS for t in titles)  # only real commands


def test_the_check_finds_a_wrong_manifest_and_wrong_icons() -> None:
    good = package.build(APP_ID)
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(broken, "w") as target:
        manifest = json.loads(source.read("manifest.json"))
        manifest["accentColor"] = "blue"
        del manifest["developer"]
        target.writestr("manifest.json", json.dumps(manifest))
        target.writestr("color.png", package.outline_icon())  # 32x32, not 192x192
        target.writestr("outline.png", package.colour_icon())  # blue, not white
    found = "\n".join(package.problems(broken.getvalue()))
    assert "'developer' is a required property" in found
    assert "accentColor" in found
    assert "color.png is 32x32" in found
    assert "white on transparent" in found


def test_the_app_id_must_be_the_bots_guid() -> None:
    with pytest.raises(ValueError, match="MicrosoftAppId"):
        package.build("opss-bot")


DOCS = ROOT / "docs" / "install-teams.md"


def test_every_permission_is_explained_beside_its_least_privileged_alternative() -> None:
    """docs/install-teams.md has a row for each permission the bot uses: its name, what it is
    for and the alternative, as bot/teams/permissions.py has them."""
    text = DOCS.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    for p in permissions.PERMISSIONS:
        (row,) = [r for r in rows if r.startswith(f"| `{p.name}` |")]
        assert p.kind in row and p.why in row and p.instead in row, row
    named = {r.split("`")[1] for r in rows}
    assert named == {p.name for p in permissions.PERMISSIONS}
