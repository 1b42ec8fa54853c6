"""Sign-in with Microsoft Entra ID (``OPSS_WORKSPACE_SIGN_IN=oidc``): the two routes of the
OpenID Connect authorization-code flow, and who the signed-in person is.

``GET /auth/sign-in`` starts a flow: a random id in a short-lived ``__Host-`` cookie (SameSite
Lax, because the provider's redirect back is a cross-site navigation), and in the database that
id's SHA-256 with the request's state, nonce and PKCE verifier. ``GET /auth/callback`` spends
the flow that the browser's cookie names, whatever happens next, so a callback cannot be
replayed; the state must match it; the code is redeemed and the ID token checked
(``oidc.py``). The person is found by the token's ``oid`` (Entra's object id), the id their
Teams account carries, so one person holds one set of roles on every surface. Someone the bot
does not know is told who can add them, and no person is created. A known person gets a new
server-side session (``sign_in.open_session``) in a ``__Host-`` cookie, Secure, HttpOnly,
SameSite=Strict. Every sign-in, failure and refusal is audited.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from html import escape
from typing import Any

from aiohttp import web
from sqlalchemy import delete, select

from bot.config import Settings
from bot.workspace.oidc import Failed, OpenIdClient
from bot.workspace.sign_in import HOST_COOKIE, open_session, sign_out
from commands.core.clock import Clock
from rules.roles import Role
from storage import repositories as repo
from storage.models import Person, RoleGrant, SignInFlow
from storage.unit_of_work import Database

FLOW_COOKIE = "__Host-opss_sign_in"
FLOW_VALID = timedelta(minutes=10)
CALLBACK = "/auth/callback"
SURFACE = "teams"  # the oid is the Teams account's aadObjectId: the same identity row


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def page(status: int, title: str, paragraphs: list[str]) -> web.Response:
    """A small page of its own (text escaped here, once), never cached."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;"
        "padding:0 1em}code{background:#eee;padding:0 .2em}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return web.Response(
        status=status,
        text=html,
        content_type="text/html",
        headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "Referrer-Policy": "no-referrer",
        },
    )


def _audit(
    db: Database,
    action: str,
    now: datetime,
    after: dict[str, Any],
    *,
    person: Person | None = None,
    who: str = "anonymous",
) -> None:
    with db.unit_of_work() as session:
        repo.audit(
            session,
            at=now,
            actor=person,
            actor_name=None if person else who[:80],
            action=action,
            entity_type="person",
            entity_ref=(person.name if person else who)[:40],
            before=None,
            after=after,
            surface="local",
        )


