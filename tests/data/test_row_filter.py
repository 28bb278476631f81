"""SCHEMA_FILE's sections per table: `where` and `timezone`.

`where`: a table reads as if it held only the rows its condition keeps, in every
read (the report, a segment's report and the table by segment, the conversation search, the
kept per-day totals, doctor's counts), checked against plain Python on SQLite, PostgreSQL and
MariaDB; a condition that is not one boolean expression over the table's own columns is one
line naming the key. `timezone`: a table's naive times written in another zone than
DB_TIMEZONE."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from aiops_report.analysis.explain_reads import dimensions, week_groups
from aiops_report.analysis.insight_parts import UNKNOWN_MODEL
from aiops_report.data.config import Settings
from aiops_report.data.conversations import Search, first_conversation_at, search
from aiops_report.data.mapping import load_mapping
from aiops_report.data.periods import Period
from aiops_report.data.row_filter import parse_filter
from aiops_report.data.tables import reflect_tables
from aiops_report.doctor import database_findings
from aiops_report.errors import ConfigError
from aiops_report.faces.cli import app
from aiops_report.jobs import report_numbers
from chatbot_tables import STYLES, Rows, create_tables, insert, reference, state_of

SEOUL = ZoneInfo("Asia/Seoul")
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)
HEADLINE = ("conversations", "feedback_total", "likes", "dislikes", "evaluations")
WHERE = {
    "conversations": "is_internal = false",
    "feedback": "environment NOT LIKE 'stag%'",  # NULL is neither: removed
    "evaluations": "NOT is_test",
}


def traffic(start: datetime, days: int, seed: int = 5) -> Rows:
    """Conversations of bots, some internal (or NULL: not kept either); feedback from
    production, staging or nowhere; scores, some of tests; rated up to a day later."""
    rng = random.Random(seed)
    rows = Rows()
    for cid in range(1, 361):
        created = start + timedelta(minutes=rng.randrange(days * 24 * 60))
        rows.conversations.append(
            {
                "id": cid,
                "user_id": f"u{rng.randrange(25)}",
                "bot": rng.choice(["shop", "help"]),
                "model": rng.choice(["gpt-4o-mini", "llama-3"]),
                "latency_ms": rng.randrange(100, 3000),
                "prompt_tokens": rng.randrange(10, 500),
                "completion_tokens": rng.randrange(5, 300),
                "is_internal": rng.choice([False, False, False, True, None]),
                "created_at": created,
            }
        )
        for _ in range(rng.choice([0, 1, 2])):
            rows.feedback.append(
                {
                    "id": len(rows.feedback) + 1,
                    "conversation_id": cid,
                    "feedback": rng.choice(["like", "dislike"]),
                    "environment": rng.choice(["production", "production", "staging", None]),
                    "created_at": created + timedelta(minutes=rng.randrange(1, 24 * 60)),
                }
            )
        if rng.random() < 0.8:
            rows.evaluations.append(
                {
                    "id": len(rows.evaluations) + 1,
                    "conversation_id": cid,
                    "score": rng.choice([None, *range(11)]),
                    "is_test": rng.random() < 0.3,
                    "created_at": created + timedelta(minutes=rng.randrange(1, 24 * 60)),
                }
            )
    return rows


def kept(rows: Rows) -> Rows:
    """The rows the conditions of WHERE keep, in plain Python (NULL keeps no row)."""
    return Rows(
        [c for c in rows.conversations if c["is_internal"] is False],
        [f for f in rows.feedback if f["environment"] == "production"],
        [e for e in rows.evaluations if e["is_test"] is False],
    )


def of_segment(rows: Rows, segment: str) -> Rows:
    ids = {c["id"] for c in rows.conversations if c["bot"] == segment}
    return Rows(
        [c for c in rows.conversations if c["id"] in ids],
        [f for f in rows.feedback if f["conversation_id"] in ids],
        [e for e in rows.evaluations if e["conversation_id"] in ids],
    )


def load(engine: Engine, settings: Settings, rows: Rows) -> str:
    style = STYLES[engine.dialect.name][-1]
    create_tables(engine, settings, style=style, minimal=False, segment="bot")
    with engine.begin() as conn:
        for table, column, kind in (
            (settings.conversation_table, "is_internal", "BOOLEAN"),
            (settings.feedback_table, "environment", "VARCHAR(20)"),
            (settings.evaluation_table, "is_test", "BOOLEAN"),
        ):
            if engine.dialect.name == "clickhousedb":  # a column is Nullable when said so
                kind = f"Nullable({'Bool' if kind == 'BOOLEAN' else 'String'})"
            conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))
    insert(engine, settings, rows, style=style)
    return style


def mapped(settings: Settings, schema_file: Path, where: dict[str, str]) -> Settings:
    """The settings of a SCHEMA_FILE (written to `schema_file`) with the segment column and
    the conditions of `where`."""
    sections = [
        f"[{role}]\n"
        + ('segment = "bot"\n' if role == "conversations" else "")
        + (f"where = {json.dumps(where[role])}\n" if role in where else "")
        for role in ("conversations", "feedback", "evaluations")
    ]
    schema_file.write_text("\n".join(sections), encoding="utf-8")
    return settings.model_copy(update={"schema_file": schema_file})


def assert_matches(numbers: Any, expected: dict[str, Any]) -> None:
    for which in ("current", "previous"):
        got = vars(getattr(numbers, which))
        for name, value in expected[which].items():
            assert got[name] == pytest.approx(value), (which, name)
    for day in numbers.daily:
        for name, value in expected["daily"][day.date].items():
            assert getattr(day, name) == pytest.approx(value), (day.date, name)


def test_every_read_takes_only_the_rows_each_tables_where_keeps(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = traffic(WEEK.previous.start_at - timedelta(days=1), 16)
    style = load(engine, settings, rows)
    filtered = mapped(settings, tmp_path / "schema.toml", WHERE)
    truth = kept(rows)

    numbers = report_numbers(engine, filtered, WEEK, analyse_texts=False)
    shop = report_numbers(engine, filtered, WEEK, analyse_texts=False, segment="shop")
    found = search(engine, reflect_tables(engine, filtered), WEEK, Search())

    assert_matches(
        numbers, reference(truth, WEEK, style=style, db_zone=settings.db_zone, minimal=False)
    )
    expected_shop = reference(
        of_segment(truth, "shop"), WEEK, style=style, db_zone=settings.db_zone, minimal=False
    )
    assert_matches(shop, expected_shop)
    everything = reference(rows, WEEK, style=style, db_zone=settings.db_zone, minimal=False)
    for name in HEADLINE:  # the filters removed rows of every table
        assert numbers.current.__dict__[name] < everything["current"][name], name
    assert numbers.insights is not None and numbers.insights.by_segment is not None
    by_segment = {s.segment: s for s in numbers.insights.by_segment}
    for name in HEADLINE:
        assert sum(getattr(s, name) for s in by_segment.values()) == getattr(numbers.current, name)
        assert getattr(by_segment["shop"], name) == getattr(shop.current, name), name
    # Feedback of an internal conversation is kept, of no segment: its conversation is not.
    assert by_segment[UNKNOWN_MODEL].feedback_total > 0
    assert found.total == numbers.current.conversations
    excerpts = numbers.lowest_scored + numbers.disliked
    kept_ids = {c["id"] for c in truth.conversations}
    assert all(e.user_message is None or e.conversation_id in kept_ids for e in excerpts)


def test_a_conversation_the_where_removes_is_seen_by_no_read(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    """Every read that looks conversations up (by model, by segment, the split of a change,
    the excerpts' texts, the search, the first conversation) finds none of them."""
    rows = traffic(WEEK.previous.start_at - timedelta(days=1), 16, seed=6)
    load(engine, settings, rows)
    none = mapped(settings, tmp_path / "schema.toml", {"conversations": "id < 0"})
    tables = reflect_tables(engine, none)

    numbers = report_numbers(engine, none, WEEK, analyse_texts=False)
    with engine.connect() as conn:
        split = {
            name: week_groups(conn, tables, WEEK, column)
            for name, column in dimensions(tables).items()
        }

    assert numbers.current.conversations == 0 and numbers.current.feedback_total > 0
    assert numbers.insights is not None
    assert {m.model for m in numbers.insights.by_model or []} <= {UNKNOWN_MODEL}
    assert {s.segment for s in numbers.insights.by_segment or []} == {UNKNOWN_MODEL}
    assert set(split) == {"model", "segment"}
    for groups in split.values():
        assert set(groups.satisfaction_rate) == set(groups.avg_score) == {None}
    excerpts = numbers.lowest_scored + numbers.disliked
    assert excerpts and all(e.user_message is None and e.model is None for e in excerpts)
    assert search(engine, tables, WEEK, Search()).total == 0
    assert first_conversation_at(engine, tables) is None


def test_kept_totals_of_one_filter_are_never_the_totals_of_another(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = traffic(WEEK.previous.start_at - timedelta(days=1), 16, seed=9)
    style = load(engine, settings, rows)
    plain = mapped(settings, tmp_path / "plain.toml", {})
    filtered = mapped(settings, tmp_path / "schema.toml", WHERE)
    expected = {
        "plain": reference(rows, WEEK, style=style, db_zone=settings.db_zone, minimal=False),
        "filtered": reference(
            kept(rows), WEEK, style=style, db_zone=settings.db_zone, minimal=False
        ),
    }

    for name, each in (("plain", plain), ("filtered", filtered), ("plain", plain)):
        assert_matches(report_numbers(engine, each, WEEK, analyse_texts=False), expected[name])

    with state_of(engine).connect() as conn:
        sources = conn.execute(sa.text("SELECT DISTINCT source FROM report_daily_totals")).all()
    assert len(sources) == 2  # one set of days per filter


def test_doctor_says_how_many_rows_of_8_weeks_each_where_keeps_and_removes(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    now = datetime.now(SEOUL)
    recent = traffic(now - timedelta(days=40), 30, seed=2)
    old = traffic(now - timedelta(weeks=20), 7, seed=3)  # before the 8 weeks: not counted
    rows = Rows(
        recent.conversations + [{**c, "id": c["id"] + 1000} for c in old.conversations],
        recent.feedback + [{**f, "id": f["id"] + 1000} for f in old.feedback],
        recent.evaluations + [{**e, "id": e["id"] + 1000} for e in old.evaluations],
    )
    load(engine, settings, rows)
    truth = kept(recent)

    filtered = mapped(settings, tmp_path / "schema.toml", WHERE)
    lines = [f.line("en") for f in database_findings(engine, filtered)]

    for table, role, condition in (
        ("conversation_log", "conversations", WHERE["conversations"]),
        ("feedback_log", "feedback", WHERE["feedback"]),
        ("conversation_evaluation", "evaluations", WHERE["evaluations"]),
    ):
        total = len(getattr(recent, role))
        left = len(getattr(truth, role))
        assert (
            f"table {table}: where {condition} keeps {left} of the {total} rows of the last "
            f"8 weeks and removes {total - left}"
        ) in lines


REFUSED = [
    ("feedback", "environment = 'production'; DROP TABLE feedback_log", "without `;`"),
    ("feedback", "environment = 'production';", "without `;`"),
    ("feedback", "conversation_id IN (SELECT id FROM conversation_log)", "a subquery"),
    ("feedback", "EXISTS (SELECT 1 FROM conversation_log)", "a subquery"),
    ("feedback", "conversation_log.is_internal = false", "names another table (conversation_log)"),
    ("conversations", "is_staff = false", "has no column 'is_staff'"),
    ("conversations", "model", "is not a condition"),
    ("conversations", "latency_ms + 1", "is not a condition"),
    ("conversations", "pg_sleep(1) IS NULL", "is not supported"),
    ("conversations", "model LIKE 'x!%' ESCAPE '!'", "is not supported"),
    ("conversations", "is_internal = ", "not a condition the SQL parser reads"),
    ("evaluations", "  ", "is empty"),
]


@pytest.mark.parametrize(("role", "condition", "said"), REFUSED)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_where_that_is_not_one_condition_on_its_own_columns_is_one_line(
    engine: Engine, settings: Settings, tmp_path: Path, role: str, condition: str, said: str
) -> None:
    load(engine, settings, Rows())
    schema_file = tmp_path / "schema.toml"
    quoted = condition.replace("\\", "\\\\").replace('"', '\\"')
    schema_file.write_text(f'[{role}]\nwhere = "{quoted}"\n', encoding="utf-8")

    result = CliRunner().invoke(
        app,
        ["generate", "--json"],
        env={"DATABASE_URL": str(engine.url), "SCHEMA_FILE": str(schema_file)},
    )

    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: SCHEMA_FILE ") and f"[{role}] where" in line
    assert said in line


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_condition_the_database_refuses_is_refused_before_any_report(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    load(engine, settings, Rows())
    filtered = mapped(settings, tmp_path / "schema.toml", {"conversations": "is_internal = 5"})

    with pytest.raises(ConfigError) as refused:
        reflect_tables(engine, filtered)

    assert str(refused.value) == (
        "SCHEMA_FILE [conversations] where = 'is_internal = 5': the database refuses it: "
        "operator does not exist: boolean = integer"
    )


def test_a_tables_own_time_zone_reads_its_naive_times(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    """Feedback written in Seoul's wall time beside conversations and scores in UTC."""
    rows = traffic(WEEK.previous.start_at - timedelta(days=1), 16, seed=4)
    style = STYLES[engine.dialect.name][0]  # naive timestamps
    create_tables(engine, settings, style=style, minimal=False)
    insert(engine, settings, Rows(rows.conversations, [], rows.evaluations), style=style)
    seoul = settings.model_copy(update={"db_timezone": "Asia/Seoul"})
    insert(engine, seoul, Rows([], rows.feedback, []), style=style)
    schema_file = tmp_path / "schema.toml"
    schema_file.write_text('[feedback]\ntimezone = "Asia/Seoul"\n', encoding="utf-8")
    zoned = settings.model_copy(update={"schema_file": schema_file})

    numbers = report_numbers(engine, zoned, WEEK, analyse_texts=False)
    unzoned = report_numbers(engine, settings, WEEK, analyse_texts=False)

    expected = reference(rows, WEEK, style=style, db_zone=settings.db_zone, minimal=False)
    assert_matches(numbers, expected)
    assert [d.likes for d in unzoned.daily] != [d.likes for d in numbers.daily]  # 9 h off
    lines = [f.line("en") for f in database_findings(engine, zoned)]
    said = "read in Asia/Seoul (SCHEMA_FILE [feedback] timezone)); feedback as text"
    assert any(line.startswith("table feedback_log (feedback)") and said in line for line in lines)


def test_the_docs_example_maps_schemas_conditions_and_a_zone() -> None:
    example = Path(__file__).parents[2] / "docs" / "examples" / "schema-where.toml"
    mapping = load_mapping(example)
    conversations, evaluations = mapping.table("conversations"), mapping.table("evaluations")

    assert (conversations.schema, conversations.table) == ("chat", "messages")
    assert (evaluations.schema, evaluations.table) == ("chat", "judgements")
    assert evaluations.timezone == SEOUL and conversations.timezone is None
    columns = [sa.Column(name, sa.Text) for name in ("environment", "evaluator", "created_at")]
    messages = sa.Table("messages", sa.MetaData(), sa.Column("is_internal", sa.Boolean), *columns)
    assert conversations.where is not None
    found = parse_filter(conversations.where, messages, "postgresql", "where")
    assert str(found.on(messages).compile(dialect=postgresql.dialect())) == (
        "messages.is_internal = false AND messages.environment = %(environment_1)s::VARCHAR"
    )
