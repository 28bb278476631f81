"""The weekly PDF: A4 layout with reportlab platypus, written atomically next to its JSON."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from aiops_report.metrics import ConversationExcerpt, ReportNumbers
from aiops_report.report.charts import Series, bar_chart, line_chart
from aiops_report.report.fonts import ReportFonts, report_fonts
from aiops_report.report.summary import highlights, shown_metrics, tone
from aiops_report.texts import (
    DOWN,
    NONE,
    TEXTS,
    UP,
    Language,
    Texts,
    chart_day,
    format_change,
    format_generated,
    format_score,
    format_time,
    format_value,
    period_label,
    short_period,
    shorten,
)

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
TONE_COLORS = {"good": GREEN, "bad": RED, "neutral": MUTED}
CHART_HEIGHT = 150
CELL_FONT_SIZE = 7.5
CELL_PADDING = 6
MAX_SHORT_COLUMN = 32 * mm  # a longer model name wraps
EXCERPT_LIMITS = {"question": 90, "answer": 140, "note": 80, "model": 28, "feedback": 12}


def write_report(
    numbers: ReportNumbers, out_dir: Path, *, language: Language, generated_at: datetime
) -> Path:
    """Write weekly_report_YYYY_MM_DD.pdf and .json (the period's end) to `out_dir`.

    Each file is written to a temporary file first and then renamed, so a reader never sees
    half a report; the JSON comes first, so that every PDF has its numbers next to it.
    Returns the PDF's path; raises FontMissing when the report font is not installed.
    """
    fonts = report_fonts()
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"weekly_report_{numbers.period.end:%Y_%m_%d}"
    # default=str: a conversation id may be a UUID or a Decimal, which json cannot write.
    document = json.dumps(numbers.to_dict(), ensure_ascii=False, indent=2, default=str)
    _write_atomically(out_dir / f"{stem}.json", lambda p: p.write_text(document, "utf-8"))
    pdf_path = out_dir / f"{stem}.pdf"
    report = _Report(numbers, TEXTS[language], fonts, generated_at)
    _write_atomically(pdf_path, lambda p: report.build(p, language))
    return pdf_path


def _write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Call `write` on a temporary file in `path`'s folder, then rename it to `path`."""
    # A name of our own rather than mkstemp, whose files are private (0600) to their owner.
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class _Footer:
    left: str
    generated: str
    page: str  # template: {page} {total}
    font: str


class _NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab has no type hints
    """Keeps every page until the end, then draws the footer with "page X / Y" on each."""

    def __init__(self, *args: Any, footer: _Footer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._draw_footer(number, len(self._pages))
            super().showPage()
        super().save()

    def _draw_footer(self, number: int, total: int) -> None:
        footer = self._footer
        y = MARGIN - 7 * mm
        self.saveState()
        self.setStrokeColor(GRID)
        self.setLineWidth(0.5)
        self.line(LEFT, y + 4 * mm, A4[0] - LEFT, y + 4 * mm)
        self.setFont(footer.font, 7.5)
        self.setFillColor(MUTED)
        self.drawString(LEFT, y, footer.left)
        right = f"{footer.generated}   ·   {footer.page.format(page=number, total=total)}"
        self.drawRightString(A4[0] - LEFT, y, right)
        self.restoreState()


class _Report:
    """The story (list of flowables) of one report."""

    def __init__(
        self, numbers: ReportNumbers, texts: Texts, fonts: ReportFonts, generated_at: datetime
    ) -> None:
        self.numbers = numbers
        self.texts = texts
        self.fonts = fonts
        self.generated_at = generated_at
        font, bold = fonts.regular, fonts.bold
        self.styles = {
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
            "cell_right": ParagraphStyle(
                "cell_right",
                fontName=font,
                fontSize=CELL_FONT_SIZE,
                leading=10,
                textColor=INK,
                alignment=TA_RIGHT,
            ),
        }

    def build(self, path: Path, language: Language) -> None:
        """Lay the report out into the PDF file `path`."""
        texts, font = self.texts, self.fonts.regular
        footer = _Footer(
            left=self.drawable(f"{texts.title}  ·  {short_period(self.numbers.period)}"),
            generated=self.drawable(
                texts.generated.format(time=format_generated(self.generated_at))
            ),
            page=texts.page,
            font=font,
        )
        document = SimpleDocTemplate(
            str(path),
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN + 4 * mm,
            title=texts.title,
            subject=period_label(self.numbers.period, texts),
            author="aiops-report",
            creator="aiops-report",
            lang=language,
            initialFontName=font,
        )
        document.build(self.story(), canvasmaker=partial(_NumberedCanvas, footer=footer))

    def story(self) -> list[Flowable]:
        if self.numbers.is_empty:
            return [self.header(), *self.empty_notice()]
        story = [self.header(), *self.kpi_section(), *self.highlights_section()]
        story += self.charts_section()
        texts = self.texts
        for heading, excerpts in [
            (texts.lowest_heading, self.numbers.lowest_scored),
            (texts.disliked_heading, self.numbers.disliked),
        ]:
            if excerpts:
                # A heading near the page's foot goes to the next page with its table.
                story += [
                    CondPageBreak(28 * mm),
                    self.heading(heading),
                    self.excerpt_table(excerpts),
                ]
        return story

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

    # --- sections -----------------------------------------------------------------------------

    def header(self) -> Table:
        """The title band."""
        rows = [
            [self.paragraph(self.texts.title, "title")],
            [self.paragraph(period_label(self.numbers.period, self.texts), "subtitle")],
        ]
        return self.table(
            rows,
            [WIDTH],
            [
                ("BACKGROUND", (0, 0), (-1, -1), NAVY),
                ("LEFTPADDING", (0, 0), (-1, -1), 14),
                ("TOPPADDING", (0, 0), (-1, 0), 14),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 12),
            ],
            cornerRadii=[4, 4, 4, 4],
        )

    def empty_notice(self) -> list[Flowable]:
        """What an empty week shows instead of numbers."""
        texts, numbers = self.texts, self.numbers
        first, last = numbers.period.days[0].isoformat(), numbers.period.days[-1].isoformat()
        lines = [
            self.paragraph(texts.empty_heading, "heading"),
            self.paragraph(texts.empty_body.format(start=first, end=last), "body"),
        ]
        if numbers.previous.conversations:
            previous = format_value("conversations", numbers.previous.conversations)
            lines.append(Spacer(1, 4))
            lines.append(
                self.paragraph(texts.empty_previous.format(conversations=previous), "body")
            )
        return [Spacer(1, 14), self.box(lines, NOTICE)]

    def kpi_section(self) -> list[Flowable]:
        numbers, texts = self.numbers, self.texts
        rows: list[list[str]] = [list(texts.kpi_columns)]
        style: list[Any] = [
            ("FONTNAME", (1, 1), (1, -1), self.fonts.bold),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ("FONTSIZE", (0, 0), (-1, -1), 9),
            ("TOPPADDING", (0, 0), (-1, -1), 4.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 5.5),
        ]
        for row, name in enumerate(shown_metrics(numbers), start=1):
            change = numbers.change[name]
            rows.append(
                [
                    texts.metrics[name],
                    format_value(name, getattr(numbers.current, name)),
                    format_value(name, getattr(numbers.previous, name)),
                    format_change(name, change, texts),
                ]
            )
            color = TONE_COLORS[tone(name, change.absolute)]
            style.append(("TEXTCOLOR", (3, row), (3, row), color))
        table = self.grid(
            [[self.drawable(cell) for cell in row] for row in rows],
            [WIDTH * 0.31, WIDTH * 0.19, WIDTH * 0.19, WIDTH * 0.31],
            style,
        )
        return [self.heading(texts.kpi_heading), table]

    def highlights_section(self) -> list[Flowable]:
        texts = self.texts
        found = highlights(self.numbers, texts)
        lines: list[Flowable] = []
        for highlight in found:
            color = TONE_COLORS[highlight.tone].hexval()[2:]
            mark = UP if highlight.went_up else DOWN
            lines.append(
                Paragraph(
                    f'<font color="#{color}">{mark}</font> {self.markup(highlight.text)}',
                    self.styles["bullet"],
                )
            )
        if not found:
            lines.append(self.paragraph(texts.no_comparison, "body"))
        return [KeepTogether([self.heading(texts.highlights_heading), self.box(lines, CALLOUT)])]

    def charts_section(self) -> list[Flowable]:
        """The daily charts and the score distribution, two per row; only charts with data."""
        numbers, texts, font = self.numbers, self.texts, self.fonts.regular
        days = [chart_day(d.date, texts) for d in numbers.daily]
        width = WIDTH / 2 - 8
        cells: list[list[Flowable]] = []

        def add(title: str, drawing: Flowable) -> None:
            cells.append([self.paragraph(title, "chart_title"), Spacer(1, 4), drawing])

        daily = numbers.daily
        if any(d.conversations for d in daily):
            series = [Series(texts.this_week, [d.conversations for d in daily], BLUE)]
            add(
                texts.chart_conversations,
                bar_chart(
                    days, series, width=width, height=CHART_HEIGHT, font=font, value_labels=True
                ),
            )
        if any(d.likes or d.dislikes for d in daily):
            series = [
                Series(texts.likes, [d.likes for d in daily], GREEN),
                Series(texts.dislikes, [d.dislikes for d in daily], RED),
            ]
            add(
                texts.chart_feedback,
                bar_chart(days, series, width=width, height=CHART_HEIGHT, font=font),
            )
        if any(d.avg_score is not None for d in daily):
            series = [Series(texts.this_week, [d.avg_score for d in daily], BLUE)]
            if numbers.previous.avg_score is not None:
                reference = [numbers.previous.avg_score] * len(daily)
                series.append(Series(texts.last_week_average, reference, MUTED, dashed=True))
            add(
                texts.chart_score,
                line_chart(days, series, width=width, height=CHART_HEIGHT, font=font),
            )
        buckets = numbers.score_distribution
        if any(b.current or b.previous for b in buckets):
            series = [
                Series(texts.this_week, [b.current for b in buckets], BLUE),
                Series(texts.last_week, [b.previous for b in buckets], PALE_BLUE),
            ]
            labels = [f"{b.low}–{b.high}" for b in buckets]
            add(
                texts.chart_distribution,
                bar_chart(labels, series, width=width, height=CHART_HEIGHT, font=font),
            )
        # One table per row of two charts, so that a row that does not fit goes to the next page
        # on its own; the heading stays with the first row.
        rows = [self.chart_row(cells[i : i + 2]) for i in range(0, len(cells), 2)]
        if not rows:
            return []
        return [KeepTogether([self.heading(texts.daily_heading), rows[0]]), *rows[1:]]

    def chart_row(self, cells: list[list[Flowable]]) -> Table:
        return self.table(
            [cells + [[]] * (2 - len(cells))],
            [WIDTH / 2, WIDTH / 2],
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
            ],
        )

    def excerpt_table(self, excerpts: Sequence[ConversationExcerpt]) -> Table:
        """Time, score, feedback, model and the conversation; columns nobody has are left out."""
        texts, zone, headings = self.texts, self.numbers.period.zone, self.texts.excerpt_columns
        # The short columns, as (heading, style, one text per row), are as wide as their texts.
        short = [(headings[0], "cell", [format_time(e.created_at, zone, texts) for e in excerpts])]
        if any(e.score is not None for e in excerpts):
            short.append((headings[1], "cell_right", [format_score(e.score) for e in excerpts]))
        if any(e.feedback for e in excerpts):
            short.append((headings[2], "cell", [self.feedback_label(e.feedback) for e in excerpts]))
        if any(e.model for e in excerpts):
            models = [self.drawable(e.model or NONE, EXCERPT_LIMITS["model"]) for e in excerpts]
            short.append((headings[3], "cell", models))
        widths = [
            min(self.fit([heading, *values]), MAX_SHORT_COLUMN) for heading, _, values in short
        ]
        header = [self.paragraph(heading, "cell_head") for heading, _, _ in short]
        body = [
            [self.paragraph(values[row], style) for _, style, values in short]
            for row in range(len(excerpts))
        ]
        if any(_has_words(e) for e in excerpts):
            header.append(self.paragraph(headings[4], "cell_head"))
            widths.append(WIDTH - sum(widths))
            for row, excerpt in zip(body, excerpts, strict=True):
                row.append(self.conversation_cell(excerpt))
        return self.grid([header, *body], widths, [("VALIGN", (0, 0), (-1, -1), "TOP")])

    def fit(self, texts: Sequence[str]) -> float:
        """The width of a table column that holds each of `texts` on one line."""
        font = self.fonts.bold
        widest = max(float(stringWidth(self.drawable(t), font, CELL_FONT_SIZE)) for t in texts)
        return widest + 2 * CELL_PADDING + 2

    def feedback_label(self, feedback: str | None) -> str:
        labels = {"like": self.texts.like, "dislike": self.texts.dislike}
        if feedback is None:
            return NONE
        return labels.get(feedback, self.drawable(feedback, EXCERPT_LIMITS["feedback"]))

    def conversation_cell(self, excerpt: ConversationExcerpt) -> Paragraph:
        """Short, escaped excerpts of the question, the answer and the comments on them."""
        texts = self.texts
        parts = []
        for label, text, limit in [
            (texts.question, excerpt.user_message, EXCERPT_LIMITS["question"]),
            (texts.answer, excerpt.ai_response, EXCERPT_LIMITS["answer"]),
        ]:
            shown = self.markup(text or "", limit)
            if shown:
                parts.append(f"<b>{escape(label)}</b> {shown}")
        for label, text in [(texts.comment, excerpt.comment), (texts.reason, excerpt.reason)]:
            note = self.markup(text or "", EXCERPT_LIMITS["note"])
            if note:
                parts.append(f'<font color="#{MUTED.hexval()[2:]}">{escape(label)}: {note}</font>')
        return Paragraph("<br/>".join(parts) or NONE, self.styles["cell"])


def _has_words(excerpt: ConversationExcerpt) -> bool:
    return any((excerpt.user_message, excerpt.ai_response, excerpt.comment, excerpt.reason))
