"""`doctor`: check what the report needs and say what is wrong, one line each.

The database checks run first; the font and Slack checks are added by `all_findings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.engine import Engine

from aiops_report.config import Settings
from aiops_report.db import (
    OPTIONAL_COLUMNS,
    ROLES,
    check_connection,
    describe,
    missing_created_at_indexes,
    reflect_tables,
)
from aiops_report.errors import AiopsReportError, FontMissing, SlackNotConfigured
from aiops_report.insights import insights_findings
from aiops_report.report import font_status
from aiops_report.slack import SlackDelivery

Level = Literal["ok", "warn", "error"]


@dataclass(frozen=True)
class Finding:
    level: Level
    message: str


def database_findings(engine: Engine, settings: Settings) -> list[Finding]:
    """Connection, tables, optional columns and `created_at` indexes."""
    try:
        check_connection(engine)
    except AiopsReportError as exc:
        return [Finding("error", str(exc))]
    findings = [Finding("ok", f"connected to {engine.dialect.name} at {describe(engine)}")]
    try:
        tables = reflect_tables(engine, settings)
    except AiopsReportError as exc:
        return [*findings, Finding("error", str(exc))]
    for role in ROLES:
        table = tables.table(role)
        found = tables.optional_columns(role)
        absent = [c for c in OPTIONAL_COLUMNS[role] if c not in found]
        line = f"table {table.name}: optional columns found: {', '.join(found) or 'none'}"
        if absent:
            line += f"; absent (their report sections are left out): {', '.join(absent)}"
        findings.append(Finding("ok", line))
    parts = insights_findings(tables)
    findings.append(Finding("ok", f"insights: {'; '.join(parts)}"))
    for name, statement in missing_created_at_indexes(engine, tables).items():
        findings.append(
            Finding(
                "warn",
                f"table {name}: no index on created_at, so every report scans the "
                f"whole table; to fix: {statement}",
            )
        )
    return findings


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


def all_findings(engine: Engine, settings: Settings) -> list[Finding]:
    """Everything `doctor` checks: database, font and Slack."""
    return [*database_findings(engine, settings), *font_findings(), *slack_findings(settings)]
