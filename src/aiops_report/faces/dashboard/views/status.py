"""Status: the database and its tables, the Slack token and channel, the schedule."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from aiops_report.faces.dashboard import data
from aiops_report.faces.dashboard.common import Context, heading
from aiops_report.faces.dashboard.display import plain
from aiops_report.language import Language
from aiops_report.texts.doctor import Finding
from aiops_report.texts.formats import format_generated


def render(ctx: Context) -> None:
    t, settings = ctx.t, ctx.settings
    heading(t["database_heading"])
    _findings(data.database_status(settings), ctx.language)

    heading(t["slack_heading"])
    slack = data.slack_status(settings)
    if slack is None:
        st.info(t["slack_off"])
    else:
        _findings(slack, ctx.language)
        if st.button(t["slack_recheck"], key="aiops_slack_recheck"):
            data.forget_slack_status()
            st.rerun()

    heading(t["schedule_heading"])
    next_run = data.next_run(settings, ctx.now())
    st.write(t["next_run"].format(time=format_generated(next_run)))
    hours = settings.schedule_grace.total_seconds() / 3600
    st.caption(
        t["schedule_text"].format(
            schedule=settings.schedule, zone=settings.report_timezone, grace=f"{hours:g} h"
        )
    )

    heading(t["settings_heading"])
    st.dataframe(
        [
            {t["col_setting"]: name, t["col_value"]: value}
            for name, value in (
                ("REPORT_TIMEZONE", settings.report_timezone),
                ("DB_TIMEZONE", settings.db_timezone),
                ("REPORT_LANGUAGE", settings.report_language),
                ("REPORT_DIR", str(settings.report_dir.resolve())),
                ("SLACK_CHANNEL", settings.slack_channel),
                ("SCHEDULE", settings.schedule),
            )
        ],
        hide_index=True,
    )


def _findings(findings: Sequence[Finding], language: Language) -> None:
    """doctor's lines in the dashboard's language."""
    show = {"ok": st.success, "warn": st.warning, "error": st.error}
    icons = {
        "ok": ":material/check_circle:",
        "warn": ":material/warning:",
        "error": ":material/error:",
    }
    for finding in findings:
        show[finding.level](plain(finding.line(language)), icon=icons[finding.level])
