"""Insights: which changes are real, the models with their cost, anomalous days, thumbs vs
the evaluator, and the top complaints (`insights.compute_insights` for the range).

A part whose columns the schema lacks says which ones it needs instead. Texts written by
users or the model are shown with st.dataframe / st.caption(plain(...)): never as Markdown.
"""

from __future__ import annotations

import streamlit as st

from aiops_report.analysis.insight_parts import Agreement, Insights
from aiops_report.analysis.significance import ChangeTest
from aiops_report.analysis.themes import Theme
from aiops_report.data.periods import Period
from aiops_report.faces.dashboard import data
from aiops_report.faces.dashboard.common import (
    Context,
    comparison_coverage,
    heading,
    range_caption,
    range_filter,
)
from aiops_report.faces.dashboard.display import delta_text, plain
from aiops_report.faces.dashboard.views.explain import render_explain
from aiops_report.texts.formats import (
    format_cost,
    format_day,
    format_interval,
    format_p_value,
    format_score,
    format_value,
    format_z,
    shorten,
)
from aiops_report.texts.report import NONE

TEXT_LIMIT = 300  # characters of a comment, question or answer in a table cell


def render(ctx: Context) -> None:
    selection = range_filter(ctx, granularity=False)
    if selection is None:
        return
    range_caption(ctx, selection.period)
    found = data.insights(ctx.settings, selection.period, segment=ctx.segment)
    comparable = comparison_coverage(ctx, selection.period).comparable
    _changes(ctx, found.changes, comparable)
    if comparable:  # a change against a range covered in part is not split either
        render_explain(ctx, found)
    _by_model(ctx, found)
    _anomalies(ctx, found, selection.period)
    _agreement(ctx, found)
    _themes(ctx, found)


def _needs(ctx: Context, found: Insights, part: str, title: str) -> None:
    """The line of `missing` that names the columns `part` needs."""
    for line in found.missing:
        name, _, reason = line.partition(": ")
        if name == part:
            st.caption(ctx.t["needs"].format(part=title, columns=reason.removeprefix("needs ")))


# --- changes ----------------------------------------------------------------------------------


def _changes(ctx: Context, changes: dict[str, ChangeTest], comparable: bool) -> None:
    t = ctx.t
    heading(t["changes_heading"])
    st.caption(t["changes_caption"].format(minimum=data.INSIGHT_RULES.min_test_observations))
    for column, (name, test) in zip(st.columns(len(changes)), changes.items(), strict=True):
        with column, st.container(border=True):
            _change_card(ctx, name, test, comparable)


def _change_card(ctx: Context, name: str, test: ChangeTest, comparable: bool) -> None:
    t = ctx.t
    st.metric(
        ctx.rt.metrics[name],
        format_value(name, test.current),
        delta=delta_text(name, test.change, ctx.rt) if comparable else None,
        delta_color="off" if test.new else "normal",
        delta_arrow="off" if test.new else "auto",
    )
    st.caption(t["previous_value"].format(value=format_value(name, test.previous)))
    if not comparable:
        # The comparison range is covered in part (range_caption says how much): no test.
        st.badge(t["badge_not_comparable"], icon=":material/compare_arrows:", color="gray")
        return
    interval = format_interval(name, test.ci_low, test.ci_high, ctx.rt)
    st.caption(t["interval"].format(interval=interval))
    st.caption(format_p_value(test.p_value))
    if test.significant:
        st.badge(t["badge_significant"], icon=":material/check_circle:", color="orange")
    elif not test.enough_data:
        st.badge(
            t["badge_not_enough"],
            icon=":material/hourglass_empty:",
            color="gray",
            help=t["not_enough_help"].format(minimum=data.INSIGHT_RULES.min_test_observations),
        )
    else:
        st.badge(t["badge_chance"], icon=":material/shuffle:", color="gray")


# --- by model ---------------------------------------------------------------------------------


def _by_model(ctx: Context, found: Insights) -> None:
    t, rt = ctx.t, ctx.rt
    heading(t["by_model"])
    if found.by_model is None:
        _needs(ctx, found, "by_model", t["by_model"])
        return
    worst = found.lowest_scored_model()
    if worst is not None:
        st.caption(
            plain(
                t["worst_model"].format(
                    model=worst.model,
                    score=format_score(worst.avg_score),
                    rate=format_value("satisfaction_rate", worst.satisfaction_rate),
                )
            )
        )
    names = ["conversations", "satisfaction_rate", "avg_score", "latency_p95_ms", "total_tokens"]
    shown = [n for n in names if any(getattr(m, n) is not None for m in found.by_model)]
    currency = f" ({found.currency})" if found.currency else ""
    st.dataframe(
        [
            {t["col_model"]: m.model}
            | {rt.metrics[n]: format_value(n, getattr(m, n)) for n in shown}
            | {
                t["col_cost"] + currency: format_cost(m.cost),
                t["col_cost_per_like"] + currency: format_cost(m.cost_per_like),
            }
            for m in found.by_model
        ],
        hide_index=True,
        width="stretch",
    )
    if ctx.settings.model_prices is None:
        st.caption(t["no_prices"])
    else:
        _needs(ctx, found, "cost", t["part_cost"])
    if found.unpriced_models:
        st.caption(plain(t["unpriced"].format(models=", ".join(found.unpriced_models))))
    if found.cost is not None:
        st.caption(t["total_cost"].format(cost=format_cost(found.cost) + currency))


# --- anomalies --------------------------------------------------------------------------------


def format_anomaly_value(metric: str, value: float) -> str:
    """A day's value or a baseline median: a median of counts may end in .5."""
    if metric == "conversations" and float(value).is_integer():
        return format_value(metric, int(value))
    return format_value(metric, value)


