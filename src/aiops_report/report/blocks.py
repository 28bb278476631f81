"""The report's typographic kit: page geometry, colours, paragraph styles and the blocks
(paragraphs, headings, tables, boxes, conversation cells) that every section is made of."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from aiops_report.report.fonts import ReportFonts
from aiops_report.texts.formats import format_score, shorten
from aiops_report.texts.report import NONE, Texts

MARGIN = 16 * mm
FRAME_PADDING = 6  # reportlab's default padding inside the page's frame
LEFT = MARGIN + FRAME_PADDING
WIDTH = A4[0] - 2 * LEFT
NAVY = colors.HexColor("#1F3A5F")
BLUE = colors.HexColor("#2F6FB0")
PALE_BLUE = colors.HexColor("#A9C2DE")
GREEN = colors.HexColor("#2E8B57")
RED = colors.HexColor("#C8463D")
INK = colors.HexColor("#1F2933")
MUTED = colors.HexColor("#6B7785")
GRID = colors.HexColor("#D5DBE5")
ZEBRA = colors.HexColor("#F4F6FA")
HEAD = colors.HexColor("#E8EEF6")
CALLOUT = colors.HexColor("#F5F8FC")
NOTICE = colors.HexColor("#FFF6E5")
WORST = colors.HexColor("#FBE9E7")  # the worst model's row
TONE_COLORS = {"good": GREEN, "bad": RED, "neutral": MUTED}
CELL_FONT_SIZE = 7.5
CELL_PADDING = 6
MAX_SHORT_COLUMN = 32 * mm  # a longer model name wraps
EXCERPT_LIMITS = {"question": 90, "answer": 140, "note": 80, "model": 28, "feedback": 12}


def paragraph_styles(fonts: ReportFonts) -> dict[str, ParagraphStyle]:
    """The report's paragraph styles by name, in its regular and bold fonts."""
    font, bold = fonts.regular, fonts.bold
    return {
        "title": ParagraphStyle(
            "title", fontName=bold, fontSize=19, leading=24, textColor=colors.white
        ),
        "subtitle": ParagraphStyle(
            "subtitle",
            fontName=font,
            fontSize=10,
            leading=14,
            textColor=colors.HexColor("#D6E2F0"),
        ),
        "heading": ParagraphStyle(
            "heading",
            fontName=bold,
            fontSize=12.5,
            leading=16,
            textColor=NAVY,
            spaceBefore=14,
            spaceAfter=6,
        ),
        "chart_title": ParagraphStyle(
            "chart_title", fontName=bold, fontSize=9, leading=12, textColor=INK
        ),
        "body": ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14, textColor=INK),
        "bullet": ParagraphStyle(
            "bullet",
            fontName=font,
            fontSize=9.5,
            leading=15,
            textColor=INK,
            leftIndent=12,
            firstLineIndent=-12,
        ),
        "cell": ParagraphStyle(
            "cell", fontName=font, fontSize=CELL_FONT_SIZE, leading=10, textColor=INK
        ),
        "cell_head": ParagraphStyle(
            "cell_head", fontName=bold, fontSize=CELL_FONT_SIZE, leading=10, textColor=INK
        ),
        "subheading": ParagraphStyle(
            "subheading",
            fontName=bold,
            fontSize=10,
            leading=13,
            textColor=INK,
            spaceBefore=10,
            spaceAfter=4,
        ),
        "note": ParagraphStyle(
            "note", fontName=font, fontSize=CELL_FONT_SIZE, leading=10.5, textColor=MUTED
        ),
        "cell_head_right": ParagraphStyle(
            "cell_head_right",
            fontName=bold,
            fontSize=CELL_FONT_SIZE,
            leading=10,
            textColor=INK,
            alignment=TA_RIGHT,
        ),
        "cell_right": ParagraphStyle(
            "cell_right",
            fontName=font,
            fontSize=CELL_FONT_SIZE,
            leading=10,
            textColor=INK,
            alignment=TA_RIGHT,
        ),
    }


