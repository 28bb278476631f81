"""How numbers, changes, dates and periods read, in the words of `texts.report`."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiops_report.analysis.formulas import Change
from aiops_report.data.periods import Period

if TYPE_CHECKING:
    from aiops_report.analysis.insight_parts import AnomaliesStatus
from aiops_report.texts.report import (
    DOWN,
    DURATIONS,
    ELLIPSIS,
    NONE,
    RATES,
    SCORES,
    UP,
    Texts,
)

# --- numbers ----------------------------------------------------------------------------------


def format_value(name: str, value: float | None) -> str:
    """A metric's value as the KPI table shows it: 2,034 / 62.4% / 6.86 / 883 ms / –."""
    if value is None:
        return NONE
    if name in RATES:
        return f"{value * 100:.1f}%"
    if name in SCORES:
        return f"{value:.2f}"
    if name in DURATIONS:
        return f"{value:,.0f} ms"
    return f"{value:,}"


def format_amount(name: str, change: Change, texts: Texts) -> str:
    """The size of a change, without sign: 10.4%p for a rate, 3.0% otherwise."""
    if name in RATES:
        assert change.absolute is not None
        return f"{abs(change.absolute) * 100:.1f}{texts.point_unit}"
    assert change.relative is not None
    return f"{abs(change.relative) * 100:.1f}%"


def format_change(name: str, change: Change, texts: Texts) -> str:
    """The change column: ▲ +60 (+3.0%), ▼ -10.4%p, ▼ -0.55 (-7.4%), "new" against nothing,
    or – when unknown."""
    if change.new:
        return texts.new
    absolute = change.absolute
    if absolute is None:
        return NONE
    mark = UP if absolute > 0 else DOWN if absolute < 0 else ""
    if name in RATES:
        text = f"{absolute * 100:+.1f}{texts.point_unit}"
    elif name in SCORES:
        text = f"{absolute:+.2f}"
    elif name in DURATIONS:
        text = f"{absolute:+,.0f} ms"
    else:
        text = f"{absolute:+,}"
    if change.relative is not None:
        text += f" ({change.relative * 100:+.1f}%)"
    if absolute == 0:
        return text.replace("+", "")  # no change: no sign
    return f"{mark} {text}"


def format_score(score: float | None) -> str:
    return NONE if score is None else f"{score:.2f}"


def format_p_value(p_value: float | None) -> str:
    """p < 0.001, p = 0.012, p = 0.43, or – when there is no test."""
    if p_value is None:
        return NONE
    if p_value < 0.001:
        return "p < 0.001"
    return f"p = {p_value:.3f}" if p_value < 0.1 else f"p = {p_value:.2f}"


def format_interval(name: str, low: float | None, high: float | None, texts: Texts) -> str:
    """A 95% interval of a change as the change reads: -14.1%p ~ -4.7%p, +21.1% ~ +36.4%.

    The interval of conversations bounds the ratio current / previous: shown as percent change.
    """
    if low is None or high is None:
        return NONE
    if name in RATES:
        bounds = [f"{v * 100:+.1f}{texts.point_unit}" for v in (low, high)]
    elif name in SCORES:
        bounds = [f"{v:+.2f}" for v in (low, high)]
    else:
        bounds = [f"{(v - 1) * 100:+.1f}%" for v in (low, high)]
    return f"{bounds[0]} ~ {bounds[1]}"


def format_cost(cost: float | None) -> str:
    """An amount of money without its currency: 1,234.56, or 0.0123 below 1."""
    if cost is None:
        return NONE
    return f"{cost:,.2f}" if cost >= 1 else f"{cost:.4f}"


def format_z(z: float) -> str:
    """A robust z with its direction: 19.0 ▲, -9.1 ▼."""
    return f"{z:.1f} {UP if z > 0 else DOWN}"


# --- dates ------------------------------------------------------------------------------------


def format_day(day: date, texts: Texts) -> str:
    """2026-11-16 (월)"""
    return f"{day.isoformat()} ({texts.weekdays[day.weekday()]})"


def format_short_day(day: date, texts: Texts) -> str:
    """11-18 (수)"""
    return f"{day:%m-%d} ({texts.weekdays[day.weekday()]})"


