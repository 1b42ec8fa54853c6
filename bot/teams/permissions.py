"""Every Microsoft Graph permission the bot uses, what for, and its least-privilege
alternative: one table that the app package (``deploy/teams/package.py``) declares from, that
docs/install-teams.md explains line by line (a test holds the two together), and that each
Graph call in ``bot/teams/graph.py`` names.

Resource-specific permissions are declared in the app's manifest and consented by the team's
owner when the app is added; application permissions are granted to the app registration by
an administrator (admin consent) and cannot be declared in a Teams manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["resource-specific", "application"]
Mode = Literal["private", "standard"]  # TEAMS_INCIDENT_CHANNELS


@dataclass(frozen=True)
class Permission:
    name: str
    kind: Kind
    modes: frozenset[Mode]  # the incident channels that need it
    calls: tuple[str, ...]  # the Graph requests it allows, as the bot makes them
    why: str
    instead: str  # the least-privilege alternative, and why the bot does not use it
    setting: str = ""  # the setting that switches its use on, if it is not always needed


PRIVATE: frozenset[Mode] = frozenset({"private"})
STANDARD: frozenset[Mode] = frozenset({"standard"})
BOTH: frozenset[Mode] = frozenset({"private", "standard"})

PERMISSIONS: tuple[Permission, ...] = (
    Permission(
        "Channel.Create.Group",
        "resource-specific",
        STANDARD,
        ("POST /v1.0/teams/{team}/channels (membershipType standard)",),
        "make a standard incident channel in the team the app is added to",
        "it is the least: the application permission Channel.Create would reach every team",
    ),
    Permission(
        "ChannelSettings.Read.Group",
        "resource-specific",
        STANDARD,
        ("GET /v1.0/teams/{team}/channels?$filter=displayName eq '…'",),
        "after a crash, find the standard channel it made under a taken name",
        "it is the least: the application permission Channel.ReadBasic.All reads every team",
    ),
    Permission(
        "Channel.Create",
        "application",
        PRIVATE,
        ("POST /v1.0/teams/{team}/channels (membershipType private, with its members)",),
        "make a private incident channel with exactly the incident's members",
        "Channel.Create.Group (resource-specific) makes standard channels only",
    ),
    Permission(
        "ChannelMember.ReadWrite.All",
        "application",
        PRIVATE,
        (
            "POST /v1.0/teams/{team}/channels/{channel}/members",
            "GET /v1.0/teams/{team}/channels/{channel}/members",
            "DELETE /v1.0/teams/{team}/channels/{channel}/members/{membership}",
        ),
        "add a person who joins the incident, take out one who leaves",
        "ChannelMember.ReadWrite.Group (resource-specific), which Graph lists first, holds "
        "only in a channel the app is already in and was found to cover standard channels "
        "only",
    ),
    Permission(
        "TeamsAppInstallation.ManageSelectedForTeam.All",
        "application",
        PRIVATE,
        ("POST /beta/teams/{team}/channels/{channel}/enabledApps/$ref",),
        "add the bot itself to each private channel it makes, so that it can post there",
        "none narrower (TeamsAppInstallation.ReadWriteForTeam.All is wider); without it the "
        "channel's owner adds the app by hand, as the bot tells them",
    ),
    Permission(
        "Channel.ReadBasic.All",
        "application",
        PRIVATE,
        ("GET /v1.0/teams/{team}/channels?$filter=displayName eq '…'",),
        "after a crash, find the private channel it made under a taken name",
        "ChannelSettings.Read.Group (resource-specific) may not show a private channel the "
        "app is not in yet",
    ),
    Permission(
        "ChannelSettings.ReadWrite.All",
        "application",
        BOTH,
        ("POST /v1.0/teams/{team}/channels/{channel}/archive",),
        "archive the incident's channel when the incident closes (3.28)",
        "none narrower; without it the channel stays open and its closing post says the "
        "incident is closed",
    ),
    Permission(
        "Files.ReadWrite.All",
        "application",
        BOTH,
        (
            "GET /v1.0/teams/{team}/channels/{channel}/filesFolder",
            "PUT /v1.0/drives/{drive}/items/{folder}:/{name}:/content",
        ),
        "put the records taken away in the incident channel's files folder",
        "Sites.Selected, with write access granted on the incident team's site alone; "
        "without either, a Download button gives each reader a link of their own",
        setting="TEAMS_CHANNEL_FILES",
    ),
    Permission(
        "OnlineMeetings.ReadWrite.All",
        "application",
        BOTH,
        ("POST /v1.0/users/{organizer}/onlineMeetings/createOrGet",),
        "make the Teams meeting a reminder or a case conference links to, as the organizer",
        "none narrower; an application access policy limits it to the organizer's meetings, "
        "and without it reminders carry no join link",
        setting="TEAMS_MEETING_ORGANIZER",
    ),
    Permission(
        "User.ReadBasic.All",
        "application",
        BOTH,
        (
            "GET /v1.0/users?$filter=startswith(displayName,'…') or startswith(givenName,'…') "
            "or startswith(surname,'…')",
            "GET /v1.0/users/{user}?$select=id,displayName,userPrincipalName,mail",
        ),
        "find the organisation's people as someone types in a person picker, and check the "
        "one chosen",
        "it is the least that reads other people: their basic profile alone (names, email "
        "address, photo), where User.Read.All reads the full profile; without it a picker "
        "offers the people the bot already knows",
        setting="TEAMS_PEOPLE_SEARCH",
    ),
)


def resource_specific() -> list[dict[str, str]]:
    """The manifest's ``authorization.permissions.resourceSpecific``."""
    return [
        {"name": p.name, "type": "Application"}
        for p in PERMISSIONS
        if p.kind == "resource-specific"
    ]


def application(mode: Mode) -> list[str]:
    """What an administrator grants the app registration for ``mode``, always needed."""
    return [
        p.name for p in PERMISSIONS if p.kind == "application" and mode in p.modes and not p.setting
    ]


def optional() -> list[Permission]:
    """What is granted only where a setting switches its use on."""
    return [p for p in PERMISSIONS if p.setting]
