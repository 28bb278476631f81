"""AI performance: the evaluator's scores, latency and tokens."""

from __future__ import annotations

import streamlit as st

from aiops_report.dashboard import charts, data
from aiops_report.dashboard.common import Context, heading, kpi_cards, range_caption, range_filter
from aiops_report.texts import format_score, format_value


def render(ctx: Context) -> None:
    selection = range_filter(ctx)
    if selection is None:
        return
    numbers = data.numbers(ctx.settings, selection.period)
    range_caption(ctx, numbers)
    points = charts.series(numbers.daily, selection.granularity)
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
            title=ctx.t["score_over_time"],
            previous_average=numbers.previous.avg_score,
        ),
        width="stretch",
    )
    right.altair_chart(
        charts.distribution_chart(numbers.score_distribution, ctx.t), width="stretch"
    )

    by_model = data.model_breakdown(ctx.settings, selection.period)
    if by_model:
        heading(ctx.t["by_model"])
        st.dataframe(
            [
                {
                    ctx.t["col_model"]: row.model,
                    ctx.rt.metrics["conversations"]: format_value(
                        "conversations", row.conversations
                    ),
                    ctx.rt.metrics["avg_score"]: format_score(row.avg_score),
                    ctx.rt.metrics["latency_p95_ms"]: format_value(
                        "latency_p95_ms", row.latency_p95_ms
                    ),
                }
                for row in by_model
            ],
            hide_index=True,
        )
