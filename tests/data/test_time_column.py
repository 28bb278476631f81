"""SQLite text times in both spellings ('D HH:MM:SS' and 'DTHH:MM:SS'): the grouped reads
(daily.per_range) use a plain range where a range's dates have one spelling, and count every
row in its day whatever the dates hold, against hand SQL that respells each row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from aiops_report.analysis.users import PeriodUsers, period_users
from aiops_report.data.config import Settings
from aiops_report.data.daily import per_range
from aiops_report.data.periods import Period
from aiops_report.data.tables import ChatbotTables, reflect_tables
from aiops_report.data.time_column import Spellings
from chatbot_tables import create_tables
from conftest import sqlite_url

SEOUL = ZoneInfo("Asia/Seoul")  # its midnights are 15:00 in the database's UTC text
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)
RANGES = WEEK.day_ranges(WEEK.days)
# Around each UTC date's boundary of Seoul days, and in between.
CLOCKS = ["00:00:00", "09:30:00", "14:59:59", "15:00:00", "15:00:00.5", "23:59:59"]
MODELS = ["a", "b"]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "test.db")


@pytest.fixture
def tables(engine: Engine, settings: Settings) -> ChatbotTables:
    create_tables(engine, settings, style="text_space", minimal=False)
    return reflect_tables(engine, settings)


def dates() -> Iterator[date]:
    """The UTC dates of the week's rows, a day either side."""
    first = WEEK.start - timedelta(days=2)
    return (first + timedelta(days=i) for i in range(len(WEEK.days) + 3))


def fill(engine: Engine, spellings: dict[date, str]) -> None:
    """On each date, a conversation (of a user of its own) and its feedback at each clock (a
    date's first few left out, so that no two days hold as many rows), in each spelling of
    `spellings[date]` (" ", "T" or both), of alternating models."""
    conversations: list[dict[str, Any]] = []
    feedback: list[dict[str, Any]] = []
    for k, day in enumerate(dates()):
        for separator in spellings.get(day, " "):
            for clock in CLOCKS[k % 3 :]:
                n = len(conversations)
                at = f"{day.isoformat()}{separator}{clock}"
                conversations.append(
                    {"id": n, "user_id": f"u{n}", "model": MODELS[n % 2], "created_at": at}
                )
                feedback.append(
                    {"id": n, "conversation_id": n, "feedback": "like", "created_at": at}
                )
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO conversation_log (id, user_id, model, created_at) "
                "VALUES (:id, :user_id, :model, :created_at)"
            ),
            conversations,
        )
        conn.execute(
            sa.text(
                "INSERT INTO feedback_log (id, conversation_id, feedback, created_at) "
                "VALUES (:id, :conversation_id, :feedback, :created_at)"
            ),
            feedback,
        )


def by_hand(engine: Engine, table: str) -> list[dict[str | None, int]]:
    """Each day's rows per model, each row's text respelled with ' ' (a function of every
    row: the reference, not the way the report reads)."""
    respelled = "replace(t.created_at, 'T', ' ')"
    model = "c.model" if table == "feedback_log" else "t.model"
    join = (
        "LEFT JOIN conversation_log c ON c.id = t.conversation_id"
        if table == "feedback_log"
        else ""
    )
    found = []
    with engine.connect() as conn:
        for start, end in RANGES:
            rows = conn.execute(
                sa.text(
                    f"SELECT {model}, count(*) FROM {table} t {join} "
                    f"WHERE {respelled} >= :lo AND {respelled} < :hi GROUP BY {model}"
                ),
                {"lo": utc_text(start), "hi": utc_text(end)},
            )
            found.append({model: count for model, count in rows})
    return found


def utc_text(instant: datetime) -> str:
    return instant.astimezone(ZoneInfo("UTC")).replace(tzinfo=None).isoformat(sep=" ")


def read(engine: Engine, tables: ChatbotTables, role: Any) -> list[dict[str | None, int]]:
    with engine.connect() as conn:
        counted = per_range(conn, tables, role, RANGES, sa.func.count(), parts=["model"])
    return [dict(rows) for rows in counted]


MONDAY, THURSDAY, SATURDAY = date(2026, 11, 16), date(2026, 11, 19), date(2026, 11, 21)


SPELLINGS = pytest.mark.parametrize(
    "spellings",
    [
        # Both on some dates (a week's first, a middle and a last), one on the others.
        {date(2026, 11, 15): " T", THURSDAY: " T", date(2026, 11, 22): " T", SATURDAY: "T"},
        {THURSDAY: " T", MONDAY: "T", date(2026, 11, 17): "T"},
        {},  # ' ' on every date: no 'T' found
        {day: "T" for day in dates()},  # 'T' on every date: no ' ' found
    ],
    ids=["both-on-some-dates", "both-mid-week", "no-T", "no-space"],
)