class EntraSignIn:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        *,
        check_host: Callable[[web.Request], None],
        client_of: Callable[[web.Request], str],
    ) -> None:
        assert settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret
        self.db = db
        self.clock = clock
        self.hours = settings.session_hours
        self.check_host = check_host
        self.client_of = client_of
        self.provider = OpenIdClient(
            settings.oidc_issuer,
            settings.oidc_client_id,
            settings.oidc_client_secret.get_secret_value(),
            (settings.public_url or "").rstrip("/") + CALLBACK,
        )

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/auth/sign-in", self.begin), web.get(CALLBACK, self.callback)]

    def _cookie(self, response: web.StreamResponse, name: str, value: str, **kw: Any) -> None:
        response.set_cookie(name, value, path="/", secure=True, httponly=True, **kw)

    # Starting ----------------------------------------------------------------------------

    async def begin(self, request: web.Request) -> web.StreamResponse:
        self.check_host(request)
        now = self.clock.now()
        try:
            flow = await asyncio.to_thread(self.provider.begin)
        except Failed as exc:
            await asyncio.to_thread(
                _audit,
                self.db,
                "workspace.sign_in_failed",
                now,
                {"method": "oidc", "reason": str(exc), "client": self.client_of(request)},
            )
            return page(503, "Sign-in is not available", [escape(str(exc)) + ": try later."])
        flow_id = secrets.token_urlsafe(32)

        def keep() -> None:
            with self.db.unit_of_work() as session:
                # Flows nobody finished are forgotten once void.
                session.execute(delete(SignInFlow).where(SignInFlow.expires_at <= now))
                session.add(
                    SignInFlow(
                        flow_hash=_digest(flow_id),
                        state=flow.state,
                        nonce=flow.nonce,
                        code_verifier=flow.code_verifier,
                        created_at=now,
                        expires_at=now + FLOW_VALID,
                    )
                )

        await asyncio.to_thread(keep)
        response = _see_other(flow.url)
        self._cookie(
            response,
            FLOW_COOKIE,
            flow_id,
            samesite="Lax",
            max_age=int(FLOW_VALID.total_seconds()),
        )
        return response

    # Coming back -------------------------------------------------------------------------

    def _spend(self, flow_id: str | None, now: datetime) -> SignInFlow | None:
        """The browser's flow, deleted in the same transaction: one callback per flow."""
        if not flow_id or len(flow_id) > 100:
            return None
        with self.db.unit_of_work() as session:
            row = session.get(SignInFlow, _digest(flow_id), with_for_update=True)
            if row is None:
                return None
            session.delete(row)
            return row if row.expires_at > now else None

    async def callback(self, request: web.Request) -> web.StreamResponse:
        self.check_host(request)
        now = self.clock.now()
        client = self.client_of(request)
        flow = await asyncio.to_thread(self._spend, request.cookies.get(FLOW_COOKIE), now)
        state, code = request.query.get("state", ""), request.query.get("code", "")
        try:
            if flow is None:
                raise Failed("no sign-in was under way in this browser (or it took too long)")
            if not hmac.compare_digest(state.encode(), flow.state.encode()):
                raise Failed("the state does not match this browser's sign-in")
            if "error" in request.query:
                word = "".join(c for c in request.query["error"][:40] if c.isalnum() or c in "_")
                raise Failed(f"the identity provider said {word or 'no'}")
            if not code or len(code) > 4000:
                raise Failed("the identity provider sent no code")
            claims = await asyncio.to_thread(
                self.provider.finish, code, flow.code_verifier, flow.nonce, now
            )
            oid = claims.get("oid")
            if not isinstance(oid, str) or not oid or len(oid) > 100:
                raise Failed("the ID token names no Entra object id (oid)")
        except Failed as exc:
            await asyncio.to_thread(
                _audit,
                self.db,
                "workspace.sign_in_failed",
                now,
                {"method": "oidc", "reason": str(exc), "client": client},
            )
            return self._forget_flow(
                page(
                    400,
                    "Sign-in failed",
                    [
                        escape(str(exc).capitalize()) + ".",
                        '<a href="/auth/sign-in">Sign in again</a>.',
                    ],
                )
            )
        return await self._signed_in(request, claims, oid, client, now)

    def _forget_flow(self, response: web.StreamResponse) -> web.StreamResponse:
        response.del_cookie(FLOW_COOKIE, path="/", secure=True, httponly=True, samesite="Lax")
        return response

    async def _signed_in(
        self, request: web.Request, claims: dict[str, Any], oid: str, client: str, now: datetime
    ) -> web.StreamResponse:
        shown = str(claims.get("name") or claims.get("preferred_username") or oid)[:120]
        old = request.cookies.get(HOST_COOKIE)

        def open_for_person() -> str | list[str]:
            """A session token for a known person, or the administrators' names."""
            if old:
                sign_out(self.db, old, now)  # never carried over: a new id at sign-in
            with self.db.unit_of_work() as session:
                person = repo.find_person_for_identity(session, SURFACE, oid)
                if person is None:
                    repo.audit(
                        session,
                        at=now,
                        actor=None,
                        actor_name=f"entra:{oid}"[:80],
                        action="workspace.sign_in_refused",
                        entity_type="person",
                        entity_ref=f"entra:{oid}"[:40],
                        before=None,
                        after={
                            "method": "oidc",
                            "reason": "unknown person",
                            "oid": oid,
                            "name": shown,
                            "client": client,
                        },
                        surface="local",
                    )
                    return [
                        p.display_name
                        for p in session.scalars(
                            select(Person)
                            .join(RoleGrant, RoleGrant.person_id == Person.id)
                            .where(RoleGrant.role == Role.ADMIN.value)
                            .where(RoleGrant.revoked_at.is_(None))
                            .order_by(Person.display_name)
                            .distinct()
                        )
                    ]
                repo.audit(
                    session,
                    at=now,
                    actor=person,
                    actor_name=None,
                    action="workspace.signed_in",
                    entity_type="person",
                    entity_ref=person.name[:40],
                    before=None,
                    after={"method": "oidc", "oid": oid, "client": client},
                    surface="local",
                )
                return open_session(session, person, now, self.hours)

        found = await asyncio.to_thread(open_for_person)
        if isinstance(found, list):
            return self._forget_flow(_unknown(shown, oid, found))
        response = _see_other("/")
        self._cookie(response, HOST_COOKIE, found, samesite="Strict", max_age=self.hours * 3600)
        return self._forget_flow(response)


def _see_other(location: str) -> web.Response:
    return web.Response(
        status=303,
        headers={
            "Location": location,
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )


def _unknown(shown: str, oid: str, admins: list[str]) -> web.Response:
    who = (
        "A bot administrator can add you: " + escape(", ".join(admins)) + "."
        if admins
        else "A bot administrator can add you (none is named yet: the operator who runs the "
        "bot adds the first in its seed file)."
    )
    return page(
        403,
        "The incident bot does not know you yet",
        [
            f"You signed in as <b>{escape(shown)}</b>, but nobody has added you to the OPSS "
            "incident bot, so it has not let you in.",
            who,
            f"Give them your Entra object id, <code>{escape(oid)}</code>: they add it to the "
            "bot's seed file (under <code>identities</code>, as <code>teams</code>), or, if "
            "you use the bot in Teams, message it there once and they grant your roles with "
            "<code>/opss role grant</code>.",
        ],
    )
