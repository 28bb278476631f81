"""The chatbot's tables: the schema of a new install, and the team's own tables reflected
and keyed by the part each column plays (SCHEMA_FILE)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, NoSuchTableError

from aiops_report.data import clickhouse
from aiops_report.data.column_values import (
    NUMBER_PATTERN,
    exact_text,
    lower,
    suggested_words,
    toml_words,
    typed_word,
    value_kind,
)
from aiops_report.data.config import Settings
from aiops_report.data.db import database_error, describe
from aiops_report.data.limits import reading
from aiops_report.data.mapping import (
    DEFAULT_TABLES,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    ROLES,
    SchemaMapping,
    TableMapping,
    TableRole,
    load_mapping,
)
from aiops_report.data.row_filter import RowFilter, parse_filter
from aiops_report.data.time_column import TimeColumn
from aiops_report.errors import ConfigError, InvalidInput, MissingColumn, MissingTable

# How far before and after a range of feedback or evaluations their conversations are looked
# for: a range of the created_at index, as conversation_id is seldom indexed.
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


# --- the chatbot's tables, as they are ----------------------------------------------------


@dataclass(frozen=True)
class ChatbotTables:
    """The three reflected tables, each column keyed by the part it plays (SCHEMA_FILE).

    `tables.feedback.c.feedback` is the team's feedback column whatever its name; optional
    columns are used only when present. Columns that play no part are keyed `~name`.
    With a `segment` (`for_segment`), every read takes only that segment's rows: each read
    takes its rows from `attribution.linked_rows` (or, for conversations, `rows_within`),
    which add the segment's condition.
    A table with a SCHEMA_FILE `where` (`filters`) reads as if it held only the rows the
    condition keeps: `created_at(role).within` bounds every read by time and adds it, and a
    read that looks rows up otherwise (by id) adds `kept(role, table)`.
    """

    conversations: sa.Table
    feedback: sa.Table
    evaluations: sa.Table
    dialect: str
    db_zone: ZoneInfo
    mapping: SchemaMapping
    segment: str | None = None  # the value of the segment column read, or every row
    filters: dict[TableRole, RowFilter] = field(default_factory=dict)  # SCHEMA_FILE where

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

    def created_at(
        self, role: TableRole, table: sa.FromClause | None = None, *, filtered: bool = True
    ) -> TimeColumn:
        """The `created_at` of `role`'s table (or of `table`, an alias of it): its ranges
        (`within`) keep only the rows of the table's `where` unless not `filtered`."""
        table = self.table(role) if table is None else table
        return TimeColumn.of(
            table.c.created_at,
            self.dialect,
            self.zone(role),
            self.mapping.table(role).created_at_unit,
            kept=self.kept(role, table) if filtered and role in self.filters else None,
        )

    def zone(self, role: TableRole) -> ZoneInfo:
        """The zone naive times of `role`'s table are written in: its SCHEMA_FILE timezone,
        else DB_TIMEZONE."""
        return self.mapping.table(role).timezone or self.db_zone

    def kept(self, role: TableRole, table: sa.FromClause | None = None) -> sa.ColumnElement[bool]:
        """The rows of `role`'s table (or of `table`, an alias of it) that its SCHEMA_FILE
        `where` keeps; every row without one."""
        found = self.filters.get(role)
        if found is None:
            return sa.true()
        return found.on(self.table(role) if table is None else table)

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
        return f"{table.fullname}.{table.c[part].name if part in table.c else part}"

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
        trimmed = exact_text(lower(sa.func.trim(column), self.dialect), self.dialect)
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
        if clickhouse.is_clickhouse(self.dialect):  # match() is its regular expression test
            # [[:space:]] of the pattern is what float() and PostgreSQL's float8 skip.
            parsed = sa.func.toFloat64OrNull(sa.func.trimBoth(column, " \t\n\r\x0b\x0c"))
            return sa.case((sa.func.match(column, NUMBER_PATTERN), parsed), else_=sa.null())
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
        filters=_filters(engine, tables, mapping),
    )
    for role in ROLES:
        _check_created_at(engine, found, role)
    _check_feedback_words(engine, found)
    _check_dimensions(found)
    return found


