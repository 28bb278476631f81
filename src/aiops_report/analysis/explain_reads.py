"""The reads behind the split of a change (explain.py): each week's thumbs and scores, grouped
by their conversation's value of a dimension, in one grouped statement per dimension and week."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
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
from aiops_report.data.attribution import linked_rows
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
    value of `dimension` whatever the conversation's date (attribution.linked_rows): one
    statement (two grouped reads joined by UNION ALL). A row whose conversation is not found,
    or has no value, is the group None, so that the groups hold every row the whole metric
    counts."""
    parts = []
    for metric, role in _SOURCES.items():
        if not linked(tables, role):
            continue  # no link: every row would be None, a split of one group says nothing
        if metric == "satisfaction_rate":
            like, dislike = tables.feedback_is("like"), tables.feedback_is("dislike")
            aggregates: list[sa.ColumnElement[Any]] = [
                sa.func.count(sa.case((sa.or_(like, dislike), 1))),
                sa.func.count(sa.case((like, 1))),
                sa.func.count(sa.case((like, 1))),
            ]
        else:
            score = tables.score()
            aggregates = [sa.func.count(score), sa.func.sum(score), sa.func.sum(score * score)]
        rows = linked_rows(tables, role, period.start_at, period.end_at, (dimension,))
        group = rows.conversation[dimension]
        parts.append(
            rows.select(
                sa.literal(metric).label("metric"),
                group.label("grp"),
                *(a.label(f"a{i}") for i, a in enumerate(aggregates)),
            ).group_by(group)
        )
    found: dict[str, dict[Group, GroupTotals]] = {metric: {} for metric in _SOURCES}
    if not parts:
        return WeekGroups(**found)
    statement = sa.union_all(*parts) if len(parts) > 1 else parts[0]
    for metric, name, weight, total, squares in conn.execute(statement):
        key = _group_name(name)
        each = found[_as_str(metric)]
        if _as_str(metric) == "satisfaction_rate":
            likes = int(total or 0)
            totals = rating_totals(likes, int(weight or 0) - likes)
        else:
            totals = score_totals(weight, total, squares)
        each[key] = each.get(key, GroupTotals()) + totals
    return WeekGroups(**found)


def explain_changes(
    conn: Connection, tables: ChatbotTables, period: Period
) -> dict[str, dict[str, Split]]:
    """{metric: {dimension: its split}} of satisfaction_rate and avg_score, `period` against
    the previous one (a partial one against the same elapsed span), as shown (floats: the
    Fractions' nearest); a metric or dimension with nothing to split (no observation in a
    week, no link) is left out."""
    found: dict[str, dict[str, Split]] = {metric: {} for metric in EXPLAINED_METRICS}
    for dimension, column in dimensions(tables).items():
        previous = week_groups(conn, tables, period.previous, column)
        current = week_groups(conn, tables, period, column)
        for metric in EXPLAINED_METRICS:
            if not linked(tables, _SOURCES[metric]):
                continue
            split = split_change(metric, dimension, previous.of(metric), current.of(metric))
            if split is not None:
                found[metric][dimension] = split.as_floats()
    return {metric: splits for metric, splits in found.items() if splits}


def _group_name(value: Any) -> Group:
    """A dimension's value as its group's name: text as it is, other values as written."""
    if value is None:
        return None
    return _as_str(value)


def _as_str(value: Any) -> str:
    """Text that MySQL's BINARY comparison hands back as bytes."""
    return value.decode() if isinstance(value, bytes) else str(value)
