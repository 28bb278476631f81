"""Overview: the headline numbers of a date range and their trends."""

from __future__ import annotations

import streamlit as st

from aiops_report.dashboard import charts
from aiops_report.dashboard.common import Context, chosen_range, kpi_cards


def render(ctx: Context) -> None:
    chosen = chosen_range(ctx)
    if chosen is None:
        return
    numbers, points = chosen
    names = ["conversations"]
    if "users" in numbers.features:
        names.append("unique_users")
    names += ["satisfaction_rate", "avg_score"]
    if "latency" in numbers.features:
        names.append("latency_p95_ms")
    kpi_cards(ctx, numbers, names)
    if numbers.is_empty:
        st.info(ctx.t["empty"])
        return
    st.altair_chart(charts.conversations_chart(points, ctx.t), width="stretch")
    left, right = st.columns(2)
    left.altair_chart(charts.satisfaction_chart(points, ctx.t), width="stretch")
    right.altair_chart(charts.score_chart(points, ctx.t), width="stretch")
