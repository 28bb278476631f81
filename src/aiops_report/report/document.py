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
from typing import TYPE_CHECKING, Any
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

from aiops_report.analysis.formulas import Change
from aiops_report.analysis.metrics import ConversationExcerpt, ReportNumbers
from aiops_report.language import Language
from aiops_report.report.charts import Series, bar_chart, line_chart
from aiops_report.report.fonts import ReportFonts, report_fonts
from aiops_report.report.summary import (
    highlights,
    rising_theme,
    shown_metrics,
    tone,
    worst_model,
)
from aiops_report.texts import (
    DOWN,
    NONE,
    TEXTS,
    UP,
    Texts,
    anomalies_notes,
    chart_day,
    format_change,
    format_cost,
    format_generated,
    format_interval,
    format_p_value,
    format_score,
    format_short_day,
    format_time,
    format_value,
    format_z,
    partial_note,
    period_label,
    report_title,
    short_period,
    shorten,
)

if TYPE_CHECKING:
    from aiops_report.analysis.insights import Insights, ModelStats

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
CHART_HEIGHT = 150
CELL_FONT_SIZE = 7.5
CELL_PADDING = 6
MAX_SHORT_COLUMN = 32 * mm  # a longer model name wraps
EXCERPT_LIMITS = {"question": 90, "answer": 140, "note": 80, "model": 28, "feedback": 12}
CHANGE_TESTS = ("conversations", "satisfaction_rate", "avg_score")  # as insights.CHANGE_METRICS
SHOWN_DISAGREEMENTS = 3
SHOWN_THEMES = 5
THEME_EXAMPLE_LIMIT = 90
KAPPA_STRENGTHS = (0.2, 0.4, 0.6, 0.8)  # Landis and Koch's bounds of slight ... almost perfect


