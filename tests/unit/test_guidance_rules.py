"""The guidance's rules as pure functions, each test named after the paragraph it enforces and
quoting it (``guidance_says`` checks the quotation is in the seed word for word)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from cards.annex_export import NOTIFICATION_TYPES, filled_boxes
from cards.annex_forms import ANNEXES, CONTACT_LABEL, blank_boxes, contact_point, printed
from rules import risk
from rules.deadlines import Kind
from rules.notifications import (
    COMPULSORY,
    EXCLUDED,
    PRODUCT_TYPES,
    VOLUNTARY,
    annex_for,
    form_kind,
    information_only,
    information_only_note,
)
from tests.fakes.guidance import guidance_says, risk_tables_say

PRODUCTS = [k for k, _ in PRODUCT_TYPES if k not in EXCLUDED]
REACTIONS = {Kind.REACTION_EMERGENCY, Kind.REACTION_SERIOUS, Kind.REACTION_HOME_AUTHORITY}
RAPEX = {Kind.RAPEX, Kind.RAPEX_EMERGENCY, Kind.OTHER_ACTIONS}


def expected_annex(kind: Kind, product: str, measures: str, safeguard: bool) -> str:
    """The guidance's routing, written from its sentences (quoted in the tests below)."""
    if kind in REACTIONS:
        return "III"  # section 2 'Reactions': "using the Reaction form provided at Annex III"
    if kind is Kind.PRODUCER:
        return "IV"  # section 4: "the form at Annex IV"
    if kind in RAPEX and product == "toy" and measures == COMPULSORY and safeguard:
        return "VI"
    return "II"


CASES = [
    (kind, product, measures, safeguard)
    for kind in Kind
    if kind is not Kind.REVOCATION
    for product in PRODUCTS
    for measures in (VOLUNTARY, COMPULSORY)
    for safeguard in (True, False)
]


@pytest.mark.parametrize(("kind", "product", "measures", "safeguard"), CASES)
def test_guidance_annexes_by_kind_product_and_measure(
    kind: Kind, product: str, measures: str, safeguard: bool
) -> None:
    """Section 2: "RAPEX notification should be made using the form at Annex II." 'Notification
    for Toys': "There is a separate form for notifying the Commission via RAPEX about dangerous
    toys where there has been compulsory measures adopted by Member States (use general
    notification form where voluntary measures have been adopted)." 'Part One': "The safeguard
    procedure does not apply in the case of toys which do not bear the CE marking or toys which
    are second-hand." Section 3 (Reg 33(2)): "These notifications should be made using the form
    provided at Annex II"."""
    guidance_says("RAPEX notification should be made using the form at Annex II.")
    guidance_says("(use general notification form where voluntary measures have been adopted)")
    guidance_says("These notifications should be made using the form provided at Annex II")
    guidance_says("These 'reaction' notifications should be made using the Reaction form")
    guidance_says(
        "The safeguard procedure does not apply in the case of toys which do not bear the CE "
        "marking or toys which are second-hand."
    )
    got = annex_for(kind, product, measures, safeguard=safeguard)
    assert got == expected_annex(kind, product, measures, safeguard)


def test_guidance_annex_ii_for_reg33_2_even_for_a_toy_under_compulsory_measures() -> None:
    """Section 3: "These notifications should be made using the form provided at Annex II" and
    "Notifications made under Regulation 33(2) should be considered as additional to any
    Safeguard obligations." The form then ticks Article 11, not Article 12."""
    guidance_says(
        "Notifications made under Regulation 33(2) should be considered as additional to any "
        "Safeguard obligations."
    )
    annex = annex_for(Kind.REG33_2, "toy", COMPULSORY)
    assert annex == "II"
    form = filled_boxes(ANNEXES[annex], {}, chemical=False, kind=Kind.REG33_2)
    ticked = [label for chosen, label in form.types if chosen]
    assert ticked == [
        guidance_says("Regulation 33(2) notification (Article 11 of Directive 2001/95/EC)")
    ]


def test_guidance_a_serious_risk_before_measures_goes_on_annex_ii() -> None:
    """Section 2 'Other Actions': "Enforcement authorities may also inform of the existence of
    serious risks before deciding to adopt measures": before a measure there is no compulsory
    measure for Annex VI's safeguard part; a batch withdrawn under compulsory measures is one."""
    guidance_says(
        "Enforcement authorities may also inform of the existence of serious risks before "
        "deciding to adopt measures or take action"
    )
    before = annex_for(Kind.OTHER_ACTIONS, "toy", COMPULSORY, occasion="before_measures")
    batch = annex_for(Kind.OTHER_ACTIONS, "toy", COMPULSORY, occasion="batch_withdrawn")
    assert (before, batch) == ("II", "VI")


