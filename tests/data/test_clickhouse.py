"""ClickHouse gives the numbers PostgreSQL gives for the same rows: every metric, the days,
by_model, by_segment, the insights and the alerts, on a week with a daylight-saving change,
rows on the midnights, late rows, Decimal scores and a ReplacingMergeTree holding an update
twice (read deduplicated). And ClickHouse is only read: without STATE_DATABASE_URL, one line.
"""

from __future__ import annotations

import math
import random
import threading
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from aiops_report.analysis.alert_rules import DEFAULT_RULES
from aiops_report.analysis.alerts import day_as_of, evaluate
from aiops_report.building import report_numbers
from aiops_report.data.clickhouse import STATE_NEEDED
from aiops_report.data.config import Settings, load_settings
from aiops_report.data.db import make_engine, state_engine
from aiops_report.data.demo import fill_demo_data
from aiops_report.data.limits import cancel_running
from aiops_report.data.periods import Period
from aiops_report.data.rollups import report_daily_totals
from aiops_report.data.tables import reflect_tables
from aiops_report.delivery.runs import RunLedger
from aiops_report.errors import ConfigError
from aiops_report.faces.cli import app
from aiops_report.jobs import run_weekly
from chatbot_tables import clickhouse_insert, clickhouse_table
from conftest import server_url, sqlite_url
from slack_server import TOKEN, SlackServer

NEW_YORK = ZoneInfo("America/New_York")  # daylight saving ends Sunday 2026-11-01 02:00
WEEK = Period.week_of(date(2026, 10, 26), NEW_YORK)  # holds the 25-hour Sunday
FRIDAY = date(2026, 10, 30)  # every thumb a dislike: an alert
FIRST_DAY = WEEK.start - timedelta(weeks=9)
NOW = datetime(2026, 11, 3, 12, tzinfo=NEW_YORK)
UPDATED = 25  # evaluations re-scored: the ReplacingMergeTree holds both versions


def chatbot_metadata() -> sa.MetaData:
    """The three tables with a segment, Decimal(5, 2) scores and timestamps with a zone."""
    metadata = sa.MetaData()
    stamp = sa.DateTime(timezone=True)
    sa.Table(
        "conversation_log",
        metadata,
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.String(20)),
        sa.Column("user_message", sa.Text),
        sa.Column("ai_response", sa.Text),
        sa.Column("model", sa.String(20)),
        sa.Column("bot", sa.String(20)),
        sa.Column("latency_ms", sa.Integer),
        sa.Column("prompt_tokens", sa.Integer),
        sa.Column("completion_tokens", sa.Integer),
        sa.Column("created_at", stamp, nullable=False),
    )
    sa.Table(
        "feedback_log",
        metadata,
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("conversation_id", sa.BigInteger),
        sa.Column("feedback", sa.String(20)),
        sa.Column("comment", sa.Text),
        sa.Column("created_at", stamp, nullable=False),
    )
    sa.Table(
        "conversation_evaluation",
        metadata,
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("conversation_id", sa.BigInteger),
        sa.Column("score", sa.Numeric(5, 2)),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", stamp, nullable=False),
    )
    return metadata


def local(day: date, seconds: float, fold: int = 0) -> datetime:
    wall = datetime(day.year, day.month, day.day) + timedelta(seconds=seconds)
    return wall.replace(tzinfo=NEW_YORK, fold=fold)


def chatbot_rows(seed: int, first_id: int = 1, days: list[date] | None = None) -> dict[str, list]:
    """Seeded rows on every day from FIRST_DAY to the end of WEEK (or `days`): random times,
    rows on each midnight and a microsecond before it, both 01:30s of the repeated hour."""
    rng = random.Random(seed)
    rows: dict[str, list[dict[str, Any]]] = {"conv": [], "fb": [], "ev": []}
    ids = iter(range(first_id, first_id + 10_000_000))
    every_day = [FIRST_DAY + timedelta(days=n) for n in range((WEEK.end - FIRST_DAY).days)]
    for day in days or every_day:
        times = [local(day, rng.uniform(0, 86_399)) for _ in range(rng.randint(15, 30))]
        times += [local(day, 0), local(day, 86_400 - 1e-6)]
        if day == date(2026, 11, 1):
            times += [local(day, 5_400, fold=0), local(day, 5_400, fold=1)]
        for when in times:
            cid = next(ids)
            rows["conv"].append(
                {
                    "id": cid,
                    "user_id": rng.choice([None, *(f"u{n}" for n in range(40))]),
                    "user_message": f"질문 {cid}",
                    "ai_response": f"답변 {cid}",
                    "model": rng.choice(["gpt-4o", "gpt-4o-mini", "claude"]),
                    "bot": rng.choice([None, "shop", "help"]),
                    "latency_ms": rng.choice([None, *range(200, 3000, 7)]),
                    "prompt_tokens": rng.choice([None, *range(5, 500)]),
                    "completion_tokens": rng.randint(5, 800),
                    "created_at": when,
                }
            )
            if rng.random() < 0.5:
                word = rng.choice(["like", "like", "dislike", " Like ", "meh"])
                rows["fb"].append(
                    {
                        "id": cid,
                        "conversation_id": cid,
                        "feedback": "dislike" if day == FRIDAY else word,
                        "comment": f"의견 {cid}",
                        "created_at": when + timedelta(minutes=rng.randint(0, 30 * 60)),
                    }
                )
            if rng.random() < 0.7:
                score = rng.choice([None, *(Decimal(n) / 4 for n in range(41))])
                rows["ev"].append(
                    {
                        "id": cid,
                        "conversation_id": cid,
                        "score": score,
                        "reason": f"이유 {cid}",
                        "created_at": when + timedelta(minutes=rng.randint(0, 20 * 60)),
                    }
                )
    return rows