@SPELLINGS
def test_each_day_counts_its_rows_whatever_the_spellings(
    engine: Engine, tables: ChatbotTables, spellings: dict[date, str]
) -> None:
    fill(engine, spellings)
    assert read(engine, tables, "feedback") == by_hand(engine, "feedback_log")  # one read
    assert read(engine, tables, "conversations") == by_hand(engine, "conversation_log")
    assert all(by_hand(engine, "feedback_log"))  # every day has rows


@SPELLINGS
def test_a_weeks_distinct_users_whatever_the_spellings(
    engine: Engine, tables: ChatbotTables, spellings: dict[date, str]
) -> None:
    fill(engine, spellings)
    respelled = "replace(created_at, 'T', ' ')"

    def users(period: Period, model: str | None = None) -> int:
        with engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT count(DISTINCT user_id) FROM conversation_log "
                    f"WHERE {respelled} >= :lo AND {respelled} < :hi "
                    "AND (:model IS NULL OR model = :model)"
                ),
                {"lo": utc_text(period.start_at), "hi": utc_text(period.end_at), "model": model},
            ).scalar_one()

    with engine.connect() as conn:
        found = period_users(conn, tables, WEEK)
    assert found == PeriodUsers(
        total=users(WEEK),
        previous_total=users(WEEK.previous),
        by_model={model: users(WEEK, model) for model in MODELS},
        by_segment={},
    )


@SPELLINGS
def test_a_range_reads_the_rows_of_its_instants_whatever_the_spellings(
    engine: Engine, tables: ChatbotTables, spellings: dict[date, str]
) -> None:
    fill(engine, spellings)
    time = tables.created_at("feedback")
    respelled = "replace(created_at, 'T', ' ')"
    within_a_date = (
        datetime(2026, 11, 19, 0, 30, tzinfo=SEOUL),
        datetime(2026, 11, 19, 9, 0, tzinfo=SEOUL),
    )
    utc_midnights = (
        datetime(2026, 11, 17, 9, tzinfo=SEOUL),
        datetime(2026, 11, 21, 9, tzinfo=SEOUL),
    )
    for start, end in [*RANGES, within_a_date, utc_midnights, (WEEK.start_at, WEEK.end_at)]:
        with engine.connect() as conn:
            with time.spellings(conn, [(start, end)]) as spelled:
                read = conn.execute(
                    sa.select(sa.func.count()).where(time.within(start, end, spelled))
                ).scalar_one()
            by_hand = conn.execute(
                sa.text(
                    f"SELECT count(*) FROM feedback_log "
                    f"WHERE {respelled} >= :lo AND {respelled} < :hi"
                ),
                {"lo": utc_text(start), "hi": utc_text(end)},
            ).scalar_one()
        assert read == by_hand, (start, end)


def test_the_probe_finds_the_spellings_of_the_ranges_dates(
    engine: Engine, tables: ChatbotTables
) -> None:
    fill(engine, {THURSDAY: " T", SATURDAY: "T"})
    time = tables.created_at("feedback")
    with engine.connect() as conn, time.spellings(conn, RANGES) as found:
        assert found == Spellings(
            {
                day.isoformat(): frozenset({THURSDAY: " T", SATURDAY: "T"}.get(day, " "))
                for day in [date(2026, 11, 15) + timedelta(days=i) for i in range(8)]
            }
        )
    # Tuesday starts and ends on dates of ' ' only: a plain range; Thursday ends on a date
    # of both.
    assert found is not None
    assert " OR " not in str(time.within(*RANGES[1], found).compile())
    assert " OR " in str(time.within(*RANGES[3], found).compile())


def test_a_row_of_the_other_spelling_written_after_the_probe_is_not_misplaced(
    engine: Engine, tables: ChatbotTables, settings: Settings
) -> None:
    fill(engine, {})
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")  # a writer beside the reader
    before = by_hand(engine, "feedback_log")
    writer = sa.create_engine(settings.url)

    @sa.event.listens_for(engine, "after_cursor_execute")
    def write_after_the_probe(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("SELECT EXISTS"):  # the probe: ' ' only, everywhere
            with writer.begin() as other:  # a 'T' row at Tuesday 23:00 in Seoul
                other.exec_driver_sql(
                    "INSERT INTO feedback_log (id, feedback, created_at) "
                    "VALUES (1000, 'like', '2026-11-17T14:00:00')"
                )

    assert read(engine, tables, "feedback") == before  # the read's snapshot is the probe's
    sa.event.remove(engine, "after_cursor_execute", write_after_the_probe)
    after = read(engine, tables, "feedback")
    assert after == by_hand(engine, "feedback_log") != before
    writer.dispose()
