"""ClickHouse as a source: the session settings that make it answer as PostgreSQL does, and
what differs in its tables (time zones in column types, engines, no indexes).

ClickHouse is read through clickhouse-connect's SQLAlchemy dialect (`clickhousedb://`, the
`clickhouse` extra); `?interface=chdb&path=DIR` runs the same engine inside the process.
Nothing here imports the driver, so that the rest of the package runs without the extra.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

DIALECT = "clickhousedb"
TAG = "aiops_query_tag"  # the connection's info key of its statement's tag
TIMEOUT_CODE = 159  # TIMEOUT_EXCEEDED: max_execution_time stopped the query
MATERIALIZED = "enable_materialized_cte"  # the setting that allows `WITH x AS MATERIALIZED`
CTE_DEFINITION = re.compile(r" AS \n\(")  # how SQLAlchemy writes a CTE: `x` AS \n(SELECT …)
SETTINGS_REFUSED = (
    "a user of readonly = 1 may not take the settings the report's numbers need: give it "
    "readonly = 2 (it still only reads)"
)
STATE_NEEDED = (
    "DATABASE_URL is a ClickHouse database, which the report only reads: set "
    "STATE_DATABASE_URL to a SQLite or PostgreSQL database for the delivery ledger and the "
    "kept totals (e.g. STATE_DATABASE_URL=sqlite:///./aiops-state.db)"
)


def is_clickhouse(name: str) -> bool:
    """Whether a dialect or URL backend name is ClickHouse's."""
    return name == DIALECT


def session_settings(statement_timeout: timedelta) -> dict[str, Any]:
    """The settings of every ClickHouse session, each one a difference from PostgreSQL that
    would otherwise change a number silently."""
    settings: dict[str, Any] = {
        # The missing side of a LEFT JOIN is NULL, not 0 or '' (no feedback is no dislike).
        "join_use_nulls": 1,
        # sum/avg/min/max over no rows are NULL, not 0 or nan (count() stays 0).
        "aggregate_functions_null_for_empty": 1,
        # CAST(NULL AS INTEGER) is NULL, as a CAST of a NULL is anywhere else (not an error).
        "cast_keep_nullable": 1,
        # COUNT(DISTINCT) exact, whatever the server's default (uniq is approximate).
        "count_distinct_implementation": "uniqExact",
        # Tables of the ReplacingMergeTree family hold an updated row twice until a merge:
        # read them deduplicated. Tables where FINAL does not apply are read as they are.
        "final": 1,
        # Time literals are read in UTC and bare DateTime values come back as UTC wall
        # clock, whatever the server's zone: DB_TIMEZONE then reads them as it does elsewhere.
        "session_timezone": "UTC",
        # A SELECT whose client went away (a killed process) is cancelled by the server.
        "cancel_http_readonly_queries_on_client_close": 1,
    }
    if statement_timeout:
        settings["max_execution_time"] = max(statement_timeout.total_seconds(), 0.001)
    return settings


def column_zone(column_type: sa.types.TypeEngine[Any]) -> str | None:
    """The time zone of a DateTime('zone') / DateTime64(p, 'zone') column, else None."""
    type_def = getattr(column_type, "type_def", None)
    for value in getattr(type_def, "values", ()):
        if isinstance(value, str):
            return value.strip("'")
    return None


def instant(value: datetime) -> sa.ColumnElement[Any]:
    """An aware instant as a ClickHouse DateTime64(6): compared with any DateTime column by
    the instant it holds, whatever zone the column shows (no text parsed in a zone)."""
    micros = round(value.astimezone(UTC).timestamp() * 1_000_000)
    return sa.func.fromUnixTimestamp64Micro(sa.literal(micros, sa.BigInteger()), "UTC")


def timed_out(orig: BaseException | None) -> bool:
    """Whether ClickHouse stopped the statement for running past max_execution_time."""
    text = str(orig or "")
    return f"Code: {TIMEOUT_CODE}." in text or "TIMEOUT_EXCEEDED" in text


def error_line(orig: BaseException | None) -> str:
    """ClickHouse's reason in one line, without its stack trace and version trailer (and
    what to do when a read-only user refuses the session settings)."""
    text = str(orig or "").strip()
    match = re.search(
        r"Code: \d+\. DB::Exception: (.*?)(?: \(\w+\))?(?: \(version [^)]*\))?$",
        text.splitlines()[0] if text else "",
    )
    line = match[1] if match else (text.splitlines()[0] if text else "")
    if "setting in readonly mode" in line:
        line = f"{line.rstrip('.')}: {SETTINGS_REFUSED}"
    return line


def table_engine(order_by: str = "created_at", *, replacing: bool = False) -> Any:
    """The engine of a table created on ClickHouse: MergeTree (or ReplacingMergeTree) sorted
    by `order_by`."""
    from clickhouse_connect.cc_sqlalchemy.ddl.tableengine import MergeTree, ReplacingMergeTree

    return ReplacingMergeTree(order_by=order_by) if replacing else MergeTree(order_by=order_by)


