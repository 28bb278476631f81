"""The report's plans are set-based: on a database where only `created_at` is indexed, no
statement looks rows up one by one through a column without an index.

SQLite's EXPLAIN QUERY PLAN names each step: a `SCAN` of a chatbot table reads all of it,
and a `CORRELATED` subquery runs once per outer row; either, on a table without the index
it would need, makes the cost grow with the product of two tables' rows instead of their sum.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from aiops_report.analysis.metrics import WORST_LIMIT
from aiops_report.data.config import load_settings
from aiops_report.data.db import make_engine
from aiops_report.data.demo import fill_demo_data
from aiops_report.data.install import create_schema
from aiops_report.data.periods import Period
from aiops_report.jobs import report_numbers
from conftest import sqlite_url

CHATBOT_TABLES = ("conversation_log", "feedback_log", "conversation_evaluation")


def bare_database(path: Path) -> Any:
    """The demo data with only the created_at indexes, as most chatbots' databases have, and
    a segment column (`bot`, not indexed) mapped in SCHEMA_FILE."""
    schema_file = path.with_suffix(".toml")
    schema_file.write_text('[conversations]\nsegment = "bot"\n', encoding="utf-8")
    settings = load_settings(
        database_url=sqlite_url(path), keep_daily_totals=False, schema_file=schema_file
    )
    engine = make_engine(settings)
    create_schema(engine, settings)
    fill_demo_data(
        engine, settings, weeks=3, per_day=60, now=datetime(2026, 11, 25, 12, tzinfo=UTC)
    )
    with engine.begin() as conn:
        for index in sa.inspect(conn).get_indexes("feedback_log") + sa.inspect(conn).get_indexes(
            "conversation_evaluation"
        ):
            if index["column_names"] != ["created_at"]:
                conn.execute(sa.text(f'DROP INDEX "{index["name"]}"'))
        conn.execute(
            sa.text(
                "UPDATE conversation_log "
                "SET bot = CASE id % 3 WHEN 0 THEN 'shop-bot' ELSE 'help' END"
            )
        )
    return settings, engine


def statements_of_report(
    settings: Any, engine: sa.Engine, segment: str | None = None
) -> list[tuple[str, Any]]:
    """Every SELECT the report (of `segment`) runs on the chatbot's tables, with its
    parameters."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and any(
            name in statement for name in CHATBOT_TABLES
        ):
            seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        week = Period.week_of(datetime(2026, 11, 16).date(), settings.report_zone)
        numbers = report_numbers(engine, settings, week, segment=segment)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert numbers.current.conversations > 0
    assert numbers.insights is not None and numbers.insights.agreement is not None
    assert len(numbers.disliked) == WORST_LIMIT
    return seen


def plan_of(engine: sa.Engine, statement: str, parameters: Any) -> list[str]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    return [row[-1] for row in rows]


def full_scans(statement: str, plan: list[str]) -> list[str]:
    """Steps that read a whole chatbot table (`SCAN t`; a covering index scan reads it too).

    A probe that stops at its first rows (a LIMIT with nothing to sort first) reads no more.
    """
    if " LIMIT " in statement and not any("TEMP B-TREE" in step for step in plan):
        return []
    return [step for step in plan if step.startswith("SCAN ") and step.split()[1] in CHATBOT_TABLES]


@pytest.mark.parametrize("segment", [None, "shop-bot"])
def test_the_report_reads_each_table_by_created_at_ranges_only(
    tmp_path: Path, segment: str | None
) -> None:
    settings, engine = bare_database(tmp_path / "bare.db")

    statements = statements_of_report(settings, engine, segment)
    segment_reads = [s for s, _ in statements if "aiops_linked_conversation" in s]
    assert segment_reads  # feedback and evaluations joined to their conversation's segment

    assert len(statements) > 10
    for statement, parameters in statements:
        plan = plan_of(engine, statement, parameters)
        assert not [step for step in plan if "CORRELATED" in step], (statement, plan)
        assert not full_scans(statement, plan), (statement, plan)
        # What is searched is searched through created_at or a primary key (or an index the
        # database builds once for the statement): never through conversation_id.
        for step in plan:
            if step.startswith("SEARCH ") and step.split()[1] in CHATBOT_TABLES:
                assert any(
                    how in step
                    for how in ("created_at>", "created_at<", "PRIMARY KEY", "rowid", "AUTOMATIC")
                ), (statement, plan)


def test_the_checks_see_a_per_row_lookup(tmp_path: Path) -> None:
    """The checks above catch the plan they guard against: a mean score per feedback row."""
    _, engine = bare_database(tmp_path / "bare.db")
    per_row = (
        "SELECT feedback_log.id, (SELECT avg(score) FROM conversation_evaluation "
        "WHERE conversation_evaluation.conversation_id = feedback_log.conversation_id) "
        "FROM feedback_log "
        "WHERE feedback_log.created_at >= '2026-11-16' AND feedback_log.created_at < '2026-11-23'"
    )

    plan = plan_of(engine, per_row, ())

    assert [step for step in plan if "CORRELATED" in step]
    assert full_scans(per_row, plan) == ["SCAN conversation_evaluation"]
