"""Overview: the headline numbers of a date range and their trends."""

from __future__ import annotations

import streamlit as st

from aiops_report.faces.dashboard import charts, data
from aiops_report.faces.dashboard.common import Context, chosen_range, kpi_card, kpi_cards


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
    # Distinct users are counted over every conversation of the range: their card is filled
    # last, so that the rest of the page (kept per-day totals) shows at once.
    slots = kpi_cards(ctx, numbers, names, later=["unique_users"])
    if numbers.is_empty:
        st.info(ctx.t["empty"])
    else:
        st.altair_chart(charts.conversations_chart(points, ctx.t), width="stretch")
        left, right = st.columns(2)
        left.altair_chart(charts.satisfaction_chart(points, ctx.t), width="stretch")
        right.altair_chart(
            charts.score_chart(points, ctx.t, data.score_scale(ctx.settings)), width="stretch"
        )
    if "unique_users" in slots:
        users = data.unique_users(ctx.settings, numbers.period, segment=ctx.segment)
        kpi_card(ctx, slots["unique_users"], "unique_users", numbers.with_unique_users(users))