def _anomalies(ctx: Context, found: Insights, period: Period) -> None:
    t, rt, anomalies, rules = ctx.t, ctx.rt, found.anomalies, data.INSIGHT_RULES
    heading(t["anomalies_heading"])
    st.caption(
        t["anomalies_caption"].format(
            weeks=rules.baseline_weeks,
            limit=rules.robust_z_limit,
            day_minimum=rules.min_day_observations,
            baseline_minimum=rules.min_baseline_days,
        )
    )
    status = found.anomalies_status
    if status is not None and status.days_judged == 0:
        st.info(rt.insights.no_whole_day, icon=":material/hourglass_empty:")
        return
    if status is not None and not status.enough_history and status.days_with_history:
        # The range's last days had history enough, its first did not: say which were judged,
        # so that the list below (or "none") reads as theirs.
        judged = rt.insights.partly_judged.format(
            judged=status.days_with_history, days=status.days_judged, needed=status.needed
        )
        st.info(judged, icon=":material/history:")
        if not anomalies:
            st.info(t["no_anomalies"], icon=":material/check:")
    elif status is not None and not status.enough_history:
        # Too little history to call a day unusual: "no anomalous day" would not be known.
        st.warning(
            rt.insights.not_enough_history.format(have=status.baseline_days, needed=status.needed),
            icon=":material/history:",
        )
    elif not anomalies:
        st.info(t["no_anomalies"], icon=":material/check:")
    if period.cut_day is not None:
        st.caption(rt.insights.cut_day_not_judged.format(day=format_day(period.cut_day, rt)))
    if not anomalies:
        return
    st.dataframe(
        [
            {
                t["col_date"]: format_day(a.date, rt),
                t["col_metric"]: rt.metrics[a.metric],
                t["value"]: format_anomaly_value(a.metric, a.value),
                t["col_baseline"]: format_anomaly_value(a.metric, a.baseline_median),
                t["col_z"]: format_z(a.robust_z),
                t["col_direction"]: t[f"direction_{a.direction}"],
            }
            for a in anomalies
        ],
        hide_index=True,
        width="stretch",
    )


# --- thumbs vs evaluator ----------------------------------------------------------------------


def _agreement(ctx: Context, found: Insights) -> None:
    t = ctx.t
    heading(t["agreement_heading"])
    agreement = found.agreement
    if agreement is None:
        _needs(ctx, found, "agreement", t["agreement_heading"])
        return
    threshold = f"{agreement.threshold:g}"
    st.caption(t["agreement_caption"].format(threshold=threshold))
    rate, kappa, counts = st.columns([1, 1, 2.5], vertical_alignment="center")
    rate.metric(
        t["agreement_rate"],
        format_value("satisfaction_rate", agreement.agreement_rate),
        border=True,
    )
    kappa.metric(t["kappa"], format_score(agreement.kappa), help=t["kappa_help"], border=True)
    counts.dataframe(_confusion(ctx, agreement, threshold), hide_index=True, width="stretch")

    st.markdown(f"**{t['disagreements']}**")
    st.caption(t["disagreements_caption"])
    if not agreement.disagreements:
        st.caption(t["no_disagreements"])
        return
    feedback_words = {"like": ctx.rt.like, "dislike": ctx.rt.dislike}
    st.dataframe(
        [
            {
                t["col_feedback"]: feedback_words.get(d.feedback, d.feedback),
                t["col_score"]: format_score(d.score),
                t["col_comment"]: _cell(d.comment),
                t["col_question"]: _cell(d.user_message),
                t["col_answer"]: _cell(d.ai_response),
                t["col_model"]: d.model or NONE,
                t["conversation_id"]: str(d.conversation_id),
            }
            for d in agreement.disagreements
        ],
        hide_index=True,
        width="stretch",
    )


def _confusion(ctx: Context, agreement: Agreement, threshold: str) -> list[dict[str, str | int]]:
    """The 2×2 counts: feedback in rows, the evaluator's verdict in columns."""
    good, bad = (ctx.t[key].format(threshold=threshold) for key in ("score_good", "score_bad"))
    return [
        {ctx.t["col_feedback"]: ctx.rt.like, good: agreement.like_good, bad: agreement.like_bad},
        {
            ctx.t["col_feedback"]: ctx.rt.dislike,
            good: agreement.dislike_good,
            bad: agreement.dislike_bad,
        },
    ]


def _cell(text: str | None) -> str:
    return shorten(text, TEXT_LIMIT) if text else NONE


# --- themes -----------------------------------------------------------------------------------


def _themes(ctx: Context, found: Insights) -> None:
    t = ctx.t
    heading(t["themes_heading"])
    if found.themes is None:
        _needs(ctx, found, "themes", t["themes_heading"])
        return
    st.caption(t["themes_caption"])
    if not found.themes:
        st.caption(t["no_themes"])
        return
    st.dataframe(
        [_theme_row(ctx, theme) for theme in found.themes],
        hide_index=True,
        width="stretch",
        column_config={
            t["count"]: st.column_config.NumberColumn(width="small"),
            t["previous_range"]: st.column_config.NumberColumn(width="small"),
            t["col_examples"]: st.column_config.TextColumn(width="large"),
        },
    )


def _theme_row(ctx: Context, theme: Theme) -> dict[str, str | int]:
    t = ctx.t
    return {
        t["col_term"]: theme.term,
        t["count"]: theme.count,
        t["previous_range"]: theme.previous_count,
        t["col_examples"]: " / ".join(_cell(e) for e in theme.examples),
    }
