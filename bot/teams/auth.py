"""Who the bot is to the Bot Framework and to Microsoft Graph, and how inbound tokens are checked.

botbuilder fetches the channel's OpenID metadata with blocking ``requests`` and MSAL is
synchronous: both are moved off the event loop here, so one slow identity service never
stalls the other requests the server is answering.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import msal
import requests
from botbuilder.integration.aiohttp import (
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botframework.connector.auth import (
    AppCredentials,
    AuthenticateRequestResult,
    AuthenticationConstants,
    ClaimsIdentity,
    ConnectorFactory,
    ServiceClientCredentialsFactory,
    jwt_token_extractor,
)

from bot.config import Settings
from bot.teams.tokens import ChannelTokens

log = logging.getLogger(__name__)

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
LOGIN = "https://login.microsoftonline.com"
FETCH_TIMEOUT = 10.0

WARM_EVERY = 60.0  # seconds between warming a kept credentials' token in a thread

GraphToken = Callable[[], Awaitable[str]]


def _fetch_metadata(metadata: Any) -> None:
    """botbuilder's ``_OpenIdMetadata._refresh``, but synchronous (it runs in a thread) and with
    timeouts: a metadata server that never answers must not hold a request for ever."""
    response = requests.get(metadata.url, timeout=FETCH_TIMEOUT)
    response.raise_for_status()
    keys = requests.get(response.json()["jwks_uri"], timeout=FETCH_TIMEOUT)
    keys.raise_for_status()
    metadata.keys = keys.json()["keys"]
    metadata.last_updated = datetime.now()


async def _refresh_in_thread(self: Any) -> None:
    await asyncio.to_thread(_fetch_metadata, self)


# The private method replaced below is botframework-connector 4.17's; another release may
# have moved it, so the swap is refused rather than made blind.
PATCHED_CONNECTOR = "4.17."


def refresh_metadata_in_threads() -> None:
    """botbuilder 4.17 calls blocking ``requests.get`` inside an async method: make every
    metadata object (its cache is class-wide, keyed by URL) refresh through a thread instead.
    Called once, explicitly, when the Teams surface is switched on."""
    found = importlib.metadata.version("botframework-connector")
    if not found.startswith(PATCHED_CONNECTOR):
        raise RuntimeError(
            f"bot/teams/auth.py replaces _OpenIdMetadata._refresh of botframework-connector "
            f"{PATCHED_CONNECTOR}x, but {found} is installed: check the method and the pin"
        )
    metadata = jwt_token_extractor._OpenIdMetadata
    if metadata._refresh is not _refresh_in_thread:
        metadata._refresh = _refresh_in_thread


class WarmCredentials(ServiceClientCredentialsFactory):
    """One credentials object per app and audience, its token fetched in a thread.

    msrest asks the credentials for a token on the event loop (``signed_session``), and
    botbuilder makes new credentials, each with a new, empty MSAL cache, for every turn.
    Keeping them and warming the token here means that call finds MSAL's cache full.
    """

    def __init__(
        self,
        inner: ServiceClientCredentialsFactory,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.monotonic = monotonic
        self._made: dict[tuple[str, str, str], AppCredentials] = {}
        self._warmed: dict[tuple[str, str, str], float] = {}
        self._making = asyncio.Lock()

    async def is_valid_app_id(self, app_id: str) -> bool:
        return await self.inner.is_valid_app_id(app_id)

    async def is_authentication_disabled(self) -> bool:
        return await self.inner.is_authentication_disabled()

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> AppCredentials:
        key = (app_id or "", oauth_scope or "", login_endpoint or "")
        credentials = self._made.get(key)
        if credentials is None:
            async with self._making:  # a burst of first turns makes one, not one each
                credentials = self._made.get(key)
                if credentials is None:
                    credentials = await self.inner.create_credentials(
                        app_id, oauth_scope, login_endpoint, validate_authority
                    )
                    self._made[key] = credentials
        # MSAL's tokens last an hour and it renews them five minutes before they expire:
        # warming once a minute keeps its cache full without a thread hop on every turn.
        warmed = self._warmed.get(key)
        now = self.monotonic()
        if getattr(credentials, "microsoft_app_id", None) and (
            warmed is None or now - warmed > WARM_EVERY
        ):
            await asyncio.to_thread(credentials.get_access_token)
            self._warmed[key] = now
        return credentials


@dataclass
class TeamsCredentials:
    """The bot's outbound credentials: for the Bot Connector, and a Graph token source."""

    factory: ServiceClientCredentialsFactory
    graph_token: GraphToken | None


