"""`admin_panel()`: the whole admin panel, wherever a Streamlit app calls it.

The pages are switched by a segmented control at the top of the panel rather than by
st.navigation or the sidebar: an app that embeds the panel in one of its own pages or tabs
may use both already, and a control inside the panel works the same in any container. The
segment filter (with SCHEMA_FILE's segment column) alone goes to the sidebar, beside whatever
the host has there: it applies to every page.
The panel never calls st.stop() or st.set_page_config(), which belong to the host app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import streamlit as st

from aiops_report.data.config import Settings
from aiops_report.data.db import describe
from aiops_report.errors import AiopsReportError
from aiops_report.faces.dashboard import auth, data
from aiops_report.faces.dashboard.common import Context
from aiops_report.faces.dashboard.display import plain
from aiops_report.faces.dashboard.views import (
    conversations,
    feedback,
    insights,
    overview,
    performance,
    reports,
    status,
)

PAGES: dict[str, Callable[[Context], None]] = {
    "overview": overview.render,
    "performance": performance.render,
    "insights": insights.render,
    "feedback": feedback.render,
    "conversations": conversations.render,
    "reports": reports.render,
    "status": status.render,
}
ICONS = {
    "overview": ":material/dashboard:",
    "performance": ":material/smart_toy:",
    "insights": ":material/insights:",
    "feedback": ":material/thumbs_up_down:",
    "conversations": ":material/forum:",
    "reports": ":material/picture_as_pdf:",
    "status": ":material/monitor_heart:",
}


def admin_panel(settings: Settings | None = None) -> None:
    """Render the admin panel (login first when one is configured) in the current container.

    `settings` default to those of the environment and `.env` (REPORT_LANGUAGE picks Korean
    or English). A problem with the settings or the database is shown as one error line.
    """
    if settings is None:
        try:
            settings = data.current_settings()
        except AiopsReportError as exc:
            st.error(plain(str(exc)))
            return
    ctx = Context.of(settings)
    if not auth.gate(settings, ctx.t):
        return
    _header(ctx)
    page = st.segmented_control(
        ctx.t["navigation"],
        options=list(PAGES),
        format_func=lambda name: f"{ICONS[name]} {ctx.t[f'page_{name}']}",
        default="overview",
        required=True,
        key="aiops_page",
        label_visibility="collapsed",
    )
    try:
        PAGES[page](replace(ctx, segment=_segment_filter(ctx)))
    except AiopsReportError as exc:
        st.error(plain(str(exc)))


def _segment_filter(ctx: Context) -> str | None:
    """The segment picked in the sidebar (None: all of them); no filter, and None, when
    SCHEMA_FILE maps no segment column. Its value survives a visit to another page."""
    try:
        found = data.segments(ctx.settings, ctx.now().date())
    except AiopsReportError:
        return None  # the page says what is wrong: the Status page, what doctor finds
    if found is None:
        return None
    picked: str | None = st.sidebar.selectbox(
        ctx.t["segment"],
        [None, *found],
        format_func=lambda segment: ctx.t["segment_all"] if segment is None else segment,
        key="aiops_segment",
        help=ctx.t["segment_help"].format(days=data.SEGMENT_DAYS),
    )
    return picked


def _header(ctx: Context) -> None:
    title, account = st.columns([5, 1], vertical_alignment="bottom")
    with title:
        st.header(ctx.t["title"], divider="gray")
    with account, st.container(horizontal_alignment="right"):
        if auth.oidc_configured() and st.user.get("email"):
            st.caption(ctx.t["signed_in_as"].format(user=plain(str(st.user.get("email")))))
        auth.logout_button(ctx.settings, ctx.t)
    try:
        where = describe(data.engine(ctx.settings))
    except AiopsReportError:
        where = "?"
    st.caption(f"{plain(where)} · {ctx.settings.report_timezone}")
    if auth.is_open(ctx.settings):
        st.warning(ctx.t["no_password"], icon=":material/lock_open:")
