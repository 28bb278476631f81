"""Every breakdown adds up exactly: a feedback or evaluation row belongs to its conversation's
segment and model whatever the conversation's date, and only rows without a conversation (or
whose conversation has no value) are "(unknown)".

On databases shaped like real teams' (team_shaped.py: UUIDs and timestamptz on PostgreSQL,
TINYINT(1) thumbs and DECIMAL scores on MariaDB, millisecond epochs on SQLite; on ClickHouse
zoned and bare DateTime64/DateTime, LowCardinality, UInt8 thumbs, Decimal(5, 2) scores and
ReplacingMergeTree tables holding updates twice), each number of the whole report, of every
`by_segment` and `by_model` row and of every segment's own report is compared with
hand-written SQL.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from aiops_report.analysis.insight_parts import UNKNOWN_MODEL
from aiops_report.data.attribution import linked_rows
from aiops_report.data.config import Settings
from aiops_report.data.periods import Period
from aiops_report.data.tables import reflect_tables
from aiops_report.doctor import database_findings
from aiops_report.faces.cli import app
from aiops_report.jobs import report_numbers
from team_shaped import SEOUL, WEEK_START, Shape, arrive_late, change_thumbs, fill, shape_of
from team_truth import Truth, held_twice, late_ratings, truth

WEEK = Period.week_of(WEEK_START, SEOUL)
COUNTS = ("conversations", "feedback_total", "likes", "dislikes", "evaluations")


@pytest.fixture
def team(engine: Engine, settings: Settings, tmp_path: Path) -> tuple[Shape, Settings]:
    """The team-shaped database of the engine's kind, and settings with its SCHEMA_FILE."""
    shape = shape_of(engine)
    fill(engine, shape)
    return shape, settings.model_copy(update={"schema_file": shape.schema_file(tmp_path)})


def group_name(key: Any) -> str:
    return UNKNOWN_MODEL if key is None else str(key)


def assert_truth(got: Any, expected: Truth, where: object) -> None:
    """`got` (PeriodMetrics, DailyMetrics, SegmentStats, ModelStats) says what SQL says."""
    for name in COUNTS:
        if hasattr(got, name):
            assert getattr(got, name) == getattr(expected, name), (where, name)
    assert got.avg_score == pytest.approx(expected.avg_score), (where, "avg_score")


def test_the_report_and_its_breakdowns_match_plain_sql(engine: Engine, team: Any) -> None:
    shape, settings = team
    with engine.connect() as conn:
        # What a window of two days (the former attribution) loses is planted in the week.
        assert late_ratings(conn, shape, WEEK.start_at, WEEK.end_at, days=14) >= 20
        # On ClickHouse, the updated conversations and thumbs are held twice (not merged).
        assert all(held_twice(conn, shape).values())
        whole = {
            p: truth(conn, shape, p.start_at, p.end_at, None)[None] for p in (WEEK, WEEK.previous)
        }
        by_segment = truth(conn, shape, WEEK.start_at, WEEK.end_at, "segment")
        by_model = truth(conn, shape, WEEK.start_at, WEEK.end_at, "model")

    numbers = report_numbers(engine, settings, WEEK)

    assert_truth(numbers.current, whole[WEEK], "current")
    assert_truth(numbers.previous, whole[WEEK.previous], "previous")
    insights = numbers.insights
    assert insights is not None and insights.by_segment and insights.by_model
    for rows, expected in ((insights.by_segment, by_segment), (insights.by_model, by_model)):
        found = {getattr(row, "segment", None) or getattr(row, "model", None): row for row in rows}
        assert set(found) == {group_name(key) for key in expected}
        assert UNKNOWN_MODEL in found  # the rows of no or a missing conversation
        for key, sql in expected.items():
            assert_truth(found[group_name(key)], sql, key)
        # The groups sum to the whole report.
        for name in ("conversations", "likes", "dislikes", "evaluations"):
            assert sum(getattr(row, name) for row in rows) == getattr(numbers.current, name)
        assert sum(row.feedback_total or 0 for row in rows) == numbers.current.feedback_total
        scores = sum((row.avg_score or 0) * row.evaluations for row in rows)
        current = numbers.current
        assert scores == pytest.approx((current.avg_score or 0) * current.evaluations)


def test_each_segments_report_matches_plain_sql_and_its_by_segment_row(
    engine: Engine, team: Any
) -> None:
    shape, settings = team
    whole = report_numbers(engine, settings, WEEK)
    assert whole.insights is not None and whole.insights.by_segment
    row_of = {row.segment: row for row in whole.insights.by_segment}

    for segment in shape.segments:
        numbers = report_numbers(engine, settings, WEEK, segment=segment)

        with engine.connect() as conn:
            for period, metrics in ((WEEK, numbers.current), (WEEK.previous, numbers.previous)):
                expected = truth(conn, shape, period.start_at, period.end_at, "segment")[segment]
                assert_truth(metrics, expected, (segment, period.start))
            for day, (start, end) in zip(numbers.daily, WEEK.day_ranges(), strict=True):
                expected = truth(conn, shape, start, end, "segment").get(segment, Truth())
                assert_truth(day, expected, (segment, day.date))
            ids = {
                cid
                for (cid,) in conn.execute(
                    sa.text(
                        f"SELECT c.{shape.names.conv_id} "
                        f"FROM {shape.read(shape.names.conversations, 'c')} "
                        f"WHERE c.{shape.names.segment} = :s"
                    ),
                    {"s": segment},
                )
            }
        assert_truth(row_of[segment], _truth_of(numbers.current), segment)
        worst = numbers.lowest_scored + numbers.disliked
        assert worst and all(excerpt.conversation_id in ids for excerpt in worst), segment


