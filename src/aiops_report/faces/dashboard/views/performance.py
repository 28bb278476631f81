"""AI performance: the evaluator's scores, latency and tokens."""

from __future__ import annotations

from collections.abc import Collection

import streamlit as st

from aiops_report.data.periods import Period
from aiops_report.errors import AiopsReportError
from aiops_report.faces.dashboard import charts, data
from aiops_report.faces.dashboard.common import (
    Context,
    chosen_range,
    comparison_coverage,
    heading,
    kpi_cards,
)
from aiops_report.faces.dashboard.display import plain
from aiops_report.texts.formats import format_value


def render(ctx: Context) -> None:
    chosen = chosen_range(ctx)
    if chosen is None:
        return
    numbers, points = chosen
    names = ["avg_score", "evaluations"]
    if "latency" in numbers.features:
        names += ["latency_p50_ms", "latency_p95_ms"]
    if "tokens" in numbers.features:
        names.append("total_tokens")
    kpi_cards(ctx, numbers, names)
    if len(names) == 2:
        st.caption(ctx.t["no_latency"])
    left, right = st.columns(2)
    left.altair_chart(
        charts.score_chart(
            points,
            ctx.t,
            data.score_scale(ctx.settings),
            title=ctx.t["score_over_time"],
            previous_average=(
                numbers.previous.avg_score
                if comparison_coverage(ctx, numbers.period).comparable
                else None
            ),
        ),
        width="stretch",
    )
    right.altair_chart(
        charts.distribution_chart(numbers.score_distribution, ctx.t), width="stretch"
    )

    _by_model(ctx, numbers.period, numbers.features)


def _by_model(ctx: Context, period: Period, features: Collection[str]) -> None:
    """The per-model table and chart, when the conversations have a `model` column."""
    try:
        by_model = data.model_breakdown(ctx.settings, period, segment=ctx.segment)
    except AiopsReportError as exc:  # e.g. a broken MODEL_PRICES: the page above still shows
        st.error(plain(str(exc)))
        return
    if not by_model:
        return
    rt = ctx.rt
    names = ["conversations", "evaluations", "avg_score", "satisfaction_rate"]
    if "latency" in features:
        names += ["latency_p50_ms", "latency_p95_ms"]
    if "tokens" in features:
        names.append("total_tokens")
    heading(ctx.t["by_model"])
    left, right = st.columns([3, 2])
    left.dataframe(
        [
            {ctx.t["col_model"]: row.model}
            | {rt.metrics[name]: format_value(name, getattr(row, name)) for name in names}
            for row in by_model
        ],
        hide_index=True,
        width="stretch",
    )
    right.altair_chart(
        charts.model_chart(
            by_model,
            ctx.t,
            rt.metrics["avg_score"],
            rt.metrics["conversations"],
            data.score_scale(ctx.settings),
        ),
        width="stretch",
    )
