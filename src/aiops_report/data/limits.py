"""A time limit on every statement, so that no query of the report runs away on a team's database.

Each database stops a statement past STATEMENT_TIMEOUT itself: PostgreSQL's
`statement_timeout`, MariaDB's `max_statement_time` (MySQL's `max_execution_time`),
ClickHouse's `max_execution_time` (clickhouse.session_settings), and on SQLite a progress
handler that interrupts the statement. PostgreSQL also checks every few seconds that the
client is still there (`client_connection_check_interval`), so a statement whose process was
killed stops too; Ctrl-C cancels it (psycopg sends the cancel request).

A statement waiting for a lock another session holds waits at most half of STATEMENT_TIMEOUT
(PostgreSQL's `lock_timeout`, MariaDB/MySQL's `lock_wait_timeout` and, never longer than its
own default, `innodb_lock_wait_timeout`): a process killed while its statement waits (the
reflection of a table behind a `LOCK TABLE`) leaves nothing waiting longer, and the wait is told
apart from a slow statement (`lock_waited`).

`connection_arguments` bounds the connection itself by DB_CONNECT_TIMEOUT: a server (or a
stalled proxy) that accepts the connection and never answers is given up on, on every engine.

`reading(part)` names the part of the report a statement belongs to, for the error message.
"""

from __future__ import annotations

import contextvars
import logging
import math
import re
import threading
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
MYSQL_LOCK_WAIT = 1205  # ER_LOCK_WAIT_TIMEOUT (metadata and row locks alike)
POSTGRESQL_LOCK_WAIT = "55P03"  # lock_not_available
# A lock is waited for at most this share of STATEMENT_TIMEOUT: the rest is the statement's own
# time, and the lock's limit comes first, so the error says "a lock", not "a slow statement".
LOCK_SHARE = 0.5
CATALOGS = {"pg_catalog", "information_schema"}  # what reflection reads: not the user's table

CANCEL_TIMEOUT = 5.0  # seconds a cancel request may take

log = logging.getLogger(__name__)

# The connections with a statement in progress, by id: a process-wide registry, because SIGTERM
# stops the whole process (its report's statements run on several threads at once).
_running: dict[int, tuple[Engine, Any]] = {}
_running_lock = threading.Lock()

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
    """The `-c` options of a PostgreSQL connection that limit its statements and lock waits."""
    if not timeout:
        return ""
    milliseconds = int(timeout.total_seconds() * 1000)
    return (
        f"-c statement_timeout={milliseconds} "
        f"-c lock_timeout={max(1, int(lock_wait(timeout).total_seconds() * 1000))} "
        f"-c client_connection_check_interval={CLIENT_CHECK_MS}"
    )


def lock_wait(timeout: timedelta) -> timedelta:
    """How long a statement limited to `timeout` may wait for a lock."""
    return timeout * LOCK_SHARE


