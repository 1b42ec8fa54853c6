"""What a use case is given (who, where, when, a unit of work) and what it gives back."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from cards.annex_forms import NATIONAL_CONTACT_POINT
from cards.model import Card, Form
from commands.core import outbox
from rules.action_chasing import DEFAULT_LEADS
from rules.deadlines import DEFAULT_CLOCKS, Clock, Kind
from rules.engagement import OPERATIONAL_PARTNERS, STAKEHOLDERS
from rules.mi import DEFAULT_WEEKLY, Weekly
from rules.roles import Actor
from rules.stand_down import Status
from storage import repositories as repo
from storage.conversations import ConversationKey
from storage.models import ChannelBinding, Person


@dataclass(frozen=True)
class Request:
    """A typed command, e.g. text ``"raise Gas hob elbow joints leaking"`` after ``/opss``."""

    surface: str
    user_id: str
    channel: str
    text: str
    user_name: str = ""
    idempotency_key: str | None = None
    # Where the reply goes, as the surface's messenger understands it. When set, a reply to a
    # state change is queued in the outbox by the command's own unit of work (``Reply.queued``).
    reply_to: str | None = None
    # Other ids the platform knows the caller by (in Teams, the Azure AD object id beside the
    # ``29:…`` id): linked to the same person by the command's own unit of work.
    aliases: tuple[str, ...] = ()
    # The channel is the caller's own chat with the bot, where the reply goes too: what a
    # command would say "here" its reply says, once (``Ctx.own_chat``).
    own_chat: bool = False


@dataclass(frozen=True)
class Submission:
    """A submitted form or a pressed card button (``data`` holds ``form`` or ``command``)."""

    surface: str
    user_id: str
    channel: str
    data: dict[str, Any]
    user_name: str = ""
    idempotency_key: str | None = None
    reply_to: str | None = None  # as ``Request.reply_to``
    aliases: tuple[str, ...] = ()  # as ``Request.aliases``
    own_chat: bool = False  # as ``Request.own_chat``
    # Fields whose values are this surface's account ids (a platform's own person picker, as
    # Slack's): the engine turns them into people's names, and stores a first-time person
    # in the command's unit of work.
    accounts: frozenset[str] = frozenset()
    # The names the platform gave for those accounts (a Teams directory search's, by object
    # id): a first-time person is stored with theirs.
    account_names: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Reply:
    text: str = ""
    card: Card | None = None
    form: Form | None = None
    errors: dict[str, str] = field(default_factory=dict)
    # False when the card is also posted in the channel the command came from: surfaces then
    # show the caller the text only, not the same card twice.
    ephemeral: bool = True
    ok: bool = True
    # True when the reply was queued for ``reply_to`` with the change it reports (or was, by
    # the first delivery of a replayed request): the surface must not post it again.
    queued: bool = False
    # A conversation the reply points to (``incident:INC-2026-001``): a queued reply names
    # it as the platform made it, with a link (``outbox.Answer.about``).
    about: str = ""


class UserError(Exception):
    """Bad input: the message names the field and what is wanted. Nothing is stored."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# A "who" with a clause of its own ("IMT, who develop the plan (3.27)") closes it with a comma
# before "may"; one that carries its own closing comma already keeps it.
_CLAUSE = re.compile(r", (who|for|once|one|each)\b")


def refusal_sentence(who_may: str, action: str) -> str:
    """ "Only … may …." as a sentence, whatever clause ``who_may`` carries."""
    comma = "," if _CLAUSE.search(who_may) and not who_may.endswith(",") else ""
    return f"Only {who_may}{comma} may {action}."


class PermissionRefused(Exception):
    """Refusals say who may act; the engine audits them after rolling the command back.
    ``why``: for someone who holds the role but may not act now, the sentence saying why,
    said instead of who may."""

    def __init__(self, action: str, who_may: str, entity_ref: str = "", why: str = "") -> None:
        self.message = why or refusal_sentence(who_may, action)
        super().__init__(self.message)
        self.action = action
        self.who_may = who_may
        self.entity_ref = entity_ref
        self.why = why


@dataclass(frozen=True)
class EventSpec:
    """A battle-rhythm meeting as configured (a preset's row)."""

    name: str
    group: str
    days: str  # "mon,thu", "weekdays", "daily"
    at: str  # "09:00" London
    duration_minutes: int = 60
    reminder_minutes: int = 30
    agenda: str = ""
    holidays: str = "skip"


