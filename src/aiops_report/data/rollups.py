"""Per-day totals of settled days, kept in the state database so that each day is read once.

A day that ended more than SETTLED_AFTER ago rarely gets more rows, so its totals are
computed once, stored as one row of `report_daily_totals` with the number of rows each table
had in that day, and read from there afterwards; days not settled yet are always read live.
Before kept totals are used, each kept day is proven current, once per store, table by
table: where the table has an increasing integer primary key, by its watermark (no row with an
id above the highest one seen when the day was last read or proven was created in the day:
watermarks.py, which reads only the rows added since); else by its row counts (`COUNT(*)` per
day through the `created_at` index, compared with the counts kept). A day that gained rows
since (late feedback, a nightly judge, a backfill) is read again and kept anew; a day that lost
rows too, where it is counted. Rows changed in place (and, under a watermark, rows deleted)
need `aiops-report forget-totals`. On ClickHouse, where an update is a row inserted again (the
ReplacingMergeTree family) no count proves a day: its days are read again for each report.
The same row keeps, once a report's themes asked for them, the day's complaint texts with
their terms (analysis/theme_reads.py): proven current with the totals, dropped when the
totals are read again, so that only days not seen yet are analysed.
When the table cannot be created or written (a read-only database user), every day is read
live and a warning says so once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from aiops_report.data.db import database_error
from aiops_report.data.periods import midnight
from aiops_report.data.tables import ChatbotTables

log = logging.getLogger(__name__)

TABLE_NAME = "report_daily_totals"
SETTLED_AFTER = timedelta(days=1)
FORMAT = 3  # the version of what a row holds: rows of another version are not used
SOURCE_LENGTH = 255
ROW_COUNTS_LENGTH = 100

metadata = sa.MetaData()
report_daily_totals = sa.Table(
    TABLE_NAME,
    metadata,
    # Which tables, columns and time zones the totals are of (see `source_of`).
    sa.Column("source", sa.String(SOURCE_LENGTH), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column(
        "totals", sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb"), nullable=False
    ),
    sa.Column("computed_at", sa.DateTime, nullable=False),
    # The rows of each table in the day when the totals were read, as JSON ([3, 1, 2]).
    sa.Column("row_counts", sa.String(ROW_COUNTS_LENGTH), nullable=True),
    # Each table's highest id when the day was last read or proven current, as JSON
    # ([9120, 4410, null]: null for a table without an increasing key, which is counted).
    sa.Column("watermarks", sa.String(ROW_COUNTS_LENGTH), nullable=True),
    # The day's complaint texts and their terms, as JSON (theme_reads.py); NULL until a
    # report's themes need them, and again whenever the totals are read anew.
    sa.Column("terms", sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")),
    mysql_charset="utf8mb4",
    mariadb_charset="utf8mb4",
)

# A period's distinct users cannot be summed from its days: the count of a whole period is
# kept apart, with the conversations it was counted among (read in the same statement), and
# serves while the period's days, proven current, hold as many conversations.
USERS_TABLE = "report_period_users"
report_period_users = sa.Table(
    USERS_TABLE,
    metadata,
    sa.Column("source", sa.String(SOURCE_LENGTH), primary_key=True),
    sa.Column("first_day", sa.Date, primary_key=True),
    sa.Column("last_day", sa.Date, primary_key=True),
    sa.Column("users", sa.BigInteger, nullable=False),
    sa.Column("conversations", sa.BigInteger, nullable=False),
    sa.Column("computed_at", sa.DateTime, nullable=False),
    mysql_charset="utf8mb4",
    mariadb_charset="utf8mb4",
)

Totals = dict[str, Any]  # one day's totals as JSON-ready values (daily.DayTotals.to_json)
Terms = dict[str, Any]  # one day's complaint texts and their terms, JSON-ready (theme_reads)
RowCounts = list[int]  # the rows of each table in one day
Marks = list[int | None]  # each table's highest id; None: the table is counted
ADDED_COLUMNS = ("row_counts", "watermarks", "terms")  # columns later versions added
TABLES = 3  # conversations, feedback, evaluations (mapping.ROLES' order)


class LiveDays(Protocol):
    """What a store reads from the chatbot's tables for the days it lacks or must check."""

    def read(self, days: list[date]) -> list[tuple[Totals, RowCounts]]:
        """Each day's totals and its rows per table."""
        ...

    @property
    def added_row_cost(self) -> float:
        """What reading one added row by its key costs, in rows counted through the
        created_at index: which proof is cheaper for a table (watermarks.ADDED_ROW_COST)."""
        ...

    def provable(self) -> bool:
        """Whether the tables' watermarks and counts can prove kept days current (not where
        an update is a row inserted again: clickhouse.uncounted_tables)."""
        ...

    def marks(self) -> Marks:
        """Each table's highest id now, None for a table without an increasing key (or
        empty): read before the days it proves or reads."""
        ...

    def count(self, asked: list[tuple[int, list[date]]]) -> list[list[int]]:
        """For each (table, days) asked, each day's rows of that table: a cheap count through
        the created_at index (the tables at the same time)."""
        ...

    def added(self, asked: list[tuple[int, int, list[date]]]) -> list[list[bool]]:
        """For each (table, since, days) asked, whether a row of that table with an id above
        `since` is in each day (the tables at the same time)."""
        ...


