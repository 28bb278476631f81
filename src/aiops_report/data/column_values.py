"""How feedback, score and text values compare on every database: a column's kind of
values, a feedback word as such a value, a number written as text, exact text."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

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


# Values that say like or dislike in a text column, as teams write them (normalized).
_LIKE_HINTS = frozenset({"like", "liked", "up", "thumbs_up", "thumbsup", "+1", "good", "positive"})
_LIKE_HINTS |= {"yes", "helpful", "true", "👍", "좋아요", "좋음"}
_DISLIKE_HINTS = frozenset({"dislike", "disliked", "down", "thumbs_down", "thumbsdown", "bad"})
_DISLIKE_HINTS |= {"negative", "no", "unhelpful", "false", "👎", "싫어요", "나쁨"}


def suggested_words(values: list[Any], kind: ValueKind) -> tuple[list[str], list[str]] | None:
    """Like and dislike words that fit `values` (those a feedback column of `kind` holds), for
    a hint; None when nothing can be told from them.

    Booleans and 0/1: like "1" (or "true"), dislike "0" ("false"). Other numbers: the highest
    is a like and the lowest a dislike (1 and -1 for -1/0/1 thumbs). Text: the usual words
    (up/down, 👍/👎, ...) found among the values.
    """
    found = [value for value in values if value is not None]
    if kind == "boolean" or (found and all(isinstance(v, bool) for v in found)):
        if found and all(isinstance(v, bool) for v in found):
            return ["true"], ["false"]
        return ["1"], ["0"]
    numbers = sorted({_as_number(value) for value in found} - {None})  # type: ignore[type-var]
    if kind in ("integer", "number") or (found and len(numbers) == len(set(map(str, found)))):
        if len(numbers) < 2:
            return (["1"], ["-1"]) if kind == "integer" and not numbers else None
        return [f"{numbers[-1]:g}"], [f"{numbers[0]:g}"]
    texts = {str(value).strip(" ").lower(): str(value) for value in found}
    likes = [shown for word, shown in texts.items() if word in _LIKE_HINTS]
    dislikes = [shown for word, shown in texts.items() if word in _DISLIKE_HINTS]
    return (likes, dislikes) if likes and dislikes else None


def toml_words(words: list[str]) -> str:
    """Words as a TOML list, as SCHEMA_FILE takes them: ["up", "👍"]."""
    return "[" + ", ".join(f'"{word}"' for word in words) + "]"


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float | Decimal):
        return float(value)
    return float(value) if isinstance(value, str) and _NUMBER.fullmatch(value) else None


def sqlite_number(value: Any) -> float | None:
    """SQLite's `aiops_number(text)`: the text as a number, NULL when it is not one."""
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return float(value)
    return None


def lower(expression: sa.ColumnElement[Any], dialect_name: str) -> sa.ColumnElement[Any]:
    """Lower-cased text, every letter (ClickHouse's lower() changes ASCII letters only)."""
    if dialect_name == "clickhousedb":
        return sa.func.lowerUTF8(expression)
    return sa.func.lower(expression)


def exact_text(expression: sa.ColumnElement[Any], dialect_name: str) -> sa.ColumnElement[Any]:
    """Compare text byte for byte: MySQL's default collations ignore case, accents, padding."""
    if dialect_name in {"mysql", "mariadb"}:
        # Bound values stay strings: MySQL compares a binary and a text operand as bytes.
        return sa.type_coerce(sa.cast(expression, mysql.BINARY()), sa.String())
    return expression
