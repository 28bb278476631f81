"""The database connection: the engines of DATABASE_URL and STATE_DATABASE_URL, and the
one-line error of a failed statement."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import NullPool

from aiops_report.data import clickhouse
from aiops_report.data.column_values import sqlite_number
from aiops_report.data.config import Settings
from aiops_report.data.limits import (
    bound_reads,
    connection_arguments,
    limit_statements,
    lock_message,
    lock_waited,
    postgresql_options,
    timed_out,
    timeout_message,
    track_statements,
)
from aiops_report.errors import (
    AiopsReportError,
    ConfigError,
    DatabaseError,
    DatabaseUnreachable,
    LockTimeout,
    MissingDatabaseFile,
    StatementTimeout,
)
from aiops_report.extras import extra_of, require


def make_engine(settings: Settings, *, create: bool = False) -> Engine:
    """Create the engine for DATABASE_URL (no connection is made yet).

    A SQLite file that does not exist is an error (MissingDatabaseFile), never a new empty
    database, unless `create` (init-db, demo-data). ClickHouse is only read: without
    STATE_DATABASE_URL it is a ConfigError, except to create tables (init-db, demo-data).
    """
    if (
        clickhouse.is_clickhouse(settings.url.get_backend_name())
        and settings.state_database_url is None
        and not create
    ):
        raise ConfigError(clickhouse.STATE_NEEDED)
    return _engine(settings.url, "DATABASE_URL", _limits(settings), create=create)


def state_engine(engine: Engine, settings: Settings) -> Engine:
    """Where report_runs and the kept totals live: STATE_DATABASE_URL's database when set
    (the chatbot's database is then only read), else `engine`'s."""
    if settings.state_database_url is None:
        return engine
    return _state_engine(settings.state_database_url, _limits(settings))


@dataclass(frozen=True)
class _Limits:
    statement: timedelta  # STATEMENT_TIMEOUT
    connect: timedelta  # DB_CONNECT_TIMEOUT


def _limits(settings: Settings) -> _Limits:
    return _Limits(settings.statement_timeout, settings.db_connect_timeout)


@functools.cache
def _state_engine(url: str, limits: _Limits) -> Engine:
    # One engine per URL for the process; no pool, so no connection outlives its use.
    return _engine(make_url(url), "STATE_DATABASE_URL", limits, create=True, pooled=False)


def _engine(
    url: URL, setting: str, limits: _Limits, *, create: bool, pooled: bool = True
) -> Engine:
    if url.get_backend_name() in {"mysql", "mariadb"} and "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})  # Hangul and emoji need utf8mb4
    if url.get_backend_name() == "sqlite" and not create:
        _require_sqlite_file(url, setting)
    connect_args = connection_arguments(
        url.get_backend_name(), url.get_driver_name(), limits.connect, limits.statement
    )
    if clickhouse.is_clickhouse(url.get_backend_name()):
        if setting == "STATE_DATABASE_URL":
            raise ConfigError(
                "STATE_DATABASE_URL is a ClickHouse database, which cannot keep the delivery "
                "ledger (it needs transactions): use SQLite or PostgreSQL"
            )
        # Settings of the URL's query win: a team may know better for its cluster.
        connect_args |= {
            name: value
            for name, value in clickhouse.session_settings(limits.statement).items()
            if name not in url.query
        }
    if url.get_backend_name() == "postgresql":
        # The report's aggregates run a few seconds at most: compiling them with JIT costs
        # more than it saves (measured: 5.4 s with JIT, 3.1 s without, on a million rows).
        own = f"-c jit=off {postgresql_options(limits.statement)}"
        # connect_args replace the URL's own `options` (?options=-csearch_path%3Dchat): keep
        # them, after the project's, so that what the URL says wins.
        theirs = url.query.get("options", ())
        connect_args["options"] = " ".join(
            [own, *([theirs] if isinstance(theirs, str) else theirs)]
        )
    try:
        engine = sa.create_engine(
            url,
            pool_pre_ping=True,
            connect_args=connect_args,
            **({} if pooled else {"poolclass": NullPool}),
        )
    except ModuleNotFoundError as exc:
        extra = extra_of(exc.name)
        if extra is None:
            raise ConfigError(f"{setting} cannot be used: {exc}") from None
        require(extra, f"{setting} ({url.get_backend_name()})")
        raise  # the extra is installed, yet its module is not found: a broken install
    except (NoSuchModuleError, ArgumentError) as exc:
        raise ConfigError(f"{setting} cannot be used: {exc}") from None
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _add_sqlite_functions)
    if clickhouse.is_clickhouse(engine.dialect.name):
        sa.event.listen(engine, "connect", clickhouse.materialize_on_connect)
        sa.event.listen(engine, "before_cursor_execute", clickhouse.materialize_ctes, retval=True)
    engine.connect_timeout = limits.connect  # type: ignore[attr-defined]  # read by the error
    limit_statements(engine, limits.statement)
    track_statements(engine)
    bound_reads(engine, limits.connect, limits.statement)
    return engine


def _require_sqlite_file(url: URL, setting: str) -> None:
    """Raise MissingDatabaseFile when `url` names a SQLite file that does not exist."""
    database = url.database or ""
    if database in {"", ":memory:"} or url.query.get("mode") == "memory":
        return
    path = Path(database.removeprefix("file:").split("?")[0])
    if not path.exists():
        raise MissingDatabaseFile(
            f"{setting} names the SQLite file {path}, which does not exist: check the path "
            "(relative paths start in the current folder), or create it with "
            "`aiops-report init-db`"
        )


def _add_sqlite_functions(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite has no test of "is this text a number": `ChatbotTables.score` calls this one."""
    dbapi_connection.create_function("aiops_number", 1, sqlite_number, deterministic=True)


def describe(engine: Engine) -> str:
    """Where the engine points, with the password hidden."""
    return engine.url.render_as_string(hide_password=True)


def check_connection(engine: Engine) -> None:
    """Open and close one connection; raise DatabaseUnreachable naming host and port."""
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        raise unreachable(engine, exc) from None


def database_error(engine: Engine, exc: DBAPIError) -> AiopsReportError:
    """The one-line error for a failed statement: unreachable, or the database's own reason."""
    if timed_out(engine, exc):
        return StatementTimeout(timeout_message(engine, exc))
    if lock_waited(engine, exc):
        return LockTimeout(lock_message(engine, exc, _where(engine)))
    if exc.statement is None:  # connecting failed: no statement was sent
        return unreachable(engine, exc)
    try:  # "operational" covers a lost server and a locked table alike: tell them apart
        with engine.connect():
            pass
    except DBAPIError:
        return unreachable(engine, exc)
    return DatabaseError(
        f"the {engine.dialect.name} database at {_where(engine)} answered: {_reason(exc)}"
    )


def unreachable(engine: Engine, exc: DBAPIError) -> DatabaseUnreachable:
    """The one-line error for a connection that failed: `exc` says why."""
    waited: timedelta | None = getattr(engine, "connect_timeout", None)
    silent = f" (waited DB_CONNECT_TIMEOUT, {waited.total_seconds():g} s)" if waited else ""
    reason = _reason(exc)
    if not any(word in reason.lower() for word in ("timeout", "timed out")):
        silent = ""
    return DatabaseUnreachable(
        f"cannot reach the {engine.dialect.name} database at {_where(engine)} "
        f"({describe(engine)}): {reason}{silent}"
    )


def _where(engine: Engine) -> str:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"file {url.database}"
    if url.query.get("interface") == "chdb":
        return f"folder {url.query.get('path') or 'in memory'} (in process)"
    return f"{url.host or 'localhost'}:{url.port or 'default port'}"


def _reason(exc: DBAPIError) -> str:
    if type(exc.orig).__module__.startswith("clickhouse_connect"):
        return clickhouse.error_line(exc.orig)
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
