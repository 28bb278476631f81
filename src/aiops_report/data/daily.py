"""Per-day totals: the one aggregation the numbers, the insights and the kept totals stand on.

Each table is read over [start, end) ranges of its raw `created_at` (a range of its index),
one SELECT a day joined by UNION ALL, grouped by the conversation's model, segment and
SCHEMA_FILE's dimensions (`group_parts`; a feedback or evaluation row by its conversation's:
attribution.linked_rows): so one pass per table gives the day's totals, the breakdowns by
model and by segment, and the groups the explain split needs. A day's totals are counts and
sums per group, plus how often each latency value occurs per model for exact percentiles.
Settled days may come from a store of kept totals (rollups.py).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from aiops_report.data import clickhouse, rollups, watermarks
from aiops_report.data.attribution import LinkedRows, linked_rows, looked_up
from aiops_report.data.db import database_error
from aiops_report.data.limits import reading
from aiops_report.data.mapping import ROLES, TableRole
from aiops_report.data.periods import Period, midnight
from aiops_report.data.rollups import DailyTotalsStore
from aiops_report.data.tables import ChatbotTables
from aiops_report.data.time_column import Spellings, contiguous

UNION_LIMIT = 100  # SELECTs in one UNION ALL (SQLite accepts at most 500)


T = TypeVar("T")


class GroupSums(NamedTuple):
    """What a group of a day (or of summed days) holds; kept as a list in this order."""

    conversations: float
    prompt_tokens: float
    completion_tokens: float
    feedback_total: float
    likes: float
    dislikes: float
    evaluations: float
    score_sum: float
    score_squares: float


GROUP_SUMS = GroupSums._fields
_AT = {name: i for i, name in enumerate(GROUP_SUMS)}


def group_parts(tables: ChatbotTables) -> list[str]:
    """The conversation columns a day's rows are grouped by, in the groups' keys' order: the
    model, the segment (not in one segment's own report) and SCHEMA_FILE's dimensions, those
    the conversations have."""
    found = [
        part
        for part in ("model", "segment")
        if tables.has("conversations", part) and not (part == "segment" and tables.segment)
    ]
    return [*found, *tables.mapping.dimensions]


def group_key(values: Sequence[Any]) -> str:
    """A group's key: its values (text, or None) as JSON."""
    return json.dumps([None if v is None else _as_str(v) for v in values], ensure_ascii=False)


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
    # {group_key of the values of group_parts: the GROUP_SUMS of its rows}
    groups: dict[str, list[float]] = field(default_factory=dict)
    # {group_key([model]): [value, how often, value, how often, ...]} of latency_ms
    model_latencies: dict[str, list[float]] = field(default_factory=dict)

    @property
    def latencies(self) -> list[tuple[float, int]]:
        """(value, how often) of every latency, each value once: the models' counts summed
        without a pair made of each (a period's 28 kept days hold some 400,000)."""
        counts: dict[float, float] = defaultdict(int)
        for flat in self.model_latencies.values():
            for value, count in zip(flat[::2], flat[1::2], strict=True):
                counts[value] += count
        return [(value, int(count)) for value, count in counts.items()]

    def latencies_of(self, key: str) -> list[tuple[float, int]]:
        flat = self.model_latencies.get(key, [])
        return [(flat[i], int(flat[i + 1])) for i in range(0, len(flat), 2)]

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
        for key, sums in other.groups.items():
            mine = self.groups.setdefault(key, [0] * len(GROUP_SUMS))
            for i, value in enumerate(sums):
                mine[i] += value
        for key, flat in other.model_latencies.items():
            self.model_latencies.setdefault(key, []).extend(flat)

    def by_part(self, index: int) -> dict[str | None, GroupSums]:
        """The sums of the groups added up by the value of the `index`-th of group_parts."""
        found: dict[str | None, list[float]] = {}
        for key, sums in self.groups.items():
            value = json.loads(key)[index]
            mine = found.setdefault(value, [0] * len(GROUP_SUMS))
            for i, each in enumerate(sums):
                mine[i] += each
        return {value: GroupSums(*sums) for value, sums in found.items()}

    @classmethod
    def summed(cls, days: Iterable[DayTotals]) -> DayTotals:
        """The totals of `days` added up."""
        total = cls()
        for day in days:
            total.add(day)
        return total

    def row_counts(self) -> list[int]:
        """The rows of each table (ROLES' order) the totals were read from."""
        return [self.conversations, self.feedback_total, self.evaluation_rows]

    def to_json(self) -> dict[str, Any]:
        # vars(), not asdict(): asdict deep-copies every list.
        return dict(vars(self))

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> DayTotals:
        return cls(**values)


def _add_to_group(totals: DayTotals, values: Sequence[Any], sums: dict[str, float]) -> None:
    """Add `sums` ({GROUP_SUMS name: value}) to the group of `values` in `totals`."""
    group = totals.groups.setdefault(group_key(values), [0] * len(GROUP_SUMS))
    for name, value in sums.items():
        group[_AT[name]] += value


def _as_str(value: Any) -> str:
    """Text that MySQL's BINARY comparison hands back as bytes; other values as written."""
    return value.decode() if isinstance(value, bytes) else str(value)


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
    stored = store.totals(
        rollups.source_of(tables, zone),
        days,
        zone,
        _LiveDays(_each_table_apart(conn), tables, zone),
    )
    return [DayTotals.from_json(values) for values in stored]


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
    counted = per_range(conn, tables, role, ranges, sa.func.count())
    return [rows[0][0] if rows else 0 for rows in counted]  # a grouped read omits empty ranges


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
    parts: Sequence[str] = (),
    group_by: Sequence[sa.ColumnElement[Any]] = (),
) -> list[list[tuple[Any, ...]]]:
    """The rows (the conversation's `parts`, then group_by, then aggregates) over each
    [start, end) of `ranges` (of the tables' segment), grouped by the first two
    (`attribution.linked_rows`); a range without rows may have none.

    One SELECT a range, joined by UNION ALL: each is a range on the raw `created_at`, so it
    reads its own slice of the index, and no per-row expression has to find its day. Rows
    joined to their conversations are read instead in one SELECT over the whole span when
    the ranges follow each other, each row's range found by `TimeColumn.which`: one join
    (one hash of the span's conversations on PostgreSQL) rather than one a range.
    SQLite text times are read as plain ranges where the ranges' dates hold one spelling
    (`TimeColumn.spellings`), without the OR of both forms.
    """
    with tables.created_at(role).spellings(conn, ranges) as spelled:
        results: list[list[tuple[Any, ...]]] = [[] for _ in ranges]
        for statement in _selects(tables, role, ranges, aggregates, parts, group_by, spelled):
            for row in conn.execute(statement):
                if row.part is not None:
                    results[row.part].append(tuple(row)[1:])
    return results


