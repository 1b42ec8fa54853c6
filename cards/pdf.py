"""The one font every PDF the bot writes uses: DejaVu Sans, shipped in ``cards/fonts/`` with
its licence, embedded (as a subset) in each file. fpdf2's built-in fonts are Latin-1 only and
printed "Łódź" as "?ód?"; DejaVu Sans covers Polish, Welsh (ŵ, ŷ), smart quotes, dashes and
some emoji (😀, ⚠).

A character the font has no glyph for (most emoji: 🔥, 📦) is printed as its Unicode name in
brackets, "[fire]", rather than as an empty box: the reader still sees what was written.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import TTFFont

# Subset to the blocks records use (see the licence file): loading costs a fifth of the whole.
FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVuSans"
REGULAR = FONTS / "DejaVuSans.ttf"
BOLD = FONTS / "DejaVuSans-Bold.ttf"
# Characters that lay out as space or a line's end whatever the font.
_LAYOUT = frozenset("\n\t")


def use_font(pdf: FPDF) -> None:
    """Register the family on ``pdf``; set_font(FAMILY, "" or "B") then selects it."""
    pdf.add_font(FAMILY, "", str(REGULAR))
    pdf.add_font(FAMILY, "B", str(BOLD))


@cache
def _covered() -> frozenset[int]:
    # Both weights: a character prints only if regular and bold both have it.
    probe = FPDF()
    use_font(probe)
    maps = [f.cmap for f in probe.fonts.values() if isinstance(f, TTFFont)]
    return frozenset(set.intersection(*(set(m) for m in maps)))


def _shown(ch: str, covered: frozenset[int]) -> str:
    if ch in _LAYOUT or ord(ch) in covered:
        return ch
    if unicodedata.category(ch) in {"Cc", "Cf", "Mn"}:
        return ""  # controls, joiners, variation selectors and stray combining marks
    name = unicodedata.name(ch, "")
    return f"[{name.lower()}]" if name else "?"


def printable(text: str) -> str:
    """``text`` as the PDF prints it: composed (NFC), each uncovered character named."""
    covered = _covered()
    composed = unicodedata.normalize("NFC", text)
    if all(ord(c) in covered or c in _LAYOUT for c in composed):
        return composed
    return "".join(_shown(c, covered) for c in composed)