def column(generic: sa.Column[Any], zone: str | None = None) -> sa.Column[Any]:
    """`generic` (a column of SQLAlchemy's generic types) as a ClickHouse column: Float is
    Float64 (ClickHouse's FLOAT is 32 bits), a timestamp DateTime64(6) (in `zone` when given),
    Nullable unless the column is NOT NULL."""
    from clickhouse_connect.cc_sqlalchemy.datatypes import sqltypes as ch

    kind = generic.type
    chosen: Any
    if isinstance(kind, sa.DateTime):
        chosen = ch.DateTime64(6, zone) if zone else ch.DateTime64(6)
    elif isinstance(kind, sa.Boolean):
        chosen = ch.Bool()
    elif isinstance(kind, sa.BigInteger):
        chosen = ch.Int64()
    elif isinstance(kind, sa.SmallInteger):
        chosen = ch.Int16()
    elif isinstance(kind, sa.Integer):
        chosen = ch.Int32()
    elif isinstance(kind, sa.Float):
        chosen = ch.Float64()
    elif isinstance(kind, sa.Numeric):
        chosen = ch.Decimal(kind.precision or 18, kind.scale or 0)
    else:
        chosen = ch.String()
    if generic.nullable and not generic.primary_key:
        chosen = ch.Nullable(chosen)
    return sa.Column(generic.name, chosen)


# Engines whose rows no merge changes: a count of a day's rows sees each row added or deleted.
COUNTED_ENGINES = frozenset(
    {"MergeTree", "ReplicatedMergeTree", "SharedMergeTree", "Memory", "Log", "TinyLog"}
)


def uncounted_tables(conn: sa.Connection, tables: Sequence[sa.Table]) -> dict[str, str]:
    """Those of `tables` whose kept totals no count of rows proves current: a table of the
    ReplacingMergeTree family holds an update as the row inserted again until a merge
    removes the older one, so the day's count read FINAL is the same before and after the
    update; a view, or any other engine, may read such a table. {name: engine}."""
    found = {}
    for table in tables:
        database = "currentDatabase()" if table.schema is None else ":database"
        engine = conn.execute(
            sa.text(f"SELECT engine FROM system.tables WHERE database = {database} AND name = :t"),
            {"t": table.name, "database": table.schema},
        ).scalar()
        if engine not in COUNTED_ENGINES:
            found[table.name] = str(engine)
    return found


def sorted_by_time(engine: Engine, table: str, column: str) -> bool:
    """Whether `column` leads the table's sorting key, or a minmax skip index covers it."""
    with engine.connect() as conn:
        key = conn.execute(
            sa.text(
                "SELECT sorting_key FROM system.tables "
                "WHERE database = currentDatabase() AND name = :t"
            ),
            {"t": table},
        ).scalar()
        indexed = conn.execute(
            sa.text(
                "SELECT count() FROM system.data_skipping_indices "
                "WHERE database = currentDatabase() AND table = :t AND expr = :c"
            ),
            {"t": table, "c": column},
        ).scalar()
    first = (key or "").split(",")[0].strip().strip("`")
    return first == column or bool(indexed)


def skip_index_statement(table: str, column: str) -> str:
    """The statement that gives a ClickHouse table's time column a minmax skip index (and
    builds it for the rows already there)."""
    index = f"`ix_{table}_{column}`"
    add = f"ADD INDEX {index} `{column}` TYPE minmax"
    return f"ALTER TABLE `{table}` {add}, MATERIALIZE INDEX {index};"


def materialize_on_connect(dbapi_connection: Any, record: Any) -> None:
    """On a new connection, turn on materialized CTEs where the server has them (the engine
    in process, ClickHouse 26.x, does), and mark the connection for `materialize_ctes`."""
    client = dbapi_connection.client
    if client.command(f"SELECT count() FROM system.settings WHERE name = '{MATERIALIZED}'"):
        client.set_client_setting(MATERIALIZED, 1)
        record.info[MATERIALIZED] = True


def materialize_ctes(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> tuple[str, Any]:
    """A statement whose CTEs ClickHouse computes once each (`AS MATERIALIZED`), however
    often it reads them: ClickHouse otherwise puts a CTE's query in place of each reference
    and runs it again there (a CTE read by an IN and three joins, four times)."""
    if not conn.connection.info.get(MATERIALIZED):
        return statement, parameters
    if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
        return statement, parameters
    statement = CTE_DEFINITION.sub(" AS MATERIALIZED (", statement)
    if context is not None:
        context.statement = statement  # the dialect compares the two
    return statement, parameters


def tag_statement(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> tuple[str, Any]:
    """A SELECT with a comment of its own (`/* aiops-<uuid> */`), kept on the connection, by
    which `kill_query` finds it in system.processes. Other statements are left as they are
    (the driver writes an INSERT's rows in its own way only when its text is its own)."""
    if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
        return statement, parameters
    tag = f"aiops-{uuid.uuid4().hex}"
    statement = f"{statement} /* {tag} */"
    conn.connection.info[TAG] = tag
    if context is not None:
        context.statement = statement  # the dialect compares the two
    return statement, parameters


def kill_query(engine: Engine, tag: str | None) -> None:
    """KILL QUERY the statement tagged `tag`, from a connection of its own."""
    if tag is None:
        return
    with engine.connect() as conn:
        conn.execute(
            sa.text("KILL QUERY WHERE query LIKE :pattern AND query NOT ILIKE 'KILL%' ASYNC"),
            {"pattern": f"%{tag}%"},
        )