def source_of(tables: ChatbotTables, zone: ZoneInfo) -> str:
    """What stored totals depend on: the tables (with their schema), the columns they have,
    the time zones, the SCHEMA_FILE words, units, zones and `where` filters (a changed
    filter keys other totals), and the segment read (a segment's totals are kept apart)."""

    def columns(table: sa.Table) -> str:
        return ",".join(sorted(f"{c.key}={c.name}" for c in table.c if c.key[0] != "~"))

    described = " ".join(f"{table.fullname}({columns(table)})" for table in tables.tables())
    source = (
        f"v{FORMAT} {described} {tables.mapping.fingerprint()} "
        f"db={tables.db_zone.key} day={zone.key}"
    )
    if tables.segment is not None:
        source += f" segment={tables.segment!r}"
    if len(source) > SOURCE_LENGTH:
        digest = hashlib.sha256(source.encode()).hexdigest()[:32]
        source = f"{source[: SOURCE_LENGTH - 34]} #{digest}"
    return source


def _rows_of(source: str, days: Sequence[date]) -> sa.ColumnElement[bool]:
    """The stored rows of `source` from the first to the last of `days`."""
    return sa.and_(
        report_daily_totals.c.source == source,
        report_daily_totals.c.day >= min(days),
        report_daily_totals.c.day <= max(days),
    )


def settled_days(days: Sequence[date], zone: ZoneInfo) -> list[date]:
    """Those of `days` that ended more than SETTLED_AFTER ago."""
    boundary = datetime.now(UTC) - SETTLED_AFTER
    return [day for day in days if midnight(day + timedelta(days=1), zone) <= boundary]