def test_ratings_uploaded_late_into_a_reported_week_count_as_plain_sql_counts_them(
    engine: Engine, team: Any
) -> None:
    """The first report keeps the week's settled days; ratings of old conversations uploaded
    late into its Wednesday (and on ClickHouse, Friday's thumbs changed by inserting their
    rows again) are in the next report."""
    shape, settings = team
    before = report_numbers(engine, settings, WEEK)
    wednesday, friday = WEEK.day_ranges()[2][0], WEEK.day_ranges()[4][0]

    arrive_late(engine, shape, wednesday)
    if shape.kind == "clickhouse":
        change_thumbs(engine, shape, friday)

    numbers = report_numbers(engine, settings, WEEK)
    assert numbers.current.feedback_total == before.current.feedback_total + 30
    with engine.connect() as conn:
        assert_truth(
            numbers.current, truth(conn, shape, WEEK.start_at, WEEK.end_at, None)[None], "current"
        )
        for day, (start, end) in zip(numbers.daily, WEEK.day_ranges(), strict=True):
            assert_truth(day, truth(conn, shape, start, end, None).get(None, Truth()), day.date)
        by_segment = truth(conn, shape, WEEK.start_at, WEEK.end_at, "segment")
    assert numbers.insights is not None
    found = {row.segment: row for row in numbers.insights.by_segment}
    assert set(found) == {group_name(key) for key in by_segment}
    for key, expected in by_segment.items():
        assert_truth(found[group_name(key)], expected, key)


def test_the_doctor_says_which_tables_keep_no_totals(engine: Engine, team: Any) -> None:
    """A ClickHouse ReplacingMergeTree table's days are read for each report (no count of
    rows sees an update there); every other table's kept totals are proven current."""
    shape, settings = team
    proofs = {
        finding.values["table"]: finding.line("en")
        for finding in database_findings(engine, settings)
        if finding.key.startswith("proof")
    }

    assert len(proofs) == 3
    unproven = {table for table, line in proofs.items() if "proven current" not in line}
    assert unproven == set(shape.replacing)
    for table in unproven:
        assert proofs[table] == (
            f"no kept totals are used while {table} is a ClickHouse ReplacingMergeTree table: "
            "every day is read for each report (only a plain MergeTree's rows are counted: a "
            "ReplacingMergeTree holds an update as the row inserted again until a merge, and a "
            "view may read such tables, so no count of rows tells a change)"
        )


def _truth_of(metrics: Any) -> Truth:
    evaluations = metrics.evaluations
    return Truth(
        conversations=metrics.conversations,
        feedback_total=metrics.feedback_total,
        likes=metrics.likes,
        dislikes=metrics.dislikes,
        evaluations=evaluations,
        score_sum=(metrics.avg_score or 0) * evaluations,
    )


def test_generate_json_of_a_segment_matches_plain_sql(
    engine: Engine, team: Any, db_url: str
) -> None:
    shape, settings = team
    segment = shape.segments[1]  # Korean on PostgreSQL

    result = CliRunner().invoke(
        app,
        ["generate", "--week", WEEK_START.isoformat(), "--json", "--segment", segment],
        env={"DATABASE_URL": db_url, "SCHEMA_FILE": str(settings.schema_file)},
    )

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["segment"] == segment
    with engine.connect() as conn:
        for which, period in (("current", WEEK), ("previous", WEEK.previous)):
            expected = truth(conn, shape, period.start_at, period.end_at, "segment")[segment]
            got = document[which]
            assert [got[name] for name in COUNTS] == [getattr(expected, n) for n in COUNTS]
            assert got["avg_score"] == pytest.approx(expected.avg_score)


def test_linked_rows_give_each_row_its_conversations_columns(engine: Engine, team: Any) -> None:
    """The data layer's construct, as the breakdowns and the explain split use it: per day,
    the feedback rows by segment and model together."""
    shape, settings = team
    tables = reflect_tables(engine, settings)
    for start, end in WEEK.day_ranges():
        rows = linked_rows(tables, "feedback", start, end, ("segment", "model"))
        segment, model = rows.conversation["segment"], rows.conversation["model"]
        query = rows.select(segment, model, sa.func.count()).group_by(segment, model)
        with engine.connect() as conn:
            got = {(_text(s), _text(m)): n for s, m, n in conn.execute(query) if n}
            n = shape.names
            expected = {
                (_text(s), _text(m)): c
                for s, m, c in conn.execute(
                    sa.text(
                        f"SELECT c.{n.segment}, c.{n.model}, count(*) "
                        f"FROM {shape.read(n.feedback, 'f')} "
                        f"LEFT JOIN {shape.read(n.conversations, 'c')} "
                        f"ON c.{n.conv_id} = f.{n.feedback_conv} "
                        f"WHERE {shape.within(f'f.{n.feedback_at}')} "
                        f"GROUP BY c.{n.segment}, c.{n.model}"
                    ),
                    shape.bounds(start, end),
                )
            }
        assert got == expected, start


def _text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value
