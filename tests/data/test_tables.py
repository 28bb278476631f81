"""The schema of a new install, and what reflection finds in a user's tables."""

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine

from aiops_report.analysis.metrics import compute
from aiops_report.data.config import Settings, load_settings
from aiops_report.data.db import make_engine
from aiops_report.data.install import create_schema, missing_created_at_indexes
from aiops_report.data.periods import Period
from aiops_report.data.tables import reflect_tables
from aiops_report.errors import ConfigError, MissingColumn, MissingTable
from chatbot_tables import create_all, create_tables


def test_create_schema_is_safe_to_run_twice(engine: Engine, settings: Settings) -> None:
    first = create_schema(engine, settings)
    second = create_schema(engine, settings)

    assert set(first.values()) == {True}
    assert set(second.values()) == {False}
    tables = reflect_tables(engine, settings)
    assert missing_created_at_indexes(engine, tables) == {}
    assert tables.optional_columns("conversations")[:2] == ["id", "user_id"]


def test_create_schema_never_alters_an_existing_table(engine: Engine, settings: Settings) -> None:
    create_tables(engine, settings, style="naive", minimal=True)

    created = create_schema(engine, settings)

    assert set(created.values()) == {False}
    columns = [c["name"] for c in sa.inspect(engine).get_columns(settings.conversation_table)]
    assert columns == ["created_at"]


def test_a_table_without_created_at_index_gets_a_fix(engine: Engine, settings: Settings) -> None:
    if engine.dialect.name == "clickhousedb":  # no index but its sorting key: none here
        with engine.begin() as conn:
            for name, columns in (
                ("conversation_log", ""),
                ("feedback_log", "feedback String, "),
                ("conversation_evaluation", "score Nullable(Float64), "),
            ):
                conn.exec_driver_sql(
                    f"CREATE TABLE {name} ({columns}created_at DateTime) "
                    "ENGINE = MergeTree ORDER BY tuple()"
                )
    else:
        create_tables(engine, settings, style="naive", minimal=True)

    missing = missing_created_at_indexes(engine, reflect_tables(engine, settings))

    assert set(missing) == {"conversation_log", "feedback_log", "conversation_evaluation"}
    fix = "ADD INDEX" if engine.dialect.name == "clickhousedb" else "CREATE INDEX"
    assert fix in missing["feedback_log"]
    with engine.begin() as conn:
        conn.exec_driver_sql(missing["feedback_log"])
    assert "feedback_log" not in missing_created_at_indexes(
        engine, reflect_tables(engine, settings)
    )


def test_a_view_gets_no_index_fix(
    engine: Engine, settings: Settings, db_url: str, tmp_path: Path
) -> None:
    """A view has no index of its own (the tables it reads have theirs): no fix for it."""
    create_schema(engine, settings)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE VIEW thumbs AS SELECT * FROM feedback_log")
    schema = tmp_path / "schema.toml"
    schema.write_text('[feedback]\ntable = "thumbs"\n', encoding="utf-8")
    viewed = load_settings(database_url=db_url, schema_file=schema)

    assert missing_created_at_indexes(engine, reflect_tables(engine, viewed)) == {}


def test_missing_table_is_named(engine: Engine, settings: Settings) -> None:
    with pytest.raises(MissingTable, match=r"'conversation_log' does not exist.*init-db"):
        reflect_tables(engine, settings)


def test_missing_required_column_is_named(engine: Engine, settings: Settings) -> None:
    create_tables(engine, settings, style="naive", minimal=True)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE conversation_evaluation"))
        conn.execute(sa.text("CREATE TABLE conversation_evaluation (created_at TIMESTAMP NULL)"))

    with pytest.raises(MissingColumn, match=r"'conversation_evaluation' lacks .* score"):
        reflect_tables(engine, settings)


def test_configured_table_names_are_used(db_url: str) -> None:
    settings = load_settings(database_url=db_url, conversation_table="chat_turns")
    engine = make_engine(settings)
    try:
        created = create_schema(engine, settings)
        assert "chat_turns" in created
        assert reflect_tables(engine, settings).conversations.name == "chat_turns"
    finally:
        engine.dispose()


# A thumbs column of 0 and 1: MariaDB's TINYINT(1) (its BOOLEAN), a SMALLINT elsewhere.
THUMBS = sa.SmallInteger().with_variant(mysql.TINYINT(display_width=1), "mysql", "mariadb")


def test_the_feedback_words_hint_fits_a_0_1_column(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    """The hint once said like = ["1"], dislike = ["-1"] for TINYINT(1), which cannot hold -1."""
    metadata = sa.MetaData()
    sa.Table("conversation_log", metadata, sa.Column("created_at", sa.DateTime))
    feedback = sa.Table(
        "feedback_log",
        metadata,
        sa.Column("feedback", THUMBS),
        sa.Column("created_at", sa.DateTime),
    )
    sa.Table(
        "conversation_evaluation",
        metadata,
        sa.Column("score", sa.Float),
        sa.Column("created_at", sa.DateTime),
    )
    create_all(metadata, engine)
    day = datetime(2026, 11, 18, 3)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(feedback), [{"feedback": t, "created_at": day} for t in (1, 1, 0, None)]
        )

    with pytest.raises(ConfigError) as error:
        reflect_tables(engine, settings)
    hint = 'like = ["1"] and dislike = ["0"] under [feedback] in SCHEMA_FILE'
    (tmp_path / "schema.toml").write_text('[feedback]\nlike = ["1"]\ndislike = ["0"]\n')
    hinted = settings.model_copy(update={"schema_file": tmp_path / "schema.toml"})
    week = Period.week_of(date(2026, 11, 16), ZoneInfo("UTC"))
    numbers = compute(engine, reflect_tables(engine, hinted), week)

    if engine.dialect.name in {"mysql", "mariadb"}:
        assert "feedback_log.feedback is a TINYINT column" in str(error.value)  # TINYINT(1)
    assert hint in str(error.value) and "-1" not in str(error.value)
    assert (numbers.current.likes, numbers.current.dislikes) == (2, 1)
