"""Insights beyond the headline numbers: what changed, whether it is real, where, and why.

Issue 8's definitions, aggregated in the database as the other metrics are (only grouped
counts and sums leave it, plus bounded lists: ten disagreements, the texts of complaints):

- by_model: the period's numbers per model (NULL or unknown conversation → "(unknown)"), with
  the cost of its tokens from the price table;
- changes: conversations, satisfaction_rate and avg_score against the previous period, each
  with a 95% interval of the change and a p-value;
- anomalies: days of the period far from the same weekday of the 8 weeks before;
- agreement: the users' likes and dislikes against the evaluator's mean score;
- themes: the terms that recur in dislike comments and the evaluator's reasons.

Each part that needs an optional column is None when the column is absent, and `missing`
says which column it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from aiops_report.analysis.formulas import mean, percentile_cont, satisfaction
from aiops_report.analysis.prices import PriceTable
from aiops_report.analysis.significance import (
    MIN_BASELINE_DAYS,
    Anomaly,
    ChangeTest,
    ScoreSums,
    cohen_kappa,
    count_test,
    mean_test,
    proportion_test,
    robust_anomaly,
)
from aiops_report.analysis.themes import Theme, top_themes
from aiops_report.data.daily import LINKED_ROWS_WINDOW, DayTotals, period_days
from aiops_report.data.db import ChatbotTables, TableRole, database_error, exact_text
from aiops_report.data.limits import reading
from aiops_report.data.periods import Period
from aiops_report.data.rollups import DailyTotalsStore

UNKNOWN_MODEL = "(unknown)"
CHANGE_METRICS = ("conversations", "satisfaction_rate", "avg_score")
BASELINE_WEEKS = 8
DISAGREEMENTS = 10
THEMES = 10
THEME_EXAMPLES = 3
THEME_TEXT_LIMIT = 5000  # newest texts per source and period read for the themes
# A mean of scores compared with the threshold: sums of floats differ in their last bits
# between databases (formulas.SCORE_DECIMALS), so a mean of exactly 5.0 must not read 4.99...
SCORE_TOLERANCE = 1e-9
PARALLEL_PARTS = 3  # reads of by model, agreement and themes at once, a connection each

T = TypeVar("T")
LINK_WINDOW = timedelta(days=1)  # feedback and scores mostly follow their conversation soon


# --- the parts, as plain data -------------------------------------------------------------


@dataclass(frozen=True)
class ModelStats:
    """One model's numbers in the period; None where a column is absent or a value undefined."""

    model: str
    conversations: int
    unique_users: int | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    total_tokens: int | None
    likes: int
    dislikes: int
    satisfaction_rate: float | None
    evaluations: int
    avg_score: float | None
    cost: float | None
    cost_per_like: float | None


@dataclass(frozen=True)
class AnomaliesStatus:
    """Whether the period's days could be judged at all.

    `baseline_days`: the fewest days with conversations that one of the period's days has
    among the same weekdays of the 8 weeks before; `enough_history` when that is at least
    `needed` (6). `days_judged`: the whole days of the period (a day cut short by a
    week-to-date report is not judged against whole days).
    """

    enough_history: bool
    baseline_days: int
    needed: int
    days_judged: int


@dataclass(frozen=True)
class Disagreement:
    """A like of a conversation the evaluator scored low, or a dislike of one it scored high."""

    conversation_id: Any
    feedback: str
    score: float  # the conversation's mean score, over all time
    comment: str | None
    model: str | None
    user_message: str | None
    ai_response: str | None


@dataclass(frozen=True)
class Agreement:
    """The period's likes and dislikes against the evaluator (good: mean score ≥ threshold)."""

    threshold: float
    like_good: int
    like_bad: int
    dislike_good: int
    dislike_bad: int
    agreement_rate: float | None
    kappa: float | None
    disagreements: list[Disagreement]


