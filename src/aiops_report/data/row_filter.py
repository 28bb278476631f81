"""SCHEMA_FILE `where`: the rows of a table that count, as one condition on its own columns.

The condition is read by a real SQL parser (sqlglot, in the database's dialect) and rebuilt as
a SQLAlchemy expression from the few constructs listed in `_Builder`: nothing the parser did
not understand reaches the database, the values travel as bound parameters, and the same
condition applies to the table or to any alias of it. A `;`, a subquery, another table's
name, a column the table lacks, a function or construct not listed, or an expression that is
not true or false for a row is refused with one line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
import sqlglot
from sqlalchemy.dialects import mysql
from sqlglot import TokenType, exp
from sqlglot.errors import ParseError, SqlglotError

from aiops_report.errors import ConfigError

# sqlglot's name of each SQLAlchemy dialect; another dialect is read as standard SQL.
_DIALECTS = {
    "postgresql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
    "clickhousedb": "clickhouse",
    "clickhouse": "clickhouse",
}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CLASS = re.compile(r"<class 'sqlglot\.expressions\.[\w.]*?(\w+)'>")
_COMPARISONS: dict[type[exp.Expr], Callable[[Any, Any], Any]] = {
    exp.EQ: lambda a, b: a == b,
    exp.NEQ: lambda a, b: a != b,
    exp.GT: lambda a, b: a > b,
    exp.GTE: lambda a, b: a >= b,
    exp.LT: lambda a, b: a < b,
    exp.LTE: lambda a, b: a <= b,
    exp.NullSafeEQ: lambda a, b: a.is_not_distinct_from(b),
    exp.NullSafeNEQ: lambda a, b: a.is_distinct_from(b),
}
_ARITHMETIC: dict[type[exp.Expr], Callable[[Any, Any], Any]] = {
    exp.Add: lambda a, b: a + b,
    exp.Sub: lambda a, b: a - b,
    exp.Mul: lambda a, b: a * b,
    exp.Div: lambda a, b: a / b,
}
_FUNCTIONS: dict[type[exp.Expr], Callable[..., Any]] = {
    exp.Lower: sa.func.lower,
    exp.Upper: sa.func.upper,
    exp.Trim: sa.func.trim,
    exp.Coalesce: sa.func.coalesce,
}
_ONE = frozenset({"this"})
_TWO = frozenset({"this", "expression"})
_NEGATED = frozenset({"this", "expression", "negate"})
# The parts each construct may have (sqlglot's args): any other part, or any other construct,
# is refused rather than left out of the rebuilt condition.
_ARGS: dict[type[exp.Expr], frozenset[str]] = {
    **dict.fromkeys((*_COMPARISONS, *_ARITHMETIC, exp.And, exp.Or), _TWO),
    **dict.fromkeys((exp.Not, exp.Paren, exp.Neg, exp.Boolean, exp.Lower, exp.Upper), _ONE),
    exp.Trim: _ONE,
    exp.Coalesce: frozenset({"this", "expressions"}),
    exp.Is: _NEGATED,
    exp.Like: _NEGATED,
    exp.ILike: _NEGATED,
    exp.In: frozenset({"this", "expressions", "negate"}),
    exp.Between: frozenset({"this", "low", "high", "negate"}),
    exp.Column: frozenset({"this", "table"}),
    exp.Identifier: frozenset({"this", "quoted"}),
    exp.Literal: frozenset({"this", "is_string"}),
    exp.Null: frozenset(),
}
SUPPORTED = (
    "comparisons, AND, OR, NOT, IN (values), BETWEEN, LIKE, IS [NOT] NULL, + - * /, "
    "lower, upper, trim, coalesce"
)


@dataclass(frozen=True)
class RowFilter:
    """The `where` of one table, parsed: `on(table)` is its condition on the table or an
    alias of it."""

    text: str
    expression: exp.Expr
    columns: dict[str, str]  # the column's name as written in `text` -> its key in table.c

    def on(self, table: sa.FromClause) -> sa.ColumnElement[bool]:
        condition: sa.ColumnElement[bool] = _Builder(table, self.columns).condition(self.expression)
        return condition


def parse_filter(text: str, table: sa.Table, dialect: str, setting: str) -> RowFilter:
    """`text` as a condition on the columns of `table` (reflected, keyed by part).

    Raises ConfigError naming `setting` and what is refused, in one line.
    """

    def refuse(problem: str) -> ConfigError:
        return ConfigError(f"{setting} = {text!r}: {problem}")

    read = _DIALECTS.get(dialect)
    try:
        tokens = sqlglot.tokenize(text, read=read)
        if any(token.token_type == TokenType.SEMICOLON for token in tokens):
            raise refuse("one condition, without `;`")
        # Parsed as an expression, never a statement: a column may be called `comment`.
        expression = sqlglot.parse_one(text, read=read, into=exp.Condition)
    except SqlglotError as exc:
        raise refuse(f"not a condition the SQL parser reads ({_reason(exc)})") from None
    if any(isinstance(e, exp.Query | exp.Subquery | exp.Exists) for e in expression.walk()):
        raise refuse(f"a subquery reads other rows: a condition on {table.name}'s own columns")
    for node in expression.walk():
        parts = {key for key, value in node.args.items() if value not in (None, False, [])}
        if type(node) not in _ARGS or not parts <= _ARGS[type(node)]:
            raise refuse(f"{node.sql()} is not supported; conditions are made of {SUPPORTED}")
    names = {c.name: c.key for c in table.c}
    folded = {name.lower(): key for name, key in names.items()}
    columns: dict[str, str] = {}
    for column in expression.find_all(exp.Column):
        qualifier = column.table
        if qualifier and qualifier.lower() not in {table.name.lower(), table.fullname.lower()}:
            raise refuse(f"names another table ({qualifier}): use only {table.name}'s own columns")
        name = column.name
        identifier = column.this
        quoted = isinstance(identifier, exp.Identifier) and identifier.quoted
        key = names.get(name) if quoted else names.get(name, folded.get(name.lower()))
        if key is None:
            listed = ", ".join(c.name for c in table.c)
            raise refuse(f"{table.name} has no column {name!r} (its columns: {listed})")
        columns[name] = key
    found = RowFilter(text, expression, columns)
    try:
        found.on(table)
    except _Refused as refused:
        raise refuse(str(refused)) from None
    return found


def _reason(exc: SqlglotError) -> str:
    """The parser's first complaint, and where: "'=' lacks its right side at column 3"."""
    first = exc.errors[0] if isinstance(exc, ParseError) and exc.errors else None
    if first is None:
        return _ANSI.sub("", str(exc)).splitlines()[0]
    described = _CLASS.sub(lambda m: m.group(1), first["description"])
    return f"{described}, at {first['highlight']!r}, column {first['col']}"


