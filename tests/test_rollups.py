"""Kept per-day totals (rollups.py): the same numbers as reading the tables, on every database."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from aiops_report.cli import app
from aiops_report.config import Settings, load_settings
from aiops_report.db import make_engine, reflect_tables
from aiops_report.demo import fill_demo_data
from aiops_report.insights import baseline_span, compute_insights
from aiops_report.metrics import compute, keep_daily_totals
from aiops_report.periods import Period
from aiops_report.rollups import TABLE_NAME, DailyTotalsStore, report_daily_totals

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=SEOUL)  # Monday 09:00, the report's hour
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)  # the week that has just ended


@pytest.fixture
def demo(engine: Engine, settings: Settings) -> Engine:
    """Ten weeks of demo data up to NOW."""
    fill_demo_data(engine, settings, weeks=10, per_day=20, now=NOW)
    return engine


def kept_days(engine: Engine) -> list[date]:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(TABLE_NAME):
            return []
        return sorted(conn.execute(sa.select(report_daily_totals.c.day)).scalars())


@time_machine.travel(NOW, tick=False)
def test_kept_totals_give_the_numbers_read_from_the_tables(
    demo: Engine, settings: Settings
) -> None:
    tables = reflect_tables(demo, settings)
    live = compute(demo, tables, WEEK)
    live_insights = compute_insights(demo, tables, WEEK, prices=None)

    store = DailyTotalsStore(demo)
    assert compute(demo, tables, WEEK, store=store) == live  # reads the tables, keeps the days
    # Every day of the two weeks but the Sunday that ended 9 hours ago is settled and kept.
    two_weeks = WEEK.previous.days + WEEK.days
    assert kept_days(demo) == two_weeks[:-1]

    again = DailyTotalsStore(demo)
    assert compute(demo, tables, WEEK, store=again) == live  # now from the kept rows
    assert compute_insights(demo, tables, WEEK, prices=None, store=again) == live_insights
    # The insights' eight-week baseline is kept as well: 9 weeks of days but the last one.
    assert kept_days(demo) == Period(WEEK.start - timedelta(weeks=8), WEEK.end, SEOUL).days[:-1]


@time_machine.travel(NOW, tick=False)
def test_each_time_zone_keeps_its_own_days(demo: Engine, settings: Settings) -> None:
    tables = reflect_tables(demo, settings)
    store = DailyTotalsStore(demo)
    for zone in (SEOUL, ZoneInfo("America/New_York"), ZoneInfo("UTC")):
        week = Period.week_of(date(2026, 11, 9), zone)
        compute(demo, tables, week, store=store)  # keeps this zone's days
        assert compute(demo, tables, week, store=store) == compute(demo, tables, week)


@time_machine.travel(NOW, tick=False)
def test_rows_written_into_a_kept_day_count_once_it_is_forgotten(
    demo: Engine, settings: Settings
) -> None:
    tables = reflect_tables(demo, settings)
    store = DailyTotalsStore(demo)
    before = compute(demo, tables, WEEK, store=store)
    with demo.begin() as conn:  # a conversation of Wednesday 12:00 KST, written late
        conn.execute(sa.insert(tables.conversations).values(created_at=datetime(2026, 11, 18, 3)))

    kept = compute(demo, tables, WEEK, store=store)
    assert kept.current.conversations == before.current.conversations  # a settled day is kept

    result = CliRunner().invoke(
        app, ["forget-totals", "--since", "2026-11-18"], env={"DATABASE_URL": settings.database_url}
    )
    assert result.exit_code == 0, result.output
    assert "forgot the kept totals of 4 day(s) from 2026-11-18 on" in result.output
    after = compute(demo, tables, WEEK, store=store)
    assert after.current.conversations == before.current.conversations + 1
    assert after == compute(demo, tables, WEEK)


def test_forget_totals_refuses_a_date_it_cannot_read(settings: Settings) -> None:
    result = CliRunner().invoke(
        app,
        ["forget-totals", "--since", "last monday"],
        env={"DATABASE_URL": settings.database_url},
    )
    assert result.exit_code == 1
    assert "--since 'last monday' is not a date; use YYYY-MM-DD" in result.output


def test_demo_data_appended_into_kept_days_is_counted(engine: Engine, settings: Settings) -> None:
    fill_demo_data(engine, settings, weeks=2, per_day=10, now=NOW)
    tables = reflect_tables(engine, settings)
    store = DailyTotalsStore(engine)
    with time_machine.travel(NOW, tick=False):
        compute(engine, tables, WEEK, store=store)
    assert kept_days(engine)
    fill_demo_data(engine, settings, weeks=2, per_day=10, now=NOW, append=True, seed=7)
    assert kept_days(engine) == []
    with time_machine.travel(NOW, tick=False):
        assert compute(engine, tables, WEEK, store=store) == compute(engine, tables, WEEK)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@time_machine.travel(NOW, tick=False)
def test_a_read_only_database_is_read_live_with_one_warning(
    demo: Engine, settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = make_engine(settings).url.database
    read_only = load_settings(database_url=f"sqlite:///file:{database}?mode=ro&uri=true")
    engine = make_engine(read_only)
    tables = reflect_tables(engine, read_only)
    store = DailyTotalsStore(engine)
    with caplog.at_level(logging.WARNING, logger="aiops_report.rollups"):
        assert compute(engine, tables, WEEK, store=store) == compute(demo, tables, WEEK)
        assert compute(engine, tables, WEEK, store=store) == compute(demo, tables, WEEK)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "per-day totals are not kept in report_daily_totals" in warnings[0]
    assert kept_days(demo) == []
    engine.dispose()


@time_machine.travel(NOW, tick=False)
def test_days_kept_by_reading_the_three_tables_at_once_are_the_same(
    demo: Engine, settings: Settings
) -> None:
    tables = reflect_tables(demo, settings)
    store = DailyTotalsStore(demo)
    nine_weeks = baseline_span(WEEK)

    keep_daily_totals(demo, tables, nine_weeks, store)  # a connection per table

    assert kept_days(demo) == nine_weeks.days[:-1]
    assert compute(demo, tables, WEEK, store=store) == compute(demo, tables, WEEK)
