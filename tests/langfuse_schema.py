"""Langfuse v3's ClickHouse tables `traces`, `observations` and `scores`, declared here in our
own words as Langfuse's canonical migrations leave them, and rows shaped as Langfuse writes.

Follows langfuse/langfuse `packages/shared/clickhouse/migrations/canonical/`, migrations 0001
to 0038 applied in order (the repository as read in December 2026; 0039 and later add other
tables). What each table owes to which migration:

- traces: 0001 (the table), 0005/0006 (skip indexes on session_id, user_id), 0008
  (`environment`), 0037 (minmax index on created_at);
- observations: 0002 (the table), 0004 (its project_id index dropped), 0008 (`environment`),
  0025 (metadata indexes), 0031 (pricing tier), 0033 (tool definitions and calls), 0037;
- scores: 0003 (the table), 0008 (`environment`), 0010 (`metadata`), 0012 (`session_id`),
  0013/0015 (its trace index dropped, then made again), 0014 (`trace_id` Nullable), 0016
  (session index), 0017/0018 (`dataset_run_id` and its index), 0030 (`execution_trace_id`),
  0034 (`long_string_value`), 0035 (ingestion attribution), 0037.

Columns keep Langfuse's order (a column added with AFTER sits where it was put); the codecs are
left out, as they change nothing that is read. Every table is a ReplacingMergeTree on
(event_ts, is_deleted): an update is a new row with a newer event_ts, a deletion one with
is_deleted = 1, and both versions stay until a merge.
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

TRACES = """
CREATE TABLE traces (
    id String,
    timestamp DateTime64(3),
    name String,
    user_id Nullable(String),
    metadata Map(LowCardinality(String), String),
    release Nullable(String),
    version Nullable(String),
    project_id String,
    environment LowCardinality(String) DEFAULT 'default',
    public Bool,
    bookmarked Bool,
    tags Array(String),
    input Nullable(String),
    output Nullable(String),
    session_id Nullable(String),
    created_at DateTime64(3) DEFAULT now(),
    updated_at DateTime64(3) DEFAULT now(),
    event_ts DateTime64(3),
    is_deleted UInt8,
    INDEX idx_id id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_metadata_key mapKeys(metadata) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_metadata_value mapValues(metadata) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_session_id session_id TYPE bloom_filter() GRANULARITY 1,
    INDEX idx_user_id user_id TYPE bloom_filter() GRANULARITY 1,
    INDEX idx_created_at created_at TYPE minmax GRANULARITY 1
)
ENGINE = ReplacingMergeTree(event_ts, is_deleted)
PARTITION BY toYYYYMM(timestamp)
PRIMARY KEY (project_id, toDate(timestamp))
ORDER BY (project_id, toDate(timestamp), id)
"""

OBSERVATIONS = """
CREATE TABLE observations (
    id String,
    trace_id String,
    project_id String,
    environment LowCardinality(String) DEFAULT 'default',
    type LowCardinality(String),
    parent_observation_id Nullable(String),
    start_time DateTime64(3),
    end_time Nullable(DateTime64(3)),
    name String,
    metadata Map(LowCardinality(String), String),
    level LowCardinality(String),
    status_message Nullable(String),
    version Nullable(String),
    input Nullable(String),
    output Nullable(String),
    provided_model_name Nullable(String),
    internal_model_id Nullable(String),
    model_parameters Nullable(String),
    provided_usage_details Map(LowCardinality(String), UInt64),
    usage_details Map(LowCardinality(String), UInt64),
    provided_cost_details Map(LowCardinality(String), Decimal64(12)),
    cost_details Map(LowCardinality(String), Decimal64(12)),
    total_cost Nullable(Decimal64(12)),
    completion_start_time Nullable(DateTime64(3)),
    prompt_id Nullable(String),
    prompt_name Nullable(String),
    prompt_version Nullable(UInt16),
    created_at DateTime64(3) DEFAULT now(),
    updated_at DateTime64(3) DEFAULT now(),
    event_ts DateTime64(3),
    is_deleted UInt8,
    usage_pricing_tier_id Nullable(String),
    usage_pricing_tier_name Nullable(String),
    tool_definitions Map(String, String) DEFAULT map(),
    tool_calls Array(String) DEFAULT [],
    tool_call_names Array(String) DEFAULT [],
    INDEX idx_id id TYPE bloom_filter() GRANULARITY 1,
    INDEX idx_trace_id trace_id TYPE bloom_filter() GRANULARITY 1,
    INDEX idx_res_metadata_key mapKeys(metadata) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_metadata_value mapValues(metadata) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_created_at created_at TYPE minmax GRANULARITY 1
)
ENGINE = ReplacingMergeTree(event_ts, is_deleted)
PARTITION BY toYYYYMM(start_time)
PRIMARY KEY (project_id, type, toDate(start_time))
ORDER BY (project_id, type, toDate(start_time), id)
"""

SCORES = """
CREATE TABLE scores (
    id String,
    timestamp DateTime64(3),
    project_id String,
    environment LowCardinality(String) DEFAULT 'default',
    trace_id Nullable(String),
    session_id Nullable(String),
    dataset_run_id Nullable(String),
    observation_id Nullable(String),
    name String,
    value Float64,
    source String,
    comment Nullable(String),
    metadata Map(LowCardinality(String), String),
    author_user_id Nullable(String),
    config_id Nullable(String),
    data_type String,
    string_value Nullable(String),
    queue_id Nullable(String),
    created_at DateTime64(3) DEFAULT now(),
    updated_at DateTime64(3) DEFAULT now(),
    event_ts DateTime64(3),
    is_deleted UInt8,
    execution_trace_id Nullable(String),
    long_string_value String,
    ingestion_api_key String DEFAULT '',
    ingestion_sdk_name LowCardinality(String) DEFAULT 'unknown',
    ingestion_sdk_version LowCardinality(String) DEFAULT 'unknown',
    INDEX idx_id id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_project_trace_observation (project_id, trace_id, observation_id)
        TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_project_session (project_id, session_id) TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_project_dataset_run (project_id, dataset_run_id)
        TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_created_at created_at TYPE minmax GRANULARITY 1
)
ENGINE = ReplacingMergeTree(event_ts, is_deleted)
PARTITION BY toYYYYMM(timestamp)
PRIMARY KEY (project_id, toDate(timestamp), name)
ORDER BY (project_id, toDate(timestamp), name, id)
"""

LANGFUSE_TABLES = {"traces": TRACES, "observations": OBSERVATIONS, "scores": SCORES}


def create_langfuse_tables(conn: sa.Connection) -> None:
    """Langfuse's three tables in the connection's ClickHouse database."""
    for statement in LANGFUSE_TABLES.values():
        conn.exec_driver_sql(statement)


def insert_rows(conn: sa.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """`rows` (each with the same keys) into `table` through the driver's columnar insert, as
    one block, so one part: columns the rows leave out take their defaults."""
    names = list(rows[0])
    client = conn.connection.dbapi_connection.client  # type: ignore[union-attr]
    client.insert(table, [[row[n] for n in names] for row in rows], column_names=names)


# --- rows as Langfuse writes them --------------------------------------------------------------

PROJECT = "proj-chatbot"
MODELS = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4"]
FIRST_EVENT = datetime(2026, 1, 1)  # event_ts of the first version of every row
Batch = dict[str, list[dict[str, Any]]]  # {table: rows}, inserted as one part per table


def utc(day: date, zone: ZoneInfo, ms: int) -> datetime:
    """The instant `ms` milliseconds after midnight of `day` in `zone`, as the naive UTC
    time Langfuse stores in its DateTime64(3) columns."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
    return (midnight + timedelta(milliseconds=ms)).replace(tzinfo=None)


