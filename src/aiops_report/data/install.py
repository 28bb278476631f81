"""The schema of a new install (`init-db`), and the `created_at` indexes a team's tables lack."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from aiops_report.data import clickhouse
from aiops_report.data.config import Settings
from aiops_report.data.db import database_error
from aiops_report.data.mapping import ROLES, TableRole
from aiops_report.data.tables import ChatbotTables, mapping_of

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER only
_TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def schema(settings: Settings, dialect: str = "") -> sa.MetaData:
    """The full schema (docs/your-database.md), with an index on every `created_at`.

    On ClickHouse (`dialect`), which has no such indexes, each table is a MergeTree sorted by
    `created_at` and its ids are given by the writer (no autoincrement).
    """
    metadata = sa.MetaData()
    mapping = mapping_of(settings)
    on_clickhouse = clickhouse.is_clickhouse(dialect)

    def table(role: TableRole, *columns: sa.Column[Any], linked: bool = False) -> None:
        name, schema_name = mapping.table(role).table, mapping.table(role).schema
        if on_clickhouse:
            sa.Table(
                name,
                metadata,
                *(
                    clickhouse.column(c)
                    for c in (
                        sa.Column("id", sa.BigInteger, nullable=False),
                        *columns,
                        sa.Column("created_at", sa.DateTime, nullable=False),
                    )
                ),
                schema=schema_name,
                clickhousedb_engine=clickhouse.table_engine(),
            )
            return
        indexes = [sa.Index(f"ix_{name}_created_at", "created_at")]
        if linked:
            indexes.append(sa.Index(f"ix_{name}_conversation_id", "conversation_id"))
        sa.Table(
            name,
            metadata,
            sa.Column("id", _ID, primary_key=True, autoincrement=True),
            *columns,
            sa.Column("created_at", _TIMESTAMP, nullable=False),
            *indexes,
            schema=schema_name,
            mysql_charset="utf8mb4",
            mariadb_charset="utf8mb4",
        )

    table(
        "conversations",
        sa.Column("user_id", sa.String(64)),
        sa.Column("session_id", sa.String(64)),
        sa.Column("user_message", sa.Text),
        sa.Column("ai_response", sa.Text),
        sa.Column("model", sa.String(100)),
        sa.Column("latency_ms", sa.Integer),
        sa.Column("prompt_tokens", sa.Integer),
        sa.Column("completion_tokens", sa.Integer),
        *(
            [sa.Column(segment, sa.String(100))]
            if (segment := mapping.table("conversations").columns.get("segment"))
            else []
        ),
    )
    table(
        "feedback",
        sa.Column("conversation_id", sa.BigInteger),
        sa.Column("feedback", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text),
        linked=True,
    )
    table(
        "evaluations",
        sa.Column("conversation_id", sa.BigInteger),
        sa.Column("score", sa.Float),
        sa.Column("evaluator", sa.String(100)),
        sa.Column("reason", sa.Text),
        linked=True,
    )
    return metadata


def create_schema(engine: Engine, settings: Settings) -> dict[str, bool]:
    """Create the tables that do not exist yet; return {table: created}. Never alters a table."""
    metadata = schema(settings, engine.dialect.name)
    try:
        inspector = sa.inspect(engine)
        existing = {
            key
            for key, table in metadata.tables.items()
            if inspector.has_table(table.name, schema=table.schema)
        }
        metadata.create_all(engine, checkfirst=True)
    except DBAPIError as exc:
        raise database_error(engine, exc) from None
    return {name: name not in existing for name in metadata.tables}


def missing_created_at_indexes(engine: Engine, tables: ChatbotTables) -> dict[str, str]:
    """{table: CREATE INDEX statement} for each table whose `created_at` leads no index
    (on ClickHouse: neither leads the sorting key nor has a minmax skip index). A view is
    left out: it has no index of its own, the tables it reads have theirs."""
    inspector = sa.inspect(engine)
    preparer = engine.dialect.identifier_preparer
    missing = {}
    for role in ROLES:
        table = tables.table(role)
        column = table.c.created_at.name
        if table.name in inspector.get_view_names(schema=table.schema):
            continue
        if clickhouse.is_clickhouse(engine.dialect.name):
            if not clickhouse.sorted_by_time(engine, table.name, column):
                missing[table.name] = clickhouse.skip_index_statement(table.name, column)
            continue
        indexes = inspector.get_indexes(table.name, schema=table.schema)
        if [column] not in [index["column_names"][:1] for index in indexes]:
            index = preparer.quote(f"ix_{table.name}_{column}")
            missing[table.fullname] = (
                f"CREATE INDEX {index} ON {preparer.format_table(table)} "
                f"({preparer.quote(column)});"
            )
    return missing
