"""Per-day totals: the one aggregation the numbers, the insights and the kept totals stand on.

Each table is read over [start, end) ranges of its raw `created_at` (a range of its index),
one SELECT a day joined by UNION ALL; a day's totals are counts and sums, plus how often each
latency value occurs for exact percentiles. Settled days may come from a store of kept
totals (rollups.py), proven current by their row counts.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from aiops_report.data import clickhouse, rollups, watermarks
from aiops_report.data.attribution import linked_rows
from aiops_report.data.db import database_error
from aiops_report.data.limits import reading
from aiops_report.data.mapping import ROLES, TableRole
from aiops_report.data.periods import Period, midnight
from aiops_report.data.rollups import DailyTotalsStore
from aiops_report.data.tables import ChatbotTables

UNION_LIMIT = 100  # SELECTs in one UNION ALL (SQLite accepts at most 500)


T = TypeVar("T")


@dataclass
class DayTotals:
    """Running sums of one day or of a period's days."""

    conversations: int = 0
    tokens: int = 0
    feedback_total: int = 0
    likes: int = 0
    dislikes: int = 0
    evaluations: int = 0  # rows with a score
    evaluation_rows: int = 0  # every row, scored or not
    score_sum: float = 0.0
    score_squares: float = 0.0
    score_buckets: list[int] = field(default_factory=list)  # per bucket of the score scale
    latencies: list[tuple[float, int]] = field(default_factory=list)  # (value, how often)

    def add(self, other: DayTotals) -> None:
        self.conversations += other.conversations
        self.tokens += other.tokens
        self.feedback_total += other.feedback_total
        self.likes += other.likes
        self.dislikes += other.dislikes
        self.evaluations += other.evaluations
        self.evaluation_rows += other.evaluation_rows
        self.score_sum += other.score_sum
        self.score_squares += other.score_squares
        self.score_buckets = [
            a + b
            for a, b in zip(
                self.score_buckets or [0] * len(other.score_buckets),
                other.score_buckets,
                strict=True,
            )
        ]
        self.latencies += other.latencies

    def row_counts(self) -> list[int]:
        """The rows of each table (ROLES' order) the totals were read from."""
        return [self.conversations, self.feedback_total, self.evaluation_rows]

    def to_json(self) -> dict[str, Any]:
        # vars(), not asdict(): asdict deep-copies every (value, count) pair of the latencies.
        return dict(vars(self))

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> DayTotals:
        return cls(**{**values, "latencies": list(map(tuple, values["latencies"]))})


def daily_totals(
    conn: Connection,
    tables: ChatbotTables,
    days: Sequence[date],
    zone: ZoneInfo,
    store: DailyTotalsStore | None = None,
) -> list[DayTotals]:
    """The totals of each of `days` (in `zone`): settled days from `store` when given."""
    if store is None:
        return _read_daily_totals(_each_table_apart(conn), tables, _day_ranges(days, zone))
    with _collector_paused():
        stored = store.totals(
            rollups.source_of(tables, zone),
            days,
            zone,
            _LiveDays(_each_table_apart(conn), tables, zone),
        )
        return [DayTotals.from_json(values) for values in stored]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector held off: kept days' JSON (their latency counts) makes some
    10,000 objects a day that all live on, and the collector's passes over them as they
    were made took two thirds of loading the Overview's 56 days."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def kept_terms(
    conn: Connection,
    tables: ChatbotTables,
    days: Sequence[date],
    zone: ZoneInfo,
    store: DailyTotalsStore,
    fits: Callable[[rollups.Terms], bool],
    analyse: Callable[[list[date]], list[rollups.Terms]],
) -> list[rollups.Terms]:
    """The complaint terms of each of `days` (whole days in `zone`): those `store` keeps,
    current and fitting, the others from `analyse` (rollups.DailyTotalsStore.terms)."""
    return store.terms(
        rollups.source_of(tables, zone),
        days,
        zone,
        _LiveDays(_each_table_apart(conn), tables, zone),
        fits,
        analyse,
    )


def keep_daily_totals(
    engine: Engine, tables: ChatbotTables, span: Period, store: DailyTotalsStore
) -> None:
    """Read the settled days of `span` that `store` lacks or that gained or lost rows since
    (the three tables at the same time, a connection each), and keep them."""
    try:
        with reading("the per-day totals"):
            store.keep(
                rollups.source_of(tables, span.zone),
                span.days,
                span.zone,
                _LiveDays(engine, tables, span.zone),
            )
    except DBAPIError as exc:
        raise database_error(engine, exc) from None


