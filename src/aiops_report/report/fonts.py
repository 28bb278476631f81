"""The report's font: NanumGothic (`hangul_font.font_files`), registered with reportlab.

reportlab embeds a subset of every TrueType font it draws with, so any viewer shows Hangul.
"""

from __future__ import annotations

import struct
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
    regular = _read(REGULAR, regular_path)
    bold = _read(BOLD, bold_path)
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


def _read(name: str, path: Path) -> TTFont:
    """The font file at `path`; FontMissing naming it when it is not a whole TrueType font."""
    try:
        return TTFont(name, str(path))
    # A cut or damaged file fails wherever reportlab's parser runs out of bytes: struct.error,
    # IndexError, ... rather than TTFError.
    except (TTFError, struct.error, IndexError, KeyError, ValueError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FontMissing(
            f"the report font {path} cannot be read ({reason}): the file is damaged or cut "
            "short; reinstall aiops-report (pip install --force-reinstall aiops-report)"
        ) from None


def font_status() -> FontStatus:
    """The font the report embeds; raises FontMissing when it is not installed or unreadable."""
    return report_fonts().status
