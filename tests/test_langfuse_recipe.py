"""The Langfuse recipe (examples/langfuse/) gives the numbers that Langfuse's own tables say.

Langfuse's tables (tests/langfuse_schema.py, as its migrations leave them) hold three weeks of
seeded rows in the in-process ClickHouse engine: traces updated twice, deleted traces,
observations and scores, generations completed by a later version, scores changed and
deleted, the judge's own traces, scores of other names and sources, rows on Seoul's midnights.
The recipe's views are made from examples/langfuse/views.sql and the report reads them through
examples/langfuse/schema.toml. The truth is SQL written apart on the raw tables: each row's
newest version by `ORDER BY event_ts DESC LIMIT 1 BY id` (never FINAL), read with final = 0.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from aiops_report.data.periods import Period
from aiops_report.faces.cli import app
from conftest import sqlite_url
from langfuse_schema import LangfuseRows, load_langfuse

RECIPE = Path(__file__).parents[1] / "examples" / "langfuse"
SEOUL = ZoneInfo("Asia/Seoul")  # the report's zone (the default REPORT_TIMEZONE)
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)
DAYS = [WEEK.start - timedelta(days=8) + timedelta(days=n) for n in range(17)]
NOT_FINAL = "SETTINGS final = 0, join_use_nulls = 1, session_timezone = 'UTC'"


def view_statements() -> list[str]:
    """The statements of views.sql, as `clickhouse-client --multiquery` would run them."""
    text = (RECIPE / "views.sql").read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [statement for statement in code.split(";") if statement.strip()]


@pytest.fixture
def langfuse(clickhouse_db: str, tmp_path: Path) -> Any:
    """The environment of a team that followed the recipe's README, and a plain engine."""
    raw = sa.create_engine(clickhouse_db)
    with raw.connect() as conn:
        load_langfuse(conn, LangfuseRows(seed=24, days=DAYS, zone=SEOUL))
        for statement in view_statements():
            conn.exec_driver_sql(statement)
    env = {
        "DATABASE_URL": clickhouse_db,
        "STATE_DATABASE_URL": sqlite_url(tmp_path / "state.db"),
        "SCHEMA_FILE": str(RECIPE / "schema.toml"),
        "REPORT_DIR": str(tmp_path / "reports"),
    }
    yield env, raw
    raw.dispose()


# --- the truth: hand SQL on Langfuse's raw tables ----------------------------------------------

NEWEST = "SELECT * FROM {table} ORDER BY event_ts DESC LIMIT 1 BY project_id, id"

TRUTH_TABLES = {
    # A conversation per trace that is not deleted, outside Langfuse's own environments.
    "truth_conversations": f"""
        SELECT id, timestamp AS at, name, user_id FROM ({NEWEST.format(table="traces")})
        WHERE is_deleted = 0 AND NOT startsWith(environment, 'langfuse')
          AND environment != 'sdk-experiment'
    """,
    "truth_observations": f"""
        SELECT * FROM ({NEWEST.format(table="observations")}) WHERE is_deleted = 0
    """,
    # Per trace: latency over all its observations, model of its latest named generation,
    # tokens of its generations summed key by key.
    "truth_facts": """
        SELECT c.id AS id, c.at AS at, c.name AS name, c.user_id AS user_id,
               spans.latency AS latency, last_model.model AS model,
               tokens.prompt AS prompt, tokens.completion AS completion
        FROM truth_conversations AS c
        LEFT JOIN (
            SELECT trace_id,
                   toUnixTimestamp64Milli(greatest(max(start_time), max(coalesce(end_time,
                   start_time)))) - toUnixTimestamp64Milli(min(start_time)) AS latency
            FROM truth_observations GROUP BY trace_id
        ) AS spans ON spans.trace_id = c.id
        LEFT JOIN (
            SELECT trace_id, provided_model_name AS model FROM truth_observations
            WHERE type = 'GENERATION' AND provided_model_name IS NOT NULL
            ORDER BY start_time DESC, id DESC LIMIT 1 BY trace_id
        ) AS last_model ON last_model.trace_id = c.id
        LEFT JOIN (
            SELECT trace_id,
                   sum(arraySum(arrayMap(k -> if(position(lower(k), 'input') > 0,
                       usage_details[k], 0), mapKeys(usage_details)))) AS prompt,
                   sum(arraySum(arrayMap(k -> if(position(lower(k), 'output') > 0,
                       usage_details[k], 0), mapKeys(usage_details)))) AS completion
            FROM truth_observations WHERE type = 'GENERATION' GROUP BY trace_id
        ) AS tokens ON tokens.trace_id = c.id
    """,
    "truth_feedback": f"""
        SELECT timestamp AS at, trace_id, value FROM ({NEWEST.format(table="scores")})
        WHERE is_deleted = 0 AND name = 'user-feedback' AND data_type IN ('BOOLEAN', 'NUMERIC')
    """,
    "truth_evaluations": f"""
        SELECT timestamp AS at, trace_id, value FROM ({NEWEST.format(table="scores")})
        WHERE is_deleted = 0 AND source = 'EVAL' AND name = 'helpfulness'
          AND data_type IN ('NUMERIC', 'BOOLEAN')
    """,
}

