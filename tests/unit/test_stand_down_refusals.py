"""Every refusal of the stand-down rules (``rules/stand_down.py``) and of the commands that use
them (de-escalation proposed and approved, the level lowered, the incident closed), read as a
person reads it: whole sentences that say why and who may (issue 20, item 6)."""

from __future__ import annotations

from commands.core.context import refusal_sentence
from rules.roles import Actor, Grant, Role
from rules.stand_down import Approver, CommandTeam, approval_role, tcg_who
from storage.unit_of_work import Database
from tests.conftest import Driver
from tests.fakes.stand_down import de_escalate, open_actions, plan
from tests.fakes.steps import INC, declare, ok

SCG_VIEW = "--scg 'David Osei (SCG chair) consulted by phone: agrees'"
CLOSE = f'close {INC} --reason "Normal" --review "2026-12-15 10:00"'


def said(bot: Driver, user: str, text: str) -> str:
    reply = bot.cmd(user, text)
    assert not reply.ok, reply.text
    return reply.text


FTL = "You hold: Functional Team Leader (Gas and Electrical)."
CLOSED = (
    "The incident is closed (INC-2026-001, Mon 23 Nov 2026 09:30 GMT): /opss {verb} no longer "
    "changes it, so nothing was recorded. The plan has no re-opening of a closed incident: if "
    "the hazard returns, raise a new issue with /opss raise and section 2 applies again. Its "
    "lessons and review stay open until the review is signed off: /opss lesson INC-2026-001, "
    "/opss review INC-2026-001."
)
APPROVERS = (
    "Only IMT (the incident's IMT lead, Hana Patel, or the Head of IMT) and the TCG chair "
    "(Fatima Khan), one approval each (3.26), may {action} INC-2026-001."
)
TWICE = (
    "You have already given IMT's approval; the TCG chair's approval must come from someone "
    "else (3.26: two approvals, from two people)."
)
CHANGE_LEVEL = (
    "Only the Head of IMT or the incident's IMT lead (3.25), or, to lower it, IMT (the "
    "incident's IMT lead or the Head of IMT) and the TCG chair, in consultation with the SCG "
    "(3.26), may change the level of INC-2026-001."
)


def test_every_refusal_of_a_de_escalation_reads_as_sentences(bot: Driver, db: Database) -> None:
    declare(bot, "--level strategic --exercise --tcg-chair fatima")
    propose = (
        "Only IMT, who develop the Incident De-escalation Plan (3.27), may propose the "
        f"de-escalation of INC-2026-001. {FTL}"
    )
    assert said(bot, "fatima", f"deescalate {INC}") == propose
    assert plan(bot, user="fatima").text == propose  # type: ignore[attr-defined]
    assert said(bot, "hana", f"deescalate {INC} approve") == (
        "INC-2026-001 has no de-escalation plan awaiting approval; propose one with "
        "/opss deescalate INC-2026-001."
    )
    bad = {
        "Monitor complaints, fatima, next week": "Residual activities, line 1: 'Monitor "
        "complaints, fatima, next week' is not what | owner | due (one a line: what | owner | "
        "due date, e.g. Monitor complaints | fatima | 2026-12-18).",
        "Monitor | nobody | 2026-12-18": "Residual activities, line 1: no user 'nobody' is known.",
        "Monitor | fatima | 2026-11-01": "Residual activities, line 1: the due date 2026-11-01 "
        "has passed.",
        "Monitor | fatima | someday": "Residual activities, line 1: 'someday 17:00' is not a "
        "date and time; use YYYY-MM-DD HH:MM (Europe/London), for example 2026-11-24 10:00.",
    }
    for residual, text in bad.items():
        assert plan(bot, residual=residual).text == text  # type: ignore[attr-defined]
    assert plan(bot, to_level="strategic").text == (  # type: ignore[attr-defined]
        "De-escalate to: 'strategic' is not one of the options (tactical, operational, normal)."
    )
    ok(plan(bot))  # type: ignore[arg-type]
    assert plan(bot).text == (  # type: ignore[attr-defined]
        "INC-2026-001 already has a de-escalation plan awaiting approval (IMT: awaited; TCG "
        "chair: awaited). Approve it with /opss deescalate INC-2026-001 approve."
    )
    assert said(bot, "olly", f"deescalate {INC} approve") == (
        "Only members of the incident's channel, its command team, the FTLs of its functional "
        "area and of the teams contributing to its sitreps, IMT, and senior civil servants may "
        "see INC-2026-001. You hold: no roles."
    )
    assert said(bot, "sara", f"deescalate {INC} approve") == (
        APPROVERS.format(action="approve the de-escalation of")
        + " You hold: senior civil servant (SCS)."
    )
    ok(bot.cmd("hana", f"deescalate {INC} approve"))
    # The reply that was garbled: the same person approving twice.
    assert said(bot, "hana", f"deescalate {INC} approve") == TWICE
    assert said(bot, "fatima", f"deescalate {INC} withdraw") == (
        "Only IMT, who develop the Incident De-escalation Plan (3.27), may withdraw the "
        f"de-escalation plan of INC-2026-001. {FTL}"
    )
    assert said(bot, "hana", CLOSE) == (
        "INC-2026-001 has not returned to normal operations. That decision is taken by IMT and "
        "the chair of the TCG in consultation with the SCG (3.26): IMT proposes it with "
        "/opss deescalate INC-2026-001 --to normal, IMT (the IMT lead or the Head of IMT) and "
        "the TCG chair each approve, and then IMT closes the incident."
    )
    ok(bot.cmd("fatima", f"deescalate {INC} approve"))
    assert said(bot, "ian", f"reescalate {INC} --reason x") == (
        "Only the incident's IMT lead (Hana Patel), the Head of IMT or a deputy director or "
        "higher (3.25) may re-escalate INC-2026-001. You hold: IMT member."
    )


