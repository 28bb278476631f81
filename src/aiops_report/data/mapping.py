"""Schema mapping: the team's own table and column names, feedback words and score scale.

`SCHEMA_FILE` (TOML) names, per table, the table and the column that plays each part; every
key is optional and defaults to the schema `init-db` creates (docs/your-database.md):

    [conversations]
    table = "chat.turns"             # or table = "turns" with schema = "chat"
    created_at = "ts"
    created_at_unit = "s"            # an integer epoch: "s" or "ms"
    timezone = "Asia/Seoul"          # naive times written in this zone (default DB_TIMEZONE)
    where = "is_internal = false"    # only these rows count (row_filter.py)
    model = "llm"
    segment = "bot_name"             # what a report can be cut by: a bot, tenant, locale...
    dimensions = ["prompt_version", "channel"]  # more columns a change is explained by
    [feedback]
    feedback = "thumb"
    like = ["up", "1", "true", "👍"]  # compared trimmed and case-insensitively
    dislike = ["down", "-1", "false", "👎"]
    [evaluations]
    score = "value"
    score_range = [1, 5]
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from aiops_report.errors import ConfigError

TableRole = Literal["conversations", "feedback", "evaluations"]
ROLES: tuple[TableRole, ...] = ("conversations", "feedback", "evaluations")
TimeUnit = Literal["s", "ms"]

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
# Columns used only when SCHEMA_FILE names them (no default name is looked for).
NAMED_ONLY_COLUMNS: dict[TableRole, tuple[str, ...]] = {
    "conversations": ("segment",),
    "feedback": (),
    "evaluations": (),
}
# Columns that only order rows of equal time (the latest dislikes, the lowest scores).
TIEBREAK_COLUMNS: dict[TableRole, tuple[str, ...]] = {
    "conversations": (),
    "feedback": ("id",),
    "evaluations": ("id",),
}


def column_parts(role: TableRole) -> tuple[str, ...]:
    """The parts a column of the table of `role` can play."""
    return (
        *REQUIRED_COLUMNS[role],
        *OPTIONAL_COLUMNS[role],
        *TIEBREAK_COLUMNS[role],
        *NAMED_ONLY_COLUMNS[role],
    )


def normalized(word: str) -> str:
    """A feedback word as it is compared: trimmed and lower-cased."""
    return word.strip(" ").lower()  # as SQL's trim and lower do


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str | None = None
    # "schema" would shadow a method of BaseModel: the key is read through an alias.
    schema_name: str | None = Field(default=None, alias="schema", min_length=1)
    created_at_unit: TimeUnit | None = None
    timezone: str | None = None
    where: str | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f'{value!r} is not a time zone, e.g. "Asia/Seoul"') from None
        return value

    @field_validator("where")
    @classmethod
    def _condition(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError('is empty: a condition on the table\'s columns, e.g. "is_test = 0"')
        return value

    def qualified(self) -> tuple[str | None, str | None]:
        """(schema, table): `table = "chat.messages"` is the table messages of schema chat,
        unless `schema` is given (the table's name is then taken as it is)."""
        if self.schema_name is None and self.table is not None and "." in self.table:
            schema, table = self.table.split(".", 1)
            return schema, table
        return self.schema_name, self.table


class ScoreScale(BaseModel):
    """The range scores are given in: the distribution's buckets and the default threshold."""

    model_config = ConfigDict(frozen=True)

    low: float = 0.0
    high: float = 10.0

    @property
    def midpoint(self) -> float:
        return (self.low + self.high) / 2

    def bucket_edges(self) -> list[float]:
        """The lower edges of the distribution's buckets, then the top.

        Width 1 when the range spans a whole number of 2 to 20 points (0–10: ten buckets, as
        the evaluator's scale reads), else ten buckets of equal width.
        """
        span = self.high - self.low
        count = int(span) if span == int(span) and 2 <= span <= 20 else 10
        return [_tidy(self.low + span * i / count) for i in range(count + 1)]


def _tidy(value: float) -> float:
    """Edges as they would be written: 2.0 stays 2.0, 1.4000000000000001 becomes 1.4."""
    return round(value, 9)


class _Conversations(_Section):
    id: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    user_message: str | None = None
    ai_response: str | None = None
    model: str | None = None
    latency_ms: str | None = None
    prompt_tokens: str | None = None
    completion_tokens: str | None = None
    segment: str | None = None
    created_at: str | None = None
    # Columns (their names in the table) a change of satisfaction or score is split by.
    dimensions: list[str] = Field(default_factory=list)

    @field_validator("dimensions")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if any(not name.strip() for name in value):
            raise ValueError("a dimension is a column's name, not an empty text")
        return list(dict.fromkeys(value))


class _Feedback(_Section):
    id: str | None = None
    conversation_id: str | None = None
    feedback: str | None = None
    comment: str | None = None
    created_at: str | None = None
    like: list[str] = Field(default_factory=lambda: ["like"], min_length=1)
    dislike: list[str] = Field(default_factory=lambda: ["dislike"], min_length=1)

    @field_validator("like", "dislike", mode="before")
    @classmethod
    def _words(cls, value: object) -> object:
        """Numbers and booleans in TOML (1, -1, true) are the words "1", "-1", "true"."""
        if isinstance(value, list):
            return [str(v).lower() if isinstance(v, bool) else str(v) for v in value]
        return value

    @model_validator(mode="after")
    def _apart(self) -> _Feedback:
        both = {normalized(w) for w in self.like} & {normalized(w) for w in self.dislike}
        if both:
            raise ValueError(f"{sorted(both)} cannot be both a like and a dislike")
        return self


class _Evaluations(_Section):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: str | None = None
    conversation_id: str | None = None
    score: str | None = None
    evaluator: str | None = None
    reason: str | None = None
    created_at: str | None = None
    score_range: tuple[float, float] = (0.0, 10.0)

    @field_validator("score_range")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[1] <= value[0]:
            raise ValueError("must be [lowest, highest] with lowest < highest")
        return value


class _SchemaFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    conversations: _Conversations = Field(default_factory=_Conversations)
    feedback: _Feedback = Field(default_factory=_Feedback)
    evaluations: _Evaluations = Field(default_factory=_Evaluations)


@dataclass(frozen=True)
class TableMapping:
    """Which table plays `role`, and which of its columns plays each part."""

    role: TableRole
    table: str
    columns: dict[str, str]  # part -> the team's column name
    explicit: frozenset[str]  # the parts SCHEMA_FILE names (absent: an error, not a default)
    created_at_unit: TimeUnit | None
    schema: str | None = None  # PostgreSQL's schema, MySQL's database; None: the default
    named: bool = False  # SCHEMA_FILE names the table (it is the team's, never init-db's)
    timezone: ZoneInfo | None = None  # of naive times; None: DB_TIMEZONE
    where: str | None = None  # only the rows this condition keeps are read (row_filter.py)

    def setting(self, part: str) -> str:
        """Where the name of `part` is set, for messages."""
        return f"SCHEMA_FILE [{self.role}] {part}"

    @property
    def qualified(self) -> str:
        """`schema.table`, or the table's name alone, for messages."""
        return f"{self.schema}.{self.table}" if self.schema else self.table


@dataclass(frozen=True)
class SchemaMapping:
    """The whole mapping: tables, columns, feedback words and the score scale."""

    tables: dict[TableRole, TableMapping]
    like: tuple[str, ...]  # normalized
    dislike: tuple[str, ...]
    scale: ScoreScale
    source: Path | None  # the SCHEMA_FILE it was read from
    dimensions: tuple[str, ...] = ()  # conversation columns a change is split by

    def table(self, role: TableRole) -> TableMapping:
        return self.tables[role]

    def fingerprint(self) -> str:
        """What kept totals depend on beyond the column names: words and scale."""
        units = ",".join(f"{r}:{self.tables[r].created_at_unit or '-'}" for r in ROLES)
        found = (
            f"like={'|'.join(self.like)} dislike={'|'.join(self.dislike)} "
            f"scale={self.scale.low:g}-{self.scale.high:g} units={units}"
        )
        zones = [f"{r}:{m.timezone.key}" for r, m in self.tables.items() if m.timezone]
        if zones:
            found += f" zones={','.join(zones)}"
        if self.dimensions:  # the groups each day's totals are kept by
            found += f" dimensions={','.join(self.dimensions)}"
        wheres = "\n".join(f"{r}:{m.where}" for r, m in self.tables.items() if m.where)
        if wheres:  # totals kept under another filter are other totals
            found += f" where={hashlib.sha256(wheres.encode()).hexdigest()[:16]}"
        return found


def load_mapping(
    schema_file: Path | None, table_names: dict[TableRole, str] | None = None
) -> SchemaMapping:
    """The mapping of `schema_file` (None: the defaults), table names defaulting to
    `table_names` (the CONVERSATION_TABLE, ... settings). Raises ConfigError, one line."""
    raw: dict[str, Any] = {}
    if schema_file is not None:
        try:
            raw = tomllib.loads(schema_file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"SCHEMA_FILE {schema_file} cannot be read: {exc.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"SCHEMA_FILE {schema_file} is not valid TOML: {exc}") from None
    try:
        parsed = _SchemaFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(_problem(error["loc"], error["msg"]) for error in exc.errors())
        raise ConfigError(f"SCHEMA_FILE {schema_file}: {problems}") from None
    sections: dict[TableRole, _Section] = {
        "conversations": parsed.conversations,
        "feedback": parsed.feedback,
        "evaluations": parsed.evaluations,
    }
    tables = {}
    for role, section in sections.items():
        named = {
            part: getattr(section, part)
            for part in column_parts(role)
            if getattr(section, part) is not None
        }
        taken: dict[str, str] = {}
        for part, column in named.items():
            if column in taken:
                raise ConfigError(
                    f"SCHEMA_FILE [{role}]: column {column!r} is given for both "
                    f"{taken[column]} and {part}"
                )
            taken[column] = part
        schema, table = section.qualified()
        tables[role] = TableMapping(
            role=role,
            table=table or (table_names or {}).get(role) or DEFAULT_TABLES[role],
            # A part not named keeps its default column, unless another part took that name.
            columns={
                part: named.get(part, part)
                for part in column_parts(role)
                if part in named or (part not in taken and part not in NAMED_ONLY_COLUMNS[role])
            },
            explicit=frozenset(named),
            created_at_unit=section.created_at_unit,
            schema=schema,
            named=table is not None,
            timezone=ZoneInfo(section.timezone) if section.timezone else None,
            where=section.where,
        )
    low, high = parsed.evaluations.score_range
    return SchemaMapping(
        tables=tables,
        like=tuple(dict.fromkeys(normalized(w) for w in parsed.feedback.like)),
        dislike=tuple(dict.fromkeys(normalized(w) for w in parsed.feedback.dislike)),
        scale=ScoreScale(low=low, high=high),
        source=schema_file,
        dimensions=tuple(parsed.conversations.dimensions),
    )


def _problem(location: tuple[int | str, ...], message: str) -> str:
    """('feedback', 'like') and its message as '[feedback] like: message'."""
    section, *key = (str(part) for part in location)
    where = f"[{section}] {'.'.join(key)}" if key else section
    return f"{where}: {message.removeprefix('Value error, ')}"


DEFAULT_TABLES: dict[TableRole, str] = {
    "conversations": "conversation_log",
    "feedback": "feedback_log",
    "evaluations": "conversation_evaluation",
}
