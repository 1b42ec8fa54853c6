"""The OpenID Connect client for Entra ID sign-in, through Authlib (none of the protocol by hand).

Authlib's ``OAuth2Session`` (on requests, so synchronous: every call here runs in a worker
thread, never on the event loop) builds the authorization request with PKCE (S256), state and
nonce, and redeems the code at the token endpoint with the client secret. The ID token it
returns is then checked with Authlib's ``CodeIDToken`` rules on joserfc: its signature against
the provider's published keys (JWKS, RS256 only), then issuer, audience, expiry (against the
bot's clock) and nonce. The discovery document and the keys are fetched once and kept; keys are
fetched again once when a token names a key not yet seen (Entra rotates them).

Nothing secret is logged or kept: the client secret, codes and tokens stay in this module's
calls; what fails is said by a short reason (``Failed``), never with the token.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
)
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

SCOPE = "openid profile email"
ALGORITHMS = ["RS256"]  # what Entra signs ID tokens with; "none" and HS* are never accepted
TIMEOUT = 10.0  # seconds for each call to the provider
LEEWAY = 60  # seconds of clock skew allowed on exp, iat and nbf


class Failed(Exception):
    """A sign-in that did not prove who is signing in; the message is a short reason, safe to
    show and audit (never a token or a code)."""


@dataclass(frozen=True)
class Request:
    """One authorization request: where to send the browser, and what to keep for the
    callback (in the database, bound to the browser by its sign-in cookie)."""

    url: str
    state: str
    nonce: str
    code_verifier: str


class OpenIdClient:
    def __init__(self, issuer: str, client_id: str, client_secret: str, redirect_uri: str):
        self.issuer = issuer
        self.client_id = client_id
        self._secret = client_secret
        self.redirect_uri = redirect_uri
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    def __repr__(self) -> str:  # never the secret
        return f"OpenIdClient(issuer={self.issuer!r}, client_id={self.client_id!r})"

    def _session(self) -> OAuth2Session:
        return OAuth2Session(
            self.client_id,
            self._secret,
            token_endpoint_auth_method="client_secret_post",
            scope=SCOPE,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            default_timeout=TIMEOUT,
        )

    def _get(self, url: str) -> dict[str, Any]:
        try:
            with requests.Session() as http:
                response = http.get(url, timeout=TIMEOUT)
            response.raise_for_status()
            found = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise Failed(
                f"the identity provider could not be reached ({type(exc).__name__})"
            ) from None
        if not isinstance(found, dict):
            raise Failed("the identity provider answered with something unexpected")
        return found

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document, fetched once; its issuer must be the one set."""
        with self._lock:
            if self._metadata is None:
                found = self._get(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
                if found.get("issuer") != self.issuer:
                    raise Failed("the provider's discovery document names another issuer")
                for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not str(found.get(field, "")).startswith("https://"):
                        raise Failed(f"the provider's discovery document has no https {field}")
                self._metadata = found
            return self._metadata

    def _key_set(self, again: bool = False) -> KeySet:
        with self._lock:
            if self._keys is None or again:
                assert self._metadata is not None
                try:
                    published: Any = self._get(self._metadata["jwks_uri"])
                    self._keys = KeySet.import_key_set(published)
                except (JoseError, ValueError, KeyError, TypeError) as exc:
                    raise Failed("the provider's signing keys could not be read") from exc
            return self._keys

    def begin(self) -> Request:
        """A fresh authorization request: new state, nonce and PKCE verifier."""
        endpoint = self.metadata()["authorization_endpoint"]
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        with self._session() as session:
            url, _ = session.create_authorization_url(
                endpoint, state=state, code_verifier=verifier, nonce=nonce
            )
        return Request(url, state, nonce, verifier)

    def finish(self, code: str, code_verifier: str, nonce: str, now: datetime) -> dict[str, Any]:
        """Redeem the code and return the ID token's claims once they are proved."""
        endpoint = self.metadata()["token_endpoint"]
        try:
            with self._session() as session:
                token = session.fetch_token(
                    endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                )
        except OAuthError as exc:
            raise Failed(f"the identity provider refused the code ({_word(exc.error)})") from None
        except (requests.RequestException, ValueError) as exc:
            raise Failed(
                f"the identity provider could not be reached ({type(exc).__name__})"
            ) from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise Failed("the identity provider returned no ID token")
        return self.claims(id_token, nonce, now, token.get("access_token"))

    def claims(
        self, id_token: str, nonce: str, now: datetime, access_token: Any = None
    ) -> dict[str, Any]:
        """The ID token's claims, checked: signature (JWKS), issuer, audience, expiry, nonce."""
        registry = JWSRegistry(algorithms=ALGORITHMS)
        try:
            try:
                decoded = jwt.decode(id_token, self._key_set(), registry=registry)
            except InvalidKeyIdError:  # a key published since we last looked
                decoded = jwt.decode(id_token, self._key_set(again=True), registry=registry)
        except InvalidKeyIdError:
            raise Failed(
                "the ID token is signed with a key the provider does not publish"
            ) from None
        except BadSignatureError:
            raise Failed("the ID token's signature does not verify") from None
        except (JoseError, ValueError) as exc:
            raise Failed(f"the ID token could not be read ({type(exc).__name__})") from None
        params: dict[str, Any] = {"nonce": nonce, "client_id": self.client_id}
        if isinstance(access_token, str):
            params["access_token"] = access_token  # at_hash, when present, must match
        checked = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "value": self.issuer},
                "aud": {"essential": True, "value": self.client_id},
                "nonce": {"essential": True},
            },
            params,
        )
        try:
            checked.validate(now=int(now.timestamp()), leeway=LEEWAY)
        except ExpiredTokenError:
            raise Failed("the ID token has expired") from None
        except ClaimError as exc:
            raise Failed(f"the ID token's {_word(exc.claim)} claim is wrong or missing") from None
        except JoseError as exc:
            raise Failed(f"the ID token was refused ({_word(exc.error)})") from None
        return dict(checked)


def _word(text: Any) -> str:
    """A protocol word (an error code, a claim name) fit for a page and the audit trail."""
    word = "".join(c for c in str(text or "unknown")[:40] if c.isalnum() or c in "_-.")
    return word or "unknown"
