"""The watermark proof of kept totals: rows added since a kept day was read, found through an
increasing integer primary key instead of counting every kept day's rows again.

A table whose primary key is one integer column the database assigns in increasing order
(PostgreSQL serial or identity, MySQL/MariaDB AUTO_INCREMENT, SQLite's INTEGER PRIMARY KEY,
the rowid) has a watermark: the highest id when a day's totals were read. A kept day is current
for that table when no row with a higher id was created in it; the rows read for that are the
ones added since, through the key's index, not the eight weeks of rows a count reads.

What a watermark cannot see (docs/your-database.md, "Kept totals"): a row deleted from a kept
day, a row whose `created_at` was moved to another day, a row committed with an id below the
watermark by a transaction still open when the day was read. Counting catches these;
`KEPT_TOTALS_PROOF=counts` keeps counting for a table whose rows are deleted or backdated so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import operators
from sqlalchemy.sql.expression import UnaryExpression

from aiops_report.data.mapping import TableRole
from aiops_report.data.tables import ChatbotTables
from aiops_report.data.time_column import TimeColumn

# What reading a row added since costs, in index entries a count reads in the same time: a
# PostgreSQL count reads the created_at index alone, the added rows' times are in the heap
# (measured at 1M a week: bench/proof.py); SQLite's rowid and InnoDB's clustered key hold the
# row itself. When the rows added since cost more than counting the kept days, they are counted.
ADDED_ROW_COST = {"postgresql": 4.0}

# Late rows' days are found from the first and last of their stored times, read in Python:
# a day of margin on each side keeps a day whose rows read a little off among those checked.
MARGIN = timedelta(days=1)


def increasing_key(table: sa.Table, dialect: str) -> sa.Column[Any] | None:
    """The table's primary key when it is one integer column the database numbers in
    increasing order, else None (a text or UUID key, a composite key, ids given by the
    writer: those tables keep the count proof)."""
    keys = list(table.primary_key.columns)
    if len(keys) != 1 or not isinstance(keys[0].type, sa.Integer):
        return None
    key = keys[0]
    if dialect == "sqlite":  # only a column declared exactly INTEGER is the rowid
        return key if type(key.type) is sa.INTEGER else None
    return key if key.autoincrement is True or key.identity is not None else None


def table_key(tables: ChatbotTables, role: TableRole) -> sa.Column[Any] | None:
    """The key the watermark of `role`'s table follows, None when it keeps the count proof.

    A segment's feedback and evaluations follow their conversations, which a new
    conversation can change: they are counted. The conversations of a segment have a
    watermark (a new one in a kept day is read again, whatever its segment).
    """
    if tables.segment is not None and role != "conversations":
        return None
    return increasing_key(tables.table(role), tables.dialect)


def highest_id(conn: Connection, key: sa.Column[Any]) -> int | None:
    """The highest value of `key` now (the end of its index); None for an empty table."""
    value = conn.execute(sa.select(sa.func.max(key))).scalar()
    return None if value is None else int(value)


def added_in(
    conn: Connection,
    tables: ChatbotTables,
    role: TableRole,
    since: int,
    ranges: Sequence[tuple[datetime, datetime]],
) -> list[bool]:
    """For each [start, end) of `ranges` (in time order), whether a row with an id above
    `since` was created in it.

    One read of the rows added since, through the key's index; only when some fall among
    the ranges, a count per range they may fall in.
    """
    key = table_key(tables, role)
    assert key is not None, "only a table with an increasing key has a watermark"
    created_at = tables.created_at(role)
    first, last, late = conn.execute(
        sa.select(
            sa.func.min(created_at.column), sa.func.max(created_at.column), sa.func.count()
        ).where(
            key > since, _by_key(created_at, tables.dialect).within(ranges[0][0], ranges[-1][1])
        )
    ).one()
    if not late:
        return [False] * len(ranges)
    low, high = created_at.read_instant(first), created_at.read_instant(last)
    maybe = [
        i
        for i, (start, end) in enumerate(ranges)
        if low is None or high is None or (end > low - MARGIN and start <= high + MARGIN)
    ]
    selects = [
        sa.select(sa.literal_column(str(i), sa.Integer()).label("part"), sa.func.count()).where(
            key > since, created_at.within(*ranges[i])
        )
        for i in maybe
    ]
    found = {part for part, count in conn.execute(sa.union_all(*selects)) if count}
    return [i in found for i in range(len(ranges))]


def _by_key(created_at: TimeColumn, dialect: str) -> TimeColumn:
    """`created_at` compared so that the database reads the rows by their key: SQLite would
    pick the created_at index for a range of weeks (its estimate knows no row counts), and
    `+column` is SQLite's way to take an index out of a plan."""
    if dialect != "sqlite":
        return created_at
    return replace(
        created_at, column=UnaryExpression(created_at.column, operator=operators.custom_op("+"))
    )
