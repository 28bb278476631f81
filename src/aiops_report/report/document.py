"""The weekly PDF: written atomically next to its JSON, as A4 pages with reportlab platypus;
the story of its headline sections (title, KPIs, highlights, charts, conversations) and the
footer that numbers its pages."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
)

from aiops_report.analysis.metrics import ConversationExcerpt, ReportNumbers
from aiops_report.errors import ReportNotWritten
from aiops_report.language import Language
from aiops_report.report.blocks import (
    BLUE,
    CALLOUT,
    GREEN,
    GRID,
    LEFT,
    MARGIN,
    MUTED,
    NAVY,
    NOTICE,
    PALE_BLUE,
    RED,
    TONE_COLORS,
    WIDTH,
    Blocks,
)
from aiops_report.report.charts import Series, bar_chart, histogram, line_chart
from aiops_report.report.fonts import ReportFonts, report_fonts
from aiops_report.report.insight_section import insights_section
from aiops_report.report.summary import highlights, shown_metrics, tone
from aiops_report.texts.formats import (
    chart_day,
    format_change,
    format_generated,
    format_time,
    format_value,
    partial_note,
    period_label,
    report_title,
    short_period,
)
from aiops_report.texts.report import DOWN, TEXTS, UP, Texts

CHART_HEIGHT = 150
CHART_WIDTH = WIDTH / 2 - 8  # two charts a row


def write_report(
    numbers: ReportNumbers,
    out_dir: Path,
    *,
    language: Language,
    generated_at: datetime,
    restated: bool = False,
) -> Path:
    """Write weekly_report_YYYY_MM_DD.pdf and .json (the period's end; ..._partial.pdf for
    a week-to-date report, weekly_report_YYYY_MM_DD_segment_<name>.pdf for a segment's, then
    `_restated` when it restates a delivered week, which its first page says) to `out_dir`.

    Both are written to temporary files beside them and moved into place once both are
    whole, so a reader never sees half a report, nor a JSON without its PDF. Returns the PDF's
    path; raises FontMissing when the report font is not installed, ReportNotWritten when
    `out_dir` cannot hold the files (a file in its path, read-only, a full disk).
    """
    fonts = report_fonts()
    # A week-to-date report is named apart: it never stands in for the week's own report.
    partial = "_partial" if numbers.period.partial else ""
    segment = f"_segment_{file_safe(numbers.segment)}" if numbers.segment is not None else ""
    restatement = "_restated" if restated else ""
    stem = f"weekly_report_{numbers.period.end:%Y_%m_%d}{segment}{partial}{restatement}"
    # default=str: a conversation id may be a UUID or a Decimal, which json cannot write.
    document = json.dumps(numbers.to_dict(), ensure_ascii=False, indent=2, default=str)
    report = _Report(numbers, TEXTS[language], fonts, generated_at, restated=restated)
    pdf_path = out_dir / f"{stem}.pdf"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _write_together(
            {
                # The JSON is moved in first, so that every PDF has its numbers next to it.
                out_dir / f"{stem}.json": lambda p: p.write_text(document, "utf-8"),
                pdf_path: lambda p: report.build(p, language),
            }
        )
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ReportNotWritten(f"cannot write the report in {out_dir}: {reason}") from None
    return pdf_path


def file_safe(name: str) -> str:
    """`name` as part of a file name: letters (Hangul too), digits, `.`, `_` and `-` kept,
    each run of anything else made one `-`, then a hash of `name` when it changed (so that
    "a/b" and "a-b" are two files)."""
    safe = re.sub(r"[^\w.-]+", "-", name).strip(".-")[:60]
    if safe == name:
        return safe
    return f"{safe}-{hashlib.sha256(name.encode()).hexdigest()[:8]}".lstrip("-")


def _write_together(writers: dict[Path, Callable[[Path], object]]) -> None:
    """Call each writer on a temporary file in its path's folder, then, all written, rename
    each to its path; the temporary files are gone either way."""
    # Names of our own rather than mkstemp's, whose files are private (0600) to their owner.
    temporaries = {path: path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp") for path in writers}
    try:
        for path, write in writers.items():
            write(temporaries[path])
        for path, temporary in temporaries.items():
            os.replace(temporary, path)
    finally:
        for temporary in temporaries.values():
            with contextlib.suppress(OSError):  # e.g. never created in a read-only folder
                temporary.unlink(missing_ok=True)


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
        self,
        numbers: ReportNumbers,
        texts: Texts,
        fonts: ReportFonts,
        generated_at: datetime,
        *,
        restated: bool = False,
    ) -> None:
        self.numbers = numbers
        self.texts = texts
        self.fonts = fonts
        self.generated_at = generated_at
        self.restated = restated
        self.blocks = Blocks(texts, fonts)
        self.title = report_title(numbers.period, texts, numbers.segment, restated=restated)

    def build(self, path: Path, language: Language) -> None:
        """Lay the report out into the PDF file `path`."""
        texts, font, period, title = self.texts, self.fonts.regular, self.numbers.period, self.title
        footer = _Footer(
            left=self.blocks.drawable(f"{title}  ·  {short_period(period)}"),
            generated=self.blocks.drawable(
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
        header = [self.header(), *self.restated_notice(), *self.partial_notice()]
        if self.numbers.is_empty:
            return [*header, *self.empty_notice()]
        story = [*header, *self.kpi_section(), *self.highlights_section()]
        story += insights_section(self.numbers, self.blocks)
        story += self.charts_section()
        texts = self.texts
        for heading, time_heading, excerpts in [
            (texts.lowest_heading, texts.scored_at, self.numbers.lowest_scored),
            (texts.disliked_heading, texts.rated_at, self.numbers.disliked),
        ]:
            if excerpts:
                # A heading near the page's foot goes to the next page with its table.
                story += [
                    CondPageBreak(28 * mm),
                    self.blocks.heading(heading),
                    self.excerpt_table(excerpts, time_heading),
                ]
        return story

    # --- sections -----------------------------------------------------------------------------

    def header(self) -> Table:
        """The title band."""
        period = self.numbers.period
        rows = [
            [self.blocks.paragraph(self.title, "title")],
            [self.blocks.paragraph(period_label(period, self.texts), "subtitle")],
        ]
        return self.blocks.table(
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

    def restated_notice(self) -> list[Flowable]:
        """A restated report says so under its title: the numbers moved since it was sent."""
        if not self.restated:
            return []
        generated = format_generated(self.generated_at)
        note = self.texts.restated_note.format(generated=generated)
        return [Spacer(1, 8), self.blocks.box([self.blocks.paragraph(note, "body")], NOTICE)]

    def partial_notice(self) -> list[Flowable]:
        """A week-to-date report says so under its title, and what it is compared with."""
        period = self.numbers.period
        if not period.partial:
            return []
        note = self.blocks.paragraph(partial_note(period, self.texts), "body")
        return [Spacer(1, 8), self.blocks.box([note], NOTICE)]

    def empty_notice(self) -> list[Flowable]:
        """What an empty week shows instead of numbers."""
        texts, numbers = self.texts, self.numbers
        first, last = numbers.period.days[0].isoformat(), numbers.period.days[-1].isoformat()
        lines = [
            self.blocks.paragraph(texts.empty_heading, "heading"),
            self.blocks.paragraph(texts.empty_body.format(start=first, end=last), "body"),
        ]
        if numbers.previous.conversations:
            previous = format_value("conversations", numbers.previous.conversations)
            lines.append(Spacer(1, 4))
            lines.append(
                self.blocks.paragraph(texts.empty_previous.format(conversations=previous), "body")
            )
        return [Spacer(1, 14), self.blocks.box(lines, NOTICE)]

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
        table = self.blocks.grid(
            [[self.blocks.drawable(cell) for cell in row] for row in rows],
            [WIDTH * 0.28, WIDTH * 0.21, WIDTH * 0.21, WIDTH * 0.30],
            style,
        )
        return [self.blocks.heading(texts.kpi_heading), table]

    def highlights_section(self) -> list[Flowable]:
        texts = self.texts
        found = highlights(self.numbers, texts)
        lines: list[Flowable] = []
        for highlight in found:
            color = TONE_COLORS[highlight.tone].hexval()[2:]
            mark = UP if highlight.went_up else DOWN
            lines.append(
                Paragraph(
                    f'<font color="#{color}">{mark}</font> {self.blocks.markup(highlight.text)}',
                    self.blocks.styles["bullet"],
                )
            )
        if not found:
            lines.append(self.blocks.paragraph(texts.no_comparison, "body"))
        return [
            KeepTogether(
                [self.blocks.heading(texts.highlights_heading), self.blocks.box(lines, CALLOUT)]
            )
        ]

    def charts_section(self) -> list[Flowable]:
        """The daily charts and the score distribution, two per row; only charts with data."""
        numbers, texts, font = self.numbers, self.texts, self.fonts.regular
        days = [chart_day(d.date, texts) for d in numbers.daily]
        width = CHART_WIDTH
        cells: list[list[Flowable]] = []

        def add(title: str, drawing: Flowable) -> None:
            cells.append([self.blocks.paragraph(title, "chart_title"), Spacer(1, 4), drawing])

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
            edges = [(b.low, b.high) for b in buckets]
            add(
                texts.chart_distribution,
                histogram(edges, series, width=width, height=CHART_HEIGHT, font=font),
            )
        # One table per row of two charts, so that a row that does not fit goes to the next page
        # on its own; the heading stays with the first row.
        rows = [self.chart_row(cells[i : i + 2]) for i in range(0, len(cells), 2)]
        if not rows:
            return []
        return [KeepTogether([self.blocks.heading(texts.daily_heading), rows[0]]), *rows[1:]]

    def chart_row(self, cells: list[list[Flowable]]) -> Table:
        return self.blocks.table(
            [cells + [[]] * (2 - len(cells))],
            [WIDTH / 2, WIDTH / 2],
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
            ],
        )

    def excerpt_table(self, excerpts: Sequence[ConversationExcerpt], time_heading: str) -> Table:
        """Time (headed `time_heading`: whose time it is), score, feedback, model and the
        conversation; columns nobody has are left out."""
        texts, zone, headings = self.texts, self.numbers.period.zone, self.texts.excerpt_columns
        times = [format_time(e.created_at, zone, texts) for e in excerpts]
        short = [(time_heading, "cell", times)]
        short += self.blocks.score_feedback_model(
            headings[:3],
            [e.score for e in excerpts],
            [e.feedback for e in excerpts],
            [e.model for e in excerpts],
        )
        words = [
            self.blocks.words_cell(e.user_message, e.ai_response, e.comment, e.reason)
            if _has_words(e)
            else None
            for e in excerpts
        ]
        return self.blocks.text_table(short, headings[3], words)


def _has_words(excerpt: ConversationExcerpt) -> bool:
    return any((excerpt.user_message, excerpt.ai_response, excerpt.comment, excerpt.reason))
