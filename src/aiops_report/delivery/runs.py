"""The `report_runs` ledger: which week went to which channel, so that it goes only once.

One row per (week, channel), claimed atomically: the INSERT of a new row, or a conditional
UPDATE of an existing one, succeeds for exactly one process however many run at once.
A claim is a lease: a run that crashed mid-way is taken over once its lease has expired.
Beside it, `report_once` records one-off events by key (an alert, a Slack request, a
correction), so that any number of processes act on each once (an alert or a correction
whose process died while sending it is taken over once its lease has expired);
`report_figures` keeps the headline figures each delivery carried, so that a week that changes
later is restated.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, NoResultFound

from aiops_report.data.db import database_error, unreachable
from aiops_report.data.periods import Period
from aiops_report.errors import AiopsReportError, DatabaseError, DatabaseUnreachable

Status = Literal["running", "generated", "delivered", "failed"]
LEASE = timedelta(minutes=30)  # longer than a report build plus Slack's bounded retries
TABLE_NAME = "report_runs"
ONCE_TABLE_NAME = "report_once"
FIGURES_TABLE_NAME = "report_figures"

metadata = sa.MetaData()
report_runs = sa.Table(
    TABLE_NAME,
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("channel", sa.String(100), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("file_path", sa.Text),
    sa.Column("slack_file_id", sa.String(64)),
    sa.Column("permalink", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lease_until", sa.DateTime),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("period_start", "period_end", "channel", name="uq_report_runs_week"),
    mysql_charset="utf8mb4",
    mariadb_charset="utf8mb4",
)

report_once = sa.Table(
    ONCE_TABLE_NAME,
    metadata,
    sa.Column("event_key", sa.String(255), primary_key=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    mysql_charset="utf8mb4",
    mariadb_charset="utf8mb4",
)


report_figures = sa.Table(
    FIGURES_TABLE_NAME,
    metadata,
    # The run (report_runs.id) whose delivery carried these figures; no foreign key, so that
    # the table can be added beside a ledger of an earlier version without touching it.
    sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("segment", sa.Text),
    sa.Column("figures", sa.Text, nullable=False),  # JSON: {metric: value}
    sa.Column("updated_at", sa.DateTime, nullable=False),
    mysql_charset="utf8mb4",
    mariadb_charset="utf8mb4",
)
TABLE_NAMES = (TABLE_NAME, ONCE_TABLE_NAME, FIGURES_TABLE_NAME)


@dataclass(frozen=True)
class Figures:
    """The headline figures a run delivered (or last restated), and of which segment."""

    run_id: int
    segment: str | None
    values: dict[str, float | None]
    updated_at: datetime | None = None  # None: read from the report's JSON, never kept


@dataclass(frozen=True)
class Run:
    """One row of the ledger."""

    id: int
    period_start: date
    period_end: date
    channel: str
    status: Status
    file_path: str | None
    slack_file_id: str | None
    permalink: str | None
    error: str | None
    attempts: int
    lease_until: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a week: `run` is ours to work on when `claimed` is True."""

    claimed: bool
    run: Run
    reason: str = ""


def _pending(event_key: str) -> str:
    """The key marking `event_key` as claimed and not done yet."""
    return f"{event_key}:pending"


def utcnow() -> datetime:
    """Now, as the naive UTC time the ledger stores."""
    return datetime.now(UTC).replace(tzinfo=None)


