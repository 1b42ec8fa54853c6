"""The one entry every surface calls: a typed ``/opss`` command or a submitted form.

Each call is one unit of work. Errors roll it back and become a reply that names the problem;
permission refusals are audited in a separate unit of work after the rollback.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cards.model import Card, Choice, Form, validate
from commands.action import verbs as action_verbs
from commands.admin import verbs as admin_verbs
from commands.conference import verbs as conference_verbs
from commands.core import outbox, people
from commands.core.args import Args, parse
from commands.core.clock import Clock
from commands.core.context import (
    Ctx,
    Options,
    PermissionRefused,
    Reply,
    Request,
    Submission,
    UserError,
)
from commands.core.flows import FormFlow
from commands.core.help import help_handler
from commands.core.inputs import InputProblem, clean_command, clean_values
from commands.core.lookup import in_exercise
from commands.core.registry import Line, Registry, Verb
from commands.decision import verbs as decision_verbs
from commands.incident import verbs as incident_verbs
from commands.issue import verbs as issue_verbs
from commands.mi import verbs as mi_verbs
from commands.notification import verbs as notification_verbs
from commands.overview import verbs as overview_verbs
from commands.overview.home import home_cards
from commands.readiness import verbs as readiness_verbs
from commands.records import files
from commands.records import verbs as records_verbs
from commands.records.export import readable_document
from commands.rhythm import invitations
from commands.rhythm import verbs as rhythm_verbs
from commands.sitrep import verbs as sitrep_verbs
from rules.roles import Actor
from storage import repositories as repo
from storage.conversations import ConversationKey
from storage.models import ProcessedRequest
from storage.unit_of_work import Database

log = logging.getLogger(__name__)
T = TypeVar("T")


def _registry() -> Registry:
    """Every verb, from each concept's table, in the order help shows them: the one place
    the concepts' verbs are listed. A name, sub-verb or form id claimed twice fails here."""
    tables = (
        issue_verbs.VERBS,
        conference_verbs.VERBS,
        incident_verbs.VERBS,
        decision_verbs.VERBS,
        action_verbs.VERBS,
        rhythm_verbs.VERBS,
        sitrep_verbs.VERBS,
        notification_verbs.VERBS,
        readiness_verbs.VERBS,
        records_verbs.VERBS,
        overview_verbs.VERBS,
        mi_verbs.VERBS,
        admin_verbs.VERBS,
    )
    verbs = [v for table in tables for v in table]
    help_verb = Verb(
        "help",
        lines=(Line("Finding things", "help", "this list"),),
        run=lambda ctx, args: HELP(ctx, args),
    )
    return Registry([*verbs, help_verb])


REGISTRY = _registry()
HELP = help_handler(REGISTRY)
# Every form a submission may name, by its id (a form is a verb only if a verb names it).
FORM_FLOWS: dict[str, FormFlow] = REGISTRY.forms
ALL_VERBS = REGISTRY.names()


# Hidden values a form carries back (its subject), as opposed to what the user typed.
CONTEXT_KEYS = ("reference", "conference", "number", "step")
FAILED = "The bot could not complete that, and nothing was saved. Please try again."


def _made(flow: FormFlow, ctx: Ctx, context: dict[str, str]) -> Form:
    """The flow's form, marked EXERCISE when its subject belongs to an exercise (once, here,
    rather than in each of the flows)."""
    form = flow.make(ctx, context)
    if not form.exercise and in_exercise(ctx.session, context.get("reference", "")):
        form = replace(form, exercise=True)
    return form


