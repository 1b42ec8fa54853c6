"""A fake OpenID provider (Entra ID's part of the sign-in) on loopback, over TLS with a test CA.

It serves what the bot uses: discovery, authorize, token and JWKS. ``/authorize`` signs in
``user`` at once (no login page) and sends the browser back with a code; ``/token`` redeems a
code once, for the client's secret, the same redirect URI and the PKCE verifier whose S256
challenge came with the authorization request. Its ID tokens are signed with PyJWT (not the
bot's library), and a test can make the next one wrong: another nonce, audience or issuer, an
expiry in the past, or a key the provider does not publish. Everything it receives is kept in
``received`` for the test to assert on.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import secrets
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jwt
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from commands.core.clock import Clock
from tests.fakes.keys import signing_keys
from tests.fakes.server import serving

CLIENT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_SECRET = "test-client-secret-not-a-real-one"
TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def make_ca(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """A CA (its certificate written to ``folder``, for the bot to trust) and a server
    context with a certificate it issued for 127.0.0.1."""
    now = datetime.now(UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "OPSS test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "leaf.pem", folder / "leaf.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return ca_file, context


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Pending:
    client_id: str
    redirect_uri: str
    nonce: str
    challenge: str
    used: bool = False


@dataclass
class FakeOpenIdProvider:
    clock: Clock
    redirect_uri: str
    user: dict[str, str] = field(default_factory=dict)
    issuer: str = ""
    received: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    # What the next ID token gets wrong (claims to override, or "other key").
    wrong: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, Pending] = field(default_factory=dict)
    callbacks: list[str] = field(default_factory=list)  # where browsers were sent back to
    forge_state: bool = False  # send the browser back with a state of someone else's
    replay_code: str | None = None  # send the browser back with this (spent) code
    ca_file: Path | None = None

    def __post_init__(self) -> None:
        self.key, self.other_key = signing_keys("entra id")
        self.kid = "test-key-1"

    def app(self) -> web.Application:
        app = web.Application()
        base = f"/{TENANT}/v2.0"
        app.router.add_get(base + "/.well-known/openid-configuration", self.discovery)
        app.router.add_get(f"/{TENANT}/oauth2/v2.0/authorize", self.authorize)
        app.router.add_post(f"/{TENANT}/oauth2/v2.0/token", self.token)
        app.router.add_get(f"/{TENANT}/discovery/v2.0/keys", self.keys)
        return app

    def paths(self, name: str) -> list[dict[str, str]]:
        return [params for path, params in self.received if path == name]

    async def discovery(self, request: web.Request) -> web.Response:
        self.received.append(("discovery", {}))
        root = self.issuer.removesuffix("/v2.0")
        return web.json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                "token_endpoint": f"{root}/oauth2/v2.0/token",
                "jwks_uri": f"{root}/discovery/v2.0/keys",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def keys(self, request: web.Request) -> web.Response:
        self.received.append(("keys", {}))
        numbers = self.key.public_key().public_numbers()
        size = (numbers.n.bit_length() + 7) // 8
        return web.json_response(
            {
                "keys": [
                    {
                        "kty": "RSA",
                        "use": "sig",
                        "kid": self.kid,
                        "alg": "RS256",
                        "n": _b64(numbers.n.to_bytes(size, "big")),
                        "e": _b64(numbers.e.to_bytes(3, "big")),
                    }
                ]
            }
        )

    async def authorize(self, request: web.Request) -> web.StreamResponse:
        query = dict(request.query)
        self.received.append(("authorize", query))
        if query.get("client_id") != CLIENT_ID or query.get("redirect_uri") != self.redirect_uri:
            return web.Response(status=400, text="unknown client or redirect URI")
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256":
            return web.Response(status=400, text="code flow with PKCE (S256) only")
        code = secrets.token_urlsafe(24)
        self.codes[code] = Pending(
            CLIENT_ID, self.redirect_uri, query.get("nonce", ""), query.get("code_challenge", "")
        )
        back = {
            "code": self.replay_code or code,
            "state": "forged-" + secrets.token_urlsafe(8)
            if self.forge_state
            else query.get("state", ""),
        }
        self.callbacks.append(f"{self.redirect_uri}?{urlencode(back)}")
        raise web.HTTPFound(self.callbacks[-1])

    async def token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.received.append(("token", form))

        def refuse(error: str) -> web.Response:
            return web.json_response({"error": error}, status=400)

        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return refuse("invalid_client")
        pending = self.codes.get(form.get("code", ""))
        if pending is None or pending.used:
            return refuse("invalid_grant")  # unknown, or redeemed already
        pending.used = True
        if form.get("grant_type") != "authorization_code":
            return refuse("unsupported_grant_type")
        if form.get("redirect_uri") != pending.redirect_uri:
            return refuse("invalid_grant")
        verifier = form.get("code_verifier", "")
        if _b64(hashlib.sha256(verifier.encode()).digest()) != pending.challenge:
            return refuse("invalid_grant")
        return web.json_response(
            {
                "token_type": "Bearer",
                "access_token": secrets.token_urlsafe(24),
                "expires_in": 3600,
                "scope": "openid profile email",
                "id_token": self.id_token(pending.nonce),
            }
        )

    def id_token(self, nonce: str) -> str:
        now = int(self.clock.now().timestamp())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": "pairwise-" + self.user.get("oid", "")[:8],
            "oid": self.user.get("oid"),
            "tid": TENANT,
            "name": self.user.get("name"),
            "preferred_username": self.user.get("upn"),
            "nonce": nonce,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
        }
        wrong = dict(self.wrong)
        key = self.other_key if wrong.pop("other key", False) else self.key
        claims.update(wrong)
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})


@contextmanager
def provider(clock: Clock, redirect_uri: str, folder: Path) -> Iterator[FakeOpenIdProvider]:
    """The fake provider served over TLS; its ``ca_file`` is the CA for the bot to trust."""
    ca_file, context = make_ca(folder)
    fake = FakeOpenIdProvider(clock, redirect_uri, ca_file=ca_file)
    with serving(fake.app(), ssl_context=context) as url:
        fake.issuer = f"{url}/{TENANT}/v2.0"
        yield fake
