"""The annex forms' own rules: gap notes, no blank boxes, confidentiality, what is printed."""

from __future__ import annotations

from cards.annex_forms import (
    ANNEX_II,
    ANNEX_III,
    ANNEX_VI,
    blank_boxes,
    confidentiality_error,
    gap_note,
    printed,
)


def test_a_gap_note_is_an_expected_date_or_a_reason() -> None:
    assert gap_note("2026-12-01") == "Expected by Tue 1 Dec 2026"
    assert gap_note("expected 2026-12-01 from the importer") == (
        "Expected by Tue 1 Dec 2026 (from the importer)"
    )
    assert gap_note("Manufacturer ceased trading") == "Not available: Manufacturer ceased trading"
    assert printed(ANNEX_II.box("f4"), {"f4_gap": "2026-12-01"}) == "Expected by Tue 1 Dec 2026"
    assert printed(ANNEX_II.box("f4"), {"f4": "8467", "f4_gap": "2026-12-01"}) == "8467"


def test_blank_boxes_skip_fixed_automatic_and_optional_ones() -> None:
    numbers = [b.number for b in blank_boxes(ANNEX_II, {}, chemical=False)]
    assert "1" not in numbers and "2" not in numbers and "28" not in numbers  # fixed, automatic
    assert "26" not in numbers and "27" not in numbers  # needed only when 25 is yes; optional
    assert numbers.count("30") == 6  # each part of the enforcement authority's details
    assert "S5" not in numbers
    assert [b.number for b in blank_boxes(ANNEX_II, {}, chemical=True)].count("S5") == 4


def test_confidential_yes_needs_its_justification_on_each_annex() -> None:
    for annex, asked, why in ((ANNEX_II, "f25", "f26"), (ANNEX_VI, "f24", "f25")):
        assert confidentiality_error(annex, {asked: "no"}) is None
        field, message = confidentiality_error(annex, {asked: "yes"}) or ("", "")
        assert field == why and "justification" in message
        assert confidentiality_error(annex, {asked: "yes", why: "court case"}) is None
        assert annex.box(why) in blank_boxes(annex, {asked: "yes"}, chemical=False)
    assert confidentiality_error(ANNEX_III, {"f5": "yes"}) is None  # no such question


def test_the_box_for_the_national_contact_point_only_is_marked_on_each_annex() -> None:
    confidential = {
        annex.code: [b.number for b in annex.boxes if b.confidential]
        for annex in (ANNEX_II, ANNEX_III, ANNEX_VI)
    }
    assert confidential == {"II": ["27"], "III": ["11"], "VI": ["26"]}
