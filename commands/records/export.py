"""Records to take away (plan 3.23, 5.1): the decision log (CSV, PDF), the timeline from the
audit trail (CSV), each published sitrep, the review report and the strategy (DOCX, PDF).

/opss export INC-2026-001 [all|decisions|timeline|sitreps|review|strategy]

Files are stored with the incident (``documents``) and posted to its channel as files where
the platform allows (Slack), or as download links (the local workspace). Only those who may
read the incident make them, and they are posted nowhere wider than its own channel: once that
is archived, the reply gives them to the person who asked alone, as one-time links.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import or_, select

from cards import text as rich
from cards.model import Card
from commands.core.access import require_read
from commands.core.args import Args
from commands.core.context import Ctx, Reply, UserError
from commands.incident import standing
from commands.incident.forms import GROUP_LABELS
from commands.incident.lessons import lesson_line, lessons_of
from commands.incident.plans import current_strategy
from commands.incident.strategy import DEADLINES, EQUALITY, HEADINGS
from commands.records import documents, downloads
from commands.records.documents import CSV, DOCX, PDF, Report
from commands.records.timeline import TimelineEvent, describe, people_names
from commands.sitrep.sitreps import _stored_section as stored_section
from rules.impact import Level
from rules.sitrep import SitrepStatus
from rules.stand_down import LEVEL_LABELS, REVIEW_ASPECTS, STATUS_LABELS, Status
from rules.timeparse import machine, show
from storage.models import (
    Action,
    AuditEvent,
    CaseConference,
    Decision,
    Document,
    Incident,
    Person,
    Recommendation,
    Review,
    Sitrep,
    Strategy,
)

KINDS = ("decisions", "timeline", "sitreps", "review", "strategy")
# The SCG strategy's headings (3.6) and the equality duty (1.7-1.8), as the form asks them.
STRATEGY_FIELDS: tuple[tuple[str, str], ...] = (
    *((key, label) for key, label, _ in HEADINGS),
    (
        EQUALITY,
        "Public sector equality duty (1.7-1.8): protected characteristics and vulnerable groups",
    ),
)
DEADLINES_LABEL = "Deadlines for updates (3.7)"


@dataclass(frozen=True)
class Built:
    kind: str
    title: str
    filename: str
    media_type: str
    content: bytes


def _name(incident: Incident, stem: str, ext: str) -> str:
    prefix = "EXERCISE-" if incident.exercise else ""
    return f"{prefix}{incident.reference}-{stem}.{ext}"


def _both(ctx: Ctx, incident: Incident, kind: str, stem: str, report: Report) -> list[Built]:
    report = _report(ctx, incident, report)
    return [
        Built(
            kind, report.title, _name(incident, stem, "docx"), DOCX, documents.docx_bytes(report)
        ),
        Built(kind, report.title, _name(incident, stem, "pdf"), PDF, documents.pdf_bytes(report)),
    ]


def _heading_facts(incident: Incident) -> tuple[tuple[str, str], ...]:
    facts = [
        ("Incident", f"{incident.reference} · {incident.title}"),
        ("Issue", incident.issue.reference),
        ("Status", STATUS_LABELS[Status(incident.status)]),
        # Two different scales, named apart: who commands (3.1) and how bad it is (1.4).
        ("Command level", LEVEL_LABELS.get(incident.level, incident.level)),
    ]
    if incident.overall_impact:
        facts.append(("Impact rating", Level(incident.overall_impact).label))
    facts.append(("Declared", show(incident.declared_at)))
    if incident.closed_at:
        facts.append(("Closed", show(incident.closed_at)))
    return tuple(facts)


def _report(ctx: Ctx, incident: Incident, report: Report) -> Report:
    """The record's header and properties: the incident, when it was made, for whom."""
    return replace(
        report,
        exercise=incident.exercise,
        incident=f"{incident.reference} · {incident.title}",
        made_at=show(ctx.now),
        author=ctx.person.display_name,
        subject=report.subject or f"{report.title.split(' · ')[0]} of {incident.reference}",
    )


# The decision log ---------------------------------------------------------------------------


def incident_decisions(ctx: Ctx, incident: Incident) -> list[Decision]:
    """The incident's decisions and those of its issue (case conferences, re-escalation)."""
    return list(
        ctx.session.scalars(
            select(Decision).where(Decision.issue_id == incident.issue_id).order_by(Decision.id)
        )
    )


