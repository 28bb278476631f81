"""Alerts: which rules fire on a day, with the numbers and the conversations behind them.

A day is judged with the report's own definitions: its metrics are those of the KPI table
(metrics.period_metrics of the day's totals), and an anomaly is the report's robust z against
the same weekday of the 8 weeks before (insights.weekday_anomaly, with its minimum
observations). A day in progress (today so far) is compared with the same elapsed span of
each baseline day: every one of them cut at the same time of day.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from aiops_report.analysis.alert_rules import AlertRule
from aiops_report.analysis.explain import Split, explaining_most, split_change
from aiops_report.analysis.explain_reads import dimensions, week_groups
from aiops_report.analysis.formulas import COUNT_METRICS
from aiops_report.analysis.insight_reads import BASELINE_WEEKS
from aiops_report.analysis.insights import weekday_anomaly, weekday_baseline
from aiops_report.analysis.metrics import (
    ConversationExcerpt,
    PeriodMetrics,
    compute,
    period_metrics,
    schema_features,
)
from aiops_report.data.column_values import exact_text
from aiops_report.data.daily import DayTotals, per_range, period_days
from aiops_report.data.db import database_error
from aiops_report.data.limits import reading
from aiops_report.data.periods import Period
from aiops_report.data.rollups import DailyTotalsStore
from aiops_report.data.tables import ChatbotTables

WORST_SHOWN = 3  # conversations behind an alert
# The metrics whose worst conversations are the disliked ones first (else the lowest-scored).
FEEDBACK_METRICS = frozenset({"feedback_total", "likes", "dislikes", "satisfaction_rate"})


@dataclass(frozen=True)
class Alert:
    """A rule that fires on a day (cut at `through` while the day runs)."""

    rule: AlertRule
    day: date
    through: datetime | None
    value: float
    observations: int
    baseline_median: float | None  # of the same weekday of the 8 weeks before
    baseline_days: int
    robust_z: float | None  # anomaly rules only
    worst: list[ConversationExcerpt] = field(default_factory=list)
    segment: str | None = None  # judged on this segment's rows only; None: on every row
    # What drove the day: the split of its change against the same weekday a week before,
    # by the dimension that explains most (explain.py); None when the rule does not explain
    # or nothing splits.
    driver: Split | None = None


@dataclass(frozen=True)
class _DayView:
    """One day's metrics and the totals they come from."""

    metrics: PeriodMetrics
    totals: DayTotals

    def value(self, metric: str, *, counted_zero: bool = True) -> tuple[float | None, int]:
        """The metric and its observations; a count of 0 is no value unless `counted_zero`
        (the anomalies, as the report's, judge only days that have something)."""
        value = getattr(self.metrics, metric)
        if not counted_zero and metric in COUNT_METRICS and value == 0:
            value = None
        return value, observations(metric, self.totals)


def observations(metric: str, totals: DayTotals) -> int:
    """How many rows a day's `metric` stands on: conversations (and their users and tokens),
    feedback rows, likes + dislikes for the satisfaction rate, scores, latency values."""
    if metric == "satisfaction_rate":
        return totals.likes + totals.dislikes
    if metric in ("feedback_total", "likes", "dislikes"):
        return totals.feedback_total
    if metric in ("evaluations", "avg_score"):
        return totals.evaluations
    if metric.startswith("latency_"):
        return sum(count for _, count in totals.latencies)
    return totals.conversations


def day_as_of(day: date, zone: ZoneInfo, now: datetime) -> Period:
    """The day `day` as known at `now`: whole once it is over, cut at `now` while it runs.

    Raises WeekNotStarted when it starts after `now`.
    """
    return Period(day, day + timedelta(days=1), zone).as_of(now)


