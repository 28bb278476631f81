"""The chatbot's tables: the schema of a new install, and the team's own tables reflected
and keyed by the part each column plays (SCHEMA_FILE)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, NoSuchTableError

from aiops_report.data.column_values import (
    NUMBER_PATTERN,
    exact_text,
    suggested_words,
    toml_words,
    typed_word,
    value_kind,
)
from aiops_report.data.config import Settings
from aiops_report.data.db import database_error, describe
from aiops_report.data.limits import reading
from aiops_report.data.mapping import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    ROLES,
    SchemaMapping,
    TableMapping,
    TableRole,
    load_mapping,
)
from aiops_report.data.time_column import TimeColumn
from aiops_report.errors import ConfigError, InvalidInput, MissingColumn, MissingTable

# How far before and after a range of conversations their feedback and evaluations are
# looked for (a conversation's texts, its scores): a range of the created_at index, as
# conversation_id is seldom indexed. Breakdowns link rows the other way (attribution.py).
LINKED_ROWS_WINDOW = timedelta(days=2)


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


# --- the schema of a new install --------------------------------------------------------

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER only
_TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def schema(settings: Settings) -> sa.MetaData:
    """The full schema (docs/your-database.md), with an index on every `created_at`."""
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
        *(
            [sa.Column(segment, sa.String(100))]
            if (segment := mapping.table("conversations").columns.get("segment"))
            else []
        ),
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


@dataclass(frozen=True)
class ChatbotTables:
    """The three reflected tables, each column keyed by the part it plays (SCHEMA_FILE).

    `tables.feedback.c.feedback` is the team's feedback column whatever its name; optional
    columns are used only when present. Columns that play no part are keyed `~name`.
    With a `segment` (`for_segment`), every read takes only that segment's rows: each read
    takes its rows from `attribution.linked_rows` (or, for conversations, `rows_within`),
    which add the segment's condition.
    """

    conversations: sa.Table
    feedback: sa.Table
    evaluations: sa.Table
    dialect: str
    db_zone: ZoneInfo
    mapping: SchemaMapping
    segment: str | None = None  # the value of the segment column read, or every row

    def query_name(self, name: str) -> str:
        """The name a statement gives a part of its own (a CTE, an alias, a subquery): `name`
        prefixed `aiops_`, prefixed again while it is the name of one of the three tables, so
        that it never hides a table the statement reads (a CTE `thumbs` would read itself)."""
        taken = {table.name.lower() for table in self.tables()}
        prefixed = f"aiops_{name}"
        while prefixed.lower() in taken:
            prefixed = f"aiops_{prefixed}"
        return prefixed

    def tables(self) -> tuple[sa.Table, sa.Table, sa.Table]:
        """The three tables, in ROLES' order."""
        return (self.conversations, self.feedback, self.evaluations)

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

    # --- the rows a read takes ------------------------------------------------------------

    def rows_within(
        self, role: TableRole, start: datetime, end: datetime
    ) -> sa.ColumnElement[bool]:
        """The rows of `role` created in [start, end); conversations of the segment when
        there is one.

        A segment's feedback and evaluations follow their conversation, which takes a join:
        read them through `attribution.linked_rows` (this raises ValueError for them).
        """
        within = self.created_at(role).within(start, end)
        if self.segment is None:
            return within
        if role != "conversations":
            raise ValueError(f"a segment's {role} are read through attribution.linked_rows")
        return sa.and_(within, self.in_segment(self.conversations))

    def in_segment(self, conversations: sa.FromClause) -> sa.ColumnElement[bool]:
        """The conversations (conversation_log or an alias of it) of the segment."""
        condition: sa.ColumnElement[bool] = self.segment_of(conversations) == self.segment_value()
        return condition

    def segment_of(self, conversations: sa.FromClause) -> sa.ColumnElement[Any]:
        """The segment column of `conversations`, compared exactly (case and accents count)."""
        column = conversations.c.segment
        return exact_text(column, self.dialect) if value_kind(column) == "text" else column

    def dimension_column(self, name: str) -> sa.ColumnElement[Any]:
        """The conversations' column `name` of SCHEMA_FILE's dimensions (whatever part it
        plays), text compared exactly as a segment is."""
        column = next(c for c in self.conversations.c if c.name == name)
        return exact_text(column, self.dialect) if value_kind(column) == "text" else column

    def segment_value(self) -> Any:
        """The segment read, as a value of the segment column."""
        return typed_word(str(self.segment), value_kind(self.conversations.c.segment))

    def for_segment(self, segment: str | None) -> ChatbotTables:
        """These tables read as the report of `segment` (None: every row).

        Raises ConfigError when no segment column is mapped or feedback and evaluations cannot
        be linked to their conversation; InvalidInput when the column cannot hold `segment`.
        """
        if segment is None:
            return replace(self, segment=None)
        setting = self.mapping.table("conversations").setting("segment")
        if not self.has("conversations", "segment"):
            raise ConfigError(f'no segment column is mapped: name it in {setting} = "<column>"')
        links: tuple[tuple[TableRole, str], ...] = (
            ("conversations", "id"),
            ("feedback", "conversation_id"),
            ("evaluations", "conversation_id"),
        )
        unlinked = [self.column_name(r, part) for r, part in links if not self.has(r, part)]
        if unlinked:
            raise ConfigError(
                f"a segment's feedback and evaluations follow their conversation, which needs "
                f"{', '.join(unlinked)}: map them in SCHEMA_FILE"
            )
        kind = value_kind(self.conversations.c.segment)
        if typed_word(segment, kind) is None:
            raise InvalidInput(
                f"segment {segment!r} cannot be a value of "
                f"{self.column_name('conversations', 'segment')}, a {kind} column"
            )
        return replace(self, segment=segment)

    def optional_columns(self, role: TableRole) -> list[str]:
        """The optional columns found on the table, in docs/your-database.md's order."""
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
        conversations=tables["conversations"],
        feedback=tables["feedback"],
        evaluations=tables["evaluations"],
        dialect=engine.dialect.name,
        db_zone=settings.db_zone,
        mapping=mapping,
    )
    for role in ROLES:
        _check_created_at(engine, found, role)
    _check_feedback_words(engine, found)
    _check_dimensions(found)
    return found


