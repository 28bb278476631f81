"""The numbers of a report, exactly as docs/metrics.md defines them, aggregated in the database.

Each table is read over the current and the previous period together, grouped by day in the
report's time zone; totals are the sums of those days. Only counts and sums leave the
database, plus, for the latency percentiles, how often each distinct value occurs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from aiops_report.analysis.formulas import (
    Change,
    change_between,
    mean,
    percentiles_cont,
    satisfaction,
)
from aiops_report.analysis.insight_parts import Insights
from aiops_report.analysis.users import period_users
from aiops_report.data.attribution import linked_rows
from aiops_report.data.column_values import exact_text
from aiops_report.data.daily import DayTotals, period_days
from aiops_report.data.db import database_error
from aiops_report.data.limits import reading
from aiops_report.data.mapping import TableRole
from aiops_report.data.periods import Period
from aiops_report.data.rollups import DailyTotalsStore
from aiops_report.data.tables import LINKED_ROWS_WINDOW, ChatbotTables

WORST_LIMIT = 10


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


@dataclass(frozen=True)
class DailyMetrics:
    date: date
    conversations: int
    feedback_total: int
    likes: int
    dislikes: int
    evaluations: int
    avg_score: float | None

    @property
    def satisfaction_rate(self) -> float | None:
        """likes / (likes + dislikes) of the day (or week); None when both are 0."""
        return satisfaction(self.likes, self.dislikes)


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
    # The same per ISO week (`date`: its Monday), summed from the days' exact totals; the
    # first and last week hold only the period's days.
    weekly: list[DailyMetrics] = field(default_factory=list)
    segment: str | None = None  # the segment the numbers are of; None: everything

    @property
    def change(self) -> dict[str, Change]:
        return {
            name: change_between(getattr(self.current, name), getattr(self.previous, name), name)
            for name in METRIC_NAMES
        }

    def with_unique_users(self, users: tuple[int, int] | None) -> ReportNumbers:
        """These numbers with the distinct users of the previous period and of this one,
        counted apart (`unique_users`); unchanged when they are None (no user_id)."""
        if users is None:
            return self
        previous, current = users
        return replace(
            self,
            current=replace(self.current, unique_users=current),
            previous=replace(self.previous, unique_users=previous),
        )

    @property
    def is_empty(self) -> bool:
        """No conversation, feedback or evaluation at all in the period."""
        c = self.current
        return c.conversations == 0 and c.feedback_total == 0 and c.evaluations == 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of `generate --json`."""
        return {
            "segment": self.segment,
            "period": period_dict(self.period),
            "previous_period": period_dict(self.period.previous),
            "current": asdict(self.current),
            "previous": asdict(self.previous),
            "change": {name: asdict(change) for name, change in self.change.items()},
            "daily": [{**asdict(d), "date": d.date.isoformat()} for d in self.daily],
            "weekly": [{**asdict(d), "date": d.date.isoformat()} for d in self.weekly],
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

        return cls(
            insights=Insights.from_dict(document) if "changes" in document else None,
            period=period,
            current=PeriodMetrics(**document["current"]),
            previous=PeriodMetrics(**document["previous"]),
            daily=[
                DailyMetrics(**{**day, "date": date.fromisoformat(day["date"])})
                for day in document["daily"]
            ],
            weekly=[  # absent from reports written before it
                DailyMetrics(**{**week, "date": date.fromisoformat(week["date"])})
                for week in document.get("weekly", [])
            ],
            score_distribution=[ScoreBucket(**b) for b in document["score_distribution"]],
            lowest_scored=excerpts(worst["lowest_scored"]),
            disliked=excerpts(worst["disliked"]),
            features=frozenset(document["features"]),
            segment=document.get("segment"),
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


def _compute(
    conn: Connection,
    tables: ChatbotTables,
    period: Period,
    worst_limit: int,
    store: DailyTotalsStore | None,
    count_users: bool,
) -> ReportNumbers:
    reader = MetricsReader(conn, tables, period)
    before, days = period_days(conn, tables, [period.previous, period], store)
    periods = [DayTotals.summed(before), DayTotals.summed(days)]

    users = reader.unique_users(store) if count_users else None
    features = reader.features()

    def headline(which: int) -> PeriodMetrics:
        return period_metrics(periods[which], features, users[which] if users else None)

    daily = [_day_metrics(day, t) for day, t in zip(period.days, days, strict=True)]
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
        weekly=_weekly(period.days, days),
        segment=tables.segment,
    )


def period_metrics(
    t: DayTotals, features: frozenset[str], unique_users: int | None = None
) -> PeriodMetrics:
    """The headline metrics of the totals of a day or a period (docs/metrics.md's definitions)."""
    p50, p95 = percentiles_cont(t.latencies, [0.5, 0.95]) if "latency" in features else [None] * 2
    return PeriodMetrics(
        conversations=t.conversations,
        unique_users=unique_users,
        feedback_total=t.feedback_total,
        likes=t.likes,
        dislikes=t.dislikes,
        satisfaction_rate=satisfaction(t.likes, t.dislikes),
        evaluations=t.evaluations,
        avg_score=mean(t.score_sum, t.evaluations),
        latency_p50_ms=p50,
        latency_p95_ms=p95,
        total_tokens=t.tokens if "tokens" in features else None,
    )


def _day_metrics(start: date, t: DayTotals) -> DailyMetrics:
    return DailyMetrics(
        date=start,
        conversations=t.conversations,
        feedback_total=t.feedback_total,
        likes=t.likes,
        dislikes=t.dislikes,
        evaluations=t.evaluations,
        avg_score=mean(t.score_sum, t.evaluations),
    )


def _weekly(days: Sequence[date], totals: Sequence[DayTotals]) -> list[DailyMetrics]:
    """The days' totals summed per ISO week: a week's average score is its score sum over
    its evaluations, not an average of the days' rounded averages."""
    weeks: dict[date, DayTotals] = {}
    for day, t in zip(days, totals, strict=True):
        weeks.setdefault(day - timedelta(days=day.weekday()), DayTotals()).add(t)
    return [_day_metrics(monday, t) for monday, t in weeks.items()]


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


def unique_users(
    engine: Engine, tables: ChatbotTables, period: Period, store: DailyTotalsStore | None = None
) -> tuple[int, int] | None:
    """Distinct non-NULL user_id of the period before `period` and of `period` (whole
    periods' kept in `store`: users.period_users); None without a user_id column. Raises
    DatabaseUnreachable when the database cannot be read."""
    try:
        with engine.connect() as conn:
            return MetricsReader(conn, tables, period).unique_users(store)
    except DBAPIError as exc:
        raise database_error(engine, exc) from None


def schema_features(tables: ChatbotTables) -> frozenset[str]:
    """The optional parts of a report the schema allows: users, latency, tokens, texts."""
    found = set()
    if tables.has("conversations", "user_id"):
        found.add("users")
    if tables.has("conversations", "latency_ms"):
        found.add("latency")
    if tables.has("conversations", "prompt_tokens") or tables.has(
        "conversations", "completion_tokens"
    ):
        found.add("tokens")
    if _texts_columns(tables):
        found.add("texts")
    return frozenset(found)


def _texts_columns(tables: ChatbotTables) -> list[str]:
    """Columns of conversation_log that describe a conversation, when it can be linked."""
    if not tables.has("conversations", "id"):
        return []
    return [c for c in ("model", "user_message", "ai_response") if tables.has("conversations", c)]


class MetricsReader:
    """The queries of one report: rows of `period` and of the period before it."""

    def __init__(self, conn: Connection, tables: ChatbotTables, period: Period):
        self.conn = conn
        self.tables = tables
        self.period = period

    def features(self) -> frozenset[str]:
        return schema_features(self.tables)

    def _text(self, expression: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return exact_text(expression, self.tables.dialect)

    def unique_users(self, store: DailyTotalsStore | None = None) -> tuple[int, int] | None:
        """Distinct non-NULL user_id in the previous and the current period."""
        users = period_users(self.conn, self.tables, self.period, breakdowns=False, store=store)
        return users.headline

    # --- the conversations worth a look ---------------------------------------------------

    def lowest_scored(self, period: Period, limit: int) -> list[ConversationExcerpt]:
        """The period's evaluations with the lowest scores (ties: earliest first)."""
        ev = self.tables.evaluations
        created_at = self.tables.created_at("evaluations")
        score = self.tables.score()
        extra = [ev.c[c].label(c) for c in ("conversation_id", "evaluator", "reason") if c in ev.c]
        order = [score, created_at.column, *([ev.c.id] if "id" in ev.c else [])]
        span = (period.start_at, period.end_at)
        with created_at.spellings(self.conn, [span]) as spelled:
            rows = self.conn.execute(
                linked_rows(self.tables, "evaluations", *span, spelled=spelled)
                .select(created_at.column.label("created_at"), score.label("score"), *extra)
                .where(score.is_not(None))
                .order_by(*order)
                .limit(limit)
            ).mappings()
            found = list(rows)
        return self._excerpts(found, "evaluations")

    def disliked(self, period: Period, limit: int) -> list[ConversationExcerpt]:
        """The period's latest dislikes."""
        fb = self.tables.feedback
        created_at = self.tables.created_at("feedback")
        extra = [fb.c[c].label(c) for c in ("conversation_id", "comment") if c in fb.c]
        order = [created_at.column.desc(), *([fb.c.id.desc()] if "id" in fb.c else [])]
        span = (period.start_at, period.end_at)
        with created_at.spellings(self.conn, [span]) as spelled:
            rows = self.conn.execute(
                linked_rows(self.tables, "feedback", *span, spelled=spelled)
                .select(created_at.column.label("created_at"), *extra)
                .where(self.tables.feedback_is("dislike"))
                .order_by(*order)
                .limit(limit)
            ).mappings()
            found = [{**row, "feedback": "dislike"} for row in rows]
        return self._excerpts(found, "feedback")

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
        columns = _texts_columns(self.tables)
        if not ids or not columns:
            return {}
        conv = self.tables.conversations
        rows = self.conn.execute(
            sa.select(conv.c.id.label("id"), *[conv.c[c].label(c) for c in columns]).where(
                conv.c.id.in_(ids), self.tables.kept("conversations")
            )
        ).mappings()
        return {row["id"]: dict(row) for row in rows}

    def _near(self) -> tuple[datetime, datetime]:
        """When the rows near enough the period to be about its conversations are written."""
        return self.period.start_at - LINKED_ROWS_WINDOW, self.period.end_at + LINKED_ROWS_WINDOW

    def _latest_feedback(self, ids: list[Any]) -> dict[Any, tuple[str | None, str | None]]:
        """The latest like or dislike (and its comment) given to each conversation."""
        fb = self.tables.feedback
        if not ids or "conversation_id" not in fb.c:
            return {}
        kind = self.tables.feedback_kind()
        comment = fb.c.comment if "comment" in fb.c else sa.null()
        latest: dict[Any, tuple[str | None, str | None]] = {}
        created_at = self.tables.created_at("feedback")
        with created_at.spellings(self.conn, [self._near()]) as spelled:
            for cid, val, text in self.conn.execute(
                sa.select(fb.c.conversation_id, kind, comment)
                .where(
                    created_at.within(*self._near(), spelled),
                    fb.c.conversation_id.in_(ids),
                    kind.is_not(None),
                )
                .order_by(created_at.column)
            ):
                latest[cid] = (_as_str(val), text)
        return latest

    def _mean_scores(self, ids: list[Any]) -> dict[Any, float | None]:
        ev = self.tables.evaluations
        if not ids or "conversation_id" not in ev.c:
            return {}
        score = self.tables.score()
        created_at = self.tables.created_at("evaluations")
        with created_at.spellings(self.conn, [self._near()]) as spelled:
            return {
                cid: mean(total, count)
                for cid, total, count in self.conn.execute(
                    sa.select(ev.c.conversation_id, sa.func.sum(score), sa.func.count(score))
                    .where(created_at.within(*self._near(), spelled), ev.c.conversation_id.in_(ids))
                    .group_by(ev.c.conversation_id)
                )
            }


def _as_str(value: Any) -> str | None:
    """Text from a value that MySQL's BINARY comparison hands back as bytes."""
    if isinstance(value, bytes):
        return value.decode()
    return value if value is None else str(value)
