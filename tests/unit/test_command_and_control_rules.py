"""Who may act inside a declared incident, and who qualifies to chair (plan 2.3, 3.4, 3.9,
3.17, 3.25, 4.3): every rule allowed and refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rules import action_chasing
from rules.command_and_control import (
    erco_needed,
    may_change_level,
    may_escalate_directly,
    may_log_engagement,
    may_organise,
    may_record_erco,
    may_record_strategy,
    qualified_chair,
)
from rules.engagement import not_yet_engaged
from rules.impact import Level
from rules.roles import Actor, Grant, Role

GAS = "Gas and Electrical"


def person(name: str, *grants: Grant) -> Actor:
    return Actor(name, frozenset(grants))


HEAD = person("hana", Grant(Role.HEAD_OF_IMT))
IMT = person("ian", Grant(Role.IMT))
FTL = person("fatima", Grant(Role.FTL, GAS))
OTHER_FTL = person("tom", Grant(Role.FTL, "Toys and Childcare"))
DD_TARGETING = person("david", Grant(Role.DEPUTY_DIRECTOR, "Targeting"))
DCE_EVIDENCE = person("erin", Grant(Role.DEPUTY_CHIEF_EXECUTIVE, "Evidence"))
# 3.4 names two posts; a deputy director who works in Evidence holds neither.
DD_EVIDENCE = person("eve", Grant(Role.DEPUTY_DIRECTOR, "Evidence"))
DCE_TARGETING = person("tim", Grant(Role.DEPUTY_CHIEF_EXECUTIVE, "Targeting"))
DD_GAS = person("gita", Grant(Role.DEPUTY_DIRECTOR, GAS))
DD_PLAIN = person("dan", Grant(Role.DEPUTY_DIRECTOR))
SCS = person("sara", Grant(Role.SCS))
NOBODY = person("olly")


@pytest.mark.parametrize(
    ("chair", "ok"),
    [
        (DD_TARGETING, True),  # the Deputy Director, Targeting
        (DCE_EVIDENCE, True),  # the Deputy Chief Executive, Evidence
        (DD_GAS, False),
        (DD_PLAIN, False),
        (HEAD, False),
        (SCS, False),
    ],
)
def test_scg_chair_is_dce_evidence_or_dd_targeting(chair: Actor, ok: bool) -> None:
    qualified, who = qualified_chair("scg", chair, GAS)
    assert qualified is ok
    assert "Targeting" in who and "3.4" in who


@pytest.mark.parametrize(
    ("chair", "ok"),
    [
        (DD_GAS, True),  # the deputy director for the function
        (FTL, True),  # their FTL deputy
        (OTHER_FTL, False),  # an FTL for another area
        (DD_TARGETING, False),
        (IMT, False),
    ],
)
def test_tcg_chair_is_the_functions_deputy_director_or_ftl(chair: Actor, ok: bool) -> None:
    qualified, who = qualified_chair("tcg", chair, GAS)
    assert qualified is ok
    assert GAS in who and "3.9" in who


@pytest.mark.parametrize(
    ("actor", "ok"),
    [(IMT, True), (HEAD, True), (DD_PLAIN, True), (FTL, False), (SCS, False), (NOBODY, False)],
)
def test_who_may_mobilise_groups_and_name_chairs(actor: Actor, ok: bool) -> None:
    decision = may_organise(actor)
    assert bool(decision) is ok
    assert "IMT" in decision.who_may


@pytest.mark.parametrize(
    ("actor", "scg_chair", "ok"),
    [
        (DD_TARGETING, "david", True),  # the SCG chair
        (DD_PLAIN, None, True),
        (IMT, None, True),  # IMT as the SCG's secretariat
        (FTL, None, False),
        (SCS, None, False),
        (NOBODY, "david", False),
        (person("olly"), "olly", True),  # named SCG chair with a justification
    ],
)
def test_who_may_record_the_strategy(actor: Actor, scg_chair: str | None, ok: bool) -> None:
    decision = may_record_strategy(actor, scg_chair)
    assert bool(decision) is ok
    assert "SCG chair" in decision.who_may


@pytest.mark.parametrize(
    ("actor", "scg_chair", "ok"),
    [
        (IMT, None, True),
        (DD_PLAIN, None, True),
        (person("olly"), "olly", True),
        (FTL, None, False),
        (SCS, None, False),
        (NOBODY, None, False),
    ],
)
def test_who_may_record_erco(actor: Actor, scg_chair: str | None, ok: bool) -> None:
    assert bool(may_record_erco(actor, scg_chair)) is ok


@pytest.mark.parametrize(
    ("actor", "consulted", "ok"),
    [
        (HEAD, DD_TARGETING, True),
        (HEAD, None, False),  # a deputy director must be consulted
        (HEAD, SCS, False),  # an SCS is not a deputy director
        (person("hana", Grant(Role.HEAD_OF_IMT), Grant(Role.DEPUTY_DIRECTOR)), None, False),
        (IMT, DD_TARGETING, False),  # IMT, not its head
        (DD_PLAIN, DD_TARGETING, False),
        (FTL, DD_TARGETING, False),
    ],
)
def test_only_the_head_of_imt_escalates_directly_having_consulted_a_dd(
    actor: Actor, consulted: Actor | None, ok: bool
) -> None:
    decision = may_escalate_directly(actor, consulted)
    assert bool(decision) is ok
    assert "Head of IMT" in decision.who_may and "2.3" in decision.who_may


def test_the_consulted_deputy_director_is_someone_else() -> None:
    both = person("hana", Grant(Role.HEAD_OF_IMT), Grant(Role.DEPUTY_DIRECTOR))
    assert not may_escalate_directly(both, both)


@pytest.mark.parametrize(
    ("actor", "imt_lead", "ok"),
    [
        (HEAD, None, True),
        (IMT, "ian", True),  # the incident's IMT lead
        (IMT, "hana", False),  # IMT, but not its lead
        (DD_PLAIN, None, False),
        (person("olly"), "olly", False),  # named lead without the IMT role
        (FTL, None, False),
    ],
)
def test_who_may_change_the_level(actor: Actor, imt_lead: str | None, ok: bool) -> None:
    decision = may_change_level(actor, imt_lead)
    assert bool(decision) is ok
    assert "3.25" in decision.who_may


@pytest.mark.parametrize(
    ("actor", "members", "ok"),
    [
        (IMT, (), True),
        (SCS, (), True),
        (FTL, (), True),
        (NOBODY, ("olly",), True),  # a member of one of the incident's groups
        (NOBODY, ("fatima",), False),
    ],
)
def test_who_may_log_engagement(actor: Actor, members: tuple[str, ...], ok: bool) -> None:
    assert bool(may_log_engagement(actor, members)) is ok


def test_erco_is_needed_for_high_or_critical_until_engaged() -> None:
    assert erco_needed(Level.HIGH, False) and erco_needed(Level.CRITICAL, False)
    assert not erco_needed(Level.HIGH, True)
    assert not erco_needed(Level.MEDIUM, False) and not erco_needed(None, False)


DUE = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
LEADS = (timedelta(hours=24), timedelta(hours=2))


def test_action_steps_are_the_reminders_then_overdue() -> None:
    steps = action_chasing.steps(DUE, LEADS)
    assert [(s.name, s.at) for s in steps] == [
        ("remind_1440", DUE - timedelta(hours=24)),
        ("remind_120", DUE - timedelta(hours=2)),
        ("overdue", DUE),
    ]


def test_a_reminder_already_past_when_assigned_is_not_chased() -> None:
    assigned = DUE - timedelta(hours=3)  # the 24-hour reminder was before it existed
    assert action_chasing.next_after(DUE, LEADS, assigned) == DUE - timedelta(hours=2)
    due = action_chasing.due_between(DUE, LEADS, assigned, DUE + timedelta(minutes=1))
    assert [s.name for s in due] == ["remind_120", "overdue"]
    assert action_chasing.next_after(DUE, LEADS, DUE) is None


def test_reminder_leads_are_configurable() -> None:
    assert action_chasing.parse_leads("48h, 90m,1d") == (
        timedelta(hours=48),
        timedelta(minutes=90),
        timedelta(days=1),
    )
    with pytest.raises(ValueError, match="like 24h"):
        action_chasing.parse_leads("soon")


def test_partners_not_yet_engaged_ignore_case() -> None:
    assert not_yet_engaged(["HSE", "Defra", "MHRA"], ["hse", "Ofcom"]) == ["Defra", "MHRA"]
