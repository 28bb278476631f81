"""A `created_at` column as ranges of instants, whatever it stores: a timestamp with or
without a time zone, SQLite text, or an integer epoch."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from aiops_report.data import clickhouse
from aiops_report.data.mapping import TimeUnit

# "instant": a ClickHouse DateTime('zone') / DateTime64(p, 'zone'), compared by the instant.
TimeStyle = Literal["aware", "naive", "sqlite_text", "epoch", "instant"]
EPOCH_FACTOR: dict[TimeUnit, int] = {"s": 1, "ms": 1000}
BOTH = frozenset(" T")  # the spellings of SQLite text times


@dataclass(frozen=True)
class Spellings:
    """How SQLite text times are spelled on some dates, as one snapshot of the table found
    them: "T" for 'DTHH:MM:SS', " " for 'D HH:MM:SS' (and any other text of the date that
    sorts before 'DT'). Only valid for statements read in that snapshot (daily.per_range)."""

    on: Mapping[str, frozenset[str]]  # {'YYYY-MM-DD': the spellings found on that date}

    def of(self, dates: Iterable[str]) -> frozenset[str]:
        """The spellings found on any of `dates`; both for a date not probed."""
        return frozenset().union(*(self.on.get(day, BOTH) for day in dates))


@dataclass(frozen=True)
class TimeColumn:
    """A `created_at` column and how instants compare with what it stores.

    Every predicate is made of ranges on the raw column, never a function of it, so that
    the database reads only the index slice of the period.
    """

    column: sa.ColumnElement[Any]
    style: TimeStyle
    db_zone: ZoneInfo  # of naive times: DB_TIMEZONE, or the table's SCHEMA_FILE timezone
    unit: TimeUnit = "s"  # of an integer epoch
    kept: sa.ColumnElement[bool] | None = None  # the rows that count (SCHEMA_FILE where)

    @classmethod
    def of(
        cls,
        column: sa.ColumnElement[Any],
        dialect_name: str,
        db_zone: ZoneInfo,
        unit: TimeUnit | None = None,
        kept: sa.ColumnElement[bool] | None = None,
    ) -> TimeColumn:
        """Decide the storage style from the epoch unit, the dialect and the reflected type;
        `kept`, when given, is added to every range."""
        if unit is not None:
            return cls(sa.type_coerce(column, sa.BigInteger()), "epoch", db_zone, unit, kept)
        if dialect_name == "sqlite":  # SQLite keeps timestamps as text: compare them as text
            return cls(sa.type_coerce(column, sa.String()), "sqlite_text", db_zone, kept=kept)
        if clickhouse.is_clickhouse(dialect_name):
            # A zone in the column's type: its values are instants shown in that zone. Without
            # one, the session shows UTC wall clock, read in DB_TIMEZONE as a naive timestamp.
            zoned = clickhouse.column_zone(column.type) is not None
            return cls(column, "instant" if zoned else "naive", db_zone, kept=kept)
        if isinstance(column.type, sa.DateTime) and column.type.timezone:
            return cls(column, "aware", db_zone, kept=kept)
        return cls(column, "naive", db_zone, kept=kept)

    def _bound(self, instant: datetime) -> Any:
        if self.style == "epoch":  # whole seconds: the report's bounds are midnights
            return sa.literal(int(instant.timestamp()) * EPOCH_FACTOR[self.unit], sa.BigInteger())
        if self.style == "aware":
            return sa.literal(instant, sa.DateTime(timezone=True))
        if self.style == "instant":
            return clickhouse.instant(instant)
        return sa.literal(instant.astimezone(self.db_zone).replace(tzinfo=None), sa.DateTime())

    def within(
        self, start: datetime, end: datetime, spelled: Spellings | None = None
    ) -> sa.ColumnElement[bool]:
        """`start <= created_at < end` for aware instants, of the rows `kept` when given;
        `spelled`: SQLite text as it is spelled on the range's dates (see `_range`)."""
        kept = [] if self.kept is None else [self.kept]
        return sa.and_(self._range(start, end, spelled), *kept)

    def which(
        self, ranges: Sequence[tuple[datetime, datetime]], spelled: Spellings | None = None
    ) -> sa.ColumnElement[Any]:
        """The index in `ranges` of the range a row falls in (NULL: none), by ranges on the
        raw column: one read of a span can group its rows by day."""
        one = self._one_spelling(ranges, spelled)
        if contiguous(ranges) and (self.style != "sqlite_text" or one is not None):
            # Ranges that follow each other (SQLite text of one spelling): a row's range is
            # the first whose end it is before (one comparison a range, not two).
            instants = [ranges[0][0], *(end for _, end in ranges)]
            ends = [
                self._literal(self._text(instant, one)) if one else self._bound(instant)
                for instant in instants
            ]
            return sa.case(
                (self.column < ends[0], sa.null()),
                *[(self.column < end, i) for i, end in enumerate(ends[1:])],
            )
        return sa.case(
            *[(self._range(start, end, spelled), i) for i, (start, end) in enumerate(ranges)]
        )

    @contextmanager
    def spellings(
        self, conn: Connection, ranges: Sequence[tuple[datetime, datetime]]
    ) -> Iterator[Spellings | None]:
        """How the text is spelled on the dates `ranges` start and end on (two index seeks a
        date; None unless the column is SQLite text), for the statements run on `conn`
        inside: one snapshot holds the spellings and them (a savepoint), so that a row of
        the other spelling written meanwhile is not read at all, never read into a wrong
        range."""
        dates = self._spelling_dates(ranges)
        if not dates:
            yield None
            return
        # [D, DT): the date's text spelled ' ' (or with anything else sorting before 'T');
        # [DT, DU): spelled 'T' ('U' sorts right after it).
        probes = [
            sa.exists().where(self._between(low, high))
            for day in dates
            for low, high in ((day, f"{day}T"), (f"{day}T", f"{day}U"))
        ]
        with conn.begin_nested():
            found = conn.execute(sa.select(*probes)).one()
            yield Spellings(
                {
                    day: frozenset(
                        s for s, hit in zip(" T", found[2 * i : 2 * i + 2], strict=True) if hit
                    )
                    for i, day in enumerate(dates)
                }
            )

    def _spelling_dates(self, ranges: Sequence[tuple[datetime, datetime]]) -> list[str]:
        """The dates (as SQLite text) the ranges start and end on: where a range's text
        differs by spelling (`_range`); none unless the column is SQLite text."""
        if self.style != "sqlite_text":
            return []
        bounds = {instant for start_end in ranges for instant in start_end}
        return sorted({self._text(instant, " ")[:10] for instant in bounds})

    def _one_spelling(
        self, ranges: Sequence[tuple[datetime, datetime]], spelled: Spellings | None
    ) -> str | None:
        """The one spelling of the text on every date `ranges` start or end on, if any."""
        if self.style != "sqlite_text" or spelled is None:
            return None
        found = spelled.of(self._spelling_dates(ranges))
        return "T" if found == {"T"} else " " if found <= {" "} else None

    def _range(
        self, start: datetime, end: datetime, spelled: Spellings | None = None
    ) -> sa.ColumnElement[bool]:
        if self.style != "sqlite_text":
            return sa.and_(self.column >= self._bound(start), self.column < self._bound(end))
        # Text of both forms: 'D HH:MM:SS' (' ' sorts before 'T') and 'DTHH:MM:SS'. A range
        # of one form differs from the exact one only in text of its first and last dates:
        # where those have one spelling, that form's plain range is exact.
        one = self._one_spelling([(start, end)], spelled)
        if one is not None:
            return self._between(self._text(start, one), self._text(end, one))
        # The outer range holds both and uses the index; the ranges inside it are exact.
        lo, lo_t, hi, hi_t = (
            self._text(start, " "),
            self._text(start, "T"),
            self._text(end, " "),
            self._text(end, "T"),
        )
        lo_date, hi_date = lo[:10], hi[:10]
        if lo_date == hi_date:
            exact = [(lo, hi), (lo_t, hi_t)]
        else:
            exact = [(lo, f"{lo_date}T"), (lo_t, hi), (f"{hi_date}T", hi_t)]
        return sa.and_(self._between(lo, hi_t), sa.or_(*[self._between(a, b) for a, b in exact]))

    def _between(self, low: str, high: str) -> sa.ColumnElement[bool]:
        return sa.and_(self.column >= self._literal(low), self.column < self._literal(high))

    def _text(self, instant: datetime, separator: str) -> str:
        """The instant as SQLite text of one form; it sorts before every row of that second."""
        return instant.astimezone(self.db_zone).replace(tzinfo=None).isoformat(sep=separator)

    @staticmethod
    def _literal(text: str) -> sa.ColumnElement[str]:
        return sa.literal(text, sa.String())

    def read_instant(self, value: datetime | str | int | float) -> datetime | None:
        """A stored value as an aware datetime; None when it cannot be one (text that is no
        time, an epoch beyond the years 1 to 9999 in the column's unit)."""
        try:
            return self.to_instant(value)
        except (ValueError, OverflowError, OSError):
            return None

    def to_instant(self, value: datetime | str | int | float) -> datetime:
        """A stored value as an aware datetime."""
        if isinstance(value, int | float):  # an epoch (the only style that stores numbers)
            return datetime.fromtimestamp(value / EPOCH_FACTOR[self.unit], UTC)
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            # The ClickHouse driver gives a zoned column's values as naive UTC wall clock.
            value = value.replace(tzinfo=UTC if self.style == "instant" else self.db_zone)
        return value


def contiguous(ranges: Sequence[tuple[datetime, datetime]]) -> bool:
    return all(end == start for (_, end), (start, _) in itertools.pairwise(ranges))
