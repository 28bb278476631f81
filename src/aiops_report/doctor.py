"""`doctor`: check what the report needs and say what is wrong, one line each.

The database checks run first; the font and Slack checks are added by `all_findings`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.engine import Engine

from aiops_report.analysis.alert_rules import load_rules
from aiops_report.analysis.insights import insights_findings
from aiops_report.data.census import FEEDBACK_VALUES_SHOWN, feedback_values, score_census
from aiops_report.data.column_values import value_kind
from aiops_report.data.config import Settings
from aiops_report.data.db import check_connection, describe
from aiops_report.data.mapping import OPTIONAL_COLUMNS, ROLES, TableRole, column_parts
from aiops_report.data.periods import Period
from aiops_report.data.tables import ChatbotTables, missing_created_at_indexes, reflect_tables
from aiops_report.delivery.email import check_smtp
from aiops_report.delivery.routes import destinations
from aiops_report.delivery.slack import SlackDelivery
from aiops_report.delivery.webhook import webhook_secret
from aiops_report.errors import AiopsReportError, ConfigError, FontMissing, SlackNotConfigured
from aiops_report.jobs import report_numbers
from aiops_report.report import font_status
from aiops_report.timetable import cron_trigger

Level = Literal["ok", "warn", "error"]
CENSUS_WEEKS = 8
CENSUS_SPAN = timedelta(weeks=CENSUS_WEEKS)
NEITHER_SHARE = 0.05  # more feedback rows than this that are neither: the words may be wrong


@dataclass(frozen=True)
class Finding:
    level: Level
    message: str


def database_findings(engine: Engine, settings: Settings) -> list[Finding]:
    """Connection, tables and how each column is read, what the columns hold, indexes, and
    the report's queries run on one day."""
    try:
        check_connection(engine)
    except AiopsReportError as exc:
        return [Finding("error", str(exc))]
    findings = [Finding("ok", f"connected to {engine.dialect.name} at {describe(engine)}")]
    try:
        tables = reflect_tables(engine, settings)
    except AiopsReportError as exc:
        return [*findings, Finding("error", str(exc))]
    if tables.mapping.source:
        findings.append(Finding("ok", f"schema mapping read from {tables.mapping.source}"))
    findings += [Finding("ok", _columns_line(tables, role)) for role in ROLES]
    parts = insights_findings(tables)
    findings.append(Finding("ok", f"insights: {'; '.join(parts)}"))
    for name, statement in missing_created_at_indexes(engine, tables).items():
        findings.append(
            Finding(
                "warn",
                f"table {name}: no index on its created_at column, so every report scans the "
                f"whole table; to fix: {statement}",
            )
        )
    now = datetime.now(settings.report_zone)
    try:
        findings += _feedback_findings(engine, tables, now - CENSUS_SPAN, now)
        findings += _score_findings(engine, tables, now - CENSUS_SPAN, now)
        findings.append(_trial_run(engine, settings, now))
    except AiopsReportError as exc:
        findings.append(Finding("error", str(exc)))
    return findings


def _columns_line(tables: ChatbotTables, role: TableRole) -> str:
    """Which column plays which part, how created_at is read, and the optional parts absent."""
    table = tables.table(role)
    played = [
        f"{part} = {table.c[part].name}" if table.c[part].name != part else part
        for part in column_parts(role)
        if part in table.c and part != "created_at"
    ]
    created_at = table.c.created_at
    line = (
        f"table {table.name} ({role}): created_at = {created_at.name} "
        f"({tables.created_at(role).describe()})"
    )
    if role == "feedback":
        line += f"; feedback as {value_kind(table.c.feedback)} ({table.c.feedback.type})"
    if role == "evaluations":
        scale = tables.mapping.scale
        line += f"; scores {scale.low:g} to {scale.high:g} ({table.c.score.type})"
    if played:
        line += f"; columns: {', '.join(played)}"
    absent = [part for part in OPTIONAL_COLUMNS[role] if part not in table.c]
    if absent:
        line += f"; absent (their report sections are left out): {', '.join(absent)}"
    return line


def _feedback_findings(
    engine: Engine, tables: ChatbotTables, start: datetime, end: datetime
) -> list[Finding]:
    """The feedback values of recent weeks, and what each counts as."""
    values = feedback_values(engine, tables, start, end)
    total = sum(v.count for v in values)
    if not total:
        return [Finding("warn", f"no feedback rows in the last {CENSUS_WEEKS} weeks")]
    shown = "; ".join(
        f"{v.value!r} ×{v.count} {v.kind or 'neither'}" for v in values[:FEEDBACK_VALUES_SHOWN]
    )
    if len(values) > FEEDBACK_VALUES_SHOWN:
        shown += f"; {len(values) - FEEDBACK_VALUES_SHOWN} more values"
    findings = [Finding("ok", f"feedback values of the last {CENSUS_WEEKS} weeks: {shown}")]
    neither = sum(v.count for v in values if v.kind is None and v.value is not None)
    kinds = {v.kind for v in values}
    if neither > total * NEITHER_SHARE or not {"like", "dislike"} <= kinds:
        odd = ", ".join(repr(v.value) for v in values if v.kind is None and v.value is not None)
        findings.append(
            Finding(
                "warn",
                f"{neither} of {total} feedback rows are neither a like nor a dislike "
                f"({odd or 'none'}); likes are {list(tables.mapping.like)}, dislikes "
                f"{list(tables.mapping.dislike)}: to count others, list them in like = [...] "
                "and dislike = [...] under [feedback] in SCHEMA_FILE",
            )
        )
    return findings


