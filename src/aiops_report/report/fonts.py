"""The report's font: NanumGothic (`hangul_font.font_files`), registered with reportlab.

reportlab embeds a subset of every TrueType font it draws with, so any viewer shows Hangul.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from aiops_report.errors import FontMissing
from aiops_report.hangul_font import font_files

REGULAR = "NanumGothic"
BOLD = "NanumGothic-Bold"
HANGUL_SAMPLE = "가한글"


@dataclass(frozen=True)
class FontStatus:
    """Which font the report embeds, and whether it has glyphs for Hangul."""

    path: Path
    bold_path: Path
    name: str
    covers_hangul: bool


@dataclass(frozen=True)
class ReportFonts:
    """The registered font names and the characters both faces can draw."""

    regular: str
    bold: str
    status: FontStatus
    drawable: frozenset[int]

    def keep_drawable(self, text: str) -> str:
        """`text` without the characters the font has no glyph for (emoji, rare symbols).

        Whitespace is kept, so that words stay apart; the caller normalises it.
        """
        return "".join(ch for ch in text if ord(ch) in self.drawable or ch.isspace())


@cache
def report_fonts() -> ReportFonts:
    """Register NanumGothic (regular and bold) with reportlab, once; FontMissing on failure."""
    regular_path, bold_path = font_files()
    try:
        regular = TTFont(REGULAR, str(regular_path))
        bold = TTFont(BOLD, str(bold_path))
    except TTFError as exc:
        raise FontMissing(f"the report font {regular_path} cannot be read: {exc}") from None
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(bold)
    # <b> in a Paragraph picks the bold face through the family.
    pdfmetrics.registerFontFamily(
        REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD
    )
    drawable = frozenset(regular.face.charToGlyph) & frozenset(bold.face.charToGlyph)
    status = FontStatus(
        path=regular_path,
        bold_path=bold_path,
        name=regular.face.name.decode() if isinstance(regular.face.name, bytes) else REGULAR,
        covers_hangul=all(ord(ch) in drawable for ch in HANGUL_SAMPLE),
    )
    return ReportFonts(REGULAR, BOLD, status, drawable)


def font_status() -> FontStatus:
    """The font the report embeds; raises FontMissing when it is not installed or unreadable."""
    return report_fonts().status