def sdk_configuration(settings: Settings) -> SimpleNamespace:
    """The attribute names botbuilder's configuration classes read."""
    config = SimpleNamespace(
        APP_ID=settings.microsoft_app_id or "",
        APP_PASSWORD=(
            settings.microsoft_app_password.get_secret_value()
            if settings.microsoft_app_password
            else ""
        ),
        APP_TYPE=settings.microsoft_app_type,
        APP_TENANTID=settings.microsoft_app_tenant_id or "",
    )
    # Tests and sovereign clouds only: where the channel's signing keys are published.
    if settings.teams_openid_metadata_url:
        config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = settings.teams_openid_metadata_url
    if settings.teams_token_issuer:
        config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = settings.teams_token_issuer
    return config


def default_credentials(settings: Settings) -> TeamsCredentials:
    config = sdk_configuration(settings)
    # Graph needs the tenant the team lives in; without it incident channels become threads.
    graph = (
        _msal_graph_token(settings)
        if settings.microsoft_app_id and settings.microsoft_app_tenant_id
        else None
    )
    return TeamsCredentials(ConfigurationServiceClientCredentialFactory(config), graph)


class ReusedConnectors(ConnectorFactory):
    """One Bot Connector client per service URL and credentials, kept for the process.

    botbuilder makes a new client for every turn and every proactive post; each new msrest
    client spends ~10 ms of CPU on the event loop building its retry table, and opens new
    connections. A kept client reuses both (msrest keeps one requests session per thread).
    """

    def __init__(
        self, inner: ConnectorFactory, kept: dict[tuple[str, int], Any], making: asyncio.Lock
    ) -> None:
        self.inner = inner
        self.kept = kept
        self.making = making

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        inner: Any = self.inner
        # botbuilder 4.17's factory keeps these privately; the SDK is archived, so they hold.
        credentials = await inner._credential_factory.create_credentials(
            inner._app_id,
            audience or inner._to_channel_from_bot_oauth_scope,
            inner._login_endpoint,
            inner._validate_authority,
        )
        key = (service_url, id(credentials))
        client = self.kept.get(key)
        if client is None:
            async with self.making:  # each client costs ~10 ms of CPU: made once per key
                client = self.kept.get(key)
                if client is None:
                    client = await inner.create(service_url, audience)
                    # The outbox is the one retry policy for posts (msrest would repeat a
                    # POST on 5xx).
                    client.config.retry_policy.retries = 0
                    self.kept[key] = client
        return client