class _Refused(Exception):
    """A construct the filter does not rebuild."""


class _Builder:
    """A parsed condition (of the shapes `_ARGS` allows) rebuilt on `table`'s columns."""

    def __init__(self, table: sa.FromClause, columns: dict[str, str]):
        self.table = table
        self.columns = columns

    def condition(self, node: exp.Expr) -> Any:
        """`node`, which must be true or false for each row."""
        built = self._predicate(node)
        if built is None:
            raise _Refused(
                f"{node.sql()} is not a condition (true or false for each row), "
                f"e.g. is_internal = false; conditions are made of {SUPPORTED}"
            )
        return sa.not_(built) if node.args.get("negate") else built

    def _predicate(self, node: exp.Expr) -> Any:
        """`node` as a condition (its `negate` aside), or None when it is a mere value."""
        if isinstance(node, exp.Paren):
            return self.condition(node.this)
        if isinstance(node, exp.And | exp.Or):
            join = sa.and_ if isinstance(node, exp.And) else sa.or_
            return join(self.condition(node.this), self.condition(node.expression))
        if isinstance(node, exp.Not):
            return sa.not_(self.condition(node.this))
        if isinstance(node, exp.Boolean):
            return sa.true() if node.this else sa.false()
        if type(node) in _COMPARISONS:
            left, right = self.value(node.this), self.value(node.expression)
            if not isinstance(left, sa.ColumnElement):  # a value first: compared as SQL
                left = sa.literal(left) if isinstance(right, sa.ColumnElement) else left
            return _COMPARISONS[type(node)](_sql(left), right)
        if isinstance(node, exp.Is):
            subject, target = _sql(self.value(node.this)), node.expression
            if isinstance(target, exp.Null):
                return subject.is_(None)
            if isinstance(target, exp.Boolean):
                return subject.is_(sa.true() if target.this else sa.false())
            raise _Refused(f"{node.sql()}: IS takes NULL, TRUE or FALSE")
        if isinstance(node, exp.In):
            return _sql(self.value(node.this)).in_([self.value(e) for e in node.expressions])
        if isinstance(node, exp.Between):
            low, high = self.value(node.args["low"]), self.value(node.args["high"])
            return _sql(self.value(node.this)).between(low, high)
        if isinstance(node, exp.Like | exp.ILike):
            pattern = self.value(node.expression)
            subject = _sql(self.value(node.this))
            return subject.like(pattern) if isinstance(node, exp.Like) else subject.ilike(pattern)
        if isinstance(node, exp.Column):
            column = self._column(node)
            if _boolean(column):
                return column == sa.true()
        return None

    def value(self, node: exp.Expr) -> Any:
        """`node` as a value: a column, a listed operation, or a literal as a Python value
        (SQLAlchemy binds it with the type of the column it meets)."""
        if isinstance(node, exp.Paren):
            return self.value(node.this)
        if isinstance(node, exp.Column):
            return self._column(node)
        if isinstance(node, exp.Literal):
            return _literal(node)
        if isinstance(node, exp.Neg):
            inner = self.value(node.this)
            return -inner
        if isinstance(node, exp.Null):
            return sa.null()
        if type(node) in _ARITHMETIC:
            left, right = self.value(node.this), self.value(node.expression)
            return _ARITHMETIC[type(node)](_sql(left), right)
        if type(node) in _FUNCTIONS:
            arguments = [node.this, *node.expressions]
            return _FUNCTIONS[type(node)](*[self.value(a) for a in arguments])
        return self.condition(node)  # a condition compared as a value: (a = 1) = true

    def _column(self, node: exp.Column) -> sa.ColumnElement[Any]:
        column: sa.ColumnElement[Any] = self.table.c[self.columns[node.name]]
        return column


def _sql(value: Any) -> Any:
    """`value` as a SQL expression: a literal value becomes a bound parameter."""
    return value if isinstance(value, sa.ColumnElement) else sa.literal(value)


def _literal(node: exp.Literal) -> Any:
    if node.is_string:
        return node.this
    text = str(node.this)
    return int(text) if text.lstrip("-").isdigit() else Decimal(text)


def _boolean(column: sa.ColumnElement[Any]) -> bool:
    """A column whose value alone is a condition: a boolean (MySQL's TINYINT(1) too)."""
    kind = column.type
    return isinstance(kind, sa.Boolean) or (
        isinstance(kind, mysql.TINYINT) and getattr(kind, "display_width", None) == 1
    )
