"""The guidance's notification rules through the engine, on a real database: what is stored,
what the exported form says, what the scheduler posts. Each test is named after the paragraph
it enforces and quotes it (``guidance_says`` checks the quotation is in the seed)."""

from __future__ import annotations

import io
from datetime import timedelta

from docx import Document
from sqlalchemy import select

from bot.app import notification_options
from bot.config import Settings
from commands.core.clock import ManualClock
from commands.core.due import tick
from commands.notification.export import export_file
from storage.models import Firing, Notification, OutboxMessage, RiskAssessment
from storage.unit_of_work import Database
from tests.conftest import Driver, row_counts
from tests.fakes.annex_v import read_docx
from tests.fakes.downloads import fetch
from tests.fakes.guidance import domain_says, guidance_says
from tests.fakes.steps import declare, ok, raise_issue
from tests.unit.test_notifications import db_person

ARTICLE_11 = "Regulation 33(2) notification (Article 11 of Directive 2001/95/EC)"
ARTICLE_12 = "Regulation 33(4) RAPEX notification (Article 12 of Directive 2001/95/EC)"


def row(db: Database, reference: str) -> Notification:
    with db.read() as s:
        found = s.scalar(select(Notification).where(Notification.reference == reference))
        assert found is not None
        s.expunge(found)
        return found


def paragraphs(bot: Driver, clock: ManualClock, nref: str) -> list[str]:
    link = ok(bot.cmd("fatima", f"notify {nref} export docx")).card.links[0][1]  # type: ignore[union-attr]
    content = fetch(bot.engine.db, link, clock.now()).content
    return [p.text for p in Document(io.BytesIO(content)).paragraphs]


def notify(bot: Driver, text: str) -> str:
    return ok(bot.cmd("fatima", f"notify {text}")).text.split()[0]