TABLES = {"conv": "conversation_log", "fb": "feedback_log", "ev": "conversation_evaluation"}


def write(engine: Engine, rows: dict[str, list], *, replacing: bool = False) -> None:
    """The rows into each table (PostgreSQL: as they are; ClickHouse: columnar inserts)."""
    with engine.begin() as conn:
        for key, table in TABLES.items():
            if not rows[key]:
                continue
            if engine.dialect.name == "clickhousedb":
                clickhouse_insert(conn, table, rows[key])
            else:
                conn.execute(sa.table(table, *map(sa.column, rows[key][0])).insert(), rows[key])


def create(engine: Engine) -> None:
    metadata = chatbot_metadata()
    if engine.dialect.name != "clickhousedb":
        metadata.create_all(engine)
        return
    for table in metadata.sorted_tables:
        # The evaluations are a ReplacingMergeTree keyed by id: a re-scored row is inserted
        # again and both stay until a merge; the other tables are MergeTree sorted by time.
        replacing = table.name == "conversation_evaluation"
        order_by = "id" if replacing else ""
        clickhouse_table(table, sa.MetaData(), replacing=replacing, order_by=order_by).create(
            engine
        )


def same(a: Any, b: Any, where: str = "") -> None:
    """Equal, floats to 1e-9 relative (sums of the same numbers in another order)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list | tuple):
        assert isinstance(b, list | tuple) and len(a) == len(b), where
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{n}]")
    elif isinstance(a, float) and not isinstance(b, bool) and b is not None:
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (where, a, b)
    else:
        assert a == b, (where, a, b)


@pytest.fixture
def both(clickhouse_db: str, tmp_path: Path) -> tuple[tuple[Engine, Settings], ...]:
    """PostgreSQL and ClickHouse, the same rows in each (ClickHouse's evaluations holding
    UPDATED of them twice, the newer score last); the report in New York's time."""
    schema = tmp_path / "schema.toml"
    schema.write_text('[conversations]\nsegment = "bot"\n', encoding="utf-8")
    common: dict[str, Any] = {
        "report_timezone": "America/New_York",
        "schema_file": schema,
        "report_dir": tmp_path / "reports",
    }
    pg = load_settings(database_url=server_url("postgresql"), **common)
    ch = load_settings(
        database_url=clickhouse_db,
        state_database_url=sqlite_url(tmp_path / "state.db"),
        **common,
    )
    rows = chatbot_rows(24)
    rescored = random.Random(7).sample(rows["ev"], UPDATED)
    updates = [{**row, "score": Decimal("9.75") - (row["score"] or 0)} for row in rescored]
    pg_engine, ch_engine = make_engine(pg), make_engine(ch)
    create(pg_engine)
    create(ch_engine)
    write(ch_engine, rows)
    write(ch_engine, {"conv": [], "fb": [], "ev": updates})  # the update, a second row
    newest = {row["id"]: row for row in updates}
    write(pg_engine, {**rows, "ev": [newest.get(r["id"], r) for r in rows["ev"]]})
    yield (pg_engine, pg), (ch_engine, ch)
    pg_engine.dispose()
    ch_engine.dispose()


def numbers(engine: Engine, settings: Settings, segment: str | None = None) -> dict[str, Any]:
    return report_numbers(engine, settings, WEEK, segment=segment).to_dict()


def alerts(engine: Engine, settings: Settings) -> list[Any]:
    tables = reflect_tables(engine, settings)
    return evaluate(engine, tables, DEFAULT_RULES, day_as_of(FRIDAY, NEW_YORK, NOW))


