"""Typed configuration from the environment (and a .env file). Secrets only come from here."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_AREAS = (
    "Product Safety",
    "Gas and Electrical",
    "Construction Products",
    "Chemicals and Cosmetics",
    "Toys and Childcare",
    "Weights and Measures",
    "Environmental Regulation",
)
DATA_DIR = Path("var")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(default=f"sqlite:///{DATA_DIR / 'opss.sqlite3'}")
    host: str = Field(default="127.0.0.1", alias="OPSS_HOST")
    port: int = Field(default=8080, alias="OPSS_PORT")
    functional_areas: list[str] = Field(default=list(DEFAULT_AREAS), alias="OPSS_AREAS")
    seed_file: Path | None = Field(default=None, alias="OPSS_SEED_FILE")
    # Unset: on when no chat platform is configured, off when one is (see workspace_enabled).
    local_workspace: bool | None = Field(default=None, alias="OPSS_LOCAL_WORKSPACE")
    # "pick": choose who you are by name (a demo; loopback only). "password": each person
    # signs in with their own secret, stored hashed (python -m bot set-password NAME).
    # "oidc": people sign in with Microsoft Entra ID (OpenID Connect, below).
    workspace_sign_in: Literal["pick", "password", "oidc"] = Field(
        default="pick", alias="OPSS_WORKSPACE_SIGN_IN"
    )
    # Entra ID: the tenant's issuer (https://login.microsoftonline.com/<tenant id>/v2.0) and
    # the app registration's client id and secret; the redirect URI is OPSS_PUBLIC_URL's
    # /auth/callback.
    oidc_issuer: str | None = Field(default=None, alias="OPSS_OIDC_ISSUER")
    oidc_client_id: str | None = Field(default=None, alias="OPSS_OIDC_CLIENT_ID")
    oidc_client_secret: SecretStr | None = Field(default=None, alias="OPSS_OIDC_CLIENT_SECRET")
    # A signed-in session ends after this long unused, and after this long whatever happens.
    session_idle_minutes: int = Field(default=30, alias="OPSS_SESSION_IDLE_MINUTES")
    session_hours: int = Field(default=12, alias="OPSS_SESSION_HOURS")
    # The address people use to reach the workspace when it is served off loopback.
    public_url: str | None = Field(default=None, alias="OPSS_PUBLIC_URL")
    # The organiser calendar invitations name (an address people may write to).
    calendar_organizer: str | None = Field(default=None, alias="OPSS_CALENDAR_ORGANIZER")
    imt_channel: str = Field(default="opss-imt", alias="OPSS_IMT_CHANNEL")
    # The weekly management-information summary posted to IMT's channel (3.20): a weekday and
    # a London time ("mon 09:00"), or "off".
    mi_summary: str = Field(default="mon 09:00", alias="OPSS_MI_SUMMARY")
    outbox_poll_seconds: float = Field(default=1.0, alias="OPSS_OUTBOX_POLL_SECONDS")
    outbox_pace_seconds: float = Field(default=1.0, alias="OPSS_OUTBOX_PACE_SECONDS")
    tick_seconds: float = Field(default=10.0, alias="OPSS_TICK_SECONDS")
    holidays_region: str = Field(default="england-and-wales", alias="OPSS_HOLIDAYS")
    grace_minutes: int = Field(default=15, alias="OPSS_GRACE_MINUTES")
    sitrep_cutoff: str = Field(default="16:00", alias="OPSS_SITREP_CUTOFF")
    rhythm_file: Path | None = Field(default=None, alias="OPSS_RHYTHM_FILE")
    # Notification clocks: day counts by kind replacing the 2005 guidance's (JSON object).
    notification_days: dict[str, int] = Field(default_factory=dict, alias="OPSS_NOTIFICATION_DAYS")
    notification_remind_days: int = Field(default=2, alias="OPSS_NOTIFICATION_REMIND_DAYS")
    # The national contact point the annex forms name (box 28 on Annex II): the address to
    # email and who and where. Unset: the 2005 guidance's DTI RAPEX unit, marked as printed.
    rapex_contact_email: str = Field(default="", alias="OPSS_RAPEX_CONTACT_EMAIL")
    rapex_contact_details: str = Field(default="", alias="OPSS_RAPEX_CONTACT_DETAILS")
    # Signs the links to exported notification forms.
    action_reminders: str = Field(default="24h,2h", alias="OPSS_ACTION_REMINDERS")
    partners_file: Path | None = Field(default=None, alias="OPSS_PARTNERS_FILE")
    # Tests point a bot process at a file holding the time, to move its clock from outside.
    clock_file: str | None = Field(default=None, alias="OPSS_CLOCK_FILE")
    # Operating it (see docs/deploy.md): seconds a SIGTERM may take, /metrics on its own
    # port ("off": not served; unset: on the main port), JSON log lines.
    shutdown_seconds: float = Field(default=20.0, alias="OPSS_SHUTDOWN_SECONDS")
    # A client must send a request's headers within this (slow-loris connections are closed).
    header_timeout_seconds: float = Field(default=10.0, alias="OPSS_HEADER_TIMEOUT_SECONDS")
    metrics_port: str | None = Field(default=None, alias="OPSS_METRICS_PORT")
    log_format: str = Field(default="text", alias="OPSS_LOG_FORMAT")
    # How often Socket Mode retries reaching Slack (and pings it once connected).
    socket_retry_seconds: float = Field(default=10.0, alias="OPSS_SOCKET_RETRY_SECONDS")
    # How many bot processes share the database (deploy/): SQLite is for one host.
    processes: int = Field(default=1, alias="OPSS_PROCESSES")
    # Slack and Teams (their surfaces are switched on when these are set).
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_imt_channel: str | None = None  # channel id where IMT is told of new issues
    # Teams: the Azure Bot's identity (botbuilder's names), the team and its channels.
    microsoft_app_id: str | None = Field(
        default=None, validation_alias=AliasChoices("microsoft_app_id", "MicrosoftAppId")
    )
    microsoft_app_password: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("microsoft_app_password", "MicrosoftAppPassword"),
    )
    microsoft_app_type: str = Field(
        default="MultiTenant",
        validation_alias=AliasChoices("microsoft_app_type", "MicrosoftAppType"),
    )
    microsoft_app_tenant_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("microsoft_app_tenant_id", "MicrosoftAppTenantId"),
    )
    teams_team_id: str | None = None  # the team where incident channels are created
    # "private": each incident's channel is a private channel of its members (application
    # permissions, docs/install-teams.md); "standard": a channel the whole team reads.
    teams_incident_channels: Literal["private", "standard"] = "private"
    # The app's id in the organisation's app catalog (Graph's teamsApp id, not the
    # manifest's): the bot adds itself to each private channel it makes with it.
    teams_app_catalog_id: str | None = None
    teams_incidents_channel_id: str | None = None  # threads, where Graph cannot make channels
    teams_imt_channel_id: str | None = None  # where IMT is told of new issues
    # Records put in a channel's files folder (Graph: Files.ReadWrite.All or Sites.Selected).
    teams_channel_files: bool = False
    # The user (object id) whose Teams meetings the bot makes for the battle rhythm (Graph:
    # OnlineMeetings.ReadWrite.All, with an application access policy granted to that user).
    teams_meeting_organizer: str | None = None
    # Person pickers also search the organisation's directory (Graph: User.ReadBasic.All,
    # an application permission an administrator grants); otherwise they offer the people
    # the bot already knows.
    teams_people_search: bool = False
    graph_api_url: str = "https://graph.microsoft.com"
    # Local testing only (the Agents Playground): accept activities without a token.
    teams_allow_unauthenticated: bool = False
    # Tests only: where the channel's signing keys are published, and the tokens' issuer.
    teams_openid_metadata_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "teams_openid_metadata_url", "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL"
        ),
    )
    teams_token_issuer: str | None = Field(
        default=None,
        validation_alias=AliasChoices("teams_token_issuer", "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER"),
    )

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None and self.slack_signing_secret is not None

    @property
    def teams_enabled(self) -> bool:
        return bool(self.microsoft_app_id) or self.teams_allow_unauthenticated

    @property
    def chat_platform_configured(self) -> bool:
        return (
            self.slack_bot_token is not None
            or self.slack_signing_secret is not None
            or bool(self.microsoft_app_id)
        )

    @property
    def signs_in(self) -> bool:
        """The workspace proves who people are (a session), rather than letting them pick."""
        return self.workspace_sign_in != "pick"

    @property
    def workspace_enabled(self) -> bool:
        """With a chat platform configured the workspace is off unless explicitly turned on."""
        if self.local_workspace is None:
            return not self.chat_platform_configured
        return self.local_workspace

    @property
    def clock_movable(self) -> bool:
        """Moving the clock is a demo and exercise feature: never beside a chat platform."""
        return self.workspace_enabled and not self.chat_platform_configured
