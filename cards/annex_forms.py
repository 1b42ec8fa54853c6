"""The notification forms of the GPSR 2005 guidance (Annexes II, III, IV and VI), defined once.

Each annex is a list of numbered boxes grouped under the annex's own headings; every surface
renders it from here (a form in steps for Slack's 100-block modals and the workspace's cards),
and so do the DOCX and PDF exports. The rules the guidance sets on filling them in live here
too, as pure functions: "no blank boxes" (an empty box says when the information is expected
or why it will not come), confidentiality (box 25 "yes" needs the justification in box 26),
and the box for the national contact point only (27 on Annex II), which no shared surface shows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from cards.model import Choice, Field, Form
from rules.timeparse import show_date

UNITED_KINGDOM = "United Kingdom"
# The national contact point the forms name (box 28 on Annex II, 12 on Annex III, 27 on Annex
# VI) is configuration (OPSS_RAPEX_CONTACT_EMAIL and OPSS_RAPEX_CONTACT_DETAILS): the 2005
# guidance's DTI RAPEX unit no longer exists. Unconfigured, the box prints the 2005 text, marked
# as printed, so nobody mistakes it for a current address.
AS_PRINTED_EMAIL = "RAPEX.unit@dti.gsi.gov.uk"
AS_PRINTED_DETAILS = (
    "RAPEX unit, General Product and Services Safety, Consumer and Competition Policy "
    "Directorate, Department of Trade and Industry, 1 Victoria Street, London SW1H 0ET. "
    "Tel: 020 7215 0362. Fax: 020 7215 0357 (as printed in the 2005 guidance; not a current "
    "address)"
)


def contact_point(email: str = "", details: str = "") -> str:
    """What the contact point's box prints beside the form's own label: the address to email,
    then who and where."""
    email, details = email.strip(), details.strip()
    if not email:
        email, details = AS_PRINTED_EMAIL, AS_PRINTED_DETAILS
    return email + (f". {details}" if details else "")


# The form's own wording: "28. National contact point: (Email notification to):".
CONTACT_LABEL = "National contact point: (Email notification to)"
NATIONAL_CONTACT_POINT = contact_point()
GAP_SUFFIX = "_gap"
MAX_VALUE = 2000  # the longest step (nine boxes and their notes) fits a Teams card


@dataclass(frozen=True)
class Box:
    """One numbered box of an annex."""

    key: str  # "f14", "f30_address"
    number: str  # as printed: "14", "30", "Section 3"
    label: str
    heading: str
    multiline: bool = True
    fixed: str = ""  # printed by the form itself (notifying country, contact point)
    auto: str = ""  # filled by the bot: "date_sent", "contact_point" (configuration)
    # Boxes that may stay empty without a gap note.
    optional: bool = False
    confidential: bool = False  # for the notifying authority and national contact point only
    yes_no: bool = False
    # Only for chemical substances or preparations (guidance section 5).
    chemicals: bool = False
    # Annex IV section 6: sent later, with a timetable.
    later: bool = False
    # Annex VI part 1: at least one of the safeguard grounds must be given.
    ground: bool = False

    @property
    def fillable(self) -> bool:
        return not self.fixed and not self.auto


@dataclass(frozen=True)
class Annex:
    code: str  # "II", "III", "IV", "VI"
    title: str
    boxes: tuple[Box, ...]
    # Which boxes a page of the form in steps holds (keys), in order.
    steps: tuple[tuple[str, tuple[str, ...]], ...]
    confidentiality: tuple[str, str] | None = None  # (the yes/no box, its justification box)

    def box(self, key: str) -> Box:
        for b in self.boxes:
            if b.key == key:
                return b
        raise KeyError(key)


def _b(key: str, number: str, label: str, heading: str, **kw: Any) -> Box:
    return Box(key, number, label, heading, **kw)


# The boxes Annexes II and VI share (product, operators, danger), with their headings.
def _product_boxes(toys: bool) -> list[Box]:
    product = "PRODUCT"
    return [
        _b(
            "f3", "3", "Category of product", product, multiline=False, fixed="Toys" if toys else ""
        ),
        _b("f4", "4", "Customs code", product, multiline=False),
        _b("f5", "5", "Product name", product, multiline=False),
        _b("f6", "6", "Brand", product, multiline=False),
        _b("f7", "7", "Price", product, multiline=False),
        _b("f8", "8", "Country of origin", product, multiline=False),
        _b("f9", "9", "Type/number of model/bar code/batch code", product, multiline=False),
        _b("f10", "10", "Description of product and packaging", product),
        _b(
            "f11",
            "11",
            "Photograph of product (attachment name; jpg, max 2MB)",
            product,
            multiline=False,
        ),
        _b("f12", "12", "Standards or regulations applicable", product),
        _b("f13", "13", "Proof of conformity", product, multiline=False),
        _b(
            "f14",
            "14",
            "Name, address and contact information of the manufacturer or its representative",
            "PRODUCER/EXPORTER/IMPORTER",
        ),
        _b(
            "f15",
            "15",
            "Name, address and contact information of the exporter",
            "PRODUCER/EXPORTER/IMPORTER",
        ),
        _b(
            "f16",
            "16",
            "Name, address and contact information of the importer",
            "PRODUCER/EXPORTER/IMPORTER",
        ),
        _b(
            "f17",
            "17",
            "Name, address and contact information of the distributors or their representatives",
            "DISTRIBUTOR AND RETAILER",
        ),
        _b(
            "f18",
            "18",
            "Supplier (shop, mail-order, or Internet) and countries of destination",
            "DISTRIBUTOR AND RETAILER",
        ),
        _b("f19", "19", "Type of risk", "DANGER"),
        _b("f20", "20", "Summary of the test results and conclusions", "DANGER"),
        _b("f21", "21", "Description of accidents which have occurred", "DANGER"),
    ]


def _authority_boxes(number: str) -> list[Box]:
    heading = "ENFORCEMENT AUTHORITY (not sent to the European Commission)"
    parts = (
        ("authority", "Authority/Area office"),
        ("address", "Address"),
        ("contact", "Name of contact"),
        ("tel", "Tel"),
        ("fax", "Fax"),
        ("email", "Email"),
    )
    return [
        _b(
            f"f{number}_{k}",
            number,
            f"Details of enforcement authority: {label}",
            heading,
            multiline=k == "address",
        )
        for k, label in parts
    ]


CHEMICAL_BOXES: tuple[Box, ...] = tuple(
    _b(k, "S5", label, "CHEMICALS (guidance section 5)", chemicals=True)
    for k, label in (
        ("chem_data", "Summary or references of the data on the substance or preparation"),
        ("chem_substitutes", "Known and available substitutes"),
        ("chem_effects", "Anticipated effects of the measure on consumer health and safety"),
        (
            "chem_assessment",
            "Risk assessment (Art 10(4) Reg (EEC) 793/93, existing substance; "
            "Art 3(2) Dir 67/548/EEC, new substance)",
        ),
    )
)

ANNEX_II = Annex(
    "II",
    "ANNEX II – RAPEX NOTIFICATION FORM",
    (
        _b("f1", "1", "Notifying country", "GENERAL INFORMATION", fixed=UNITED_KINGDOM),
        _b("f2", "2", "Date sent to DTI", "GENERAL INFORMATION", auto="date_sent"),
        *_product_boxes(toys=False),
        _b(
            "f22",
            "22",
            "Voluntary measures (scope, nature, date of entry into force and duration)",
            "MEASURES ADOPTED",
        ),
        _b(
            "f23",
            "23",
            "Compulsory measures (scope, nature, date of entry into force and duration)",
            "MEASURES ADOPTED",
        ),
        _b("f24", "24", "Additional information", "OTHER INFORMATION"),
        _b(
            "f25",
            "25",
            "Is this information confidential?",
            "OTHER INFORMATION",
            multiline=False,
            yes_no=True,
        ),
        _b("f26", "26", "Justification of request", "OTHER INFORMATION", optional=True),
        _b(
            "f27",
            "27",
            "Any other information you may wish to provide in confidence to DTI "
            "(will not be sent to European Commission)",
            "OTHER INFORMATION",
            optional=True,
            confidential=True,
        ),
        _b("f28", "28", CONTACT_LABEL, "OTHER INFORMATION", auto="contact_point"),
        *_authority_boxes("30"),
        *CHEMICAL_BOXES,
    ),
    (
        ("Product", ("f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10")),
        ("Product and producer", ("f11", "f12", "f13", "f14", "f15", "f16")),
        ("Distribution and danger", ("f17", "f18", "f19", "f20", "f21")),
        ("Measures and other information", ("f22", "f23", "f24", "f25", "f26", "f27")),
        (
            "Enforcement authority",
            tuple(f"f30_{k}" for k in ("authority", "address", "contact", "tel", "fax", "email")),
        ),
        ("Chemicals", tuple(b.key for b in CHEMICAL_BOXES)),
    ),
    confidentiality=("f25", "f26"),
)

ANNEX_III = Annex(
    "III",
    "ANNEX III – REACTION NOTIFICATION FORM",
    (
        _b("f1", "1", "Reacting country", "REACTION TO NOTIFICATION", fixed=UNITED_KINGDOM),
        _b("f2", "2", "Date reaction sent to DTI", "REACTION TO NOTIFICATION", auto="date_sent"),
        _b(
            "f3",
            "3",
            "Notification number and country",
            "REACTION TO NOTIFICATION",
            multiline=False,
        ),
        _b("f4", "4", "Name of product", "REACTION TO NOTIFICATION", multiline=False),
        _b("f5", "5", "Product found", "REACTION TO NOTIFICATION", multiline=False, yes_no=True),
        _b("f6", "6", "Assessment of risk", "REACTION TO NOTIFICATION"),
        _b(
            "f7",
            "7",
            "Voluntary measures (scope, nature, date of entry into force and duration)",
            "REACTION TO NOTIFICATION",
        ),
        _b(
            "f8",
            "8",
            "Compulsory measures (scope, nature, date of entry into force and duration)",
            "REACTION TO NOTIFICATION",
        ),
        _b("f9", "9", "Duration", "REACTION TO NOTIFICATION", multiline=False),
        _b("f10", "10", "Other information", "REACTION TO NOTIFICATION"),
        _b(
            "f11",
            "11",
            "Any other information you may wish to provide in confidence to DTI "
            "(will not be sent to European Commission)",
            "REACTION TO NOTIFICATION",
            optional=True,
            confidential=True,
        ),
        _b(
            "f12",
            "12",
            CONTACT_LABEL,
            "REACTION TO NOTIFICATION",
            auto="contact_point",
        ),
        *_authority_boxes("13"),
    ),
    (
        ("Reaction", ("f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11")),
        (
            "Enforcement authority",
            tuple(f"f13_{k}" for k in ("authority", "address", "contact", "tel", "fax", "email")),
        ),
    ),
)

_IV = (
    (
        "s1_authority",
        "Section 1",
        "Authority/Contact name/Address/Telephone/Fax/E-mail/Website",
        "Section 1: AUTHORITY(IES)/COMPANY(IES) receiving the notification form",
    ),
    (
        "s1_companies",
        "Section 1",
        "Identification of the companies notified and their role in the marketing of the product",
        "Section 1: AUTHORITY(IES)/COMPANY(IES) receiving the notification form",
    ),
    (
        "s2_producer",
        "Section 2",
        "Producer or producer's representative/distributor completing the form",
        "Section 2: PRODUCER/DISTRIBUTOR",
    ),
    (
        "s2_contact",
        "Section 2",
        "Contact name, responsibility, Address/Telephone/Fax/Email/Website",
        "Section 2: PRODUCER/DISTRIBUTOR",
    ),
    (
        "s3_product",
        "Section 3",
        "Category. Brand or trademark. Model name(s) or bar code/CN tariff. Country of origin",
        "Section 3: PRODUCTS involved",
    ),
    ("s3_description", "Section 3", "Description/Photograph", "Section 3: PRODUCTS involved"),
    (
        "s4_hazard",
        "Section 4",
        "Description of the hazard and possible health/safety damages and conclusions of the "
        "risk estimation and evaluation carried out",
        "Section 4: HAZARD",
    ),
    ("s4_accidents", "Section 4", "Record of accident(s)", "Section 4: HAZARD"),
    (
        "s5_actions",
        "Section 5",
        "Types/Scope/Duration of action(s) and precautions taken and identification of the "
        "company responsible",
        "Section 5: corrective ACTIONS already taken",
    ),
)
_IV6 = (
    (
        "s6_manufacturers",
        "List of manufacturers/importers or authorised representatives by "
        "Member State: Name/Address/Tel/Fax/E-mail/Website",
    ),
    (
        "s6_distributors",
        "List of distributors/retailers by Member State: Name/Address/Tel/Fax/E-mail/Website",
    ),
    (
        "s6_numbers",
        "Number of products (serial numbers or date codes) held by producer/"
        "importer/distributor/retailer/consumers by Member State",
    ),
)
ANNEX_IV = Annex(
    "IV",
    "ANNEX IV – NOTIFICATION OF DANGEROUS PRODUCTS TO THE AUTHORITIES BY PRODUCERS OR DISTRIBUTORS",
    (
        *(_b(k, n, label, heading) for k, n, label, heading in _IV),
        *(
            _b(
                k,
                "Section 6",
                label,
                "Section 6: other COMPANY(IES) in the supply chain which hold affected products",
                later=True,
            )
            for k, label in _IV6
        ),
    ),
    (
        ("Sections 1-2", ("s1_authority", "s1_companies", "s2_producer", "s2_contact")),
        (
            "Sections 3-5",
            ("s3_product", "s3_description", "s4_hazard", "s4_accidents", "s5_actions"),
        ),
        ("Section 6", tuple(k for k, _ in _IV6)),
    ),
)

_PART1 = "PART 1: SAFEGUARD CLAUSE UNDER ARTICLE 7 OF DIRECTIVE 88/378/EEC ON TOY SAFETY"
ANNEX_VI = Annex(
    "VI",
    "ANNEX VI – TOYS NOTIFICATION FORM",
    (
        _b(
            "p1_essential",
            "Part 1",
            "Failure to meet essential requirements referred to in Article 3, if the toy does "
            "not meet the standards (Article 7(1)(a)): reasons",
            _PART1,
            optional=True,
            ground=True,
        ),
        _b(
            "p1_incorrect",
            "Part 1",
            "Incorrect application of the standards (Article 7(1)(b)): reasons",
            _PART1,
            optional=True,
            ground=True,
        ),
        _b(
            "p1_shortcomings",
            "Part 1",
            "Shortcomings in the standards (Article 7(1)(c)): reasons",
            _PART1,
            optional=True,
            ground=True,
        ),
        _b("f1", "1", "Notifying country", "PART 2: GENERAL INFORMATION", fixed=UNITED_KINGDOM),
        _b("f2", "2", "Date sent to DTI", "PART 2: GENERAL INFORMATION", auto="date_sent"),
        *_product_boxes(toys=True),
        _b(
            "f22",
            "22",
            "Compulsory measures (scope, nature, date of entry into force and duration)",
            "MEASURES ADOPTED",
        ),
        _b("f23", "23", "Additional information", "OTHER INFORMATION"),
        _b(
            "f24",
            "24",
            "Is this information confidential?",
            "OTHER INFORMATION",
            multiline=False,
            yes_no=True,
        ),
        _b("f25", "25", "Justification of request", "OTHER INFORMATION", optional=True),
        _b(
            "f26",
            "26",
            "Any other information you may wish to provide in confidence to DTI "
            "(will not be sent to European Commission)",
            "OTHER INFORMATION",
            optional=True,
            confidential=True,
        ),
        _b("f27", "27", CONTACT_LABEL, "OTHER INFORMATION", auto="contact_point"),
        *_authority_boxes("29"),
    ),
    (
        ("Safeguard clause", ("p1_essential", "p1_incorrect", "p1_shortcomings")),
        ("Product", ("f4", "f5", "f6", "f7", "f8", "f9", "f10")),
        ("Product and producer", ("f11", "f12", "f13", "f14", "f15", "f16")),
        ("Distribution and danger", ("f17", "f18", "f19", "f20", "f21")),
        ("Measures and other information", ("f22", "f23", "f24", "f25", "f26")),
        (
            "Enforcement authority",
            tuple(f"f29_{k}" for k in ("authority", "address", "contact", "tel", "fax", "email")),
        ),
    ),
    confidentiality=("f24", "f25"),
)

ANNEXES: dict[str, Annex] = {a.code: a for a in (ANNEX_II, ANNEX_III, ANNEX_IV, ANNEX_VI)}
YES_NO = (Choice("no", "No"), Choice("yes", "Yes"))


# Which steps apply ----------------------------------------------------------------------------


def steps_for(annex: Annex, *, chemical: bool, section6: bool = False) -> list[int]:
    """The step numbers (1-based) a notification fills: chemicals only for chemicals, Annex
    IV's section 6 only once it is being sent."""
    out = []
    for i, (_title, keys) in enumerate(annex.steps, start=1):
        boxes = [annex.box(k) for k in keys]
        if all(b.chemicals for b in boxes) and not chemical:
            continue
        if all(b.later for b in boxes) and not section6:
            continue
        out.append(i)
    return out