def _filters(
    engine: Engine, tables: dict[TableRole, sa.Table], mapping: SchemaMapping
) -> dict[TableRole, RowFilter]:
    """The `where` of each table that has one, parsed, and tried on the database (no row is
    read): a condition the database refuses (a type mismatch) is a ConfigError at once."""
    filters = {}
    for role, table in tables.items():
        text = mapping.table(role).where
        if text is None:
            continue
        setting = mapping.table(role).setting("where")
        found = parse_filter(text, table, engine.dialect.name, setting)
        try:
            with engine.connect() as conn:
                conn.execute(
                    sa.select(sa.literal(1)).select_from(table).where(found.on(table)).limit(0)
                )
        except DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise ConfigError(f"{setting} = {text!r}: the database refuses it: {reason}") from None
        filters[role] = found
    return filters


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
            held = held_values(engine, tables)
            likes, dislikes = suggested_words(held, value_kind(column)) or (
                ["1"],
                ["-1"],
            )
            raise ConfigError(
                f"{tables.column_name('feedback', 'feedback')} is a {column.type} column, and "
                f"none of the {kind} words {list(words)} is a value it can hold: say which of "
                f"its values are likes and dislikes, e.g. like = {toml_words(likes)} and dislike = "
                f"{toml_words(dislikes)} under [feedback] in SCHEMA_FILE"
            )


def held_values(engine: Engine, tables: ChatbotTables, sample: int = 10_000) -> list[Any]:
    """Up to 20 distinct values among `sample` rows of the feedback column (a hint's, not a
    census)."""
    column = tables.feedback.c.feedback
    rows = (
        sa.select(column.label("value"))
        .where(column.is_not(None))
        .limit(sample)
        .subquery(tables.query_name("held"))
    )
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
        if clickhouse.is_clickhouse(engine.dialect.name):
            # Its dialect reflects a table without calling column_reflect listeners.
            found = sa.inspect(engine).get_columns(mapping.table, schema=mapping.schema)
            table = sa.Table(
                mapping.table,
                metadata,
                *(
                    sa.Column(c["name"], c["type"], key=parts.get(c["name"], f"~{c['name']}"))
                    for c in found
                ),
                schema=mapping.schema,
            )
        else:
            table = sa.Table(
                mapping.table,
                metadata,
                schema=mapping.schema,
                autoload_with=engine,
                listeners=[("column_reflect", key_by_part)],
            )
    except NoSuchTableError:
        raise MissingTable(_missing_table(engine, mapping)) from None
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


def _missing_table(engine: Engine, mapping: TableMapping) -> str:
    """Why the table of `mapping` is not found, and what to do: `init-db` only for a table
    nobody named (a new install), never for the team's own."""
    missing = f"table {mapping.qualified!r} does not exist in {describe(engine)}"
    unnamed = not mapping.named and mapping.schema is None
    if unnamed and mapping.table == DEFAULT_TABLES[mapping.role]:
        where = f"{mapping.setting('table')} or the *_TABLE setting"
        return f"{missing}; `aiops-report init-db` creates it, or name your table in {where}"
    elsewhere = _schemas_holding(engine, mapping.table)
    if elsewhere:
        found = ", ".join(f"{name}.{mapping.table}" for name in elsewhere)
        return (
            f"{missing}, or this user may not read it; it exists as {found}: "
            f'write {mapping.setting("table")} = "{elsewhere[0]}.{mapping.table}"'
        )
    return (
        f"{missing}, or this user may not read it: check {mapping.setting('table')} "
        '(a table of another schema: "schema.table"), and that the user may SELECT it'
    )


def _schemas_holding(engine: Engine, name: str) -> list[str]:
    """The schemas (MySQL: databases) with a table called `name` that this user can see."""
    if engine.dialect.name == "sqlite":
        return []
    tables = sa.table(
        "tables", sa.column("table_schema"), sa.column("table_name"), schema="information_schema"
    )
    try:
        with engine.connect() as conn:
            found = conn.execute(
                sa.select(tables.c.table_schema)
                .where(tables.c.table_name == name)
                .order_by(tables.c.table_schema)
            ).scalars()
            return [str(schema) for schema in found]
    except DBAPIError:
        return []  # the hint is a courtesy: the missing table is the error


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
