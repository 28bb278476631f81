"""The numbers of a report, exactly as DESIGN.md defines them, aggregated in the database.

Each table is read over the current and the previous period together, grouped by day in the
report's time zone; totals are the sums of those days. Only counts and sums leave the
database, plus, for the latency percentiles, how often each distinct value occurs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from aiops_report import rollups
from aiops_report.db import ROLES, ChatbotTables, TableRole, database_error, exact_text
from aiops_report.limits import reading
from aiops_report.periods import Period, midnight
from aiops_report.rollups import DailyTotalsStore

if TYPE_CHECKING:
    from aiops_report.insights import Insights

# Sums of floating-point scores differ in their last bits between databases (summation
# order); averages are rounded so that every database reports the same number.
SCORE_DECIMALS = 6
WORST_LIMIT = 10
UNION_LIMIT = 100  # SELECTs in one UNION ALL (SQLite accepts at most 500)
# How far before and after a period the feedback and evaluations of its conversations are
# read: a range of the created_at index, as conversation_id is seldom indexed.
LINKED_ROWS_WINDOW = timedelta(days=2)

T = TypeVar("T")


@dataclass(frozen=True)
class PeriodMetrics:
    """The headline metrics of one period; None where a metric is undefined or unavailable."""

    conversations: int
    unique_users: int | None
    feedback_total: int
    likes: int
    dislikes: int
    satisfaction_rate: float | None
    evaluations: int
    avg_score: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    total_tokens: int | None


METRIC_NAMES = tuple(f.name for f in fields(PeriodMetrics))
# A relative change of a rate is not meaningful: its change is shown in percentage points.
NO_RELATIVE_CHANGE = frozenset({"satisfaction_rate"})
# Metrics that count things: 0 of them is "nothing" (a rate or an average of 0 is a value).
COUNT_METRICS = frozenset(
    {
        "conversations",
        "unique_users",
        "feedback_total",
        "likes",
        "dislikes",
        "evaluations",
        "total_tokens",
    }
)


@dataclass(frozen=True)
class Change:
    """The change of a metric from the previous period; `new` when the previous period had
    nothing to compare with (no value, or a count of 0) and this one has a value."""

    absolute: float | None
    relative: float | None
    new: bool = False


@dataclass(frozen=True)
class DailyMetrics:
    date: date
    conversations: int
    feedback_total: int
    likes: int
    dislikes: int
    evaluations: int
    avg_score: float | None


@dataclass(frozen=True)
class ScoreBucket:
    """How many scores fell in [low, high) in each period (the last bucket includes high)."""

    low: float
    high: float
    current: int
    previous: int


@dataclass(frozen=True)
class ConversationExcerpt:
    """A conversation worth a look; fields are None when the schema lacks their column."""

    created_at: datetime
    conversation_id: Any
    score: float | None
    feedback: str | None
    comment: str | None
    evaluator: str | None
    reason: str | None
    model: str | None
    user_message: str | None
    ai_response: str | None


@dataclass(frozen=True)
class ReportNumbers:
    """Everything a report shows, for one period and the one before it."""

    period: Period
    current: PeriodMetrics
    previous: PeriodMetrics
    daily: list[DailyMetrics]
    score_distribution: list[ScoreBucket]
    lowest_scored: list[ConversationExcerpt]
    disliked: list[ConversationExcerpt]
    features: frozenset[str]  # optional parts the schema allows: users, latency, tokens, texts
    insights: Insights | None = None  # what changed, is it real, where and why (insights.py)

    @property
    def change(self) -> dict[str, Change]:
        return {
            name: change_between(getattr(self.current, name), getattr(self.previous, name), name)
            for name in METRIC_NAMES
        }

    @property
    def is_empty(self) -> bool:
        """No conversation, feedback or evaluation at all in the period."""
        c = self.current
        return c.conversations == 0 and c.feedback_total == 0 and c.evaluations == 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of `generate --json`."""
        return {
            "period": period_dict(self.period),
            "previous_period": period_dict(self.period.previous),
            "current": asdict(self.current),
            "previous": asdict(self.previous),
            "change": {name: asdict(change) for name, change in self.change.items()},
            "daily": [{**asdict(d), "date": d.date.isoformat()} for d in self.daily],
            "score_distribution": [asdict(b) for b in self.score_distribution],
            "worst_conversations": {
                "lowest_scored": [excerpt_dict(e, self.period) for e in self.lowest_scored],
                "disliked": [excerpt_dict(e, self.period) for e in self.disliked],
            },
            "features": sorted(self.features),
            **(self.insights.to_dict() if self.insights else {}),
        }

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> ReportNumbers:
        """The numbers of a `to_dict` document (a report's JSON), to resend it identically."""
        period = period_of(document["period"])
        worst = document["worst_conversations"]

        def excerpts(items: list[dict[str, Any]]) -> list[ConversationExcerpt]:
            return [
                ConversationExcerpt(
                    **{**item, "created_at": datetime.fromisoformat(item["created_at"])}
                )
                for item in items
            ]

        # insights.py builds on this module, so it is imported only when needed here.
        from aiops_report.insights import Insights

        return cls(
            insights=Insights.from_dict(document) if "changes" in document else None,
            period=period,
            current=PeriodMetrics(**document["current"]),
            previous=PeriodMetrics(**document["previous"]),
            daily=[
                DailyMetrics(**{**day, "date": date.fromisoformat(day["date"])})
                for day in document["daily"]
            ],
            score_distribution=[ScoreBucket(**b) for b in document["score_distribution"]],
            lowest_scored=excerpts(worst["lowest_scored"]),
            disliked=excerpts(worst["disliked"]),
            features=frozenset(document["features"]),
        )


