"""Feedback: likes and dislikes over time, the satisfaction rate, the latest dislike comments."""

from __future__ import annotations

import streamlit as st

from aiops_report.faces.dashboard import charts
from aiops_report.faces.dashboard.common import Context, chosen_range, heading, kpi_cards
from aiops_report.texts.formats import format_score, format_time
from aiops_report.texts.report import NONE

COMMENTS_SHOWN = 30


def render(ctx: Context) -> None:
    chosen = chosen_range(ctx, with_conversations=True)
    if chosen is None:
        return
    numbers, points = chosen
    kpi_cards(ctx, numbers, ["feedback_total", "likes", "dislikes", "satisfaction_rate"])
    left, right = st.columns(2)
    left.altair_chart(
        charts.feedback_chart(points, ctx.t, ctx.rt.likes, ctx.rt.dislikes), width="stretch"
    )
    right.altair_chart(charts.satisfaction_chart(points, ctx.t), width="stretch")

    heading(ctx.t["latest_dislike_comments"])
    commented = [e for e in numbers.disliked if e.comment and e.comment.strip()]
    if not commented:
        st.caption(ctx.t["no_dislike_comments"])
        return
    zone = ctx.settings.report_zone
    st.dataframe(
        [
            {
                ctx.t["col_time"]: format_time(e.created_at, zone, ctx.rt),
                ctx.t["col_comment"]: e.comment,
                ctx.t["col_question"]: e.user_message or NONE,
                ctx.t["col_score"]: format_score(e.score),
                ctx.t["col_model"]: e.model or NONE,
            }
            for e in commented[:COMMENTS_SHOWN]
        ],
        hide_index=True,
        width="stretch",
    )
