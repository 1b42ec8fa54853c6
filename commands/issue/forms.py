"""The forms of an issue: raising it, its impact assessment and its NNC criteria."""

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
            Field("description", "What we know so far", "multiline", max_length=3000),
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
    fields.append(Field("notes", "Evidence and notes", "multiline", max_length=3000))
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
