"""Hostile text: the string every text field is filled with to prove people's text stays
text, and the hypothesis strategies that fuzz commands and form values."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

MARK = "evil.example"


HOSTILE = (
    f"<!channel> <@U0123ABCD> <https://{MARK}/login|Sign in to OPSS> "
    f"[Sign in](https://{MARK}/md) **bold** *em* _it_ ~gone~ `code` <b>html</b> &amp; "
    "{{DATE(2026-11-23T09:00:00Z, SHORT)}}\n# heading\n- item\n1. first"
)

TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=()), max_size=300
) | st.sampled_from(
    [
        "raise \x00",
        "raise \ud800",
        '"',
        "--",
        "--title",
        "assess ISS-2026-0001 safety=",
        "status INC-9999-999",
        "role grant hana admin",
        "clock +9999d",
        "sitrep INC-2026-001 show 99999999999999999999",
        "<!channel> <https://evil.example|x>",
        "x" * 9000,
    ]
)


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


# Fuzzing: commands, forms and keys of any shape, with a fixed budget.

COMMANDS = st.builds(
    lambda verb, rest: f"{verb} {rest}",
    st.sampled_from(
        [
            "raise",
            "assess",
            "nnc",
            "escalate",
            "conference",
            "outcome",
            "declare",
            "decide",
            "action",
            "done",
            "rhythm",
            "sitrep",
            "status",
            "list",
            "role",
            "close",
            "reopen",
            "clock",
            "help",
            "risk",
            "notify",
            "notifications",
            "nonsense",
        ]
    ),
    TEXT,
)
FORMS = st.fixed_dictionaries(
    {
        "form": st.sampled_from(
            [
                "raise",
                "assess",
                "nnc",
                "conference",
                "outcome",
                "declare",
                "decide",
                "action",
                "rhythm_add",
                "rhythm_replace",
                "erco_could_develop",
                "sitrep_update",
                "sitrep_amend",
                "notify",
                "annex",
                "risk_annex",
                "risk_prism",
                "nope",
            ]
        )
    },
    optional={
        "reference": st.sampled_from(
            ["ISS-2026-0001", "INC-2026-001", "CC-2026-0001", "NOT-2026-0001", "x"]
        ),
        "step": VALUES,
        "title": VALUES,
        "products": VALUES,
        "team": VALUES,
        "days": VALUES,
        "outcomes": VALUES,
        "when": VALUES,
        "command": VALUES,
    },
)
# Idempotency keys of any text at all, lone surrogates included (JSON can carry "\udfff").
KEYS = st.text(alphabet=st.characters(exclude_categories=()), max_size=120) | st.sampled_from(
    ["\udfff", "\ud800", "a\ud83dz", "\x00", "k" * 500]
)
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,  # the same examples every run: CI is repeatable and its time flat
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

FUZZ_HTTP = settings(FUZZ, max_examples=60)  # each example is an HTTP round trip
