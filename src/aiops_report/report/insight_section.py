"""The insights section of the report: what changed and whether it is real, by model,
anomalous days, thumbs against the evaluator, and the top complaints."""

from __future__ import annotations

from typing import Any

from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, TableStyle

from aiops_report.analysis.formulas import Change
from aiops_report.analysis.insight_parts import Insights, ModelStats, fold_segments
from aiops_report.analysis.metrics import ReportNumbers
from aiops_report.report.blocks import (
    CELL_FONT_SIZE,
    EXCERPT_LIMITS,
    MUTED,
    RED,
    TONE_COLORS,
    WIDTH,
    WORST,
    Blocks,
)
from aiops_report.report.explain_section import explain_part
from aiops_report.report.summary import rising_theme, shown_metrics, tone, worst_model
from aiops_report.texts.formats import (
    anomalies_notes,
    format_change,
    format_cost,
    format_interval,
    format_p_value,
    format_short_day,
    format_value,
    format_z,
)
from aiops_report.texts.report import NONE

CHANGE_TESTS = ("conversations", "satisfaction_rate", "avg_score")  # as insights.CHANGE_METRICS
SHOWN_DISAGREEMENTS = 3
SHOWN_THEMES = 5
PDF_SEGMENTS = 20  # the by-segment table of the PDF: its largest segments, then one row
THEME_EXAMPLE_LIMIT = 90
KAPPA_STRENGTHS = (0.2, 0.4, 0.6, 0.8)  # Landis and Koch's bounds of slight ... almost perfect


def insights_section(numbers: ReportNumbers, blocks: Blocks) -> list[Flowable]:
    """What changed, whether it is real, where and why: only the parts the insights have."""
    insights = numbers.insights
    if insights is None:
        return []
    return _InsightParts(numbers, blocks).section(insights)


