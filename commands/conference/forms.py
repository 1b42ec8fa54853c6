"""The forms of a case conference: calling it (with the 2.18 agenda) and its outcome."""

from __future__ import annotations

from collections.abc import Sequence

from cards.model import Choice, Field, Form
from rules.conferences import GROUNDS

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

# Where an issue goes when its conference records that OPSS take no further action (2.19).
AFTER_NFA: tuple[Choice, ...] = (
    Choice("closed", "Closed: no further action"),
    Choice("la", "Handed to the local authority (LA-led)"),
    Choice("monitoring", "Returned to monitoring"),
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
        Field(
            "grounds",
            "Grounds: case conferences take place when (plan 2.15)",
            "multichoice",
            expanded=True,
            choices=tuple(Choice(k, short, words) for k, short, words in GROUNDS),
        ),
    ]
    for key, label in CONFERENCE_AGENDA:
        fields.append(
            Field(
                f"agenda_{key}", label, "multiline", required=key == "background", max_length=3000
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
            Field("rationale", "Rationale", "multiline", required=True, max_length=3000),
            Field("options_considered", "Options considered", "multiline", max_length=3000),
            Field("decided_by", "Decided by (chair)", required=True, max_length=200),
            Field(
                "actions", "Further information or actions requested", "multiline", max_length=3000
            ),
            Field(
                "feedback",
                "Feedback to the originator: how and when it was sent",
                "multiline",
                max_length=2000,
                help="Required for no further action (2.19)",
            ),
            Field(
                "after_nfa",
                "With no further action by OPSS, the issue is",
                "choice",
                choices=AFTER_NFA,
                value="closed",
            ),
        ),
        context={"conference": conference_ref},
    )
