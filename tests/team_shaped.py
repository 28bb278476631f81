"""Databases shaped like real teams', made deterministically (their truth in plain SQL is
team_truth.py).

Four shapes, each mapped by its own SCHEMA_FILE, one per database kind:

- `postgresql`: timestamptz, UUID ids, Korean feedback words ("좋아요" / "싫어요"), scores 0–100
  in a SMALLINT, Korean tenant names as segments;
- `mariadb`: DATETIME(6) (naive, read in DB_TIMEZONE), TINYINT(1) thumbs (1 / 0), scores in
  DECIMAL(3,1);
- `sqlite`: integer millisecond epochs, "up" / "down" votes, scores 1–5;
- `clickhouse`: UUID trace ids, DateTime64(3, 'Asia/Seoul') conversations, bare DateTime
  ratings and DateTime64(3) scores (UTC), LowCardinality(Nullable(String)) model and segment,
  Nullable(UInt8) thumbs (1 / 0), Nullable(Decimal(5, 2)) scores 0–10. The conversations and
  the ratings are ReplacingMergeTree tables ordered by id with a version column, some of
  their rows inserted twice (an update: a model filled in later, a thumb changed) and held
  twice (merges stopped); the scores a MergeTree ordered by time only.

Only `created_at` is indexed, besides the primary keys. The rows hold what breaks attribution
by a time window: ratings of conversations 3 to 5 weeks old, ratings a day or two after their
conversation, ratings logged a little before it, and rows whose conversation is NULL or does
not exist; some conversations have no segment or no model.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine

from chatbot_tables import clickhouse_insert

SEOUL = ZoneInfo("Asia/Seoul")
WEEK_START = date(2026, 11, 16)  # the reported week, Monday, in Asia/Seoul
MODELS = ["gpt-4o-mini", "claude-3-5-haiku", "hcx-005", None]


@dataclass(frozen=True)
class Names:
    """The team's table and column names of one shape."""

    conversations: str
    conv_id: str
    segment: str
    model: str
    user_id: str
    conv_at: str
    feedback: str
    feedback_id: str
    feedback_conv: str
    feedback_value: str
    feedback_at: str
    evaluations: str
    evaluation_id: str
    evaluation_conv: str
    score: str
    evaluation_at: str


