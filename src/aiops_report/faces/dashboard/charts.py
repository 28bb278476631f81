"""The dashboard's charts (altair), drawn from the metrics engine's numbers by day or week.

Scores are drawn on the whole score scale (SCHEMA_FILE's score_range), with distinct ticks:
an axis cut to the data would make 5.01 against 5.25 look like a chasm.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypeVar

import altair as alt

from aiops_report.analysis.insight_parts import ModelStats
from aiops_report.analysis.metrics import ReportNumbers, ScoreBucket

Granularity = Literal["day", "week"]

BLUE, GREEN, RED, GREY = "#2563eb", "#16a34a", "#dc2626", "#94a3b8"
HEIGHT = 260
NICE_STEPS = (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100)
MAX_TICKS = 6


@dataclass(frozen=True)
class Point:
    """The numbers of one day, or of one week (Monday first) of the range."""

    start: date
    conversations: int
    likes: int
    dislikes: int
    evaluations: int
    avg_score: float | None
    satisfaction_rate: float | None


def series(numbers: ReportNumbers, granularity: Granularity) -> list[Point]:
    """The numbers by day, or by ISO week (the library's weekly sums: a week's average score
    is its own, not one made of the days' rounded averages)."""
    rows = numbers.daily if granularity == "day" else numbers.weekly
    return [
        Point(
            d.date,
            d.conversations,
            d.likes,
            d.dislikes,
            d.evaluations,
            d.avg_score,
            d.satisfaction_rate,
        )
        for d in rows
    ]


def score_ticks(scale: tuple[float, float]) -> list[float]:
    """Distinct, evenly spaced ticks from the bottom of the score scale to its top: the
    smallest round step that needs at most MAX_TICKS of them (0–10: 0, 2, …, 10)."""
    low, high = scale
    span = high - low
    step = next((s for s in NICE_STEPS if span / s <= MAX_TICKS - 1), span)
    count = int(span / step + 1e-9)
    ticks = [round(low + step * i, 6) for i in range(count + 1)]
    return ticks if ticks[-1] == high else [*ticks, high]


def _score_scale(scale: tuple[float, float]) -> alt.Scale:
    return alt.Scale(domain=list(scale), nice=False, zero=False)


def _score_axis(scale: tuple[float, float]) -> alt.Axis:
    return alt.Axis(values=score_ticks(scale), format=".2~f")


def _x(t: Mapping[str, str]) -> alt.X:
    # Dates are kept as ordinal text: a temporal axis would shift them by the browser's zone.
    return alt.X(
        "start:O",
        title=None,
        axis=alt.Axis(labelAngle=0, labelExpr="slice(datum.value, 5)", labelOverlap=True),
    )


def _data(values: list[dict[str, Any]]) -> dict[str, Any]:
    """Inline data: records whose types each encoding names (no DataFrame needed)."""
    return {"values": values}


AnyChart = TypeVar("AnyChart", alt.Chart, alt.LayerChart)


def _finish(chart: AnyChart, title: str) -> AnyChart:
    finished: AnyChart = chart.properties(title=title, height=HEIGHT).configure_title(
        anchor="start", fontSize=14
    )
    return finished


def conversations_chart(points: Sequence[Point], t: Mapping[str, str]) -> alt.Chart:
    data = _data([{"start": p.start.isoformat(), "value": p.conversations} for p in points])
    chart: alt.Chart = (
        alt.Chart(data)
        .mark_bar(color=BLUE, cornerRadiusTopLeft=3, cornerRadiusTopRight=3)
        .encode(
            x=_x(t),
            y=alt.Y("value:Q", title=None),
            tooltip=[
                alt.Tooltip("start:O", title=t["period"]),
                alt.Tooltip("value:Q", title=t["trend_conversations"], format=","),
            ],
        )
    )
    return _finish(chart, t["trend_conversations"])


def _line(
    values: list[dict[str, Any]],
    title: str,
    t: Mapping[str, str],
    *,
    color: str,
    axis_format: str,
    domain: tuple[float, float] | None = None,
    rule: float | None = None,
    rule_title: str = "",
) -> alt.Chart | alt.LayerChart:
    if domain:
        scale, axis = _score_scale(domain), _score_axis(domain)
    else:
        scale, axis = alt.Scale(zero=False), alt.Axis(format=axis_format)
    line: alt.Chart = (
        alt.Chart(_data(values))
        .mark_line(color=color, point=alt.OverlayMarkDef(color=color, size=40))
        .encode(
            x=_x(t),
            y=alt.Y("value:Q", title=None, scale=scale, axis=axis),
            tooltip=[
                alt.Tooltip("start:O", title=t["period"]),
                alt.Tooltip("value:Q", title=title, format=axis_format),
            ],
        )
    )
    if rule is None:
        return _finish(line, title)
    reference: alt.Chart = (
        alt.Chart(_data([{"value": rule, "label": rule_title}]))
        .mark_rule(color=GREY, strokeDash=[4, 4])
        .encode(y="value:Q", tooltip=[alt.Tooltip("label:N", title=""), "value:Q"])
    )
    return _finish(alt.LayerChart(layer=[line, reference]), title)


def satisfaction_chart(points: Sequence[Point], t: Mapping[str, str]) -> alt.Chart | alt.LayerChart:
    values = [
        {"start": p.start.isoformat(), "value": p.satisfaction_rate}
        for p in points
        if p.satisfaction_rate is not None
    ]
    return _line(values, t["trend_satisfaction"], t, color=GREEN, axis_format=".0%")


def score_chart(
    points: Sequence[Point],
    t: Mapping[str, str],
    scale: tuple[float, float],
    *,
    title: str | None = None,
    previous_average: float | None = None,
) -> alt.Chart | alt.LayerChart:
    values = [
        {"start": p.start.isoformat(), "value": p.avg_score}
        for p in points
        if p.avg_score is not None
    ]
    return _line(
        values,
        title or t["trend_score"],
        t,
        color="#7c3aed",
        axis_format=".2f",
        domain=scale,
        rule=previous_average,
        rule_title=t["previous_average"],
    )


def _paired_bars(
    values: list[dict[str, Any]],
    t: Mapping[str, str],
    *,
    title: str,
    x: alt.X,
    x_tooltip: alt.Tooltip,
    pair: str,
    pair_title: str,
    names: tuple[str, str],
    colors: tuple[str, str],
) -> alt.Chart:
    """Two bars side by side at each x: `values` hold x's field, `pair` (one of `names`,
    drawn in `colors`) and "value"."""
    chart: alt.Chart = (
        alt.Chart(_data(values))
        .mark_bar()
        .encode(
            x=x,
            xOffset=alt.XOffset(f"{pair}:N", sort=list(names)),
            y=alt.Y("value:Q", title=None),
            color=alt.Color(
                f"{pair}:N",
                title=None,
                scale=alt.Scale(domain=list(names), range=list(colors)),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                x_tooltip,
                alt.Tooltip(f"{pair}:N", title=pair_title),
                alt.Tooltip("value:Q", title=t["count"]),
            ],
        )
    )
    return _finish(chart, title)


def feedback_chart(
    points: Sequence[Point], t: Mapping[str, str], likes: str, dislikes: str
) -> alt.Chart:
    values = [
        {"start": p.start.isoformat(), "kind": kind, "value": value}
        for p in points
        for kind, value in ((likes, p.likes), (dislikes, p.dislikes))
    ]
    return _paired_bars(
        values,
        t,
        title=t["likes_dislikes"],
        x=_x(t),
        x_tooltip=alt.Tooltip("start:O", title=t["period"]),
        pair="kind",
        pair_title=t["feedback_kind"],
        names=(likes, dislikes),
        colors=(GREEN, RED),
    )


def distribution_chart(buckets: Sequence[ScoreBucket], t: Mapping[str, str]) -> alt.Chart:
    current, previous = t["this_range"], t["previous_range"]
    values = [
        {"bucket": f"{b.low}–{b.high}", "low": b.low, "range": name, "value": value}
        for b in buckets
        for name, value in ((previous, b.previous), (current, b.current))
    ]
    return _paired_bars(
        values,
        t,
        title=t["distribution"],
        x=alt.X(
            "bucket:O",
            title=t["score_range"],
            sort=alt.SortField("low"),
            axis=alt.Axis(labelAngle=0),
        ),
        x_tooltip=alt.Tooltip("bucket:O", title=t["score_range"]),
        pair="range",
        pair_title=t["period"],
        names=(previous, current),
        colors=(GREY, BLUE),
    )


def model_chart(
    models: Sequence[ModelStats],
    t: Mapping[str, str],
    score: str,
    conversations: str,
    scale: tuple[float, float],
) -> alt.LayerChart:
    """The average score of each model with evaluations, lowest first: dots on the whole
    score scale, each labelled with its value to two decimals."""
    values = [
        {"model": m.model, "value": m.avg_score, "conversations": m.conversations}
        for m in models
        if m.avg_score is not None
    ]
    base = alt.Chart(_data(values)).encode(
        y=alt.Y("model:N", title=None, sort=alt.SortField("value")),
        x=alt.X(
            "value:Q",
            title=None,
            scale=_score_scale(scale),
            axis=_score_axis(scale),
        ),
        tooltip=[
            alt.Tooltip("model:N", title=t["col_model"]),
            alt.Tooltip("value:Q", title=score, format=".2f"),
            alt.Tooltip("conversations:Q", title=conversations, format=","),
        ],
    )
    dots = base.mark_circle(color="#7c3aed", size=160, opacity=1)
    labels = base.mark_text(align="left", dx=10, fontSize=12).encode(
        text=alt.Text("value:Q", format=".2f")
    )
    return _finish(alt.LayerChart(layer=[dots, labels]), t["score_by_model"])