def evaluate(
    engine: Engine,
    tables: ChatbotTables,
    rules: tuple[AlertRule, ...],
    day: Period,
    *,
    store: DailyTotalsStore | None = None,
) -> list[Alert]:
    """The alerts of `rules` on `day` (one day, cut while it runs) in the rows of `tables`
    (of its segment, when it has one), each with up to three of the day's worst
    conversations. Raises DatabaseUnreachable."""
    weeks = [_weeks_before(day, week) for week in range(BASELINE_WEEKS + 1)]
    try:
        with reading("the alerts"), engine.connect() as conn:
            totals = [each[0] for each in period_days(conn, tables, weeks, store)]
            users: list[int | None] = [None] * len(weeks)
            if any(r.metric == "unique_users" for r in rules) and tables.has(
                "conversations", "user_id"
            ):
                user_id = exact_text(tables.conversations.c.user_id, tables.dialect)
                users = [
                    int(rows[0][0])
                    for rows in per_range(
                        conn,
                        tables,
                        "conversations",
                        [(p.start_at, p.end_at) for p in weeks],
                        sa.func.count(sa.distinct(user_id)),
                    )
                ]
    except DBAPIError as exc:
        raise database_error(engine, exc) from None
    features = schema_features(tables)
    views = {
        p.start: _DayView(period_metrics(t, features, u), t)
        for p, t, u in zip(weeks, totals, users, strict=True)
    }
    alerts = [alert for rule in rules if (alert := _judge(rule, day, views)) is not None]
    if alerts:
        worst = compute(
            engine, tables, day, worst_limit=WORST_SHOWN, store=store, count_users=False
        )
        drivers = _drivers(engine, tables, day, {a.rule.metric for a in alerts if a.rule.explains})
        alerts = [
            replace(
                a,
                worst=_worst_for(a.rule.metric, worst.lowest_scored, worst.disliked),
                segment=tables.segment,
                driver=drivers.get(a.rule.metric) if a.rule.explains else None,
            )
            for a in alerts
        ]
    return alerts


def _drivers(
    engine: Engine, tables: ChatbotTables, day: Period, metrics: set[str]
) -> dict[str, Split]:
    """{metric: the split of `day`'s change against the same weekday (cut alike) a week
    before, by the dimension that explains most}, for `metrics`; two grouped statements per
    dimension, read only when an alert that explains fires."""
    if not metrics:
        return {}
    week_before = _weeks_before(day, 1)
    splits: dict[str, dict[str, Split]] = {metric: {} for metric in metrics}
    try:
        with reading("what drove the alerts"), engine.connect() as conn:
            for dimension, column in dimensions(tables).items():
                before = week_groups(conn, tables, week_before, column)
                after = week_groups(conn, tables, day, column)
                for metric in metrics:
                    split = split_change(metric, dimension, before.of(metric), after.of(metric))
                    if split is not None:
                        splits[metric][dimension] = split.as_floats()
    except DBAPIError as exc:
        raise database_error(engine, exc) from None
    return {metric: most for metric, each in splits.items() if (most := explaining_most(each))}


def _weeks_before(day: Period, weeks: int) -> Period:
    """`day` moved `weeks` weeks back, cut at the same time of day when `day` is cut."""
    back = timedelta(weeks=weeks)
    through = None if day.through is None else day.through - back  # wall-clock time kept
    return Period(day.start - back, day.end - back, day.zone, through)


def _judge(rule: AlertRule, day: Period, views: dict[date, _DayView]) -> Alert | None:
    """The alert of `rule` on `day`, or None when it does not fire."""
    anomalous = rule.when == "anomaly"

    def value_of(d: date) -> tuple[float | None, int]:
        return views[d].value(rule.metric, counted_zero=not anomalous)

    value, seen = value_of(day.start)
    if value is None or seen < rule.min_observations:
        return None
    baseline = weekday_baseline(day.start, value_of)
    z = None
    if anomalous:
        anomaly = weekday_anomaly(day.start, rule.metric, value_of)
        if anomaly is None:
            return None
        z = anomaly.robust_z
    else:
        threshold = rule.value
        assert threshold is not None  # AlertRule requires it of "below" and "above"
        if not (value < threshold if rule.when == "below" else value > threshold):
            return None
    return Alert(
        rule=rule,
        day=day.start,
        through=day.through,
        value=value,
        observations=seen,
        baseline_median=statistics.median(baseline) if baseline else None,
        baseline_days=len(baseline),
        robust_z=z,
    )


def _worst_for(
    metric: str, lowest_scored: list[ConversationExcerpt], disliked: list[ConversationExcerpt]
) -> list[ConversationExcerpt]:
    """Up to three conversations behind `metric`: the disliked ones first for a feedback
    metric, else the lowest-scored; one conversation once."""
    ordered = disliked + lowest_scored if metric in FEEDBACK_METRICS else lowest_scored + disliked
    shown: list[ConversationExcerpt] = []
    seen: set[object] = set()
    for excerpt in ordered:
        key = excerpt.conversation_id if excerpt.conversation_id is not None else id(excerpt)
        if key not in seen:
            seen.add(key)
            shown.append(excerpt)
    return shown[:WORST_SHOWN]
