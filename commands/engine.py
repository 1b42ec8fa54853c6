"""The one entry every surface calls: a typed ``/opss`` command or a submitted form.

Each call is one unit of work. Errors roll it back and become a reply that names the problem;
permission refusals are audited in a separate unit of work after the rollback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError

from cards.model import Card, Form, clean_message, validate
from commands import (
    actions,
    admin,
    assessment,
    battle_rhythm,
    conference,
    decisions,
    incidents,
    issues,
    ladder,
    sitreps,
)
from commands.args import Args, parse
from commands.clock import Clock
from commands.context import (
    Ctx,
    Options,
    PermissionRefused,
    Reply,
    Request,
    Submission,
    UserError,
)
from commands.flows import FormFlow
from commands.help import show_help
from commands.home import home_cards
from commands.notification import annex, record, risk, sending
from storage import repositories as repo
from storage.models import ProcessedRequest
from storage.unit_of_work import Database

log = logging.getLogger(__name__)

RAISE = FormFlow(
    "raise",
    lambda ctx, args: ({}, issues.raise_values(args)),
    lambda ctx, context: issues.raise_form(ctx),
    lambda ctx, context, values: issues.do_raise(ctx, values),
    prompt="Fill in the rest to raise the issue.",
)

FORM_FLOWS: dict[str, FormFlow] = {
    f.form_id: f
    for f in (
        RAISE,
        assessment.ASSESS,
        assessment.NNC,
        conference.CONFERENCE,
        conference.OUTCOME,
        incidents.DECLARE,
        decisions.DECIDE,
        actions.ACTION,
        battle_rhythm.RHYTHM_ADD,
        sitreps.SITREP_UPDATE,
        sitreps.SITREP_AMEND,
        record.NOTIFY,
        annex.ANNEX,
        risk.RISK_ANNEX,
        risk.RISK_PRISM,
    )
}
# "/opss rhythm INC add" and the like: a sub-command that opens a form.
SUB_FORMS = {
    ("rhythm", "add"): battle_rhythm.RHYTHM_ADD,
    ("sitrep", "update"): sitreps.SITREP_UPDATE,
    ("sitrep", "amend"): sitreps.SITREP_AMEND,
    ("notify", "form"): annex.ANNEX,
    ("risk", "annex"): risk.RISK_ANNEX,
    ("risk", "prism"): risk.RISK_PRISM,
}
# "/opss notify NOT-2026-0001 sent" and the like: a sub-command that runs at once.
SUB_VERBS: dict[tuple[str, str], Callable[[Ctx, Args], Reply]] = {
    ("notify", "show"): sending.show,
    ("notify", "sent"): sending.mark_sent,
    ("notify", "export"): sending.export,
}
PLAIN_VERBS: dict[str, Callable[[Ctx, Args], Reply]] = {
    "help": show_help,
    "escalate": ladder.escalate,
    "close": ladder.close,
    "reopen": ladder.reopen,
    "status": issues.status,
    "list": issues.list_open,
    "role": admin.role,
    "done": actions.done,
    "rhythm": battle_rhythm.rhythm,
    "sitrep": sitreps.sitrep_verb,
    "risk": risk.choose,
    "notifications": sending.register,
}
ALL_VERBS = sorted(set(PLAIN_VERBS) | {f for f in FORM_FLOWS if "_" not in f})


# Hidden values a form carries back (its subject), as opposed to what the user typed.
CONTEXT_KEYS = ("reference", "conference", "number", "step")
FAILED = "The bot could not complete that, and nothing was saved. Please try again."


class _FormErrors(Exception):
    def __init__(self, form: Form, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.form = form.with_errors(errors)
        self.errors = errors


class Engine:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        options: Options,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.options = options
        self.after_commit = after_commit

    # Entry points -------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        text = request.text.strip()
        if text.lower().startswith("/opss"):
            text = text[5:].strip()
        verb, _, rest = text.partition(" ")
        verb = verb.lower() or "help"
        return self._run(
            request.surface,
            request.user_id,
            request.user_name,
            request.channel,
            request.idempotency_key,
            lambda ctx: self._dispatch(ctx, verb, rest),
        )

    def submit(self, submission: Submission) -> Reply:
        data = submission.data
        if "command" in data:  # a button on a card runs a command
            return self.handle(
                Request(
                    surface=submission.surface,
                    user_id=submission.user_id,
                    user_name=submission.user_name,
                    channel=submission.channel,
                    text=str(data["command"]),
                    idempotency_key=submission.idempotency_key,
                )
            )
        return self._run(
            submission.surface,
            submission.user_id,
            submission.user_name,
            submission.channel,
            submission.idempotency_key,
            lambda ctx: self._submit_form(ctx, data),
        )

    def open_form(
        self,
        surface: str,
        user_id: str,
        user_name: str,
        channel: str,
        form_id: str,
        context: dict[str, str],
        prefill: dict[str, Any],
    ) -> Reply:
        """A form opened from somewhere other than a typed command (e.g. a Slack shortcut)."""
        flow = FORM_FLOWS.get(form_id)
        if flow is None:
            return Reply(text=f"Unknown form '{form_id}'.", ok=False)

        def work(ctx: Ctx) -> Reply:
            form = flow.build(ctx, context)
            return Reply(text=flow.prompt, form=form.prefilled(prefill))

        return self._run(surface, user_id, user_name, channel, None, work)

    def home(self, surface: str, user_id: str, user_name: str) -> list[Card]:
        cards: list[Card] = []

        def work(ctx: Ctx) -> Reply:
            cards.extend(home_cards(ctx))
            return Reply()

        self._run(surface, user_id, user_name, "", None, work)
        return cards

    # Dispatch -----------------------------------------------------------------------------

    def _dispatch(self, ctx: Ctx, verb: str, rest: str) -> Reply:
        args = parse(rest)
        sub = (verb, args.words[1].lower()) if len(args.words) > 1 else None
        if sub in SUB_FORMS:
            del args.words[1]
            return self._form_command(ctx, SUB_FORMS[sub], args)
        if sub in SUB_VERBS:
            del args.words[1]
            return SUB_VERBS[sub](ctx, args)
        if verb in PLAIN_VERBS:
            return PLAIN_VERBS[verb](ctx, args)
        if verb in FORM_FLOWS:  # a verb that takes a form is named like its form
            return self._form_command(ctx, FORM_FLOWS[verb], args)
        raise UserError(
            f"'{verb}' is not an /opss command. Commands: {', '.join(ALL_VERBS)}. Try /opss help."
        )

    def _form_command(self, ctx: Ctx, flow: FormFlow, args: Args) -> Reply:
        context, given = flow.prepare(ctx, args)
        form = flow.build(ctx, context)
        defaults = {f.name: f.value for f in form.fields if f.value is not None}
        merged = defaults | {k: v for k, v in given.items() if v not in (None, "")}
        result = validate(form, merged)
        provided = any(v not in (None, "") for v in given.values())
        if not provided or result.only_missing:
            return Reply(text=flow.prompt, form=form.prefilled(merged))
        if result.errors:
            wrong = {k: m for k, m in result.errors.items() if not m.endswith("(required)")}
            raise UserError(" ".join(_sentence(m) for m in wrong.values()), next(iter(wrong)))
        return flow.apply(ctx, context, result.values)

    def _submit_form(self, ctx: Ctx, data: dict[str, Any]) -> Reply:
        form_id = str(data.get("form", ""))
        flow = FORM_FLOWS.get(form_id)
        if flow is None:
            raise UserError(f"Unknown form '{form_id}'.")
        context = {k: str(data[k]) for k in CONTEXT_KEYS if data.get(k)}
        form = flow.build(ctx, context).prefilled(data)
        result = validate(form, data)
        if result.errors:
            raise _FormErrors(form, {k: clean_message(m) for k, m in result.errors.items()})
        try:
            return flow.apply(ctx, context, result.values)
        except UserError as exc:
            if exc.field and any(f.name == exc.field for f in form.fields):
                raise _FormErrors(form, {exc.field: exc.message}) from exc
            raise _FormErrors(form, {"_form": exc.message}) from exc

    # The unit of work around every command ------------------------------------------------

    def _run(
        self,
        surface: str,
        user_id: str,
        user_name: str,
        channel: str,
        key: str | None,
        work: Callable[[Ctx], Reply],
    ) -> Reply:
        now = self.clock.now()
        try:
            with self.db.unit_of_work() as session:
                if key is not None:
                    seen = session.get(ProcessedRequest, key)
                    if seen is not None:
                        return _replayed(seen.reply)
                person = repo.person_for_identity(session, surface, user_id, user_name, now)
                ctx = Ctx(
                    session=session,
                    person=person,
                    actor=repo.actor_for(session, person),
                    surface=surface,
                    channel=channel,
                    now=now,
                    options=self.options,
                )
                reply = work(ctx)
                if key is not None and reply.form is None:
                    session.add(ProcessedRequest(key=key, at=now, reply={"text": reply.text}))
        except UserError as exc:
            return Reply(text=exc.message, ok=False)
        except _FormErrors as exc:
            text = " ".join(_sentence(m) for m in exc.errors.values())
            return Reply(text=text, form=exc.form, errors=exc.errors, ok=False)
        except PermissionRefused as exc:
            return self._refuse(surface, user_id, user_name, channel, exc)
        except IntegrityError:
            # The same request committed concurrently (a retry or a double click)?
            if key is not None:
                with self.db.read() as session:
                    seen = session.get(ProcessedRequest, key)
                    if seen is not None:
                        return _replayed(seen.reply)
            log.exception("command failed on a database constraint")
            return Reply(text=FAILED, ok=False)
        except Exception:
            # The unit of work has rolled back: say so plainly rather than fail the request.
            log.exception("command failed")
            return Reply(text=FAILED, ok=False)
        if self.after_commit is not None:
            self.after_commit()
        return reply

    def _refuse(
        self, surface: str, user_id: str, user_name: str, channel: str, exc: PermissionRefused
    ) -> Reply:
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            person = repo.person_for_identity(session, surface, user_id, user_name, now)
            actor = repo.actor_for(session, person)
            repo.audit(
                session,
                at=now,
                actor=person,
                action="permission.refused",
                entity_type="permission",
                entity_ref=exc.entity_ref,
                before=None,
                after={"action": exc.action, "who_may": exc.who_may, "held": actor.describe()},
                surface=surface,
                channel=channel,
            )
        log.info("refused %s to %s", exc.action, person.name)
        return Reply(
            text=f"Only {exc.who_may} may {exc.action}. You hold: {actor.describe()}.",
            ok=False,
        )


def _sentence(message: str) -> str:
    message = message.strip()
    return message if message.endswith((".", "?", "!")) else message + "."


def _replayed(stored: dict[str, Any]) -> Reply:
    return Reply(text=f"{stored.get('text', '')} (already done; nothing was repeated)")