def _score_findings(
    engine: Engine, tables: ChatbotTables, start: datetime, end: datetime
) -> list[Finding]:
    """How recent scores read: numbers, not numbers, outside the score range."""
    census = score_census(engine, tables, start, end)
    scale = tables.mapping.scale
    where = tables.column_name("evaluations", "score")
    findings = [
        Finding(
            "ok",
            f"scores of the last {CENSUS_WEEKS} weeks: {census.numbers} numbers "
            f"({census.below} below {scale.low:g}, {census.above} above {scale.high:g})",
        )
    ]
    if census.not_numbers:
        findings.append(
            Finding(
                "warn",
                f"{census.not_numbers} values of {where} are not numbers "
                f"({', '.join(repr(v) for v in census.examples_not_numbers)}): they are left "
                "out of every score",
            )
        )
    if census.below or census.above:
        findings.append(
            Finding(
                "warn",
                f"{census.below + census.above} scores lie outside {scale.low:g} to "
                f"{scale.high:g}: if the scale differs, set score_range = [lowest, highest] "
                "under [evaluations] in SCHEMA_FILE",
            )
        )
    return findings


def _trial_run(engine: Engine, settings: Settings, now: datetime) -> Finding:
    """Every query of the report, run on yesterday: "ok" means `generate` works."""
    yesterday = now.date() - timedelta(days=1)
    started = time.monotonic()
    # The themes' texts are read, not analysed: the analyser is no query (and loads in 1 s).
    report_numbers(
        engine, settings, Period(yesterday, now.date(), settings.report_zone), analyse_texts=False
    )
    seconds = time.monotonic() - started
    return Finding("ok", f"the report's queries ran on {yesterday} (one day) in {seconds:.1f} s")


def font_findings() -> list[Finding]:
    """Which font the report embeds, and whether it covers Hangul."""
    try:
        status = font_status()
    except FontMissing as exc:
        return [Finding("error", str(exc))]
    if not status.covers_hangul:
        return [Finding("error", f"the report font {status.path} has no Hangul glyphs")]
    return [
        Finding("ok", f"report font {status.name} ({status.path}) covers Hangul; it is embedded")
    ]


def slack_findings(settings: Settings) -> list[Finding]:
    """Token, scopes, channel and membership, checked without sending anything."""
    try:
        slack = SlackDelivery(settings)
    except SlackNotConfigured as exc:
        return [Finding("warn", str(exc))]
    return [Finding(finding.level, finding.message) for finding in slack.check()]


def delivery_findings(settings: Settings) -> list[Finding]:
    """Each destination of DELIVERY_FILE checked without sending (Slack: token and channel;
    email: the SMTP server's greeting, STARTTLS and login; webhook: its URL and secret);
    SLACK_CHANNEL's Slack checks without the file."""
    if settings.delivery_file is None:
        return slack_findings(settings)
    try:
        every = destinations(settings)
    except ConfigError as exc:
        return [Finding("error", str(exc))]
    findings = [Finding("ok", f"DELIVERY_FILE {settings.delivery_file}: {len(every)} destinations")]
    smtp: Finding | None = None
    for destination in every:
        if destination.kind == "slack":
            channel = settings.model_copy(update={"slack_channel": destination.address})
            findings += [f for f in slack_findings(channel) if f not in findings]
        elif destination.kind == "email":
            smtp = smtp or _smtp_finding(settings)  # one SMTP server for every address
            findings.append(Finding(smtp.level, f"{destination.shown}: {smtp.message}"))
        else:
            try:
                webhook_secret(settings)
                findings.append(
                    Finding("ok", f"{destination.shown}: signed with WEBHOOK_SECRET (not called)")
                )
            except ConfigError as exc:
                findings.append(Finding("error", f"{destination.shown}: {exc}"))
    return findings


def _smtp_finding(settings: Settings) -> Finding:
    try:
        return Finding("ok", check_smtp(settings))
    except AiopsReportError as exc:
        return Finding("error", str(exc))


def alert_findings(settings: Settings) -> list[Finding]:
    """The alert rules of ALERTS_FILE (nothing to say of the built-in ones) and a
    WATCH_SCHEDULE that is not a schedule."""
    findings = []
    if settings.alerts_file is not None:
        try:
            rules = load_rules(settings.alerts_file)
            names = ", ".join(rule.name for rule in rules)
            findings.append(
                Finding("ok", f"ALERTS_FILE {settings.alerts_file}: {len(rules)} rules ({names})")
            )
        except ConfigError as exc:
            findings.append(Finding("error", str(exc)))
    try:
        cron_trigger(settings, "watch_schedule")
    except ConfigError as exc:
        findings.append(Finding("error", str(exc)))
    return findings


def all_findings(engine: Engine, settings: Settings) -> list[Finding]:
    """Everything `doctor` checks: database, font, each destination and the alert rules."""
    return [
        *database_findings(engine, settings),
        *font_findings(),
        *delivery_findings(settings),
        *alert_findings(settings),
    ]