class TeamsAuthentication(ConfigurationBotFrameworkAuthentication):
    """botbuilder's configuration-driven authentication, with connector clients kept and the
    user-token client (OAuth sign-in, which the bot does not use) made once.

    With an app id, inbound tokens are checked by ``ChannelTokens`` (bot/teams/tokens.py), and
    the turn's claims come from it: botbuilder's own check costs more than the rest of a turn.
    Without one (local, unauthenticated Teams), botbuilder's anonymous path is kept."""

    def __init__(
        self,
        configuration: Any,
        credentials_factory: ServiceClientCredentialsFactory,
        tokens: ChannelTokens | None = None,
    ):
        super().__init__(configuration, credentials_factory=credentials_factory)
        self._kept: dict[tuple[str, int], Any] = {}
        self._making = asyncio.Lock()
        self._user_tokens: Any = None
        self._user_tokens_making = asyncio.Lock()
        self.tokens = tokens
        self._scope = configuration_scope(configuration)
        self._caller_id = getattr(configuration, "CALLER_ID", None)  # botbuilder's default

    async def authenticate_request(self, activity: Any, auth_header: str) -> Any:
        if self.tokens is not None:
            claims = await self.tokens.verify(
                auth_header or "", activity.channel_id or "", activity.service_url or ""
            )
            return self.from_claims(claims)
        result = await super().authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = ReusedConnectors(
                result.connector_factory, self._kept, self._making
            )
        return result

    def from_claims(self, claims: dict[str, Any]) -> AuthenticateRequestResult:
        """What botbuilder's channel validation gives a turn, for claims already checked (or
        checked before a restart, for an activity replayed from the inbox)."""
        identity = ClaimsIdentity(dict(claims), True)
        result = AuthenticateRequestResult()
        result.claims_identity = identity
        result.audience = self._scope
        result.caller_id = self._caller_id
        result.connector_factory = self.create_connector_factory(identity)
        return result

    def create_connector_factory(self, claims_identity: Any) -> ConnectorFactory:
        return ReusedConnectors(
            super().create_connector_factory(claims_identity), self._kept, self._making
        )

    async def create_user_token_client(self, claims_identity: Any) -> Any:
        if self._user_tokens is None:
            async with self._user_tokens_making:  # ~10 ms of CPU: once, not once per turn
                if self._user_tokens is None:
                    self._user_tokens = await super().create_user_token_client(claims_identity)
        return self._user_tokens


def configuration_scope(configuration: Any) -> str:
    """The audience of the bot's outbound tokens (the channel's, unless configured)."""
    return str(
        getattr(configuration, "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE", None)
        or AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
    )


def authentication(settings: Settings, credentials: TeamsCredentials) -> TeamsAuthentication:
    tokens = (
        ChannelTokens(
            settings.microsoft_app_id,
            settings.teams_openid_metadata_url,
            settings.teams_token_issuer,
        )
        if settings.microsoft_app_id
        else None
    )
    return TeamsAuthentication(
        sdk_configuration(settings), WarmCredentials(credentials.factory), tokens
    )


def _msal_graph_token(settings: Settings) -> GraphToken:
    """MSAL client credentials for Graph (or the managed identity); MSAL runs in a thread and
    keeps its own token cache, so most calls return at once."""
    app_id = settings.microsoft_app_id or ""
    made: list[Any] = []

    def acquire() -> str:
        if not made:
            if settings.microsoft_app_type.lower() == "userassignedmsi":
                made.append(
                    msal.ManagedIdentityClient(
                        msal.UserAssignedManagedIdentity(client_id=app_id),
                        http_client=requests.Session(),
                    )
                )
            else:
                secret = settings.microsoft_app_password
                made.append(
                    msal.ConfidentialClientApplication(
                        app_id,
                        client_credential=secret.get_secret_value() if secret else None,
                        authority=f"{LOGIN}/{settings.microsoft_app_tenant_id}",
                    )
                )
        client = made[0]
        if isinstance(client, msal.ManagedIdentityClient):
            result = client.acquire_token_for_client(resource="https://graph.microsoft.com")
        else:
            result = client.acquire_token_for_client(scopes=[GRAPH_SCOPE])
        if "access_token" not in result:
            raise PermissionError(f"no Graph token: {result.get('error', 'unknown error')}")
        return str(result["access_token"])

    async def token() -> str:
        return await asyncio.to_thread(acquire)

    return token


class _FixedToken(AppCredentials):
    def __init__(self, app_id: str, token: str) -> None:
        super().__init__(app_id=app_id)
        self.token = token

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self.token


class FixedTokens(ServiceClientCredentialsFactory):
    """Credentials that always give the same token: for tests and benchmarks, whose fake Bot
    Connector is plain http on loopback, where MSAL will not go."""

    def __init__(self, app_id: str, token: str) -> None:
        self.app_id = app_id
        self.token = token

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == self.app_id

    async def is_authentication_disabled(self) -> bool:
        return False

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> AppCredentials:
        return _FixedToken(app_id, self.token)


def fixed_tokens(app_id: str, connector_token: str, graph_token: str) -> TeamsCredentials:
    async def graph() -> str:
        return graph_token

    return TeamsCredentials(FixedTokens(app_id, connector_token), graph)