@pytest.mark.parametrize(
    ("kind", "annex", "ticked"),
    [
        (Kind.REG33_2, "II", "Regulation 33(2) notification (Article 11 of Directive 2001/95/EC)"),
        (
            Kind.RAPEX,
            "II",
            "Regulation 33(4) RAPEX notification (Article 12 of Directive 2001/95/EC)",
        ),
        (Kind.RAPEX_EMERGENCY, "II", "Requiring emergency action from Member States"),
        (Kind.RAPEX, "VI", "Notification under Article 12 of Directive 2001/95/EC"),
        (Kind.RAPEX_EMERGENCY, "VI", "requiring emergency action"),
    ],
)
def test_guidance_section_2_an_x_next_to_the_type(kind: Kind, annex: str, ticked: str) -> None:
    """Section 2: "it should be clear what type of notification you will be completing – Article
    11, Article 12 or requiring emergency action. Please place an X next to the appropriate
    description." Exactly one type is ticked, the one the kind is."""
    guidance_says("Please place an X next to the appropriate description.")
    form = filled_boxes(ANNEXES[annex], {}, chemical=False, kind=kind)
    chosen = [label for x, label in form.types if x]
    assert len(chosen) == 1 and ticked in chosen[0]


@pytest.mark.parametrize("annex", sorted(NOTIFICATION_TYPES))
def test_guidance_annexes_ii_and_vi_each_type_as_the_form_words_it(annex: str) -> None:
    """Annex II: "Regulation 33(2) notification (Article 11 of Directive 2001/95/EC)" and its
    two other types; Annex VI: "Notification under Article 12 of Directive 2001/95/EC) on General
    Product Safety ..." (the form's stray parenthesis aside). The types printed are the form's
    own, every one of them."""
    printed_types = [
        label
        for _, label in filled_boxes(ANNEXES[annex], {}, chemical=False, kind=Kind.RAPEX).types
    ]
    assert len(printed_types) == {"II": 3, "VI": 2}[annex]
    for label in printed_types:
        guidance_says(label.replace("2001/95/EC on", "2001/95/EC) on"))


@pytest.mark.parametrize("measure", [Kind.REG33_2, Kind.RAPEX, Kind.RAPEX_EMERGENCY])
def test_guidance_section_6_a_revocation_is_ticked_as_the_measure_it_revokes(
    measure: Kind,
) -> None:
    """Section 6, 'Decisions to Revoke, Vary or Amend the Measures Adopted': "All such decisions
    must be notified to the national contact point within 5 calendar days." The decision is
    about the measure adopted, so it is notified as that measure was."""
    guidance_says("All such decisions must be notified to the national contact point within 5")
    kind = form_kind(Kind.REVOCATION, measure.value)
    assert kind is measure
    revocation = filled_boxes(ANNEXES["II"], {}, chemical=False, kind=kind).types
    original = filled_boxes(ANNEXES["II"], {}, chemical=False, kind=measure).types
    assert revocation == original and sum(x for x, _ in revocation) == 1


def test_guidance_annex_vi_part_1_needs_a_ground_of_article_7() -> None:
    """Section 2, 'Part One': Member States "must then notify the European Commission of the
    enforcement action when the non-compliance relates to safety and the toy bears the CE
    marking"; Part 1 names the grounds: "Failure to meet essential requirements ... (Article 7
    (1) (a)", "Incorrect application of the standards (Article 7 (1) (b)", "Shortcomings in the
    standards (Article 7 (1) (c)"."""
    guidance_says("Incorrect application of the standards (Article 7 (1) (b):")
    vi = ANNEXES["VI"]
    empty = {b.number + b.label for b in blank_boxes(vi, {}, chemical=False)}
    assert sum("Article 7(1)" in label for label in empty) == 3
    one = {"p1_incorrect": "EN 71-1 small parts test misapplied"}
    assert not any("Article 7(1)" in b.label for b in blank_boxes(vi, one, chemical=False))
    # A gap note is not a ground.
    noted = {"p1_essential_gap": "2026-12-01"}
    assert sum("Article 7(1)" in b.label for b in blank_boxes(vi, noted, chemical=False)) == 3


