"""The channel's token on an activity, checked with PyJWT against the channel's own keys.

What botbuilder 4.17's channel validation checks, in one place: the token is a ``Bearer``
JWT signed with RS256 by a key the channel's OpenID metadata publishes; the key is endorsed
for the activity's channel (``msteams``; a key with no endorsements is not); the issuer is
the channel's; the audience is this bot's app id; it has not expired (five minutes' leeway,
as botbuilder); and its ``serviceurl`` claim is the activity's ``serviceUrl``. Anything else
raises ``Unauthorized``, which the endpoint answers with 401. Its claims are what a message
recorded in the inbox keeps, so its turn can be run after the 201, or after a restart
(bot/teams/inbound.py); botbuilder also parsed the key from its JWK again for every request.

Emulator and skill tokens, which botbuilder would also try, are not accepted: Teams sends
neither, and a bot that is not a skill has no caller to trust them from.

The keys are fetched in a thread (blocking ``requests`` with timeouts), kept a day, and
fetched again at most once an hour for a key id they do not hold (the channel rolls keys).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger(__name__)

METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
ISSUER = "https://api.botframework.com"
FETCH_TIMEOUT = 10.0
KEEP_KEYS = 24 * 3600.0
REFETCH_FOR_UNKNOWN_KEY = 3600.0
LEEWAY = 5 * 60
ALGORITHMS = ["RS256"]


class Unauthorized(Exception):
    """The token is missing or wrong: 401, and nothing done."""


@dataclass(frozen=True)
class _Key:
    public: Any
    endorsements: tuple[str, ...]


class ChannelTokens:
    def __init__(
        self,
        app_id: str,
        metadata_url: str | None = None,
        issuer: str | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app_id = app_id
        self.metadata_url = metadata_url or METADATA_URL
        self.issuer = issuer or ISSUER
        self.monotonic = monotonic
        self._keys: dict[str, _Key] = {}
        self._fetched_at: float | None = None
        self._fetching = asyncio.Lock()

    async def verify(self, authorization: str, channel_id: str, service_url: str) -> dict[str, Any]:
        """The token's claims, if it is the channel's token for this activity."""
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer" or not token or " " in token:
            raise Unauthorized("no Bearer token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("not a JWT") from exc
        if header.get("alg") not in ALGORITHMS:
            raise Unauthorized("a signing algorithm the channel does not use")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("no key id")
        key = await self._key(kid)
        if key is None:
            raise Unauthorized("signed with a key the channel does not publish")
        if not channel_id or channel_id not in key.endorsements:
            # botbuilder skips this for a key with no endorsements; the channel's all have them.
            raise Unauthorized("the key is not endorsed for this channel")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.public,
                algorithms=ALGORITHMS,
                audience=self.app_id,
                issuer=self.issuer,
                leeway=LEEWAY,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(type(exc).__name__) from exc
        if not self.app_id or claims.get("aud") != self.app_id:
            raise Unauthorized("not for this bot")  # a list naming it is not the channel's
        if not service_url or claims.get("serviceurl") != service_url:
            raise Unauthorized("serviceurl is not the activity's")
        return claims

    async def _key(self, kid: str) -> _Key | None:
        now = self.monotonic()
        stale = self._fetched_at is None or now - self._fetched_at > KEEP_KEYS
        unknown = kid not in self._keys and (
            self._fetched_at is None or now - self._fetched_at > REFETCH_FOR_UNKNOWN_KEY
        )
        if stale or unknown:
            async with self._fetching:  # one fetch for all the requests waiting on it
                if self._fetched_at is None or self._fetched_at < now:
                    try:
                        self._keys = await asyncio.to_thread(self._fetch)
                    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
                        # Kept keys stay good; without any, every token is refused.
                        log.warning("the channel's signing keys could not be fetched: %s", exc)
                        if not self._keys:
                            raise Unauthorized("no signing keys") from exc
                    else:
                        self._fetched_at = self.monotonic()
        return self._keys.get(kid)

    def _fetch(self) -> dict[str, _Key]:
        metadata = requests.get(self.metadata_url, timeout=FETCH_TIMEOUT)
        metadata.raise_for_status()
        jwks = requests.get(metadata.json()["jwks_uri"], timeout=FETCH_TIMEOUT)
        jwks.raise_for_status()
        keys: dict[str, _Key] = {}
        for jwk in jwks.json()["keys"]:
            if jwk.get("kty") != "RSA" or not isinstance(jwk.get("kid"), str):
                continue
            endorsements = jwk.get("endorsements")
            keys[jwk["kid"]] = _Key(
                RSAAlgorithm.from_jwk(json.dumps(jwk)),
                tuple(str(e) for e in endorsements) if isinstance(endorsements, list) else (),
            )
        return keys