@dataclass(frozen=True)
class _LiveDays:
    """Whole days of the chatbot's tables, read from `source` for a store (rollups.LiveDays):
    on one connection, or on a connection per table of an engine."""

    source: Connection | Engine
    tables: ChatbotTables
    zone: ZoneInfo

    def read(self, days: list[date]) -> list[tuple[rollups.Totals, rollups.RowCounts]]:
        live = _read_daily_totals(self.source, self.tables, _day_ranges(days, self.zone))
        return [(totals.to_json(), totals.row_counts()) for totals in live]

    @property
    def added_row_cost(self) -> float:
        return watermarks.ADDED_ROW_COST.get(self.tables.dialect, 1.0)

    def provable(self) -> bool:
        if not clickhouse.is_clickhouse(self.tables.dialect):
            return True
        found = partial(clickhouse.uncounted_tables, tables=self.tables.tables())
        return not _on_connections(self.source, [found])[0]

    def marks(self) -> rollups.Marks:
        keys = [watermarks.table_key(self.tables, role) for role in ROLES]
        return _on_connections(
            self.source,
            [partial(_highest, key) for key in keys],
        )

    def count(self, asked: list[tuple[int, list[date]]]) -> list[list[int]]:
        return _on_connections(
            self.source,
            [
                partial(_count_rows, self.tables, ROLES[table], _day_ranges(days, self.zone))
                for table, days in asked
            ],
        )

    def added(self, asked: list[tuple[int, int, list[date]]]) -> list[list[bool]]:
        return _on_connections(
            self.source,
            [
                partial(_added, self.tables, ROLES[table], since, _day_ranges(days, self.zone))
                for table, since, days in asked
            ],
        )


def _highest(key: sa.Column[Any] | None, conn: Connection) -> int | None:
    return None if key is None else watermarks.highest_id(conn, key)


def _added(
    tables: ChatbotTables,
    role: TableRole,
    since: int,
    ranges: Sequence[tuple[datetime, datetime]],
    conn: Connection,
) -> list[bool]:
    return watermarks.added_in(conn, tables, role, since, ranges)


def _count_rows(
    tables: ChatbotTables,
    role: TableRole,
    ranges: Sequence[tuple[datetime, datetime]],
    conn: Connection,
) -> list[int]:
    """The rows of `role`'s table in each of `ranges`: `created_at`'s index is enough."""
    return [rows[0][0] for rows in per_range(conn, tables, role, ranges, sa.func.count())]


