"""The groups behind the split of a change (explain.py): each week's thumbs and scores by
their conversation's value of a dimension, from the grouped day totals (daily.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from aiops_report.analysis.explain import (
    EXPLAINED_METRICS,
    Group,
    GroupTotals,
    Split,
    rating_totals,
    score_totals,
    split_change,
)
from aiops_report.data.daily import DayTotals, group_parts, period_days
from aiops_report.data.mapping import TableRole
from aiops_report.data.periods import Period
from aiops_report.data.tables import ChatbotTables

# The metric each table's rows make, and the table they are read from.
_SOURCES: dict[str, TableRole] = {"satisfaction_rate": "feedback", "avg_score": "evaluations"}


def dimensions(tables: ChatbotTables) -> dict[str, str]:
    """{dimension: the part or the name of the conversations' column it groups by, as
    attribution.linked_rows takes it}: `model` when the column is there, `segment` when
    SCHEMA_FILE maps one (not in a segment's own report: one group), then each of
    SCHEMA_FILE's `dimensions`; none when feedback and evaluations cannot be linked to their
    conversation (every row would be the group `None`)."""
    found: list[str] = []
    if not tables.has("conversations", "id"):
        return {}
    if tables.has("conversations", "model"):
        found.append("model")
    if tables.has("conversations", "segment") and tables.segment is None:
        found.append("segment")
    return {name: name for name in [*found, *tables.mapping.dimensions]}


def linked(tables: ChatbotTables, role: TableRole) -> bool:
    """True when the rows of `role` name their conversation (and conversations have an id)."""
    return tables.has(role, "conversation_id") and tables.has("conversations", "id")


@dataclass(frozen=True)
class WeekGroups:
    """One week's groups of one dimension: thumbs for satisfaction, scores for avg_score."""

    satisfaction_rate: dict[Group, GroupTotals]
    avg_score: dict[Group, GroupTotals]

    def of(self, metric: str) -> dict[Group, GroupTotals]:
        return self.satisfaction_rate if metric == "satisfaction_rate" else self.avg_score


def week_groups(
    conn: Connection, tables: ChatbotTables, period: Period, dimension: str
) -> WeekGroups:
    """The rows of `period` of feedback and evaluations, grouped by their conversation's
    value of `dimension` (read live: the day totals of daily.py)."""
    return groups_of(tables, DayTotals.summed(period_days(conn, tables, [period])[0]), dimension)


def groups_of(tables: ChatbotTables, totals: DayTotals, dimension: str) -> WeekGroups:
    """The thumbs and scores of `totals` (a period's summed days) by their conversation's
    value of `dimension` (a part of daily.group_parts), whatever the conversation's date
    (attribution.linked_rows). A row whose conversation is not found, or has no value, is
    the group None, so that the groups hold every row the whole metric counts."""
    found: dict[str, dict[Group, GroupTotals]] = {metric: {} for metric in _SOURCES}
    for value, sums in totals.by_part(group_parts(tables).index(dimension)).items():
        if linked(tables, "feedback"):  # no link: a split of one group says nothing
            found["satisfaction_rate"][value] = rating_totals(int(sums.likes), int(sums.dislikes))
        if linked(tables, "evaluations"):
            found["avg_score"][value] = score_totals(
                int(sums.evaluations), sums.score_sum, sums.score_squares
            )
    return WeekGroups(**found)


def explain_changes(
    tables: ChatbotTables, previous: DayTotals, current: DayTotals
) -> dict[str, dict[str, Split]]:
    """{metric: {dimension: its split}} of satisfaction_rate and avg_score, `current` (a
    period's summed days) against `previous` (a partial one against the same elapsed span),
    as shown (floats: the Fractions' nearest); a metric or dimension with nothing to split
    (no observation in a week, no link) is left out."""
    found: dict[str, dict[str, Split]] = {metric: {} for metric in EXPLAINED_METRICS}
    for dimension, column in dimensions(tables).items():
        before = groups_of(tables, previous, column)
        after = groups_of(tables, current, column)
        for metric in EXPLAINED_METRICS:
            if not linked(tables, _SOURCES[metric]):
                continue
            split = split_change(metric, dimension, before.of(metric), after.of(metric))
            if split is not None:
                found[metric][dimension] = split.as_floats()
    return {metric: splits for metric, splits in found.items() if splits}