@dataclass(frozen=True)
class Shape:
    """One team's database: its names, types, values and how plain SQL reads them."""

    kind: str  # the database it is made for: sqlite, postgresql, mariadb, clickhouse
    names: Names
    segments: tuple[str, ...]
    schema_toml: str
    is_like: str  # SQL over the feedback table aliased f
    is_dislike: str
    replacing: tuple[str, ...] = ()  # ClickHouse's tables read with FINAL

    # --- the tables -----------------------------------------------------------------------

    def create(self, engine: Engine) -> dict[str, sa.Table]:
        """Create the three tables (primary keys and created_at indexes only; on ClickHouse
        as its DDL says, their merges stopped so that an update stays held twice)."""
        n = self.names
        if self.kind == "clickhouse":
            with engine.connect() as conn:
                for statement in CLICKHOUSE_DDL:
                    conn.exec_driver_sql(statement)
                for table in self.replacing:
                    conn.exec_driver_sql(f"SYSTEM STOP MERGES {table}")
            return {
                role: sa.table(getattr(n, role))
                for role in ("conversations", "feedback", "evaluations")
            }
        metadata = sa.MetaData()
        id_type, time_type, value_type, score_type = self._types()
        conversations = sa.Table(
            n.conversations,
            metadata,
            sa.Column(n.conv_id, id_type, primary_key=True, autoincrement=False),
            sa.Column(n.segment, sa.String(40)),
            sa.Column(n.model, sa.String(40)),
            sa.Column(n.user_id, sa.String(40)),
            sa.Column(n.conv_at, time_type, nullable=False, index=True),
            mysql_charset="utf8mb4",
        )
        feedback = sa.Table(
            n.feedback,
            metadata,
            sa.Column(n.feedback_id, id_type, primary_key=True, autoincrement=False),
            sa.Column(n.feedback_conv, id_type),
            sa.Column(n.feedback_value, value_type),
            sa.Column(n.feedback_at, time_type, nullable=False, index=True),
            mysql_charset="utf8mb4",
        )
        evaluations = sa.Table(
            n.evaluations,
            metadata,
            sa.Column(n.evaluation_id, id_type, primary_key=True, autoincrement=False),
            sa.Column(n.evaluation_conv, id_type),
            sa.Column(n.score, score_type),
            sa.Column(n.evaluation_at, time_type, nullable=False, index=True),
            mysql_charset="utf8mb4",
        )
        metadata.create_all(engine)
        return {"conversations": conversations, "feedback": feedback, "evaluations": evaluations}

    def _types(self) -> tuple[Any, Any, Any, Any]:
        if self.kind == "postgresql":
            return sa.Uuid(), sa.DateTime(timezone=True), sa.Text(), sa.SmallInteger()
        if self.kind == "mariadb":
            return sa.BigInteger(), mysql.DATETIME(fsp=6), mysql.TINYINT(1), sa.Numeric(3, 1)
        return sa.Integer(), sa.BigInteger(), sa.Text(), sa.Float()

    def schema_file(self, directory: Path) -> Path:
        path = directory / f"schema_{self.kind}.toml"
        path.write_text(self.schema_toml, encoding="utf-8")
        return path

    # --- plain SQL over the team's tables --------------------------------------------------

    def read(self, table: str, alias: str) -> str:
        """`table` aliased `alias` in a FROM clause: deduplicated when a ReplacingMergeTree."""
        return f"{table} {alias}{' FINAL' if table in self.replacing else ''}"

    def within(self, column: str) -> str:
        """`column` in [:s, :e) (the bounds of `bounds`)."""
        if self.kind == "clickhouse":  # instants as epoch milliseconds: no text in a zone
            start, end = "fromUnixTimestamp64Milli(:s)", "fromUnixTimestamp64Milli(:e)"
            return f"{column} >= {start} AND {column} < {end}"
        return f"{column} >= :s AND {column} < :e"

    def bounds(self, start: datetime, end: datetime) -> dict[str, Any]:
        if self.kind == "clickhouse":
            return {"s": int(start.timestamp() * 1000), "e": int(end.timestamp() * 1000)}
        return {"s": self.stored_at(start), "e": self.stored_at(end)}

    # --- values as the team stores them ---------------------------------------------------

    def stored_at(self, instant: datetime) -> Any:
        """An instant as the shape's created_at holds it (and as plain SQL compares it)."""
        if self.kind in ("postgresql", "clickhouse"):
            return instant
        if self.kind == "mariadb":  # naive, in DB_TIMEZONE (UTC)
            return instant.astimezone(UTC).replace(tzinfo=None)
        return int(instant.timestamp() * 1000)

    def make_id(self, rng: random.Random, number: int) -> Any:
        if self.kind in ("postgresql", "clickhouse"):
            return uuid.UUID(int=rng.getrandbits(128), version=4)
        return number

    def feedback_value(self, rng: random.Random) -> Any:
        if self.kind == "postgresql":
            return rng.choice(["좋아요", "좋아요", "싫어요", " 좋아요 ", "보통"])
        if self.kind in ("mariadb", "clickhouse"):
            return rng.choice([1, 1, 0, None])
        return rng.choice(["up", "up", "down", "UP", " down", "meh"])

    def score_value(self, rng: random.Random) -> Any:
        if rng.random() < 0.1:
            return None
        if self.kind == "postgresql":
            return rng.randrange(0, 101)
        if self.kind == "mariadb":
            return round(rng.randrange(0, 101) / 10, 1)
        if self.kind == "clickhouse":
            return Decimal(rng.randrange(0, 1001)) / 100
        return rng.choice([1.0, 1.5, 2.0, 3.0, 3.5, 4.0, 4.5, 5.0])


