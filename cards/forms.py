"""Every form the bot opens, defined once. Surfaces render these; the server validates them."""

from __future__ import annotations

from collections.abc import Sequence

from cards.model import Choice, Field, Form
from rules import impact, nnc

TITLE_MAX = 120

SOURCES: tuple[Choice, ...] = tuple(
    Choice(v, t)
    for v, t in (
        ("regulator", "National or international regulator"),
        ("minister", "Minister"),
        ("ogd", "Other government department"),
        ("emergency_services", "Emergency services"),
        ("local_authority", "Local authority"),
        ("business", "Business"),
        ("trade_body", "Trade body"),
        ("media", "Media or social media"),
        ("public", "Member of the public"),
        ("internal", "OPSS (internal)"),
        ("other", "Other stakeholder"),
    )
)
SOURCE_LABELS = {c.value: c.title for c in SOURCES}

CONFERENCE_AGENDA: tuple[tuple[str, str], ...] = (
    ("background", "Background to the case"),
    ("enquiries_testing", "Updates from enquiries and testing"),
    ("science_technical", "Science and technical advice"),
    ("intelligence", "Intelligence"),
    ("risk_assessments", "Risk assessments"),
    ("stakeholder_comms", "Stakeholder engagement and communications"),
    ("recommendations", "Recommendations from CAM, CAM-EP or TTG"),
)

OUTCOMES: tuple[Choice, ...] = (
    Choice("further_information", "Request further information or actions"),
    Choice("wider_coordination", "Wider OPSS coordination as part of operational delivery"),
    Choice("declare_incident", "Declare an incident"),
    Choice("no_further_action", "No further action (feed back to the originator)"),
)
OUTCOME_LABELS = {c.value: c.title for c in OUTCOMES}

GROUPS: tuple[Choice, ...] = tuple(
    Choice(v, t)
    for v, t in (
        ("scg", "Strategic Coordination Group (SCG)"),
        ("tcg", "Tactical Coordination Group (TCG)"),
        ("case_conference", "Case conference"),
        ("imt", "Incident Management Team (IMT)"),
        ("bird_table", "Bird table / stand-up"),
        ("cam", "CAM"),
        ("ttg", "TTG"),
        ("cam_ep", "CAM-EP"),
        ("evidence_group", "Incident Evidence Group"),
        ("communications_group", "Incident Communications Group"),
        ("other", "Other"),
    )
)
GROUP_LABELS = {c.value: c.title for c in GROUPS}

LEVELS: tuple[Choice, ...] = (
    Choice("strategic", "Strategic"),
    Choice("tactical", "Tactical"),
    Choice("operational", "Operational"),
)

COMMAND_ROLES: tuple[tuple[str, str], ...] = (
    ("imt_lead", "IMT lead"),
    ("scg_chair", "SCG chair (DCE Evidence or DD Targeting)"),
    ("tcg_chair", "TCG chair (DD for the affected function or FTL deputy)"),
    ("communications_lead", "Communications lead"),
    ("senior_investigation_officer", "Senior investigation officer"),
)


def raise_form(areas: Sequence[str]) -> Form:
    return Form(
        id="raise",
        title="Raise a potential issue",
        intro="Report a possible incident to the Incident Management Team (plan 2.1-2.2).",
        submit_label="Raise issue",
        fields=(
            Field(
                "title",
                "Title",
                required=True,
                max_length=TITLE_MAX,
                placeholder="e.g. Gas hob elbow joints leaking",
            ),
            Field(
                "products",
                "Product(s)",
                required=True,
                max_length=500,
                placeholder="Make, model, batch",
            ),
            Field(
                "hazard",
                "Hazard",
                "multiline",
                required=True,
                max_length=2000,
                placeholder="What could go wrong, to whom",
            ),
            Field("source", "Source", "choice", required=True, choices=SOURCES),
            Field(
                "functional_area",
                "Functional area",
                "choice",
                required=True,
                choices=tuple(Choice(a, a) for a in areas),
            ),
            Field("description", "What we know so far", "multiline", max_length=4000),
            Field("link", "Link to the original report", max_length=500),
        ),
    )


def impact_form(reference: str, stage_label: str) -> Form:
    fields = [
        Field(
            ind.key,
            ind.title,
            "choice",
            required=True,
            expanded=True,
            choices=tuple(
                Choice(level.name.lower(), level.label, ind.cells[level]) for level in ind.levels
            )
            + (
                (Choice(impact.NOT_APPLICABLE, "Not applicable", ind.not_applicable),)
                if ind.not_applicable
                else ()
            ),
        )
        for ind in impact.INDICATORS
    ]
    fields.append(Field("notes", "Evidence and notes", "multiline", max_length=4000))
    return Form(
        id="assess",
        title=f"Impact assessment · {reference}",
        intro=(
            f"Evaluate the issue against the incident impact matrix (Table 1) at {stage_label}. "
            "The overall rating is the highest indicator; Medium or above normally generates a "
            "response (2.4)."
        ),
        submit_label="Record assessment",
        fields=tuple(fields),
        context={"reference": reference},
    )


def nnc_form(reference: str) -> Form:
    fields: list[Field] = []
    for key, label, meaning in nnc.CRITERIA:
        fields.append(Field(key, f"{label}: {meaning}", "toggle"))
        fields.append(
            Field(
                f"{key}_rationale",
                f"{label}: rationale",
                "multiline",
                required=True,
                max_length=nnc.MAX_RATIONALE,
            )
        )
    return Form(
        id="nnc",
        title=f"NNC criteria · {reference}",
        intro="Is the issue nationally significant, novel or contentious? (plan 2.10)",
        submit_label="Record NNC",
        fields=tuple(fields),
        context={"reference": reference},
    )