@dataclass(frozen=True)
class Options:
    """Engine settings that the rules need from configuration."""

    functional_areas: tuple[str, ...]
    imt_conversation: str = "imt"
    # Where each surface's IMT channel is configured (a setting's name, told by the surfaces),
    # for the message that says it is not.
    imt_settings: Mapping[str, str] = field(default_factory=dict)
    # Battle-rhythm presets by scale; "standard" is applied when an incident is declared.
    rhythms: Mapping[str, tuple[EventSpec, ...]] = field(default_factory=dict)
    sitrep_cutoff: str = "16:00"
    sitrep_prompt_minutes: int = 120
    sitrep_chase_minutes: int = 30
    holidays: frozenset[date] = frozenset()
    # A reminder found due later than this after its time (the bot was down) is recorded as
    # missed rather than posted; within it, it is posted marked "(late)".
    grace: timedelta = timedelta(minutes=15)
    late_after: timedelta = timedelta(minutes=2)
    # Notifications: statutory clocks (the 2005 guidance's day counts unless configured), how
    # many days before the due date the owner is reminded, and where download links start.
    notification_clocks: Mapping[Kind, Clock] = field(default_factory=lambda: dict(DEFAULT_CLOCKS))
    notification_remind_days: int = 2
    # What the forms' national contact point box prints (OPSS_RAPEX_CONTACT_*).
    national_contact_point: str = NATIONAL_CONTACT_POINT
    public_url: str = ""
    # Who calendar invitations name as their organiser (an address people may write to).
    calendar_organizer: str = ""
    # Actions are reminded of this long before they are due (3.10), then flagged overdue.
    action_reminders: tuple[timedelta, ...] = DEFAULT_LEADS
    # Engagement (section 4): operational partners (4.7) and other stakeholders (4.3).
    partners: tuple[str, ...] = OPERATIONAL_PARTNERS
    stakeholders: tuple[str, ...] = STAKEHOLDERS
    # The demo clock may be moved (local workspace only, no chat platform configured).
    clock_movable: bool = False
    # When the weekly management-information summary is posted to IMT (None: never).
    mi_summary: Weekly | None = DEFAULT_WEEKLY
    # The surfaces whose messenger writes to a person directly, as the app sets them up
    # (bot/app.py): a closed incident's records are sent there to the person who asked;
    # elsewhere they are links on the reply only the asker sees.
    direct_messages: frozenset[str] = frozenset()
    # Where the workspace's dashboard is served for other surfaces' links (OPSS_PUBLIC_URL when
    # the workspace is served there); None: no link outside the workspace itself.
    dashboard_url: str | None = None


