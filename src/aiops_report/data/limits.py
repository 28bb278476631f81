"""A time limit on every statement, so that no query of the report runs away on a team's database.

Each database stops a statement past STATEMENT_TIMEOUT itself: PostgreSQL's
`statement_timeout`, MariaDB's `max_statement_time` (MySQL's `max_execution_time`), ClickHouse's `max_execution_time`
(clickhouse.session_settings), and on SQLite a progress handler that interrupts the statement. PostgreSQL also checks every few
seconds that the client is still there (`client_connection_check_interval`), so a statement
whose process was killed stops too; Ctrl-C cancels it (psycopg sends the cancel request).

`reading(part)` names the part of the report a statement belongs to, for the error message.
"""

from __future__ import annotations

import contextvars
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from aiops_report.data import clickhouse

SQLITE_CHECK_EVERY = 10_000  # SQLite virtual machine steps between two looks at the clock
CLIENT_CHECK_MS = 5_000  # how often PostgreSQL checks that the client is still connected
MARIADB_TIMEOUT = 1969  # ER_STATEMENT_TIMEOUT
MYSQL_TIMEOUT = 3024  # ER_QUERY_TIMEOUT

_part: contextvars.ContextVar[str | None] = contextvars.ContextVar("part", default=None)


@contextmanager
def reading(part: str) -> Iterator[None]:
    """Statements run inside belong to `part` of the report (named when one times out)."""
    token = _part.set(part)
    try:
        yield
    finally:
        _part.reset(token)


def current_part() -> str | None:
    return _part.get()


def postgresql_options(timeout: timedelta) -> str:
    """The `-c` options of a PostgreSQL connection that limit its statements."""
    if not timeout:
        return ""
    milliseconds = int(timeout.total_seconds() * 1000)
    return (
        f"-c statement_timeout={milliseconds} -c client_connection_check_interval={CLIENT_CHECK_MS}"
    )


def limit_statements(engine: Engine, timeout: timedelta) -> None:
    """Limit each statement of `engine` on MariaDB/MySQL and SQLite (PostgreSQL: options)."""
    if not timeout:
        return
    seconds = timeout.total_seconds()
    engine.statement_timeout = timeout  # type: ignore[attr-defined]  # read by the error

    @sa.event.listens_for(engine, "handle_error")
    def name_the_part(context: sa.engine.ExceptionContext) -> None:
        """The part is known where the statement failed, not always where it is reported."""
        if context.sqlalchemy_exception is not None:
            context.sqlalchemy_exception.report_part = current_part()  # type: ignore[attr-defined]

    if engine.dialect.name in {"mysql", "mariadb"}:

        @sa.event.listens_for(engine, "connect")
        def limit_session(dbapi_connection: Any, connection_record: Any) -> None:
            mariadb = "mariadb" in dbapi_connection.get_server_info().lower()
            with dbapi_connection.cursor() as cursor:
                if mariadb:
                    cursor.execute(f"SET SESSION max_statement_time = {seconds:.3f}")
                else:  # MySQL limits SELECTs only, in milliseconds
                    cursor.execute(f"SET SESSION max_execution_time = {int(seconds * 1000)}")

    elif engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def watch_clock(dbapi_connection: Any, connection_record: Any) -> None:
            deadline = connection_record.info["statement_deadline"] = [float("inf")]
            dbapi_connection.set_progress_handler(
                lambda: time.monotonic() > deadline[0], SQLITE_CHECK_EVERY
            )

        @sa.event.listens_for(engine, "before_cursor_execute")
        def start_clock(conn: Any, *_: Any) -> None:
            conn.info["statement_deadline"][0] = time.monotonic() + seconds

        @sa.event.listens_for(engine, "checkin")
        def stop_clock(dbapi_connection: Any, connection_record: Any) -> None:
            connection_record.info["statement_deadline"][0] = float("inf")


def timed_out(engine: Engine, exc: DBAPIError) -> bool:
    """Whether the database stopped the statement of `exc` for running too long."""
    orig = exc.orig
    if engine.dialect.name == "postgresql":
        return getattr(orig, "sqlstate", None) == "57014" and "timeout" in str(orig)
    if engine.dialect.name in {"mysql", "mariadb"}:
        return bool(orig and orig.args and orig.args[0] in {MARIADB_TIMEOUT, MYSQL_TIMEOUT})
    if clickhouse.is_clickhouse(engine.dialect.name):
        return clickhouse.timed_out(orig)
    return "interrupted" in str(orig)


def timeout_message(engine: Engine, exc: DBAPIError) -> str:
    """One line: which part ran too long, on which table, and what would help."""
    timeout: timedelta | None = getattr(engine, "statement_timeout", None)
    limit = f" ({timeout.total_seconds():g} s)" if timeout else ""
    part = getattr(exc, "report_part", None) or current_part() or "a statement of the report"
    table = re.search(r"\bFROM\s+[`\"]?(\w+)", exc.statement or "")
    on = f" (reading {table[1]})" if table else ""
    return (
        f"{part}{on} ran longer than STATEMENT_TIMEOUT{limit} on the {engine.dialect.name} "
        "database and was stopped: create the indexes `aiops-report doctor` recommends, or raise "
        "STATEMENT_TIMEOUT (e.g. STATEMENT_TIMEOUT=30m)"
    )
