"""Kept per-day totals (rollups.py): the same numbers as reading the tables, on every database."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from aiops_report.analysis.insight_reads import baseline_span
from aiops_report.analysis.insights import compute_insights
from aiops_report.analysis.metrics import compute
from aiops_report.data.config import Settings, load_settings
from aiops_report.data.daily import keep_daily_totals
from aiops_report.data.db import make_engine, state_engine
from aiops_report.data.demo import fill_demo_data
from aiops_report.data.periods import Period
from aiops_report.data.rollups import (
    TABLE_NAME,
    DailyTotalsStore,
    report_daily_totals,
    report_period_users,
)
from aiops_report.data.tables import reflect_tables
from aiops_report.faces.cli import app
from chatbot_tables import update_rows


def numbers_of(explain: dict[str, Any]) -> list[float]:
    """Every number of the insights' explain splits, in order (None as nan)."""
    found: list[float] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key in sorted(value):
                walk(value[key])
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            found.append(float(value))

    walk(
        {metric: {d: split.to_dict() for d, split in by.items()} for metric, by in explain.items()}
    )
    return found


SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=SEOUL)  # Monday 09:00, the report's hour
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)  # the week that has just ended


@pytest.fixture
def demo(engine: Engine, settings: Settings) -> Engine:
    """Ten weeks of demo data up to NOW."""
    fill_demo_data(engine, settings, weeks=10, per_day=20, now=NOW)
    return engine


def kept_store(engine: Engine, settings: Settings) -> DailyTotalsStore:
    """The store of kept totals of `engine`'s reports (STATE_DATABASE_URL's on ClickHouse)."""
    return DailyTotalsStore(state_engine(engine, settings))


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

    store = kept_store(demo, settings)
    assert compute(demo, tables, WEEK, store=store) == live  # reads the tables, keeps the days
    # Every day of the two weeks but the Sunday that ended 9 hours ago is settled and kept.
    two_weeks = WEEK.previous.days + WEEK.days
    assert kept_days(state_engine(demo, settings)) == two_weeks[:-1]

    again = kept_store(demo, settings)
    assert compute(demo, tables, WEEK, store=again) == live  # now from the kept rows
    kept_insights = compute_insights(demo, tables, WEEK, prices=None, store=again)
    # A score column's float sum depends on the order the database adds its rows in (the
    # plan of a two-week read and of a nine-week one differ; ClickHouse adds across threads
    # in no fixed order): the explain split may differ in the last bits.
    assert replace(kept_insights, explain={}) == replace(live_insights, explain={})
    assert numbers_of(kept_insights.explain) == pytest.approx(
        numbers_of(live_insights.explain), rel=1e-12, abs=1e-15
    )
    # The insights' eight-week baseline is kept as well: 9 weeks of days but the last one.
    assert (
        kept_days(state_engine(demo, settings))
        == Period(WEEK.start - timedelta(weeks=8), WEEK.end, SEOUL).days[:-1]
    )


@time_machine.travel(NOW, tick=False)
def test_each_time_zone_keeps_its_own_days(demo: Engine, settings: Settings) -> None:
    tables = reflect_tables(demo, settings)
    store = kept_store(demo, settings)
    for zone in (SEOUL, ZoneInfo("America/New_York"), ZoneInfo("UTC")):
        week = Period.week_of(date(2026, 11, 9), zone)
        compute(demo, tables, week, store=store)  # keeps this zone's days
        assert compute(demo, tables, week, store=store) == compute(demo, tables, week)


def computed_at(engine: Engine) -> dict[date, datetime]:
    with engine.connect() as conn:
        t = report_daily_totals
        return {
            row.day: row.computed_at for row in conn.execute(sa.select(t.c.day, t.c.computed_at))
        }


@time_machine.travel(NOW, tick=False)
def test_rows_arriving_late_in_a_kept_day_are_counted_by_the_next_report(
    demo: Engine, settings: Settings
) -> None:
    tables = reflect_tables(demo, settings)
    before = compute(demo, tables, WEEK, store=kept_store(demo, settings))
    first_kept = computed_at(state_engine(demo, settings))
    wednesday = date(2026, 11, 18)
    with demo.begin() as conn:  # Wednesday 12:00 KST: 100 dislikes uploaded late, 2 evaluations
        conversation_id = conn.execute(sa.select(sa.func.min(tables.conversations.c.id))).scalar()
        late = datetime(2026, 11, 18, 3)
        conn.execute(
            sa.insert(tables.feedback),
            [
                {"conversation_id": conversation_id, "feedback": "dislike", "created_at": late}
                for _ in range(100)
            ],
        )
        conn.execute(
            sa.insert(tables.evaluations),
            [{"conversation_id": conversation_id, "score": None, "created_at": late}] * 2,
        )

    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        after = compute(demo, tables, WEEK, store=kept_store(demo, settings))  # the next report
    assert after.current.dislikes == before.current.dislikes + 100
    assert after == compute(demo, tables, WEEK)  # what the rows say
    # Only the day that gained rows was read again; the others were proven current.
    again = computed_at(state_engine(demo, settings))
    assert [day for day in again if again[day] != first_kept[day]] == [wednesday]