def _selects(
    tables: ChatbotTables,
    role: TableRole,
    ranges: Sequence[tuple[datetime, datetime]],
    aggregates: Sequence[sa.ColumnElement[Any]],
    parts: Sequence[str],
    group_by: Sequence[sa.ColumnElement[Any]],
    spelled: Spellings | None,
) -> list[sa.Select[Any] | sa.CompoundSelect[Any]]:
    """per_range's statements: one over the span for joined rows, else one a range."""
    joined = role != "conversations" and (bool(parts) or tables.segment is not None)
    if not (joined and len(ranges) > 1 and contiguous(ranges)):
        return _per_range_selects(tables, role, ranges, aggregates, parts, group_by, spelled)
    additive = all(getattr(a, "name", None) in {"count", "sum"} for a in aggregates)
    rows = linked_rows(tables, role, ranges[0][0], ranges[-1][1], parts, spelled, deferred=additive)
    which = tables.created_at(role).which(ranges, spelled)
    if rows.missed is not None:
        return [_grouped_then_looked_up(tables, rows, which, parts, group_by, aggregates)]
    keys = [*(rows.conversation[name] for name in parts), *group_by]
    labelled = [key.label(f"g{i}") for i, key in enumerate(keys)]
    return [rows.select(which.label("part"), *labelled, *aggregates).group_by(which, *keys)]


