"""The chatbot's tables as users really have them, and a plain-Python reference of the metrics.

`created_at` comes in several storage styles: naive timestamps read in DB_TIMEZONE (every
database), timezone-aware `timestamptz` (PostgreSQL), and text in SQLite written as
'YYYY-MM-DD HH:MM:SS' or by `isoformat()` ('YYYY-MM-DDTHH:MM:SS').
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine

from aiops_report.data.config import Settings
from aiops_report.data.periods import Period

STYLES = {
    "sqlite": ["naive", "text_space", "text_iso", "text_mixed"],
    "postgresql": ["naive", "aware"],
    "mysql": ["naive"],
    # aware: DateTime64(6, 'America/New_York'), a zone with daylight saving and not UTC
    "clickhousedb": ["naive", "aware"],
}
CLICKHOUSE_ZONE = "America/New_York"  # the zone of an aware ClickHouse column


def create_all(metadata: sa.MetaData, engine: Engine) -> None:
    """`metadata.create_all`; on ClickHouse each table made of its types, Nullable where the
    column is, a MergeTree sorted by created_at (as a team's table would be)."""
    if engine.dialect.name != "clickhousedb":
        metadata.create_all(engine)
        return
    for table in metadata.sorted_tables:
        clickhouse_table(table, sa.MetaData()).create(engine)


def clickhouse_table(
    table: sa.Table, metadata: sa.MetaData, *, replacing: bool = False, order_by: str = ""
) -> sa.Table:
    """`table` as ClickHouse would hold it (see create_all); `replacing`: a
    ReplacingMergeTree, which keeps an updated row twice until it merges them."""
    from aiops_report.data.clickhouse import column, table_engine

    def zone(c: sa.Column[Any]) -> str | None:
        aware = isinstance(c.type, sa.DateTime) and c.type.timezone
        return CLICKHOUSE_ZONE if aware else None

    # created_at (else the first timestamp) is the sorting key, as a team's table would have
    # it, an integer epoch too: not Nullable.
    stamp = (
        "created_at"
        if "created_at" in table.c
        else next((c.name for c in table.c if isinstance(c.type, sa.DateTime)), None)
    )

    def clickhouse_column(c: sa.Column[Any]) -> sa.Column[Any]:
        if c.name == stamp:
            c = sa.Column(c.name, c.type, nullable=False)
        return column(c, zone(c))

    columns = [clickhouse_column(c) for c in table.c]
    order = order_by or stamp or "tuple()"
    return sa.Table(
        table.name,
        metadata,
        *columns,
        clickhousedb_engine=table_engine(order, replacing=replacing),
    )


def created_at_type(style: str) -> sa.types.TypeEngine[Any]:
    if style == "aware":
        return sa.DateTime(timezone=True)
    if style.startswith("text"):
        return sa.Text()
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def create_tables(
    engine: Engine, settings: Settings, *, style: str, minimal: bool, segment: str | None = None
) -> None:
    """The three tables: only the required columns (`minimal`) or every column of
    docs/your-database.md, and the conversations' `segment` column when named."""
    metadata = sa.MetaData()
    stamp = created_at_type(style)
    if minimal:
        sa.Table(settings.conversation_table, metadata, sa.Column("created_at", stamp))
        sa.Table(
            settings.feedback_table,
            metadata,
            sa.Column("feedback", sa.String(20)),
            sa.Column("created_at", stamp),
        )
        sa.Table(
            settings.evaluation_table,
            metadata,
            sa.Column("score", sa.Float),
            sa.Column("created_at", stamp),
        )
    else:
        sa.Table(
            settings.conversation_table,
            metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("user_id", sa.String(20)),
            sa.Column("user_message", sa.Text),
            sa.Column("ai_response", sa.Text),
            sa.Column("model", sa.String(20)),
            sa.Column("latency_ms", sa.Integer),
            sa.Column("prompt_tokens", sa.Integer),
            sa.Column("completion_tokens", sa.Integer),
            *([sa.Column(segment, sa.String(20))] if segment else []),
            sa.Column("created_at", stamp),
            mysql_charset="utf8mb4",
        )
        sa.Table(
            settings.feedback_table,
            metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("conversation_id", sa.Integer),
            sa.Column("feedback", sa.String(20)),
            sa.Column("comment", sa.Text),
            sa.Column("created_at", stamp),
            mysql_charset="utf8mb4",
        )
        sa.Table(
            settings.evaluation_table,
            metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("conversation_id", sa.Integer),
            sa.Column("score", sa.Float),
            sa.Column("reason", sa.Text),
            sa.Column("created_at", stamp),
            mysql_charset="utf8mb4",
        )
    create_all(metadata, engine)


@dataclass
class Rows:
    """Rows to insert; every `created_at` is an aware datetime."""

    conversations: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    evaluations: list[dict[str, Any]] = field(default_factory=list)


def stored(value: datetime, style: str, db_zone: ZoneInfo, rng: random.Random) -> Any:
    """`value` as a chatbot of that storage style would have written it."""
    if style == "aware":
        return value
    local = value.astimezone(db_zone).replace(tzinfo=None)
    if style == "naive":
        return local
    if style == "text_mixed":
        style = rng.choice(["text_space", "text_iso"])
    return local.isoformat(sep=" " if style == "text_space" else "T")


def as_read(value: datetime, style: str, db_zone: ZoneInfo) -> datetime:
    """The instant the report reads back for `value` (naive styles keep wall time only)."""
    if style == "aware":
        return value
    return value.astimezone(db_zone).replace(tzinfo=None).replace(tzinfo=db_zone)


def insert(engine: Engine, settings: Settings, rows: Rows, *, style: str, seed: int = 0) -> None:
    rng = random.Random(seed)
    metadata = sa.MetaData()
    with engine.begin() as conn:
        for name, table_rows in (
            (settings.conversation_table, rows.conversations),
            (settings.feedback_table, rows.feedback),
            (settings.evaluation_table, rows.evaluations),
        ):
            table = sa.Table(name, metadata, autoload_with=conn)
            prepared = [
                {
                    column.name: stored(row["created_at"], style, settings.db_zone, rng)
                    if column.name == "created_at"
                    else row.get(column.name)
                    for column in table.c
                }
                for row in table_rows
            ]
            if prepared:
                if style.startswith("text"):  # write the text exactly as given
                    table.c.created_at.type = sa.Text()
                if engine.dialect.name == "clickhousedb":
                    clickhouse_insert(conn, table.name, prepared)
                else:
                    conn.execute(sa.insert(table), prepared)


def state_of(engine: Engine) -> Engine:
    """Where the reports of `engine` keep their ledger and totals: `engine` itself, or on
    ClickHouse the STATE_DATABASE_URL the `db_url` fixture sets."""
    if engine.dialect.name != "clickhousedb":
        return engine
    from aiops_report.data.config import load_settings
    from aiops_report.data.db import state_engine

    url = engine.url.render_as_string(hide_password=False)
    return state_engine(engine, load_settings(database_url=url))


def update_rows(conn: sa.Connection, table: str, assignments: str, where: str = "1 = 1") -> None:
    """UPDATE `table` SET `assignments` WHERE `where`; on ClickHouse a mutation that is done
    when the statement returns (its UPDATE statement needs a setting tables seldom have)."""
    if conn.dialect.name == "clickhousedb":
        conn.exec_driver_sql(
            f"ALTER TABLE {table} UPDATE {assignments} WHERE {where} SETTINGS mutations_sync = 1"
        )
    else:
        conn.execute(sa.text(f"UPDATE {table} SET {assignments} WHERE {where}"))  # % as SQL


def clickhouse_insert(conn: sa.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` through the driver's own (columnar) insert: an INSERT of one row through
    the SQLAlchemy dialect writes an aware datetime into a zoned column as the wrong instant
    (clickhouse-connect 1.13), its inserts of many rows as the right one."""
    client = conn.connection.dbapi_connection.client  # type: ignore[union-attr]
    names = list(rows[0])
    client.insert(table, [[row[n] for n in names] for row in rows], column_names=names)


# --- the metric definitions of docs/metrics.md, in plain Python -----------------------------------


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def normalized_feedback(value: str | None) -> str | None:
    return None if value is None else value.strip(" ").lower()


def reference(
    rows: Rows, period: Period, *, style: str, db_zone: ZoneInfo, minimal: bool
) -> dict[str, Any]:
    """{'current': {...}, 'previous': {...}, 'daily': {date: {...}}} by docs/metrics.md's rules."""

    def when(row: dict[str, Any]) -> datetime:
        return as_read(row["created_at"], style, db_zone)

    def within(
        start: datetime, end: datetime, table_rows: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        return [r for r in table_rows if start <= when(r) < end]

    def headline(start: datetime, end: datetime) -> dict[str, Any]:
        conv = within(start, end, rows.conversations)
        fb = within(start, end, rows.feedback)
        scores = [
            r["score"] for r in within(start, end, rows.evaluations) if r["score"] is not None
        ]
        values = [normalized_feedback(r["feedback"]) for r in fb]
        likes, dislikes = values.count("like"), values.count("dislike")
        latencies = [float(r["latency_ms"]) for r in conv if r.get("latency_ms") is not None]
        return {
            "conversations": len(conv),
            "unique_users": None
            if minimal
            else len({r["user_id"] for r in conv if r["user_id"] is not None}),
            "feedback_total": len(fb),
            "likes": likes,
            "dislikes": dislikes,
            "satisfaction_rate": likes / (likes + dislikes) if likes + dislikes else None,
            "evaluations": len(scores),
            "avg_score": sum(scores) / len(scores) if scores else None,
            "latency_p50_ms": None if minimal else percentile(latencies, 0.5),
            "latency_p95_ms": None if minimal else percentile(latencies, 0.95),
            "total_tokens": None
            if minimal
            else sum((r["prompt_tokens"] or 0) + (r["completion_tokens"] or 0) for r in conv),
        }

    # A partial period (cut at `through`) ends there, its last day too, and the previous
    # period is cut as far into its own span (Period.previous).
    daily: dict[date, dict[str, Any]] = {}
    for day, (start, end) in zip(period.days, period.day_ranges(), strict=True):
        h = headline(start, end)
        daily[day] = {
            k: h[k]
            for k in (
                "conversations",
                "feedback_total",
                "likes",
                "dislikes",
                "evaluations",
                "avg_score",
            )
        }
    previous = period.previous
    return {
        "current": headline(period.start_at, period.end_at),
        "previous": headline(previous.start_at, previous.end_at),
        "daily": daily,
    }