@dataclass
class Ctx:
    session: Session
    person: Person
    actor: Actor
    surface: str
    channel: str
    now: datetime
    options: Options
    # The command came from the caller's own chat with the bot: a line said "here" would
    # repeat its reply there (publish_issue_change leaves it to the reply).
    own_chat: bool = False
    # Conversations being archived by this command: they still take its closing posts.
    closing: set[str] = field(default_factory=set)
    _posted: set[tuple[str, str]] = field(default_factory=set)
    _bound: dict[str, str] = field(default_factory=dict)  # platform channel -> conversation
    _closed: dict[str, bool] = field(default_factory=dict)  # incident conversation -> closed
    _here: str | None = None
    _imt: dict[str, ChannelBinding | None] = field(default_factory=dict)
    # Whether an incident conversation is an exercise, once looked up (or told by a caller
    # that has the incident already): a command posting three times reads it once.
    _exercise: dict[str, bool] = field(default_factory=dict)

    def audit(
        self,
        action: str,
        entity_type: str,
        entity_ref: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        repo.audit(
            self.session,
            at=self.now,
            actor=self.person,
            action=action,
            entity_type=entity_type,
            entity_ref=entity_ref,
            before=before,
            after=after,
            surface=self.surface,
            channel=self.channel,
        )

    def post(
        self,
        conversation: str,
        text: str,
        card: Card | None = None,
        *,
        pin: bool = False,
        anchor: str | None = None,
        surface: str | None = None,
        meeting: outbox.Meeting | None = None,
    ) -> None:
        """Queue a post; it is delivered after this unit of work commits (the outbox).

        ``anchor`` names the post so that later changes can edit it in place (``update``);
        ``meeting``: an online meeting whose join link the post carries where it is made.
        """
        conversation = self._open_conversation(conversation)
        if (conversation, text) in self._posted:
            return  # e.g. "here" is the IMT channel: one post, not two
        if conversation == self.options.imt_conversation and not self.imt_reachable(surface):
            return  # no IMT channel on this platform: a post would wait for ever
        self._posted.add((conversation, text))
        text = self._label(conversation, text)
        card = self._label_card(conversation, card) if card is not None else None
        self._enqueue(surface, conversation, outbox.Post(text, card, pin, meeting), anchor)

    def update(
        self,
        conversation: str,
        anchor: str,
        text: str,
        card: Card,
        *,
        surface: str | None = None,
        meeting: outbox.Meeting | None = None,
    ) -> None:
        """Queue an edit of the post named ``anchor`` (a card that changes with its subject)."""
        if self._open_conversation(conversation) != conversation:
            return  # its channel is archived: the card stays as the incident closed
        text, card = self._label(conversation, text), self._label_card(conversation, card)
        self._enqueue(surface, conversation, outbox.Update(text, card, meeting), anchor)

    def bookmark(self, conversation: str, title: str, anchor: str) -> None:
        """Queue a channel bookmark that links to the post named ``anchor``."""
        self._enqueue(None, conversation, outbox.Bookmark(title), anchor)

    def tell(
        self,
        person_id: int,
        text: str,
        card: Card | None = None,
        *,
        surface: str | None = None,
        meeting: outbox.Meeting | None = None,
        about: str = "",
    ) -> None:
        """Queue a message to one person directly, on this command's surface (or
        ``surface``): its messenger finds where it writes to them when it delivers, and the
        caller checks first that they are reachable there (``people.reachable``). ``about``:
        the conversation it points them to, named and linked as it exists at delivery."""
        key = ConversationKey.of_person(surface or self.surface, person_id)
        if (key.conversation, text) in self._posted:
            return  # the same person told the same thing twice by one command: once
        self._posted.add((key.conversation, text))
        outbox.queue(
            self.session, key, outbox.Tell(person_id, text, card, meeting, about), self.now
        )

    def _enqueue(
        self,
        surface: str | None,
        conversation: str,
        op: outbox.Operation,
        anchor: str | None,
    ) -> None:
        key = ConversationKey(surface or self.surface, conversation)
        outbox.queue(self.session, key, op, self.now, anchor=anchor)

    # Every post about an EXERCISE incident says so (plan section 6), its text and its card.
    def _label(self, conversation: str, text: str) -> str:
        if self._is_exercise(conversation) and not text.startswith("EXERCISE"):
            return f"EXERCISE · {text}"
        return text

    def _label_card(self, conversation: str, card: Card) -> Card:
        if self._is_exercise(conversation) and not card.exercise:
            return replace(card, exercise=True)
        return card

    def _is_exercise(self, conversation: str) -> bool:
        if not conversation.startswith("incident:"):
            return False
        if conversation not in self._exercise:
            incident = repo.incident_by_reference(self.session, conversation.split(":", 1)[1])
            self._exercise[conversation] = bool(incident and incident.exercise)
        return self._exercise[conversation]

    def know_incident(self, conversation: str, exercise: bool, closed: bool = False) -> None:
        """Tell the context an incident's conversation and whether it is an exercise (and
        closed), so that posting about it costs no query."""
        self._exercise[conversation] = exercise
        self._closed[conversation] = closed

    def where(self, conversation: str) -> str:
        """Where a post to ``conversation`` goes: elsewhere once its channel is archived."""
        return self._open_conversation(conversation)

    def _open_conversation(self, conversation: str) -> str:
        """A closed incident's channel is archived (3.28): what follows (the review, its
        actions, records) is said where the command came from, or else to IMT."""
        if not self._archived(conversation):
            return conversation
        here = self.here()
        return self.options.imt_conversation if self._archived(here) else here

    def _archived(self, conversation: str) -> bool:
        key = conversation
        if conversation.startswith("channel:"):
            if conversation not in self._bound:
                bound = repo.binding_of_channel(
                    self.session, self.surface, conversation.removeprefix("channel:")
                )
                self._bound[conversation] = bound.conversation if bound else conversation
            key = self._bound[conversation]
        if not key.startswith("incident:") or key in self.closing:
            return False
        if key not in self._closed:
            incident = repo.incident_by_reference(self.session, key.split(":", 1)[1])
            self._closed[key] = incident is not None and incident.status == Status.CLOSED
        return self._closed[key]

    def file(self, conversation: str, document_id: int, title: str, filename: str) -> str:
        """Queue a record (a stored ``Document``) for its incident's own conversation, whose
        people may all read it, and say where it went: ``"channel"``. Never to a wider one:
        once that conversation is archived the channel a command came from may be public, so
        the record goes to the person who asked alone, written to directly where this surface
        can (``"direct"``: Slack's DM, Teams' personal chat), else nowhere (``""``: the caller
        gives it to them on its reply, ``commands/records/export.py``)."""
        upload = outbox.Upload(document_id, title, filename)
        if not self._archived(conversation):
            self._enqueue(None, conversation, upload, None)
            return "channel"
        if self.surface in self.options.direct_messages:
            key = ConversationKey.of_person(self.surface, self.person.id)
            outbox.queue(self.session, key, upload, self.now)
            return "direct"
        return ""

    def archive(self, conversation: str) -> None:
        """Queue the archiving of a channel; queued last, after the posts that precede it."""
        self._enqueue(None, conversation, outbox.Archive(), None)
        self.closing.discard(conversation)
        self._closed[conversation] = True  # from now on, posts go elsewhere

    def here(self) -> str:
        """The conversation key of the channel the command came from."""
        if self._here is None and not self.channel:
            # The bot acting on its own (the scheduler) has no channel of its own: IMT's.
            self._here = self.options.imt_conversation
        if self._here is None:
            imt = self._imt_binding(self.surface)
            in_imt = imt is not None and imt.external_id == self.channel
            self._here = self.options.imt_conversation if in_imt else f"channel:{self.channel}"
        return self._here

    def imt_reachable(self, surface: str | None = None) -> bool:
        """Whether IMT's channel is set up on the platform (Slack needs SLACK_IMT_CHANNEL)."""
        return self._imt_binding(surface or self.surface) is not None

    def _imt_binding(self, surface: str) -> ChannelBinding | None:
        if surface not in self._imt:
            self._imt[surface] = repo.binding(self.session, surface, self.options.imt_conversation)
        return self._imt[surface]