def form_step(
    annex: Annex,
    step: int,
    values: Mapping[str, Any],
    *,
    reference: str,
    subtitle: str,
    show_confidential: bool,
    steps: list[int],
) -> Form:
    """One page of the annex as a form: each box, and under it where to say when the
    information is expected or why it will not come (the guidance's "no blank boxes")."""
    title, keys = annex.steps[step - 1]
    fields: list[Field] = []
    for key in keys:
        box = annex.box(key)
        if box.confidential and not show_confidential:
            continue
        label = f"{box.number}. {box.label}" if box.number[0].isdigit() else box.label
        if box.yes_no:
            fields.append(Field(key, label, "choice", choices=YES_NO, value=values.get(key)))
        else:
            fields.append(
                Field(
                    key,
                    label,
                    "multiline" if box.multiline else "text",
                    max_length=MAX_VALUE,
                    value=values.get(key),
                    help="Only for the notifying authority and the national contact point: "
                    "never shown in a channel."
                    if box.confidential
                    else "",
                )
            )
        if not box.optional and not box.yes_no:
            fields.append(
                Field(
                    key + GAP_SUFFIX,
                    f"If {box.number if box.number[0].isdigit() else 'this'} is not known yet: "
                    "expected date (YYYY-MM-DD) or why it will not come",
                    max_length=500,
                    value=values.get(key + GAP_SUFFIX),
                )
            )
    position = steps.index(step) + 1 if step in steps else step
    last = position == len(steps)
    return Form(
        id="annex",
        title=f"Annex {annex.code} · {reference}",
        intro=f"Step {position} of {len(steps)}: {title}. {subtitle}".strip(),
        submit_label="Save" if last else "Save and continue",
        fields=tuple(fields),
        context={"reference": reference, "step": str(step)},
    )