def test_guidance_box_28_national_contact_point_is_configuration() -> None:
    """Annex II box 28: "National contact point: (Email notification to): RAPEX.unit@dti.gsi.gov.uk"
    — the form's label is kept; what it names is configuration (the DTI unit is gone)."""
    guidance_says("28. National contact point: (Email notification to): RAPEX.unit@dti.gsi.gov.uk")
    assert CONTACT_LABEL == "National contact point: (Email notification to)"
    for code, number in (("II", "28"), ("III", "12"), ("VI", "27")):
        box = next(b for b in ANNEXES[code].boxes if b.auto == "contact_point")
        assert box.number == number and box.label == CONTACT_LABEL
        configured = contact_point("opss.enquiries@businessandtrade.gov.uk", "OPSS, Birmingham")
        assert printed(box, {}, "", configured) == (
            "opss.enquiries@businessandtrade.gov.uk. OPSS, Birmingham"
        )
        unset = printed(box, {}, "", contact_point())
        assert unset.startswith("RAPEX.unit@dti.gsi.gov.uk") and "as printed" in unset


def test_guidance_section_2_advance_notifications_are_for_information_only() -> None:
    """Section 2: "enforcement authorities might, if they submit any such advance notifications,
    wish to make it clear that these are for information only and not for publication prior to
    a measure in the UK having been taken." Only the advance ("before measures") one."""
    quoted = guidance_says(
        "wish to make it clear that these are for information only and not for publication "
        "prior to a measure in the UK having been taken."
    )
    why = information_only(Kind.OTHER_ACTIONS, "before_measures", uk_only=False)
    note = information_only_note(Kind.OTHER_ACTIONS, why)
    assert quoted[len("wish to make it clear that these are ") : -1].lower() in note.lower()
    for occasion in ("batch_withdrawn", "import_blocked"):
        assert information_only(Kind.OTHER_ACTIONS, occasion, uk_only=False) == ""


def test_guidance_section_3_uk_only_need_not_be_made() -> None:
    """Section 3: "If the enforcement authority considers that the effects of the risk do not, or
    cannot, go beyond the UK a notification need not be made"; section 2: such risks "are
    excluded from the scope of RAPEX"."""
    guidance_says(
        "If the enforcement authority considers that the effects of the risk do not, or cannot, "
        "go beyond the UK a notification need not be made"
    )
    guidance_says("where the effects cannot go beyond the UK are excluded from the scope of RAPEX")
    reg33_2 = information_only_note(Kind.REG33_2, information_only(Kind.REG33_2, "", True))
    rapex = information_only_note(Kind.RAPEX, information_only(Kind.RAPEX, "", True))
    assert "need not be made" in reg33_2
    assert "excluded from the scope of RAPEX" in rapex
    assert information_only(Kind.PRODUCER, "", True) == ""  # a business's duty stays


# Annex I and PRISM --------------------------------------------------------------------------


@pytest.mark.parametrize("beyond_uk", [True, False])
def test_guidance_section_2_rapex_only_where_the_effects_can_go_beyond_the_uk(
    beyond_uk: bool,
) -> None:
    """Section 2: "Measures and actions related to risks where the effects cannot go beyond the
    UK are excluded from the scope of RAPEX (though may still require some Safeguard action).\""""
    guidance_says("(though may still require some Safeguard action)")
    serious = risk.annex_i("100", "likely", "very_serious", "very_vulnerable", beyond_uk=beyond_uk)
    assert serious.serious
    said = "Reg 33(4) (RAPEX) notification is required" in serious.meaning
    assert said is beyond_uk
    assert ("excluded from the scope of RAPEX" in serious.meaning) is not beyond_uk
    prism = risk.prism([risk.Scenario(4, (("falls", Fraction(1, 2)),))], beyond_uk=beyond_uk)
    assert prism.serious and ("RAPEX) notification is required" in prism.meaning) is beyond_uk


def test_guidance_annex_i_is_for_businesses_and_says_what_it_means_for_an_authority() -> None:
    """Annex I "is presented here in order to assist companies in assessing the level of a risk
    and deciding whether a notification to the authorities is necessary"; for an authority,
    section 3: "Where measures are taken to restrict the placing on the market of products, or
    require their withdrawal or recall, but the risk is not considered to be serious, there is a
    requirement to notify the measures" — a Low grade included."""
    guidance_says(
        "presented here in order to assist companies in assessing the level of a risk and "
        "deciding whether a notification to the authorities is necessary"
    )
    guidance_says("but the risk is not considered to be serious, there is a requirement to notify")
    low = risk.annex_i("1", "improbable", "slight", "adult_adequate_obvious")
    assert low.level == "Low risk"
    assert "For an authority" in low.meaning and "Reg 33(2)" in low.meaning
    assert "For a business" in low.meaning and "Notification unlikely" in low.meaning


