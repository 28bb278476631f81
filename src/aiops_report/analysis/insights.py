"""Insights beyond the headline numbers: what changed, whether it is real, where, and why.

Defined in docs/metrics.md and docs/insights.md, and aggregated in the database as the other
metrics are (only grouped counts and sums leave it, plus bounded lists: ten disagreements, the
texts of complaints):

- by_model: the period's numbers per model (NULL or unknown conversation → "(unknown)"), with
  the cost of its tokens from the price table;
- by_segment: the same per segment (SCHEMA_FILE's segment column), in the report of everything;
- changes: conversations, satisfaction_rate and avg_score against the previous period, each
  with a 95% interval of the change and a p-value;
- anomalies: days of the period far from the same weekday of the 8 weeks before;
- agreement: the users' likes and dislikes against the evaluator's mean score;
- themes: the terms that recur in dislike comments and the evaluator's reasons;
- explain: each change of satisfaction and score split exactly into mix and rate, per model,
  segment and dimension column (explain.py).

Each part that needs an optional column is None when the column is absent, and `missing`
says which column it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from aiops_report.analysis.explain_reads import dimensions, explain_changes
from aiops_report.analysis.formulas import mean, percentiles_cont, satisfaction
from aiops_report.analysis.insight_parts import (
    UNKNOWN_MODEL,
    AnomaliesStatus,
    Insights,
    ModelStats,
    SegmentStats,
)
from aiops_report.analysis.insight_reads import (
    BASELINE_WEEKS,
    DailyCounts,
    InsightsReader,
    token_columns,
)
from aiops_report.analysis.prices import PriceTable
from aiops_report.analysis.significance import (
    MIN_BASELINE_DAYS,
    MIN_DAY_OBSERVATIONS,
    MIN_TEST_OBSERVATIONS,
    ROBUST_Z_LIMIT,
    Anomaly,
    ChangeTest,
    count_test,
    mean_test,
    proportion_test,
    robust_anomaly,
)
from aiops_report.analysis.users import PeriodUsers, read_period_users
from aiops_report.data.daily import DayTotals, group_key, group_parts
from aiops_report.data.db import database_error
from aiops_report.data.limits import reading
from aiops_report.data.mapping import TableRole
from aiops_report.data.periods import Period
from aiops_report.data.rollups import DailyTotalsStore
from aiops_report.data.tables import ChatbotTables
from aiops_report.extras import install_hint, installed

CHANGE_METRICS = ("conversations", "satisfaction_rate", "avg_score")
PARALLEL_PARTS = 3  # reads of by model, agreement and themes at once, a connection each


@dataclass(frozen=True)
class InsightRules:
    """The thresholds the insights are judged by, for the words that explain them."""

    min_test_observations: int  # per period, for a change test to count
    baseline_weeks: int  # a day is judged against the same weekday of these weeks before
    robust_z_limit: float  # a day further than this from its baseline is anomalous
    min_day_observations: int  # a day's rate or average needs these to be judged
    min_baseline_days: int  # days of that baseline a day needs to be judged


INSIGHT_RULES = InsightRules(
    MIN_TEST_OBSERVATIONS, BASELINE_WEEKS, ROBUST_Z_LIMIT, MIN_DAY_OBSERVATIONS, MIN_BASELINE_DAYS
)

T = TypeVar("T")


# --- which parts the schema allows --------------------------------------------------------

# The columns each optional part reads: all of them, except themes, which reads either.
_NEEDS: dict[str, list[tuple[TableRole, str]]] = {
    "by_model": [("conversations", "model")],
    "agreement": [("feedback", "conversation_id"), ("evaluations", "conversation_id")],
    "themes": [("feedback", "comment"), ("evaluations", "reason")],
}


def _available(tables: ChatbotTables, part: str) -> bool:
    """Whether the schema has the columns `part` reads (and, for the themes, the analyser is
    installed: the extra [themes])."""
    if part == "themes" and not installed("themes"):
        return False
    present = [tables.has(role, column) for role, column in _NEEDS[part]]
    return any(present) if part == "themes" else all(present)


def _needed_columns(tables: ChatbotTables, part: str) -> str:
    joiner = " or " if part == "themes" else " and "
    return joiner.join(f"{tables.table(role).name}.{column}" for role, column in _NEEDS[part])


def _left_out(tables: ChatbotTables) -> list[str]:
    """One line per part the schema leaves out, naming the columns it needs."""
    return [
        f"{part}: needs {_needs(tables, part)}" for part in _NEEDS if not _available(tables, part)
    ]


def _needs(tables: ChatbotTables, part: str) -> str:
    if part == "themes" and not installed("themes"):
        return f"the extra [themes] ({install_hint('themes')})"
    return _needed_columns(tables, part)


@dataclass(frozen=True)
class PartSupport:
    """A part of the insights, whether the schema allows it, and the `table.column`s it reads
    (all of them, or any one when `any_one`)."""

    part: str
    available: bool
    columns: tuple[str, ...] = ()
    any_one: bool = False
    extra: str | None = None  # the extra it needs that is not installed


def insights_support(tables: ChatbotTables) -> list[PartSupport]:
    """What `doctor` says of the insights: each part, available or left out."""
    return [PartSupport("changes", True), PartSupport("anomalies", True)] + [
        PartSupport(
            part,
            _available(tables, part),
            tuple(f"{tables.table(role).name}.{column}" for role, column in _NEEDS[part]),
            any_one=part == "themes",
            extra="themes" if part == "themes" and not installed("themes") else None,
        )
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
    users: Future[PeriodUsers] | None = None,
) -> Insights:
    """The insights of `period`; raise DatabaseUnreachable when the database cannot be read.
    `users`: the period's distinct users being read elsewhere (analysis/users.py), else
    read here.

    The day counts come first (they may keep settled days: a write); then the parts that
    read rows (by model, agreement, themes) run at the same time, each on a connection of its
    own, as independent queries use the database's cores. `analyse_texts=False` reads the
    complaint texts but leaves them unanalysed (no themes): the queries without the analyser.
    """

    threshold = (
        tables.mapping.scale.midpoint if score_good_threshold is None else score_good_threshold
    )

    def read(part: Callable[[InsightsReader], T]) -> T:
        try:
            with reading(f"the insights ({part.__name__})"), engine.connect() as conn:
                return part(InsightsReader(conn, tables, period, threshold, store))
        except DBAPIError as exc:
            raise database_error(engine, exc) from None

    days = read(InsightsReader.daily_counts)
    missing = _left_out(tables)
    priced = prices if token_columns(tables) else None  # no tokens, no cost
    with ThreadPoolExecutor(max_workers=PARALLEL_PARTS) as pool:
        # The longest reads are submitted first, so that the short ones fill in around them.
        agreement = (
            pool.submit(read, InsightsReader.agreement) if _available(tables, "agreement") else None
        )
        users = users or pool.submit(read_period_users, engine, tables, period, store)
        themes = (
            pool.submit(
                read, InsightsReader.themes if analyse_texts else InsightsReader.complaint_texts
            )
            if _available(tables, "themes")
            else None
        )
        models = (
            by_model(tables, priced, days.current, users.result().by_model)
            if _available(tables, "by_model")
            else None
        )
        segments = (
            by_segment(tables, days.current, users.result().by_segment)
            if tables.has("conversations", "segment") and tables.segment is None
            else None
        )
    explained = explain_changes(tables, days.previous, days.current) if dimensions(tables) else None
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
        by_segment=segments,
        explain=explained or None,
    )


def changes(days: DailyCounts, period: Period) -> dict[str, ChangeTest]:
    """The change tests, `period` against the previous one (a partial period
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
    history = {
        day: sum(
            days.whole[day - timedelta(weeks=week)].conversations > 0
            for week in range(1, BASELINE_WEEKS + 1)
        )
        for day in period.days
    }
    baseline_days = min(history.values())
    return AnomaliesStatus(
        enough_history=baseline_days >= MIN_BASELINE_DAYS,
        baseline_days=baseline_days,
        needed=MIN_BASELINE_DAYS,
        days_judged=len(period.whole_days),
        days_with_history=sum(history[day] >= MIN_BASELINE_DAYS for day in period.whole_days),
    )


def by_model(
    tables: ChatbotTables,
    prices: PriceTable | None,
    totals: DayTotals,
    users: dict[str, int],
) -> list[ModelStats]:
    """One entry per model from the period's summed day groups (`totals`) and its distinct
    users per model, the most conversations first; cost only with `prices`."""
    has_users = tables.has("conversations", "user_id")
    has_latency = tables.has("conversations", "latency_ms")
    has_tokens = bool(token_columns(tables))
    entries = []
    for value, sums in totals.by_part(group_parts(tables).index("model")).items():
        model = UNKNOWN_MODEL if value is None else value
        likes, dislikes, evaluations = int(sums.likes), int(sums.dislikes), int(sums.evaluations)
        prompt, completion = int(sums.prompt_tokens), int(sums.completion_tokens)
        price = prices.price_of(model) if prices else None
        cost = price.cost(prompt, completion) if price else None
        p50, p95 = (
            percentiles_cont(totals.latencies_of(group_key([value])), [0.5, 0.95])
            if has_latency
            else [None, None]
        )
        entries.append(
            ModelStats(
                model=model,
                conversations=int(sums.conversations),
                unique_users=users.get(model, 0) if has_users else None,
                latency_p50_ms=p50,
                latency_p95_ms=p95,
                total_tokens=prompt + completion if has_tokens else None,
                likes=likes,
                dislikes=dislikes,
                satisfaction_rate=satisfaction(likes, dislikes),
                evaluations=evaluations,
                avg_score=mean(sums.score_sum, evaluations),
                cost=cost,
                cost_per_like=cost / likes if cost is not None and likes else None,
                feedback_total=int(sums.feedback_total),
            )
        )
    return sorted(entries, key=lambda m: (-m.conversations, m.model))


def by_segment(
    tables: ChatbotTables, totals: DayTotals, users: dict[str, int]
) -> list[SegmentStats]:
    """One entry per segment from the period's summed day groups (`totals`) and its distinct
    users per segment, the most conversations first."""
    has_users = tables.has("conversations", "user_id")
    entries = []
    for value, sums in totals.by_part(group_parts(tables).index("segment")).items():
        segment = UNKNOWN_MODEL if value is None else value
        likes, dislikes, evaluations = int(sums.likes), int(sums.dislikes), int(sums.evaluations)
        entries.append(
            SegmentStats(
                segment=segment,
                conversations=int(sums.conversations),
                unique_users=users.get(segment, 0) if has_users else None,
                feedback_total=int(sums.feedback_total),
                likes=likes,
                dislikes=dislikes,
                satisfaction_rate=satisfaction(likes, dislikes),
                evaluations=evaluations,
                avg_score=mean(sums.score_sum, evaluations),
            )
        )
    return sorted(entries, key=lambda s: (-s.conversations, s.segment))


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