# The guidance's rules ---------------------------------------------------------------------------

_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


def gap_note(text: str) -> str:
    """How an empty box reads on the form: "Expected by 1 Dec 2026" or "Not available: …"."""
    found = _DATE.search(text)
    if found:
        try:
            when = date.fromisoformat(found.group(1))
        except ValueError:
            when = None
        if when is not None:
            rest = " ".join(text.replace(found.group(1), " ").split())
            rest = re.sub(r"^(expected( by| on)?)\b", "", rest, flags=re.IGNORECASE)
            rest = rest.strip(" :-,.")
            note = f"Expected by {show_date(when)}"
            return f"{note} ({rest})" if rest else note
    return f"Not available: {text}"


# Anything shaped like a date the form asks for, valid or not ("2026-13-01", "2026-2-30").
_DATE_SHAPED = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b")


def gap_problem(text: str, today: date) -> str | None:
    """What is wrong with an expected date given for an empty box, if anything: a date that
    does not exist, or one already past (the information would be overdue, not expected)."""
    found = _DATE_SHAPED.search(text)
    if found is None:
        return None  # a reason the information will not come
    raw = found.group(0)
    try:
        when = date.fromisoformat(raw) if _DATE.fullmatch(raw) else None
    except ValueError:
        when = None
    if when is None:
        return f"'{raw}' is not a date; use YYYY-MM-DD, for example {today:%Y-%m-%d}"
    if when < today:
        return (
            f"{raw} has passed; give the date the information is now expected, or why it "
            "will not come"
        )
    return None