def conference_form(reference: str, scs_people: Sequence[tuple[str, str]]) -> Form:
    fields: list[Field] = [
        Field("date", "Date", "date", required=True),
        Field("time", "Time (London)", "time", required=True),
        Field(
            "consulted_scs",
            "SCS consulted (needed unless you are a deputy director or higher)",
            "choice",
            choices=tuple(Choice(name, display) for name, display in scs_people),
        ),
    ]
    for key, label in CONFERENCE_AGENDA:
        fields.append(
            Field(
                f"agenda_{key}", label, "multiline", required=key == "background", max_length=4000
            )
        )
    fields.append(Field("attendees", "Attendees", max_length=1000))
    fields.append(
        Field(
            "justification",
            "Justification if no NNC criterion is met (2.11)",
            "multiline",
            max_length=2000,
        )
    )
    return Form(
        id="conference",
        title=f"Case conference · {reference}",
        intro="A decision-making meeting on whether to declare an incident (plan 2.14-2.18).",
        submit_label="Call case conference",
        fields=tuple(fields),
        context={"reference": reference},
    )


def outcome_form(conference_ref: str) -> Form:
    return Form(
        id="outcome",
        title=f"Outcome · {conference_ref}",
        intro="Record what the case conference decided (plan 2.19). Each outcome is a decision.",
        submit_label="Record outcome",
        fields=(
            Field(
                "outcomes", "Outcome", "multichoice", required=True, choices=OUTCOMES, expanded=True
            ),
            Field("rationale", "Rationale", "multiline", required=True, max_length=4000),
            Field("options_considered", "Options considered", "multiline", max_length=4000),
            Field("decided_by", "Decided by (chair)", required=True, max_length=200),
            Field(
                "actions", "Further information or actions requested", "multiline", max_length=4000
            ),
            Field(
                "feedback",
                "Feedback to the originator: how and when it was sent",
                "multiline",
                max_length=2000,
                help="Required for no further action (2.19)",
            ),
        ),
        context={"conference": conference_ref},
    )


def declare_form(reference: str, title: str, erco_prompt: bool) -> Form:
    fields: list[Field] = [
        Field("title", "Incident title", required=True, max_length=TITLE_MAX, value=title),
        Field("level", "Response level", "choice", required=True, choices=LEVELS, value="tactical"),
        Field("exercise", "This is an EXERCISE (plan section 6)", "toggle", value=False),
    ]
    for key, label in COMMAND_ROLES:
        fields.append(Field(key, label, "person", max_length=200, placeholder="user name"))
    fields.append(
        Field(
            "chair_justification",
            "Justification if a chair is not the one the plan names (3.4, 3.9)",
            "multiline",
            max_length=2000,
        )
    )
    fields.append(Field("invite", "Also invite", "people", max_length=1000))
    fields.append(
        Field(
            "erco_engaged",
            "DBT Emergency Response Coordination (ERCO) has been engaged (3.17)",
            "toggle",
            value=False,
        )
    )
    return Form(
        id="declare",
        title=f"Declare incident · {reference}",
        intro=(
            "Declaring creates the incident, its channel and its decision log (plan 3). "
            + (
                "The impact is High or Critical: DBT ERCO must be engaged (3.17)."
                if erco_prompt
                else ""
            )
        ).strip(),
        submit_label="Declare incident",
        fields=tuple(fields),
        context={"reference": reference},
    )


def decide_form(reference: str) -> Form:
    return Form(
        id="decide",
        title=f"Record a decision · {reference}",
        intro="Decisions are append-only; to correct one, record a new one that supersedes it.",
        submit_label="Record decision",
        fields=(
            Field("what", "What was decided", "multiline", required=True, max_length=4000),
            Field("rationale", "Rationale", "multiline", required=True, max_length=4000),
            Field("options_considered", "Options considered", "multiline", max_length=4000),
            Field("decided_by", "Decided by", required=True, max_length=200),
            Field("group", "Group or meeting", "choice", required=True, choices=GROUPS),
            Field("meeting", "Meeting (e.g. TCG 3, 24 Nov)", max_length=200),
            Field("date", "Date decided (blank: today)", "date"),
            Field("time", "Time decided (blank: now)", "time"),
            Field("evidence", "Links to evidence", "multiline", max_length=2000),
            Field("supersedes", "Supersedes decision (reference)", max_length=20),
        ),
        context={"reference": reference},
    )


def action_form(reference: str) -> Form:
    return Form(
        id="action",
        title=f"Assign an action · {reference}",
        intro="A task with an owner, a timescale and a quality standard (plan 3.10).",
        submit_label="Assign action",
        fields=(
            Field("what", "What is to be done", "multiline", required=True, max_length=2000),
            Field(
                "owner", "Owner", "person", required=True, max_length=200, placeholder="user name"
            ),
            Field("date", "Due date", "date", required=True),
            Field("time", "Due time (London; blank: 17:00)", "time"),
            Field("standard", "Quality standard", "multiline", max_length=2000),
            Field("group", "Group whose meetings review it", "choice", choices=GROUPS),
        ),
        context={"reference": reference},
    )