def test_guidance_annex_i_necessary_for_the_function_of_the_product() -> None:
    """Annex I, 'Normal adults': "The adjustment of the seriousness of risk for non-vulnerable
    adults should only apply if the hazard is obvious and necessary for the function of the
    product." """
    guidance_says(
        "The adjustment of the seriousness of risk for non-vulnerable adults should only apply "
        "if the hazard is obvious and necessary for the function of the product."
    )
    # High gravity, adequate safeguards, obvious: Moderate when necessary (the chain's teeth)...
    needed = risk.annex_i("100", "possible", "serious", "adult_adequate_obvious")
    # ...but a hazard the product does not need is graded as if it were not obvious.
    needless = risk.annex_i("100", "possible", "serious", "adult_adequate_obvious", necessary=False)
    not_obvious = risk.annex_i("100", "possible", "serious", "adult_adequate_not_obvious")
    assert needed.level == "Moderate risk"
    assert needless.level == not_obvious.level == "Serious risk"
    assert needless.path[0].table == "Hazard not necessary for the function"


def test_guidance_annex_i_more_than_one_person_at_a_time_is_more_severe() -> None:
    """Annex I, 'Severity of injury': "the risk from a product which could pose a risk to more
    than one person at a time (e.g. fire or gas poisoning from a gas appliance) should be
    classified as more severe than a hazard which can only affect one person." """
    guidance_says("should be classified as more severe than a hazard which can only affect one")
    one = risk.annex_i("10", "possible", "serious", "adult_inadequate_not_obvious")
    several = risk.annex_i(
        "10", "possible", "serious", "adult_inadequate_not_obvious", several=True
    )
    assert "severity Serious" in one.path[-2].column
    assert "severity Very serious" in several.path[-2].column
    assert risk.Grade[several.level.split()[0].upper()] >= risk.Grade[one.level.split()[0].upper()]


def test_guidance_annex_i_identifiable_defective_samples_bear_the_full_risk() -> None:
    """Annex I, 'Overall Probability': "Where the guide refers to the probability of a product
    being defective, this should not be applied if it is possible to identify each one of the
    defective samples. In this situation, the users of the defective products are exposed to the
    full risk and the users of the other products to no risk." """
    guidance_says(
        "In this situation, the users of the defective products are exposed to the full risk "
        "and the users of the other products to no risk."
    )
    spread = risk.annex_i("1", "likely", "serious", "vulnerable")
    found = risk.annex_i("1", "likely", "serious", "vulnerable", identifiable=True)
    assert spread.path[0].column == "1% of products"
    assert found.path[0].table == "Defective samples identifiable"
    assert found.path[1].column == "100% (all products)"  # the 'Overall probability' step
    assert found.path[1].result == "Very high"  # "Hazard is always present ... 100% (All)"


def test_guidance_annex_i_severity_definitions_are_an_example_for_mechanical_risks() -> None:
    """Annex I: "A grading should be established specifically for each type of hazard", and the
    footnote: "As an example, for certain mechanical risks the following definitions of the
    severity classifications may be proposed"."""
    guidance_says("A grading should be established specifically for each type of hazard")
    guidance_says("As an example, for certain mechanical risks the following definitions")
    for _, label in risk.SEVERITIES:
        assert "e.g. mechanical" in label
    assert "each type of hazard" in risk.SEVERITY_HELP


@pytest.mark.parametrize(
    ("probability", "shown"),
    [
        (Fraction(3, 4), "75%"),
        (Fraction(9, 10), "90%"),
        (Fraction(1), "100%"),
        (Fraction(1, 2), "1 in 2"),
        (Fraction(2, 5), "1 in 2.5"),
        (Fraction(1, 1000), "1 in 1,000"),
    ],
)
def test_risk_tables_b_prism_steps_above_one_half_are_not_1_in_1(
    probability: Fraction, shown: str
) -> None:
    """RISK-TABLES.md, B (PRISM): "Probability of harm in "1 in n" bands", the first of them
    "> 50% (n ≤ 1)": above one half there is no whole n, so such a step (75%, 90%, certain)
    is shown as a percentage, not "1 in 1"; from one half down, as "1 in n"."""
    risk_tables_say('Probability of harm in "1 in n" bands')
    risk_tables_say("| > 50% (n ≤ 1) |")
    assert risk.one_in(probability) == shown