class Blocks:
    """Builds the report's blocks in its words, fonts and styles."""

    def __init__(self, texts: Texts, fonts: ReportFonts) -> None:
        self.texts = texts
        self.fonts = fonts
        self.styles = paragraph_styles(fonts)

    # --- text ---------------------------------------------------------------------------------

    def drawable(self, text: str, limit: int | None = None) -> str:
        """Plain text the font can draw, on one line of at most `limit` characters."""
        return shorten(self.fonts.keep_drawable(text), limit)

    def markup(self, text: str, limit: int | None = None) -> str:
        """`text` as data inside Paragraph markup: drawable, then escaped."""
        return escape(self.drawable(text, limit))

    def paragraph(self, text: str, style: str, limit: int | None = None) -> Paragraph:
        return Paragraph(self.markup(text, limit), self.styles[style])

    def heading(self, text: str) -> Paragraph:
        return self.paragraph(text, "heading")

    def subheading(self, text: str) -> Paragraph:
        return self.paragraph(text, "subheading")

    def emphasized(self, cell: Paragraph, color: colors.Color) -> Paragraph:
        """The same cell in bold and `color` (the worst model's row)."""
        style = ParagraphStyle(
            f"{cell.style.name}_emphasized",
            parent=cell.style,
            fontName=self.fonts.bold,
            textColor=color,
        )
        return Paragraph(cell.text, style)

    # --- tables -------------------------------------------------------------------------------

    def table(
        self, rows: Sequence[Sequence[Any]], widths: Sequence[float], style: Any, **options: Any
    ) -> Table:
        """A Table in the report's font (a cell's font is Helvetica unless it is set)."""
        table = Table(rows, colWidths=list(widths), hAlign="LEFT", **options)
        table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), self.fonts.regular), *style]))
        return table

    def grid(
        self, rows: Sequence[Sequence[Any]], widths: Sequence[float], style: list[Any]
    ) -> Table:
        """A data table: tinted header row, subtle lines, zebra rows; the header repeats."""
        return self.table(
            rows,
            widths,
            [
                ("FONTNAME", (0, 0), (-1, 0), self.fonts.bold),
                ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, GRID),
                ("LINEABOVE", (0, 0), (-1, 0), 0.8, NAVY),
                ("LINEBELOW", (0, -1), (-1, -1), 0.8, NAVY),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                *style,
            ],
            repeatRows=1,
        )

    def box(self, flowables: list[Flowable], background: colors.Color) -> Table:
        """A tinted box with rounded corners around `flowables`."""
        return self.table(
            [[flowables]],
            [WIDTH],
            [
                ("BACKGROUND", (0, 0), (-1, -1), background),
                ("LEFTPADDING", (0, 0), (-1, -1), 12),
                ("RIGHTPADDING", (0, 0), (-1, -1), 12),
                ("TOPPADDING", (0, 0), (-1, -1), 9),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
            ],
            cornerRadii=[4, 4, 4, 4],
        )

    def text_table(
        self,
        short: Sequence[tuple[str, str, list[str]]],
        words_heading: str,
        words: Sequence[Paragraph | None],
    ) -> Table:
        """Short columns, given as (heading, style, one text per row), as wide as their texts,
        and a last column of words, left out when no row has any."""
        widths = [
            min(self.fit([heading, *values]), MAX_SHORT_COLUMN) for heading, _, values in short
        ]
        header = [self.paragraph(heading, "cell_head") for heading, _, _ in short]
        body: list[list[Flowable]] = [
            [self.paragraph(values[row], style) for _, style, values in short]
            for row in range(len(words))
        ]
        if any(words):
            header.append(self.paragraph(words_heading, "cell_head"))
            widths.append(WIDTH - sum(widths))
            for row, cell in zip(body, words, strict=True):
                row.append(cell or Paragraph(NONE, self.styles["cell"]))
        return self.grid([header, *body], widths, [("VALIGN", (0, 0), (-1, -1), "TOP")])

    def fit(self, texts: Sequence[str]) -> float:
        """The width of a table column that holds each of `texts` on one line."""
        font = self.fonts.bold
        widest = max(float(stringWidth(self.drawable(t), font, CELL_FONT_SIZE)) for t in texts)
        return widest + 2 * CELL_PADDING + 2

    # --- conversations ------------------------------------------------------------------------

    def score_feedback_model(
        self,
        headings: Sequence[str],
        scores: Sequence[float | None],
        feedback: Sequence[str | None],
        models: Sequence[str | None],
    ) -> list[tuple[str, str, list[str]]]:
        """The score, feedback and model columns of conversations; those nobody has are left out."""
        short = []
        if any(score is not None for score in scores):
            short.append((headings[0], "cell_right", [format_score(score) for score in scores]))
        if any(feedback):
            short.append((headings[1], "cell", [self.feedback_label(f) for f in feedback]))
        if any(models):
            limit = EXCERPT_LIMITS["model"]
            short.append((headings[2], "cell", [self.drawable(m or NONE, limit) for m in models]))
        return short

    def feedback_label(self, feedback: str | None) -> str:
        labels = {"like": self.texts.like, "dislike": self.texts.dislike}
        if feedback is None:
            return NONE
        return labels.get(feedback, self.drawable(feedback, EXCERPT_LIMITS["feedback"]))

    def words_cell(
        self,
        question: str | None,
        answer: str | None,
        comment: str | None,
        reason: str | None = None,
    ) -> Paragraph:
        """Short, escaped excerpts of the question, the answer and the comments on them."""
        texts = self.texts
        parts = []
        for label, text, limit in [
            (texts.question, question, EXCERPT_LIMITS["question"]),
            (texts.answer, answer, EXCERPT_LIMITS["answer"]),
        ]:
            shown = self.markup(text or "", limit)
            if shown:
                parts.append(f"<b>{escape(label)}</b> {shown}")
        for label, text in [(texts.comment, comment), (texts.reason, reason)]:
            note = self.markup(text or "", EXCERPT_LIMITS["note"])
            if note:
                parts.append(f'<font color="#{MUTED.hexval()[2:]}">{escape(label)}: {note}</font>')
        return Paragraph("<br/>".join(parts) or NONE, self.styles["cell"])
