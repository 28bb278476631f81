"""The database: engine, the chatbot's tables (reflected or created), and time-range predicates."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    NoSuchModuleError,
    NoSuchTableError,
)
from sqlalchemy.pool import NullPool

from aiops_report.data.config import Settings
from aiops_report.data.limits import (
    limit_statements,
    postgresql_options,
    reading,
    timed_out,
    timeout_message,
)
from aiops_report.data.mapping import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    ROLES,
    SchemaMapping,
    TableMapping,
    TableRole,
    TimeUnit,
    load_mapping,
)
from aiops_report.errors import (
    AiopsReportError,
    ConfigError,
    DatabaseError,
    DatabaseUnreachable,
    MissingColumn,
    MissingDatabaseFile,
    MissingTable,
    StatementTimeout,
)

__all__ = [
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "ROLES",
    "ChatbotTables",
    "TableRole",
    "TimeColumn",
    "check_connection",
    "create_schema",
    "database_error",
    "describe",
    "exact_text",
    "make_engine",
    "mapping_of",
    "missing_created_at_indexes",
    "reflect_tables",
    "schema",
    "state_engine",
    "typed_word",
    "unreachable",
    "value_kind",
]


def mapping_of(settings: Settings) -> SchemaMapping:
    """The schema mapping of SCHEMA_FILE, tables defaulting to the *_TABLE settings."""
    return load_mapping(
        settings.schema_file,
        {
            "conversations": settings.conversation_table,
            "feedback": settings.feedback_table,
            "evaluations": settings.evaluation_table,
        },
    )


def make_engine(settings: Settings, *, create: bool = False) -> Engine:
    """Create the engine for DATABASE_URL (no connection is made yet).

    A SQLite file that does not exist is an error (MissingDatabaseFile), never a new empty
    database, unless `create` (init-db, demo-data).
    """
    return _engine(settings.url, "DATABASE_URL", settings.statement_timeout, create=create)


def state_engine(engine: Engine, settings: Settings) -> Engine:
    """Where report_runs and the kept totals live: STATE_DATABASE_URL's database when set
    (the chatbot's database is then only read), else `engine`'s."""
    if settings.state_database_url is None:
        return engine
    return _state_engine(settings.state_database_url, settings.statement_timeout)


@functools.cache
def _state_engine(url: str, statement_timeout: timedelta) -> Engine:
    # One engine per URL for the process; no pool, so no connection outlives its use.
    return _engine(
        make_url(url), "STATE_DATABASE_URL", statement_timeout, create=True, pooled=False
    )


def _engine(
    url: URL, setting: str, statement_timeout: timedelta, *, create: bool, pooled: bool = True
) -> Engine:
    if url.get_backend_name() in {"mysql", "mariadb"} and "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})  # Hangul and emoji need utf8mb4
    if url.get_backend_name() == "sqlite" and not create:
        _require_sqlite_file(url, setting)
    connect_args = {}
    if url.get_backend_name() == "postgresql":
        # The report's aggregates run a few seconds at most: compiling them with JIT costs
        # more than it saves (measured: 5.4 s with JIT, 3.1 s without, on a million rows).
        connect_args["options"] = f"-c jit=off {postgresql_options(statement_timeout)}"
    try:
        engine = sa.create_engine(
            url,
            pool_pre_ping=True,
            connect_args=connect_args,
            **({} if pooled else {"poolclass": NullPool}),
        )
    except (NoSuchModuleError, ArgumentError, ModuleNotFoundError) as exc:
        raise ConfigError(f"{setting} cannot be used: {exc}") from None
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _add_sqlite_functions)
    limit_statements(engine, statement_timeout)
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
    return DatabaseUnreachable(
        f"cannot reach the {engine.dialect.name} database at {_where(engine)} "
        f"({describe(engine)}): {_reason(exc)}"
    )


def _where(engine: Engine) -> str:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"file {url.database}"
    return f"{url.host or 'localhost'}:{url.port or 'default port'}"


def _reason(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)


# --- the schema of a new install --------------------------------------------------------

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER only
_TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def schema(settings: Settings) -> sa.MetaData:
    """The full schema of DESIGN.md, with an index on every `created_at`."""
    metadata = sa.MetaData()
    mapping = mapping_of(settings)
    conv, fb, ev = (mapping.table(role).table for role in ROLES)
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
    except DBAPIError as exc:
        raise database_error(engine, exc) from None
    return {name: name not in existing for name in metadata.tables}


# --- the chatbot's tables, as they are ----------------------------------------------------

ValueKind = Literal["text", "integer", "number", "boolean"]
# A number written as text: what a text score must look like to count (POSIX classes read the
# same on PostgreSQL and MariaDB/MySQL; Python's float() accepts the same strings).
NUMBER_PATTERN = r"^[[:space:]]*[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?[[:space:]]*$"
_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*", re.ASCII)
_TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "on"})
_FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "off"})


def value_kind(column: sa.ColumnElement[Any]) -> ValueKind:
    """How a feedback or score column's values compare: as text, integers, numbers, booleans."""
    column_type = column.type
    # MySQL's BOOLEAN is TINYINT(1): its values are 0 and 1, its words true and false.
    if isinstance(column_type, sa.Boolean) or (
        isinstance(column_type, mysql.TINYINT) and column_type.display_width == 1
    ):
        return "boolean"
    if isinstance(column_type, sa.Integer):
        return "integer"
    if isinstance(column_type, sa.Numeric | sa.Float):  # Float is no Numeric in SQLAlchemy 2.1
        return "number"
    return "text"


def typed_word(word: str, kind: ValueKind) -> Any:
    """A feedback word as a value of a column of `kind`; None when such a column cannot hold it."""
    if kind == "text":
        return word
    if kind == "boolean":
        if word in _TRUE_WORDS:
            return True
        return False if word in _FALSE_WORDS else None
    if not _NUMBER.fullmatch(word):
        return None
    number = Decimal(word.strip())
    if kind == "integer":
        return int(number) if number == int(number) else None
    return number


def sqlite_number(value: Any) -> float | None:
    """SQLite's `aiops_number(text)`: the text as a number, NULL when it is not one."""
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return float(value)
    return None


@dataclass(frozen=True)
class ChatbotTables:
    """The three reflected tables, each column keyed by the part it plays (SCHEMA_FILE).

    `tables.feedback.c.feedback` is the team's feedback column whatever its name; optional
    columns are used only when present. Columns that play no part are keyed `~name`.
    """

    conversations: sa.Table
    feedback: sa.Table
    evaluations: sa.Table
    dialect: str
    db_zone: ZoneInfo
    mapping: SchemaMapping

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
        return TimeColumn.of(
            self.table(role).c.created_at,
            self.dialect,
            self.db_zone,
            self.mapping.table(role).created_at_unit,
        )

    def optional_columns(self, role: TableRole) -> list[str]:
        """The optional columns found on the table, in DESIGN.md's order."""
        return [name for name in OPTIONAL_COLUMNS[role] if self.has(role, name)]

    def column_name(self, role: TableRole, part: str) -> str:
        """`table.column` of the team's column that plays `part`, for messages."""
        table = self.table(role)
        return f"{table.name}.{table.c[part].name if part in table.c else part}"

    # --- feedback and scores, whatever their type -------------------------------------------

    def feedback_words(self, kind: str) -> list[Any]:
        """The like (or dislike) words of SCHEMA_FILE as values of the feedback column."""
        words = self.mapping.like if kind == "like" else self.mapping.dislike
        column_kind = value_kind(self.feedback.c.feedback)
        typed = [typed_word(word, column_kind) for word in words]
        return list(dict.fromkeys(value for value in typed if value is not None))

    def feedback_is(self, kind: str) -> sa.ColumnElement[bool]:
        """The row's feedback is a like (`kind` "like") or a dislike ("dislike").

        Text is compared trimmed and lower-cased, byte for byte; the exact spellings are
        recognised without calling a function on each row.
        """
        column = self.feedback.c.feedback
        words = self.feedback_words(kind)
        if not words:
            return sa.false()
        if value_kind(column) != "text":
            return column.in_(words)
        others = self.feedback_words("dislike" if kind == "like" else "like")
        raw = exact_text(column, self.dialect)
        trimmed = exact_text(sa.func.lower(sa.func.trim(column)), self.dialect)
        return sa.or_(raw.in_(words), sa.and_(raw.not_in(others), trimmed.in_(words)))

    def feedback_kind(self) -> sa.ColumnElement[Any]:
        """'like', 'dislike', or NULL for every other value."""
        return sa.case(
            (self.feedback_is("like"), sa.literal("like")),
            (self.feedback_is("dislike"), sa.literal("dislike")),
            else_=sa.null(),
        )

    def score(self) -> sa.ColumnElement[Any]:
        """The score as a number; NULL when it is NULL or text that is not a number."""
        column = self.evaluations.c.score
        kind = value_kind(column)
        if self.dialect == "sqlite":  # SQLite keeps what was written, whatever the column's type
            number = sa.case(
                {"real": column, "integer": column, "text": sa.func.aiops_number(column)},
                value=sa.func.typeof(column),
                else_=sa.null(),
            )
            return sa.type_coerce(number, sa.Float())
        if kind == "boolean":
            return sa.cast(column, sa.Integer())
        if kind != "text":
            return column
        trimmed = sa.type_coerce(sa.func.trim(column), sa.Float())
        # MySQL has no CAST to a floating type before 8.0.17: adding 0 converts the text.
        as_number = (
            trimmed + 0
            if self.dialect in {"mysql", "mariadb"}
            else sa.cast(sa.func.trim(column), sa.Float())
        )
        return sa.case((column.regexp_match(NUMBER_PATTERN), as_number), else_=sa.null())


def reflect_tables(engine: Engine, settings: Settings) -> ChatbotTables:
    """Reflect the three tables as SCHEMA_FILE maps them.

    Raises MissingTable / MissingColumn naming what is missing and where it is set,
    ConfigError for a column whose type cannot play its part, DatabaseUnreachable.
    """
    mapping = mapping_of(settings)
    metadata = sa.MetaData()
    tables: dict[TableRole, sa.Table] = {}
    try:
        with reading("the description of the chatbot's tables"):
            for role in ROLES:
                tables[role] = _reflect(engine, metadata, mapping.table(role))
    except DBAPIError as exc:
        raise database_error(engine, exc) from None
    found = ChatbotTables(
        **tables, dialect=engine.dialect.name, db_zone=settings.db_zone, mapping=mapping
    )
    for role in ROLES:
        _check_created_at(engine, found, role)
    _check_feedback_words(found)
    return found


def _check_feedback_words(tables: ChatbotTables) -> None:
    """A like and a dislike word must be values the feedback column can hold."""
    column = tables.feedback.c.feedback
    for kind, words in (("like", tables.mapping.like), ("dislike", tables.mapping.dislike)):
        if not tables.feedback_words(kind):
            raise ConfigError(
                f"{tables.column_name('feedback', 'feedback')} is a {column.type} column, and "
                f"none of the {kind} words {list(words)} is a value it can hold: say which of "
                'its values are likes and dislikes, e.g. like = ["1"] and dislike = ["-1"] '
                "under [feedback] in SCHEMA_FILE"
            )


def _reflect(engine: Engine, metadata: sa.MetaData, mapping: TableMapping) -> sa.Table:
    """The table of `mapping`, its columns keyed by their parts; MissingTable/MissingColumn."""
    parts = {column: part for part, column in mapping.columns.items()}

    def key_by_part(inspector: Any, table: sa.Table, column_info: dict[str, Any]) -> None:
        name = column_info["name"]
        column_info["key"] = parts.get(name, f"~{name}")

    try:
        table = sa.Table(
            mapping.table,
            metadata,
            autoload_with=engine,
            listeners=[("column_reflect", key_by_part)],
        )
    except NoSuchTableError:
        where = f"{mapping.setting('table')} or the *_TABLE setting"
        raise MissingTable(
            f"table {mapping.table!r} does not exist in {describe(engine)}; "
            f"`aiops-report init-db` creates it, or name your table in {where}"
        ) from None
    required = REQUIRED_COLUMNS[mapping.role]
    for part in [*required, *sorted(mapping.explicit - set(required))]:
        if part in table.c:
            continue
        column = mapping.columns.get(part, part)
        if part in mapping.explicit:
            problem = (
                f"{mapping.setting(part)} = {column!r}, but table {table.name!r} has no such column"
            )
        else:
            problem = (
                f"table {table.name!r} lacks the required column {column!r}; "
                f"name the column that holds it in {mapping.setting(part)}"
            )
        columns = ", ".join(c.name for c in table.c)
        raise MissingColumn(f"{problem} (its columns: {columns})")
    return table


def _check_created_at(engine: Engine, tables: ChatbotTables, role: TableRole) -> None:
    """An integer `created_at` needs its unit; a unit needs an integer column."""
    column = tables.table(role).c.created_at
    unit = tables.mapping.table(role).created_at_unit
    where = tables.column_name(role, "created_at")
    setting = tables.mapping.table(role).setting("created_at_unit")
    if unit is None:
        integer = isinstance(column.type, sa.Integer) or (
            engine.dialect.name == "sqlite" and _sqlite_stores_numbers(engine, column)
        )
        if integer:
            raise ConfigError(
                f'{where} holds integers: say which epoch unit they are in, {setting} = "s" or "ms"'
            )
    elif (
        not isinstance(column.type, sa.Integer | sa.Numeric | sa.Float)
        and engine.dialect.name != "sqlite"
    ):
        raise ConfigError(
            f"{setting} = {unit!r}, but {where} is a {column.type} column, not an integer epoch; "
            "remove the setting"
        )


def _sqlite_stores_numbers(engine: Engine, column: sa.Column[Any]) -> bool:
    """True when the first row's value is a number (SQLite stores any type in any column)."""
    try:
        with engine.connect() as conn:
            stored = conn.execute(
                sa.select(sa.func.typeof(column)).where(column.is_not(None)).limit(1)
            ).scalar()
    except DBAPIError as exc:
        raise database_error(engine, exc) from None
    return stored in {"integer", "real"}


def missing_created_at_indexes(engine: Engine, tables: ChatbotTables) -> dict[str, str]:
    """{table: CREATE INDEX statement} for each table whose `created_at` leads no index."""
    inspector = sa.inspect(engine)
    quote = engine.dialect.identifier_preparer.quote
    missing = {}
    for role in ROLES:
        name = tables.table(role).name
        column = tables.table(role).c.created_at.name
        indexed = [index["column_names"][:1] for index in inspector.get_indexes(name)]
        if [column] not in indexed:
            missing[name] = (
                f"CREATE INDEX {quote(f'ix_{name}_{column}')} ON {quote(name)} ({quote(column)});"
            )
    return missing


# --- time-range predicates ------------------------------------------------------------------

TimeStyle = Literal["aware", "naive", "sqlite_text", "epoch"]
EPOCH_FACTOR: dict[TimeUnit, int] = {"s": 1, "ms": 1000}


@dataclass(frozen=True)
class TimeColumn:
    """A `created_at` column and how instants compare with what it stores.

    Every predicate is made of ranges on the raw column, never a function of it, so that
    the database reads only the index slice of the period.
    """

    column: sa.ColumnElement[Any]
    style: TimeStyle
    db_zone: ZoneInfo
    unit: TimeUnit = "s"  # of an integer epoch

    @classmethod
    def of(
        cls,
        column: sa.Column[Any],
        dialect_name: str,
        db_zone: ZoneInfo,
        unit: TimeUnit | None = None,
    ) -> TimeColumn:
        """Decide the storage style from the epoch unit, the dialect and the reflected type."""
        if unit is not None:
            return cls(sa.type_coerce(column, sa.BigInteger()), "epoch", db_zone, unit)
        if dialect_name == "sqlite":  # SQLite keeps timestamps as text: compare them as text
            return cls(sa.type_coerce(column, sa.String()), "sqlite_text", db_zone)
        if isinstance(column.type, sa.DateTime) and column.type.timezone:
            return cls(column, "aware", db_zone)
        return cls(column, "naive", db_zone)

    def describe(self) -> str:
        """How stored values are read as instants, for `doctor`."""
        return {
            "epoch": f"integer epoch in {'seconds' if self.unit == 's' else 'milliseconds'}",
            "aware": "timestamp with time zone",
            "naive": f"timestamp without time zone read in {self.db_zone.key} (DB_TIMEZONE)",
            "sqlite_text": f"SQLite text read in {self.db_zone.key} (DB_TIMEZONE)",
        }[self.style]

    def _bound(self, instant: datetime) -> Any:
        if self.style == "epoch":  # whole seconds: the report's bounds are midnights
            return sa.literal(int(instant.timestamp()) * EPOCH_FACTOR[self.unit], sa.BigInteger())
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

    def to_instant(self, value: datetime | str | int | float) -> datetime:
        """A stored value as an aware datetime."""
        if isinstance(value, int | float):  # an epoch (the only style that stores numbers)
            return datetime.fromtimestamp(value / EPOCH_FACTOR[self.unit], UTC)
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
