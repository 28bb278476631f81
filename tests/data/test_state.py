"""STATE_DATABASE_URL: the chatbot's database only read, through a user that may only SELECT."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from typer.testing import CliRunner

from aiops_report.data.config import Settings
from aiops_report.data.demo import fill_demo_data
from aiops_report.faces.cli import app
from conftest import administer
from slack_server import TOKEN, SlackServer

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 26, 10, tzinfo=SEOUL)
READER = f"aiops_reader_{os.getpid()}"
CHATBOT_TABLES = ["conversation_log", "feedback_log", "conversation_evaluation"]


def run(*args: str, **env: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), env=env)


def table_names(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


@pytest.fixture
def reader_url(db_url: str, engine: Engine, settings: Settings) -> Iterator[str]:
    """The demo chatbot database, and a URL of it for a user granted only SELECT on its
    three tables (ClickHouse in process has no users: a session of `readonly = 2`, which a
    read-only user's profile gives, reads and sets settings but writes nothing)."""
    fill_demo_data(engine, settings, weeks=3, per_day=15, now=NOW)
    url = make_url(db_url)
    if url.get_backend_name() == "clickhousedb":
        yield url.update_query_dict({"readonly": "2"}).render_as_string(hide_password=False)
        return
    if url.get_backend_name() == "postgresql":
        statements = [
            f"DROP ROLE IF EXISTS {READER}",
            f"CREATE ROLE {READER} LOGIN",
            f"GRANT CONNECT ON DATABASE {url.database} TO {READER}",
        ]
        grants = [f"GRANT SELECT ON {', '.join(CHATBOT_TABLES)} TO {READER}"]
        # PostgreSQL 15 lets no one but the owner create in schema public; older ones do.
        grants.append(f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {READER}")
        drop = [f"DROP OWNED BY {READER}", f"DROP ROLE {READER}"]
    else:
        statements = [
            f"DROP USER IF EXISTS '{READER}'@'%'",
            f"CREATE USER '{READER}'@'%'",
            *(f"GRANT SELECT ON {url.database}.{t} TO '{READER}'@'%'" for t in CHATBOT_TABLES),
        ]
        grants = []
        drop = [f"DROP USER '{READER}'@'%'"]
    for statement in statements:
        administer(db_url, statement)
    with engine.begin() as conn:
        for statement in grants:
            conn.execute(sa.text(statement))
    yield url.set(username=READER, password=None).render_as_string(hide_password=False)
    for statement in drop:
        if statement.startswith("DROP OWNED"):
            with engine.begin() as conn:
                conn.execute(sa.text(statement))
        else:
            administer(db_url, statement)


@pytest.mark.parametrize("db_url", ["postgresql", "mariadb", "clickhouse"], indirect=True)
def test_run_weekly_through_a_select_only_user_delivers_once_and_writes_nothing_there(
    reader_url: str, engine: Engine, slack_server: SlackServer, tmp_path: Path
) -> None:
    state = f"sqlite:///{tmp_path / 'state.db'}"
    env = {
        "DATABASE_URL": reader_url,
        "STATE_DATABASE_URL": state,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": slack_server.api_url,
        "REPORT_DIR": str(tmp_path / "reports"),
    }
    before = table_names(engine)

    first = run("run-weekly", "--week", "2026-11-16", **env)
    second = run("run-weekly", "--week", "2026-11-16", **env)

    assert first.exit_code == 0, first.output
    assert "delivered" in first.output
    assert second.exit_code == 0, second.output
    assert "already delivered" in second.output
    assert len(slack_server.shared_files()) == 1
    assert table_names(engine) == before == set(CHATBOT_TABLES)  # nothing created there
    state_engine = sa.create_engine(state)
    with state_engine.connect() as conn:
        runs = conn.execute(sa.text("SELECT period_start, status FROM report_runs")).all()
        kept = conn.execute(sa.text("SELECT COUNT(*) FROM report_daily_totals")).scalar()
    state_engine.dispose()
    assert [(str(day)[:10], status) for day, status in runs] == [("2026-11-16", "delivered")]
    assert kept and kept > 0  # the settled days were kept in the state database


@pytest.mark.parametrize("db_url", ["postgresql", "mariadb"], indirect=True)
def test_the_reader_cannot_write_so_without_a_state_database_run_weekly_says_why(
    reader_url: str, engine: Engine, slack_server: SlackServer, tmp_path: Path
) -> None:
    result = run(
        "run-weekly",
        "--week",
        "2026-11-16",
        DATABASE_URL=reader_url,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_API_URL=slack_server.api_url,
        REPORT_DIR=str(tmp_path / "reports"),
    )

    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: ") and "report_runs" in line
    assert "STATE_DATABASE_URL" in line
    assert slack_server.shared_files() == []


def test_a_sqlite_file_that_does_not_exist_is_an_error_not_a_new_database(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "chatbot.db"
    for command in (["generate", "--json"], ["doctor"], ["run-weekly"]):
        result = run(*command, DATABASE_URL=f"sqlite:///{missing}")

        assert result.exit_code == 1, command
        assert result.output.strip().splitlines() == [
            f"error: DATABASE_URL names the SQLite file {missing}, which does not exist: check "
            "the path (relative paths start in the current folder), or create it with "
            "`aiops-report init-db`"
        ]
        assert not missing.exists()

    assert run("init-db", DATABASE_URL=f"sqlite:///{missing}").exit_code == 0
    assert missing.exists()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_state_database_keeps_totals_that_the_next_report_proves_current(
    engine: Engine, settings: Settings, db_url: str, tmp_path: Path
) -> None:
    fill_demo_data(engine, settings, weeks=3, per_day=15, now=NOW)
    state = f"sqlite:///{tmp_path / 'state.db'}"
    env = {"DATABASE_URL": db_url, "STATE_DATABASE_URL": state}

    first = run("generate", "--week", "2026-11-16", "--json", **env)
    with engine.begin() as conn:  # a late dislike on Wednesday 2026-11-18, 12:00 KST
        conn.execute(
            sa.text(
                "INSERT INTO feedback_log (conversation_id, feedback, created_at) "
                "VALUES (1, 'dislike', '2026-11-18 03:00:00')"
            )
        )
    second = run("generate", "--week", "2026-11-16", "--json", **env)

    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "report_daily_totals" not in table_names(engine)
    before, after = json.loads(first.stdout), json.loads(second.stdout)
    assert after["current"]["dislikes"] == before["current"]["dislikes"] + 1
    assert date.fromisoformat(after["period"]["start"]) == date(2026, 11, 16)


@pytest.mark.parametrize("db_url", ["clickhouse"], indirect=True)
def test_a_clickhouse_user_that_may_not_set_settings_is_told_what_it_needs(
    reader_url: str, tmp_path: Path
) -> None:
    """`readonly = 1` refuses the session settings that make ClickHouse's numbers those of
    PostgreSQL: one line says so and what the user needs, readonly = 2."""
    refusing = make_url(reader_url).update_query_dict({"readonly": "1"})

    result = run(
        "generate",
        "--week",
        "2026-11-16",
        "--json",
        DATABASE_URL=refusing.render_as_string(hide_password=False),
        STATE_DATABASE_URL=f"sqlite:///{tmp_path / 'state.db'}",
    )

    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert "Cannot modify 'join_use_nulls' setting in readonly mode" in line
    assert line.endswith(
        "a user of readonly = 1 may not take the settings the report's numbers need: give it "
        "readonly = 2 (it still only reads)"
    )
