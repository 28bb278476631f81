"""`doctor`: check what the report needs and say what is wrong, one line each."""

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
from aiops_report.errors import AiopsReportError

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
    for name, statement in missing_created_at_indexes(engine, tables).items():
        findings.append(
            Finding(
                "warn",
                f"table {name}: no index on created_at, so every report scans the "
                f"whole table; to fix: {statement}",
            )
        )
    return findings
