"""The words of what is sent: a report's headline message and a delivered week's correction,
in Korean and English, as plain lines (each destination adds its own markup)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiops_report.analysis.formulas import Change, change_between
from aiops_report.analysis.metrics import ReportNumbers
from aiops_report.analysis.restatement import HEADLINE, Restatement
from aiops_report.data.periods import Period
from aiops_report.language import Language, in_language
from aiops_report.texts.explain import why_line
from aiops_report.texts.formats import (
    format_change,
    format_p_value,
    format_time,
    format_value,
    report_title,
    short_period,
)
from aiops_report.texts.report import texts_for

SUMMARY_METRICS = ("conversations", "satisfaction_rate", "avg_score")
MAX_SIGNIFICANT_LINES = 3


def title_line(numbers: ReportNumbers | None, language: str) -> str:
    """The report's title and period: `AI 챗봇 주간 운영 리포트 2026-11-16 – 2026-11-22`."""
    words = texts_for(language)
    if numbers is None:
        return words.title
    title = report_title(numbers.period, words, numbers.segment)
    return f"{title} {short_period(numbers.period)}"


def summary_lines(numbers: ReportNumbers | None, language: str = "ko") -> list[str]:
    """A report's message: title and period, headline numbers with their change, then one
    line per significant change (at most three; none without insights), and the line saying
    why the first of satisfaction and score changed (texts.explain.why_line).

    Korean unless language is "en"; a missing number is "–", as in the PDF.
    """
    words = texts_for(language)
    lines = [title_line(numbers, language)]
    if numbers is None:
        return lines
    period = numbers.period
    if period.through is not None:  # week to date: said before any number
        lines.append(
            words.slack_partial.format(through=format_time(period.through, period.zone, words))
        )
    for name in SUMMARY_METRICS:
        value = format_value(name, getattr(numbers.current, name))
        change = format_change(name, numbers.change[name], words)
        lines.append(f"• {words.metrics[name]}: {value} · {words.versus_previous} {change}")
    changes = numbers.insights.changes if numbers.insights else {}
    significant = [(name, test) for name, test in changes.items() if test.significant]
    for name, test in significant[:MAX_SIGNIFICANT_LINES]:
        line = words.insights.slack_significant.format(
            metric=words.metrics.get(name, name),
            change=format_change(name, Change(test.delta, test.relative, test.new), words),
            p=format_p_value(test.p_value),
        )
        lines.append(f"• {line}")
    why = why_line(numbers.insights, language)
    if why:
        lines.append(why)
    if numbers.is_empty:
        lines.append(words.empty_heading)
    return lines


@dataclass(frozen=True)
class CorrectionWords:
    title: str  # {title}: the report's title and period
    why: str
    line: str  # {metric} {before} {after} {change}
    attached: str


CORRECTION_WORDS: Mapping[Language, CorrectionWords] = {
    "ko": CorrectionWords(
        title="정정: {title}",
        why="이 주의 리포트를 보낸 뒤 늦게 들어온 데이터로 수치가 바뀌었습니다.",
        line="• {metric}: {before} → {after} ({change})",
        attached="다시 만든 리포트를 첨부합니다.",
    ),
    "en": CorrectionWords(
        title="Correction: {title}",
        why="Rows that arrived after this week's report was sent have changed its numbers.",
        line="• {metric}: {before} → {after} ({change})",
        attached="The restated report is attached.",
    ),
}


def correction_lines(
    period: Period, segment: str | None, restatement: Restatement, language: str = "ko"
) -> list[str]:
    """A correction: its title, why, each headline figure that changed (delivered → today,
    with the change), and that the restated PDF is attached."""
    words, texts = in_language(CORRECTION_WORDS, language), texts_for(language)
    title = f"{report_title(period, texts, segment)} {short_period(period)}"
    lines = [words.title.format(title=title), words.why]
    before, after = restatement.before, restatement.after
    for name in HEADLINE:
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        change = change_between(new, old, name)
        lines.append(
            words.line.format(
                metric=texts.metrics.get(name, name),
                before=format_value(name, old),
                after=format_value(name, new),
                change=format_change(name, change, texts),
            )
        )
    lines.append(words.attached)
    return lines
