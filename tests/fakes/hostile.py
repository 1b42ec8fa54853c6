"""Hostile text: the string every text field is filled with to prove people's text stays
text, and the hypothesis strategies that fuzz commands and form values."""

from __future__ import annotations

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