class RunLedger:
    """Reads and writes `report_runs`; creates the table on first use."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._ready = False

    def ensure_table(self) -> None:
        """Create the ledger's tables unless they exist; raises DatabaseUnreachable or
        DatabaseError (naming STATE_DATABASE_URL) without asking the database again."""
        if self._ready:
            return
        try:
            conn = self.engine.connect()
        except DBAPIError as exc:  # the server is down: nothing more to ask it
            raise unreachable(self.engine, exc) from None
        with conn:
            for attempt in range(3):
                try:
                    with conn.begin():
                        metadata.create_all(conn, checkfirst=True)
                    break
                except DBAPIError as exc:
                    # Another process may have created some of them between the check and the
                    # CREATE (on SQLite one table at a time): check again, then create the rest.
                    created = self._has_tables(conn)
                    conn.rollback()  # the look ended the transaction the next attempt needs
                    if created:
                        break
                    if attempt == 2:
                        raise self._cannot_create(exc) from None
        self._ready = True

    @staticmethod
    def _has_tables(conn: sa.Connection) -> bool:
        try:
            inspector = sa.inspect(conn)
            return all(inspector.has_table(name) for name in TABLE_NAMES)
        except DBAPIError:  # MariaDB refuses even to look at a table the user may not read
            return False

    def _cannot_create(self, exc: DBAPIError) -> AiopsReportError:
        error = database_error(self.engine, exc)
        if isinstance(error, DatabaseUnreachable):
            return error
        return DatabaseError(
            f"{TABLE_NAME} cannot be created: {error}; with a read-only DATABASE_URL, set "
            "STATE_DATABASE_URL to a database the report may write to"
        )

    def claim(
        self,
        period: Period,
        channel: str,
        *,
        force: bool = False,
        shown: str | None = None,
        formerly: Collection[str] = (),
    ) -> Claim:
        """Take the week for `channel` (the destination's key) for this process, unless it is
        delivered (also under a key it `formerly` had) or another run holds it; `shown` is
        how reasons name the destination."""
        self.ensure_table()
        shown = shown or channel
        if not force and (earlier := self._delivered_under(period, formerly)):
            reason = f"the week {period.start} was already delivered to {shown}"
            return Claim(False, earlier, reason)
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    sa.insert(report_runs).values(
                        period_start=period.start,
                        period_end=period.end,
                        channel=channel,
                        status="running",
                        attempts=1,
                        lease_until=now + LEASE,
                        created_at=now,
                        updated_at=now,
                    )
                )
            return Claim(True, self._find(period, channel))
        except IntegrityError:
            pass  # the week has a row already: take it over below if its state allows
        existing = self._find(period, channel)
        takeover = sa.or_(
            report_runs.c.status.in_(["generated", "failed"]),
            sa.and_(report_runs.c.status == "running", report_runs.c.lease_until < now),
            sa.and_(sa.literal(force), report_runs.c.status == "delivered"),
        )
        with self.engine.begin() as conn:
            taken = conn.execute(
                sa.update(report_runs)
                .where(report_runs.c.id == existing.id, takeover)
                .values(
                    status="running",
                    attempts=report_runs.c.attempts + 1,
                    lease_until=now + LEASE,
                    updated_at=now,
                )
            ).rowcount
        if taken:
            return Claim(True, self.get(existing.id))
        current = self.get(existing.id)
        if current.status == "delivered":
            reason = f"the week {period.start} was already delivered to {shown}"
        else:
            reason = (
                f"another run is working on the week {period.start} "
                f"(its claim lasts until {current.lease_until:%H:%M} UTC)"
            )
        return Claim(False, current, reason)

    def first_time(self, event_key: str, *, lease: timedelta | None = None) -> bool:
        """Record an event once: True for the one process that records it first, else False.

        With `lease`, the event stays pending until `done(event_key)`: one pending for more
        than `lease` (its process died on the way) is taken over, by one process.
        """
        self.ensure_table()
        now = utcnow()
        keys = [event_key, *([_pending(event_key)] if lease is not None else [])]
        try:
            with self.engine.begin() as conn:
                for key in keys:
                    conn.execute(sa.insert(report_once).values(event_key=key, created_at=now))
        except IntegrityError:
            return lease is not None and self._take_over(event_key, now - lease)
        return True

    def done(self, event_key: str) -> None:
        """The event recorded by `first_time(event_key, lease=...)` is done: no longer
        pending, never taken over."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.delete(report_once).where(report_once.c.event_key == _pending(event_key))
            )

    def _take_over(self, event_key: str, pending_since: datetime) -> bool:
        """Claim anew an event pending since before `pending_since`: True for one process
        (a conditional UPDATE of its pending mark)."""
        now = utcnow()
        with self.engine.begin() as conn:
            taken = conn.execute(
                sa.update(report_once)
                .where(
                    report_once.c.event_key == _pending(event_key),
                    report_once.c.created_at < pending_since,
                )
                .values(created_at=now)
            )
        return taken.rowcount == 1

    def forget(self, event_key: str) -> None:
        """Undo `first_time(event_key)`: the event failed, and the next try may record it."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.delete(report_once).where(
                    report_once.c.event_key.in_([event_key, _pending(event_key)])
                )
            )

    def update(self, run_id: int, **values: Any) -> Run:
        """Record progress of a claimed run (status, file, Slack ids, error)."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(report_runs)
                .where(report_runs.c.id == run_id)
                .values(**values, updated_at=utcnow())
            )
        return self.get(run_id)

    def get(self, run_id: int) -> Run:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(report_runs).where(report_runs.c.id == run_id)).one()
        return Run(**row._mapping)

    def _delivered_under(self, period: Period, channels: Collection[str]) -> Run | None:
        if not channels:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(report_runs).where(
                    report_runs.c.period_start == period.start,
                    report_runs.c.period_end == period.end,
                    report_runs.c.channel.in_(list(channels)),
                    report_runs.c.status == "delivered",
                )
            ).first()
        return None if row is None else Run(**row._mapping)

    def _find(self, period: Period, channel: str) -> Run:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(report_runs).where(
                    report_runs.c.period_start == period.start,
                    report_runs.c.period_end == period.end,
                    report_runs.c.channel == channel,
                )
            ).one()
        return Run(**row._mapping)

    def find(self, period: Period, channel: str) -> Run | None:
        """The week's run for `channel`, or None when it has none."""
        self.ensure_table()
        try:
            return self._find(period, channel)
        except NoResultFound:
            return None

    def history(self, limit: int = 50) -> list[Run]:
        """The latest runs, newest week first."""
        self.ensure_table()
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(report_runs)
                .order_by(report_runs.c.period_start.desc(), report_runs.c.id.desc())
                .limit(limit)
            )
            return [Run(**row._mapping) for row in rows]

    def delivered_between(self, start: date, end: date) -> list[Run]:
        """The delivered runs of the weeks that start in [start, end), oldest week first;
        none, and nothing created, where the ledger does not exist yet (a read-only database
        that never delivered is only read)."""
        if not self._ready:
            with self.engine.connect() as conn:
                if not sa.inspect(conn).has_table(TABLE_NAME):
                    return []
            self.ensure_table()  # a ledger of an earlier version gets report_figures beside it
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(report_runs)
                .where(
                    report_runs.c.status == "delivered",
                    report_runs.c.period_start >= start,
                    report_runs.c.period_start < end,
                )
                .order_by(report_runs.c.period_start, report_runs.c.id)
            )
            return [Run(**row._mapping) for row in rows]

    def keep_figures(
        self, run_id: int, segment: str | None, values: dict[str, float | None]
    ) -> None:
        """Record the figures run `run_id` delivered (or restated), replacing earlier ones."""
        self.ensure_table()
        row = {"segment": segment, "figures": json.dumps(values), "updated_at": utcnow()}
        with self.engine.begin() as conn:
            changed = conn.execute(
                sa.update(report_figures).where(report_figures.c.run_id == run_id).values(**row)
            ).rowcount
            if not changed:
                try:
                    with conn.begin_nested():
                        conn.execute(sa.insert(report_figures).values(run_id=run_id, **row))
                except IntegrityError:  # another process recorded it first: ours is as new
                    conn.execute(
                        sa.update(report_figures)
                        .where(report_figures.c.run_id == run_id)
                        .values(**row)
                    )

    def figures(self, run_ids: Collection[int]) -> dict[int, Figures]:
        """The figures kept for each of `run_ids` that has them."""
        self.ensure_table()
        if not run_ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(report_figures).where(report_figures.c.run_id.in_(list(run_ids)))
            )
            return {
                row.run_id: Figures(
                    row.run_id, row.segment, json.loads(row.figures), row.updated_at
                )
                for row in rows
            }