class _FormErrors(Exception):
    def __init__(self, form: Form, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.form = form.with_errors(errors)
        self.errors = errors


@dataclass(frozen=True)
class _Who:
    surface: str
    user_id: str
    user_name: str
    channel: str
    reply_to: str | None = None
    aliases: tuple[str, ...] = ()
    own_chat: bool = False


@dataclass(frozen=True)
class _Apply:
    """What a form verb's read phase found valid: applied in the write transaction."""

    flow: FormFlow
    context: dict[str, str]
    values: dict[str, Any]
    form: Form | None = None  # when it came from a submitted form: errors go back on it
    accounts: tuple[str, ...] = ()  # picked on the platform: stored as people if need be
    names: tuple[tuple[str, str], ...] = ()  # (account, the platform's name for them)


class Engine:
    """Each call: inputs checked and parsed first; forms built and validated in a read
    transaction; only then one write transaction for the change (SQLite's write lock is
    held for the change alone)."""

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
        who = _Who(
            request.surface,
            request.user_id,
            request.user_name,
            request.channel,
            request.reply_to,
            request.aliases,
            request.own_chat,
        )
        try:
            text = clean_command(request.text).strip()
        except InputProblem as exc:
            return Reply(text=exc.message, ok=False)
        if text.lower().startswith("/opss"):
            text = text[5:].strip()
        verb, _, rest = text.partition(" ")
        verb = verb.lower() or "help"
        try:
            args = parse(rest, verb)
        except UserError as exc:
            return Reply(text=exc.message, ok=False)
        return self._execute(who, request.idempotency_key, lambda ctx: self._route(ctx, verb, args))

    def submit(self, submission: Submission) -> Reply:
        who = _Who(
            submission.surface,
            submission.user_id,
            submission.user_name,
            submission.channel,
            submission.reply_to,
            submission.aliases,
            submission.own_chat,
        )
        try:
            data = clean_values(submission.data)
        except InputProblem as exc:
            return Reply(text=exc.message, errors={exc.field: exc.message}, ok=False)
        if "command" in data:  # a button on a card runs a command
            return self.handle(
                Request(
                    surface=submission.surface,
                    user_id=submission.user_id,
                    user_name=submission.user_name,
                    channel=submission.channel,
                    text=str(data["command"] or ""),
                    idempotency_key=submission.idempotency_key,
                    reply_to=submission.reply_to,
                    aliases=submission.aliases,
                    own_chat=submission.own_chat,
                )
            )
        picked = [f for f in submission.accounts if data.get(f)]
        shown = dict(submission.account_names)
        return self._execute(
            who,
            submission.idempotency_key,
            lambda ctx: self._check_submission(ctx, data, picked, shown),
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
            form = _made(flow, ctx, context)
            return Reply(text=flow.prompt, form=form.prefilled(prefill))

        return self._execute(_Who(surface, user_id, user_name, channel), None, work)

    def known_people(self, surface: str, accounts: Sequence[str]) -> dict[str, Choice]:
        """The stored people behind these accounts, by account, as a picker offers them (a
        directory search shows a known person as the picker's own choice): a read."""
        with self.db.read() as session:
            return people.known_accounts(session, surface, accounts)

    def home(self, surface: str, user_id: str, user_name: str) -> list[Card]:
        cards: list[Card] = []

        def work(ctx: Ctx) -> Reply:
            cards.extend(home_cards(ctx))
            return Reply()

        self._execute(_Who(surface, user_id, user_name, ""), None, work)
        return cards

    def read(
        self, surface: str, user_id: str, user_name: str, work: Callable[[Ctx], T]
    ) -> tuple[T | None, Reply]:
        """A surface's own page read as a person (the MI dashboard): ``work`` runs in a read
        transaction; a refusal or bad input is answered (and a refusal audited) as every
        command's is, and then there is no result."""
        found: list[T] = []

        def plan(ctx: Ctx) -> Reply:
            found.append(work(ctx))
            return Reply()

        reply = self._execute(_Who(surface, user_id, user_name, ""), None, plan)
        return (found[0] if found else None), reply

    def read_document(
        self, surface: str, user_id: str, document_id: int
    ) -> tuple[str, str, bytes] | None:
        """A stored record (filename, media type, bytes) for a reader who may see its
        incident; None when there is no such document or the reader may not (audited)."""
        found: list[tuple[str, str, bytes]] = []

        def work(ctx: Ctx) -> Reply:
            document = readable_document(ctx, document_id)
            if document is not None:
                found.append((document.filename, document.media_type, document.content))
            return Reply()

        self._execute(_Who(surface, user_id, user_id, ""), None, work)
        return found[0] if found else None

    def document_link(
        self, surface: str, user_id: str, document_id: int, aliases: tuple[str, ...] = ()
    ) -> Reply:
        """A one-time link to a kept record for the person who pressed its button, if they
        may read its incident (a refusal is audited)."""
        who = _Who(surface, user_id, user_id, "", None, aliases)
        return self._execute(
            who, None, lambda _: _Write(lambda c: files.link_reply(c, document_id))
        )

    def take_document(
        self,
        surface: str,
        user_id: str,
        document_id: int,
        how: str,
        aliases: tuple[str, ...] = (),
    ) -> tuple[str, str, bytes] | str:
        """A kept record's file for the person saving it (``how``: where), audited; or why
        they may not have it (who may: the refusal audited)."""
        found: list[tuple[str, str, bytes]] = []

        def work(ctx: Ctx) -> Reply:
            found.append(files.take(ctx, document_id, how))
            return Reply()

        reply = self._execute(
            _Who(surface, user_id, user_id, "", None, aliases), None, lambda _: _Write(work)
        )
        return found[0] if found and reply.ok else reply.text

    def read_invitation(
        self, surface: str, user_id: str, subject: str
    ) -> tuple[str, str, bytes] | None:
        """A calendar invitation made now (filename, media type, bytes) for a reader who may
        see its incident; None when it names nothing or the reader may not (audited)."""
        found: list[tuple[str, str, bytes]] = []

        def work(ctx: Ctx) -> Reply:
            made = invitations.fetch(ctx, subject)
            if made is not None:
                found.append(made)
            return Reply()

        self._execute(_Who(surface, user_id, user_id, ""), None, work)
        return found[0] if found else None

    # Read phase: route, check permission, build and validate forms ------------------------

    def _route(self, ctx: Ctx, verb: str, args: Args) -> Reply | _Apply | _Write:
        """The verb is looked up once; then, in this order, its sub-verb (the word after the
        subject), a form its route picks from the words, its handler, or its form."""
        found = REGISTRY.find(verb)
        if found is None:
            known = ", ".join(REGISTRY.names(ctx.surface))
            raise UserError(f"'{verb}' is not an /opss command. Commands: {known}. Try /opss help.")
        sub = found.sub(args.words[1].lower()) if len(args.words) > 1 else None
        if sub is not None:
            del args.words[1]
            if sub.form is not None:
                return self._form_command(ctx, sub.form, args)
            sub_fn = sub.run
            assert sub_fn is not None
            return _Write(lambda c: sub_fn(c, args))
        routed = found.route(args) if found.route is not None else None
        if routed is not None:
            return self._form_command(ctx, routed, args)
        if found.run is not None:
            verb_fn = found.run
            return _Write(lambda c: verb_fn(c, args))
        if found.form is not None:
            return self._form_command(ctx, found.form, args)
        raise UserError(f"/opss {verb} runs only in the local workspace's demo.")

    def _form_command(self, ctx: Ctx, flow: FormFlow, args: Args) -> Reply | _Apply:
        context, given = flow.prepare(ctx, args)  # finds the subject and checks permission
        form = _made(flow, ctx, context)
        defaults = {f.name: f.value for f in form.fields if f.value is not None}
        merged = defaults | {k: v for k, v in given.items() if v not in (None, "")}
        result = validate(form, merged)
        provided = any(v not in (None, "") for v in given.values())
        if not provided or result.only_missing:
            return Reply(text=flow.prompt, form=form.prefilled(merged))
        if result.errors:
            wrong = result.wrong
            raise UserError(" ".join(_sentence(m) for m in wrong.values()), next(iter(wrong)))
        return _Apply(flow, dict(context), result.values)

    def _check_submission(
        self,
        ctx: Ctx,
        data: dict[str, Any],
        picked: list[str] | None = None,
        shown: dict[str, str] | None = None,
    ) -> _Apply:
        accounts: list[str] = []
        data = dict(data)
        for name in picked or ():  # account ids from a platform's person picker: names
            value = data[name]
            ids = [str(v) for v in value] if isinstance(value, list) else [str(value)]
            names = people.names_for_accounts(ctx.session, ctx.surface, ids, ctx.now)
            data[name] = [names[i] for i in ids] if isinstance(value, list) else names[ids[0]]
            accounts += ids
        form_id = str(data.get("form", ""))
        flow = FORM_FLOWS.get(form_id)
        if flow is None:
            raise UserError(f"Unknown form '{form_id}'.")
        context = {k: str(data[k]) for k in CONTEXT_KEYS if data.get(k)}
        if flow.permit is not None:  # permission first: a refusal is never a form error
            flow.permit(ctx, context)
        form = _made(flow, ctx, context).prefilled(data)
        result = validate(form, data)
        if result.errors:
            raise _FormErrors(form, result.errors)
        named = tuple((a, shown[a]) for a in accounts if shown and shown.get(a))
        return _Apply(flow, context, result.values, form, tuple(accounts), named)

    # The two transactions around every command --------------------------------------------

    def _execute(
        self, who: _Who, key: str | None, plan: Callable[[Ctx], Reply | _Apply | _Write]
    ) -> Reply:
        key = scoped_key(who.surface, who.user_id, key) if key is not None else None
        try:
            with self.db.read() as session:
                if key is not None:
                    seen = session.get(ProcessedRequest, key)
                    if seen is not None:
                        return _replayed(seen.reply)
                step = plan(self._ctx(session, who, self.clock.now(), create=False))
            if isinstance(step, Reply):
                return _with_summary(step)
            reply = self._write(who, key, step)
        except UserError as exc:
            return Reply(text=exc.message, ok=False)
        except _FormErrors as exc:
            text = " ".join(_sentence(m) for m in exc.errors.values())
            return Reply(text=text, form=exc.form, errors=exc.errors, ok=False)
        except PermissionRefused as exc:
            return self._refuse(who, exc)
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
        return _with_summary(reply)

    def _write(self, who: _Who, key: str | None, step: _Apply | _Write) -> Reply:
        with self.db.unit_of_work() as session:
            ctx = self._ctx(session, who, self.clock.now(), create=True)
            if isinstance(step, _Write):
                reply = step.work(ctx)
            else:
                names = dict(step.names)
                for account in step.accounts:  # first-time people picked: stored with the change
                    shown = names.get(account, "")
                    people.person_for_account(session, who.surface, account, shown, ctx.now)
                try:
                    reply = step.flow.run(ctx, step.context, step.values)
                except UserError as exc:
                    if step.form is None:
                        raise
                    name = exc.field if any(f.name == exc.field for f in step.form.fields) else None
                    raise _FormErrors(step.form, {name or "_form": exc.message}) from exc
            if who.reply_to is not None and reply.form is None:
                _queue_reply(ctx, who.reply_to, _with_summary(reply))
            if key is not None and reply.form is None:
                stored = {"text": reply.text, "queued": reply.queued}
                session.add(ProcessedRequest(key=key, at=ctx.now, reply=stored))
        return reply

    def _ctx(self, session: Session, who: _Who, now: datetime, *, create: bool) -> Ctx:
        """Who is acting. Only a write creates a first-time person (with no roles)."""
        if create:
            person = people.person_for_account(
                session, who.surface, who.user_id, who.user_name, now, who.aliases
            )
        else:
            person = people.find_person_for_account(
                session, who.surface, who.user_id, who.aliases
            ) or repo.new_person(who.surface, who.user_id, who.user_name, now)
        return Ctx(
            session=session,
            person=person,
            actor=repo.actor_for(session, person),
            surface=who.surface,
            channel=who.channel,
            now=now,
            options=self.options,
            own_chat=who.own_chat,
        )

    def _refuse(self, who: _Who, exc: PermissionRefused) -> Reply:
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            # A refusal records who tried, but creates no person or identity for them.
            person = people.find_person_for_account(session, who.surface, who.user_id, who.aliases)
            actor = repo.actor_for(session, person) if person else Actor(who.user_id)
            repo.audit(
                session,
                at=now,
                actor=person,
                actor_name=person.name if person else f"{who.surface}:{who.user_id}",
                action="permission.refused",
                entity_type="permission",
                entity_ref=exc.entity_ref,
                before=None,
                after={
                    "action": exc.action,
                    "who_may": exc.who_may,
                    "held": actor.describe(),
                    **({"why": exc.why} if exc.why else {}),
                },
                surface=who.surface,
                channel=who.channel,
            )
        log.info("refused %s to %s", exc.action, actor.name)
        held = "" if exc.why else f" You hold: {actor.describe()}."
        return Reply(text=exc.message + held, ok=False)


@dataclass(frozen=True)
class _Write:
    """A plain verb: it runs in the write transaction."""

    work: Callable[[Ctx], Reply]


def scoped_key(surface: str, user_id: str, key: str) -> str:
    """An idempotency key belongs to its surface and user: another's key replays nothing.

    Any text is a key, lone surrogates too (JSON carries "\\udfff"): ``surrogatepass`` gives
    them bytes of their own, so distinct keys stay distinct and valid text hashes as before.
    """
    scoped = f"{surface}\0{user_id}\0{key}"
    return hashlib.sha256(scoped.encode("utf-8", "surrogatepass")).hexdigest()


def _with_summary(reply: Reply) -> Reply:
    """A card with no words of its own is summed up in one line: notifications and screen
    readers get the text, not the card."""
    if not reply.text and reply.card is not None:
        reply.text = reply.card.summary
    return reply


def _sentence(message: str) -> str:
    message = message.strip()
    return message if message.endswith((".", "?", "!")) else message + "."


def _queue_reply(ctx: Ctx, reply_to: str, reply: Reply) -> None:
    """The caller's reply, queued with the change it reports: a crash after commit loses
    neither (the outbox delivers it), and nothing is sent if the change rolls back."""
    answer = outbox.Answer(reply.text, reply.card, reply.ok, reply.ephemeral, about=reply.about)
    outbox.queue(ctx.session, ConversationKey(ctx.surface, reply_to), answer, ctx.now)
    reply.queued = True


def _replayed(stored: dict[str, Any]) -> Reply:
    # A first delivery that queued its reply has it delivered: a replay adds no second one.
    return Reply(
        text=f"{stored.get('text', '')} (already done; nothing was repeated)",
        queued=bool(stored.get("queued")),
    )