def test_every_refusal_of_lowering_the_level_reads_as_sentences(bot: Driver) -> None:
    declare(bot, "--level strategic --exercise --tcg-chair fatima")
    for user, held in (("sara", "senior civil servant (SCS)"), ("ian", "IMT member")):
        text = said(bot, user, f"level {INC} medium --rationale r {SCG_VIEW}")
        assert text == f"{CHANGE_LEVEL} You hold: {held}."
    assert said(bot, "hana", f"level {INC} medium --rationale r") == (
        "SCG consultation: lowering the level is decided by IMT and the chair of the TCG in "
        "consultation with the SCG (3.26); say who in the SCG was consulted, when, and their "
        'view (--scg "...").'
    )
    assert said(bot, "hana", f"level {INC} critical --rationale r") == (
        "New level: INC-2026-001 is already Critical."
    )
    nothing = (
        "INC-2026-001 has no lowering of its level awaiting approval, so there is nothing to "
        "approve; propose one with /opss level INC-2026-001 <level> --rationale .. --scg .."
    )
    assert said(bot, "hana", f"level {INC} approve") == nothing
    ok(bot.cmd("hana", f"level {INC} medium --rationale r {SCG_VIEW}"))
    assert said(bot, "hana", f"level {INC} approve") == TWICE
    assert said(bot, "hana", f"level {INC} low --rationale r {SCG_VIEW}") == (
        "INC-2026-001 already has a lowering to Medium awaiting approval; approve it with "
        "/opss level INC-2026-001 approve, or withdraw it with /opss level INC-2026-001 "
        "withdraw."
    )
    assert said(bot, "sara", f"level {INC} withdraw") == (
        APPROVERS.format(action="withdraw the lowering of")
        + " You hold: senior civil servant (SCS)."
    )
    ok(bot.cmd("fatima", f"level {INC} approve"))
    assert said(bot, "hana", f"level {INC} approve") == nothing


def test_every_refusal_of_closing_reads_as_sentences(bot: Driver, db: Database) -> None:
    declare(bot, "--level strategic --exercise --tcg-chair fatima")
    de_escalate(bot, to="normal")
    assert said(bot, "ian", CLOSE) == (
        "Only the incident's IMT lead (Hana Patel) or the Head of IMT, for IMT, once the return "
        "to normal is decided (3.20, 3.26), may close INC-2026-001. You hold: IMT member."
    )
    [action] = open_actions(db)
    assert said(bot, "hana", CLOSE) == (
        f"Open actions: {action} must be done, or each handed over with a reason (one a line: "
        "ACT-2026-0001: to whom and why), before the incident closes."
    )
    no_review = bot.submit(
        "hana", {"form": "close_incident", "reference": INC, "rationale": "Normal"}
    )
    assert not no_review.ok and no_review.errors["review_date"] == (
        "Post-incident review: date (5.1): give a date"
    )
    assert said(bot, "hana", f"deescalate {INC}") == "INC-2026-001 is already at normal operations."
    ok(bot.cmd("fatima", f"done {action}"))
    ok(bot.cmd("hana", CLOSE))
    for verb, text in (
        ("close", CLOSE),
        ("deescalate", f"deescalate {INC}"),
        ("level", f"level {INC} low"),
    ):
        assert said(bot, "hana", text) == CLOSED.format(verb=verb)


def test_the_approval_already_given_by_someone_else_says_whose_is_awaited() -> None:
    team = CommandTeam(
        imt_lead="ian",
        tcg_chair="fatima",
        names=(("ian", "Ian Brooks"), ("fatima", "Fatima Khan")),
    )
    head = Actor("hana", frozenset({Grant(Role.HEAD_OF_IMT)}), shown="Hana Patel")
    refused, role = approval_role(head, team, [(Approver.IMT, "ian")])
    assert not refused and role is None
    assert refused.why == (
        "IMT's approval is already given, by Ian Brooks; the TCG chair's approval is awaited, "
        "from the TCG chair (Fatima Khan) (3.26)."
    )
    assert refusal_sentence(refused.who_may, "approve the de-escalation of INC-2026-001") == (
        "Only IMT (the incident's IMT lead, Ian Brooks, or the Head of IMT) and the TCG chair "
        "(Fatima Khan), one approval each (3.26), may approve the de-escalation of INC-2026-001."
    )
    nobody = CommandTeam(imt_lead="ian")
    assert tcg_who(nobody) == "the TCG chair (none is named on the incident yet)"