@dataclass
class LangfuseRows:
    """Seeded rows of one Langfuse project, in three batches: the first versions, then the
    updates and deletions (newer event_ts), then a second update of some traces."""

    seed: int
    days: list[date]
    zone: ZoneInfo  # the days' zone (the report's): rows on its midnights
    batches: list[Batch] = field(default_factory=lambda: [_empty(), _empty(), _empty()])

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.ids = itertools.count(1)
        for day in self.days:
            last = 86_400_000 - 1
            times = [self.rng.randrange(0, last) for _ in range(self.rng.randint(12, 24))]
            for ms in [*times, 0, last]:  # on the zone's midnight, and a millisecond before
                self.trace(utc(day, self.zone, ms))
            self.judge_run(utc(day, self.zone, self.rng.randrange(0, last)))
        first = self.batches[0]["traces"][0]
        self.batches[0]["scores"].append(  # a session's score: feedback of no trace
            self.score(None, first["timestamp"], "user-feedback", 1.0, "BOOLEAN", "API")
        )

    def new_id(self, kind: str) -> str:
        return f"{kind}-{next(self.ids):06d}"

    def later(self, row: dict[str, Any], batch: int, **changes: Any) -> None:
        """A newer version of `row` (an update, or with is_deleted=1 a deletion)."""
        table = {"t": "traces", "o": "observations", "s": "scores"}[row["id"][0]]
        version = {**row, **changes, "event_ts": FIRST_EVENT + timedelta(days=batch)}
        self.batches[batch][table].append(version)

    def trace(self, when: datetime) -> None:
        rng, n = self.rng, next(self.ids)
        row = {
            "id": f"t-{n:06d}",
            "timestamp": when,
            "name": rng.choice(["chat", "chat", "search-assist"]),
            "user_id": rng.choice([None, *(f"user-{k}" for k in range(30))]),
            "metadata": {"channel": rng.choice(["web", "app"])},
            "release": rng.choice([None, "1.4.0", "1.5.0"]),
            "project_id": PROJECT,
            "environment": rng.choice(["production", "production", "staging", "default"]),
            "public": False,
            "bookmarked": False,
            "tags": [],
            "input": json.dumps(f"질문 {n}", ensure_ascii=False),
            "output": json.dumps(f"답변 {n}", ensure_ascii=False),
            "session_id": f"session-{n // 3}",
            "event_ts": FIRST_EVENT,
            "is_deleted": 0,
        }
        self.batches[0]["traces"].append(row)
        roll = rng.random()
        if roll < 0.05:
            self.later(row, 1, is_deleted=1)
        elif roll < 0.15:  # updated twice: the newest name and user count
            self.later(row, 1, name="search-assist", output=None)
            self.later(row, 2, name=rng.choice(["chat", "support"]), user_id="user-updated")
        elif roll < 0.18:  # moved across the zone's midnight (the same UTC date)
            self.later(
                row,
                1,
                timestamp=when.replace(hour=14, minute=59, second=59, microsecond=0)
                + timedelta(milliseconds=rng.choice([999, 1000])),
            )
        self.observations(row)
        self.scores(row)

    def observations(self, trace: dict[str, Any]) -> None:
        rng, start = self.rng, trace["timestamp"]
        if rng.random() < 0.1:
            return  # a trace without observations
        end = start + timedelta(milliseconds=rng.randint(300, 9000))
        self.observation(trace, "SPAN", start - timedelta(milliseconds=rng.choice([0, 0, 40])), end)
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            begin = start + timedelta(milliseconds=rng.randint(0, 2000))
            generation = self.observation(
                trace,
                "GENERATION",
                begin,
                None,  # the first version: the call has started
            )
            usage = {"input": rng.randint(10, 900), "output": rng.randint(5, 600)}
            if rng.random() < 0.3:
                usage["input_cached_tokens"] = rng.randint(0, 300)
            if rng.random() < 0.1:
                usage = {}  # a generation without usage
            usage_total = {**usage, "total": sum(usage.values())} if usage else {}
            self.later(
                generation,
                1,
                end_time=begin + timedelta(milliseconds=rng.randint(100, 12_000)),
                provided_model_name=rng.choice([*MODELS, None]),
                usage_details=usage_total,
                provided_usage_details=usage,
            )
            if rng.random() < 0.05:
                self.later(generation, 2, is_deleted=1)
        if rng.random() < 0.2:  # an event: a start and no end
            self.observation(
                trace, "EVENT", end + timedelta(milliseconds=rng.randint(1, 500)), None
            )

    def observation(
        self, trace: dict[str, Any], kind: str, start: datetime, end: datetime | None
    ) -> dict[str, Any]:
        row = {
            "id": self.new_id("o"),
            "trace_id": trace["id"],
            "project_id": PROJECT,
            "environment": trace["environment"],
            "type": kind,
            "start_time": start,
            "end_time": end,
            "name": kind.lower(),
            "level": "DEFAULT",
            "provided_model_name": None,
            "usage_details": {},
            "provided_usage_details": {},
            "cost_details": {},
            "total_cost": None,
            "event_ts": FIRST_EVENT,
            "is_deleted": 0,
        }
        self.batches[0]["observations"].append(row)
        return row

    def score(
        self,
        trace: dict[str, Any] | None,
        when: datetime,
        name: str,
        value: float,
        data_type: str,
        source: str,
    ) -> dict[str, Any]:
        return {
            "id": self.new_id("s"),
            "timestamp": when,
            "project_id": PROJECT,
            "environment": trace["environment"] if trace else "default",
            "trace_id": trace["id"] if trace else None,
            "session_id": None if trace else "session-0",
            "name": name,
            "value": value,
            "source": source,
            "comment": self.rng.choice([None, f"의견 {value}"]),
            "data_type": data_type,
            "string_value": {"BOOLEAN": str(bool(value)), "CATEGORICAL": "good"}.get(data_type),
            "event_ts": FIRST_EVENT,
            "is_deleted": 0,
            "long_string_value": "",
        }

    def scores(self, trace: dict[str, Any]) -> None:
        rng, when = self.rng, trace["timestamp"]

        def add(name: str, value: float, data_type: str, source: str, hours: int) -> None:
            row = self.score(
                trace,
                when + timedelta(minutes=rng.randint(0, hours * 60)),
                name,
                value,
                data_type,
                source,
            )
            self.batches[0]["scores"].append(row)
            roll = rng.random()
            if roll < 0.05:
                self.later(row, 1, is_deleted=1)
            elif roll < 0.15:  # changed: a thumb flipped, an evaluation scored again
                self.later(row, 1, value=round(1 - value, 3))

        if rng.random() < 0.5:
            kind = rng.choice(["BOOLEAN", "NUMERIC"])
            value = rng.choice([1.0, 1.0, 0.0] + ([0.5] if kind == "NUMERIC" else []))
            add("user-feedback", value, kind, "API", 30)
        if rng.random() < 0.7:
            add("helpfulness", round(rng.random(), 3), "NUMERIC", "EVAL", 20)
        if rng.random() < 0.3:  # scores the recipe must leave out
            add("toxicity", round(rng.random(), 3), "NUMERIC", "EVAL", 20)
        if rng.random() < 0.1:
            add("helpfulness", rng.choice([0.0, 1.0]), "NUMERIC", "ANNOTATION", 48)
        if rng.random() < 0.05:
            add("user-feedback", 0.0, "CATEGORICAL", "API", 5)

    def judge_run(self, when: datetime) -> None:
        """A trace Langfuse writes for its own LLM-as-a-judge run, with a generation."""
        row = {
            "id": self.new_id("t"),
            "timestamp": when,
            "name": "Execute evaluator: helpfulness",
            "user_id": None,
            "metadata": {},
            "release": None,
            "project_id": PROJECT,
            "environment": "langfuse-llm-as-a-judge",
            "public": False,
            "bookmarked": False,
            "tags": [],
            "input": None,
            "output": None,
            "session_id": None,
            "event_ts": FIRST_EVENT,
            "is_deleted": 0,
        }
        self.batches[0]["traces"].append(row)
        generation = self.observation(row, "GENERATION", when, when + timedelta(seconds=2))
        self.later(generation, 1, provided_model_name="gpt-4o-mini", usage_details={"input": 700})


def _empty() -> Batch:
    return {"traces": [], "observations": [], "scores": []}


def load_langfuse(conn: sa.Connection, rows: LangfuseRows) -> None:
    """Langfuse's tables with `rows`, each batch a part of its own (so that every updated row
    is held twice until a merge, as after a real update)."""
    create_langfuse_tables(conn)
    for batch in rows.batches:
        for table, table_rows in batch.items():
            if table_rows:
                insert_rows(conn, table, table_rows)