def period_label(period: Period, texts: Texts) -> str:
    """2026-11-16 (월) – 2026-11-22 (일), Asia/Seoul (the last day shown is included);
    a partial period ends at its cut: 2026-11-30 (월) – 2026-12-01 (화) 16:47, Asia/Seoul."""
    if period.through is not None:
        through = period.through
        last = f"{format_day(through.date(), texts)} {through:%H:%M}"
    else:
        last = format_day(period.end - timedelta(days=1), texts)
    return f"{format_day(period.start, texts)} – {last}, {period.zone.key}"


def short_period(period: Period) -> str:
    """2026-11-16 – 2026-11-22; a partial period: 2026-11-30 – 2026-12-01 16:47"""
    if period.through is not None:
        return f"{period.start.isoformat()} – {period.through:%Y-%m-%d %H:%M}"
    return f"{period.start.isoformat()} – {(period.end - timedelta(days=1)).isoformat()}"


def report_title(
    period: Period, texts: Texts, segment: str | None = None, *, restated: bool = False
) -> str:
    """The report's title, with its segment's name, marked when the period is week-to-date
    or the report restates a delivered week."""
    title = texts.title if segment is None else f"{texts.title} · {segment}"
    marks = [
        mark
        for mark, applies in ((texts.partial_mark, period.partial), (texts.restated_mark, restated))
        if applies
    ]
    return f"{title} ({', '.join(marks)})" if marks else title


def partial_note(period: Period, texts: Texts) -> str:
    """What a week-to-date report says of its span and of the one it is compared with."""
    assert period.through is not None
    previous = period.previous
    assert previous.through is not None
    return texts.partial_note.format(
        through=format_time(period.through, period.zone, texts),
        previous=f"{format_time(previous.start_at, period.zone, texts)} – "
        f"{format_time(previous.through, period.zone, texts)}",
        end=format_time(period.whole.end_at, period.zone, texts),
    )


def chart_day(day: date, texts: Texts) -> str:
    """The label of a day under a chart: weekday, then month/day."""
    return f"{texts.weekdays[day.weekday()]}\n{day.month}/{day.day}"


def format_time(moment: datetime, zone: ZoneInfo, texts: Texts) -> str:
    """11-16 (월) 19:07, in the report's time zone."""
    local = moment.astimezone(zone)
    return f"{local:%m-%d} ({texts.weekdays[local.weekday()]}) {local:%H:%M}"


def format_generated(moment: datetime) -> str:
    """2026-11-23 09:00 KST (the zone's abbreviation when `moment` is aware)."""
    return f"{moment:%Y-%m-%d %H:%M %Z}".strip()


# --- conversation text ------------------------------------------------------------------------


def shorten(text: str, limit: int | None = None) -> str:
    """One line of at most `limit` characters: control characters and runs of whitespace
    become one space, and a longer text is cut with an ellipsis."""
    visible = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    line = " ".join(visible.split())
    if limit is None or len(line) <= limit:
        return line
    return line[: limit - 1].rstrip() + ELLIPSIS


# --- what the anomalies could tell ------------------------------------------------------------


def anomalies_notes(
    status: AnomaliesStatus | None, period: Period, texts: Texts, *, found: bool
) -> list[str]:
    """The sentences beside the list of anomalous days: that no whole day has passed yet,
    that the history is too short to tell, or that only some days had history enough to be
    judged; that no day stood out (of those judged); and that a day still in progress was not
    judged. One consistent statement: never "too short to tell" above anomalous days.

    `status` is None in reports written before it: then "no day stood out" when none did.
    """
    words = texts.insights
    if status is None:
        return [] if found else [words.no_anomalies]
    if status.days_judged == 0:
        return [words.no_whole_day]
    notes = []
    if status.enough_history:
        if not found:
            notes.append(words.no_anomalies)
    elif status.days_with_history:
        # Some days had history enough and were judged: say which share, then what they gave.
        notes.append(
            words.partly_judged.format(
                judged=status.days_with_history, days=status.days_judged, needed=status.needed
            )
        )
        if not found:
            notes.append(words.no_anomalies)
    else:
        notes.append(
            words.not_enough_history.format(have=status.baseline_days, needed=status.needed)
        )
    if period.cut_day is not None:
        notes.append(words.cut_day_not_judged.format(day=format_short_day(period.cut_day, texts)))
    return notes
