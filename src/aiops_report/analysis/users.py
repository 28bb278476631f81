"""Distinct users: of a period in all, by its conversations' model and by their segment, and
of the period before it, for the headline and the tables by model and by segment.

Distinct non-NULL `user_id`, compared byte for byte (exact_text). Each count groups the
rows by (group, user) and then counts the groups, which a database sorts or hashes faster
than a COUNT(DISTINCT) (SQLite 2.4 s against 6.3 s, PostgreSQL a little faster, for 1M
conversations). PostgreSQL and ClickHouse form the three groupings in one pass of the
period's conversations (GROUPING SETS); SQLite and MariaDB/MySQL, which have no GROUPING
SETS, read the period once per grouping. A whole period's count is kept in the store of
kept totals with the conversations it was counted among (rollups.py): next week's report takes
its previous week's users from there while that week's days hold as many conversations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from aiops_report.analysis.insight_parts import UNKNOWN_MODEL
from aiops_report.data.attribution import LinkedRows, linked_rows
from aiops_report.data.column_values import exact_text
from aiops_report.data.daily import daily_totals
from aiops_report.data.db import database_error
from aiops_report.data.limits import reading
from aiops_report.data.periods import Period
from aiops_report.data.rollups import DailyTotalsStore, settled_days, source_of
from aiops_report.data.tables import ChatbotTables

GROUPING_SETS = frozenset({"postgresql", "clickhousedb"})  # the dialects that have them
DIMENSIONS = ("model", "segment")


@dataclass(frozen=True)
class PeriodUsers:
    """Distinct users of a period and of the one before it; None without a user_id column.

    `by_model` and `by_segment`: the period's distinct users of each model and segment of
    its conversations (as InsightsReader groups them: NULL is UNKNOWN_MODEL, a user of two
    models counts in both); {} without the column, without user_id, or (`by_segment`) in a
    segment's own report. A group whose conversations all lack a user_id has 0.
    """

    total: int | None
    previous_total: int | None
    by_model: dict[str, int] = field(default_factory=dict)
    by_segment: dict[str, int] = field(default_factory=dict)

    @property
    def headline(self) -> tuple[int, int] | None:
        """(previous, current) totals, as ReportNumbers.with_unique_users takes them."""
        if self.total is None or self.previous_total is None:
            return None
        return self.previous_total, self.total


def read_period_users(
    engine: Engine,
    tables: ChatbotTables,
    period: Period,
    store: DailyTotalsStore | None = None,
) -> PeriodUsers:
    """`period_users` with its breakdowns, on a connection of its own. Raises
    DatabaseUnreachable when the database cannot be read."""
    try:
        with reading("the distinct users"), engine.connect() as conn:
            return period_users(conn, tables, period, store=store)
    except DBAPIError as exc:
        raise database_error(engine, exc) from None


def period_users(
    conn: Connection,
    tables: ChatbotTables,
    period: Period,
    *,
    breakdowns: bool = True,
    store: DailyTotalsStore | None = None,
) -> PeriodUsers:
    """The distinct users of `period` (in all and, with `breakdowns`, by model and by
    segment) and of the period before it (in all), of the tables' segment when they read
    one; with `store`, a whole period's count is kept, and the previous period's taken from
    there while it holds as many conversations. Raises DBAPIError as the connection does."""
    if not tables.has("conversations", "user_id"):
        return PeriodUsers(None, None)
    dimensions = _dimensions(tables) if breakdowns else []
    total, conversations, groups = _users(conn, tables, period, dimensions)
    if store is not None and not period.cut_day:
        store.keep_users(source_of(tables, period.zone), period.days, total, conversations)
    previous_total = _kept_or_counted(conn, tables, period.previous, store)
    return PeriodUsers(
        total=total,
        previous_total=previous_total,
        by_model=groups.get("model", {}),
        by_segment=groups.get("segment", {}),
    )


def _kept_or_counted(
    conn: Connection, tables: ChatbotTables, period: Period, store: DailyTotalsStore | None
) -> int:
    """The distinct users of `period`: kept in `store` when its days are settled and hold
    as many conversations as when they were counted, else counted (and kept)."""
    if store is None or settled_days(period.days, period.zone) != period.days:
        return _users(conn, tables, period, [])[0]
    source = source_of(tables, period.zone)
    days = daily_totals(conn, tables, period.days, period.zone, store)
    kept = store.kept_users(source, period.days, sum(day.conversations for day in days))
    if kept is not None:
        return kept
    total, conversations, _ = _users(conn, tables, period, [])
    store.keep_users(source, period.days, total, conversations)
    return total


def _dimensions(tables: ChatbotTables) -> list[str]:
    """The groupings the schema allows: model, and segment unless one segment is read."""
    found = ["model"] if tables.has("conversations", "model") else []
    if tables.has("conversations", "segment") and tables.segment is None:
        found.append("segment")
    return found


def _users(
    conn: Connection, tables: ChatbotTables, period: Period, dimensions: list[str]
) -> tuple[int, int, dict[str, dict[str, int]]]:
    """The distinct users of the period's conversations, the conversations they were
    counted among, and {dimension: {group: theirs}}."""
    user = exact_text(tables.conversations.c.user_id, tables.dialect).label("user_id")
    total = conversations = 0
    groups: dict[str, dict[str, int]] = {d: {} for d in dimensions}

    def add(dimension: str | None, group: Any, users: int, rows: int) -> None:
        nonlocal total, conversations
        if dimension is None:
            total += int(users)
            conversations += int(rows)
            return
        key = _group_name(group)
        groups[dimension][key] = groups[dimension].get(key, 0) + int(users)

    span = [(period.start_at, period.end_at)]
    with tables.created_at("conversations").spellings(conn, span) as spelled:
        rows = linked_rows(
            tables, "conversations", *span[0], parts=tuple(dimensions), spelled=spelled
        )
        if dimensions and tables.dialect in GROUPING_SETS:
            for row in conn.execute(_grouping_sets(tables, rows, user, dimensions)).mappings():
                grouped = next((d for d in dimensions if row[f"ungrouped_{d}"] == 0), None)
                add(grouped, row[grouped] if grouped else None, row["users"], row["rows"])
        else:
            for dimension in [None, *dimensions]:
                for group, users, counted in conn.execute(_grouped(tables, rows, user, dimension)):
                    add(dimension, group, users, counted)
    return total, conversations, groups


def _grouped(
    tables: ChatbotTables,
    rows: LinkedRows,
    user: sa.ColumnElement[Any],
    dimension: str | None,
) -> sa.Select[Any]:
    """(group, users, rows): the distinct users of each group of `dimension` (None: of all
    the rows, one group) and its rows, one read of the rows."""
    group = rows.conversation[dimension] if dimension else sa.null()
    pairs = (
        rows.select(group.label("grp"), user, sa.func.count().label("rows"))
        .group_by(*([group] if dimension else []), user)
        .subquery(tables.query_name("user_groups"))
    )
    return sa.select(
        pairs.c.grp, sa.func.count(pairs.c.user_id), sa.func.sum(pairs.c.rows)
    ).group_by(pairs.c.grp)


def _grouping_sets(
    tables: ChatbotTables,
    rows: LinkedRows,
    user: sa.ColumnElement[Any],
    dimensions: list[str],
) -> sa.Select[Any]:
    """(ungrouped_<dimension>..., <dimension>..., users) of every dimension and of all the
    rows, one read of the rows: the (group, user) pairs of each grouping formed at once,
    a grouping told by GROUPING() (0 for the dimension it groups by)."""
    values = {d: rows.conversation[d] for d in dimensions}
    flags = [sa.func.grouping(values[d]).label(f"ungrouped_{d}") for d in dimensions]
    pairs = (
        rows.select(
            user, *[values[d].label(d) for d in dimensions], *flags, sa.func.count().label("rows")
        )
        .group_by(
            sa.func.grouping_sets(
                sa.tuple_(user), *[sa.tuple_(values[d], user) for d in dimensions]
            )
        )
        .subquery(tables.query_name("user_groups"))
    )
    keys = [pairs.c[f"ungrouped_{d}"] for d in dimensions] + [pairs.c[d] for d in dimensions]
    users, counted = sa.func.count(pairs.c.user_id), sa.func.sum(pairs.c.rows)
    return sa.select(*keys, users.label("users"), counted.label("rows")).group_by(*keys)


def _group_name(value: Any) -> str:
    """A group's name as InsightsReader names it: NULL is UNKNOWN_MODEL, and text that
    MySQL's BINARY comparison hands back as bytes is decoded."""
    if value is None:
        return UNKNOWN_MODEL
    return value.decode() if isinstance(value, bytes) else str(value)