@dataclass(frozen=True)
class Insights:
    """Everything issue 8 adds to a report; a part is None when its columns are absent."""

    by_model: list[ModelStats] | None
    unpriced_models: list[str]
    cost: float | None
    currency: str | None
    changes: dict[str, ChangeTest]
    anomalies: list[Anomaly]
    agreement: Agreement | None
    themes: list[Theme] | None
    missing: list[str]  # "part: needs table.column", one line per part left out
    anomalies_status: AnomaliesStatus | None = None  # None in reports written before it

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (no NaN or infinity: those are null)."""
        return {
            "by_model": None if self.by_model is None else [asdict(m) for m in self.by_model],
            "unpriced_models": self.unpriced_models,
            "cost": self.cost,
            "currency": self.currency,
            "changes": {name: asdict(change) for name, change in self.changes.items()},
            "anomalies": [{**asdict(a), "date": a.date.isoformat()} for a in self.anomalies],
            "anomalies_status": (
                None if self.anomalies_status is None else asdict(self.anomalies_status)
            ),
            "agreement": None if self.agreement is None else asdict(self.agreement),
            "themes": None if self.themes is None else [asdict(theme) for theme in self.themes],
            "missing": self.missing,
        }

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> Insights:
        """The insights of a `to_dict` document (older ones lack `anomalies_status`)."""
        by_model, agreement, themes, status = (
            document["by_model"],
            document["agreement"],
            document["themes"],
            document.get("anomalies_status"),
        )
        return cls(
            by_model=None if by_model is None else [ModelStats(**m) for m in by_model],
            unpriced_models=document["unpriced_models"],
            cost=document["cost"],
            currency=document["currency"],
            changes={name: ChangeTest(**c) for name, c in document["changes"].items()},
            anomalies=[
                Anomaly(**{**a, "date": date.fromisoformat(a["date"])})
                for a in document["anomalies"]
            ],
            agreement=None
            if agreement is None
            else Agreement(
                **{
                    **agreement,
                    "disagreements": [Disagreement(**d) for d in agreement["disagreements"]],
                }
            ),
            themes=None if themes is None else [Theme(**theme) for theme in themes],
            missing=document["missing"],
            anomalies_status=None if status is None else AnomaliesStatus(**status),
        )


# --- which parts the schema allows --------------------------------------------------------

# The columns each optional part reads: all of them, except themes, which reads either.
_NEEDS: dict[str, list[tuple[TableRole, str]]] = {
    "by_model": [("conversations", "model")],
    "agreement": [("feedback", "conversation_id"), ("evaluations", "conversation_id")],
    "themes": [("feedback", "comment"), ("evaluations", "reason")],
}


def _available(tables: ChatbotTables, part: str) -> bool:
    present = [tables.has(role, column) for role, column in _NEEDS[part]]
    return any(present) if part == "themes" else all(present)


def _needed_columns(tables: ChatbotTables, part: str) -> str:
    joiner = " or " if part == "themes" else " and "
    return joiner.join(f"{tables.table(role).name}.{column}" for role, column in _NEEDS[part])


def _left_out(tables: ChatbotTables) -> list[str]:
    """One line per part the schema leaves out, naming the columns it needs."""
    return [
        f"{part}: needs {_needed_columns(tables, part)}"
        for part in _NEEDS
        if not _available(tables, part)
    ]


def insights_findings(tables: ChatbotTables) -> list[str]:
    """What `doctor` says of the insights: one line per part, available or left out."""
    return ["changes: available", "anomalies: available"] + [
        f"{part}: available"
        if _available(tables, part)
        else f"{part}: left out, needs {_needed_columns(tables, part)}"
        for part in _NEEDS
    ]


# --- the computation ----------------------------------------------------------------------


def compute_insights(
    engine: Engine,
    tables: ChatbotTables,
    period: Period,
    *,
    prices: PriceTable | None,
    score_good_threshold: float | None = None,
    store: DailyTotalsStore | None = None,
    analyse_texts: bool = True,
) -> Insights:
    """The insights of `period`; raise DatabaseUnreachable when the database cannot be read.

    The day counts come first (they may keep settled days: a write); then the parts that
    read rows (by model, agreement, themes) run at the same time, each on a connection of its
    own, as independent queries use the database's cores. `analyse_texts=False` reads the
    complaint texts but leaves them unanalysed (no themes): the queries without the analyser.
    """

    threshold = (
        tables.mapping.scale.midpoint if score_good_threshold is None else score_good_threshold
    )

    def read(part: Callable[[_Reader], T]) -> T:
        try:
            with reading(f"the insights ({part.__name__})"), engine.connect() as conn:
                return part(_Reader(conn, tables, period, threshold, store))
        except DBAPIError as exc:
            raise database_error(engine, exc) from None

    days = read(_Reader.daily_counts)
    missing = _left_out(tables)
    priced = prices if _token_columns(tables) else None  # no tokens, no cost
    with ThreadPoolExecutor(max_workers=PARALLEL_PARTS) as pool:
        # The longest reads are submitted first, so that the short ones fill in around them.
        agreement = (
            pool.submit(read, _Reader.agreement) if _available(tables, "agreement") else None
        )
        per_model = (
            (
                pool.submit(read, _Reader.model_conversations),
                pool.submit(read, _Reader.model_feedback),
                pool.submit(read, _Reader.model_scores),
                pool.submit(read, _Reader.model_latencies),
            )
            if _available(tables, "by_model")
            else None
        )
        themes = (
            pool.submit(read, _Reader.themes if analyse_texts else _Reader.complaint_texts)
            if _available(tables, "themes")
            else None
        )
        models = None
        if per_model:
            conversations, feedback, scores, latencies = per_model
            models = by_model(
                tables,
                priced,
                conversations.result(),
                feedback.result(),
                scores.result(),
                latencies.result(),
            )
    if models is not None:
        if prices is None:
            missing.append("cost: needs a price table (MODEL_PRICES)")
        elif priced is None:
            missing.append(
                f"cost: needs {tables.conversations.name}.prompt_tokens or completion_tokens"
            )
    return Insights(
        by_model=models,
        unpriced_models=_unpriced(models, priced) if models is not None else [],
        cost=_total_cost(models, priced) if models is not None else None,
        currency=prices.currency if prices else None,
        changes=changes(days, period),
        anomalies=anomalies(days, period),
        anomalies_status=anomalies_status(days, period),
        agreement=agreement.result() if agreement else None,
        themes=themes.result() if themes and analyse_texts else None,
        missing=missing,
    )


def baseline_span(period: Period) -> Period:
    """The days the change tests and the anomalies compare: 8 weeks (at least the previous
    period) before `period`, and `period` (cut where it is cut)."""
    start = min(period.previous.start, period.start - timedelta(weeks=BASELINE_WEEKS))
    return Period(start, period.end, period.zone, period.through)


def changes(days: DailyCounts, period: Period) -> dict[str, ChangeTest]:
    """The change tests of issue 8, `period` against the previous one (a partial period
    against the same elapsed span of the previous one)."""
    current, previous = (days.total(p) for p in (period, period.previous))
    return {
        "conversations": count_test(current.conversations, previous.conversations),
        "satisfaction_rate": proportion_test(
            current.likes,
            current.likes + current.dislikes,
            previous.likes,
            previous.likes + previous.dislikes,
        ),
        "avg_score": mean_test(current.scores, previous.scores),
    }


def anomalies(days: DailyCounts, period: Period) -> list[Anomaly]:
    """The anomalous days of `period`, by date then metric; only whole days are judged (a
    day cut short is not comparable with whole days)."""
    found = []
    for day in period.whole_days:
        for metric in CHANGE_METRICS:
            anomaly = weekday_anomaly(day, metric, partial(_value_of, days, metric))
            if anomaly:
                found.append(anomaly)
    return found


def _value_of(days: DailyCounts, metric: str, day: date) -> tuple[float | None, int]:
    return days.whole[day].value(metric)


def weekday_anomaly(
    day: date, metric: str, value_of: Callable[[date], tuple[float | None, int]]
) -> Anomaly | None:
    """The anomaly of `metric` on `day` against the same weekday of the 8 weeks before, or None.

    `value_of(d)` is the metric of day `d` and its number of observations (None: no value).
    """
    value, observations = value_of(day)
    return robust_anomaly(day, metric, value, observations, weekday_baseline(day, value_of))


def weekday_baseline(
    day: date, value_of: Callable[[date], tuple[float | None, int]]
) -> list[float]:
    """The values of the same weekday of the 8 weeks before `day` (those that have one)."""
    return [
        v
        for week in range(1, BASELINE_WEEKS + 1)
        if (v := value_of(day - timedelta(weeks=week))[0]) is not None
    ]


def anomalies_status(days: DailyCounts, period: Period) -> AnomaliesStatus:
    """Whether there is history enough to judge the days of `period` (see AnomaliesStatus)."""
    baseline_days = min(
        sum(
            days.whole[day - timedelta(weeks=week)].conversations > 0
            for week in range(1, BASELINE_WEEKS + 1)
        )
        for day in period.days
    )
    return AnomaliesStatus(
        enough_history=baseline_days >= MIN_BASELINE_DAYS,
        baseline_days=baseline_days,
        needed=MIN_BASELINE_DAYS,
        days_judged=len(period.whole_days),
    )


def by_model(
    tables: ChatbotTables,
    prices: PriceTable | None,
    conversations: dict[str, tuple[Any, ...]],
    feedback: dict[str, tuple[Any, ...]],
    scores: dict[str, tuple[Any, ...]],
    latency: dict[str, list[tuple[float, int]]],
) -> list[ModelStats]:
    """One entry per model from the per-model reads, the most conversations first; cost only
    with `prices`."""
    has_users = tables.has("conversations", "user_id")
    has_latency = tables.has("conversations", "latency_ms")
    has_tokens = bool(_token_columns(tables))
    entries = []
    for model in set(conversations) | set(feedback) | set(scores):
        count, users, prompt, completion = (int(v) for v in conversations.get(model, (0,) * 4))
        likes, dislikes = (int(v) for v in feedback.get(model, (0, 0)))
        n, total = scores.get(model, (0, 0.0))
        price = prices.price_of(model) if prices else None
        cost = price.cost(prompt, completion) if price else None
        histogram = latency.get(model, [])
        entries.append(
            ModelStats(
                model=model,
                conversations=count,
                unique_users=users if has_users else None,
                latency_p50_ms=percentile_cont(histogram, 0.5) if has_latency else None,
                latency_p95_ms=percentile_cont(histogram, 0.95) if has_latency else None,
                total_tokens=prompt + completion if has_tokens else None,
                likes=likes,
                dislikes=dislikes,
                satisfaction_rate=satisfaction(likes, dislikes),
                evaluations=int(n),
                avg_score=mean(float(total), int(n)),
                cost=cost,
                cost_per_like=cost / likes if cost is not None and likes else None,
            )
        )
    return sorted(entries, key=lambda m: (-m.conversations, m.model))


def _token_columns(tables: ChatbotTables) -> list[str]:
    conv = tables.conversations
    return [c for c in ("prompt_tokens", "completion_tokens") if c in conv.c]


@dataclass(frozen=True)
class _Counts:
    """What the change tests and the anomalies need of one day or period."""

    conversations: int = 0
    likes: int = 0
    dislikes: int = 0
    scores: ScoreSums = field(default_factory=ScoreSums)

    def __add__(self, other: _Counts) -> _Counts:
        return _Counts(
            self.conversations + other.conversations,
            self.likes + other.likes,
            self.dislikes + other.dislikes,
            self.scores + other.scores,
        )

    @classmethod
    def of(cls, totals: DayTotals) -> _Counts:
        return cls(
            totals.conversations,
            totals.likes,
            totals.dislikes,
            ScoreSums(totals.evaluations, totals.score_sum, totals.score_squares),
        )

    def value(self, metric: str) -> tuple[float | None, int]:
        """The metric and its number of observations; None when there is none."""
        if metric == "conversations":
            return self.conversations or None, self.conversations
        if metric == "satisfaction_rate":
            return satisfaction(self.likes, self.dislikes), self.likes + self.dislikes
        return mean(self.scores.total, self.scores.n), self.scores.n


@dataclass(frozen=True)
class DailyCounts:
    """The counts the change tests and the anomalies read: each whole day of the baseline
    span, and the days that a partial period and the one before it are cut on, up to the
    cut (kept apart: the previous period's cut day is a whole day of the baseline)."""

    whole: dict[date, _Counts]
    cut: dict[date, _Counts]

    def total(self, period: Period) -> _Counts:
        """The counts of `period`, its cut day up to the cut."""
        return sum(
            (self.cut[day] if day == period.cut_day else self.whole[day] for day in period.days),
            _Counts(),
        )


class _Reader:
    """The queries of the insights of one period."""

    def __init__(
        self,
        conn: Connection,
        tables: ChatbotTables,
        period: Period,
        threshold: float,
        store: DailyTotalsStore | None,
    ):
        self.conn = conn
        self.tables = tables
        self.period = period
        self.threshold = threshold
        self.store = store  # settled days' totals (rollups.py)

    # --- helpers ------------------------------------------------------------------------

    def _text(self, expression: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return exact_text(expression, self.tables.dialect)

    def _within(self, role: TableRole, period: Period | None = None) -> sa.ColumnElement[bool]:
        period = period or self.period
        return self.tables.created_at(role).within(period.start_at, period.end_at)

    # --- changes and anomalies: per-day counts over the weeks they compare ---------------

    def daily_counts(self) -> DailyCounts:
        """The counts of each day from 8 weeks (or the previous period) before the period,
        and of the days the period and the previous one are cut on (daily.period_days)."""
        span, previous = baseline_span(self.period), self.period.previous
        span_days, previous_days = period_days(self.conn, self.tables, [span, previous], self.store)
        whole = {
            day: _Counts.of(totals)
            for day, totals in zip(span.days, span_days, strict=True)
            if day != span.cut_day
        }
        cut = {
            p.cut_day: _Counts.of(each[-1])  # a cut day is a period's last
            for p, each in ((span, span_days), (previous, previous_days))
            if p.cut_day
        }
        return DailyCounts(whole, cut)

    # --- by model -------------------------------------------------------------------------

    def _linked(self, role: TableRole) -> bool:
        return self.tables.has(role, "conversation_id") and self.tables.has("conversations", "id")

    def _per_model(
        self, role: TableRole, *aggregates: sa.ColumnElement[Any]
    ) -> dict[str, tuple[Any, ...]]:
        """The aggregates of the period's rows of `role`, by the model of their conversation."""
        conv = self.tables.conversations
        table = self.tables.table(role)
        if role == "conversations":
            model = self._text(conv.c.model)
            query = sa.select(model, *aggregates).group_by(model)
        elif self._linked(role):
            model, link = self._linked_model(table)
            query = (
                sa.select(model, *aggregates)
                .select_from(table.outerjoin(conv, link))
                .group_by(model)
            )
        else:  # no link to a conversation: every row is of an unknown model
            query = sa.select(sa.null(), *aggregates).select_from(table)
        grouped: dict[str, tuple[Any, ...]] = {}
        for name, *values in self.conn.execute(query.where(self._within(role))):
            key = UNKNOWN_MODEL if name is None else _as_str(name)
            previous = grouped.get(key, (0,) * len(values))
            grouped[key] = tuple((a or 0) + (b or 0) for a, b in zip(previous, values, strict=True))
        return grouped

    def _linked_model(
        self, table: sa.Table
    ) -> tuple[sa.ColumnElement[Any], sa.ColumnElement[bool]]:
        """The model of a row of `table`, and the condition joining conversation_log to it.

        PostgreSQL hash-joins, and would hash every conversation ever logged: there the join
        takes those of the period and the day before (a range of the created_at index), and a
        row whose conversation is older looks its model up by id. SQLite and MySQL look each
        conversation up by its key anyway.
        """
        conv = self.tables.conversations
        model = self._text(conv.c.model)
        link = table.c.conversation_id == conv.c.id
        if self.tables.dialect != "postgresql":
            return model, link
        recent = self.tables.created_at("conversations").within(
            self.period.start_at - LINK_WINDOW, self.period.end_at
        )
        older = conv.alias("older")
        model_of_older = (
            sa.select(self._text(older.c.model))
            .where(older.c.id == table.c.conversation_id)
            .limit(1)
            .scalar_subquery()
        )
        return sa.case((conv.c.id.is_not(None), model), else_=model_of_older), sa.and_(link, recent)

    def model_latencies(self) -> dict[str, list[tuple[float, int]]]:
        """Per model: how often each latency_ms occurs ({} without the column)."""
        conv = self.tables.conversations
        if "latency_ms" not in conv.c:
            return {}
        model, latency = self._text(conv.c.model), conv.c.latency_ms
        histograms: dict[str, list[tuple[float, int]]] = {}
        for name, value, count in self.conn.execute(
            sa.select(model, latency, sa.func.count())
            .where(self._within("conversations"), latency.is_not(None))
            .group_by(model, latency)
        ):
            key = UNKNOWN_MODEL if name is None else _as_str(name)
            histograms.setdefault(key, []).append((float(value), int(count)))
        return histograms

    def model_conversations(self) -> dict[str, tuple[Any, ...]]:
        """Per model: conversations, distinct users, prompt and completion tokens."""
        conv = self.tables.conversations
        zero = sa.literal(0)
        return self._per_model(
            "conversations",
            sa.func.count(),
            sa.func.count(sa.distinct(self._text(conv.c.user_id))) if "user_id" in conv.c else zero,
            *[
                sa.func.sum(sa.func.coalesce(conv.c[c], 0)) if c in conv.c else zero
                for c in ("prompt_tokens", "completion_tokens")
            ],
        )

    def model_feedback(self) -> dict[str, tuple[Any, ...]]:
        """Per model: likes and dislikes."""
        t = self.tables
        return self._per_model(
            "feedback",
            sa.func.count(sa.case((t.feedback_is("like"), 1))),
            sa.func.count(sa.case((t.feedback_is("dislike"), 1))),
        )

    def model_scores(self) -> dict[str, tuple[Any, ...]]:
        """Per model: the number and the sum of scores."""
        score = self.tables.score()
        return self._per_model("evaluations", sa.func.count(score), sa.func.sum(score))

    # --- agreement ------------------------------------------------------------------------

    def scores_of_conversations(self, ids: sa.Select[Any]) -> sa.Select[Any]:
        """(conversation_id, score): the mean score of each conversation among `ids`.

        A conversation's score is the mean of its evaluations written from LINKED_ROWS_WINDOW
        before the period to LINKED_ROWS_WINDOW after it: one range of the created_at index and a
        semi-join with `ids`, never a lookup per conversation (conversation_id is seldom
        indexed). AVG skips NULL scores.
        """
        ev = self.tables.evaluations
        window = self.tables.created_at("evaluations").within(
            self.period.start_at - LINKED_ROWS_WINDOW, self.period.end_at + LINKED_ROWS_WINDOW
        )
        return (
            sa.select(ev.c.conversation_id, sa.func.avg(self.tables.score()).label("score"))
            .where(window, ev.c.conversation_id.in_(ids))
            .group_by(ev.c.conversation_id)
        )

    def agreement(self) -> Agreement:
        """Confusion counts, agreement rate, kappa and the strongest disagreements.

        One statement, set-based so that its cost follows the rows it reads whatever indexes
        exist beyond created_at: the period's like/dislike rows; the mean score of each of
        their conversations (`scores_of_conversations`); the two joined once; then the four
        counts and, per side, the ten rows farthest from the threshold.
        """
        fb = self.tables.feedback
        value = self.tables.feedback_kind()
        comment = fb.c.comment if "comment" in fb.c else sa.null()
        thumbs = (
            sa.select(
                fb.c.conversation_id,
                value.label("feedback"),
                comment.label("comment"),
                self.tables.created_at("feedback").column.label("created_at"),
            )
            .where(self._within("feedback"), value.is_not(None))
            .cte("thumbs")
        )
        scores = self.scores_of_conversations(sa.select(thumbs.c.conversation_id)).cte("scores")
        # A row whose conversation has no score keeps a NULL score, which every comparison
        # below leaves out.
        rated = (
            sa.select(thumbs, scores.c.score)
            .select_from(
                thumbs.outerjoin(scores, scores.c.conversation_id == thumbs.c.conversation_id)
            )
            .cte("rated")
        )
        good = rated.c.score >= self.threshold - SCORE_TOLERANCE
        counts = sa.select(
            sa.literal("counts").label("part"),
            sa.null().label("conversation_id"),
            sa.null().label("score"),
            sa.null().label("comment"),
            *[
                sa.func.count(sa.case((sa.and_(rated.c.feedback == f, g), 1))).label(f"{f}_{n}")
                for f in ("like", "dislike")
                for n, g in (("good", good), ("bad", ~good))
            ],
        )
        sides = [
            sa.select(
                sa.literal(feedback).label("part"),
                rated.c.conversation_id,
                rated.c.score,
                rated.c.comment,
                *[sa.cast(sa.null(), sa.Integer())] * 4,  # typed: a subquery's NULL is text
            )
            .where(rated.c.feedback == feedback, condition)
            .order_by(order, rated.c.created_at, rated.c.conversation_id)
            .limit(DISAGREEMENTS)
            .subquery()
            for feedback, condition, order in (
                ("like", ~good, rated.c.score.asc()),
                ("dislike", good, rated.c.score.desc()),
            )
        ]
        statement: sa.CompoundSelect[Any] = sa.union_all(
            counts, *[sa.select(side) for side in sides]
        )
        rows = self.conn.execute(statement).all()
        like_good, like_bad, dislike_good, dislike_bad = (
            int(v or 0) for v in next(r for r in rows if _as_str(r[0]) == "counts")[4:]
        )
        rated_total = like_good + like_bad + dislike_good + dislike_bad
        return Agreement(
            threshold=self.threshold,
            like_good=like_good,
            like_bad=like_bad,
            dislike_good=dislike_good,
            dislike_bad=dislike_bad,
            agreement_rate=(like_good + dislike_bad) / rated_total if rated_total else None,
            kappa=cohen_kappa(like_good, like_bad, dislike_good, dislike_bad),
            disagreements=self._disagreements(
                [(_as_str(r[0]), r[1], r[2], r[3]) for r in rows if _as_str(r[0]) != "counts"]
            ),
        )

    def _disagreements(self, rows: list[tuple[str, Any, Any, Any]]) -> list[Disagreement]:
        """The ten rows farthest from the threshold: liked but low, disliked but high."""
        side = {"like": 0, "dislike": 1}
        rows.sort(key=lambda row: (-abs(float(row[2]) - self.threshold), side[row[0]], row[1]))
        rows = rows[:DISAGREEMENTS]
        texts = self._conversation_texts([row[1] for row in rows])
        return [
            Disagreement(
                conversation_id=cid,
                feedback=feedback,
                score=round(float(score), 6),
                comment=text,
                **texts.get(cid, dict.fromkeys(("model", "user_message", "ai_response"))),
            )
            for feedback, cid, score, text in rows
        ]

    def _conversation_texts(self, ids: list[Any]) -> dict[Any, dict[str, Any]]:
        conv = self.tables.conversations
        if not ids or "id" not in conv.c:
            return {}
        columns = ("model", "user_message", "ai_response")
        selected = [conv.c[c] if c in conv.c else sa.null().label(c) for c in columns]
        rows = self.conn.execute(sa.select(conv.c.id, *selected).where(conv.c.id.in_(ids)))
        return {row[0]: dict(zip(columns, row[1:], strict=True)) for row in rows}

    # --- themes ---------------------------------------------------------------------------

    def _complaint_texts(self, period: Period) -> list[str]:
        """Dislike comments, then reasons of disliked or low-scored conversations (newest first)."""
        t = self.tables
        fb, ev = t.feedback, t.evaluations
        dislike = t.feedback_is("dislike")
        queries = []
        if "comment" in fb.c:
            queries.append(
                sa.select(fb.c.comment)
                .where(self._within("feedback", period), dislike, fb.c.comment.is_not(None))
                .order_by(t.created_at("feedback").column.desc())
            )
        if "reason" in ev.c:
            low = t.score() < self.threshold
            if "conversation_id" in ev.c and "conversation_id" in fb.c:
                disliked = sa.select(fb.c.conversation_id).where(
                    self._within("feedback", period), dislike
                )
                low = sa.or_(low, ev.c.conversation_id.in_(disliked))
            queries.append(
                sa.select(ev.c.reason)
                .where(self._within("evaluations", period), ev.c.reason.is_not(None), low)
                .order_by(t.created_at("evaluations").column.desc())
            )
        texts = []
        for query in queries:
            texts += [text for (text,) in self.conn.execute(query.limit(THEME_TEXT_LIMIT))]
        return [text.strip() for text in texts if text and text.strip()]

    def complaint_texts(self) -> None:
        """Read the texts the themes are made of, and leave them."""
        self._complaint_texts(self.period)
        self._complaint_texts(self.period.previous)

    def themes(self) -> list[Theme]:
        return top_themes(
            self._complaint_texts(self.period),
            self._complaint_texts(self.period.previous),
            limit=THEMES,
            examples=THEME_EXAMPLES,
        )


def _as_str(value: Any) -> str:
    """Text that MySQL's BINARY comparison hands back as bytes."""
    return value.decode() if isinstance(value, bytes) else str(value)


def _unpriced(by_model: list[ModelStats], prices: PriceTable | None) -> list[str]:
    """The models the price table has no price for (none without a price table)."""
    if prices is None:
        return []
    return sorted(m.model for m in by_model if prices.price_of(m.model) is None)


def _total_cost(by_model: list[ModelStats], prices: PriceTable | None) -> float | None:
    """The sum of the models' costs; None when a model with conversations has no price."""
    if prices is None or any(m.cost is None and m.conversations for m in by_model):
        return None
    return sum(m.cost or 0.0 for m in by_model)
