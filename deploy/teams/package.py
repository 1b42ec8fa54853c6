"""The Teams app package: ``opss-teams-app.zip`` with ``manifest.json`` and its two icons,
checked against Microsoft's manifest schema (vendored beside this file) before it is written.

    ./dev teams-package [--app-id GUID] [--out opss-teams-app.zip]

A tool for whoever installs the app, kept out of the bot's runtime packages: the bot never
imports it, and its schema and icons are files beside it.

The app id is the Azure Bot's ``MicrosoftAppId`` (taken from the environment if not given).
"""

from __future__ import annotations

import argparse
import io
import json
import struct
import sys
import uuid
import zipfile
import zlib
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.teams import permissions

HERE = Path(__file__).resolve().parent
SCHEMA = HERE / "MicrosoftTeams.schema.json"
# A warning triangle with an exclamation mark, GOV.UK blue; the outline icon is white on
# transparent, as Teams requires.
COLOUR_ICON = HERE / "color.png"
OUTLINE_ICON = HERE / "outline.png"
# 1.25: the first manifest with "supportsChannelFeatures", without which Teams keeps the bot
# out of private channels (and, from 1.25, refuses a team-scoped app that leaves it out).
MANIFEST_VERSION = "1.25"
APP_VERSION = "1.0.0"
ACCENT = "#1D70B8"  # GOV.UK blue
COLOUR_SIZE, OUTLINE_SIZE = 192, 32
SCOPES = ["personal", "team", "groupChat"]
# The resource-specific permissions the bot uses, consented by the team's owner at install;
# the application permissions an administrator grants are not a manifest's to declare. Both
# come from one table, bot/teams/permissions.py, explained in docs/install-teams.md.
RESOURCE_SPECIFIC = permissions.resource_specific()
COMMANDS = (  # Teams shows at most ten; `opss help` lists the rest
    ("opss raise", "Report a potential issue to IMT: opss raise <title>"),
    ("opss assess", "Rate an issue on the impact matrix: opss assess ISS-2026-0001"),
    ("opss home", "Your overview: what waits on you, your actions, your incidents"),
    ("opss escalate", "Move an issue one rung up the ladder: opss escalate ISS-2026-0001"),
    ("opss conference", "Call a case conference: opss conference ISS-2026-0001"),
    ("opss declare", "Declare an incident after a case conference: opss declare ISS-…"),
    ("opss decide", "Add to the decision log: opss decide INC-2026-001"),
    ("opss sitrep", "Situation reports: opss sitrep INC-2026-001 update"),
    ("opss status", "The summary card of an issue or incident"),
    ("opss help", "Every command"),
)


