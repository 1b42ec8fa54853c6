"""What is wrong or risky in a configuration, as data: the bot refuses to start on a "refuse",
and says each "warn" at start-up. Pure: settings in, problems out (``python -m bot check``
prints the same list)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from bot.config import Settings
from rules.mi import parse_weekly

Level = Literal["refuse", "warn"]
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


@dataclass(frozen=True)
class Problem:
    level: Level
    setting: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.setting}: {self.message}"


def is_loopback(host: str) -> bool:
    """True for an address that only this machine can reach (never for 0.0.0.0 or a name)."""
    name = host.strip().lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def problems(settings: Settings) -> list[Problem]:
    found: list[Problem] = []
    workspace = settings.workspace_enabled
    if workspace and settings.workspace_sign_in == "pick" and not is_loopback(settings.host):
        found.append(
            Problem(
                "refuse",
                "OPSS_HOST",
                f"the local workspace lets anyone pick who they are, so it only listens on "
                f"loopback (127.0.0.1), not {settings.host}. Set OPSS_WORKSPACE_SIGN_IN=oidc "
                "(Entra ID) or password (each person's own secret), or "
                "OPSS_LOCAL_WORKSPACE=false.",
            )
        )
    if workspace and settings.workspace_sign_in == "oidc":
        found += _oidc(settings)
    elif workspace and settings.workspace_sign_in == "password" and not is_loopback(settings.host):
        public = urlsplit(settings.public_url or "")
        if not public.hostname:
            found.append(
                Problem(
                    "refuse",
                    "OPSS_PUBLIC_URL",
                    "the workspace is served off loopback: give the address people use "
                    "(e.g. https://opss-bot.example.gov.uk) so requests for any other host "
                    "are refused.",
                )
            )
        elif public.scheme != "https":
            found.append(
                Problem(
                    "warn",
                    "OPSS_PUBLIC_URL",
                    "sign-in cookies travel unencrypted over http; put TLS in front.",
                )
            )
    slack_half = (settings.slack_bot_token is None) != (settings.slack_signing_secret is None)
    if slack_half:
        missing = (
            "SLACK_SIGNING_SECRET" if settings.slack_signing_secret is None else ("SLACK_BOT_TOKEN")
        )
        found.append(
            Problem(
                "refuse",
                missing,
                "Slack is half configured: set both SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET "
                "(every request is verified with the signing secret), or neither.",
            )
        )
    if settings.slack_enabled and not settings.slack_imt_channel:
        found.append(
            Problem(
                "warn",
                "SLACK_IMT_CHANNEL",
                "unset: IMT is not told of new issues in Slack, and people raising them are "
                "told so. Invite the bot to IMT's channel and set its id.",
            )
        )
    found += _teams(settings)
    try:
        parse_weekly(settings.mi_summary)
    except ValueError as exc:
        found.append(Problem("refuse", "OPSS_MI_SUMMARY", f"{exc}."))
    if settings.chat_platform_configured and settings.local_workspace:
        if settings.workspace_sign_in == "pick":
            found.append(
                Problem(
                    "refuse",
                    "OPSS_LOCAL_WORKSPACE",
                    "the pick-a-name workspace beside a chat platform lets anything on this "
                    "host act as anyone, the Head of IMT included. Set "
                    "OPSS_WORKSPACE_SIGN_IN=oidc (Entra ID) or password (each person's own "
                    "secret), or OPSS_LOCAL_WORKSPACE=false.",
                )
            )
        else:
            found.append(
                Problem(
                    "warn",
                    "OPSS_LOCAL_WORKSPACE",
                    "the local workspace is on beside a chat platform: its clock cannot be "
                    "moved and it is a second way in; leave it off unless you need it.",
                )
            )
    return found + _short_secrets(settings) + operations(settings)


def _oidc(settings: Settings) -> list[Problem]:
    """Entra ID sign-in: the tenant, the app registration, and an https address to return to."""
    found: list[Problem] = []
    issuer = urlsplit(settings.oidc_issuer or "")
    if not issuer.hostname:
        found.append(
            Problem(
                "refuse",
                "OPSS_OIDC_ISSUER",
                "unset: give the tenant's issuer, "
                "https://login.microsoftonline.com/<tenant id>/v2.0.",
            )
        )
    elif issuer.scheme != "https":
        found.append(Problem("refuse", "OPSS_OIDC_ISSUER", "must be an https address."))
    if not settings.oidc_client_id:
        found.append(
            Problem("refuse", "OPSS_OIDC_CLIENT_ID", "unset: give the app registration's id.")
        )
    if settings.oidc_client_secret is None or not settings.oidc_client_secret.get_secret_value():
        found.append(
            Problem(
                "refuse",
                "OPSS_OIDC_CLIENT_SECRET",
                "unset: give the app registration's client secret (from the environment).",
            )
        )
    public = urlsplit(settings.public_url or "")
    # Entra accepts an http redirect URI for localhost only; so does this check.
    if not public.hostname or not (
        public.scheme == "https" or (public.scheme == "http" and is_loopback(public.hostname))
    ):
        found.append(
            Problem(
                "refuse",
                "OPSS_PUBLIC_URL",
                "Entra ID sign-in returns to OPSS_PUBLIC_URL/auth/callback: give the https "
                "address people use (e.g. https://opss-bot.example.gov.uk), registered as the "
                "app's redirect URI.",
            )
        )
    return found


# A secret shorter than this is a placeholder or a typo, not a secret: Slack's signing
# secrets are 32 hex characters.
MIN_SECRET = {"SLACK_SIGNING_SECRET": 32}


def _short_secrets(settings: Settings) -> list[Problem]:
    found: list[Problem] = []
    for setting, secret in (("SLACK_SIGNING_SECRET", settings.slack_signing_secret),):
        if secret is None:
            continue
        length = len(secret.get_secret_value())
        if length < MIN_SECRET[setting]:
            found.append(
                Problem(
                    "refuse",
                    setting,
                    f"{length} characters is too short to be a secret: use at least "
                    f"{MIN_SECRET[setting]} (e.g. python -c 'import secrets; "
                    "print(secrets.token_hex(32))').",
                )
            )
    return found


# What an operator running several processes must get right (docs/deploy.md).
LOG_FORMATS = ("text", "json")
STOP_TIMEOUT = 30  # deploy/systemd's TimeoutStopSec: systemd sends SIGKILL after it


def operations(settings: Settings) -> list[Problem]:
    found: list[Problem] = []
    if settings.chat_platform_configured and not settings.rapex_contact_email:
        # A real deployment: told here, not on the statutory form an officer sends.
        found.append(
            Problem(
                "warn",
                "OPSS_RAPEX_CONTACT_EMAIL",
                "unset: the Annex forms' national contact point box prints the 2005 guidance's "
                "DTI RAPEX unit, marked as printed; set it and OPSS_RAPEX_CONTACT_DETAILS "
                "(docs/configuration.md).",
            )
        )
    sqlite = settings.database_url.startswith("sqlite")
    if settings.processes < 1:
        found.append(Problem("refuse", "OPSS_PROCESSES", "must be 1 or more."))
    elif sqlite and settings.processes > 1:
        found.append(
            Problem(
                "warn",
                "DATABASE_URL",
                f"SQLite with {settings.processes} processes: they must share one host (the "
                "outbox leader is a file lock) and take turns to write; use PostgreSQL for "
                "several processes (docs/deploy.md).",
            )
        )
    port = settings.metrics_port
    if port is not None and port.lower() != "off":
        if not port.isdigit() or not 0 < int(port) < 65536:
            found.append(
                Problem("refuse", "OPSS_METRICS_PORT", f"use a port number or off, not '{port}'.")
            )
        elif int(port) == settings.port:
            found.append(
                Problem(
                    "refuse",
                    "OPSS_METRICS_PORT",
                    "is OPSS_PORT: leave it unset to serve /metrics on the main port.",
                )
            )
    if settings.log_format not in LOG_FORMATS:
        found.append(
            Problem("refuse", "OPSS_LOG_FORMAT", f"use text or json, not '{settings.log_format}'.")
        )
    if settings.header_timeout_seconds <= 0:
        found.append(Problem("refuse", "OPSS_HEADER_TIMEOUT_SECONDS", "must be more than 0."))
    for setting, value in (
        ("OPSS_SESSION_IDLE_MINUTES", settings.session_idle_minutes),
        ("OPSS_SESSION_HOURS", settings.session_hours),
    ):
        if value <= 0:
            found.append(Problem("refuse", setting, "must be more than 0."))
    if settings.shutdown_seconds <= 0:
        found.append(Problem("refuse", "OPSS_SHUTDOWN_SECONDS", "must be more than 0."))
    elif settings.shutdown_seconds >= STOP_TIMEOUT:
        found.append(
            Problem(
                "warn",
                "OPSS_SHUTDOWN_SECONDS",
                f"{settings.shutdown_seconds:g} s: the systemd unit in deploy/ kills the "
                f"process after {STOP_TIMEOUT} s (TimeoutStopSec); keep it below that.",
            )
        )
    if settings.slack_app_token is not None and not settings.slack_enabled:
        found.append(
            Problem(
                "refuse",
                "SLACK_APP_TOKEN",
                "Socket Mode needs Slack itself: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET "
                "too, or unset SLACK_APP_TOKEN.",
            )
        )
    for setting, secret, prefix, what in (
        ("SLACK_BOT_TOKEN", settings.slack_bot_token, "xoxb-", "a Bot User OAuth Token"),
        ("SLACK_APP_TOKEN", settings.slack_app_token, "xapp-", "an app-level token"),
    ):
        if secret is not None and not secret.get_secret_value().startswith(prefix):
            found.append(
                Problem("warn", setting, f"does not look like {what} (it starts {prefix}…).")
            )
    if settings.workspace_enabled and settings.processes > 1 and not settings.public_url:
        found.append(
            Problem(
                "warn",
                "OPSS_PUBLIC_URL",
                "several processes behind a proxy, with the workspace on: requests through the "
                "proxy name its public host, which the workspace refuses until OPSS_PUBLIC_URL "
                "gives it (and sign-in is OPSS_WORKSPACE_SIGN_IN=oidc or password).",
            )
        )
    return found


def _teams(settings: Settings) -> list[Problem]:
    found: list[Problem] = []
    if settings.teams_allow_unauthenticated and not is_loopback(settings.host):
        found.append(
            Problem(
                "refuse",
                "TEAMS_ALLOW_UNAUTHENTICATED",
                "accepts Teams activities without a token: it is for local testing with the "
                f"Agents Playground and needs OPSS_HOST on loopback (127.0.0.1), not "
                f"{settings.host}. Set MicrosoftAppId and MicrosoftAppPassword instead.",
            )
        )
    if not settings.microsoft_app_id:
        return found
    kind = settings.microsoft_app_type.lower()
    if kind not in {"multitenant", "singletenant", "userassignedmsi"}:
        found.append(
            Problem(
                "refuse",
                "MicrosoftAppType",
                f"'{settings.microsoft_app_type}': use SingleTenant, MultiTenant or "
                "UserAssignedMSI.",
            )
        )
    if kind in {"singletenant", "userassignedmsi"} and not settings.microsoft_app_tenant_id:
        found.append(
            Problem("refuse", "MicrosoftAppTenantId", f"{settings.microsoft_app_type} needs it.")
        )
    if kind != "userassignedmsi" and settings.microsoft_app_password is None:
        found.append(
            Problem(
                "refuse",
                "MicrosoftAppPassword",
                "unset: the bot cannot answer Teams without its client secret.",
            )
        )
    if not settings.teams_imt_channel_id:
        found.append(
            Problem(
                "warn",
                "TEAMS_IMT_CHANNEL_ID",
                "unset: IMT is not told of new issues in Teams. Set the IMT channel's id.",
            )
        )
    if not (settings.teams_team_id and settings.microsoft_app_tenant_id):
        found.append(
            Problem(
                "warn",
                "TEAMS_TEAM_ID",
                "Graph is not configured (TEAMS_TEAM_ID and MicrosoftAppTenantId): incidents "
                "get a thread in TEAMS_INCIDENTS_CHANNEL_ID instead of their own channel."
                if settings.teams_incidents_channel_id
                else "Graph is not configured (TEAMS_TEAM_ID and MicrosoftAppTenantId), nor "
                "TEAMS_INCIDENTS_CHANNEL_ID: an incident declared in Teams gets no "
                "conversation, and its posts and records wait until one of them is set.",
            )
        )
    elif settings.teams_incident_channels == "private" and not settings.teams_app_catalog_id:
        found.append(
            Problem(
                "warn",
                "TEAMS_APP_CATALOG_ID",
                "unset: the bot cannot add itself to the private channels it makes, so each "
                "channel's owner is asked to add the app by hand (docs/install-teams.md).",
            )
        )
    return found


def refusals(settings: Settings) -> list[Problem]:
    return [p for p in problems(settings) if p.level == "refuse"]
