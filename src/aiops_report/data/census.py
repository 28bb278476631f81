"""What the chatbot's columns hold: the feedback values, the scores and the segments of recent
weeks.

`doctor` shows these so that a wrong mapping (feedback words, score range, epoch unit) is
visible before a report is sent. Both are one grouped read over the weeks asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from aiops_report.data.attribution import linked_rows
from aiops_report.data.column_values import exact_text, value_kind
from aiops_report.data.db import database_error
from aiops_report.data.mapping import TableRole
from aiops_report.data.tables import ChatbotTables

FEEDBACK_VALUES_SHOWN = 12
SEGMENT_VALUES_SHOWN = 5


@dataclass(frozen=True)
class FeedbackValue:
    """A stored feedback value, how often it occurs, and what the report counts it as."""

    value: Any
    count: int
    kind: str | None  # "like", "dislike", or None: neither


@dataclass(frozen=True)
class ScoreCensus:
    """The non-NULL stored scores: how many are numbers, and how many fall outside the range."""

    stored: int
    numbers: int
    below: int
    above: int
    examples_not_numbers: list[str]

    @property
    def not_numbers(self) -> int:
        return self.stored - self.numbers


@dataclass(frozen=True)
class TimeCensus:
    """A table's `created_at`: its first and last stored values, and whether a row lies in the
    span asked about. `first` is None when the table has no row with a time."""

    first: Any
    last: Any
    recent: bool


@dataclass(frozen=True)
class SegmentCensus:
    """The conversations' segment column: how many conversations, how many have no segment
    (NULL), how many distinct segments, and the most frequent with their counts."""

    conversations: int
    without: int
    distinct: int
    most_frequent: list[tuple[Any, int]]


def feedback_values(
    engine: Engine, tables: ChatbotTables, start: datetime, end: datetime
) -> list[FeedbackValue]:
    """The feedback values of [start, end), the most frequent first (NULL included)."""
    column: sa.ColumnElement[Any] = tables.feedback.c.feedback
    if value_kind(column) == "text":  # as the report compares it: byte for byte
        column = exact_text(column, tables.dialect)
    kind = tables.feedback_kind()
    query = (
        sa.select(column, kind, sa.func.count())
        .where(tables.created_at("feedback").within(start, end))
        .group_by(column, kind)
    )
    try:
        with engine.connect() as conn:
            rows = conn.execute(query).all()
    except DBAPIError as exc:
        raise database_error(engine, exc) from None
    found = [FeedbackValue(_readable(value), int(count), _readable(k)) for value, k, count in rows]
    return sorted(found, key=lambda f: (-f.count, str(f.value)))


def score_census(
    engine: Engine, tables: ChatbotTables, start: datetime, end: datetime
) -> ScoreCensus:
    """How the scores of [start, end) read: numbers, not numbers, outside the score range."""
    raw = tables.evaluations.c.score
    score = tables.score()
    scale = tables.mapping.scale
    within = tables.created_at("evaluations").within(start, end)
    counts = sa.select(
        sa.func.count(raw),
        sa.func.count(score),
        sa.func.count(sa.case((score < scale.low, 1))),
        sa.func.count(sa.case((score > scale.high, 1))),
    ).where(within)
    examples = sa.select(raw).where(within, raw.is_not(None), score.is_(None)).distinct().limit(3)
    try:
        with engine.connect() as conn:
            stored, numbers, below, above = conn.execute(counts).one()
            odd = [str(_readable(value)) for value in conn.execute(examples).scalars()]
    except DBAPIError as exc:
        raise database_error(engine, exc) from None
    return ScoreCensus(int(stored), int(numbers), int(below), int(above), odd)


def time_census(
    engine: Engine, tables: ChatbotTables, role: TableRole, start: datetime, end: datetime
) -> TimeCensus:
    """The first and last `created_at` of `role`'s table (the two ends of its index) and
    whether a row was created in [start, end): three reads that stop at the first row."""
    stored = tables.table(role).c.created_at
    # Each end its own subquery: SQLite reads a min() or a max() from the index only when it
    # is a SELECT's one aggregate (both in one SELECT scanned the table: 1.6 s at 8M rows).
    ends = sa.select(
        sa.select(sa.func.min(stored)).scalar_subquery(),
        sa.select(sa.func.max(stored)).scalar_subquery(),
    )
    try:
        with engine.connect() as conn:
            first, last = conn.execute(ends).one()
            recent = any_row(conn, tables, role, start, end)
    except DBAPIError as exc:
        raise database_error(engine, exc) from None
    return TimeCensus(_readable(first), _readable(last), recent)


def any_row(
    conn: Connection,
    tables: ChatbotTables,
    role: TableRole,
    start: datetime,
    end: datetime,
    *conditions: sa.ColumnElement[bool],
) -> bool:
    """True when `role`'s table has a row created in [start, end) (of the tables' segment)
    that meets `conditions`: the read stops at the first one."""
    rows = linked_rows(tables, role, start, end)
    found = conn.execute(rows.select(sa.literal(1)).where(*conditions).limit(1)).first()
    return found is not None


def unread_feedback(engine: Engine, tables: ChatbotTables, start: datetime, end: datetime) -> int:
    """The feedback rows of [start, end) when not one of them is a like or a dislike (the
    words do not fit the column), else 0. A week with a like reads no further than it."""
    kinds = sa.or_(tables.feedback_is("like"), tables.feedback_is("dislike"))
    count = linked_rows(tables, "feedback", start, end).select(sa.func.count())
    try:
        with engine.connect() as conn:
            if any_row(conn, tables, "feedback", start, end, kinds):
                return 0
            rows = conn.execute(count).scalar_one()
    except DBAPIError as exc:
        raise database_error(engine, exc) from None
    return int(rows)


def segment_census(
    engine: Engine, tables: ChatbotTables, start: datetime, end: datetime
) -> SegmentCensus:
    """The segments of the conversations of [start, end), compared as the report compares
    them; the SEGMENT_VALUES_SHOWN most frequent listed."""
    segment = tables.segment_of(tables.conversations)
    within = tables.created_at("conversations").within(start, end)
    counts = sa.select(
        sa.func.count(), sa.func.count(segment), sa.func.count(sa.distinct(segment))
    ).where(within)
    most_frequent = (
        sa.select(segment, sa.func.count())
        .where(within, segment.is_not(None))
        .group_by(segment)
        .order_by(sa.func.count().desc(), segment)
        .limit(SEGMENT_VALUES_SHOWN)
    )
    try:
        with engine.connect() as conn:
            conversations, with_segment, distinct = conn.execute(counts).one()
            shown = [(_readable(value), int(n)) for value, n in conn.execute(most_frequent)]
    except DBAPIError as exc:
        raise database_error(engine, exc) from None
    return SegmentCensus(
        int(conversations), int(conversations) - int(with_segment), int(distinct), shown
    )


@dataclass(frozen=True)
class FilterCensus:
    """The rows of a table in a range, and how many of them its SCHEMA_FILE `where` keeps."""

    rows: int
    kept: int

    @property
    def removed(self) -> int:
        return self.rows - self.kept


def filter_census(
    engine: Engine, tables: ChatbotTables, role: TableRole, start: datetime, end: datetime
) -> FilterCensus:
    """The rows of `role`'s table created in [start, end), and those its `where` keeps."""
    every = tables.created_at(role, filtered=False).within(start, end)
    query = sa.select(sa.func.count(), sa.func.count(sa.case((tables.kept(role), 1)))).where(every)
    try:
        with engine.connect() as conn:
            rows, kept = conn.execute(query).one()
    except DBAPIError as exc:
        raise database_error(engine, exc) from None
    return FilterCensus(int(rows), int(kept))


def _readable(value: Any) -> Any:
    """Text that MySQL's BINARY comparison hands back as bytes, as text."""
    return value.decode() if isinstance(value, bytes) else value
