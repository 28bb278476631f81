"""The database: engine, the chatbot's tables (reflected or created), and time-range predicates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    NoSuchModuleError,
    NoSuchTableError,
    OperationalError,
)

from aiops_report.config import Settings
from aiops_report.errors import (
    AiopsReportError,
    ConfigError,
    DatabaseError,
    DatabaseUnreachable,
    MissingColumn,
    MissingTable,
)

TableRole = Literal["conversations", "feedback", "evaluations"]
ROLES: tuple[TableRole, ...] = ("conversations", "feedback", "evaluations")

REQUIRED_COLUMNS: dict[TableRole, tuple[str, ...]] = {
    "conversations": ("created_at",),
    "feedback": ("feedback", "created_at"),
    "evaluations": ("score", "created_at"),
}
OPTIONAL_COLUMNS: dict[TableRole, tuple[str, ...]] = {
    "conversations": (
        "id",
        "user_id",
        "session_id",
        "user_message",
        "ai_response",
        "model",
        "latency_ms",
        "prompt_tokens",
        "completion_tokens",
    ),
    "feedback": ("conversation_id", "comment"),
    "evaluations": ("conversation_id", "evaluator", "reason"),
}


def table_name(settings: Settings, role: TableRole) -> str:
    """The configured name of the table that plays `role`."""
    return {
        "conversations": settings.conversation_table,
        "feedback": settings.feedback_table,
        "evaluations": settings.evaluation_table,
    }[role]


def make_engine(settings: Settings) -> Engine:
    """Create the engine for DATABASE_URL (no connection is made yet)."""
    url = settings.url
    if url.get_backend_name() in {"mysql", "mariadb"} and "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})  # Hangul and emoji need utf8mb4
    connect_args = {}
    if url.get_backend_name() == "postgresql":
        # The report's aggregates run a few seconds at most: compiling them with JIT costs
        # more than it saves (measured: 5.4 s with JIT, 3.1 s without, on a million rows).
        connect_args["options"] = "-c jit=off"
    try:
        return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    except (NoSuchModuleError, ArgumentError, ModuleNotFoundError) as exc:
        raise ConfigError(f"DATABASE_URL cannot be used: {exc}") from None


def describe(engine: Engine) -> str:
    """Where the engine points, with the password hidden."""
    return engine.url.render_as_string(hide_password=True)


def check_connection(engine: Engine) -> None:
    """Open and close one connection; raise DatabaseUnreachable naming host and port."""
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        raise database_error(engine, exc) from None


def database_error(engine: Engine, exc: DBAPIError) -> AiopsReportError:
    """The one-line error for a failed statement: unreachable, or the database's own reason."""
    url = engine.url
    where = (
        f"file {url.database}"
        if url.get_backend_name() == "sqlite"
        else f"{url.host or 'localhost'}:{url.port or 'default port'}"
    )
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    try:  # "operational" covers a lost server and a locked table alike: tell them apart
        with engine.connect():
            pass
    except OperationalError:
        return DatabaseUnreachable(
            f"cannot reach the {engine.dialect.name} database at {where} "
            f"({describe(engine)}): {reason}"
        )
    return DatabaseError(f"the {engine.dialect.name} database at {where} answered: {reason}")


# --- the schema of a new install --------------------------------------------------------

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER only
_TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def schema(settings: Settings) -> sa.MetaData:
    """The full schema of DESIGN.md, with an index on every `created_at`."""
    metadata = sa.MetaData()
    conv, fb, ev = (table_name(settings, role) for role in ROLES)
    sa.Table(
        conv,
        metadata,
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(64)),
        sa.Column("session_id", sa.String(64)),
        sa.Column("user_message", sa.Text),
        sa.Column("ai_response", sa.Text),
        sa.Column("model", sa.String(100)),
        sa.Column("latency_ms", sa.Integer),
        sa.Column("prompt_tokens", sa.Integer),
        sa.Column("completion_tokens", sa.Integer),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Index(f"ix_{conv}_created_at", "created_at"),
        mysql_charset="utf8mb4",
        mariadb_charset="utf8mb4",
    )
    sa.Table(
        fb,
        metadata,
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.BigInteger),
        sa.Column("feedback", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Index(f"ix_{fb}_created_at", "created_at"),
        sa.Index(f"ix_{fb}_conversation_id", "conversation_id"),
        mysql_charset="utf8mb4",
        mariadb_charset="utf8mb4",
    )
    sa.Table(
        ev,
        metadata,
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.BigInteger),
        sa.Column("score", sa.Float),
        sa.Column("evaluator", sa.String(100)),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Index(f"ix_{ev}_created_at", "created_at"),
        sa.Index(f"ix_{ev}_conversation_id", "conversation_id"),
        mysql_charset="utf8mb4",
        mariadb_charset="utf8mb4",
    )
    return metadata


def create_schema(engine: Engine, settings: Settings) -> dict[str, bool]:
    """Create the tables that do not exist yet; return {table: created}. Never alters a table."""
    metadata = schema(settings)
    try:
        existing = set(sa.inspect(engine).get_table_names())
        metadata.create_all(engine, checkfirst=True)
    except OperationalError as exc:
        raise database_error(engine, exc) from None
    return {name: name not in existing for name in metadata.tables}


# --- the chatbot's tables, as they are ----------------------------------------------------


