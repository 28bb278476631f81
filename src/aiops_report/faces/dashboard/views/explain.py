"""The Insights page's "why it changed": the exact split of the range's change of satisfaction
or score into mix and rate (analysis/explain.py), for the metric and dimension picked.

Group names come from the team's data: they are shown in tables, charts and plain() text only.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import streamlit as st

from aiops_report.analysis.explain import EXPLAINED_METRICS, Split, explaining_most
from aiops_report.analysis.insight_parts import Insights
from aiops_report.faces.dashboard.common import Context, heading
from aiops_report.faces.dashboard.display import plain
from aiops_report.texts.explain import (
    dimension_name,
    explain_texts,
    format_part,
    group_name,
    sentence,
    simpson_warning,
)
from aiops_report.texts.formats import format_p_value, format_value
from aiops_report.texts.report import NONE

MIX_COLOR, RATE_COLOR = "#E0A030", "#2F6FB0"  # as the PDF's waterfall
SHOWN_GROUPS = 10  # the chart's rows; the table has every group
ROW_HEIGHT = 42  # pixels of a group's two bars


def render_explain(ctx: Context, found: Insights) -> None:
    """The split for the metric and dimension picked (the one explaining most by default)."""
    t = ctx.t
    heading(t["explain_heading"])
    st.caption(t["explain_caption"])
    every = found.explain or {}
    explained = {m: every[m] for m in EXPLAINED_METRICS if m in every}
    if not explained:
        st.caption(t["explain_none"])
        return
    significant = [m for m in explained if (c := found.changes.get(m)) and c.significant]
    left, right = st.columns(2)
    metric = left.segmented_control(
        t["explain_metric"],
        list(explained),
        default=(significant or list(explained))[0],
        format_func=lambda m: ctx.rt.metrics[m],
        key="explain_metric",
    ) or next(iter(explained))
    splits = explained[metric]
    words = explain_texts(ctx.language)
    most = explaining_most(splits)
    options = list(splits)
    dimension = right.selectbox(
        t["explain_dimension"],
        options,
        index=options.index(most.dimension) if most else 0,
        format_func=lambda d: (
            dimension_name(d, words)
            + (f" ({t['explain_most']})" if most and d == most.dimension else "")
        ),
        key=f"explain_dimension_{metric}",
    )
    split = splits[dimension or options[0]]
    _summary(ctx, split)
    st.altair_chart(_waterfall(ctx, split), width="stretch")
    st.dataframe(_rows(ctx, split), hide_index=True, width="stretch")


def _capitalized(name: str) -> str:
    """A dimension's name as a choice reads: Model, not model (Hangul is left as it is)."""
    return name[:1].upper() + name[1:]


def _summary(ctx: Context, split: Split) -> None:
    t, rt = ctx.t, ctx.rt
    if split.change:
        st.info(plain(sentence(split, ctx.language)), icon=":material/insights:")
    change, mix, rate = st.columns(3)
    change.metric(t["explain_change"], format_part(split.metric, split.change, rt), border=True)
    mix.metric(t["explain_mix"], format_part(split.metric, split.mix, rt), border=True)
    rate.metric(t["explain_rate"], format_part(split.metric, split.rate, rt), border=True)
    st.caption(explain_texts(ctx.language).rate_p.format(p=format_p_value(split.rate_p_value)))
    warning = simpson_warning(split, ctx.language)
    if warning:
        st.warning(plain(warning), icon=":material/warning:")


def _rows(ctx: Context, split: Split) -> list[dict[str, str]]:
    """Every group: its shares, values and parts, as the JSON has them."""
    t, rt, words = ctx.t, ctx.rt, explain_texts(ctx.language)

    def value(v: Any) -> str:
        return NONE if v is None else format_value(split.metric, float(v))

    return [
        {
            t["col_group"]: group_name(g.group, words),
            t["col_share_previous"]: format_value("satisfaction_rate", float(g.share_previous)),
            t["col_share_current"]: format_value("satisfaction_rate", float(g.share_current)),
            t["col_value_previous"]: value(g.value_previous),
            t["col_value_current"]: value(g.value_current),
            t["explain_mix"]: format_part(split.metric, g.mix, rt),
            t["explain_rate"]: format_part(split.metric, g.rate, rt),
            t["col_part"]: format_part(split.metric, g.mix + g.rate, rt),
        }
        for g in split.groups
    ]


def _waterfall(ctx: Context, split: Split) -> alt.LayerChart:
    """Each group's mix, then its rate, from where the group above ended; the total from 0."""
    t, rt, words = ctx.t, ctx.rt, explain_texts(ctx.language)
    groups = list(split.groups[:SHOWN_GROUPS])
    rest = split.groups[SHOWN_GROUPS:]
    steps = [(group_name(g.group, words), float(g.mix), float(g.rate)) for g in groups]
    if rest:
        steps.append(
            (
                words.other_groups.format(count=len(rest)),
                sum(float(g.mix) for g in rest),
                sum(float(g.rate) for g in rest),
            )
        )
    records: list[dict[str, Any]] = []
    running = 0.0
    order = []
    scale = 100 if split.metric == "satisfaction_rate" else 1  # a rate's parts in points
    total = (words.total_label, float(split.mix), float(split.rate))
    for index, (label, mix, rate) in enumerate([*steps, total]):
        start = 0.0 if index == len(steps) else running
        order.append(label)
        for part, size, begin in (
            (t["explain_mix"], mix, start),
            (t["explain_rate"], rate, start + mix),
        ):
            records.append(
                {
                    "group": label,
                    "part": part,
                    "start": begin * scale,
                    "end": (begin + size) * scale,
                    "shown": format_part(split.metric, size, rt),
                }
            )
        running = start + mix + rate
    unit = rt.point_unit.strip() if split.metric == "satisfaction_rate" else ""
    mix_name, rate_name = t["explain_mix"], t["explain_rate"]
    base = alt.Chart({"values": records}).encode(
        y=alt.Y("group:N", sort=order, title=None),
        x=alt.X("start:Q", title=unit or None),
        x2="end:Q",
        color=alt.Color(
            "part:N",
            title=None,
            scale=alt.Scale(domain=[mix_name, rate_name], range=[MIX_COLOR, RATE_COLOR]),
            legend=alt.Legend(orient="top"),
        ),
        tooltip=[
            alt.Tooltip("group:N", title=t["col_group"]),
            alt.Tooltip("part:N", title=t["explain_part"]),
            alt.Tooltip("shown:N", title=t["explain_change"]),
        ],
    )
    # A row's mix above its rate, each a bar of its own: parts of opposite signs never hide
    # each other.
    # Each group's band its own height (a band's default, 20 px, would overlap the two bars).
    chart = alt.LayerChart(
        layer=[
            base.transform_filter(alt.datum.part == name).mark_bar(height=11, yOffset=offset)
            for name, offset in ((mix_name, -6), (rate_name, 6))
        ],
        height=alt.Step(ROW_HEIGHT),
    )
    return chart
