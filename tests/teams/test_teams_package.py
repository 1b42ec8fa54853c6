"""The Teams app package: built by its command, checked against Microsoft's manifest schema."""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

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
    )
    assert done.returncode == 0, done.stderr
    data = out.read_bytes()
    assert package.problems(data) == []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    (bot,) = manifest["bots"]
    assert bot["botId"] == APP_ID == manifest["id"]
    assert bot["supportsFiles"] is True  # records offered with the file consent card
    assert manifest["authorization"]["permissions"]["resourceSpecific"] == [
        {"name": "Channel.Create.Group", "type": "Application"}
    ]
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
