"""No silent zeros: a mapping that reads the rows wrongly is a warning in `doctor` (an exit 1
with --strict) and in `generate`, and `run-weekly` refuses to deliver the report it makes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from aiops_report.data.config import Settings
from aiops_report.delivery.runs import report_runs
from aiops_report.faces.cli import app
from chatbot_tables import create_all, state_of
from slack_server import TOKEN, SlackServer

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 26, 10, tzinfo=SEOUL)  # a Thursday: the week of 11-16 is over
WEEK_START = datetime(2026, 11, 16, tzinfo=SEOUL)
runner = CliRunner()


def team_tables(engine: Engine) -> None:
    """A team's tables: integer-epoch times in milliseconds, each indexed; ids of its own."""
    metadata = sa.MetaData()
    for name, value in (
        ("conversation_log", sa.Column("user_id", sa.String(20))),
        ("feedback_log", sa.Column("feedback", sa.String(20))),
        ("conversation_evaluation", sa.Column("score", sa.Float)),
    ):
        sa.Table(
            name,
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            value,
            sa.Column("created_at", sa.BigInteger, nullable=False, index=True),
        )
    create_all(metadata, engine)


def fill(
    engine: Engine,
    *,
    feedback: tuple[str, ...] = ("like", "dislike", "like"),
    score: float = 7.5,
    skip_week: bool = False,
) -> None:
    """Three weeks of rows (the reported week in the middle), one an hour, times in ms."""
    rows: dict[str, list[dict[str, object]]] = {
        "conversation_log": [],
        "feedback_log": [],
        "conversation_evaluation": [],
    }
    first = WEEK_START - timedelta(weeks=1)
    for hour in range(int((NOW - first).total_seconds() // 3600)):
        at = first + timedelta(hours=hour)
        if skip_week and WEEK_START <= at < WEEK_START + timedelta(weeks=1):
            continue
        ms = int(at.timestamp()) * 1000
        rows["conversation_log"].append({"user_id": f"u{hour % 7}", "created_at": ms})
        rows["feedback_log"].append({"feedback": feedback[hour % len(feedback)], "created_at": ms})
        rows["conversation_evaluation"].append({"score": score, "created_at": ms})
    metadata = sa.MetaData()
    with engine.begin() as conn:
        for name, values in rows.items():
            conn.execute(sa.insert(sa.Table(name, metadata, autoload_with=conn)), values)


def schema_file(tmp_path: Path, conversations_unit: str = "ms") -> Path:
    path = tmp_path / f"schema_{conversations_unit}.toml"
    path.write_text(
        f'[conversations]\ncreated_at_unit = "{conversations_unit}"\n'
        '[feedback]\ncreated_at_unit = "ms"\n[evaluations]\ncreated_at_unit = "ms"\n',
        encoding="utf-8",
    )
    return path


def env_of(db_url: str, schema: Path, slack: SlackServer, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": db_url,
        "SCHEMA_FILE": str(schema),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": slack.api_url,
        "REPORT_DIR": str(tmp_path / "reports"),
    }


def recorded_weeks(engine: Engine) -> list[date]:
    with state_of(engine).connect() as conn:
        if not sa.inspect(conn).has_table("report_runs"):
            return []
        return list(conn.execute(sa.select(report_runs.c.period_start)).scalars())


@time_machine.travel(NOW, tick=False)
def test_doctor_strict_fails_on_milliseconds_read_as_seconds(
    engine: Engine, db_url: str, tmp_path: Path, slack_server: SlackServer
) -> None:
    team_tables(engine)
    fill(engine)
    right = env_of(db_url, schema_file(tmp_path), slack_server, tmp_path)
    wrong = {**right, "SCHEMA_FILE": str(schema_file(tmp_path, conversations_unit="s"))}

    fine = runner.invoke(app, ["doctor", "--strict"], env=right)
    lenient = runner.invoke(app, ["doctor"], env=wrong)
    strict = runner.invoke(app, ["doctor", "--strict"], env=wrong)
    generate = runner.invoke(app, ["generate", "--json", "--week", "2026-11-16"], env=wrong)

    assert fine.exit_code == 0, fine.output
    assert not [line for line in fine.output.splitlines() if not line.startswith("ok")]
    warning = (
        "table conversation_log: its created_at values read as 1794150000000 (year 58824) to "
        "1795651200000 (year 58872), far from today (before 2000 or after 2027): read in "
        "milliseconds they fall from 2026-11-08 to 2026-11-26: set "
        'SCHEMA_FILE [conversations] created_at_unit = "ms"'
    )
    # Read in seconds, the team's times of 2026 in ms fall in the 58th millennium.
    assert lenient.exit_code == 0 and f"warn  {warning}" in lenient.output.splitlines()
    assert strict.exit_code == 1 and f"warn  {warning}" in strict.output.splitlines()
    assert generate.exit_code == 0
    assert f"warning: {warning}" in generate.stderr.splitlines()


@time_machine.travel(NOW, tick=False)
def test_a_table_whose_rows_stopped_is_a_warning(
    engine: Engine, db_url: str, tmp_path: Path, slack_server: SlackServer
) -> None:
    team_tables(engine)
    old = int((NOW - timedelta(weeks=10)).timestamp()) * 1000
    with engine.begin() as conn:
        insert = "INSERT INTO feedback_log (feedback, created_at) VALUES ('like', :t)"
        conn.execute(sa.text(insert), {"t": old})
    env = env_of(db_url, schema_file(tmp_path), slack_server, tmp_path)

    doctor = runner.invoke(app, ["doctor", "--strict"], env=env)

    assert doctor.exit_code == 1
    assert (
        "warn  table feedback_log has rows, but none in the last 8 weeks (the last on "
        "2026-09-17): if its new rows go elsewhere, fix SCHEMA_FILE [feedback] table or "
        "SCHEMA_FILE [feedback] created_at"
    ) in doctor.output.splitlines()


# The three known-wrong weeks, and the line that names what to fix.
WRONG = {
    "no feedback word fits": (
        {"feedback": ("up", "down", "up")},
        "none of the week's 168 feedback rows is a like or a dislike (likes are ['like'], "
        "dislikes ['dislike']): make SCHEMA_FILE [feedback] like = [...] and dislike = [...] "
        "the column's values",
    ),
    "scores on another scale": (
        {"score": 75.0},
        "168 of the week's 168 scores lie outside 0 to 10: set SCHEMA_FILE [evaluations] "
        "score_range = [lowest, highest] to their scale",
    ),
    "no conversation in the week": (
        {"skip_week": True},
        "conversation_log has no conversation in the week, but has some in the 4 weeks around "
        "it: check SCHEMA_FILE [conversations] created_at or SCHEMA_FILE [conversations] table",
    ),
}


@pytest.mark.parametrize("case", list(WRONG))
@time_machine.travel(NOW, tick=False)
def test_run_weekly_refuses_a_known_wrong_report_and_force_sends_it(
    case: str, engine: Engine, db_url: str, tmp_path: Path, slack_server: SlackServer
) -> None:
    changes, why = WRONG[case]
    team_tables(engine)
    fill(engine, **changes)  # type: ignore[arg-type]
    env = env_of(db_url, schema_file(tmp_path), slack_server, tmp_path)

    refused = runner.invoke(app, ["run-weekly"], env=env)
    nothing_sent = (list(slack_server.shared_files()), list(slack_server.messages))
    not_recorded = recorded_weeks(engine)
    forced = runner.invoke(app, ["run-weekly", "--force"], env=env)

    assert refused.exit_code == 1
    assert refused.stderr == (
        f"error: the week 2026-11-16 is not delivered: {why}; `run-weekly --force` sends it\n"
    )
    assert nothing_sent == ([], []) and not_recorded == []
    assert forced.exit_code == 0, forced.output
    assert len(slack_server.shared_files()) == 1
    assert recorded_weeks(engine) == [date(2026, 11, 16)]


@time_machine.travel(NOW, tick=False)
def test_run_weekly_refuses_conversations_read_in_the_wrong_unit(
    engine: Engine, settings: Settings, db_url: str, tmp_path: Path, slack_server: SlackServer
) -> None:
    team_tables(engine)
    fill(engine)
    env = env_of(db_url, schema_file(tmp_path, conversations_unit="s"), slack_server, tmp_path)

    refused = runner.invoke(app, ["run-weekly"], env=env)

    assert refused.exit_code == 1
    assert 'set SCHEMA_FILE [conversations] created_at_unit = "ms"' in refused.stderr
    assert len(refused.stderr.splitlines()) == 1
    assert slack_server.shared_files() == [] and recorded_weeks(engine) == []


def test_a_right_week_is_delivered_without_force(
    engine: Engine, db_url: str, tmp_path: Path, slack_server: SlackServer
) -> None:
    team_tables(engine)
    fill(engine)
    env = env_of(db_url, schema_file(tmp_path), slack_server, tmp_path)

    with time_machine.travel(NOW, tick=False):
        delivered = runner.invoke(app, ["run-weekly"], env=env)

    assert delivered.exit_code == 0, delivered.output
    assert len(slack_server.shared_files()) == 1
    assert datetime.now(UTC) > NOW  # the clock is back