def manifest(app_id: str) -> dict[str, Any]:
    return {
        "$schema": "https://developer.microsoft.com/en-us/json-schemas/teams/"
        f"v{MANIFEST_VERSION}/MicrosoftTeams.schema.json",
        "manifestVersion": MANIFEST_VERSION,
        "version": APP_VERSION,
        "id": app_id,
        "developer": {
            "name": "OPSS (Office for Product Safety)",
            "websiteUrl": "https://www.gov.uk/government/organisations/"
            "office-for-product-safety-and-standards",
            "privacyUrl": "https://www.gov.uk/help/privacy-notice",
            "termsOfUseUrl": "https://www.gov.uk/help/terms-conditions",
        },
        "name": {"short": "OPSS", "full": "OPSS incident bot"},
        "description": {
            "short": "OPSS's Incident Management Plan: raise, escalate, declare, coordinate.",
            "full": "Carries the OPSS Incident Management Plan: raise a potential product "
            "safety issue, rate it on the impact matrix and the NNC criteria, walk it up the "
            "escalation ladder to a case conference, declare an incident with its own channel "
            "and decision log, and keep its battle rhythm and situation reports.",
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        # Lets the app be added to private channels, where private incidents live.
        "supportsChannelFeatures": "tier1",
        "bots": [
            {
                "botId": app_id,
                "scopes": SCOPES,
                # Files offered in a personal chat (the file consent card): records to take away.
                "supportsFiles": True,
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": SCOPES,
                        "commands": [{"title": t, "description": d} for t, d in COMMANDS],
                    }
                ],
            }
        ],
        # "Raise an issue from this message" on a message's ⋯ menu, as Slack's message
        # shortcut (bot/teams/extension.py answers its two invokes).
        "composeExtensions": [
            {
                "botId": app_id,
                "commands": [
                    {
                        "id": "raiseIssue",
                        "type": "action",
                        "title": "Raise an issue from this message",
                        "description": "Report a potential product safety issue to IMT, "
                        "with this message's words in the form",
                        "context": ["message"],
                        "fetchTask": True,
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
        "webApplicationInfo": {"id": app_id, "resource": f"api://botid-{app_id}"},
        "authorization": {"permissions": {"resourceSpecific": RESOURCE_SPECIFIC}},
    }


def colour_icon() -> bytes:
    return COLOUR_ICON.read_bytes()


def outline_icon() -> bytes:
    return OUTLINE_ICON.read_bytes()


def png_facts(data: bytes) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """Width, height and the RGBA pixels of one of our PNGs (8-bit RGBA, no filter): enough to
    check the icons without an image library."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    if (depth, colour) != (8, 6):
        raise ValueError("expected 8-bit RGBA")
    idat, at = b"", 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        if data[at + 4 : at + 8] == b"IDAT":
            idat += data[at + 8 : at + 8 + length]
        at += 12 + length
    raw = zlib.decompress(idat)
    pixels = []
    stride = 1 + width * 4
    for j in range(height):
        row = raw[j * stride + 1 : (j + 1) * stride]
        pixels += [tuple(row[i : i + 4]) for i in range(0, len(row), 4)]
    return width, height, pixels  # type: ignore[return-value]


def problems(package: bytes) -> list[str]:
    """What is wrong with a package: the manifest against Microsoft's schema, and the icons."""
    import jsonschema

    found: list[str] = []
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        names = set(archive.namelist())
        if names != {"manifest.json", "color.png", "outline.png"}:
            return [f"the package holds {sorted(names)}"]
        data = json.loads(archive.read("manifest.json"))
        # The schema says draft-04 but uses draft-06's "const": check with a later draft.
        schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
        for error in jsonschema.Draft7Validator(schema).iter_errors(data):
            where = "/".join(map(str, error.absolute_path)) or "(top)"
            found.append(f"manifest.json {where}: {error.message}")
        width, height, pixels = png_facts(archive.read("color.png"))
        if (width, height) != (COLOUR_SIZE, COLOUR_SIZE):
            found.append(f"color.png is {width}x{height}, not 192x192")
        width, height, pixels = png_facts(archive.read("outline.png"))
        if (width, height) != (OUTLINE_SIZE, OUTLINE_SIZE):
            found.append(f"outline.png is {width}x{height}, not 32x32")
        if any(p[3] and p[:3] != (255, 255, 255) for p in pixels):
            found.append("outline.png must be white on transparent")
        if not any(p[3] == 0 for p in pixels) or not any(p[3] for p in pixels):
            found.append("outline.png needs both a transparent background and a white glyph")
    return found


def build(app_id: str) -> bytes:
    try:
        uuid.UUID(app_id)
    except ValueError:
        raise ValueError(
            f"the app id must be the Azure Bot's MicrosoftAppId (a GUID), not {app_id!r}"
        ) from None
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest(app_id), indent=2) + "\n")
        archive.writestr("color.png", colour_icon())
        archive.writestr("outline.png", outline_icon())
    package = out.getvalue()
    wrong = problems(package)
    if wrong:
        raise ValueError("the Teams app package is not valid:\n" + "\n".join(wrong))
    return package


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Teams app package.")
    parser.add_argument("--app-id", default=Settings().microsoft_app_id or "")
    parser.add_argument("--out", type=Path, default=Path("opss-teams-app.zip"))
    args = parser.parse_args(argv)
    if not args.app_id:
        print("give --app-id or set MicrosoftAppId (the Azure Bot's app id)", file=sys.stderr)
        return 2
    try:
        package = build(args.app_id)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    args.out.write_bytes(package)
    print(f"{args.out}: manifest {MANIFEST_VERSION} valid against Microsoft's schema")
    print(
        "Resource-specific permissions (the team's owner consents at install): "
        + ", ".join(p["name"] for p in RESOURCE_SPECIFIC)
    )
    for mode in ("private", "standard"):
        print(
            f"Application permissions for TEAMS_INCIDENT_CHANNELS={mode} (an administrator "
            "grants them to the app registration, with admin consent): "
            + ", ".join(permissions.application(mode))
        )
    for p in permissions.optional():
        print(f"With {p.setting} set, also: {p.name} ({p.kind}; or {p.instead})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