def period_dict(period: Period) -> dict[str, Any]:
    """The period in JSON: its days, and the instants it covers, [start_at, end_at).

    A week still in progress is `partial`: it ends at `through` (= end_at), and `end` is the
    day the whole week would end.
    """
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "timezone": period.zone.key,
        "start_at": period.start_at.isoformat(),
        "end_at": period.end_at.isoformat(),
        "partial": period.partial,
        "through": period.through.isoformat() if period.through else None,
    }


def period_of(document: dict[str, Any]) -> Period:
    """The period of a `period_dict` (JSON written before partial periods has no `through`)."""
    through = document.get("through")
    return Period(
        date.fromisoformat(document["start"]),
        date.fromisoformat(document["end"]),
        ZoneInfo(document["timezone"]),
        datetime.fromisoformat(through) if through else None,
    )


def excerpt_dict(excerpt: ConversationExcerpt, period: Period) -> dict[str, Any]:
    return {
        **asdict(excerpt),
        "created_at": excerpt.created_at.astimezone(period.zone).isoformat(),
    }


def change_between(current: float | None, previous: float | None, name: str) -> Change:
    """Absolute and relative change; None where either side is None (or previous is 0).

    `new` when the previous period had nothing (None, or a count of 0) and this one has a
    value: a change against nothing is not a growth.
    """
    new = current is not None and (
        previous is None or (name in COUNT_METRICS and previous == 0 and current != 0)
    )
    if current is None or previous is None:
        return Change(None, None, new)
    absolute = current - previous
    if isinstance(absolute, float):
        absolute = round(absolute, SCORE_DECIMALS + 2)
    relative = None
    if name not in NO_RELATIVE_CHANGE and previous != 0:
        relative = absolute / previous
    return Change(absolute, relative, new)