SHAPES = {
    "postgresql": Shape(
        kind="postgresql",
        names=Names(
            conversations="chat_messages",
            conv_id="msg_id",
            segment="tenant",
            model="llm",
            user_id="user_ref",
            conv_at="logged_at",
            feedback="message_reactions",
            feedback_id="reaction_id",
            feedback_conv="message_id",
            feedback_value="reaction",
            feedback_at="reacted_at",
            evaluations="quality_scores",
            evaluation_id="score_id",
            evaluation_conv="message_id",
            score="quality",
            evaluation_at="scored_at",
        ),
        segments=("globex", "카카오", "토스"),
        schema_toml="""\
[conversations]
table = "chat_messages"
id = "msg_id"
user_id = "user_ref"
model = "llm"
segment = "tenant"
created_at = "logged_at"
[feedback]
table = "message_reactions"
id = "reaction_id"
conversation_id = "message_id"
feedback = "reaction"
created_at = "reacted_at"
like = ["좋아요"]
dislike = ["싫어요"]
[evaluations]
table = "quality_scores"
id = "score_id"
conversation_id = "message_id"
score = "quality"
created_at = "scored_at"
score_range = [0, 100]
""",
        is_like="lower(trim(f.reaction)) = '좋아요'",
        is_dislike="lower(trim(f.reaction)) = '싫어요'",
    ),
    "mariadb": Shape(
        kind="mariadb",
        names=Names(
            conversations="chat_log",
            conv_id="id",
            segment="bot",
            model="model_name",
            user_id="user_id",
            conv_at="created",
            feedback="chat_feedback",
            feedback_id="id",
            feedback_conv="chat_id",
            feedback_value="thumb",
            feedback_at="created",
            evaluations="chat_scores",
            evaluation_id="id",
            evaluation_conv="chat_id",
            score="score",
            evaluation_at="created",
        ),
        segments=("kakao", "naver", "line"),
        schema_toml="""\
[conversations]
table = "chat_log"
model = "model_name"
segment = "bot"
created_at = "created"
[feedback]
table = "chat_feedback"
conversation_id = "chat_id"
feedback = "thumb"
created_at = "created"
like = ["1"]
dislike = ["0"]
[evaluations]
table = "chat_scores"
conversation_id = "chat_id"
created_at = "created"
""",
        is_like="f.thumb = 1",
        is_dislike="f.thumb = 0",
    ),
    "sqlite": Shape(
        kind="sqlite",
        names=Names(
            conversations="turns",
            conv_id="turn_id",
            segment="workspace",
            model="engine",
            user_id="member",
            conv_at="ts_ms",
            feedback="votes",
            feedback_id="vote_id",
            feedback_conv="turn_id",
            feedback_value="vote",
            feedback_at="ts_ms",
            evaluations="grades",
            evaluation_id="grade_id",
            evaluation_conv="turn_id",
            score="grade",
            evaluation_at="ts_ms",
        ),
        segments=("acme", "umbrella", "stark"),
        schema_toml="""\
[conversations]
table = "turns"
id = "turn_id"
user_id = "member"
model = "engine"
segment = "workspace"
created_at = "ts_ms"
created_at_unit = "ms"
[feedback]
table = "votes"
id = "vote_id"
conversation_id = "turn_id"
feedback = "vote"
created_at = "ts_ms"
created_at_unit = "ms"
like = ["up"]
dislike = ["down"]
[evaluations]
table = "grades"
id = "grade_id"
conversation_id = "turn_id"
score = "grade"
created_at = "ts_ms"
created_at_unit = "ms"
score_range = [1, 5]
""",
        is_like="lower(trim(f.vote)) = 'up'",
        is_dislike="lower(trim(f.vote)) = 'down'",
    ),
    "clickhouse": Shape(
        kind="clickhouse",
        names=Names(
            conversations="llm_traces",
            conv_id="trace_id",
            segment="project",
            model="model",
            user_id="user_id",
            conv_at="started_at",
            feedback="trace_feedback",
            feedback_id="feedback_id",
            feedback_conv="trace_id",
            feedback_value="thumbs",
            feedback_at="rated_at",
            evaluations="trace_scores",
            evaluation_id="score_id",
            evaluation_conv="trace_id",
            score="value",
            evaluation_at="scored_at",
        ),
        segments=("shop", "상담", "docs"),
        schema_toml="""\
[conversations]
table = "llm_traces"
id = "trace_id"
segment = "project"
created_at = "started_at"
[feedback]
table = "trace_feedback"
id = "feedback_id"
conversation_id = "trace_id"
feedback = "thumbs"
created_at = "rated_at"
like = ["1"]
dislike = ["0"]
[evaluations]
table = "trace_scores"
id = "score_id"
conversation_id = "trace_id"
score = "value"
created_at = "scored_at"
score_range = [0, 10]
""",
        is_like="f.thumbs = 1",
        is_dislike="f.thumbs = 0",
        replacing=("llm_traces", "trace_feedback"),
    ),
}
CLICKHOUSE_DDL = (
    """CREATE TABLE llm_traces (
        trace_id UUID,
        project LowCardinality(Nullable(String)),
        model LowCardinality(Nullable(String)),
        user_id Nullable(String),
        started_at DateTime64(3, 'Asia/Seoul'),
        version UInt32
    ) ENGINE = ReplacingMergeTree(version) ORDER BY trace_id""",
    """CREATE TABLE trace_feedback (
        feedback_id UUID,
        trace_id Nullable(UUID),
        thumbs Nullable(UInt8),
        rated_at DateTime,
        updated_at DateTime64(3)
    ) ENGINE = ReplacingMergeTree(updated_at) ORDER BY feedback_id""",
    """CREATE TABLE trace_scores (
        score_id UUID,
        trace_id Nullable(UUID),
        value Nullable(Decimal(5, 2)),
        scored_at DateTime64(3)
    ) ENGINE = MergeTree ORDER BY scored_at""",
)