def _filled(values: Mapping[str, Any], key: str) -> bool:
    return str(values.get(key) or "").strip() != ""


def blank_boxes(
    annex: Annex, values: Mapping[str, Any], *, chemical: bool, section6: bool = False
) -> list[Box]:
    """Boxes left empty with neither an expected date nor a reason (refused at sending)."""
    out = []
    for box in annex.boxes:
        if not box.fillable or box.optional:
            continue
        if box.chemicals and not chemical:
            continue
        if box.later and not section6:
            continue
        if _filled(values, box.key) or _filled(values, box.key + GAP_SUFFIX):
            continue
        out.append(box)
    if annex.confidentiality is not None:
        asked, why = annex.confidentiality
        if str(values.get(asked) or "").lower() == "yes" and not _filled(values, why):
            out.append(annex.box(why))
    return out + missing_grounds(annex, values)


# Annex VI part 1 is the safeguard notification itself (guidance section 2, 'Part One': Member
# States "must then notify the European Commission of the enforcement action when the
# non-compliance relates to safety and the toy bears the CE marking"): it names at least one of
# the grounds of Article 7(1), with its reasons. A gap note does not stand for a ground.
def missing_grounds(annex: Annex, values: Mapping[str, Any]) -> list[Box]:
    grounds = [b for b in annex.boxes if b.ground]
    if grounds and not any(_filled(values, b.key) for b in grounds):
        return grounds
    return []