def percentile_cont(histogram: Iterable[tuple[float, int]], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont over values given as (value, how often) pairs."""
    pairs = sorted((float(value), count) for value, count in histogram if count)
    total = sum(count for _, count in pairs)
    if total == 0:
        return None
    position = fraction * (total - 1)
    lower_rank = math.floor(position)
    lower = upper = None
    seen = 0
    for value, count in pairs:
        if lower is None and lower_rank < seen + count:
            lower = value
        if lower_rank + 1 < seen + count:
            upper = value
            break
        seen += count
    assert lower is not None
    if upper is None or position == lower_rank:
        return lower
    return lower + (upper - lower) * (position - lower_rank)


def satisfaction(likes: int, dislikes: int) -> float | None:
    return likes / (likes + dislikes) if likes + dislikes else None


def mean(total: float, count: int) -> float | None:
    return round(float(total) / count, SCORE_DECIMALS) if count else None


# --- the queries ------------------------------------------------------------------------------


def compute(
    engine: Engine,
    tables: ChatbotTables,
    period: Period,
    *,
    worst_limit: int = WORST_LIMIT,
    store: DailyTotalsStore | None = None,
    count_users: bool = True,
) -> ReportNumbers:
    """The numbers of `period` and of the period before it (settled days from `store`).

    `count_users=False` leaves the unique users out (None): over long ranges, counting
    distinct users is the one part that reads every conversation (see `unique_users`).
    Raises DatabaseUnreachable when the database cannot be read.
    """
    try:
        with reading("the week's numbers"), engine.connect() as conn:
            return _compute(conn, tables, period, worst_limit, store, count_users)
    except DBAPIError as exc:
        raise database_error(engine, exc) from None


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
        return cls(**{**values, "latencies": [tuple(pair) for pair in values["latencies"]]})


def daily_totals(
    conn: Connection,
    tables: ChatbotTables,
    days: Sequence[date],
    zone: ZoneInfo,
    store: DailyTotalsStore | None = None,
) -> list[DayTotals]:
    """The totals of each of `days` (in `zone`): settled days from `store` when given."""
    if store is None:
        return _read_daily_totals(conn, tables, _day_ranges(days, zone))
    stored = store.totals(
        rollups.source_of(tables, zone), days, zone, _LiveDays(conn, tables, zone)
    )
    return [DayTotals.from_json(values) for values in stored]


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

    def count(self, days: list[date]) -> list[rollups.RowCounts]:
        ranges = _day_ranges(days, self.zone)
        per_table = _on_connections(
            self.source, [partial(_count_rows, self.tables, role, ranges) for role in ROLES]
        )
        return [list(counts) for counts in zip(*per_table, strict=True)]


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
    live = iter(_read_daily_totals(conn, tables, cut) if cut else [])
    return [
        [totals[day] if day != period.cut_day else next(live) for day in period.days]
        for period in periods
    ]


def _compute(
    conn: Connection,
    tables: ChatbotTables,
    period: Period,
    worst_limit: int,
    store: DailyTotalsStore | None,
    count_users: bool,
) -> ReportNumbers:
    reader = _Reader(conn, tables, period)
    before, days = period_days(conn, tables, [period.previous, period], store)
    periods = [DayTotals(), DayTotals()]
    for total, each_day in zip(periods, (before, days), strict=True):
        for day in each_day:
            total.add(day)

    users = reader.unique_users() if count_users else None
    features = reader.features()

    def headline(which: int) -> PeriodMetrics:
        t = periods[which]
        return PeriodMetrics(
            conversations=t.conversations,
            unique_users=users[which] if users else None,
            feedback_total=t.feedback_total,
            likes=t.likes,
            dislikes=t.dislikes,
            satisfaction_rate=satisfaction(t.likes, t.dislikes),
            evaluations=t.evaluations,
            avg_score=mean(t.score_sum, t.evaluations),
            latency_p50_ms=percentile_cont(t.latencies, 0.5) if "latency" in features else None,
            latency_p95_ms=percentile_cont(t.latencies, 0.95) if "latency" in features else None,
            total_tokens=t.tokens if "tokens" in features else None,
        )

    daily = [
        DailyMetrics(
            date=day,
            conversations=t.conversations,
            feedback_total=t.feedback_total,
            likes=t.likes,
            dislikes=t.dislikes,
            evaluations=t.evaluations,
            avg_score=mean(t.score_sum, t.evaluations),
        )
        for day, t in zip(period.days, days, strict=True)
    ]
    return ReportNumbers(
        period=period,
        current=headline(1),
        previous=headline(0),
        daily=daily,
        score_distribution=score_distribution(
            tables.mapping.scale.bucket_edges(), periods[1], periods[0]
        ),
        lowest_scored=reader.lowest_scored(period, worst_limit) if worst_limit else [],
        disliked=reader.disliked(period, worst_limit) if worst_limit else [],
        features=features,
    )


def score_distribution(
    edges: Sequence[float], current: DayTotals, previous: DayTotals
) -> list[ScoreBucket]:
    """The buckets between `edges` with the counts of both periods."""
    empty = [0] * (len(edges) - 1)
    return [
        ScoreBucket(edges[i], edges[i + 1], now, before)
        for i, (now, before) in enumerate(
            zip(current.score_buckets or empty, previous.score_buckets or empty, strict=True)
        )
    ]


def unique_users(engine: Engine, tables: ChatbotTables, period: Period) -> tuple[int, int] | None:
    """Distinct non-NULL user_id of the period before `period` and of `period`; None without
    a user_id column. Raises DatabaseUnreachable when the database cannot be read."""
    try:
        with engine.connect() as conn:
            return _Reader(conn, tables, period).unique_users()
    except DBAPIError as exc:
        raise database_error(engine, exc) from None


def per_range(
    conn: Connection,
    tables: ChatbotTables,
    role: TableRole,
    ranges: Sequence[tuple[datetime, datetime]],
    *aggregates: sa.ColumnElement[Any],
    group_by: Sequence[sa.ColumnElement[Any]] = (),
) -> list[list[tuple[Any, ...]]]:
    """The rows (group_by, then aggregates) over each [start, end) of `ranges`.

    One SELECT a range, joined by UNION ALL. Each SELECT is a range on the raw `created_at`,
    so it reads its own slice of the index: every row is read once, and no per-row
    expression has to find its day.
    """
    created_at = tables.created_at(role)
    selects = [
        sa.select(sa.literal_column(str(part), sa.Integer()).label("part"), *group_by, *aggregates)
        .where(created_at.within(start, end))
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


def _on_connections(
    source: Connection | Engine, parts: Sequence[Callable[[Connection], T]]
) -> list[T]:
    """What each of `parts` returns: one after the other on a connection, or at the same
    time on connections of an engine."""
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


class _Reader:
    """The queries of one report: rows of `period` and of the period before it."""

    def __init__(self, conn: Connection, tables: ChatbotTables, period: Period):
        self.conn = conn
        self.tables = tables
        self.period = period

    def features(self) -> frozenset[str]:
        t = self.tables
        found = set()
        if t.has("conversations", "user_id"):
            found.add("users")
        if t.has("conversations", "latency_ms"):
            found.add("latency")
        if t.has("conversations", "prompt_tokens") or t.has("conversations", "completion_tokens"):
            found.add("tokens")
        if self._texts_columns():
            found.add("texts")
        return frozenset(found)

    def _text(self, expression: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return exact_text(expression, self.tables.dialect)

    def _halves(self) -> list[tuple[datetime, datetime]]:
        """[start, end) of the previous period and of the period (cut ones end at `through`)."""
        return [(p.start_at, p.end_at) for p in (self.period.previous, self.period)]

    def unique_users(self) -> tuple[int, int] | None:
        """Distinct non-NULL user_id in the previous and the current period."""
        if not self.tables.has("conversations", "user_id"):
            return None
        user_id = self._text(self.tables.conversations.c.user_id)
        previous, current = per_range(
            self.conn,
            self.tables,
            "conversations",
            self._halves(),
            sa.func.count(sa.distinct(user_id)),
        )
        return int(previous[0][0]), int(current[0][0])

    # --- the conversations worth a look ---------------------------------------------------

    def _texts_columns(self) -> list[str]:
        """Columns of conversation_log that describe a conversation, when it can be linked."""
        t = self.tables
        if not t.has("conversations", "id"):
            return []
        return [c for c in ("model", "user_message", "ai_response") if t.has("conversations", c)]

    def lowest_scored(self, period: Period, limit: int) -> list[ConversationExcerpt]:
        """The period's evaluations with the lowest scores (ties: earliest first)."""
        ev = self.tables.evaluations
        created_at = self.tables.created_at("evaluations")
        score = self.tables.score()
        extra = [ev.c[c].label(c) for c in ("conversation_id", "evaluator", "reason") if c in ev.c]
        order = [score, created_at.column, *([ev.c.id] if "id" in ev.c else [])]
        rows = self.conn.execute(
            sa.select(created_at.column.label("created_at"), score.label("score"), *extra)
            .where(created_at.within(period.start_at, period.end_at), score.is_not(None))
            .order_by(*order)
            .limit(limit)
        ).mappings()
        return self._excerpts(list(rows), "evaluations")

    def disliked(self, period: Period, limit: int) -> list[ConversationExcerpt]:
        """The period's latest dislikes."""
        fb = self.tables.feedback
        created_at = self.tables.created_at("feedback")
        extra = [fb.c[c].label(c) for c in ("conversation_id", "comment") if c in fb.c]
        order = [created_at.column.desc(), *([fb.c.id.desc()] if "id" in fb.c else [])]
        rows = self.conn.execute(
            sa.select(created_at.column.label("created_at"), *extra)
            .where(
                created_at.within(period.start_at, period.end_at),
                self.tables.feedback_is("dislike"),
            )
            .order_by(*order)
            .limit(limit)
        ).mappings()
        return self._excerpts([{**row, "feedback": "dislike"} for row in rows], "feedback")

    def _excerpts(self, rows: Sequence[Any], role: TableRole) -> list[ConversationExcerpt]:
        """Complete each row with what the other tables know of its conversation."""
        ids = [row["conversation_id"] for row in rows if row.get("conversation_id") is not None]
        texts = self._conversation_texts(ids)
        feedback = self._latest_feedback(ids) if role == "evaluations" else {}
        scores = self._mean_scores(ids) if role == "feedback" else {}
        created_at = self.tables.created_at(role)
        excerpts = []
        for row in rows:
            cid = row.get("conversation_id")
            fb_value, fb_comment = feedback.get(cid, (row.get("feedback"), row.get("comment")))
            text = texts.get(cid, {})
            score = row.get("score", scores.get(cid))
            excerpts.append(
                ConversationExcerpt(
                    created_at=created_at.to_instant(row["created_at"]),
                    conversation_id=cid,
                    score=None if score is None else float(score),
                    feedback=fb_value,
                    comment=fb_comment,
                    evaluator=row.get("evaluator"),
                    reason=row.get("reason"),
                    model=text.get("model"),
                    user_message=text.get("user_message"),
                    ai_response=text.get("ai_response"),
                )
            )
        return excerpts

    def _conversation_texts(self, ids: list[Any]) -> dict[Any, dict[str, Any]]:
        columns = self._texts_columns()
        if not ids or not columns:
            return {}
        conv = self.tables.conversations
        rows = self.conn.execute(
            sa.select(conv.c.id.label("id"), *[conv.c[c].label(c) for c in columns]).where(
                conv.c.id.in_(ids)
            )
        ).mappings()
        return {row["id"]: dict(row) for row in rows}

    def _linked_rows(self, role: TableRole) -> sa.ColumnElement[bool]:
        """The rows of `role` near enough the period to be about its conversations."""
        return self.tables.created_at(role).within(
            self.period.start_at - LINKED_ROWS_WINDOW, self.period.end_at + LINKED_ROWS_WINDOW
        )

    def _latest_feedback(self, ids: list[Any]) -> dict[Any, tuple[str | None, str | None]]:
        """The latest like or dislike (and its comment) given to each conversation."""
        fb = self.tables.feedback
        if not ids or "conversation_id" not in fb.c:
            return {}
        kind = self.tables.feedback_kind()
        comment = fb.c.comment if "comment" in fb.c else sa.null()
        latest: dict[Any, tuple[str | None, str | None]] = {}
        for cid, val, text in self.conn.execute(
            sa.select(fb.c.conversation_id, kind, comment)
            .where(self._linked_rows("feedback"), fb.c.conversation_id.in_(ids), kind.is_not(None))
            .order_by(self.tables.created_at("feedback").column)
        ):
            latest[cid] = (_as_str(val), text)
        return latest

    def _mean_scores(self, ids: list[Any]) -> dict[Any, float | None]:
        ev = self.tables.evaluations
        if not ids or "conversation_id" not in ev.c:
            return {}
        score = self.tables.score()
        return {
            cid: mean(total, count)
            for cid, total, count in self.conn.execute(
                sa.select(ev.c.conversation_id, sa.func.sum(score), sa.func.count(score))
                .where(self._linked_rows("evaluations"), ev.c.conversation_id.in_(ids))
                .group_by(ev.c.conversation_id)
            )
        }


def _as_str(value: Any) -> str | None:
    """Text from a value that MySQL's BINARY comparison hands back as bytes."""
    if isinstance(value, bytes):
        return value.decode()
    return value if value is None else str(value)