def write_report(
    numbers: ReportNumbers, out_dir: Path, *, language: Language, generated_at: datetime
) -> Path:
    """Write weekly_report_YYYY_MM_DD.pdf and .json (the period's end; ..._partial.pdf for
    a week-to-date report) to `out_dir`.

    Each file is written to a temporary file first and then renamed, so a reader never sees
    half a report; the JSON comes first, so that every PDF has its numbers next to it.
    Returns the PDF's path; raises FontMissing when the report font is not installed.
    """
    fonts = report_fonts()
    out_dir.mkdir(parents=True, exist_ok=True)
    # A week-to-date report is named apart: it never stands in for the week's own report.
    partial = "_partial" if numbers.period.partial else ""
    stem = f"weekly_report_{numbers.period.end:%Y_%m_%d}{partial}"
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

    def build(self, path: Path, language: Language) -> None:
        """Lay the report out into the PDF file `path`."""
        texts, font, period = self.texts, self.fonts.regular, self.numbers.period
        title = report_title(period, texts)
        footer = _Footer(
            left=self.drawable(f"{title}  ·  {short_period(period)}"),
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
            title=title,
            subject=period_label(period, texts),
            author="aiops-report",
            creator="aiops-report",
            lang=language,
            initialFontName=font,
        )
        document.build(self.story(), canvasmaker=partial(_NumberedCanvas, footer=footer))

    def story(self) -> list[Flowable]:
        header = [self.header(), *self.partial_notice()]
        if self.numbers.is_empty:
            return [*header, *self.empty_notice()]
        story = [*header, *self.kpi_section(), *self.highlights_section()]
        story += self.insights_section()
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
        period = self.numbers.period
        rows = [
            [self.paragraph(report_title(period, self.texts), "title")],
            [self.paragraph(period_label(period, self.texts), "subtitle")],
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

    def partial_notice(self) -> list[Flowable]:
        """A week-to-date report says so under its title, and what it is compared with."""
        period = self.numbers.period
        if not period.partial:
            return []
        note = self.paragraph(partial_note(period, self.texts), "body")
        return [Spacer(1, 8), self.box([note], NOTICE)]

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
        columns = texts.kpi_columns_partial if numbers.period.partial else texts.kpi_columns
        rows: list[list[str]] = [list(columns)]
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
            color = BLUE if change.new else TONE_COLORS[tone(name, change.absolute)]
            style.append(("TEXTCOLOR", (3, row), (3, row), color))
        table = self.grid(
            [[self.drawable(cell) for cell in row] for row in rows],
            [WIDTH * 0.28, WIDTH * 0.21, WIDTH * 0.21, WIDTH * 0.30],
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

    # --- insights -----------------------------------------------------------------------------

    def insights_section(self) -> list[Flowable]:
        """What changed, whether it is real, where and why: only the parts the insights have."""
        insights = self.numbers.insights
        if insights is None:
            return []
        parts = [
            part
            for part in (
                self.changes_part(insights),
                self.models_part(insights),
                self.anomalies_part(insights),
                self.agreement_part(insights),
                self.themes_part(insights),
            )
            if part
        ]
        if not parts:
            return []
        first, *rest = parts
        heading = self.heading(self.texts.insights.heading)
        return [KeepTogether([heading, *first]), *(KeepTogether(part) for part in rest)]

    def subheading(self, text: str) -> Paragraph:
        return self.paragraph(text, "subheading")

    def changes_part(self, insights: Insights) -> list[Flowable]:
        """Is it real? Each tested change with its 95% interval, p-value and verdict."""
        words, texts = self.texts.insights, self.texts
        shown = set(shown_metrics(self.numbers))
        tests = [
            (name, insights.changes[name])
            for name in CHANGE_TESTS
            if name in insights.changes and name in shown
            if insights.changes[name].current is not None
            or insights.changes[name].previous is not None
        ]
        if not tests:
            return []
        heads = words.changes_columns
        rows: list[list[Any]] = [
            [self.paragraph(heads[0], "cell_head")]
            + [self.paragraph(h, "cell_head_right") for h in heads[1:4]]
            + [self.paragraph(heads[4], "cell_head")]
        ]
        for name, test in tests:
            change = format_change(name, Change(test.delta, test.relative, test.new), texts)
            if test.significant:
                verdict = words.verdicts["significant"]
            elif not test.enough_data:
                verdict = words.verdicts["not_enough_data"]
            else:
                verdict = words.verdicts["not_significant"]
            color = TONE_COLORS[tone(name, test.delta)] if test.significant else MUTED
            rows.append(
                [
                    self.paragraph(texts.metrics[name], "cell"),
                    self.paragraph(change, "cell_right"),
                    self.paragraph(
                        format_interval(name, test.ci_low, test.ci_high, texts), "cell_right"
                    ),
                    self.paragraph(format_p_value(test.p_value), "cell_right"),
                    Paragraph(
                        f'<font color="#{color.hexval()[2:]}">{self.markup(verdict)}</font>',
                        self.styles["cell_head" if test.significant else "cell"],
                    ),
                ]
            )
        table = self.grid(rows, [WIDTH * f for f in (0.17, 0.19, 0.21, 0.11, 0.32)], [])
        return [
            self.subheading(words.changes_heading),
            table,
            Spacer(1, 3),
            self.paragraph(self._changes_note(), "note"),
        ]

    def _changes_note(self) -> str:
        """How the changes were tested; a week-to-date report's first sentence says against
        what."""
        words = self.texts.insights
        partial = self.numbers.period.partial
        tested = words.changes_tested_partial if partial else words.changes_tested
        return f"{tested} {words.changes_note}"

    def models_part(self, insights: Insights) -> list[Flowable]:
        """By model: the period's numbers of each model, the worst highlighted, cost if priced."""
        models = insights.by_model
        if not models:
            return []
        words = self.texts.insights
        heads = words.models_columns
        columns: list[tuple[str, list[str]]] = [
            (heads[1], [format_value("conversations", m.conversations) for m in models]),
            (heads[2], [format_value("satisfaction_rate", m.satisfaction_rate) for m in models]),
            (heads[3], [format_value("avg_score", m.avg_score) for m in models]),
        ]
        if any(m.latency_p95_ms is not None for m in models):
            columns.append(
                (heads[4], [format_value("latency_p95_ms", m.latency_p95_ms) for m in models])
            )
        if any(m.total_tokens is not None for m in models):
            columns.append(
                (heads[5], [format_value("total_tokens", m.total_tokens) for m in models])
            )
        if any(m.cost is not None for m in models) or insights.unpriced_models:
            currency = self.drawable(insights.currency or "", 8)
            columns.append(
                (heads[6].format(currency=currency), [format_cost(m.cost) for m in models])
            )
            columns.append((heads[7], [format_cost(m.cost_per_like) for m in models]))
        widths = [self.fit([heading, *values]) for heading, values in columns]
        header = [self.paragraph(heads[0], "cell_head")]
        header += [self.paragraph(heading, "cell_head_right") for heading, _ in columns]
        names = [self.drawable(m.model, EXCERPT_LIMITS["model"]) for m in models]
        rows: list[list[Any]] = [header]
        for row, name in enumerate(names):
            cells = [self.paragraph(name, "cell")]
            cells += [self.paragraph(values[row], "cell_right") for _, values in columns]
            rows.append(cells)
        style: list[Any] = []
        notes: list[Flowable] = []
        worst = worst_model(self.numbers)
        if worst is not None:
            row = models.index(worst) + 1
            style += [("BACKGROUND", (0, row), (-1, row), WORST)]
            rows[row] = [self._emphasized(cell, RED) for cell in rows[row]]
            notes.append(self._worst_model_note(worst))
        if insights.unpriced_models:
            unpriced = ", ".join(insights.unpriced_models)
            notes.append(self.paragraph(words.unpriced.format(models=unpriced), "note", 300))
        table = self.grid(rows, [WIDTH - sum(widths), *widths], style)
        return [self.subheading(words.models_heading), table, Spacer(1, 3), *notes]

    def _worst_model_note(self, worst: ModelStats) -> Paragraph:
        text = self.texts.insights.worst_model.format(
            model=self.drawable(worst.model, EXCERPT_LIMITS["model"]),
            rate=format_value("satisfaction_rate", worst.satisfaction_rate),
            rated=f"{worst.likes + worst.dislikes:,}",
        )
        return Paragraph(
            f'<font color="#{RED.hexval()[2:]}">{self.markup(text)}</font>', self.styles["note"]
        )

    def _emphasized(self, cell: Paragraph, color: colors.Color) -> Paragraph:
        """The same cell in bold and `color` (the worst model's row)."""
        style = ParagraphStyle(
            f"{cell.style.name}_emphasized",
            parent=cell.style,
            fontName=self.fonts.bold,
            textColor=color,
        )
        return Paragraph(cell.text, style)

    def anomalies_part(self, insights: Insights) -> list[Flowable]:
        """Anomalous days, one line each; "none" is worth saying too."""
        words, texts = self.texts.insights, self.texts
        order = {name: i for i, name in enumerate(CHANGE_TESTS)}
        shown = set(shown_metrics(self.numbers))
        anomalies = sorted(
            (a for a in insights.anomalies if a.metric in shown),
            key=lambda a: (a.date, order.get(a.metric, len(order))),
        )
        lines: list[Flowable] = []
        for anomaly in anomalies:
            line = words.anomaly.format(
                day=format_short_day(anomaly.date, texts),
                metric=texts.metrics[anomaly.metric],
                value=format_value(anomaly.metric, _as_shown(anomaly.metric, anomaly.value)),
                baseline=format_value(
                    anomaly.metric, _as_shown(anomaly.metric, anomaly.baseline_median)
                ),
                z=format_z(anomaly.robust_z),
            )
            color = TONE_COLORS[tone(anomaly.metric, anomaly.robust_z)].hexval()[2:]
            lines.append(
                Paragraph(
                    f'<font color="#{color}">•</font> {self.markup(line)}', self.styles["bullet"]
                )
            )
        for note in anomalies_notes(
            insights.anomalies_status, self.numbers.period, texts, found=bool(lines)
        ):
            lines.append(self.paragraph(note, "body"))
        return [
            self.subheading(words.anomalies_heading),
            self.paragraph(words.anomalies_intro, "note"),
            Spacer(1, 2),
            *lines,
        ]

    def agreement_part(self, insights: Insights) -> list[Flowable]:
        """Thumbs vs evaluator: agreement, kappa, the 2×2 counts and the strongest disagreements."""
        agreement = insights.agreement
        if agreement is None:
            return []
        words, texts = self.texts.insights, self.texts
        kappa = NONE
        if agreement.kappa is not None:
            strength = sum(agreement.kappa >= bound for bound in KAPPA_STRENGTHS)
            kappa = f"{agreement.kappa:.2f} ({words.agreement_strengths[strength]})"
        summary = words.agreement.format(
            rate=format_value("satisfaction_rate", agreement.agreement_rate), kappa=kappa
        )
        threshold = f"{agreement.threshold:.1f}"
        counts = [
            [
                "",
                words.score_good.format(threshold=threshold),
                words.score_bad.format(threshold=threshold),
            ],
            [texts.like, f"{agreement.like_good:,}", f"{agreement.like_bad:,}"],
            [texts.dislike, f"{agreement.dislike_good:,}", f"{agreement.dislike_bad:,}"],
        ]
        widths = [self.fit([row[0] for row in counts])] + [
            self.fit([row[i] for row in counts]) for i in (1, 2)
        ]
        table = self.grid(
            [[self.drawable(cell) for cell in row] for row in counts],
            widths,
            [
                ("FONTSIZE", (0, 0), (-1, -1), CELL_FONT_SIZE),
                ("FONTNAME", (0, 1), (0, -1), self.fonts.bold),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                # The cells where both agree, in bold.
                ("FONTNAME", (1, 1), (1, 1), self.fonts.bold),
                ("FONTNAME", (2, 2), (2, 2), self.fonts.bold),
            ],
        )
        part: list[Flowable] = [
            self.subheading(words.agreement_heading),
            self.paragraph(summary, "body"),
            Spacer(1, 4),
            table,
        ]
        shown = agreement.disagreements[:SHOWN_DISAGREEMENTS]
        if shown:
            # The columns of the excerpt tables, but the time.
            headings = texts.excerpt_columns
            short = self.score_feedback_model(
                headings[1:4],
                [d.score for d in shown],
                [d.feedback for d in shown],
                [d.model for d in shown],
            )
            cells = [self.words_cell(d.user_message, d.ai_response, d.comment) for d in shown]
            part += [
                Spacer(1, 8),
                self.paragraph(words.disagreements, "chart_title"),
                Spacer(1, 3),
                self.text_table(short, headings[4], cells),
            ]
        return part

    def themes_part(self, insights: Insights) -> list[Flowable]:
        """Top complaints: term, this week's and last week's counts, one example."""
        themes = (insights.themes or [])[:SHOWN_THEMES]
        if not themes:
            return []
        words = self.texts.insights
        heads = words.themes_columns
        rising = rising_theme(self.numbers)
        short = [
            (heads[0], "cell", [self.drawable(t.term, EXCERPT_LIMITS["model"]) for t in themes]),
            (heads[1], "cell_right", [f"{t.count:,}" for t in themes]),
            (heads[2], "cell_right", [f"{t.previous_count:,}" for t in themes]),
        ]
        examples = [
            self.paragraph(t.examples[0], "cell", THEME_EXAMPLE_LIMIT) if t.examples else None
            for t in themes
        ]
        table = self.text_table(short, heads[3], examples)
        if rising in themes:
            row = themes.index(rising) + 1
            table.setStyle(
                TableStyle(
                    [
                        ("BACKGROUND", (0, row), (-1, row), WORST),
                    ]
                )
            )
        return [
            self.subheading(words.themes_heading),
            self.paragraph(words.themes_intro, "note"),
            Spacer(1, 3),
            table,
        ]

    def excerpt_table(self, excerpts: Sequence[ConversationExcerpt]) -> Table:
        """Time, score, feedback, model and the conversation; columns nobody has are left out."""
        texts, zone, headings = self.texts, self.numbers.period.zone, self.texts.excerpt_columns
        short = [(headings[0], "cell", [format_time(e.created_at, zone, texts) for e in excerpts])]
        short += self.score_feedback_model(
            headings[1:4],
            [e.score for e in excerpts],
            [e.feedback for e in excerpts],
            [e.model for e in excerpts],
        )
        words = [
            self.words_cell(e.user_message, e.ai_response, e.comment, e.reason)
            if _has_words(e)
            else None
            for e in excerpts
        ]
        return self.text_table(short, headings[4], words)

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


def _as_shown(metric: str, value: float) -> float:
    """A day's value or baseline median as its metric shows: counts as whole numbers (a
    median of counts may fall between two, and JSON may hand a count back as a float)."""
    return round(value) if metric == "conversations" else value


def _has_words(excerpt: ConversationExcerpt) -> bool:
    return any((excerpt.user_message, excerpt.ai_response, excerpt.comment, excerpt.reason))