def shape_of(engine: Engine) -> Shape:
    name = engine.dialect.name
    return SHAPES[{"mysql": "mariadb", "clickhousedb": "clickhouse"}.get(name, name)]


# --- the rows -------------------------------------------------------------------------------


def fill(engine: Engine, shape: Shape, seed: int = 23, conversations: int = 420) -> None:
    """Create the shape's tables and fill them with its deterministic rows (on ClickHouse,
    some of them inserted first in an earlier version)."""
    tables = shape.create(engine)
    rows = team_rows(shape, seed, conversations)
    if shape.kind == "clickhouse":
        for inserted in (earlier_versions(rows, shape, seed), rows):
            with engine.connect() as conn:
                for role, table in tables.items():
                    if inserted[role]:
                        clickhouse_insert(conn, table.name, inserted[role])
        return
    with engine.begin() as conn:
        for role, table in tables.items():
            conn.execute(sa.insert(table), rows[role])


def earlier_versions(
    rows: dict[str, list[dict[str, Any]]], shape: Shape, seed: int
) -> dict[str, list[dict[str, Any]]]:
    """Give ClickHouse's rows their version columns, and return the earlier version of some
    of them, inserted before (an update, ReplacingMergeTree's way): a conversation whose model
    and segment were filled in later, a thumb changed a few minutes after."""
    rng = random.Random(seed + 1)
    earlier: dict[str, list[dict[str, Any]]] = {role: [] for role in rows}
    for row in rows["conversations"]:
        row["version"] = 1
        if row["model"] is not None and rng.random() < 0.15:
            earlier["conversations"].append({**row, "model": None, "project": shape.segments[0]})
            row["version"] = 2
    for row in rows["feedback"]:
        row["updated_at"] = row["rated_at"]
        if rng.random() < 0.15:
            flipped = 0 if row["thumbs"] == 1 else 1
            earlier["feedback"].append({**row, "thumbs": flipped})
            row["updated_at"] = row["rated_at"] + timedelta(minutes=rng.randrange(1, 30))
    return earlier