def _grouped_then_looked_up(
    tables: ChatbotTables,
    rows: LinkedRows,
    which: sa.ColumnElement[Any],
    parts: Sequence[str],
    group_by: Sequence[sa.ColumnElement[Any]],
    aggregates: Sequence[sa.ColumnElement[Any]],
) -> sa.Select[Any]:
    """PostgreSQL: the rows grouped first (by their range, the joined conversation's parts
    and, for a row whose conversation was not joined, its conversation_id: its workers
    group in parallel), then the groups of those conversations given their parts by key and
    added up (the aggregates are counts and sums)."""
    assert rows.missed is not None  # linked_rows(deferred=True) on PostgreSQL
    inner = [
        which.label("part"),
        *[rows.conversation[name].label(f"p{i}") for i, name in enumerate(parts)],
        rows.missed.label("missed"),
        *[key.label(f"k{i}") for i, key in enumerate(group_by)],
    ]
    grouped = (
        rows.select(*inner, *[a.label(f"a{i}") for i, a in enumerate(aggregates)])
        .group_by(*[column.element for column in inner])
        .subquery(tables.query_name("grouped"))
    )
    found = looked_up(tables, grouped.c.missed, parts)
    values = [
        sa.case((grouped.c.missed.is_(None), grouped.c[f"p{i}"]), else_=found.c[f"v{i}"])
        for i in range(len(parts))
    ]
    keys = [*values, *(grouped.c[f"k{i}"] for i in range(len(group_by)))]
    totals = [
        sa.cast(sa.func.sum(grouped.c[f"a{i}"]), sa.BigInteger)
        if a.name == "count"
        else sa.func.sum(grouped.c[f"a{i}"])
        for i, a in enumerate(aggregates)
    ]
    return (
        sa.select(grouped.c.part, *[key.label(f"g{i}") for i, key in enumerate(keys)], *totals)
        .select_from(grouped.outerjoin(found, sa.true()))
        .group_by(grouped.c.part, *keys)
    )


def _per_range_selects(
    tables: ChatbotTables,
    role: TableRole,
    ranges: Sequence[tuple[datetime, datetime]],
    aggregates: Sequence[sa.ColumnElement[Any]],
    parts: Sequence[str],
    group_by: Sequence[sa.ColumnElement[Any]],
    spelled: Spellings | None,
) -> list[sa.Select[Any] | sa.CompoundSelect[Any]]:
    """One grouped SELECT a range, UNION_LIMIT of them joined by UNION ALL a statement."""
    selects = []
    for part, (start, end) in enumerate(ranges):
        rows = linked_rows(tables, role, start, end, parts, spelled)
        keys = [*(rows.conversation[name] for name in parts), *group_by]
        labelled = [key.label(f"g{i}") for i, key in enumerate(keys)]
        selects.append(
            rows.select(
                sa.literal_column(str(part), sa.Integer()).label("part"), *labelled, *aggregates
            ).group_by(*keys)
        )
    return [
        sa.union_all(*selects[first : first + UNION_LIMIT])
        for first in range(0, len(selects), UNION_LIMIT)
    ]