# The groups of a feedback or evaluation row: its conversation's, whatever its date.
GROUP_OF = {
    "model": "coalesce(f.model, '(unknown)')",
    "segment": "coalesce(f.name, '(unknown)')",
}


def truth(raw: Engine, period: Period) -> dict[str, Any]:
    """The report's numbers of `period`, from the raw tables."""
    with raw.connect() as conn:
        for name, select in TRUTH_TABLES.items():
            conn.exec_driver_sql(f"CREATE TABLE {name} ENGINE = Memory AS {select} {NOT_FINAL}")

        def rows(sql: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
            # The raw columns hold naive UTC times.
            bounds = {
                key: at.astimezone(UTC).replace(tzinfo=None)
                for key, at in [("start", start), ("end", end)]
            }
            result = conn.execute(sa.text(f"{sql} {NOT_FINAL}"), bounds)
            return [dict(row._mapping) for row in result]

        def grouped(key: str, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
            """{group: counts} of the conversations, feedback and evaluations of the range."""
            groups: dict[str, dict[str, Any]] = {}
            for part, sql in grouped_sql(key).items():
                for row in rows(sql, start, end):
                    groups.setdefault(row.pop("grp"), {}).update({part: row})
            return groups

        start, end = period.start_at, period.end_at
        previous = (period.previous.start_at, period.previous.end_at)
        document = {
            "current": headline(grouped("'all'", start, end).get("all", {})),
            "previous": headline(grouped("'all'", *previous).get("all", {})),
            "daily": [
                {"date": day.isoformat(), **daily(grouped("'all'", s, e).get("all", {}))}
                for day, (s, e) in zip(period.days, period.day_ranges(), strict=True)
            ],
            "by_model": {
                group: by_model(counts) for group, counts in grouped("model", start, end).items()
            },
            "by_segment": {
                group: by_segment(counts)
                for group, counts in grouped("segment", start, end).items()
            },
        }
        for name in TRUTH_TABLES:
            conn.exec_driver_sql(f"DROP TABLE {name}")
    return document


def grouped_sql(key: str) -> dict[str, str]:
    """Per group: the conversations' counts, and the feedback's and evaluations' counts by
    their conversation's group (`key`: 'model', 'segment' or a constant for the whole)."""
    conversation_group = {"model": "coalesce(model, '(unknown)')", "segment": "name"}.get(key, key)
    linked_group = GROUP_OF.get(key, key)
    return {
        "conversations": f"""
            SELECT {conversation_group} AS grp, count() AS conversations,
                   uniqExact(user_id) AS unique_users,
                   countIf(latency IS NOT NULL) AS latencies,
                   quantileExactInclusive(0.5)(latency) AS p50,
                   quantileExactInclusive(0.95)(latency) AS p95,
                   sum(coalesce(prompt, 0) + coalesce(completion, 0)) AS tokens
            FROM truth_facts WHERE at >= :start AND at < :end GROUP BY grp
        """,
        "feedback": f"""
            SELECT {linked_group} AS grp, count() AS feedback_total,
                   countIf(s.value = 1) AS likes, countIf(s.value = 0) AS dislikes
            FROM truth_feedback AS s LEFT JOIN truth_facts AS f ON f.id = s.trace_id
            WHERE s.at >= :start AND s.at < :end GROUP BY grp
        """,
        "evaluations": f"""
            SELECT {linked_group} AS grp, count() AS evaluations, sum(s.value) AS score_sum
            FROM truth_evaluations AS s LEFT JOIN truth_facts AS f ON f.id = s.trace_id
            WHERE s.at >= :start AND s.at < :end GROUP BY grp
        """,
    }


def feedback_numbers(counts: dict[str, Any]) -> dict[str, Any]:
    feedback = counts.get("feedback", {})
    likes, dislikes = feedback.get("likes", 0), feedback.get("dislikes", 0)
    evaluations = counts.get("evaluations", {})
    n = evaluations.get("evaluations", 0)
    return {
        "feedback_total": feedback.get("feedback_total", 0),
        "likes": likes,
        "dislikes": dislikes,
        "satisfaction_rate": likes / (likes + dislikes) if likes + dislikes else None,
        "evaluations": n,
        "avg_score": round(evaluations["score_sum"] / n, 6) if n else None,  # docs/metrics.md
    }


def conversation_numbers(counts: dict[str, Any]) -> dict[str, Any]:
    conversations = counts.get("conversations", {})
    measured = conversations.get("latencies", 0)
    return {
        "conversations": conversations.get("conversations", 0),
        "unique_users": conversations.get("unique_users", 0),
        "latency_p50_ms": conversations["p50"] if measured else None,
        "latency_p95_ms": conversations["p95"] if measured else None,
        "total_tokens": conversations.get("tokens", 0),
    }


def headline(counts: dict[str, Any]) -> dict[str, Any]:
    return {**conversation_numbers(counts), **feedback_numbers(counts)}


def daily(counts: dict[str, Any]) -> dict[str, Any]:
    numbers = headline(counts)
    keys = ["conversations", "feedback_total", "likes", "dislikes", "evaluations", "avg_score"]
    return {key: numbers[key] for key in keys}


def by_model(counts: dict[str, Any]) -> dict[str, Any]:
    return {**headline(counts), "cost": None, "cost_per_like": None}


def by_segment(counts: dict[str, Any]) -> dict[str, Any]:
    numbers = headline(counts)
    keys = ["conversations", "unique_users", "feedback_total", "likes", "dislikes"]
    keys += ["satisfaction_rate", "evaluations", "avg_score"]
    return {key: numbers[key] for key in keys}


# --- the tests ---------------------------------------------------------------------------------


def same(actual: Any, expected: Any, where: str = "") -> None:
    """Equal; floats to 1e-9 relative (the same numbers summed in another order)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys(), where
        for key in expected:
            same(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for n, (a, e) in enumerate(zip(actual, expected, strict=True)):
            same(a, e, f"{where}[{n}]")
    elif isinstance(expected, float) and actual is not None:
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12), (where, actual)
    else:
        assert actual == expected, (where, actual, expected)


def generate(env: dict[str, str], *options: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        app, ["generate", "--json", "--week", "2026-11-16", *options], env=env
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_recipes_numbers_equal_sql_truth_on_langfuses_tables(langfuse: Any) -> None:
    env, raw = langfuse
    with raw.connect() as conn:  # the updates and deletions are held as rows of their own
        held = conn.exec_driver_sql("SELECT count() FROM traces SETTINGS final = 0").scalar()
        merged = conn.exec_driver_sql("SELECT count() FROM traces FINAL").scalar()
        assert held > merged

    report = generate(env)
    expected = truth(raw, WEEK)

    for part in ("current", "previous", "daily"):
        same(report[part], expected[part], part)
    same({row.pop("model"): row for row in report["by_model"]}, expected["by_model"], "by_model")
    segments = {row.pop("segment"): row for row in report["by_segment"]}
    same(segments, expected["by_segment"], "by_segment")
    # Cases the rows hold, so that the comparison means something.
    current = expected["current"]
    assert current["conversations"] > 100 and current["likes"] and current["dislikes"]
    assert current["evaluations"] > 50 and current["latency_p95_ms"] and current["total_tokens"]
    assert {"(unknown)", *["gpt-4o", "gpt-4o-mini", "claude-sonnet-4"]} <= set(expected["by_model"])
    assert {"chat", "search-assist", "support", "(unknown)"} <= set(expected["by_segment"])

    chat = generate(env, "--segment", "chat")
    same({k: chat["current"][k] for k in segments["chat"]}, segments["chat"], "segment chat")


def test_doctor_reads_the_recipe(langfuse: Any) -> None:
    env, _ = langfuse
    result = CliRunner().invoke(app, ["doctor"], env=env)

    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith(("warn", "error"))]
    # No index advice for the views; the NUMERIC feedback of 0.5 is neither, and said so.
    assert len(warnings) == 2, warnings
    assert re.match(
        r"warn  \d+ of \d+ feedback rows are neither a like nor a dislike \(0.5\)", warnings[0]
    )
    assert warnings[1] == "warn  SLACK_BOT_TOKEN is not set: the report is written but not uploaded"
    assert "ok    table langfuse_conversations (conversations)" in result.output
    assert "the report's queries ran on" in result.output


# Langfuse's updates after a report: newer versions of rows of the week (event_ts 10 days on).
LATER_VERSIONS = [
    """INSERT INTO scores SELECT * REPLACE (1 - value AS value,
       event_ts + toIntervalDay(10) AS event_ts) FROM scores FINAL
       WHERE name = 'user-feedback' AND value IN (0, 1) AND timestamp >= '2026-11-16' LIMIT 12""",
    """INSERT INTO traces SELECT * REPLACE (1 AS is_deleted, event_ts + toIntervalDay(10)
       AS event_ts) FROM traces FINAL WHERE timestamp >= '2026-11-17' LIMIT 6""",
    """INSERT INTO observations SELECT * REPLACE ('gpt-4o' AS provided_model_name,
       event_ts + toIntervalDay(10) AS event_ts) FROM observations FINAL
       WHERE type = 'GENERATION' AND start_time >= '2026-11-16' LIMIT 15""",
]


def test_an_update_after_a_report_is_in_the_next_one(langfuse: Any) -> None:
    env, raw = langfuse
    before = generate(env)  # the settled days of the week are read (and kept where proven)
    with raw.connect() as conn:
        for statement in LATER_VERSIONS:
            conn.exec_driver_sql(statement)

    after = generate(env)

    expected = truth(raw, WEEK)
    assert after["current"] != before["current"]
    for part in ("current", "previous", "daily"):
        same(after[part], expected[part], part)
    same({row.pop("model"): row for row in after["by_model"]}, expected["by_model"], "by_model")
