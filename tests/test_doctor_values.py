"""Values that used to pass `doctor` (or end in a traceback) are one line, in `doctor` and in
every command: nan and inf, a header with a line break, an epoch unit on a column that holds
no numbers, a schedule that never comes, an unreachable state database, one channel spelled
several ways."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from typer.testing import CliRunner

from aiops_report.data.config import Settings, load_settings
from aiops_report.data.db import make_engine
from aiops_report.data.demo import fill_demo_data
from aiops_report.data.install import create_schema
from aiops_report.doctor import delivery_findings, schedule_findings
from aiops_report.faces.cli import app
from silent_server import SilentServer
from slack_server import TOKEN, SlackServer

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def invoke(*args: str, **env: object) -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, list(args), env={k.upper(): str(v) for k, v in env.items()})
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(
        result.exception, SystemExit
    ), result.output
    return result.exit_code, result.output.strip().splitlines()


@pytest.fixture
def chatbot(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'chatbot.db'}"
    settings = load_settings(database_url=url)
    engine = make_engine(settings, create=True)
    create_schema(engine, settings)
    fill_demo_data(engine, settings, weeks=2, per_day=5, now=NOW)
    engine.dispose()
    return url


@pytest.mark.parametrize("command", [["doctor"], ["generate", "--json"], ["watch", "--once"]])
def test_a_score_range_of_nan_or_inf_is_one_line(
    command: list[str], chatbot: str, tmp_path: Path
) -> None:
    schema = tmp_path / "schema.toml"
    schema.write_text("[evaluations]\nscore_range = [nan, inf]\n")

    code, lines = invoke(*command, database_url=chatbot, schema_file=schema)

    assert code == 1
    [line] = [line for line in lines if "finite" in line]
    assert line.endswith(
        "[evaluations] score_range.0: Input should be a finite number; "
        "[evaluations] score_range.1: Input should be a finite number"
    )


@pytest.mark.parametrize("command", [["doctor"], ["watch", "--once"]])
def test_an_alert_rule_of_value_nan_is_one_line(
    command: list[str], chatbot: str, tmp_path: Path
) -> None:
    rules = tmp_path / "alerts.toml"
    rules.write_text(
        '[[rule]]\nname = "x"\nmetric = "conversations"\nwhen = "below"\nvalue = nan\n'
    )

    code, lines = invoke(*command, database_url=chatbot, alerts_file=rules)

    assert code == 1
    [line] = [line for line in lines if "ALERTS_FILE" in line]
    assert line.endswith(f"ALERTS_FILE {rules}: rule 1 value: Input should be a finite number")


@pytest.mark.parametrize(
    "command", [["doctor"], ["generate"], ["run-weekly"], ["watch", "--once"], ["serve"]]
)
def test_email_from_with_a_line_break_is_refused_by_every_command(
    command: list[str], chatbot: str
) -> None:
    code, lines = invoke(
        *command, database_url=chatbot, email_from="ai@example.com\r\nBcc: all@example.com"
    )

    assert code == 1
    assert lines == [
        "error: invalid setting: EMAIL_FROM holds a line break (CR or LF): give one address, "
        "e.g. ai@example.com"
    ]


def test_an_epoch_unit_on_a_column_of_timestamps_is_one_line(
    db_url: str, settings: Settings, tmp_path: Path
) -> None:
    engine = make_engine(settings)
    create_schema(engine, settings)  # created_at: a timestamp (text on SQLite)
    fill_demo_data(engine, settings, weeks=2, per_day=5, now=NOW)
    engine.dispose()
    schema = tmp_path / "schema.toml"
    schema.write_text('[conversations]\ncreated_at_unit = "ms"\n')

    for command in (["doctor"], ["generate", "--json"]):
        code, lines = invoke(*command, database_url=db_url, schema_file=schema)

        assert code == 1, lines
        [line] = [line for line in lines if "created_at_unit" in line]
        assert (
            "SCHEMA_FILE [conversations] created_at_unit = 'ms', but conversation_log.created_at"
            in line
        )
        assert line.endswith("column, not an integer epoch; remove the setting")


def test_an_epoch_unit_on_an_empty_sqlite_text_column_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for table in ("conversation_log", "feedback_log", "conversation_evaluation"):
            extra = {"feedback_log": ", feedback TEXT", "conversation_evaluation": ", score REAL"}
            conn.execute(sa.text(f"CREATE TABLE {table} (created_at TEXT{extra.get(table, '')})"))
    engine.dispose()
    schema = tmp_path / "schema.toml"
    schema.write_text('[conversations]\ncreated_at_unit = "s"\n')

    code, lines = invoke("doctor", database_url=url, schema_file=schema)

    assert code == 1
    assert any("created_at is a TEXT column, not an integer epoch" in line for line in lines)


@pytest.mark.parametrize(
    ("setting", "expression", "expected"),
    [
        ("watch_schedule", "0 0 31 2 *", "WATCH_SCHEDULE '0 0 31 2 *' never runs: no date"),
        ("schedule", "0 9 29 2 *", "SCHEDULE '0 9 29 2 *' next runs on 2028-02-29, more than"),
    ],
)
def test_a_schedule_that_never_comes_or_comes_in_years_is_warned_of(
    setting: str, expression: str, expected: str
) -> None:
    settings = load_settings(**{setting: expression})

    [finding] = schedule_findings(settings, NOW)

    assert finding.level == "warn"
    assert finding.line("en").startswith(expected)
    assert schedule_findings(load_settings(), NOW) == []  # the defaults need no word


def test_doctor_warns_of_a_schedule_that_never_comes(chatbot: str) -> None:
    code, lines = invoke("doctor", database_url=chatbot, watch_schedule="0 0 31 2 *")

    assert code == 0
    assert (
        "warn  WATCH_SCHEDULE '0 0 31 2 *' never runs: no date matches it (e.g. the 31st of "
        "February); correct the date" in lines
    )


@pytest.mark.parametrize("where", ["refused", "silent"])
def test_an_unreachable_state_database_is_an_error_of_doctor(chatbot: str, where: str) -> None:
    with SilentServer() as silent:
        port = silent.port if where == "silent" else 1
        code, lines = invoke(
            "doctor",
            database_url=chatbot,
            state_database_url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/state",
            db_connect_timeout="2s",
        )

    assert code == 1
    [line] = [line for line in lines if "STATE_DATABASE_URL" in line]
    assert line.startswith(
        f"error STATE_DATABASE_URL: cannot reach the postgresql database at 127.0.0.1:{port}"
    )


def test_a_reachable_state_database_is_said_so(chatbot: str, tmp_path: Path) -> None:
    state = f"sqlite:///{tmp_path / 'state.db'}"

    code, lines = invoke("doctor", database_url=chatbot, state_database_url=state)

    assert code == 0, lines
    assert f"ok    STATE_DATABASE_URL: connected to sqlite at {state}" in lines


def test_one_channel_spelled_four_ways_in_two_routes_counts_once(
    tmp_path: Path, slack_server: SlackServer
) -> None:
    routes = tmp_path / "routes.toml"
    routes.write_text(
        '[[route]]\nslack = ["#ai-reports", "AI-Reports"]\n'
        '[[route]]\nslack = [" ai-reports ", "C0AIREPORTS"]\n',
        encoding="utf-8",
    )
    settings = load_settings(
        delivery_file=routes, slack_bot_token=SecretStr(TOKEN), slack_api_url=slack_server.api_url
    )

    first = delivery_findings(settings)[0]

    assert first.line("en") == f"DELIVERY_FILE {routes}: 1 destinations"
    assert slack_server.messages == [] and slack_server.shared_files() == []