@time_machine.travel(NOW, tick=False)
def test_rows_deleted_from_a_kept_day_are_no_longer_counted_where_rows_are_counted(
    demo: Engine, settings: Settings
) -> None:
    tables = reflect_tables(demo, settings)
    before = compute(demo, tables, WEEK, store=kept_store(demo, settings))
    conv = tables.conversations
    with demo.begin() as conn:  # Wednesday's conversations are purged (a retention job)
        day = conv.c.created_at.between(datetime(2026, 11, 17, 15), datetime(2026, 11, 18, 14))
        # Counted first: ClickHouse's DELETE tells no row count.
        purged = conn.execute(sa.select(sa.func.count()).where(day)).scalar_one()
        conn.execute(sa.delete(conv).where(day))
    assert purged > 0

    # The watermark proof (the default for an id the database assigns) sees no row added:
    # a purge of a kept day needs forget-totals, or KEPT_TOTALS_PROOF=counts. ClickHouse
    # numbers no id: its days are proven by their counts, which see the purge.
    unseen = compute(demo, tables, WEEK, store=kept_store(demo, settings))
    counted = DailyTotalsStore(state_engine(demo, settings), watermarks=False)
    after = compute(demo, tables, WEEK, store=counted)
    if demo.dialect.name != "clickhousedb":
        assert unseen.current.conversations == before.current.conversations
    assert after.current.conversations == before.current.conversations - purged
    assert after == compute(demo, tables, WEEK)


@time_machine.travel(NOW, tick=False)
def test_rows_changed_in_place_count_once_the_day_is_forgotten(
    demo: Engine, settings: Settings
) -> None:
    tables = reflect_tables(demo, settings)
    before = compute(demo, tables, WEEK, store=kept_store(demo, settings))
    fb = tables.feedback
    wednesday = fb.c.created_at.between(datetime(2026, 11, 17, 15), datetime(2026, 11, 18, 14))
    with demo.begin() as conn:  # every like of Wednesday turned into a dislike: same counts
        liked = sa.and_(wednesday, fb.c.feedback == "like")
        # Counted first: ClickHouse's UPDATE tells no row count.
        changed = conn.execute(sa.select(sa.func.count()).where(liked)).scalar_one()
        update_rows(
            conn,
            "feedback_log",
            "feedback = 'dislike'",
            "feedback = 'like' "
            "AND created_at BETWEEN '2026-11-17 15:00:00' AND '2026-11-18 14:00:00'",
        )
    assert changed > 0
    kept = compute(demo, tables, WEEK, store=kept_store(demo, settings))
    assert kept.current.likes == before.current.likes  # the row counts cannot tell

    result = CliRunner().invoke(
        app, ["forget-totals", "--since", "2026-11-18"], env={"DATABASE_URL": settings.database_url}
    )
    assert result.exit_code == 0, result.output
    assert "forgot the kept totals of 4 day(s) from 2026-11-18 on" in result.output
    after = compute(demo, tables, WEEK, store=kept_store(demo, settings))
    assert after.current.likes == before.current.likes - changed
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
    with time_machine.travel(NOW, tick=False):
        compute(engine, tables, WEEK, store=kept_store(engine, settings))
    assert kept_days(state_engine(engine, settings))
    fill_demo_data(engine, settings, weeks=2, per_day=10, now=NOW, append=True, seed=7)
    with time_machine.travel(NOW, tick=False):  # the next report
        next_report = compute(engine, tables, WEEK, store=kept_store(engine, settings))
    assert next_report == compute(engine, tables, WEEK)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@time_machine.travel(NOW, tick=False)
def test_a_read_only_database_is_read_live_with_one_warning(
    demo: Engine, settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = make_engine(settings).url.database
    read_only = load_settings(database_url=f"sqlite:///file:{database}?mode=ro&uri=true")
    engine = make_engine(read_only)
    tables = reflect_tables(engine, read_only)
    store = kept_store(engine, settings)
    with caplog.at_level(logging.WARNING, logger="aiops_report.data.rollups"):
        assert compute(engine, tables, WEEK, store=store) == compute(demo, tables, WEEK)
        assert compute(engine, tables, WEEK, store=store) == compute(demo, tables, WEEK)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "per-day totals are not kept in report_daily_totals" in warnings[0]
    assert kept_days(state_engine(demo, settings)) == []
    engine.dispose()


@time_machine.travel(NOW, tick=False)
def test_days_kept_by_reading_the_three_tables_at_once_are_the_same(
    demo: Engine, settings: Settings
) -> None:
    tables = reflect_tables(demo, settings)
    store = kept_store(demo, settings)
    nine_weeks = baseline_span(WEEK)

    keep_daily_totals(demo, tables, nine_weeks, store)  # a connection per table

    assert kept_days(state_engine(demo, settings)) == nine_weeks.days[:-1]
    assert compute(demo, tables, WEEK, store=store) == compute(demo, tables, WEEK)


def test_writes_held_are_written_when_the_block_ends(engine: Engine, settings: Settings) -> None:
    store = kept_store(engine, settings)
    users = report_period_users
    source, days = "held", [date(2026, 11, 16), date(2026, 11, 22)]

    def kept() -> list[Any]:
        with store.engine.connect() as conn:
            return conn.execute(sa.select(users.c.users).where(users.c.source == source)).all()

    with store.writes_held():
        store.keep_users(source, days, users=7, conversations=20)
        assert kept() == []  # nothing written while the report's reads run
    assert kept() == [(7,)]
    assert store.kept_users(source, days, conversations=20) == 7
    assert store.kept_users(source, days, conversations=21) is None  # a changed period

    with pytest.raises(RuntimeError), store.writes_held():  # a report that fails keeps nothing
        store.keep_users(source, days, users=8, conversations=20)
        raise RuntimeError
    assert kept() == [(7,)]