def _check_dimensions(tables: ChatbotTables) -> None:
    """Each column of SCHEMA_FILE's dimensions must be a column of the conversations table."""
    names = [c.name for c in tables.conversations.c]
    for name in tables.mapping.dimensions:
        if name not in names:
            raise MissingColumn(
                f"{tables.mapping.table('conversations').setting('dimensions')} names {name!r}, "
                f"but table {tables.conversations.name!r} has no such column "
                f"(its columns: {', '.join(names)})"
            )


def _check_feedback_words(engine: Engine, tables: ChatbotTables) -> None:
    """A like and a dislike word must be values the feedback column can hold; the hint
    suggests words that fit the values it holds (a 0/1 column: 1 and 0, never -1)."""
    column = tables.feedback.c.feedback
    for kind, words in (("like", tables.mapping.like), ("dislike", tables.mapping.dislike)):
        if not tables.feedback_words(kind):
            likes, dislikes = suggested_words(held_values(engine, column), value_kind(column)) or (
                ["1"],
                ["-1"],
            )
            raise ConfigError(
                f"{tables.column_name('feedback', 'feedback')} is a {column.type} column, and "
                f"none of the {kind} words {list(words)} is a value it can hold: say which of "
                f"its values are likes and dislikes, e.g. like = {toml_words(likes)} and dislike = "
                f"{toml_words(dislikes)} under [feedback] in SCHEMA_FILE"
            )


def held_values(engine: Engine, column: sa.Column[Any], sample: int = 10_000) -> list[Any]:
    """Up to 20 distinct values among `sample` rows of `column` (a hint's, not a census)."""
    rows = sa.select(column.label("value")).where(column.is_not(None)).limit(sample).subquery()
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.select(rows.c.value).distinct().limit(20)).scalars())
    except DBAPIError as exc:
        raise database_error(engine, exc) from None


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
    elif not _holds_numbers(engine, column):
        raise ConfigError(
            f"{setting} = {unit!r}, but {where} is a {column.type} column, not an integer epoch; "
            "remove the setting"
        )


def _holds_numbers(engine: Engine, column: sa.Column[Any]) -> bool:
    """Whether `column` can be an epoch: a numeric type; on SQLite (any type in any column) a
    number in its first row, or a numeric declared type when it has no rows yet."""
    numeric = isinstance(column.type, sa.Integer | sa.Numeric | sa.Float)
    if engine.dialect.name != "sqlite":
        return numeric
    stored = _sqlite_first_type(engine, column)
    return stored in {"integer", "real"} if stored is not None else numeric


def _sqlite_stores_numbers(engine: Engine, column: sa.Column[Any]) -> bool:
    """True when the first row's value is a number (SQLite stores any type in any column)."""
    return _sqlite_first_type(engine, column) in {"integer", "real"}


def _sqlite_first_type(engine: Engine, column: sa.Column[Any]) -> str | None:
    """SQLite's type of the first non-NULL value of `column`; None when there is none."""
    try:
        with engine.connect() as conn:
            stored = conn.execute(
                sa.select(sa.func.typeof(column)).where(column.is_not(None)).limit(1)
            ).scalar()
    except DBAPIError as exc:
        raise database_error(engine, exc) from None
    return None if stored is None else str(stored)


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
