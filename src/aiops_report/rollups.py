"""Per-day totals of settled days, kept in the database so that each day is read once.

The chatbot's tables are logs: a day that ended more than SETTLED_AFTER ago gets no more
rows, so its totals are computed once, stored as one row of `report_daily_totals`, and read
from there afterwards; days not settled yet are always read live. Rows written into a settled
day afterwards (a backfill) are seen once that day's stored totals are forgotten:
`aiops-report forget-totals --since DATE`. When the table cannot be created or written (a
read-only database user), every day is read live and a warning says so once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from aiops_report.db import ChatbotTables, database_error
from aiops_report.periods import midnight

log = logging.getLogger(__name__)

TABLE_NAME = "report_daily_totals"
SETTLED_AFTER = timedelta(days=1)
FORMAT = 2  # the version of what a row holds: rows of another version are not used
SOURCE_LENGTH = 255

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
    mysql_charset="utf8mb4",
    mariadb_charset="utf8mb4",
)

Totals = dict[str, Any]  # one day's totals as JSON-ready values (metrics.DayTotals.to_json)


def source_of(tables: ChatbotTables, zone: ZoneInfo) -> str:
    """What stored totals depend on: the tables, the columns they have, and the time zones."""
    described = " ".join(
        f"{table.name}({','.join(sorted(f'{c.key}={c.name}' for c in table.c if c.key[0] != '~'))})"
        for table in (tables.conversations, tables.feedback, tables.evaluations)
    )
    source = (
        f"v{FORMAT} {described} {tables.mapping.fingerprint()} "
        f"db={tables.db_zone.key} day={zone.key}"
    )
    if len(source) > SOURCE_LENGTH:
        digest = hashlib.sha256(source.encode()).hexdigest()[:32]
        source = f"{source[: SOURCE_LENGTH - 34]} #{digest}"
    return source


def _rows_of(source: str, days: Sequence[date]) -> sa.ColumnElement[bool]:
    """The stored rows of `source` from the first to the last of `days`."""
    t = report_daily_totals
    return sa.and_(t.c.source == source, t.c.day >= min(days), t.c.day <= max(days))


def settled_days(days: Sequence[date], zone: ZoneInfo) -> list[date]:
    """Those of `days` that ended more than SETTLED_AFTER ago."""
    boundary = datetime.now(UTC) - SETTLED_AFTER
    return [day for day in days if midnight(day + timedelta(days=1), zone) <= boundary]


class DailyTotalsStore:
    """The stored totals of one database; `source_of` tells the sets of tables apart."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.usable: bool | None = None  # None: not tried yet

    def totals(
        self,
        conn: Connection,
        source: str,
        days: Sequence[date],
        zone: ZoneInfo,
        read_live: Callable[[list[date]], list[Totals]],
    ) -> list[Totals]:
        """The totals of each of `days`: stored ones, the others from `read_live`.

        The settled days among those read live are stored for next time.
        """
        settled = settled_days(days, zone)
        stored = self._load(conn, source, settled) if settled and self._ready(conn) else {}
        missing = [day for day in days if day not in stored]
        live = dict(zip(missing, read_live(missing), strict=True)) if missing else {}
        if self.usable:
            self._save(conn, source, {day: live[day] for day in settled if day in live})
        return [stored[day] if day in stored else live[day] for day in days]

    def keep(
        self,
        conn: Connection,
        source: str,
        days: Sequence[date],
        zone: ZoneInfo,
        read_live: Callable[[list[date]], list[Totals]],
    ) -> None:
        """Store the settled days of `days` not stored yet, read with `read_live`; the
        stored ones are not read back."""
        settled = settled_days(days, zone)
        if not settled or not self._ready(conn):
            return
        stored = set(
            conn.execute(
                sa.select(report_daily_totals.c.day).where(_rows_of(source, settled))
            ).scalars()
        )
        missing = [day for day in settled if day not in stored]
        if missing:
            self._save(conn, source, dict(zip(missing, read_live(missing), strict=True)))

    def forget(self, since: date) -> int:
        """Delete the stored totals of `since` and later days; return how many went."""
        try:
            with self.engine.begin() as conn:
                if not sa.inspect(conn).has_table(TABLE_NAME):
                    return 0
                return conn.execute(
                    sa.delete(report_daily_totals).where(report_daily_totals.c.day >= since)
                ).rowcount
        except DBAPIError as exc:
            raise database_error(self.engine, exc) from None

    def _ready(self, conn: Connection) -> bool:
        """Create the table on first use; False (and one warning) when that is refused."""
        if self.usable is None:
            try:
                metadata.create_all(conn, checkfirst=True)
                conn.commit()
                self.usable = True
            except DBAPIError as exc:
                conn.rollback()
                # Another process may have created it between the check and the CREATE.
                self.usable = sa.inspect(conn).has_table(TABLE_NAME)
                if not self.usable:
                    self._warn(exc)
        return self.usable

    def _load(self, conn: Connection, source: str, days: list[date]) -> dict[date, Totals]:
        t = report_daily_totals
        rows = conn.execute(sa.select(t.c.day, t.c.totals).where(_rows_of(source, days)))
        wanted = set(days)
        return {row.day: json.loads(row.totals) for row in rows if row.day in wanted}

    def _save(self, conn: Connection, source: str, totals: dict[date, Totals]) -> None:
        if not totals:
            return
        now = datetime.now(UTC).replace(tzinfo=None)
        try:
            conn.execute(
                sa.insert(report_daily_totals),
                [
                    {"source": source, "day": day, "totals": json.dumps(values), "computed_at": now}
                    for day, values in totals.items()
                ],
            )
            conn.commit()
        except DBAPIError as exc:
            conn.rollback()
            if isinstance(exc, sa.exc.IntegrityError):
                return  # another process stored the same days meanwhile
            self.usable = False
            self._warn(exc)

    def _warn(self, exc: DBAPIError) -> None:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        log.warning(
            "per-day totals are not kept in %s (%s): every day is read from the tables",
            TABLE_NAME,
            reason,
        )