def _day_ranges(days: Sequence[date], zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    return [(midnight(day, zone), midnight(day + timedelta(days=1), zone)) for day in days]


def period_days(
    conn: Connection,
    tables: ChatbotTables,
    periods: Sequence[Period],
    store: DailyTotalsStore | None = None,
) -> list[list[DayTotals]]:
    """The totals of each day of each of `periods`.

    Whole days come from `daily_totals` (from `store` when settled); the day a partial period
    is cut on is read live up to its `through`, never kept: `store` keys whole days.
    """
    whole = sorted({day for period in periods for day in period.whole_days})
    totals = (
        dict(zip(whole, daily_totals(conn, tables, whole, periods[0].zone, store), strict=True))
        if whole
        else {}
    )
    cut = [period.day_ranges([period.cut_day])[0] for period in periods if period.cut_day]
    live = iter(_read_daily_totals(_each_table_apart(conn), tables, cut) if cut else [])
    return [
        [totals[day] if day != period.cut_day else next(live) for day in period.days]
        for period in periods
    ]


def per_range(
    conn: Connection,
    tables: ChatbotTables,
    role: TableRole,
    ranges: Sequence[tuple[datetime, datetime]],
    *aggregates: sa.ColumnElement[Any],
    group_by: Sequence[sa.ColumnElement[Any]] = (),
) -> list[list[tuple[Any, ...]]]:
    """The rows (group_by, then aggregates) over each [start, end) of `ranges` (of the
    tables' segment: `attribution.linked_rows`).

    One SELECT a range, joined by UNION ALL. Each SELECT is a range on the raw `created_at`,
    so it reads its own slice of the index: every row is read once, and no per-row
    expression has to find its day.
    """
    selects = [
        linked_rows(tables, role, start, end)
        .select(sa.literal_column(str(part), sa.Integer()).label("part"), *group_by, *aggregates)
        .group_by(*group_by)
        for part, (start, end) in enumerate(ranges)
    ]
    results: list[list[tuple[Any, ...]]] = [[] for _ in ranges]
    for first in range(0, len(selects), UNION_LIMIT):
        for row in conn.execute(sa.union_all(*selects[first : first + UNION_LIMIT])):
            results[row.part].append(tuple(row)[1:])
    return results


def _read_daily_totals(
    source: Connection | Engine,
    tables: ChatbotTables,
    ranges: Sequence[tuple[datetime, datetime]],
) -> list[DayTotals]:
    """One DayTotals per [start, end) of `ranges`, read from the three tables."""
    days = [DayTotals() for _ in ranges]
    _on_connections(
        source,
        [  # each sets its own fields of `days`
            partial(add, tables, ranges, days)
            for add in (_add_conversations, _add_feedback, _add_evaluations)
        ],
    )
    return days


def _each_table_apart(conn: Connection) -> Connection | Engine:
    """Where the three tables are read: on connections of their own (at the same time, as
    the database has cores for), unless the database lives in this connection alone (a
    SQLite database in memory)."""
    url = conn.engine.url
    in_memory = url.get_backend_name() == "sqlite" and (
        url.database in {None, "", ":memory:"} or url.query.get("mode") == "memory"
    )
    return conn if in_memory else conn.engine


def _on_connections(
    source: Connection | Engine, parts: Sequence[Callable[[Connection], T]]
) -> list[T]:
    """What each of `parts` returns: one after the other on a connection, or at the same
    time on connections of an engine."""
    if not parts:
        return []
    if isinstance(source, Connection):
        return [part(source) for part in parts]

    def run(part: Callable[[Connection], T]) -> T:
        with source.connect() as conn:
            return part(conn)

    with ThreadPoolExecutor(max_workers=len(parts)) as pool:
        return [done.result() for done in [pool.submit(run, part) for part in parts]]


def _add_conversations(
    tables: ChatbotTables,
    ranges: Sequence[tuple[datetime, datetime]],
    days: list[DayTotals],
    conn: Connection,
) -> None:
    """Each day's conversations and tokens; with latency, how often each value occurs."""
    conv = tables.conversations
    tokens = [
        sa.func.coalesce(sa.func.sum(sa.func.coalesce(conv.c[name], 0)), 0)
        for name in ("prompt_tokens", "completion_tokens")
        if name in conv.c
    ]
    # Grouping each day by latency_ms costs little more than counting it, and the value
    # counts give exact percentiles without a second pass over the rows.
    latency = [conv.c.latency_ms] if "latency_ms" in conv.c else []
    for totals, rows in zip(
        days,
        per_range(
            conn, tables, "conversations", ranges, sa.func.count(), *tokens, group_by=latency
        ),
        strict=True,
    ):
        for row in rows:
            if latency:
                value, count, *token_sums = row
                if value is not None:
                    totals.latencies.append((float(value), count))
            else:
                count, *token_sums = row
            totals.conversations += count
            totals.tokens += sum(int(value) for value in token_sums)


def _add_feedback(
    tables: ChatbotTables,
    ranges: Sequence[tuple[datetime, datetime]],
    days: list[DayTotals],
    conn: Connection,
) -> None:
    """Each day's feedback rows, likes and dislikes."""
    for totals, rows in zip(
        days,
        per_range(
            conn,
            tables,
            "feedback",
            ranges,
            sa.func.count(),
            sa.func.count(sa.case((tables.feedback_is("like"), 1))),
            sa.func.count(sa.case((tables.feedback_is("dislike"), 1))),
        ),
        strict=True,
    ):
        for count, likes, dislikes in rows:
            totals.feedback_total = count
            totals.likes = likes
            totals.dislikes = dislikes


def _add_evaluations(
    tables: ChatbotTables,
    ranges: Sequence[tuple[datetime, datetime]],
    days: list[DayTotals],
    conn: Connection,
) -> None:
    """Each day's scores: count, sum, sum of squares and buckets."""
    score = tables.score()
    edges = tables.mapping.scale.bucket_edges()
    at_least = [sa.func.count(sa.case((score >= low, 1))) for low in edges[1:-1]]
    for totals, rows in zip(
        days,
        per_range(
            conn,
            tables,
            "evaluations",
            ranges,
            sa.func.count(),
            sa.func.count(score),
            sa.func.sum(score),
            sa.func.sum(score * score),
            *at_least,
        ),
        strict=True,
    ):
        totals.score_buckets = [0] * (len(edges) - 1)
        for count_rows, count, total, squares, *cumulative in rows:
            totals.evaluation_rows = count_rows
            totals.evaluations = count
            totals.score_sum = float(total or 0)
            totals.score_squares = float(squares or 0)
            # The first bucket holds what is below its top (under the range too), the last
            # what is at least its bottom (above the range too).
            at_or_above = [count, *cumulative, 0]
            totals.score_buckets = [
                at_or_above[i] - at_or_above[i + 1] for i in range(len(edges) - 1)
            ]