def decision_documents(ctx: Ctx, incident: Incident) -> list[Built]:
    rows = incident_decisions(ctx, incident)
    by_id = {r.id: r for r in rows}
    conferences = {
        c.id: c.reference
        for c in ctx.session.scalars(
            select(CaseConference).where(CaseConference.issue_id == incident.issue_id)
        )
    }
    header = (
        "reference",
        "decided_at",
        "decision",
        "rationale",
        "options_considered",
        "decided_by",
        "group",
        "meeting",
        "case_conference",
        "evidence",
        "supersedes",
        "recorded_at",
    )
    table = [
        (
            r.reference,
            machine(r.decided_at),
            r.what,
            r.rationale,
            r.options_considered,
            r.decided_by,
            GROUP_LABELS.get(r.group, r.group),
            r.meeting,
            conferences.get(r.conference_id or 0, ""),
            r.evidence,
            by_id[r.supersedes_id].reference if r.supersedes_id in by_id else "",
            machine(r.recorded_at),
        )
        for r in rows
    ]
    title = f"Decision log · {incident.reference}"
    sections = []
    for r in rows:
        lines = [f"Decision: {r.what}", f"Rationale: {r.rationale}"]
        if r.options_considered:
            lines.append(f"Options considered: {r.options_considered}")
        lines.append(f"Decided by: {r.decided_by}")
        lines.append(f"Group: {GROUP_LABELS.get(r.group, r.group)}")
        if r.conference_id in conferences:
            lines.append(f"Case conference: {conferences[r.conference_id or 0]}")
        if r.meeting:
            lines.append(f"Meeting: {r.meeting}")
        if r.evidence:
            lines.append(f"Evidence: {r.evidence}")
        if r.supersedes_id in by_id:
            lines.append(f"Supersedes: {by_id[r.supersedes_id].reference}")
        sections.append((f"{r.reference} · {show(r.decided_at)}", "\n".join(lines)))
    report = _report(
        ctx,
        incident,
        Report(
            title=title,
            subtitle=f"{len(rows)} decisions, append-only",
            facts=_heading_facts(incident),
            sections=tuple(sections) or (("Decisions", "none recorded"),),
        ),
    )
    return [
        Built(
            "decisions",
            title,
            _name(incident, "decision-log", "csv"),
            CSV,
            documents.csv_bytes(header, table, incident.exercise),
        ),
        Built(
            "decisions",
            title,
            _name(incident, "decision-log", "pdf"),
            PDF,
            documents.pdf_bytes(report),
        ),
        Built(
            "decisions",
            title,
            _name(incident, "decision-log", "docx"),
            DOCX,
            documents.docx_bytes(report),
        ),
    ]


# The timeline -------------------------------------------------------------------------------


def timeline_documents(ctx: Ctx, incident: Incident) -> list[Built]:
    """Every audit event about the incident, its issue, conferences, decisions and actions."""
    issue = incident.issue
    refs = {incident.reference, issue.reference}
    refs |= set(
        ctx.session.scalars(
            select(CaseConference.reference).where(CaseConference.issue_id == issue.id)
        )
    )
    refs |= set(
        ctx.session.scalars(select(Decision.reference).where(Decision.issue_id == issue.id))
    )
    refs |= set(
        ctx.session.scalars(
            select(Action.reference).where(
                or_(Action.incident_id == incident.id, Action.issue_id == issue.id)
            )
        )
    )
    people = people_names(ctx.session)
    events: list[TimelineEvent] = [
        describe(e.at, e.actor_name, e.action, e.entity_ref, e.before, e.after, people)
        for e in ctx.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_ref.in_(refs))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    ]
    title = f"Timeline · {incident.reference}"
    header = ("when", "who", "what happened", "reference", "details")
    table = [(machine(e.at), e.who, e.what, e.reference, e.details) for e in events]
    lines = [
        f"{show(e.at)} · {e.who} {e.what}" + (f" ({e.details})" if e.details else "")
        for e in events
    ]
    report = _report(
        ctx,
        incident,
        Report(
            title=title,
            subtitle=f"{len(events)} events, oldest first, from the audit trail",
            facts=_heading_facts(incident),
            sections=(("Events", "\n".join(lines) or "none recorded"),),
        ),
    )
    return [
        Built(
            "timeline",
            title,
            _name(incident, "timeline", "csv"),
            CSV,
            documents.csv_bytes(header, table, incident.exercise),
        ),
        *_both(ctx, incident, "timeline", "timeline", report),
    ]


# Sitreps, the review report, the strategy ---------------------------------------------------


def _plain(body: str | rich.Text) -> str:
    """A document shows the words; the bold labels are the chat's styling."""
    return body if isinstance(body, str) else body.plain


