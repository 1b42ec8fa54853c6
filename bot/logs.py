"""Logging that never shows a secret: Slack tokens, bearer headers, download links' tokens
(``/exports/…``, in aiohttp's access log among others) and an Entra ID sign-in's code and state
(``/auth/callback?code=…``) are masked, in both formats.

Every line carries the request id of the work it belongs to (``request_id``, a context
variable): set by the HTTP middleware from ``X-Request-Id`` (nginx's ``$request_id``) or made
up, carried into the engine's thread, stamped on the outbox rows a command queues, and set
again by the outbox worker while it delivers them, so one id follows a command to the
platform call. ``OPSS_LOG_FORMAT=json`` gives one JSON object a line.
"""

from __future__ import annotations

import json
import logging
import random
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from storage.unit_of_work import Database

SECRET = re.compile(
    r"(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|Bearer\s+[A-Za-z0-9._~+/=-]+"
    # A download link's token, wherever its path is quoted (the access log's request line).
    r"|(?<=/exports/)[^\s\"'?#/]+"
    # An Entra ID sign-in's code and state, in the callback's query (``/auth/callback?…``).
    r"|(?<=[?&]code=)[^\s\"'&#]+|(?<=[?&]state=)[^\s\"'&#]+)"
)
# What an inbound X-Request-Id may look like; anything else is replaced, never logged as is.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

request_id: ContextVar[str] = ContextVar("request_id", default="")


def new_request_id(prefix: str = "") -> str:
    # Unique enough to follow one request, and cheap: uuid4 asks the kernel for randomness,
    # which costs far more than the rest of an acknowledgement on a busy machine.
    return f"{prefix}{random.getrandbits(64):016x}"


def accepted_request_id(given: str | None) -> str:
    """The caller's id when it is a plain token, else a new one."""
    return given if given and REQUEST_ID.match(given) else new_request_id()


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if SECRET.search(message):
            record.msg = SECRET.sub("[redacted]", message)
            record.args = None
        if record.exc_info and not record.exc_text:
            # A traceback can quote a token too: format it here, masked.
            record.exc_text = SECRET.sub(
                "[redacted]", logging.Formatter().formatException(record.exc_info)
            )
        record.request_id = request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get() or None,
        }
        if record.exc_info:
            line["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def stamp_request_ids(db: Database) -> None:
    """Outbox rows carry the id of the request that queued them (in their payload)."""
    from storage.models import OutboxMessage

    def before_flush(session: Session, _context: object, _instances: object) -> None:
        rid = request_id.get()
        if not rid:
            return
        for row in session.new:
            if isinstance(row, OutboxMessage) and "request_id" not in row.payload:
                row.payload = {**row.payload, "request_id": rid}

    db.listen("before_flush", before_flush)


def configure(level: int = logging.INFO, fmt: str = "text") -> None:
    if fmt not in {"text", "json"}:
        raise ValueError(f"OPSS_LOG_FORMAT: use text or json, not '{fmt}'")
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter()
        if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # APScheduler reports every run of the tick at INFO; the tick logs what it did itself.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
