"""What Slack sends, checked before bolt and the engine see it.

The signature is verified first (so nothing unauthenticated is parsed), then the shape of
the body: a slash command's fields, an interaction's ``payload`` object, an event. A
request that fails answers 401 (bad or stale signature) or 400 (malformed), with one log
line that names the reason and never the body (it carries ``response_url`` and tokens).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import Clock as SlackClock
from slack_sdk.signature import SignatureVerifier

MAX_BODY = 1024 * 1024
INTERACTIONS = {"view_submission", "view_closed", "block_actions", "message_action", "shortcut"}


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str


def check(
    headers: Mapping[str, str],
    body: bytes,
    signing_secret: str,
    clock: Callable[[], float] = time.time,
) -> Refusal | None:
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not timestamp.isdigit() or len(timestamp) > 12:
        return Refusal(400, "the request timestamp is missing or not a number")
    if not signature:
        return Refusal(401, "the request is not signed")
    if len(body) > MAX_BODY:
        return Refusal(400, "the request body is too large")
    verifier = SignatureVerifier(signing_secret, clock=_Clock(clock))
    if not verifier.is_valid(body, timestamp, signature):
        return Refusal(401, "the signature is wrong or the request is too old or too new")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal(400, "the body is not UTF-8")
    content_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
    problem = _shape(text, content_type)
    return Refusal(400, problem) if problem else None


def _shape(text: str, content_type: str) -> str | None:
    if content_type == "application/json":
        return _event(_json(text))
    form = parse_qs(text, keep_blank_values=True)
    if "payload" in form:
        return _interaction(_json(form["payload"][0]))
    if "command" in form:
        missing = [k for k in ("user_id", "channel_id", "trigger_id") if not form.get(k, [""])[0]]
        return f"a slash command without {', '.join(missing)}" if missing else None
    if "ssl_check" in form:
        return None
    return "neither a command, an interaction nor an event"


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _INVALID


_INVALID = object()


def _event(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "the JSON body is not an object"
    kind = body.get("type")
    if kind == "url_verification":
        return None if isinstance(body.get("challenge"), str) else "no challenge"
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return "an event without its event object"
        if event.get("type") == "app_home_opened" and not isinstance(event.get("user"), str):
            return "app_home_opened without a user"
        return None
    return "an unknown JSON body type"


def _interaction(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return "the payload is not a JSON object"
    kind = payload.get("type")
    if not isinstance(kind, str) or kind not in INTERACTIONS:  # a list is not even hashable
        return "an unknown interaction type"
    user = payload.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        return "an interaction without its user"
    # What bolt matches on and the listeners read must be text where Slack sends text.
    for name in ("callback_id", "response_url", "trigger_id"):
        if name in payload and not isinstance(payload[name], str):
            return f"a {name} that is not text"
    if "username" in user and not isinstance(user["username"], str):
        return "a user name that is not text"
    for name in ("channel", "message", "container"):
        if name in payload and payload[name] is not None and not isinstance(payload[name], dict):
            return f"a {name} that is not an object"
    channel = payload.get("channel") or {}
    if "id" in channel and not isinstance(channel["id"], str):
        return "a channel id that is not text"
    if kind in {"view_submission", "view_closed"}:
        view = payload.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("id"), str):
            return "a view submission without its view"
        if not isinstance(view.get("callback_id", ""), str):
            return "a view callback_id that is not text"
        state = view.get("state")
        if not isinstance(state, dict) or not isinstance(state.get("values"), dict):
            return "a view submission without view.state.values"
        for block in state["values"].values():
            if not isinstance(block, dict) or not all(isinstance(v, dict) for v in block.values()):
                return "view.state.values is not of Slack's shape"
        meta = view.get("private_metadata", "")
        if not isinstance(meta, str) or (meta and not isinstance(_json(meta), dict)):
            return "private_metadata is not a JSON object"
    if kind == "block_actions":
        actions = payload.get("actions")
        if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
            return "block actions without their actions"
        for action in actions:
            if not isinstance(action.get("action_id"), str):
                return "an action whose action_id is not text"
            if not all(isinstance(action.get(k, ""), str) for k in ("block_id", "action_ts")):
                return "an action whose block_id or action_ts is not text"
        view = payload.get("view")
        if view is not None and (
            not isinstance(view, dict)
            or not all(isinstance(view.get(k, ""), str) for k in ("id", "type"))
        ):
            return "block actions in a view that is not of Slack's shape"
    return None


class _Clock(SlackClock):
    """slack_sdk's verifier asks a clock object for ``now()`` (epoch seconds)."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()
