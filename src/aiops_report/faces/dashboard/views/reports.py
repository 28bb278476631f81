"""Reports: generate a week's PDF now, send it to Slack, and the delivery history."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from aiops_report.data.periods import Period
from aiops_report.errors import AiopsReportError
from aiops_report.faces.dashboard import data
from aiops_report.faces.dashboard.common import Context, heading
from aiops_report.faces.dashboard.display import plain
from aiops_report.texts.formats import format_generated, format_value, short_period
from aiops_report.texts.report import NONE, texts_for

if TYPE_CHECKING:
    from aiops_report.delivery.runs import Run
    from aiops_report.jobs import DeliveredWeek


def render(ctx: Context) -> None:
    period = _week_picker(ctx)
    if ctx.segment is not None:
        st.caption(ctx.t["segment_report"].format(segment=plain(ctx.segment)))
    _actions(ctx, period)
    history = data.report_history(ctx.settings)  # read after the buttons: they may add a run
    _history(ctx, history)
    _figures(ctx, data.delivered_weeks(ctx.settings, history))
    _downloads(ctx, data.report_files(ctx.settings, history))


def _week_picker(ctx: Context) -> Period:
    weeks = data.recent_weeks(ctx.settings, ctx.now())
    heading(ctx.t["generate_heading"])
    column, _ = st.columns([1, 2])
    return column.selectbox(
        ctx.t["week"],
        weeks,
        format_func=lambda p: (
            ctx.t["last_week_mark"].format(period=short_period(p))
            if p == weeks[0]
            else short_period(p)
        ),
        key="aiops_report_week",
    )


def _actions(ctx: Context, period: Period) -> None:
    t, settings = ctx.t, ctx.settings
    slack_ready = settings.slack_bot_token is not None
    with st.container(horizontal=True):
        generate = st.button(t["generate_now"], type="primary", key="aiops_generate")
        send = st.button(
            t["send_to_slack"],
            key="aiops_send",
            disabled=not slack_ready,
            help=None if slack_ready else t["slack_not_configured"],
        )
    if generate:
        _generate(ctx, period)
    if send:
        _send(ctx, period, force=False)
    if not slack_ready:
        st.caption(t["slack_not_configured"])
        return
    # Read after the buttons, so that "send again" is offered right after a first send.
    channel = data.slack_channel_key(settings)
    delivered = any(
        run.period_start == period.start and run.channel == channel and run.status == "delivered"
        for run in data.report_history(settings)
    )
    if delivered:
        with st.expander(t["send_again_heading"]):
            sure = st.checkbox(
                t["send_again_confirm"].format(channel=settings.slack_channel),
                key="aiops_send_again_confirm",
            )
            if st.button(t["send_again"], disabled=not sure, key="aiops_send_again"):
                _send(ctx, period, force=True)


def _generate(ctx: Context, period: Period) -> None:
    t = ctx.t
    with st.status(t["generating"].format(period=short_period(period)), expanded=True) as box:
        try:
            report = data.generate(ctx.settings, period, segment=ctx.segment)
        except AiopsReportError as exc:
            box.update(label=t["failed"], state="error")
            st.error(plain(str(exc)))
            return
        box.update(label=t["generated"].format(name=report.path.name), state="complete")
        _download_button(ctx, report.path, key="aiops_download_new")


def _send(ctx: Context, period: Period, *, force: bool) -> None:
    t = ctx.t
    with st.status(t["sending"].format(period=short_period(period)), expanded=True) as box:
        try:
            outcome = data.deliver(ctx.settings, period, force=force)
        except AiopsReportError as exc:
            box.update(label=t["failed"], state="error")
            st.error(plain(str(exc)))
            return
        run = outcome.run
        channel = data.channel_shown(ctx.settings, run.channel)
        if outcome.status == "delivered":
            name = Path(run.file_path).name if run.file_path else short_period(period)
            box.update(label=t["sent"].format(file=name, channel=channel), state="complete")
            if run.permalink:
                st.link_button("Slack", run.permalink)
        else:  # delivered already, or another run is at work on the week
            key = "skipped_delivered" if run.status == "delivered" else "skipped_running"
            box.update(label=t[key].format(channel=channel), state="complete")


def _history(ctx: Context, history: list[Run]) -> None:
    t, zone = ctx.t, ctx.settings.report_zone
    heading(t["history_heading"])
    if not history:
        st.caption(t["no_history"])
        return
    st.dataframe(
        [
            {
                t["col_period"]: short_period(
                    Period(run.period_start, run.period_end, ctx.settings.report_zone)
                ),
                t["col_status"]: t.get(f"status_{run.status}", run.status),
                t["col_channel"]: data.channel_shown(ctx.settings, run.channel),
                t["col_attempts"]: run.attempts,
                t["col_error"]: run.error or "",
                t["col_updated"]: format_generated(run.updated_at.astimezone(zone)),
                t["col_file"]: Path(run.file_path).name if run.file_path else NONE,
            }
            for run in history
        ],
        hide_index=True,
        width="stretch",
    )


FIGURES = ("conversations", "satisfaction_rate", "avg_score")  # the Slack message's


def _figures(ctx: Context, weeks: list[DeliveredWeek]) -> None:
    """Each delivery of the last four weeks: the figures it carried beside today's."""
    t, words = ctx.t, texts_for(ctx.settings.report_language)
    heading(t["figures_heading"])
    st.caption(t["figures_caption"].format(threshold=ctx.settings.restate_threshold))
    if not weeks:
        st.caption(t["no_figures"])
        return
    rows = []
    for week in reversed(weeks):  # newest week first, as the history
        row = {
            t["col_period"]: short_period(week.period),
            t["col_channel"]: data.channel_shown(ctx.settings, week.run.channel),
        }
        for name in FIGURES:
            metric = words.metrics[name]
            row[t["col_delivered"].format(metric=metric)] = format_value(
                name, week.delivered.get(name)
            )
            row[t["col_current"].format(metric=metric)] = format_value(name, week.current.get(name))
        if week.moved:
            moved = ", ".join(words.metrics.get(name, name) for name in week.moved)
        else:
            same = all(week.delivered.get(n) == week.current.get(n) for n in week.delivered)
            moved = t["unchanged"] if same else t["within_threshold"]
        row[t["col_moved"]] = moved
        rows.append(row)
    st.dataframe(rows, hide_index=True, width="stretch")


def _downloads(ctx: Context, files: list[Path]) -> None:
    t = ctx.t
    heading(t["download_heading"])
    if not files:
        st.caption(t["no_files"].format(dir=ctx.settings.report_dir))
        return
    left, right, _ = st.columns([2, 1, 3], vertical_alignment="bottom")
    with left:
        path = st.selectbox(
            t["report_file"], files, format_func=lambda p: p.name, key="aiops_report_file"
        )
    with right:
        _download_button(ctx, path, key="aiops_download")


def _download_button(ctx: Context, path: Path, *, key: str) -> None:
    try:
        pdf = path.read_bytes()
    except OSError:
        return  # deleted since it was listed
    st.download_button(
        ctx.t["download"],
        data=pdf,
        file_name=path.name,
        mime="application/pdf",
        icon=":material/download:",
        on_click="ignore",  # no rerun: the outcome of a button pressed before stays on screen
        key=key,
    )