def test_guidance_annex_ii_for_reg33_2_a_toy_under_compulsory_measures_ticks_article_11(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    """Section 3: Reg 33(2) notifications "should be made using the form provided at Annex II";
    the form's types: "Regulation 33(2) notification (Article 11 of Directive 2001/95/EC)"."""
    guidance_says("These notifications should be made using the form provided at Annex II")
    ref = raise_issue(bot)
    nref = notify(bot, f"{ref} reg33_2 --trigger 2026-11-23 --product toy --measures compulsory")
    assert row(db, nref).annex == "II"
    lines = paragraphs(bot, clock, nref)
    assert f"[X] {guidance_says(ARTICLE_11)}" in lines
    assert f"[ ] {guidance_says(ARTICLE_12)}" in lines


def test_guidance_part_one_the_safeguard_procedure_needs_the_ce_marking_and_a_new_toy(
    bot: Driver, db: Database
) -> None:
    """Section 2, 'Part One': "The safeguard procedure does not apply in the case of toys which
    do not bear the CE marking or toys which are second-hand." Annex VI is the dual
    RAPEX/safeguard form, so such a toy's RAPEX notification goes on Annex II."""
    guidance_says("toys which do not bear the CE marking or toys which are second-hand.")
    ref = raise_issue(bot)
    toy = f"{ref} rapex --trigger 2026-11-23 --product toy --measures compulsory"
    assert safeguard_annexes(bot, db, toy) == ["II", "VI", "II"]


def safeguard_annexes(bot: Driver, db: Database, toy: str) -> list[str]:
    """The safeguard questions must be answered (nothing is stored until they are); then the
    annexes of a used toy, a new CE-marked one and one without the marking."""
    before = row_counts(db)
    unasked = bot.cmd("fatima", f"notify {toy}")
    assert not unasked.ok and unasked.text.startswith("CE marked:")
    assert row_counts(db) == before
    used = notify(bot, f"{toy} --ce-marked yes --second-hand yes")
    new = notify(bot, f"{toy} --ce-marked yes --second-hand no")
    unmarked = notify(bot, f"{toy} --ce-marked no --second-hand no")
    return [row(db, r).annex for r in (used, new, unmarked)]


def test_guidance_part_one_annex_vi_cannot_go_out_without_a_ground_of_article_7(
    bot: Driver, db: Database
) -> None:
    """Annex VI, Part 1: "Failure to meet essential requirements ... (Article 7 (1) (a)",
    "Incorrect application of the standards (Article 7 (1) (b)", "Shortcomings in the standards
    (Article 7 (1) (c)": the safeguard notification is the ground and its reasons."""
    guidance_says("Shortcomings in the standards (Article 7 (1) (c):")
    ref = raise_issue(bot)
    nref = notify(
        bot,
        f"{ref} rapex --trigger 2026-11-23 --product toy --measures compulsory "
        "--ce-marked yes --second-hand no",
    )
    refused = bot.cmd("fatima", f"notify {nref} sent")
    assert not refused.ok and refused.text.count("Article 7(1)") == 3
    card = dict(ok(bot.cmd("fatima", f"notify {nref} show")).card.facts)  # type: ignore[union-attr]
    ok(
        bot.submit(
            "fatima",
            {
                "form": "annex",
                "reference": nref,
                "step": "1",
                "p1_incorrect": "Small parts test of EN 71-1 applied to the wrong age group",
            },
        )
    )
    after = dict(ok(bot.cmd("fatima", f"notify {nref} show")).card.facts)  # type: ignore[union-attr]
    assert int(card["Blank boxes"]) - int(after["Blank boxes"]) == 3
    still = bot.cmd("fatima", f"notify {nref} sent")
    assert not still.ok and "Article 7(1)" not in still.text
    assert row(db, nref).status == "open"


def test_guidance_section_6_a_revocation_follows_the_measure_it_revokes(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    """Section 6, 'Decisions to Revoke, Vary or Amend the Measures Adopted': "All such decisions
    must be notified to the national contact point within 5 calendar days." — as the measure was
    notified: a Reg 33(2) measure's revocation ticks Article 11; one notified outside the bot
    names its reference and how it was notified."""
    guidance_says("All such decisions must be notified to the national contact point within 5")
    ref = raise_issue(bot)
    measure = notify(bot, f"{ref} reg33_2 --trigger 2026-11-20")
    revoked = notify(bot, f"{ref} revocation --trigger 2026-11-23 --changes {measure}")
    stored = row(db, revoked)
    assert (stored.changes_kind, stored.annex) == ("reg33_2", "II")
    lines = paragraphs(bot, clock, revoked)
    assert f"[X] {ARTICLE_11}" in lines and f"[ ] {ARTICLE_12}" in lines
    before = row_counts(db)
    outside = f"{ref} revocation --trigger 2026-11-23 --changes UK/2025/0042"
    unsaid = bot.cmd("fatima", f"notify {outside}")
    assert not unsaid.ok and unsaid.text.startswith("Changes kind:")
    assert row_counts(db) == before
    theirs = notify(bot, f"{outside} --changes-kind reg33_4")
    stored = row(db, theirs)
    assert (stored.changes_id, stored.changes_text, stored.changes_kind) == (
        None,
        "UK/2025/0042",
        "reg33_4",
    )
    lines = paragraphs(bot, clock, theirs)
    assert f"[X] {ARTICLE_12}" in lines and f"[ ] {ARTICLE_11}" in lines
    # Section 6 is of "the Measures Adopted": a serious risk told "before deciding to adopt
    # measures" (section 2, 'Other Actions') has none to revoke.
    guidance_says("Decisions to Revoke, Vary or Amend the Measures Adopted")
    guidance_says("inform of the existence of serious risks before deciding to adopt measures")
    advance = notify(bot, f"{ref} other_actions --trigger 2026-11-20 --occasion before_measures")
    before = row_counts(db)
    none = bot.cmd("fatima", f"notify {ref} revocation --trigger 2026-11-23 --changes {advance}")
    assert not none.ok and "no measure to revoke" in none.text
    assert row_counts(db) == before


def test_guidance_section_6_an_outside_toy_measure_is_revoked_on_the_form_it_was_notified(
    bot: Driver, db: Database
) -> None:
    """Section 6: "All such decisions must be notified to the national contact point within 5
    calendar days." A toy's RAPEX measure under compulsory measures went on Annex VI only if
    "the toy bears the CE marking" ('Part One'; "The safeguard procedure does not apply in the
    case of toys which do not bear the CE marking or toys which are second-hand."), so the
    revocation of one notified outside the bot asks the same, and goes on the same form."""
    guidance_says("All such decisions must be notified to the national contact point within 5")
    guidance_says("toys which do not bear the CE marking or toys which are second-hand.")
    ref = raise_issue(bot)
    outside = (
        f"{ref} revocation --trigger 2026-11-23 --changes UK/2025/0042 --changes-kind reg33_4 "
        "--product toy --measures compulsory"
    )
    assert safeguard_annexes(bot, db, outside) == ["II", "VI", "II"]


def test_guidance_annex_iv_section_6_only_when_owed_and_its_timetable_chased(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    """Annex IV: "COMPANIES SHOULD COMPLETE AND SEND SECTION 6 IN CASE OF A SERIOUS RISK OR WHEN
    THE PRODUCER/DISTRIBUTOR OPTS TO SUBMIT THE NOTIFICATION ONLY TO THE AUTHORITY OF THE MEMBER
    STATE IN WHICH THEY ARE ESTABLISHED"; section 4: "A timetable for collecting the missing
    information should be transmitted at the same time the first notification is made.\""""
    guidance_says("COMPANIES SHOULD COMPLETE AND SEND SECTION 6 IN CASE OF A SERIOUS RISK OR WHEN")
    guidance_says("A timetable for collecting the missing information should be transmitted")
    ref = raise_issue(bot)
    first = {
        "s1_authority": "Hampshire TS",
        "s1_companies": "B&Q plc (importer)",
        "s2_producer": "B&Q plc",
        "s2_contact": "Product safety manager",
    }
    second = {
        k: f"value of {k}"
        for k in ("s3_product", "s3_description", "s4_hazard", "s4_accidents", "s5_actions")
    }

    def filled(nref: str) -> None:
        for step, values in ((1, first), (2, second)):
            data = {"form": "annex", "reference": nref, "step": str(step), **values}
            ok(bot.submit("fatima", data))

    unsaid = bot.cmd("fatima", f"notify {ref} reg9 --trigger 2026-11-23")
    assert not unsaid.ok and unsaid.text.startswith("Section 6:")
    neither = notify(bot, f"{ref} reg9 --trigger 2026-11-23 --section6 no")
    filled(neither)
    ok(bot.cmd("fatima", f"notify {neither} sent"))  # no timetable asked
    facts = dict(ok(bot.cmd("fatima", f"notify {neither} show")).card.facts)  # type: ignore[union-attr]
    assert facts["Section 6"].startswith("not owed")
    assert not bot.cmd("fatima", f"notify {neither} form 3").ok
    assert row(db, neither).next_run_at is None

    home = notify(bot, f"{ref} reg9 --trigger 2026-11-23 --section6 home_only")
    filled(home)
    assert not bot.cmd("fatima", f"notify {home} sent").ok  # the timetable is owed
    ok(bot.cmd("fatima", f"notify {home} sent --section6-due 2026-11-25"))
    engine = bot.engine
    clock.advance(timedelta(days=1))  # 24 Nov: within the timetable
    assert tick(engine.db, clock, engine.options).posted == 0
    clock.advance(timedelta(days=1, hours=15))  # 26 Nov 00:30 London: section 6 is late
    assert tick(engine.db, clock, engine.options).posted == 1
    assert tick(engine.db, clock, engine.options).posted == 0  # chased once
    with db.read() as s:
        chases = [
            (m.conversation, m.payload["text"])
            for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            if m.payload.get("text", "").startswith("Section 6 of")
        ]
        steps = [f.step for f in s.scalars(select(Firing))]
    # IMT, where it is followed, and its owner directly.
    fatima = db_person(db, "fatima")
    assert {c for c, _ in chases} == {"imt", "channel:general", f"person:{fatima}"}
    assert "its timetable said by Wed 25 Nov 2026" in chases[0][1]
    assert steps == ["section6"]


def test_guidance_section_2_a_serious_risk_before_measures_is_for_information_only(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    """Section 2: "enforcement authorities might, if they submit any such advance notifications,
    wish to make it clear that these are for information only and not for publication prior to
    a measure in the UK having been taken." """
    quoted = guidance_says(
        "for information only and not for publication prior to a measure in the UK having been "
        "taken"
    )
    ref = raise_issue(bot)
    unsaid = bot.cmd("fatima", f"notify {ref} other_actions --trigger 2026-11-23")
    assert not unsaid.ok and unsaid.text.startswith("Occasion:")
    advance = notify(bot, f"{ref} other_actions --trigger 2026-11-23 --occasion before_measures")
    batch = notify(bot, f"{ref} other_actions --trigger 2026-11-23 --occasion batch_withdrawn")
    assert row(db, advance).information_only == "before_measures"
    assert row(db, batch).information_only == ""
    assert row(db, advance).next_run_at is not None  # its 10-day clock still runs
    lines = paragraphs(bot, clock, advance)
    assert any(quoted.lower() in line.lower() for line in lines)
    assert not any(quoted.lower() in line.lower() for line in paragraphs(bot, clock, batch))


def test_guidance_section_3_a_uk_only_reg33_2_need_not_be_made_and_is_not_chased(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    """Section 3: "If the enforcement authority considers that the effects of the risk do not, or
    cannot, go beyond the UK a notification need not be made, though an authority may still feel
    that some information on the case would be of value to the Commission and to other Member
    States." """
    guidance_says("go beyond the UK a notification need not be made, though an authority may")
    ref = raise_issue(bot)
    reply = ok(bot.cmd("fatima", f"notify {ref} reg33_2 --trigger 2026-11-23 --uk-only yes"))
    nref = reply.text.split()[0]
    assert "need not be made" in reply.text
    # Each sentence ends before the next begins, and the caveat is said once.
    assert f"/opss notify {nref} form. For information only" in reply.text
    shown = ok(bot.cmd("fatima", f"notify {nref} show"))
    card = " ".join(f"{k} {v}" for k, v in (shown.card.facts if shown.card else ()))
    assert card.count("For information only") == 1, card
    assert row(db, nref).information_only == "uk_only" and row(db, nref).next_run_at is None
    clock.advance(timedelta(days=30))
    assert tick(bot.engine.db, clock, bot.engine.options).posted == 0
    refused = bot.cmd(
        "fatima", f"notify {ref} reg9 --trigger 2026-11-23 --section6 no --uk-only yes"
    )
    assert not refused.ok and refused.text.startswith("Effects beyond the UK:")


def test_guidance_section_2_the_risk_assessment_asks_whether_effects_go_beyond_the_uk(
    bot: Driver, db: Database
) -> None:
    """Section 2: "Measures and actions related to risks where the effects cannot go beyond the
    UK are excluded from the scope of RAPEX (though may still require some Safeguard action)."
    The question is asked, and the answer is kept with the assessment."""
    guidance_says("Measures and actions related to risks where the effects cannot go beyond the")
    ref = raise_issue(bot)
    data = {
        "form": "risk_annex",
        "reference": ref,
        "hazardous": "100",
        "exposure": "likely",
        "severity": "very_serious",
        "exposed": "very_vulnerable",
    }
    unasked = bot.submit("fatima", data)
    assert not unasked.ok and "beyond_uk" in unasked.errors
    ok(bot.submit("fatima", data | {"beyond_uk": "no"}))
    ok(bot.submit("fatima", data | {"beyond_uk": "yes"}))
    obvious = bot.submit("fatima", data | {"beyond_uk": "yes", "exposed": "adult_adequate_obvious"})
    assert not obvious.ok and obvious.text.startswith("Necessary for the function:")
    with db.read() as s:
        rows = list(s.scalars(select(RiskAssessment).order_by(RiskAssessment.version)))
    assert [r.inputs["beyond_uk"] for r in rows] == ["no", "yes"]
    assert all(r.serious for r in rows)
    assert "excluded from the scope of RAPEX" in rows[0].meaning
    assert "Reg 33(4) (RAPEX) notification is required" in rows[1].meaning


def test_domain_readiness_exercise_notifications_stay_out_of_the_live_register_and_figures(
    bot: Driver, db: Database
) -> None:
    """DOMAIN.md, 'Readiness (section 6)': "an incident can be an EXERCISE, marked as such
    everywhere it appears and kept out of live figures" — its notifications too (the plan's
    section 6 has exercises but says nothing of figures)."""
    domain_says("marked as such everywhere it appears and kept out of live figures.")
    declare(bot, "--exercise --level strategic")
    live = raise_issue(bot)
    # Both due Sat 28 Nov (10 days), within the figures' next 7 days.
    drill = notify(bot, "INC-2026-001 reg33_4 --trigger 2026-11-18")
    real = notify(bot, f"{live} reg33_4 --trigger 2026-11-18")
    register = ok(bot.cmd("ian", "notifications"))
    shown = [k.split(" · ")[0] for k, _ in register.card.facts]  # type: ignore[union-attr]
    assert shown == [real] and register.text == "1 notification."
    exercise = ok(bot.cmd("ian", "notifications exercise"))
    assert exercise.card.exercise  # type: ignore[union-attr]
    assert [k.split(" · ")[0] for k, _ in exercise.card.facts] == [drill]  # type: ignore[union-attr]
    home = bot.engine.home("local", "ian", "ian")
    assert [k.split(" · ")[0] for k, _ in home[-1].facts] == [real]
    figures = ok(bot.cmd("hana", "mi")).card
    assert figures is not None and "EXERCISE records left out" in figures.subtitle
    assert dict(figures.facts)["Notifications due within 7 days"] == "1"


def test_guidance_box_28_prints_the_configured_national_contact_point(
    bot: Driver, db: Database
) -> None:
    """Annex II box 28: "National contact point: (Email notification to):" — the label as the
    form words it, the address from OPSS_RAPEX_CONTACT_EMAIL and OPSS_RAPEX_CONTACT_DETAILS."""
    guidance_says("28. National contact point: (Email notification to):")
    settings = Settings(
        OPSS_RAPEX_CONTACT_EMAIL="opss.enquiries@businessandtrade.gov.uk",
        OPSS_RAPEX_CONTACT_DETAILS="Office for Product Safety and Standards (OPSS)",
    )
    contact = notification_options(settings)["national_contact_point"]
    ref = raise_issue(bot)
    nref = notify(bot, f"{ref} reg33_4 --trigger 2026-11-23")
    configured = read_docx(export_file(db, nref, "docx", "fatima", contact).content)
    unset = read_docx(export_file(db, nref, "docx", "fatima").content)
    label = "28. National contact point: (Email notification to)"
    assert configured[label] == (
        "opss.enquiries@businessandtrade.gov.uk. Office for Product Safety and Standards (OPSS)"
    )
    assert unset[label].startswith("RAPEX.unit@dti.gsi.gov.uk") and "as printed" in unset[label]
