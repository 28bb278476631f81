"""The schema of a new install, and what reflection finds in a user's tables."""

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from aiops_report.data.config import Settings, load_settings
from aiops_report.data.db import make_engine
from aiops_report.data.install import create_schema, missing_created_at_indexes
from aiops_report.data.tables import reflect_tables
from aiops_report.errors import MissingColumn, MissingTable
from chatbot_tables import create_tables


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
    create_tables(engine, settings, style="naive", minimal=True)

    missing = missing_created_at_indexes(engine, reflect_tables(engine, settings))

    assert set(missing) == {"conversation_log", "feedback_log", "conversation_evaluation"}
    assert "CREATE INDEX" in missing["feedback_log"]
    with engine.begin() as conn:
        conn.exec_driver_sql(missing["feedback_log"])
    assert "feedback_log" not in missing_created_at_indexes(
        engine, reflect_tables(engine, settings)
    )


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