@dataclass(frozen=True)
class ChatbotTables:
    """The three reflected tables; optional columns are used only when present."""

    conversations: sa.Table
    feedback: sa.Table
    evaluations: sa.Table
    dialect: str
    db_zone: ZoneInfo

    def table(self, role: TableRole) -> sa.Table:
        return {
            "conversations": self.conversations,
            "feedback": self.feedback,
            "evaluations": self.evaluations,
        }[role]

    def has(self, role: TableRole, *columns: str) -> bool:
        """True when the table has every one of `columns`."""
        table = self.table(role)
        return all(name in table.c for name in columns)

    def created_at(self, role: TableRole) -> TimeColumn:
        return TimeColumn.of(self.table(role).c.created_at, self.dialect, self.db_zone)

    def optional_columns(self, role: TableRole) -> list[str]:
        """The optional columns found on the table, in DESIGN.md's order."""
        return [name for name in OPTIONAL_COLUMNS[role] if self.has(role, name)]


def reflect_tables(engine: Engine, settings: Settings) -> ChatbotTables:
    """Reflect the three tables; raise MissingTable / MissingColumn naming what is missing."""
    metadata = sa.MetaData()
    tables: dict[TableRole, sa.Table] = {}
    try:
        for role in ROLES:
            name = table_name(settings, role)
            try:
                table = sa.Table(name, metadata, autoload_with=engine)
            except NoSuchTableError:
                raise MissingTable(
                    f"table {name!r} does not exist in {describe(engine)}; "
                    "`aiops-report init-db` creates it (or set its name in the settings)"
                ) from None
            missing = [c for c in REQUIRED_COLUMNS[role] if c not in table.c]
            if missing:
                raise MissingColumn(
                    f"table {name!r} lacks the required column(s) {', '.join(missing)}; "
                    "`aiops-report init-db` creates the full schema for a new install"
                )
            tables[role] = table
    except OperationalError as exc:
        raise database_error(engine, exc) from None
    return ChatbotTables(**tables, dialect=engine.dialect.name, db_zone=settings.db_zone)


def missing_created_at_indexes(engine: Engine, tables: ChatbotTables) -> dict[str, str]:
    """{table: CREATE INDEX statement} for each table whose `created_at` leads no index."""
    inspector = sa.inspect(engine)
    quote = engine.dialect.identifier_preparer.quote
    missing = {}
    for role in ROLES:
        name = tables.table(role).name
        indexed = [index["column_names"][:1] for index in inspector.get_indexes(name)]
        if ["created_at"] not in indexed:
            missing[name] = (
                f"CREATE INDEX {quote(f'ix_{name}_created_at')} ON {quote(name)} (created_at);"
            )
    return missing


# --- time-range predicates ------------------------------------------------------------------

TimeStyle = Literal["aware", "naive", "sqlite_text"]


@dataclass(frozen=True)
class TimeColumn:
    """A `created_at` column and how instants compare with what it stores.

    Every predicate is made of ranges on the raw column, never a function of it, so that
    the database reads only the index slice of the period.
    """

    column: sa.ColumnElement[Any]
    style: TimeStyle
    db_zone: ZoneInfo

    @classmethod
    def of(cls, column: sa.Column[Any], dialect_name: str, db_zone: ZoneInfo) -> TimeColumn:
        """Decide the storage style from the dialect and the reflected type."""
        if dialect_name == "sqlite":  # SQLite keeps timestamps as text: compare them as text
            return cls(sa.type_coerce(column, sa.String()), "sqlite_text", db_zone)
        if isinstance(column.type, sa.DateTime) and column.type.timezone:
            return cls(column, "aware", db_zone)
        return cls(column, "naive", db_zone)

    def _bound(self, instant: datetime) -> Any:
        if self.style == "aware":
            return sa.literal(instant, sa.DateTime(timezone=True))
        return sa.literal(instant.astimezone(self.db_zone).replace(tzinfo=None), sa.DateTime())

    def within(self, start: datetime, end: datetime) -> sa.ColumnElement[bool]:
        """`start <= created_at < end` for aware instants."""
        if self.style != "sqlite_text":
            return sa.and_(self.column >= self._bound(start), self.column < self._bound(end))
        # Text of both forms: 'D HH:MM:SS' (' ' sorts before 'T') and 'DTHH:MM:SS'. The outer
        # range holds both and uses the index; the ranges inside it are exact per form.
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
        column = self.column
        return sa.and_(
            column >= self._literal(lo),
            column < self._literal(hi_t),
            sa.or_(
                *[sa.and_(column >= self._literal(a), column < self._literal(b)) for a, b in exact]
            ),
        )

    def _text(self, instant: datetime, separator: str) -> str:
        """The instant as SQLite text of one form; it sorts before every row of that second."""
        return instant.astimezone(self.db_zone).replace(tzinfo=None).isoformat(sep=separator)

    @staticmethod
    def _literal(text: str) -> sa.ColumnElement[str]:
        return sa.literal(text, sa.String())

    def to_instant(self, value: datetime | str) -> datetime:
        """A stored value as an aware datetime."""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.db_zone)
        return value


def exact_text(expression: sa.ColumnElement[Any], dialect_name: str) -> sa.ColumnElement[Any]:
    """Compare text byte for byte: MySQL's default collations ignore case, accents, padding."""
    if dialect_name in {"mysql", "mariadb"}:
        # Bound values stay strings: MySQL compares a binary and a text operand as bytes.
        return sa.type_coerce(sa.cast(expression, mysql.BINARY()), sa.String())
    return expression
