"""Declaring an incident, and the words of command and control that forms and cards share:
the groups, the response levels, the command roles."""

from __future__ import annotations

from cards.model import Choice, Field, Form
from commands.issue.forms import TITLE_MAX

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
            "Justification if a chair is not the one the plan names (3.4, 3.9), or someone "
            "named is not trained for their role (the roster, 6.6)",
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