class DailyTotalsStore:
    """The totals kept in one (state) database; `source_of` tells the sets of tables apart.

    A store proves each kept day current once: make one per report or dashboard refresh.
    """

    def __init__(self, engine: Engine, *, watermarks: bool = True):
        self.engine = engine
        self.watermarks = watermarks  # False: every table is counted (KEPT_TOTALS_PROOF)
        self.usable: bool | None = None  # None: not tried yet
        self._proven: set[tuple[str, date]] = set()  # kept days proven current
        self.days_analysed = 0  # days whose terms `terms` had analysed (not kept, or stale)
        self._held: list[Callable[[], None]] | None = None  # writes held by `writes_held`

    @contextmanager
    def writes_held(self) -> Iterator[None]:
        """Hold what is written beside the totals (terms, distinct users) until the block
        ends, then write it: on SQLite a writer waits for every reader of the file, and new
        readers for it, so writes among a report's reads would stall them."""
        self._held = []
        try:
            yield
        finally:
            held, self._held = self._held, None
        for write in held:
            write()

    def _write(self, write: Callable[[], None]) -> None:
        """Run `write` now, or at the end of `writes_held`'s block."""
        if self._held is None:
            write()
        else:
            self._held.append(write)

    def totals(
        self, source: str, days: Sequence[date], zone: ZoneInfo, live: LiveDays
    ) -> list[Totals]:
        """The totals of each of `days`: kept ones still current, the others read live.

        The settled days among those read live are kept for next time.
        """
        settled = settled_days(days, zone)
        ready = bool(settled) and self._ready()
        marks: Marks = self._marks(live) if ready else [None] * TABLES
        current = self._current(source, settled, live, marks) if ready else set()
        stored = self._load(source, sorted(current)) if current else {}
        missing = [day for day in days if day not in stored]
        read = dict(zip(missing, live.read(missing), strict=True)) if missing else {}
        self._save(source, {day: read[day] for day in settled if day in read}, marks)
        return [stored[day] if day in stored else read[day][0] for day in days]

    def keep(self, source: str, days: Sequence[date], zone: ZoneInfo, live: LiveDays) -> None:
        """Keep the settled days of `days` that are not kept, or not current, read live;
        the kept ones are checked, not read back."""
        settled = settled_days(days, zone)
        if not settled or not self._ready():
            return
        marks = self._marks(live)
        current = self._current(source, settled, live, marks)
        missing = [day for day in settled if day not in current]
        if missing:
            self._save(source, dict(zip(missing, live.read(missing), strict=True)), marks)

    def terms(
        self,
        source: str,
        days: Sequence[date],
        zone: ZoneInfo,
        live: LiveDays,
        fits: Callable[[Terms], bool],
        analyse: Callable[[list[date]], list[Terms]],
    ) -> list[Terms]:
        """The terms of each of `days`: kept ones that are current and `fit` what is asked,
        the others from `analyse`.

        The days analysed whose kept totals are current keep their terms beside them.
        """
        settled = settled_days(days, zone)
        ready = bool(settled) and self._ready()
        current = self._current(source, settled, live, self._marks(live)) if ready else set()
        # Before the texts are read: a day kept anew since (by another process, from rows
        # read later than these texts) does not take them.
        started = datetime.now(UTC).replace(tzinfo=None)
        kept = {
            day: terms
            for day, terms in self._load_terms(source, sorted(current)).items()
            if fits(terms)
        }
        missing = [day for day in days if day not in kept]
        analysed = dict(zip(missing, analyse(missing), strict=True)) if missing else {}
        self.days_analysed += len(missing)
        self._save_terms(source, {d: analysed[d] for d in current if d in analysed}, started)
        return [kept[day] if day in kept else analysed[day] for day in days]

    def kept_users(self, source: str, days: Sequence[date], conversations: int) -> int | None:
        """The distinct users kept for the period of `days`, if they were counted among
        `conversations` conversations (what its days hold now); else None."""
        if not self._ready():
            return None
        u = report_period_users
        try:
            with self.engine.connect() as conn:
                return conn.execute(
                    sa.select(u.c.users).where(
                        u.c.source == source,
                        u.c.first_day == min(days),
                        u.c.last_day == max(days),
                        u.c.conversations == conversations,
                    )
                ).scalar_one_or_none()
        except DBAPIError:  # a table a read-only user could not create: counted again
            return None

    def keep_users(self, source: str, days: Sequence[date], users: int, conversations: int) -> None:
        """Keep the distinct users of the period of `days`, counted among `conversations`."""
        if self._ready():
            self._write(partial(self._write_users, source, days, users, conversations))

    def _write_users(
        self, source: str, days: Sequence[date], users: int, conversations: int
    ) -> None:
        u = report_period_users
        period = sa.and_(
            u.c.source == source, u.c.first_day == min(days), u.c.last_day == max(days)
        )
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.delete(u).where(period))
                conn.execute(
                    sa.insert(u).values(
                        source=source,
                        first_day=min(days),
                        last_day=max(days),
                        users=users,
                        conversations=conversations,
                        computed_at=datetime.now(UTC).replace(tzinfo=None),
                    )
                )
        except DBAPIError as exc:  # another process kept them meanwhile, or a read-only user
            log.debug("distinct users of %s to %s not kept: %s", min(days), max(days), exc.orig)

    def forget(self, since: date) -> int:
        """Delete the stored totals (and terms) of `since` and later days, and the distinct
        users of periods that reach `since`; return how many days went."""
        try:
            with self.engine.begin() as conn:
                inspector = sa.inspect(conn)
                if inspector.has_table(USERS_TABLE):
                    conn.execute(
                        sa.delete(report_period_users).where(
                            report_period_users.c.last_day >= since
                        )
                    )
                if not inspector.has_table(TABLE_NAME):
                    return 0
                return conn.execute(
                    sa.delete(report_daily_totals).where(report_daily_totals.c.day >= since)
                ).rowcount
        except DBAPIError as exc:
            raise database_error(self.engine, exc) from None

    def _marks(self, live: LiveDays) -> Marks:
        """The tables' watermarks now (none when every table is counted)."""
        return live.marks() if self.watermarks else [None] * TABLES

    def _current(self, source: str, days: list[date], live: LiveDays, marks: Marks) -> set[date]:
        """Those of `days` whose kept totals are still what the tables hold, each table by its
        watermark or by its row counts; the proven days' watermarks move up to `marks`."""
        unproven = [day for day in days if (source, day) not in self._proven]
        if unproven and live.provable():
            with self.engine.connect() as conn:
                kept = {
                    row.day: (json.loads(row.row_counts), json.loads(row.watermarks or "null"))
                    for row in conn.execute(
                        sa.select(
                            report_daily_totals.c.day,
                            report_daily_totals.c.row_counts,
                            report_daily_totals.c.watermarks,
                        ).where(_rows_of(source, unproven))
                    )
                    if row.day in set(unproven) and row.row_counts
                }
            proven = self._still_current(kept, live, marks)
            self._proven.update((source, day) for day in proven)
            self._move_marks(source, [day for day in proven if kept[day][1] != marks], marks)
        return {day for day in days if (source, day) in self._proven}

    @staticmethod
    def _still_current(
        kept: dict[date, tuple[RowCounts, Marks | None]], live: LiveDays, marks: Marks
    ) -> set[date]:
        """The kept days current in every table: for each table, no row added above the
        day's watermark, or (a day kept without one, a table without a key now) the same row
        count. The watermarks' reads and the counts each run the tables at the same time."""
        to_count: list[tuple[int, list[date]]] = []
        to_check: list[tuple[int, int, list[date]]] = []
        for table in range(TABLES):
            by_mark: dict[int, list[date]] = {}
            counted = []
            for day, (_, kept_marks) in sorted(kept.items()):
                since = kept_marks[table] if kept_marks and marks[table] is not None else None
                if since is None:
                    counted.append(day)
                else:
                    by_mark.setdefault(since, []).append(day)
            for since, group in by_mark.items():
                # More rows added since (the ids taken, at most) than a count reads in their
                # time: counting the days is the cheaper proof (a week's rows, no proof since).
                added = (marks[table] or 0) - since
                if added * live.added_row_cost > sum(kept[day][0][table] for day in group):
                    counted += group
                else:
                    to_check.append((table, since, group))
            counted.sort()
            if counted:
                to_count.append((table, counted))
        stale: set[date] = set()
        for (table, counted), now in zip(to_count, live.count(to_count), strict=True):
            stale |= {d for d, n in zip(counted, now, strict=True) if kept[d][0][table] != n}
        for (_, _, group), late in zip(to_check, live.added(to_check), strict=True):
            stale |= {day for day, added in zip(group, late, strict=True) if added}
        return set(kept) - stale

    def _move_marks(self, source: str, days: list[date], marks: Marks) -> None:
        """Record that `days` hold every row up to `marks`: the next proof reads from there."""
        if not days or all(mark is None for mark in marks):
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    sa.update(report_daily_totals)
                    .where(
                        report_daily_totals.c.source == source, report_daily_totals.c.day.in_(days)
                    )
                    .values(watermarks=json.dumps(marks))
                )
        except DBAPIError as exc:  # the proof holds still; the next one reads a little more
            log.warning("the watermarks of kept totals are not moved up: %s", exc.orig)

    def _ready(self) -> bool:
        """Create the table (or add the columns later versions added) on first use; False,
        and one warning, when that is refused."""
        if self.usable is None:
            try:
                with self.engine.begin() as conn:
                    metadata.create_all(conn, checkfirst=True)
                    columns = {c["name"] for c in sa.inspect(conn).get_columns(TABLE_NAME)}
                    for added in ADDED_COLUMNS:  # kept by a version without
                        if added not in columns:
                            column = report_daily_totals.c[added]
                            kind = column.type.compile(dialect=conn.dialect)
                            conn.execute(sa.text(f"ALTER TABLE {TABLE_NAME} ADD {added} {kind}"))
                self.usable = True
            except DBAPIError as exc:
                # Another process may have created it between the check and the CREATE.
                self.usable = self._has_table()
                if not self.usable:
                    self._warn(exc)
        return self.usable

    def _has_table(self) -> bool:
        try:
            with self.engine.connect() as conn:
                columns = {c["name"] for c in sa.inspect(conn).get_columns(TABLE_NAME)}
            return set(ADDED_COLUMNS) <= columns
        except (DBAPIError, sa.exc.NoSuchTableError):
            return False

    def _load_terms(self, source: str, days: list[date]) -> dict[date, Terms]:
        if not days:
            return {}
        wanted = set(days)
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(report_daily_totals.c.day, report_daily_totals.c.terms).where(
                    _rows_of(source, days), report_daily_totals.c.terms.is_not(None)
                )
            )
            return {row.day: json.loads(row.terms) for row in rows if row.day in wanted}

    def _save_terms(self, source: str, days: dict[date, Terms], started: datetime) -> None:
        """Keep the terms of `days` (their texts read after `started`) beside totals kept
        before then."""
        if days and self.usable:
            self._write(partial(self._write_terms, source, days, started))

    def _write_terms(self, source: str, days: dict[date, Terms], started: datetime) -> None:
        # A DATETIME of MySQL or MariaDB holds whole seconds (rounded, or cut).
        before = started.replace(microsecond=0) + timedelta(seconds=1)
        try:
            with self.engine.begin() as conn:
                for day, terms in days.items():
                    conn.execute(
                        sa.update(report_daily_totals)
                        .where(
                            report_daily_totals.c.source == source,
                            report_daily_totals.c.day == day,
                            report_daily_totals.c.computed_at <= before,
                        )
                        .values(terms=json.dumps(terms, ensure_ascii=False))
                    )
        except DBAPIError as exc:  # the themes hold still; the next report analyses again
            log.warning("the terms of kept days are not kept: %s", exc.orig)

    def _load(self, source: str, days: list[date]) -> dict[date, Totals]:
        wanted = set(days)
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(report_daily_totals.c.day, report_daily_totals.c.totals).where(
                    _rows_of(source, days)
                )
            )
            return {row.day: json.loads(row.totals) for row in rows if row.day in wanted}

    def _save(self, source: str, days: dict[date, tuple[Totals, RowCounts]], marks: Marks) -> None:
        """Keep `days` (read after `marks` were), replacing what was kept of them."""
        if not days or not self.usable:
            return
        now = datetime.now(UTC).replace(tzinfo=None)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    sa.delete(report_daily_totals).where(
                        report_daily_totals.c.source == source,
                        report_daily_totals.c.day.in_(list(days)),
                    )
                )
                conn.execute(
                    sa.insert(report_daily_totals),
                    [
                        {
                            "source": source,
                            "day": day,
                            "totals": json.dumps(totals),
                            "row_counts": json.dumps(list(counts)),
                            "watermarks": json.dumps(marks),
                            "computed_at": now,
                        }
                        for day, (totals, counts) in days.items()
                    ],
                )
            self._proven.update((source, day) for day in days)
        except DBAPIError as exc:
            if isinstance(exc, sa.exc.IntegrityError):
                return  # another process kept the same days meanwhile
            self.usable = False
            self._warn(exc)

    def _warn(self, exc: DBAPIError) -> None:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        log.warning(
            "per-day totals are not kept in %s (%s): every day is read from the tables",
            TABLE_NAME,
            reason,
        )
