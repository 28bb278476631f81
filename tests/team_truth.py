"""The truth of a team-shaped database (team_shaped.py) in plain SQL: each question answered
by hand-written SQL over the team's own names, never by the project's code (on ClickHouse,
FINAL reads the ReplacingMergeTree tables deduplicated).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from team_shaped import Shape


@dataclass(frozen=True)
class Truth:
    """What plain SQL says of one group of rows in one range."""

    conversations: int = 0
    feedback_total: int = 0
    likes: int = 0
    dislikes: int = 0
    evaluations: int = 0
    score_sum: float = 0.0

    @property
    def avg_score(self) -> float | None:
        return self.score_sum / self.evaluations if self.evaluations else None


def truth(
    conn: Connection, shape: Shape, start: datetime, end: datetime, by: str | None
) -> dict[Any, Truth]:
    """{group: Truth} of the rows created in [start, end), grouped by their conversation's
    `by` ("segment" or "model"; None: one group, None) through a plain join on its id."""
    n = shape.names
    group = {"segment": n.segment, "model": n.model}.get(by or "")
    column = f"c.{group}" if group else "NULL"
    grouped = f" GROUP BY {column}" if group else ""
    conversations = shape.read(n.conversations, "c")
    found: dict[Any, dict[str, Any]] = {}

    def add(statement: str, fields: tuple[str, ...]) -> None:
        for key, *values in conn.execute(sa.text(statement), shape.bounds(start, end)):
            key = key.decode() if isinstance(key, bytes) else key
            entry = found.setdefault(key, {})
            for name, value in zip(fields, values, strict=True):
                entry[name] = float(value or 0) if name == "score_sum" else int(value or 0)

    add(
        f"SELECT {column}, count(*) FROM {conversations} "
        f"WHERE {shape.within(f'c.{n.conv_at}')}{grouped}",
        ("conversations",),
    )
    add(
        f"SELECT {column}, count(*), "
        f"sum(CASE WHEN {shape.is_like} THEN 1 ELSE 0 END), "
        f"sum(CASE WHEN {shape.is_dislike} THEN 1 ELSE 0 END) "
        f"FROM {shape.read(n.feedback, 'f')} LEFT JOIN {conversations} "
        f"ON c.{n.conv_id} = f.{n.feedback_conv} "
        f"WHERE {shape.within(f'f.{n.feedback_at}')}{grouped}",
        ("feedback_total", "likes", "dislikes"),
    )
    add(
        f"SELECT {column}, count(e.{n.score}), sum(e.{n.score}) "
        f"FROM {shape.read(n.evaluations, 'e')} LEFT JOIN {conversations} "
        f"ON c.{n.conv_id} = e.{n.evaluation_conv} "
        f"WHERE {shape.within(f'e.{n.evaluation_at}')}{grouped}",
        ("evaluations", "score_sum"),
    )
    return {key: Truth(**values) for key, values in found.items()}


def held_twice(conn: Connection, shape: Shape) -> dict[str, int]:
    """The rows each ReplacingMergeTree table holds beyond its deduplicated ones."""

    def count(table: str, how: str) -> int:
        return int(conn.execute(sa.text(f"SELECT count() FROM {table} {how}")).scalar_one())

    return {t: count(t, "SETTINGS final = 0") - count(t, "FINAL") for t in shape.replacing}


def late_ratings(conn: Connection, shape: Shape, start: datetime, end: datetime, days: int) -> int:
    """Feedback rows of [start, end) whose conversation was created more than `days` days
    before them: what a window of that width loses."""
    n = shape.names
    rated, made = f"f.{n.feedback_at}", f"c.{n.conv_at}"
    later = {
        "sqlite": f"{rated} - {made} > {days * 86_400_000}",
        "postgresql": f"{rated} - {made} > interval '{days} days'",
        "mariadb": f"{rated} > {made} + INTERVAL {days} DAY",
        "clickhouse": f"{rated} > {made} + INTERVAL {days} DAY",
    }[shape.kind]
    return int(
        conn.execute(
            sa.text(
                f"SELECT count(*) FROM {shape.read(n.feedback, 'f')} "
                f"JOIN {shape.read(n.conversations, 'c')} ON c.{n.conv_id} = f.{n.feedback_conv} "
                f"WHERE {shape.within(rated)} AND {later}"
            ),
            shape.bounds(start, end),
        ).scalar_one()
    )
