"""A team's own schema, mapped through SCHEMA_FILE, on SQLite, PostgreSQL and MariaDB.

The tables are created here as a team would have them (other names, integer-epoch times,
feedback as smallint, boolean or words, scores as numeric, text or smallint on a 1–5 scale),
never by the project's `init-db`; every number is checked against what the rows say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from aiops_report.analysis.insights import compute_insights
from aiops_report.analysis.metrics import compute
from aiops_report.data.column_values import typed_word
from aiops_report.data.config import Settings, load_settings
from aiops_report.data.db import make_engine
from aiops_report.data.mapping import load_mapping
from aiops_report.data.periods import Period
from aiops_report.data.tables import reflect_tables
from aiops_report.errors import ConfigError, MissingColumn
from aiops_report.faces.cli import app
from chatbot_tables import create_all, create_tables
from conftest import sqlite_url

SEOUL = ZoneInfo("Asia/Seoul")
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)
DAY = datetime(2026, 11, 18, 10, 0, tzinfo=SEOUL)
BEFORE = DAY - timedelta(weeks=1)

# The example of docs/your-database.md: the page shows the very file these tests load.
SCHEMA_FILE = (Path(__file__).parents[2] / "docs" / "examples" / "schema.toml").read_text(
    encoding="utf-8"
)


@dataclass(frozen=True)
class Variant:
    """How one team stores feedback and scores, with what each stored value means."""

    name: str
    thumb_type: sa.types.TypeEngine[Any]
    thumbs: list[tuple[Any, str | None]]  # (stored, "like" / "dislike" / None)
    value_type: sa.types.TypeEngine[Any]
    values: list[tuple[Any, float | None]]  # (stored, the score it is, or None)


VARIANTS = [
    Variant(
        "smallint thumbs, numeric scores",
        sa.SmallInteger(),
        [(1, "like"), (-1, "dislike"), (1, "like"), (0, None), (None, None)],
        sa.Numeric(3, 1),
        [(4.5, 4.5), (1.0, 1.0), (None, None), (5.0, 5.0)],
    ),
    Variant(
        "boolean thumbs, smallint scores",
        sa.Boolean(),
        [(True, "like"), (False, "dislike"), (False, "dislike"), (None, None)],
        sa.SmallInteger(),
        [(4, 4.0), (2, 2.0), (5, 5.0), (None, None)],
    ),
    Variant(
        "word and emoji thumbs, text scores",
        sa.String(20),
        [(" UP ", "like"), ("down", "dislike"), ("👍", "like"), ("👎", "dislike"), ("meh", None)],
        sa.String(20),
        [(" 4.5", 4.5), ("excellent", None), ("2", 2.0), ("", None), ("1e0", 1.0)],
    ),
]


def team_tables(engine: Engine, variant: Variant) -> None:
    metadata = sa.MetaData()
    sa.Table(
        "chat_turns",
        metadata,
        sa.Column("turn_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("member", sa.String(20)),
        sa.Column("prompt", sa.Text),
        sa.Column("reply", sa.Text),
        sa.Column("llm", sa.String(20)),
        sa.Column("ms", sa.Integer),
        sa.Column("tok_in", sa.Integer),
        sa.Column("tok_out", sa.Integer),
        sa.Column("model", sa.String(20)),  # a column named like a part, playing none
        sa.Column("ts", sa.BigInteger, nullable=False, index=True),
        mysql_charset="utf8mb4",
    )
    sa.Table(
        "ratings",
        metadata,
        sa.Column("rating_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("turn", sa.Integer),
        sa.Column("thumb", variant.thumb_type),
        sa.Column("note", sa.Text),
        sa.Column("rated_at", sa.BigInteger, nullable=False),
        mysql_charset="utf8mb4",
    )
    sa.Table(
        "judge_scores",
        metadata,
        sa.Column("judge_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("turn", sa.Integer),
        sa.Column("value", variant.value_type),
        sa.Column("why", sa.Text),
        sa.Column("judged_at", sa.DateTime, nullable=False),
        mysql_charset="utf8mb4",
    )
    create_all(metadata, engine)
    with engine.begin() as conn:
        turns = [
            {"turn_id": i + 1, "member": f"u{i % 3}", "prompt": f"질문 {i}", "reply": f"답 {i}"}
            | {"llm": "gpt-a" if i % 2 else "gpt-b", "ms": 100 * (i + 1), "tok_in": 10}
            | {"tok_out": None if i == 0 else 5, "model": "ignored"}
            | {"ts": int((DAY + timedelta(minutes=i)).timestamp())}
            for i in range(6)
        ]
        turns.append({**turns[0], "turn_id": 7, "ts": int(BEFORE.timestamp())})
        conn.execute(metadata.tables["chat_turns"].insert(), turns)
        conn.execute(
            metadata.tables["ratings"].insert(),
            [
                {
                    "rating_id": i + 1,
                    "turn": i + 1,
                    "thumb": stored,
                    "note": f"의견 {i}",
                    "rated_at": int((DAY + timedelta(minutes=i, seconds=30)).timestamp() * 1000),
                }
                for i, (stored, _) in enumerate(variant.thumbs)
            ],
        )
        conn.execute(
            metadata.tables["judge_scores"].insert(),
            [
                {
                    "judge_id": i + 1,
                    "turn": i + 1,
                    "value": stored,
                    "why": f"이유 {i}",
                    # naive, in DB_TIMEZONE (UTC)
                    "judged_at": (DAY + timedelta(minutes=i)).astimezone(UTC).replace(tzinfo=None),
                }
                for i, (stored, _) in enumerate(variant.values)
            ],
        )


@pytest.fixture
def mapped(db_url: str, tmp_path: Path) -> Settings:
    schema_file = tmp_path / "schema.toml"
    schema_file.write_text(SCHEMA_FILE, encoding="utf-8")
    return load_settings(database_url=db_url, schema_file=schema_file)


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_a_mapped_schema_gives_what_its_rows_say(mapped: Settings, variant: Variant) -> None:
    engine = make_engine(mapped)
    team_tables(engine, variant)
    tables = reflect_tables(engine, mapped)

    numbers = compute(engine, tables, WEEK)
    insights = compute_insights(engine, tables, WEEK, prices=None)

    kinds = [kind for _, kind in variant.thumbs]
    scores = [score for _, score in variant.values if score is not None]
    current = numbers.current
    assert (current.conversations, numbers.previous.conversations) == (6, 1)
    assert current.unique_users == 3
    assert current.total_tokens == 6 * 10 + 5 * 5
    assert current.latency_p50_ms == 350.0
    assert current.feedback_total == len(variant.thumbs)
    assert (current.likes, current.dislikes) == (kinds.count("like"), kinds.count("dislike"))
    assert current.evaluations == len(scores)
    assert current.avg_score == round(sum(scores) / len(scores), 6)
    # 1-5 in buckets of one point: [1,2) [2,3) [3,4) [4,5]
    assert [(b.low, b.high) for b in numbers.score_distribution] == [
        (1, 2),
        (2, 3),
        (3, 4),
        (4, 5),
    ]
    assert [b.current for b in numbers.score_distribution] == [
        sum(1 for s in scores if low <= s < low + 1 or (low == 4 and s == 5))
        for low in (1, 2, 3, 4)
    ]
    lowest = numbers.lowest_scored[0]
    assert lowest.score == min(scores)
    position = [score for _, score in variant.values].index(min(scores))
    assert lowest.created_at == DAY + timedelta(minutes=position)
    assert lowest.user_message == f"질문 {position}"
    assert lowest.model == ("gpt-a" if position % 2 else "gpt-b")
    latest_dislike = max(i for i, kind in enumerate(kinds) if kind == "dislike")
    disliked = numbers.disliked[0]
    assert disliked.created_at == DAY + timedelta(minutes=latest_dislike, seconds=30)
    assert disliked.comment == f"의견 {latest_dislike}"
    assert insights.by_model is not None
    assert {m.model: m.conversations for m in insights.by_model} == {"gpt-a": 3, "gpt-b": 3}
    assert insights.agreement is not None
    score_of_turn = {turn: score for turn, (_, score) in enumerate(variant.values, start=1)}
    assert insights.agreement.like_good == sum(
        1
        for turn, kind in enumerate(kinds, start=1)
        if kind == "like" and (score_of_turn.get(turn) or 0) >= 3.0  # the middle of 1-5
    )
    assert insights.agreement.threshold == 3.0


def test_an_integer_created_at_without_its_unit_is_one_line(
    mapped: Settings, tmp_path: Path
) -> None:
    engine = make_engine(mapped)
    team_tables(engine, VARIANTS[0])
    text = "\n".join(
        line for line in SCHEMA_FILE.splitlines() if not line.startswith('created_at_unit = "s"')
    )
    (tmp_path / "schema.toml").write_text(text, encoding="utf-8")

    with pytest.raises(ConfigError) as error:
        reflect_tables(engine, mapped)

    assert str(error.value) == (
        "chat_turns.ts holds integers: say which epoch unit they are in, "
        'SCHEMA_FILE [conversations] created_at_unit = "s" or "ms"'
    )


def test_a_mapped_column_that_is_not_there_names_the_setting(
    mapped: Settings, tmp_path: Path
) -> None:
    engine = make_engine(mapped)
    team_tables(engine, VARIANTS[0])
    (tmp_path / "schema.toml").write_text(
        SCHEMA_FILE.replace('model = "llm"', 'model = "engine"'), encoding="utf-8"
    )

    with pytest.raises(MissingColumn) as error:
        reflect_tables(engine, mapped)

    message = str(error.value)
    assert message.startswith(
        "SCHEMA_FILE [conversations] model = 'engine', but table 'chat_turns' has no such column"
    )
    assert "\n" not in message


def test_a_numeric_feedback_column_without_its_words_is_one_line(db_url: str) -> None:
    settings = load_settings(database_url=db_url)
    engine = make_engine(settings)
    metadata = sa.MetaData()
    sa.Table("conversation_log", metadata, sa.Column("created_at", sa.DateTime))
    sa.Table(
        "feedback_log",
        metadata,
        sa.Column("feedback", sa.SmallInteger),
        sa.Column("created_at", sa.DateTime),
    )
    sa.Table(
        "conversation_evaluation",
        metadata,
        sa.Column("score", sa.Float),
        sa.Column("created_at", sa.DateTime),
    )
    create_all(metadata, engine)

    with pytest.raises(ConfigError) as error:
        reflect_tables(engine, settings)

    smallint = "Nullable(Int16)" if engine.dialect.name == "clickhousedb" else "SMALLINT"
    assert f"feedback_log.feedback is a {smallint} column" in str(error.value)
    assert 'like = ["1"] and dislike = ["-1"] under [feedback] in SCHEMA_FILE' in str(error.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[feedback]\nlike = ['up']\ndislike = ['UP']",
            "['up'] cannot be both a like and a dislike",
        ),
        ("[evaluations]\nscore_range = [5, 1]", "[evaluations] score_range: must be [lowest"),
        ("[feedback]\nlikes = ['up']", "[feedback] likes: Extra inputs are not permitted"),
        ("[conversations]\ncreated_at_unit = 'h'", "[conversations] created_at_unit: Input should"),
        ("[conversations\n", "is not valid TOML"),
        ("[conversations]\nid = 'x'\nuser_id = 'x'", "column 'x' is given for both id and user_id"),
    ],
)
def test_a_schema_file_that_cannot_be_used_is_one_line(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "schema.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ConfigError) as error:
        load_mapping(path)

    assert message in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("word", "kind", "value"),
    [
        ("up", "text", "up"),
        ("1", "integer", 1),
        ("-1", "integer", -1),
        ("true", "integer", None),  # a smallint's 0 is not a "false" unless the team says "0"
        ("up", "integer", None),
        ("1.5", "integer", None),
        ("true", "boolean", True),
        ("0", "boolean", False),
        ("-1", "boolean", None),
        ("2.5", "number", 2.5),
        ("👍", "number", None),
    ],
)
def test_feedback_words_as_values_of_the_column(word: str, kind: Any, value: Any) -> None:
    assert typed_word(word, kind) == value


def test_a_text_score_that_is_no_number_is_not_averaged_as_zero(tmp_path: Path) -> None:
    """The reproduction: on SQLite, 'excellent' in a score column was averaged as 0."""
    settings = load_settings(database_url=sqlite_url(tmp_path / "chatbot.db"))
    engine = make_engine(settings)
    stamp = DAY.astimezone(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE conversation_log (created_at TEXT)")
        conn.exec_driver_sql("CREATE TABLE feedback_log (feedback TEXT, created_at TEXT)")
        conn.exec_driver_sql("CREATE TABLE conversation_evaluation (score REAL, created_at TEXT)")
        conn.exec_driver_sql(
            "INSERT INTO conversation_evaluation VALUES (8, ?), ('excellent', ?), ('6.0', ?)",
            (str(stamp),) * 3,
        )

    numbers = compute(engine, reflect_tables(engine, settings), WEEK)

    assert (numbers.current.evaluations, numbers.current.avg_score) == (2, 7.0)


# --- as a user meets it: the command line ------------------------------------------------------

runner = CliRunner()


def test_doctor_shows_how_a_mapped_schema_is_read(mapped: Settings, db_url: str) -> None:
    engine = make_engine(mapped)
    team_tables(engine, VARIANTS[0])
    # The rows of the variant are in the week of DAY; doctor looks at the 8 weeks before now.
    with time_machine.travel(DAY + timedelta(days=3), tick=False):
        result = runner.invoke(
            app, ["doctor"], env={"DATABASE_URL": db_url, "SCHEMA_FILE": str(mapped.schema_file)}
        )

    lines = result.output.splitlines()
    assert any(
        line.startswith(
            "ok    table chat_turns (conversations): created_at = ts (integer epoch in seconds)"
        )
        and "model = llm" in line
        for line in lines
    ), result.output
    assert any(
        "ratings (feedback): created_at = rated_at (integer epoch in milliseconds)" in line
        and "feedback as integer" in line
        for line in lines
    )
    assert (
        "ok    feedback values of the last 8 weeks: "
        "1 ×2 like; -1 ×1 dislike; 0 ×1 neither; None ×1 neither"
    ) in lines
    assert "ok    scores of the last 8 weeks: 3 numbers (0 below 1, 0 above 5)" in lines
    assert any(line.startswith("ok    the report's queries ran on 2026-11-20") for line in lines)
    assert not any(line.startswith("error") for line in lines), result.output


def test_feedback_words_nobody_mapped_are_shown_not_counted_as_zero(db_url: str) -> None:
    """The reproduction: up/down feedback gave likes 0, dislikes 0, and doctor said ok."""
    settings = load_settings(database_url=db_url)
    engine = make_engine(settings)
    create_tables(engine, settings, style="naive", minimal=True)
    day = DAY.astimezone(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO feedback_log (feedback, created_at) VALUES (:f, :at)"),
            [{"f": f, "at": day} for f in ["up", "up", "down"]],
        )
    env = {"DATABASE_URL": db_url}

    with time_machine.travel(DAY + timedelta(days=6), tick=False):
        doctor = runner.invoke(app, ["doctor"], env=env)
        generate = runner.invoke(app, ["generate", "--json", "--week", "2026-11-16"], env=env)

    assert (
        "ok    feedback values of the last 8 weeks: 'up' ×2 neither; 'down' ×1 neither"
        in doctor.output
    )
    assert (
        "warn  3 of 3 feedback rows are neither a like nor a dislike ('up', 'down'); likes are "
        "['like'], dislikes ['dislike']: to count others, list them in like = [...] and "
        "dislike = [...] under [feedback] in SCHEMA_FILE (for this column's values, e.g. "
        'like = ["up"] and dislike = ["down"])'
    ) in doctor.output
    assert generate.exit_code == 0, generate.output
    assert "none of the week's 3 feedback rows is a like or a dislike" in generate.stderr


def test_integers_in_a_sqlite_datetime_column_are_one_line(tmp_path: Path) -> None:
    """The reproduction: an integer-epoch created_at on SQLite gave 0 conversations, exit 0."""
    url = sqlite_url(tmp_path / "chatbot.db")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE conversation_log (created_at DATETIME)")
        conn.exec_driver_sql("CREATE TABLE feedback_log (feedback TEXT, created_at DATETIME)")
        conn.exec_driver_sql(
            "CREATE TABLE conversation_evaluation (score REAL, created_at DATETIME)"
        )
        conn.exec_driver_sql("INSERT INTO conversation_log VALUES (1763427600)")

    result = runner.invoke(app, ["generate", "--json"], env={"DATABASE_URL": url})

    assert result.exit_code == 1
    assert result.stderr == (
        "error: conversation_log.created_at holds integers: say which epoch unit they are in, "
        'SCHEMA_FILE [conversations] created_at_unit = "s" or "ms"\n'
    )


def test_a_file_that_is_not_a_database_is_one_line(tmp_path: Path) -> None:
    garbage = tmp_path / "chatbot.db"
    garbage.write_bytes(bytes(range(256)) * 20)

    for command in (["generate", "--json"], ["run-weekly"], ["doctor"]):
        result = runner.invoke(app, command, env={"DATABASE_URL": f"sqlite:///{garbage}"})

        assert result.exit_code == 1, command
        errors = [line for line in result.output.splitlines() if "error" in line]
        assert len(errors) == 1 and "file is not a database" in errors[0], result.output
        assert "Traceback" not in result.output
