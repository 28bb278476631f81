"""Each row of a range beside its conversation's columns: the one way a feedback or an
evaluation row is attributed to its conversation's segment, model or any other column.

A row belongs to its conversation whatever the conversation's date (a like given today to a
conversation of three weeks ago is of that conversation's segment and model); only a row
whose conversation does not exist, or has no value in the column, is attributed NULL (the
reports' "(unknown)"). So every breakdown sums to the whole.

The read stays set-based and cheap on a database where only `created_at` is indexed and the
conversations have their primary key:

- PostgreSQL hash-joins, and would hash every conversation ever logged: there the join takes
  the conversations of the range and of LINK_BEFORE before it (one range of the created_at
  index), and each row whose conversation is not among them (the few rated long after) looks
  it up by primary key, in the same statement.
- SQLite and MySQL/MariaDB look each conversation up by its primary key anyway: a plain
  outer join on it, no window needed.
- ClickHouse hashes the whole right side of a join: it joins only the conversations the
  range's rows name (a set it filters the conversations' ids by).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.selectable import LateralFromClause

from aiops_report.data.clickhouse import is_clickhouse
from aiops_report.data.column_values import exact_text, value_kind
from aiops_report.data.mapping import TableRole
from aiops_report.data.tables import ChatbotTables
from aiops_report.data.time_column import Spellings

# Conversations created this long before a range (or LINK_AFTER after it) hold nearly every
# conversation its feedback and evaluations are about; the others are looked up by key.
LINK_BEFORE = timedelta(days=1)
LINK_AFTER = timedelta(hours=1)  # a rating logged a little before its conversation (clocks)


@dataclass(frozen=True)
class LinkedRows:
    """The rows of one table created in a range, each beside its conversation's columns.

    `source` is what to select from (the table, outer-joined to its conversation when a
    column of it is needed), `where` the rows' condition (the range, and the segment when
    the tables read one), and `conversation[part]` the value of the conversation's column
    that plays `part` (`segment`, `model`, any column of conversation_log by its part, or a
    column by its name, as SCHEMA_FILE's dimensions name them), NULL when the row has no
    conversation, its conversation has no value, or the conversations have no such column.
    Text is compared byte for byte (exact_text), so "Shop-Bot" and "shop-bot" are two groups
    on every database.
    """

    source: sa.FromClause
    where: sa.ColumnElement[bool]
    conversation: dict[str, sa.ColumnElement[Any]] = field(default_factory=dict)
    # Read `deferred` (PostgreSQL): the conversation_id of a row whose conversation is not
    # among those joined (its `conversation` values are NULL then), to be looked up once
    # the rows are grouped (`looked_up`); None otherwise.
    missed: sa.ColumnElement[Any] | None = None

    def select(self, *columns: Any) -> sa.Select[Any]:
        """SELECT `columns` FROM the rows (add .where / .group_by as usual)."""
        return self.narrow(sa.select(*columns))

    def narrow(self, query: sa.Select[Any]) -> sa.Select[Any]:
        """`query` (a SELECT of the table's columns) over these rows only."""
        return query.select_from(self.source).where(self.where)


def linked_rows(
    tables: ChatbotTables,
    role: TableRole,
    start: datetime,
    end: datetime,
    parts: Sequence[str] = (),
    spelled: Spellings | None = None,
    *,
    deferred: bool = False,
) -> LinkedRows:
    """The rows of `role` created in [start, end) (of the tables' segment when they read
    one), each with its conversation's `parts` in `conversation`; `spelled`: how SQLite
    text times are spelled on the range's dates, in the snapshot the rows are read in.
    `deferred`: on PostgreSQL (not in a segment's report) the few rows whose conversation
    is older than the join's window are left `missed`, to be looked up after grouping
    (`looked_up`): the lookup inside the join is a correlated subquery, which PostgreSQL
    runs in one process only, with every row after it (nine weeks of feedback: 16.6 s
    against 4.9 s grouped first by its parallel workers).

    For `role` "conversations" the parts are the row's own columns. Feedback or evaluations
    that cannot be linked (no conversation_id, or conversations without id) have NULL parts;
    a segment's report refuses such tables (ChatbotTables.for_segment).
    """
    table = tables.table(role)
    within = tables.created_at(role).within(start, end, spelled)
    if role == "conversations":
        if tables.segment is not None:
            within = sa.and_(within, tables.in_segment(table))
        return LinkedRows(table, within, {part: _value(tables, table, part) for part in parts})
    needed = [*parts, *(["segment"] if tables.segment is not None else [])]
    if not needed:
        return LinkedRows(table, within)
    if not (tables.has(role, "conversation_id") and tables.has("conversations", "id")):
        return LinkedRows(table, within, {part: sa.null() for part in parts})
    if deferred and tables.dialect == "postgresql" and tables.segment is None:
        linked = tables.conversations.alias(tables.query_name("linked_conversation"))
        conversation_id = table.c.conversation_id
        return LinkedRows(
            table.outerjoin(
                linked,
                sa.and_(linked.c.id == conversation_id, _window(tables, linked, start, end)),
            ),
            within,
            {part: _value(tables, linked, part) for part in parts},
            missed=sa.case((linked.c.id.is_(None), conversation_id)),
        )
    source, values = _linked(
        tables, role, start, end, list(dict.fromkeys(needed)), fenced=bool(parts)
    )
    if tables.segment is not None:
        within = sa.and_(within, values["segment"] == tables.segment_value())
    return LinkedRows(source, within, {part: values[part] for part in parts})


def _linked(
    tables: ChatbotTables,
    role: TableRole,
    start: datetime,
    end: datetime,
    parts: list[str],
    fenced: bool,
) -> tuple[sa.FromClause, dict[str, sa.ColumnElement[Any]]]:
    """`role`'s table outer-joined to its conversation, and each part's value (see the
    module); `fenced`: the values are to be grouped by (PostgreSQL then reads them through
    LATERAL)."""
    table = tables.table(role)
    conversation_id = table.c.conversation_id
    linked = tables.conversations.alias(tables.query_name("linked_conversation"))
    if is_clickhouse(tables.dialect):
        # ClickHouse hashes the right side of a join whole: only the conversations the
        # range's rows name, a set it filters the conversations by (no index is needed).
        named = sa.select(conversation_id).where(tables.created_at(role).within(start, end))
        narrowed = (
            sa.select(linked)
            .where(linked.c.id.in_(named), tables.kept("conversations", linked))
            .subquery(tables.query_name("named_conversation"))
        )
        source = table.outerjoin(narrowed, narrowed.c.id == conversation_id)
        return source, {part: _value(tables, narrowed, part) for part in parts}
    if tables.dialect != "postgresql":
        # A conversation SCHEMA_FILE's `where` leaves out is, for its ratings, not there.
        kept = tables.kept("conversations", linked)
        source = table.outerjoin(linked, sa.and_(linked.c.id == conversation_id, kept))
        return source, {part: _value(tables, linked, part) for part in parts}
    window = _window(tables, linked, start, end)
    source = table.outerjoin(linked, sa.and_(linked.c.id == conversation_id, window))
    older = tables.conversations.alias(tables.query_name("older_conversation"))
    values: dict[str, sa.ColumnElement[Any]] = {}
    for part in parts:
        if _column(tables.conversations, part) is None:
            values[part] = sa.null()
            continue
        # Evaluated only for a row whose conversation is not in the window: one lookup
        # of the primary key. No LIMIT: a bound value would make the GROUP BY expression
        # differ from the selected one.
        by_key = (
            sa.select(_value(tables, older, part))
            .where(older.c.id == conversation_id, tables.kept("conversations", older))
            .correlate(table)
            .scalar_subquery()
        )
        values[part] = sa.case(
            (linked.c.id.is_not(None), _value(tables, linked, part)), else_=by_key
        )
    if not fenced:
        return source, values
    # Grouped by the CASE itself, PostgreSQL cannot guess how many groups it makes (it
    # guesses one per row) and sorts every row to group them; the same values read from a
    # LATERAL subquery it may not flatten (OFFSET 0) are grouped in a hash of a few groups.
    names = {part: f"v{i}" for i, part in enumerate(parts)}
    lateral = (
        sa.select(*[values[part].label(names[part]) for part in parts])
        .correlate(table, linked)
        .offset(0)
        .lateral(tables.query_name("conversation_values"))
    )
    return source.outerjoin(lateral, sa.true()), {part: lateral.c[names[part]] for part in parts}


def _window(
    tables: ChatbotTables, linked: sa.FromClause, start: datetime, end: datetime
) -> sa.ColumnElement[bool]:
    """PostgreSQL: the conversations (`linked`, an alias) a range's rows are joined to: from
    LINK_BEFORE before the range to LINK_AFTER after it, with their `where`, if any."""
    return tables.created_at("conversations", linked).within(start - LINK_BEFORE, end + LINK_AFTER)


def looked_up(
    tables: ChatbotTables, conversation_id: sa.ColumnElement[Any], parts: Sequence[str]
) -> LateralFromClause:
    """The `parts` of the conversation `conversation_id` names (its `v0`, `v1`, ...; no row
    when there is none, or SCHEMA_FILE's `where` leaves it out), looked up by primary key:
    for the rows `linked_rows(deferred=True)` leaves `missed`, once grouped."""
    older = tables.conversations.alias(tables.query_name("older_conversation"))
    return (
        sa.select(*[_value(tables, older, part).label(f"v{i}") for i, part in enumerate(parts)])
        .where(older.c.id == conversation_id, tables.kept("conversations", older))
        .offset(0)
        .lateral(tables.query_name("looked_up"))
    )


def _column(conversations: sa.FromClause, part: str) -> Any:
    """The column of `conversations` that plays `part`, else the one named `part` (a
    dimension of SCHEMA_FILE), else None."""
    if part in conversations.c:
        return conversations.c[part]
    return next((column for column in conversations.c if column.name == part), None)


def _value(tables: ChatbotTables, conversations: sa.FromClause, part: str) -> Any:
    """The column of `conversations` (conversation_log or an alias) that plays `part` (or is
    named `part`), text compared byte for byte; NULL when there is none."""
    column = _column(conversations, part)
    if column is None:
        return sa.null()
    if part == "segment":
        return tables.segment_of(conversations)
    return exact_text(column, tables.dialect) if value_kind(column) == "text" else column