def sitrep_documents(ctx: Ctx, incident: Incident) -> list[Built]:
    rows = ctx.session.scalars(
        select(Sitrep)
        .where(Sitrep.incident_id == incident.id, Sitrep.status == SitrepStatus.PUBLISHED)
        .order_by(Sitrep.number)
    )
    out: list[Built] = []
    for row in rows:
        sections = [(str(h), _plain(stored_section(body))) for h, body in row.sections]
        if row.amendment:
            sections.insert(0, ("IMT amendment", row.amendment))
        approver = ctx.session.get(Person, row.approved_by_id) if row.approved_by_id else None
        report = Report(
            title=row.title.removeprefix("EXERCISE · "),
            subtitle=f"Published {show(row.published_at) if row.published_at else ''}"
            + (f" · approved by {approver.display_name}" if approver else ""),
            exercise=incident.exercise,
            facts=(("Incident", f"{incident.reference} · {incident.title}"),),
            sections=tuple(sections),
        )
        out += _both(ctx, incident, "sitrep", f"sitrep-{row.number}", report)
    return out


def review_documents(ctx: Ctx, incident: Incident) -> list[Built]:
    review = ctx.session.scalar(select(Review).where(Review.incident_id == incident.id))
    if review is None:
        return []
    facts = list(_heading_facts(incident))
    facts.append(("Review", review.status.replace("_", " ")))
    facts.append(("Scheduled for", show(review.scheduled_for)))
    if review.signed_off_at and review.signed_off_by_id:
        who = ctx.session.get(Person, review.signed_off_by_id)
        facts.append(
            ("Signed off", f"{who.display_name if who else ''}, {show(review.signed_off_at)}")
        )
    sections: list[tuple[str, str]] = [("Summary", review.summary or "not yet written")]
    lessons = lessons_of(ctx, incident)
    for key, label in REVIEW_ASPECTS:
        sections.append((label, review.findings.get(key) or "-"))
    sections.append(("Stakeholders' input", review.stakeholder_input or "-"))
    sections.append(
        (
            "Lessons identified",
            "\n".join(lesson_line(x) for x in lessons) or "none recorded",
        )
    )
    recs = ctx.session.execute(
        select(Recommendation, Action)
        .join(Action, Action.id == Recommendation.action_id)
        .where(Recommendation.review_id == review.id)
        .order_by(Recommendation.number)
    ).tuples()
    sections.append(
        (
            "Recommendations",
            "\n".join(
                f"{r.number}. {r.text} (team: {r.team}; action {a.reference}, owner "
                f"{a.owner.display_name}, due {show(a.due_at)}, {a.status})"
                for r, a in recs
            )
            or "none allocated",
        )
    )
    report = Report(
        title=f"Post-incident review · {incident.reference}",
        subtitle=incident.title + (" · an exercise (plan 6.8-6.11)" if incident.exercise else ""),
        exercise=incident.exercise,
        facts=tuple(facts),
        sections=tuple(sections),
    )
    return _both(ctx, incident, "review", "review-report", report)


def strategy_documents(ctx: Ctx, incident: Incident) -> list[Built]:
    """The SCG's current strategy, as the summary card shows it ("SCG strategy: v1"), with
    the versions before it."""
    current = current_strategy(ctx.session, incident.id)
    facts = list(_heading_facts(incident))
    sections: list[tuple[str, str]] = []
    if current is None:
        subtitle = incident.title + " · no strategy has been recorded yet"
    else:
        people = people_names_by_id(ctx, current.recorded_by_id)
        decision = ctx.session.get(Decision, current.decision_id)
        subtitle = f"{incident.title} · version {current.version}"
        facts.append(("Version", str(current.version)))
        facts.append(
            ("Recorded", f"{show(current.recorded_at)} by {people.get(current.recorded_by_id, '')}")
        )
        if decision is not None:
            facts.append(("Decision", decision.reference))
        known = {k for k, _ in STRATEGY_FIELDS} | {DEADLINES}
        sections = [(label, str(current.fields.get(key) or "-")) for key, label in STRATEGY_FIELDS]
        # The deadlines the SCG set, in every version, as the actions they became.
        deadlines = ctx.session.scalars(
            select(Action)
            .where(
                Action.incident_id == incident.id,
                Action.group == "scg",
                Action.standard.startswith("Deadline set by the SCG"),
            )
            .order_by(Action.due_at, Action.id)
        )
        sections.append(
            (
                DEADLINES_LABEL,
                "\n".join(
                    f"{a.reference}: {a.what.removeprefix('Update for the SCG: ')} "
                    f"({a.owner.display_name}, due {show(a.due_at)}; {a.status.replace('_', ' ')})"
                    for a in deadlines
                )
                or "none set",
            )
        )
        sections += [
            (k.replace("_", " ").capitalize(), str(v))
            for k, v in current.fields.items()
            if k not in known and v
        ]
        earlier = list(
            ctx.session.scalars(
                select(Strategy)
                .where(Strategy.incident_id == incident.id, Strategy.version < current.version)
                .order_by(Strategy.version)
            )
        )
        if earlier:
            sections.append(
                (
                    "Earlier versions",
                    "\n".join(
                        f"v{s.version}, {show(s.recorded_at)}: {s.fields.get('aim', '')}"
                        for s in earlier
                    ),
                )
            )
    report = Report(
        title=f"SCG strategy · {incident.reference}",
        subtitle=subtitle,
        facts=tuple(facts),
        sections=tuple(sections) or (("Strategy", "no strategy has been recorded yet"),),
    )
    return _both(ctx, incident, "strategy", "strategy", report)


