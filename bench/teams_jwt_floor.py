"""The protocol's floor: what any Teams bot must do per message and no more. The activity is
read as JSON, its token checked with PyJWT against the channel's keys (fetched once from the
same OpenID metadata the bot uses), and the request answered 201 at once, with no reply.

Run by bench/teams_ack.py as ``python -m bench.teams_jwt_floor PORT`` with the bot's settings.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from typing import Any

import jwt
from aiohttp import web
from jwt.algorithms import RSAAlgorithm

from bot.config import Settings


def keys(metadata_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(metadata_url, timeout=10) as response:
        jwks_uri = json.load(response)["jwks_uri"]
    with urllib.request.urlopen(jwks_uri, timeout=10) as response:
        return {k["kid"]: RSAAlgorithm.from_jwk(json.dumps(k)) for k in json.load(response)["keys"]}


def main() -> None:
    settings = Settings()
    app_id, issuer = settings.microsoft_app_id, settings.teams_token_issuer
    assert settings.teams_openid_metadata_url is not None
    signing = keys(settings.teams_openid_metadata_url)

    async def messages(request: web.Request) -> web.Response:
        activity = await request.json()
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        try:
            key = signing[jwt.get_unverified_header(token)["kid"]]
            claims = jwt.decode(
                token, key, algorithms=["RS256"], audience=app_id, issuer=issuer, leeway=300
            )
        except (jwt.PyJWTError, KeyError):
            return web.Response(status=401)
        if scheme != "Bearer" or claims.get("serviceurl") != activity.get("serviceUrl"):
            return web.Response(status=401)
        return web.Response(status=201)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", health)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