def team_rows(shape: Shape, seed: int, count: int) -> dict[str, list[dict[str, Any]]]:
    """Eight weeks of conversations up to the day after the reported week; their ratings
    minutes to two days later (a few an hour before); ratings in the reported week and the
    one before of conversations 3 to 5 weeks old; rows of no or a missing conversation."""
    n, rng = shape.names, random.Random(seed)
    week_start = datetime.combine(WEEK_START, datetime.min.time(), SEOUL)
    first = week_start - timedelta(weeks=6)
    span_minutes = int((week_start + timedelta(days=8) - first).total_seconds() // 60)
    conversations: list[dict[str, Any]] = []
    feedback: list[dict[str, Any]] = []
    evaluations: list[dict[str, Any]] = []
    created: list[tuple[Any, datetime]] = []

    def rate(conversation: Any, at: datetime) -> None:
        """A feedback row and, most of the time, an evaluation of `conversation` at `at`."""
        feedback.append(
            {
                n.feedback_id: shape.make_id(rng, len(feedback) + 1),
                n.feedback_conv: conversation,
                n.feedback_value: shape.feedback_value(rng),
                n.feedback_at: shape.stored_at(at),
            }
        )
        if rng.random() < 0.75:
            evaluations.append(
                {
                    n.evaluation_id: shape.make_id(rng, len(evaluations) + 1),
                    n.evaluation_conv: conversation,
                    n.score: shape.score_value(rng),
                    n.evaluation_at: shape.stored_at(at + timedelta(minutes=rng.randrange(90))),
                }
            )

    for number in range(1, count + 1):
        at = first + timedelta(minutes=rng.randrange(span_minutes), seconds=rng.randrange(60))
        cid = shape.make_id(rng, number)
        segment = rng.choice([*shape.segments, *shape.segments, None])
        conversations.append(
            {
                n.conv_id: cid,
                n.segment: segment,
                n.model: rng.choice(MODELS),
                n.user_id: f"user-{rng.randrange(60)}",
                n.conv_at: shape.stored_at(at),
            }
        )
        created.append((cid, at))
        for _ in range(rng.choice([0, 1, 1, 2])):
            delay = rng.choice(
                [
                    timedelta(minutes=rng.randrange(1, 600)),
                    timedelta(hours=rng.randrange(20, 60)),  # the next day or the one after
                    -timedelta(minutes=rng.randrange(1, 50)),  # logged before it (clocks)
                ]
            )
            rate(cid, at + delay)
    # Ratings given in the reported week and the one before to conversations 3-5 weeks old.
    for _ in range(90):
        at = week_start - timedelta(weeks=1) + timedelta(minutes=rng.randrange(14 * 24 * 60))
        old = [
            cid for cid, made in created if timedelta(weeks=3) <= at - made <= timedelta(weeks=5)
        ]
        rate(rng.choice(old), at)
    # Rows of no conversation, or of one that does not exist.
    for number in range(12):
        at = week_start - timedelta(weeks=1) + timedelta(minutes=rng.randrange(14 * 24 * 60))
        rate(None if number % 2 else shape.make_id(rng, 10_000 + number), at)
    return {"conversations": conversations, "feedback": feedback, "evaluations": evaluations}


def arrive_late(engine: Engine, shape: Shape, day: datetime, count: int = 30) -> None:
    """Ratings given on `day` (of a week already reported) to conversations 3 to 5 weeks
    older, uploaded late."""
    n, rng = shape.names, random.Random(day.toordinal())
    with engine.connect() as conn:
        old = (
            conn.execute(
                sa.text(
                    f"SELECT c.{n.conv_id} FROM {shape.read(n.conversations, 'c')} "
                    f"WHERE {shape.within(f'c.{n.conv_at}')} ORDER BY c.{n.conv_id}"
                ),
                shape.bounds(day - timedelta(weeks=5), day - timedelta(weeks=3)),
            )
            .scalars()
            .all()
        )
    rows = []
    for number in range(count):
        at = day + timedelta(minutes=rng.randrange(24 * 60))
        rows.append(
            {
                n.feedback_id: shape.make_id(rng, 50_000 + number),
                n.feedback_conv: rng.choice(old),
                n.feedback_value: shape.feedback_value(rng),
                n.feedback_at: shape.stored_at(at),
                **({"updated_at": at} if shape.kind == "clickhouse" else {}),
            }
        )
    with engine.begin() as conn:
        if shape.kind == "clickhouse":
            clickhouse_insert(conn, n.feedback, rows)
        else:
            conn.execute(sa.table(n.feedback, *map(sa.column, rows[0])).insert(), rows)


def change_thumbs(engine: Engine, shape: Shape, day: datetime, count: int = 10) -> None:
    """Turn `count` thumbs given on `day` the other way, as a team updates a ClickHouse
    ReplacingMergeTree: the row inserted again, with the new thumb and a newer version."""
    assert shape.kind == "clickhouse"
    with engine.connect() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO trace_feedback "
                "SELECT feedback_id, trace_id, 1 - thumbs, rated_at, updated_at + INTERVAL 1 HOUR "
                f"FROM trace_feedback FINAL WHERE {shape.within('rated_at')} "
                f"AND thumbs IS NOT NULL ORDER BY feedback_id LIMIT {count}"
            ),
            shape.bounds(day, day + timedelta(days=1)),
        )