def connection_arguments(
    backend: str, driver: str, connect_timeout: timedelta, statement_timeout: timedelta
) -> dict[str, Any]:
    """The DBAPI connect arguments that bound connecting, and waiting for a silent server.

    PostgreSQL (libpq's parameters): `connect_timeout` bounds the whole start-up (TCP and the
    server's first answers); TCP keepalives and `tcp_user_timeout` drop a connection whose
    server stopped acknowledging. MariaDB/MySQL: `connect_timeout`, and a read timeout (the
    handshake's; `bound_reads` widens it by the statement timeout once connected).
    """
    seconds = max(1, round(connect_timeout.total_seconds()))
    if backend == "postgresql":
        return {
            "connect_timeout": seconds,
            "keepalives": 1,
            "keepalives_idle": seconds,
            "keepalives_interval": max(1, seconds // 3),
            "keepalives_count": 3,
            "tcp_user_timeout": seconds * 1000,
        }
    if backend in {"mysql", "mariadb"} and driver in {"pymysql", "mysqldb"}:
        return {"connect_timeout": seconds, "read_timeout": seconds, "write_timeout": seconds}
    return {}


def bound_reads(engine: Engine, connect_timeout: timedelta, statement_timeout: timedelta) -> None:
    """Once a PyMySQL connection is made, a read waits for the statement's own limit and then
    DB_CONNECT_TIMEOUT more (no limit when STATEMENT_TIMEOUT is 0): the handshake's short read
    timeout would otherwise cut every statement longer than DB_CONNECT_TIMEOUT."""
    if engine.dialect.name not in {"mysql", "mariadb"} or engine.dialect.driver != "pymysql":
        return
    limit = (statement_timeout + connect_timeout).total_seconds() if statement_timeout else None

    @sa.event.listens_for(engine, "connect")
    def widen_reads(dbapi_connection: Any, connection_record: Any) -> None:
        # PyMySQL reads its `_read_timeout` before each read; it has no public setter.
        dbapi_connection._read_timeout = limit


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
        lock_seconds = max(1, math.ceil(lock_wait(timeout).total_seconds()))

        @sa.event.listens_for(engine, "connect")
        def limit_session(dbapi_connection: Any, connection_record: Any) -> None:
            mariadb = "mariadb" in dbapi_connection.get_server_info().lower()
            with dbapi_connection.cursor() as cursor:
                if mariadb:
                    cursor.execute(f"SET SESSION max_statement_time = {seconds:.3f}")
                else:  # MySQL limits SELECTs only, in milliseconds
                    cursor.execute(f"SET SESSION max_execution_time = {int(seconds * 1000)}")
                # Metadata locks (reflection behind LOCK TABLES, DDL) and InnoDB's row locks
                # (report_runs' claims; 50 s by default, never longer): whole seconds
                cursor.execute(f"SET SESSION lock_wait_timeout = {lock_seconds}")
                cursor.execute(
                    "SET SESSION innodb_lock_wait_timeout = "
                    f"LEAST(@@innodb_lock_wait_timeout, {lock_seconds})"
                )

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


def track_statements(engine: Engine) -> None:
    """Keep the connections of `engine` whose statement is in progress, for `cancel_running`."""

    @sa.event.listens_for(engine, "before_cursor_execute")
    def started(conn: Any, *_: Any) -> None:
        with _running_lock:
            _running[id(conn.connection.dbapi_connection)] = (engine, conn.connection)

    def ended(conn: Any) -> None:
        with _running_lock:
            _running.pop(id(conn.connection.dbapi_connection), None)

    if clickhouse.is_clickhouse(engine.dialect.name):
        # KILL QUERY finds a statement by its text: each SELECT carries a tag of its own.
        sa.event.listen(engine, "before_cursor_execute", clickhouse.tag_statement, retval=True)
    sa.event.listen(engine, "after_cursor_execute", lambda conn, *_: ended(conn))
    sa.event.listen(
        engine,
        "handle_error",
        lambda context: ended(context.connection) if context.connection is not None else None,
    )


def cancel_running() -> int:
    """Cancel, in its server, every statement this process has in progress (on any thread);
    returns how many were. PostgreSQL: psycopg's cancel request; MariaDB/MySQL: `KILL QUERY`
    from a connection of its own (PyMySQL has no cancel); ClickHouse: `KILL QUERY` of the
    statement's tag; SQLite: interrupt."""
    with _running_lock:
        running = list(_running.values())
    for engine, connection in running:
        dbapi_connection = connection.dbapi_connection
        try:
            if engine.dialect.name == "postgresql":
                dbapi_connection.cancel_safe(timeout=CANCEL_TIMEOUT)
            elif engine.dialect.name == "sqlite":
                dbapi_connection.interrupt()
            elif engine.dialect.name in {"mysql", "mariadb"}:
                _kill_query(engine, int(dbapi_connection.thread_id()))
            elif clickhouse.is_clickhouse(engine.dialect.name):
                clickhouse.kill_query(engine, connection.info.get(clickhouse.TAG))
        except Exception as exc:  # the process stops anyway; the server ends it later
            log.warning("could not cancel a statement on %s: %s", engine.dialect.name, exc)
    return len(running)


def _kill_query(engine: Engine, thread_id: int) -> None:
    killer = engine.raw_connection()
    try:
        killer.cursor().execute(f"KILL QUERY {thread_id}")
    finally:
        killer.invalidate()  # one use, then closed: never back to the pool


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


def lock_waited(engine: Engine, exc: DBAPIError) -> bool:
    """Whether the statement of `exc` was stopped waiting for a lock another session holds."""
    orig = exc.orig
    if engine.dialect.name == "postgresql":
        return getattr(orig, "sqlstate", None) == POSTGRESQL_LOCK_WAIT
    if engine.dialect.name in {"mysql", "mariadb"}:
        return bool(orig and orig.args and orig.args[0] == MYSQL_LOCK_WAIT)
    return False


def lock_message(engine: Engine, exc: DBAPIError, where: str) -> str:
    """One line: which part waited for a lock, on which table, and where to look."""
    timeout: timedelta | None = getattr(engine, "statement_timeout", None)
    waited = f" {lock_wait(timeout).total_seconds():g} s" if timeout else ""
    look = "pg_locks" if engine.dialect.name == "postgresql" else "SHOW PROCESSLIST"
    return (
        f"{_part_and_table(exc)} waited{waited} (half of STATEMENT_TIMEOUT) for a lock another "
        f"session holds on the {engine.dialect.name} database at {where} and was stopped: "
        f"{look} shows which session holds it; run the report again once it is released"
    )


def _part_and_table(exc: DBAPIError) -> str:
    part = getattr(exc, "report_part", None) or current_part() or "a statement of the report"
    table = re.search(r"\bFROM\s+[`\"]?(\w+)", exc.statement or "")
    if table is None or table[1].lower() in CATALOGS:  # reflection: the part names the table
        return part
    return f"{part} (reading {table[1]})"


def timeout_message(engine: Engine, exc: DBAPIError) -> str:
    """One line: which part ran too long, on which table, and what would help."""
    timeout: timedelta | None = getattr(engine, "statement_timeout", None)
    limit = f" ({timeout.total_seconds():g} s)" if timeout else ""
    return (
        f"{_part_and_table(exc)} ran longer than STATEMENT_TIMEOUT{limit} on the "
        f"{engine.dialect.name} database and was stopped: create the indexes "
        "`aiops-report doctor` recommends, or raise STATEMENT_TIMEOUT (e.g. STATEMENT_TIMEOUT=30m)"
    )