class _InsightParts:
    """The parts of the insights section of one report."""

    def __init__(self, numbers: ReportNumbers, blocks: Blocks) -> None:
        self.numbers = numbers
        self.blocks = blocks
        self.texts = blocks.texts

    def section(self, insights: Insights) -> list[Flowable]:
        """The heading and every part that has something to show; none when no part has."""
        parts = [
            part
            for part in (
                self.changes_part(insights),
                explain_part(insights, self.blocks),
                self.models_part(insights),
                self.segments_part(insights),
                self.anomalies_part(insights),
                self.agreement_part(insights),
                self.themes_part(insights),
            )
            if part
        ]
        if not parts:
            return []
        first, *rest = parts
        heading = self.blocks.heading(self.texts.insights.heading)
        return [KeepTogether([heading, *first]), *(KeepTogether(part) for part in rest)]

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
            [self.blocks.paragraph(heads[0], "cell_head")]
            + [self.blocks.paragraph(h, "cell_head_right") for h in heads[1:4]]
            + [self.blocks.paragraph(heads[4], "cell_head")]
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
                    self.blocks.paragraph(texts.metrics[name], "cell"),
                    self.blocks.paragraph(change, "cell_right"),
                    self.blocks.paragraph(
                        format_interval(name, test.ci_low, test.ci_high, texts), "cell_right"
                    ),
                    self.blocks.paragraph(format_p_value(test.p_value), "cell_right"),
                    Paragraph(
                        f'<font color="#{color.hexval()[2:]}">{self.blocks.markup(verdict)}</font>',
                        self.blocks.styles["cell_head" if test.significant else "cell"],
                    ),
                ]
            )
        table = self.blocks.grid(rows, [WIDTH * f for f in (0.17, 0.19, 0.21, 0.11, 0.32)], [])
        return [
            self.blocks.subheading(words.changes_heading),
            table,
            Spacer(1, 3),
            self.blocks.paragraph(self._changes_note(), "note"),
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
            currency = self.blocks.drawable(insights.currency or "", 8)
            columns.append(
                (heads[6].format(currency=currency), [format_cost(m.cost) for m in models])
            )
            columns.append((heads[7], [format_cost(m.cost_per_like) for m in models]))
        widths = [self.blocks.fit([heading, *values]) for heading, values in columns]
        header = [self.blocks.paragraph(heads[0], "cell_head")]
        header += [self.blocks.paragraph(heading, "cell_head_right") for heading, _ in columns]
        names = [self.blocks.drawable(m.model, EXCERPT_LIMITS["model"]) for m in models]
        rows: list[list[Any]] = [header]
        for row, name in enumerate(names):
            cells = [self.blocks.paragraph(name, "cell")]
            cells += [self.blocks.paragraph(values[row], "cell_right") for _, values in columns]
            rows.append(cells)
        style: list[Any] = []
        notes: list[Flowable] = []
        worst = worst_model(self.numbers)
        if worst is not None:
            row = models.index(worst) + 1
            style += [("BACKGROUND", (0, row), (-1, row), WORST)]
            rows[row] = [self.blocks.emphasized(cell, RED) for cell in rows[row]]
            notes.append(self._worst_model_note(worst))
        if insights.unpriced_models:
            unpriced = ", ".join(insights.unpriced_models)
            notes.append(self.blocks.paragraph(words.unpriced.format(models=unpriced), "note", 300))
        table = self.blocks.grid(rows, [WIDTH - sum(widths), *widths], style)
        return [self.blocks.subheading(words.models_heading), table, Spacer(1, 3), *notes]

    def segments_part(self, insights: Insights) -> list[Flowable]:
        """By segment: the period's numbers of each segment (the report of everything)."""
        if not insights.by_segment:
            return []
        words = self.texts.insights
        # Thousands of segments would fill dozens of pages: the largest, then one row of the
        # rest (the JSON and the CSV keep every segment).
        largest, other = fold_segments(
            insights.by_segment,
            PDF_SEGMENTS,
            words.segments_other.format(count=f"{len(insights.by_segment) - PDF_SEGMENTS:,}"),
        )
        segments = [*largest, *([other] if other else [])]
        heads = words.segments_columns
        columns: list[tuple[str, list[str]]] = [
            (heads[1], [format_value("conversations", s.conversations) for s in segments]),
            (heads[2], [format_value("feedback_total", s.feedback_total) for s in segments]),
            (heads[3], [format_value("satisfaction_rate", s.satisfaction_rate) for s in segments]),
            (heads[4], [format_value("evaluations", s.evaluations) for s in segments]),
            (heads[5], [format_value("avg_score", s.avg_score) for s in segments]),
        ]
        widths = [self.blocks.fit([heading, *values]) for heading, values in columns]
        rows: list[list[Any]] = [
            [
                self.blocks.paragraph(heads[0], "cell_head"),
                *[self.blocks.paragraph(heading, "cell_head_right") for heading, _ in columns],
            ]
        ]
        for row, each in enumerate(segments):
            name = self.blocks.drawable(each.segment, EXCERPT_LIMITS["model"])
            rows.append(
                [
                    self.blocks.paragraph(name, "cell"),
                    *[self.blocks.paragraph(values[row], "cell_right") for _, values in columns],
                ]
            )
        table = self.blocks.grid(rows, [WIDTH - sum(widths), *widths], [])
        return [self.blocks.subheading(words.segments_heading), table, Spacer(1, 3)]

    def _worst_model_note(self, worst: ModelStats) -> Paragraph:
        text = self.texts.insights.worst_model.format(
            model=self.blocks.drawable(worst.model, EXCERPT_LIMITS["model"]),
            rate=format_value("satisfaction_rate", worst.satisfaction_rate),
            rated=f"{worst.likes + worst.dislikes:,}",
        )
        return Paragraph(
            f'<font color="#{RED.hexval()[2:]}">{self.blocks.markup(text)}</font>',
            self.blocks.styles["note"],
        )

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
                    f'<font color="#{color}">•</font> {self.blocks.markup(line)}',
                    self.blocks.styles["bullet"],
                )
            )
        for note in anomalies_notes(
            insights.anomalies_status, self.numbers.period, texts, found=bool(lines)
        ):
            lines.append(self.blocks.paragraph(note, "body"))
        return [
            self.blocks.subheading(words.anomalies_heading),
            self.blocks.paragraph(words.anomalies_intro, "note"),
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
        widths = [self.blocks.fit([row[0] for row in counts])] + [
            self.blocks.fit([row[i] for row in counts]) for i in (1, 2)
        ]
        table = self.blocks.grid(
            [[self.blocks.drawable(cell) for cell in row] for row in counts],
            widths,
            [
                ("FONTSIZE", (0, 0), (-1, -1), CELL_FONT_SIZE),
                ("FONTNAME", (0, 1), (0, -1), self.blocks.fonts.bold),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                # The cells where both agree, in bold.
                ("FONTNAME", (1, 1), (1, 1), self.blocks.fonts.bold),
                ("FONTNAME", (2, 2), (2, 2), self.blocks.fonts.bold),
            ],
        )
        part: list[Flowable] = [
            self.blocks.subheading(words.agreement_heading),
            self.blocks.paragraph(summary, "body"),
            Spacer(1, 4),
            table,
        ]
        shown = agreement.disagreements[:SHOWN_DISAGREEMENTS]
        if shown:
            # The columns of the excerpt tables (they have no time).
            headings = texts.excerpt_columns
            short = self.blocks.score_feedback_model(
                headings[:3],
                [d.score for d in shown],
                [d.feedback for d in shown],
                [d.model for d in shown],
            )
            cells = [
                self.blocks.words_cell(d.user_message, d.ai_response, d.comment) for d in shown
            ]
            part += [
                Spacer(1, 8),
                self.blocks.paragraph(words.disagreements, "chart_title"),
                Spacer(1, 3),
                self.blocks.text_table(short, headings[3], cells),
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
            (
                heads[0],
                "cell",
                [self.blocks.drawable(t.term, EXCERPT_LIMITS["model"]) for t in themes],
            ),
            (heads[1], "cell_right", [f"{t.count:,}" for t in themes]),
            (heads[2], "cell_right", [f"{t.previous_count:,}" for t in themes]),
        ]
        examples = [
            self.blocks.paragraph(t.examples[0], "cell", THEME_EXAMPLE_LIMIT)
            if t.examples
            else None
            for t in themes
        ]
        table = self.blocks.text_table(short, heads[3], examples)
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
            self.blocks.subheading(words.themes_heading),
            self.blocks.paragraph(words.themes_intro, "note"),
            Spacer(1, 3),
            table,
        ]


def _as_shown(metric: str, value: float) -> float:
    """A day's value or baseline median as its metric shows: counts as whole numbers (a
    median of counts may fall between two, and JSON may hand a count back as a float)."""
    return round(value) if metric == "conversations" else value
