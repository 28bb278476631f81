"""The watermark proof of kept totals (watermarks.py): rows added with higher ids are found in
the kept days they belong to; a table without an increasing integer key is counted."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.engine import Engine

from aiops_report.analysis.metrics import compute
from aiops_report.data.config import Settings
from aiops_report.data.demo import fill_demo_data
from aiops_report.data.mapping import ROLES
from aiops_report.data.periods import Period
from aiops_report.data.rollups import DailyTotalsStore, report_daily_totals
from aiops_report.data.tables import reflect_tables
from aiops_report.data.watermarks import table_key
from aiops_report.doctor import database_findings
from conftest import DATABASES, server_url, sqlite_url

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=SEOUL)  # Monday 09:00, the report's hour
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)
WEDNESDAY = date(2026, 11, 18)
TUESDAY = date(2026, 11, 17)


def kept(engine: Engine) -> dict[date, tuple[datetime, list[int | None]]]:
    """Each kept day's computed_at and watermarks."""
    t = report_daily_totals
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.day, t.c.computed_at, t.c.watermarks))
        return {row.day: (row.computed_at, json.loads(row.watermarks)) for row in rows}


def highest_ids(engine: Engine, settings: Settings) -> list[int]:
    tables = reflect_tables(engine, settings)
    with engine.connect() as conn:
        return [
            conn.execute(sa.select(sa.func.max(tables.table(role).c.id))).scalar_one()
            for role in ROLES
        ]


@pytest.fixture(params=[name for name in DATABASES if name != "clickhouse"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The databases that number rows: ClickHouse numbers none (no autoincrement), so its
    days are always proven by their counts, which test_rollups tests on it."""
    if request.param == "sqlite":
        return sqlite_url(request.getfixturevalue("tmp_path") / "test.db")
    return server_url(request.param)


def in_day(column: sa.ColumnElement[datetime], day: date) -> sa.ColumnElement[bool]:
    """The naive UTC times (demo data) of a Seoul day, its first and last hour left out."""
    start = datetime(day.year, day.month, day.day) - timedelta(hours=9)
    return column.between(start + timedelta(hours=1), start + timedelta(hours=23))


def test_rows_added_with_higher_ids_are_read_again_in_their_kept_day(
    engine: Engine, settings: Settings
) -> None:
    fill_demo_data(engine, settings, weeks=10, per_day=20, now=NOW)
    tables = reflect_tables(engine, settings)
    assert all(table_key(tables, role) is not None for role in ROLES)  # init-db's ids
    with time_machine.travel(NOW, tick=False):
        before = compute(engine, tables, WEEK, store=DailyTotalsStore(engine))
    first = kept(engine)
    marks = highest_ids(engine, settings)
    assert {tuple(m) for _, m in first.values()} == {tuple(marks)}

    fb = tables.feedback
    with engine.begin() as conn:
        conversation_id = conn.execute(sa.select(sa.func.min(tables.conversations.c.id))).scalar()
        late = datetime(2026, 11, 18, 3)  # Wednesday 12:00 KST, uploaded late: higher ids
        conn.execute(
            sa.insert(fb),
            [{"conversation_id": conversation_id, "feedback": "dislike", "created_at": late}] * 10,
        )
        # A row of Tuesday deleted: no id above the watermark tells of it.
        gone = conn.execute(sa.select(sa.func.min(fb.c.id)).where(in_day(fb.c.created_at, TUESDAY)))
        conn.execute(sa.delete(fb).where(fb.c.id == gone.scalar_one()))

    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):  # the next report
        after = compute(engine, tables, WEEK, store=DailyTotalsStore(engine))
        again = kept(engine)
        counted = compute(engine, tables, WEEK, store=DailyTotalsStore(engine, watermarks=False))

    assert after.current.dislikes == before.current.dislikes + 10
    # Only Wednesday was read again; every kept day's watermark moved to the ids of now.
    assert [day for day in again if again[day][0] != first[day][0]] == [WEDNESDAY]
    assert {tuple(m) for _, m in again.values()} == {tuple(highest_ids(engine, settings))}
    # Tuesday's deleted row is still counted under the watermark, and not once counted.
    assert after.current.feedback_total == before.current.feedback_total + 10
    assert counted.current.feedback_total == before.current.feedback_total + 9
    assert counted == compute(engine, tables, WEEK)


def test_a_table_without_an_increasing_integer_key_is_counted(
    engine: Engine, settings: Settings
) -> None:
    metadata = sa.MetaData()
    conv = sa.Table(
        "conversation_log",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),  # numbered by the database
        sa.Column("created_at", sa.DateTime, index=True),
    )
    fb = sa.Table(
        "feedback_log",
        metadata,
        sa.Column("id", sa.String(36), primary_key=True),  # a UUID
        sa.Column("feedback", sa.String(16)),
        sa.Column("created_at", sa.DateTime, index=True),
    )
    sa.Table(  # no primary key at all
        "conversation_evaluation",
        metadata,
        sa.Column("score", sa.Float),
        sa.Column("created_at", sa.DateTime, index=True),
    )
    metadata.create_all(engine)
    days = [WEEK.start + timedelta(days=n) for n in range(7)]
    with engine.begin() as conn:
        for n, day in enumerate(days * 3):
            at = datetime(day.year, day.month, day.day, 3)
            conn.execute(sa.insert(conv).values(created_at=at))
            conn.execute(sa.insert(fb).values(id=f"uuid-{n}", feedback="like", created_at=at))
    tables = reflect_tables(engine, settings)
    with time_machine.travel(NOW, tick=False):
        before = compute(engine, tables, WEEK, store=DailyTotalsStore(engine))
        with engine.begin() as conn:  # a feedback row of Tuesday, a conversation of Wednesday
            conn.execute(sa.delete(fb).where(fb.c.id == "uuid-1"))
            conn.execute(sa.delete(conv).where(conv.c.id == 3))
        after = compute(engine, tables, WEEK, store=DailyTotalsStore(engine))
        proofs = [
            f.line("en") for f in database_findings(engine, settings) if f.key.startswith("proof")
        ]

    assert [table_key(tables, role) is not None for role in ROLES] == [True, False, False]
    assert {tuple(m) for _, m in kept(engine).values()} == {(21, None, None)}
    assert after.current.feedback_total == before.current.feedback_total - 1  # counted
    assert after.current.conversations == before.current.conversations  # under its watermark
    assert proofs == [
        "kept totals of conversation_log are proven current by its increasing key id (only "
        "the rows added since are read; a deleted row needs forget-totals)",
        "kept totals of feedback_log are proven current by counting each kept day's rows (no "
        "increasing integer primary key)",
        "kept totals of conversation_evaluation are proven current by counting each kept "
        "day's rows (no increasing integer primary key)",
    ]