def _read_daily_totals(
    source: Connection | Engine,
    tables: ChatbotTables,
    ranges: Sequence[tuple[datetime, datetime]],
) -> list[DayTotals]:
    """One DayTotals per [start, end) of `ranges`, read from the three tables: each once,
    but for the latencies of conversations grouped by more than their model (grouped by
    value as well, the groups would multiply)."""
    days = [DayTotals() for _ in ranges]
    has_latency = "latency_ms" in tables.conversations.c
    latencies_apart = has_latency and not set(group_parts(tables)) <= {"model"}
    reads: list[Callable[..., None]] = [
        partial(_add_conversations, with_latencies=has_latency and not latencies_apart),
        _add_feedback,
        _add_evaluations,
        *([_add_latencies] if latencies_apart else []),
    ]
    _on_connections(
        source,
        [partial(add, tables, ranges, days) for add in reads],  # each sets its own fields
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


def _add_latencies(
    tables: ChatbotTables,
    ranges: Sequence[tuple[datetime, datetime]],
    days: list[DayTotals],
    conn: Connection,
) -> None:
    """How often each latency_ms value occurs per model each day: exact percentiles of the
    day, the period and each model, from value counts (costing little more than a count)."""
    parts = ["model"] if tables.has("conversations", "model") else []
    latency = tables.conversations.c.latency_ms
    for totals, rows in zip(
        days,
        per_range(
            conn, tables, "conversations", ranges, sa.func.count(), parts=parts, group_by=[latency]
        ),
        strict=True,
    ):
        for *model, value, count in rows:
            _add_latency(totals, model, value, count)


def _add_latency(totals: DayTotals, model: Sequence[Any], value: Any, count: int) -> None:
    if value is not None:
        totals.model_latencies.setdefault(group_key(model or [None]), []).extend(
            (float(value), count)
        )


def _add_conversations(
    tables: ChatbotTables,
    ranges: Sequence[tuple[datetime, datetime]],
    days: list[DayTotals],
    conn: Connection,
    *,
    with_latencies: bool,
) -> None:
    """Each day's conversations and tokens per group; `with_latencies` (grouped by the model
    at most), how often each latency_ms value occurs as well, from the same rows."""
    conv = tables.conversations
    names = [name for name in ("prompt_tokens", "completion_tokens") if name in conv.c]
    tokens = [sa.func.coalesce(sa.func.sum(sa.func.coalesce(conv.c[n], 0)), 0) for n in names]
    parts = group_parts(tables)
    latency = [conv.c.latency_ms] if with_latencies else []
    keys = len(parts) + len(latency)
    for totals, rows in zip(
        days,
        per_range(
            conn,
            tables,
            "conversations",
            ranges,
            sa.func.count(),
            *tokens,
            parts=parts,
            group_by=latency,
        ),
        strict=True,
    ):
        for row in rows:
            values, (count, *token_sums) = row[: len(parts)], row[keys:]
            sums = {name: int(value) for name, value in zip(names, token_sums, strict=True)}
            _add_to_group(totals, values, {"conversations": count, **sums})
            totals.conversations += count
            totals.tokens += sum(sums.values())
            if with_latencies:
                _add_latency(totals, values, row[len(parts)], count)


def _add_feedback(
    tables: ChatbotTables,
    ranges: Sequence[tuple[datetime, datetime]],
    days: list[DayTotals],
    conn: Connection,
) -> None:
    """Each day's feedback rows, likes and dislikes, per group of their conversation."""
    parts = group_parts(tables)
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
            parts=parts,
        ),
        strict=True,
    ):
        for row in rows:
            values, (count, likes, dislikes) = row[: len(parts)], row[len(parts) :]
            _add_to_group(
                totals, values, {"feedback_total": count, "likes": likes, "dislikes": dislikes}
            )
            totals.feedback_total += count
            totals.likes += likes
            totals.dislikes += dislikes


def _add_evaluations(
    tables: ChatbotTables,
    ranges: Sequence[tuple[datetime, datetime]],
    days: list[DayTotals],
    conn: Connection,
) -> None:
    """Each day's scores: count, sum, sum of squares per group, and the day's buckets."""
    score = tables.score()
    edges = tables.mapping.scale.bucket_edges()
    at_least = [sa.func.count(sa.case((score >= low, 1))) for low in edges[1:-1]]
    parts = group_parts(tables)
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
            parts=parts,
        ),
        strict=True,
    ):
        totals.score_buckets = [0] * (len(edges) - 1)
        # The groups in one order whatever the database's: float sums added in another order
        # may differ in their last bits.
        for row in sorted(rows, key=lambda row: group_key(row[: len(parts)])):
            values, (count_rows, count, total, squares, *cumulative) = (
                row[: len(parts)],
                row[len(parts) :],
            )
            total, squares = float(total or 0), float(squares or 0)
            _add_to_group(
                totals,
                values,
                {"evaluations": count, "score_sum": total, "score_squares": squares},
            )
            totals.evaluation_rows += count_rows
            totals.evaluations += count
            totals.score_sum += total
            totals.score_squares += squares
            # The first bucket holds what is below its top (under the range too), the last
            # what is at least its bottom (above the range too).
            at_or_above = [count, *cumulative, 0]
            for i in range(len(edges) - 1):
                totals.score_buckets[i] += at_or_above[i] - at_or_above[i + 1]