def test_clickhouse_gives_postgresqls_numbers_for_the_same_rows(both: Any) -> None:
    (pg_engine, pg), (ch_engine, ch) = both
    with ch_engine.connect() as conn:  # the update is held twice until a merge
        held = conn.execute(
            sa.text("SELECT count() FROM conversation_evaluation SETTINGS final = 0")
        ).scalar()
        merged = conn.execute(sa.text("SELECT count() FROM conversation_evaluation FINAL"))
        assert held == merged.scalar() + UPDATED

    expected = numbers(pg_engine, pg)
    same(numbers(ch_engine, ch), expected)
    assert expected["current"]["conversations"] > 100 and expected["by_model"]
    assert {row["segment"] for row in expected["by_segment"]} >= {"shop", "help"}
    same(numbers(ch_engine, ch, "shop"), numbers(pg_engine, pg, "shop"))
    expected_alerts = alerts(pg_engine, pg)
    assert expected_alerts  # Friday's thumbs are all dislikes
    assert alerts(ch_engine, ch) == expected_alerts


def test_late_rows_count_on_clickhouse_as_on_postgresql(both: Any) -> None:
    (pg_engine, pg), (ch_engine, ch) = both
    before = numbers(ch_engine, ch)  # keeps the settled days' totals (in STATE_DATABASE_URL)
    with state_engine(ch_engine, ch).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(report_daily_totals)).scalar()
    late = chatbot_rows(25, first_id=5_000_000, days=[date(2026, 10, 27)])
    for engine in (pg_engine, ch_engine):
        write(engine, late)

    after = numbers(ch_engine, ch)

    assert after["current"]["conversations"] == before["current"]["conversations"] + len(
        late["conv"]
    )
    same(after, numbers(pg_engine, pg))


def test_clickhouse_without_a_state_database_is_one_line(clickhouse_db: str) -> None:
    with pytest.raises(ConfigError, match="STATE_DATABASE_URL"):
        make_engine(load_settings(database_url=clickhouse_db))

    result = CliRunner().invoke(
        app, ["generate", "--json"], env={"DATABASE_URL": clickhouse_db, "STATE_DATABASE_URL": ""}
    )

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [f"error: {STATE_NEEDED}"]


def test_four_replicas_deliver_a_clickhouse_week_once(
    clickhouse_db: str, slack_server: SlackServer, tmp_path: Path
) -> None:
    """run-weekly on ClickHouse, its ledger in PostgreSQL: four replicas at the same moment
    (threads, each with its engines, as chdb runs in one process) deliver the week once."""
    settings = load_settings(
        database_url=clickhouse_db,
        state_database_url=server_url("postgresql"),
        report_dir=tmp_path,
        slack_bot_token=TOKEN,
        slack_api_url=slack_server.api_url,
    )
    engine = make_engine(settings)
    seoul_now = datetime(2026, 11, 26, 10, tzinfo=ZoneInfo("Asia/Seoul"))
    fill_demo_data(engine, settings, weeks=2, per_day=15, now=seoul_now)
    engine.dispose()
    week = Period.week_of(date(2026, 11, 16), ZoneInfo("Asia/Seoul"))
    start = threading.Barrier(4)
    outcomes: list[Any] = []

    def replica() -> None:
        own = make_engine(settings)
        start.wait()
        outcomes.append(run_weekly(own, settings, period=week))
        own.dispose()

    threads = [threading.Thread(target=replica) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(slack_server.shared_files()) == 1
    assert sorted(outcome.status for outcome in outcomes).count("delivered") == 1
    [run] = RunLedger(state_engine(engine, settings)).history()
    assert run.status == "delivered"


def test_cancel_running_kills_a_clickhouse_statement(clickhouse_db: str, tmp_path: Path) -> None:
    """What SIGTERM does (limits.cancel_running): KILL QUERY of the statement's tag."""
    settings = load_settings(
        database_url=clickhouse_db, state_database_url=sqlite_url(tmp_path / "state.db")
    )
    engine = make_engine(settings)
    slow = "SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 0"
    stopped: list[str] = []

    def statement() -> None:
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(slow)).all()
        except sa.exc.DBAPIError as exc:
            stopped.append(str(exc.orig))

    thread = threading.Thread(target=statement)
    started = time.monotonic()
    thread.start()
    while thread.is_alive() and time.monotonic() - started < 10:  # once it has started
        cancel_running()
        thread.join(0.3)

    assert not thread.is_alive() and time.monotonic() - started < 15
    assert stopped and "QUERY_WAS_CANCELLED" in stopped[0]
    engine.dispose()


def test_a_cte_read_twice_is_computed_once_on_clickhouse(
    clickhouse_db: str, tmp_path: Path
) -> None:
    """ClickHouse runs a CTE's query again at each reference unless it is MATERIALIZED: a
    random value read through two references is one value only when computed once."""
    settings = load_settings(
        database_url=clickhouse_db, state_database_url=sqlite_url(tmp_path / "state.db")
    )
    engine = make_engine(settings)
    drawn = sa.select(sa.func.rand64().label("value")).cte("drawn")
    first, second = drawn.alias("first"), drawn.alias("second")
    same = first.outerjoin(second, first.c.value == second.c.value)
    query = sa.select(sa.func.count(second.c.value)).select_from(same)

    with engine.connect() as conn:
        assert [conn.execute(query).scalar_one() for _ in range(3)] == [1, 1, 1]
    engine.dispose()