def people_names_by_id(ctx: Ctx, *ids: int) -> dict[int, str]:
    rows = ctx.session.execute(
        select(Person.id, Person.display_name).where(Person.id.in_(ids))
    ).tuples()
    return {pid: shown for pid, shown in rows}


BUILDERS = {
    "decisions": decision_documents,
    "timeline": timeline_documents,
    "sitreps": sitrep_documents,
    "review": review_documents,
    "strategy": strategy_documents,
}


# Keeping and posting ------------------------------------------------------------------------


@dataclass(frozen=True)
class Kept:
    """Records stored with the incident, and where they went: posted in the incident's own
    conversation, or (its channel archived) given to the person who asked alone, as one-time
    links (``links``) on the reply that only they see."""

    names: tuple[str, ...]
    posted: bool  # in the incident's own channel
    links: tuple[tuple[str, str], ...] = ()
    direct: bool = False  # sent to the person who asked, in their own chat with the bot

    def where(self) -> str:
        """Where the files are, in words for the reply."""
        if self.posted:
            return "posted in the incident's channel"
        where = (
            "sent to you alone, in your own chat with the bot"
            if self.direct
            else "for you alone, below"
        )
        return f"{where} (the incident's channel is archived, and a record is posted nowhere wider)"

    def card(self, incident: Incident) -> Card | None:
        if not self.links:
            return None
        return Card(
            title=f"Records of {incident.reference}",
            subtitle=f"These links are for you alone: each works once, within {LINK_MINUTES} "
            "minutes.",
            links=self.links,
            exercise=incident.exercise,
        )


LINK_MINUTES = int(downloads.VALID.total_seconds() // 60)


def keep(ctx: Ctx, incident: Incident, built: list[Built]) -> Kept:
    """Store each file with the incident and post it to the incident's conversation, or,
    where that is archived, give it to the person who asked alone (``Ctx.file``)."""
    names: list[str] = []
    links: list[tuple[str, str]] = []
    went: set[str] = set()
    for b in built:
        row = Document(
            incident_id=incident.id,
            kind=b.kind,
            title=b.title,
            filename=b.filename,
            media_type=b.media_type,
            content=b.content,
            created_by_id=ctx.person.id,
            created_at=ctx.now,
        )
        ctx.session.add(row)
        ctx.session.flush()
        where = ctx.file(incident.channel_key, row.id, b.title, b.filename)
        if not where:
            links.append((f"Download {b.filename}", downloads.link(ctx, "document", str(row.id))))
        went.add(where or "reply")
        names.append(b.filename)
    posted = went <= {"channel"}
    if built:
        ctx.audit(
            "records.exported",
            "incident",
            incident.reference,
            None,
            {"files": names, "to": "incident channel" if posted else "requester"},
        )
    return Kept(tuple(names), posted, tuple(links), direct="direct" in went)


def readable_document(ctx: Ctx, document_id: int) -> Document | None:
    document = ctx.session.get(Document, document_id)
    if document is None:
        return None
    incident = ctx.session.get(Incident, document.incident_id)
    assert incident is not None
    require_read(ctx, incident)
    return document


def export(ctx: Ctx, args: Args) -> Reply:
    # Whoever may read the incident may take its records away.
    incident = standing.load(ctx, args.first(), "export", "records")
    wanted = [w.lower() for w in args.words[1:]] or ["all"]
    kinds = list(KINDS) if "all" in wanted else wanted
    unknown = [k for k in kinds if k not in BUILDERS]
    if unknown:
        raise UserError(
            f"export: '{unknown[0]}' is not a record; choose all, " + ", ".join(KINDS) + "."
        )
    built: list[Built] = []
    skipped: list[str] = []
    for kind in kinds:
        made = BUILDERS[kind](ctx, incident)
        if not made:
            skipped.append(kind)
        built += made
    kept = keep(ctx, incident, built)
    names = kept.names
    parts = []
    if names:
        plural = "s" if len(names) != 1 else ""
        parts.append(
            f"{len(names)} file{plural} from {incident.reference}: {', '.join(names)}, "
            f"{kept.where()}."
        )
    if skipped:
        parts.append(
            f"Nothing yet to take away from {incident.reference} for: "
            + ", ".join(
                {"sitreps": "sitreps (none published)", "review": "review (not scheduled)"}.get(
                    k, k
                )
                for k in skipped
            )
            + "."
        )
    return Reply(text=" ".join(parts), card=kept.card(incident))
