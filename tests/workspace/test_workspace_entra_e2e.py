"""Sign-in with Entra ID, end to end: headless Chromium, the real bot on loopback, and a fake
OpenID provider (discovery, authorize, token, JWKS) over TLS with a test CA that the bot trusts.

What is asserted is what the provider received (PKCE, state, nonce, the client secret, each
code redeemed), what the database holds (sessions, audit events, no person for a stranger) and
what the browser holds (the ``__Host-`` cookie's flags). The clock is the bot's ManualClock,
which also stamps the provider's tokens: nothing waits on wall time.
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from bot import logs
from bot.checks import refusals
from bot.config import Settings
from bot.workspace.sign_in import HOST_COOKIE, SESSION_HOURS
from commands.core.clock import ManualClock
from storage import seed
from storage.models import AuditEvent, Document, Identity, Person, WorkspaceSession
from tests.conftest import PEOPLE, START, Driver
from tests.fakes.browser import CHROMIUM, TIMEOUT, missing_browser
from tests.fakes.fake_oidc import CLIENT_ID, CLIENT_SECRET, FakeOpenIdProvider, provider
from tests.fakes.server import free_port, running
from tests.fakes.steps import declare, ok

pytestmark = pytest.mark.browser

HANA = {"oid": "0c8f7d2e-1111-4a5b-9c3d-00000000hana", "name": "Hana Patel", "upn": "hana@x"}
STRANGER = {"oid": "9e9e9e9e-2222-4a5b-9c3d-0000stranger", "name": "Sam Stranger", "upn": "s@x"}


@dataclass
class World:
    url: str
    bot: Any
    clock: ManualClock
    fake: FakeOpenIdProvider
    page: Any
    log: io.StringIO

    def audits(self, action: str) -> list[AuditEvent]:
        with self.bot.db.read() as s:
            return list(
                s.scalars(
                    select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
                )
            )

    def sessions(self) -> list[WorkspaceSession]:
        with self.bot.db.read() as s:
            return list(s.scalars(select(WorkspaceSession).order_by(WorkspaceSession.created_at)))

    def sign_in(self) -> None:
        """From the workspace's page, as a person would: the sign-in dialog's link."""
        from playwright.sync_api import expect

        self.page.goto(self.url + "/")
        link = self.page.locator("dialog#sign-in[open] #sign-in-entra")
        expect(link).to_have_text("Sign in with Microsoft")
        link.click()
        self.page.wait_for_load_state()

    def cookie(self, name: str = HOST_COOKIE) -> dict[str, Any] | None:
        found = [c for c in self.page.context.cookies() if c["name"] == name]
        return found[0] if found else None

    def get(self, path: str, session: str | None) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        headers = {"Host": parts.netloc}
        if session:
            headers["Cookie"] = f"{HOST_COOKIE}={session}"
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            return response.status, dict(response.headers), response.read()
        finally:
            conn.close()


@contextmanager
def chromium_page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        # The browser is not what is under test: it is told to accept the test CA's
        # certificate; the bot checks it for real (REQUESTS_CA_BUNDLE).
        context = browser.new_context(ignore_https_errors=True)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        yield page
        browser.close()


def settings_for(tmp_path: Path, fake: FakeOpenIdProvider, url: str) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'entra.sqlite3'}",
        local_workspace=True,
        workspace_sign_in="oidc",
        oidc_issuer=fake.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        public_url=url,
        session_idle_minutes=30,
        outbox_pace_seconds=0,
    )


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    missing_browser()
    clock = ManualClock(START)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with provider(clock, f"{url}/auth/callback", tmp_path) as fake:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.ca_file))
        fake.user = dict(HANA)
        captured = io.StringIO()
        handler = logging.StreamHandler(captured)
        handler.addFilter(logs.RedactSecrets())
        logging.getLogger().addHandler(handler)
        logging.getLogger("aiohttp.access").setLevel(logging.INFO)
        try:
            with (
                running(settings_for(tmp_path, fake, url), clock, port=port) as (url, bot),
                chromium_page() as page,
            ):
                # hana is known by her Entra object id (as her Teams account carries it).
                people = [
                    {**p, "identities": {"teams": HANA["oid"]}} if p["name"] == "hana" else p
                    for p in PEOPLE
                ]
                seed.apply(bot.db, people, START)
                yield World(url, bot, clock, fake, page, captured)
        finally:
            logging.getLogger().removeHandler(handler)


def test_a_good_sign_in_then_sign_out(world: World) -> None:
    from playwright.sync_api import expect

    world.sign_in()
    page = world.page
    expect(page.locator("#user")).to_have_value("hana")
    expect(page.locator("#user")).to_be_disabled()
    expect(page.locator("#channels button").first).to_be_visible()
    # What the provider received: discovery, the code flow with PKCE (S256), state and nonce.
    (asked,) = world.fake.paths("authorize")
    assert asked["response_type"] == "code" and asked["code_challenge_method"] == "S256"
    assert len(asked["state"]) >= 32 and len(asked["nonce"]) >= 32
    assert len(asked["code_challenge"]) == 43 and "openid" in asked["scope"].split()
    (redeemed,) = world.fake.paths("token")
    assert redeemed["client_secret"] == CLIENT_SECRET and redeemed["code_verifier"]
    assert world.fake.paths("keys") and world.fake.paths("discovery")
    # The browser holds a __Host- session cookie: Secure, HttpOnly, SameSite=Strict, host only;
    # the sign-in's own cookie is gone.
    cookie = world.cookie()
    assert cookie is not None
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/" and not cookie["domain"].startswith(".")
    assert world.cookie("__Host-opss_sign_in") is None
    (opened,) = world.sessions()
    signed = world.audits("workspace.signed_in")
    assert [(e.actor_name, e.after["method"], e.after["oid"]) for e in signed] == [
        ("hana", "oidc", HANA["oid"])
    ]
    # The person is the one her Teams identity names: her roles work here (hana is admin).
    page.fill("#command", "/opss role list hana")
    page.press("#command", "Enter")
    expect(page.locator('[data-testid="ephemeral"]').last).to_contain_text("admin")

    # Signing in again gives a new session id, and ends the one before.
    page.goto(world.url + "/auth/sign-in")
    expect(page.locator("#user")).to_have_value("hana")
    again = world.cookie()
    assert again is not None and again["value"] != cookie["value"]
    first, second = world.sessions()
    assert first.token_hash == opened.token_hash and first.ended_at is not None
    assert second.ended_at is None

    # Sign-out ends the session on the server: its cookie, sent again, is refused.
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("dialog#sign-in[open] #sign-in-entra")).to_be_visible()
    assert all(s.ended_at is not None for s in world.sessions())
    # Both ended sessions are audited: the one replaced at sign-in, and this one.
    assert len(world.audits("workspace.signed_out")) == 2
    status, _, _ = world.get("/api/channels/1/messages", session=again["value"])
    assert status == 401
    # No code, state, token or secret reached a log line.
    text = world.log.getvalue()
    assert "/auth/callback" in text  # the access log did see the callback
    for secret in (CLIENT_SECRET, redeemed["code"], asked["state"], again["value"]):
        assert secret not in text


def test_a_download_needs_the_entra_session_of_its_person(world: World) -> None:
    driver = Driver(world.bot.engine)
    declare(driver)
    ok(driver.cmd("hana", "export INC-2026-001 decisions"))
    with world.bot.db.read() as s:
        record = min(s.scalars(select(Document.id)))
    world.sign_in()
    cookie = world.cookie()
    assert cookie is not None
    status, headers, _ = world.get(f"/api/documents/{record}", session=cookie["value"])
    assert status == 303
    link = headers["Location"]
    # Without the session, a link made in this workspace is refused (and spent).
    status, _, body = world.get(link, session=None)
    assert status == 401 and b"Sign in" in body
    status, headers, _ = world.get(f"/api/documents/{record}", session=cookie["value"])
    status, headers, body = world.get(headers["Location"], session=cookie["value"])
    assert status == 200 and headers["Content-Disposition"].endswith('-decision-log.csv"')
    served = world.audits("download.served")
    assert [e.actor_name for e in served] == ["hana"]
    assert [e.after["reason"] for e in world.audits("download.refused")] == ["no session"]


def _refused(world: World, reason: str) -> None:
    from playwright.sync_api import expect

    expect(world.page.locator("h1")).to_have_text("Sign-in failed")
    expect(world.page.locator("body")).to_contain_text(re.compile(re.escape(reason), re.I))
    assert world.cookie() is None
    failed = world.audits("workspace.sign_in_failed")
    assert failed and reason in failed[-1].after["reason"], [e.after for e in failed]
    assert failed[-1].after["method"] == "oidc"


def test_a_wrong_state_and_a_replayed_code_are_refused(world: World) -> None:
    # The whole callback URL again, after a good sign-in: the flow it belonged to is spent.
    world.sign_in()
    (redeemed,) = world.fake.paths("token")
    world.page.context.clear_cookies()
    callback = world.fake.callbacks[-1]
    world.page.goto(callback)
    _refused(world, "no sign-in was under way")
    assert len(world.fake.paths("token")) == 1  # never sent to the provider again

    # A callback whose state is not this browser's flow's: refused before any code is redeemed.
    world.fake.forge_state = True
    world.sign_in()
    _refused(world, "the state does not match")
    assert len(world.fake.paths("token")) == 1
    world.fake.forge_state = False

    # An old code under a fresh flow's state: the provider refuses to redeem it twice.
    world.fake.replay_code = redeemed["code"]
    world.sign_in()
    _refused(world, "refused the code (invalid_grant)")
    assert [t["code"] for t in world.fake.paths("token")] == [redeemed["code"]] * 2
    assert len(world.sessions()) == 1  # the good sign-in's only


@pytest.mark.parametrize(
    ("wrong", "reason"),
    [
        ({"nonce": "another-browsers-nonce"}, "nonce claim is wrong"),
        ({"exp": int((START - timedelta(hours=1)).timestamp())}, "has expired"),
        ({"other key": True}, "signature does not verify"),
        ({"aud": "someone-elses-app"}, "aud claim is wrong"),
        ({"iss": "https://login.example.net/another-tenant/v2.0"}, "iss claim is wrong"),
    ],
    ids=["nonce", "expired", "wrongly-signed", "audience", "issuer"],
)
def test_an_id_token_that_does_not_prove_who_signs_in_is_refused(
    world: World, wrong: dict[str, Any], reason: str
) -> None:
    world.fake.wrong = wrong
    world.sign_in()
    _refused(world, reason)
    assert world.sessions() == []
    assert world.audits("workspace.signed_in") == []
    assert len(world.fake.paths("token")) == 1  # the code was redeemed; its token refused


def test_someone_unknown_is_told_who_can_add_them_and_no_person_is_made(world: World) -> None:
    from playwright.sync_api import expect

    with world.bot.db.read() as s:
        people_before = s.scalar(select(func.count()).select_from(Person))
    world.fake.user = dict(STRANGER)
    world.sign_in()
    page = world.page
    expect(page.locator("h1")).to_have_text("The incident bot does not know you yet")
    body = page.locator("body")
    expect(body).to_contain_text("Sam Stranger")
    expect(body).to_contain_text("A bot administrator can add you: Hana Patel.")
    expect(body).to_contain_text(STRANGER["oid"])
    assert world.cookie() is None and world.sessions() == []
    with world.bot.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == people_before
        assert s.scalar(select(Identity).where(Identity.external_id == STRANGER["oid"])) is None
    (refused,) = world.audits("workspace.sign_in_refused")
    assert refused.actor_id is None and refused.actor_name == f"entra:{STRANGER['oid']}"
    assert refused.after["reason"] == "unknown person" and refused.after["oid"] == STRANGER["oid"]


def test_an_idle_session_ends_on_the_server(world: World) -> None:
    from playwright.sync_api import expect

    world.sign_in()
    page = world.page
    expect(page.locator("#user")).to_have_value("hana")
    token = world.cookie()
    assert token is not None
    # Used every 20 minutes it stays open, past the 30 minutes' idle timeout.
    for _ in range(2):
        world.clock.advance(timedelta(minutes=20))
        status, _, _ = world.get("/api/channels/1/messages", session=token["value"])
        assert status == 200
    world.clock.advance(timedelta(minutes=31))
    page.reload()
    dialog = page.locator("dialog#sign-in[open]")
    expect(dialog.locator("#sign-in-entra")).to_be_visible()
    expect(dialog.locator(".sign-in-error")).to_have_text("Your session has ended: sign in again.")
    (ended,) = world.sessions()
    assert ended.ended_at == START + timedelta(minutes=71)
    assert len(world.audits("workspace.session_idle")) == 1
    status, _, _ = world.get("/api/channels/1/messages", session=token["value"])
    assert status == 401


def test_a_session_ends_at_its_absolute_limit_however_often_it_is_used(world: World) -> None:
    world.sign_in()
    token = world.cookie()
    assert token is not None
    # Used every 20 minutes, never idle: open until SESSION_HOURS after sign-in, then not.
    for _ in range(SESSION_HOURS * 3 - 1):
        world.clock.advance(timedelta(minutes=20))
        status, _, _ = world.get("/api/channels/1/messages", session=token["value"])
        assert status == 200, world.clock.now()
    world.clock.advance(timedelta(minutes=20))
    status, _, _ = world.get("/api/channels/1/messages", session=token["value"])
    assert status == 401
    (session,) = world.sessions()
    assert session.expires_at == START + timedelta(hours=SESSION_HOURS)
    assert world.audits("workspace.session_idle") == []


def test_the_dashboard_is_behind_the_entra_session(world: World) -> None:
    from playwright.sync_api import expect

    page = world.page
    # Without a session: the page shows the sign-in and no figure, and its API refuses.
    page.goto(world.url + "/mi")
    expect(page.locator("dialog#sign-in[open] #sign-in-entra")).to_be_visible()
    assert page.locator("canvas").count() == 0
    assert world.get("/api/mi", session=None)[0] == 401
    world.sign_in()
    token = world.cookie()
    assert token is not None
    # Signed in, the figures are for whom the session names, whatever the address says.
    status, _, body = world.get("/api/mi?user=olly", session=token["value"])
    figures = json.loads(body)
    assert status == 200 and figures["me"] == "hana" and figures["mode"] == "oidc"
    assert {p["key"] for p in figures["panels"]} >= {"stages", "levels", "actions"}
    page.goto(world.url + "/mi?user=olly")
    page.wait_for_selector("body[data-loaded]")
    expect(page.locator("#user")).to_have_value("hana")
    expect(page.locator("#refused")).to_be_hidden()
    # Signed out, the same cookie no longer opens it.
    page.goto(world.url + "/")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("dialog#sign-in[open] #sign-in-entra")).to_be_visible()
    assert world.get("/api/mi", session=token["value"])[0] == 401


def test_entra_sign_in_is_refused_at_start_up_when_half_configured() -> None:
    base = {"local_workspace": True, "workspace_sign_in": "oidc", "host": "0.0.0.0"}
    full = {
        "oidc_issuer": "https://login.microsoftonline.com/tenant/v2.0",
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "public_url": "https://opss-bot.example.gov.uk",
    }
    assert refusals(Settings(**base, **full)) == []
    for missing, setting in (
        ("oidc_issuer", "OPSS_OIDC_ISSUER"),
        ("oidc_client_id", "OPSS_OIDC_CLIENT_ID"),
        ("oidc_client_secret", "OPSS_OIDC_CLIENT_SECRET"),
        ("public_url", "OPSS_PUBLIC_URL"),
    ):
        given = {k: v for k, v in full.items() if k != missing}
        assert [p.setting for p in refusals(Settings(**base, **given))] == [setting]
    for setting, bad in (
        ("OPSS_OIDC_ISSUER", {"oidc_issuer": "http://login.example/tenant/v2.0"}),
        ("OPSS_PUBLIC_URL", {"public_url": "http://opss-bot.example.gov.uk"}),
        ("OPSS_SESSION_IDLE_MINUTES", {"session_idle_minutes": 0}),
    ):
        assert [p.setting for p in refusals(Settings(**base, **{**full, **bad}))] == [setting]
    # Entra accepts an http redirect URI on loopback only: so does the check.
    loopback = {**full, "public_url": "http://127.0.0.1:8080"}
    assert refusals(Settings(**{**base, "host": "127.0.0.1"}, **loopback)) == []
    assert CLIENT_SECRET not in "\n".join(str(p) for p in refusals(Settings(**base)))


def test_the_callback_without_a_flow_is_refused_without_a_browser(world: World) -> None:
    status, headers, body = world.get("/auth/callback?code=x&state=y", session=None)
    assert status == 400 and b"Sign-in failed" in body
    assert headers["Cache-Control"] == "no-store"
    assert "code=x" not in world.log.getvalue() and "state=y" not in world.log.getvalue()