def confidentiality_error(annex: Annex, values: Mapping[str, Any]) -> tuple[str, str] | None:
    """Box 25 (24 on Annex VI) "yes" needs its justification: (field, message) when missing."""
    if annex.confidentiality is None:
        return None
    asked, why = annex.confidentiality
    if str(values.get(asked) or "").lower() == "yes" and not _filled(values, why):
        a, w = annex.box(asked), annex.box(why)
        return why, (
            f"Box {w.number} ({w.label}): box {a.number} says the information is confidential, "
            "so give the justification"
        )
    return None


def describe_boxes(boxes: list[Box]) -> str:
    return "; ".join(
        f"{b.number}. {b.label}" if b.number[0].isdigit() else f"{b.number}: {b.label}"
        for b in boxes
    )


def printed(
    box: Box,
    values: Mapping[str, Any],
    date_sent: str = "",
    contact: str = NATIONAL_CONTACT_POINT,
) -> str:
    """What a box shows on the filled form (export): its value, or its gap note."""
    if box.fixed:
        return box.fixed
    if box.auto == "date_sent":
        return date_sent
    if box.auto == "contact_point":
        return contact
    value = str(values.get(box.key) or "").strip()
    if box.yes_no and value:
        return value.capitalize()
    if value:
        return value
    gap = str(values.get(box.key + GAP_SUFFIX) or "").strip()
    return gap_note(gap) if gap else ""
