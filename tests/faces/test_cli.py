"""The `aiops-report` command, called in-process as a user would call it."""

import csv
import io
import json
import socket
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rich.console import Console
from typer.main import get_command
from typer.testing import CliRunner

from aiops_report.data.config import Settings
from aiops_report.data.db import make_engine
from aiops_report.data.demo import fill_demo_data
from aiops_report.delivery.runs import RunLedger
from aiops_report.faces import cli
from aiops_report.faces.cli import app
from chatbot_tables import create_tables, state_of
from conftest import sqlite_url

runner = CliRunner()


def run(*args: str, **env: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), env=env)


def test_every_command_has_help_with_an_example() -> None:
    commands = get_command(app).commands  # type: ignore[attr-defined]
    assert {"init-db", "demo-data", "generate", "doctor"} <= set(commands)
    for name, command in commands.items():
        result = run(name, "--help")
        assert result.exit_code == 0, name
        assert command.help and "Example:" in command.help, name


def test_init_db_demo_data_and_json_on_every_database(db_url: str) -> None:
    first = run("init-db", DATABASE_URL=db_url)
    again = run("init-db", DATABASE_URL=db_url)
    demo = run("demo-data", "--weeks", "2", "--per-day", "40", DATABASE_URL=db_url)
    result = run("generate", "--json", DATABASE_URL=db_url)

    assert first.exit_code == 0 and "conversation_log: created" in first.output
    assert "already exists, left as it is" in again.output
    assert demo.exit_code == 0 and "wrote" in demo.output, demo.output
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) >= {"period", "current", "previous", "daily", "worst_conversations"}
    assert len(document["daily"]) == 7
    assert document["current"]["conversations"] == sum(
        d["conversations"] for d in document["daily"]
    )
    assert document["current"]["conversations"] > 0


def test_demo_data_leaves_a_filled_database_alone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = sqlite_url(tmp_path / "x.db")
    run("demo-data", "--weeks", "2", "--per-day", "5", DATABASE_URL=url)

    again = run("demo-data", "--weeks", "2", "--per-day", "5", DATABASE_URL=url)

    assert again.exit_code == 0
    assert "not written" in again.output and "already holds" in again.output


def test_week_that_is_not_a_date_is_one_line() -> None:
    result = run("generate", "--week", "2026-13-45")

    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: --week '2026-13-45' is not a date; use YYYY-MM-DD, e.g. 2026-11-16"
    ]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("REPORT_TIMEZONE", "Asia/Sel", "REPORT_TIMEZONE unknown time zone 'Asia/Sel'"),
        ("DB_TIMEZONE", "nowhere", "DB_TIMEZONE unknown time zone 'nowhere'"),
        ("DATABASE_URL", "not a url", "DATABASE_URL is not a database URL"),
        ("REPORT_LANGUAGE", "fr", "REPORT_LANGUAGE"),
    ],
)
def test_invalid_setting_is_one_line(variable: str, value: str, message: str) -> None:
    result = run("generate", "--json", **{variable: value})

    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_unreachable_database_names_host_and_port_but_not_password() -> None:
    url = "postgresql+psycopg://reporter:s3cret-pw@127.0.0.1:1/chatbot"

    result = run("generate", "--json", DATABASE_URL=url)

    assert result.exit_code == 1
    assert "cannot reach the postgresql database at 127.0.0.1:1" in result.output
    assert "s3cret-pw" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_missing_tables_point_to_init_db(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run("generate", "--json", DATABASE_URL=sqlite_url(tmp_path / "empty.db"))

    assert result.exit_code == 1
    assert "table 'conversation_log' does not exist" in result.output
    assert "init-db" in result.output


def test_doctor_lists_columns_and_missing_indexes(db_url: str, settings: Settings) -> None:
    from aiops_report.data.db import make_engine

    engine = make_engine(settings)
    create_tables(engine, settings, style="naive", minimal=True)
    engine.dispose()

    result = run("doctor", DATABASE_URL=db_url)

    assert result.exit_code == 0, result.output
    assert (
        "ok    table conversation_log (conversations): created_at = created_at (timestamp"
        in result.output
    ) or "created_at = created_at (SQLite text" in result.output
    assert "absent (their report sections are left out): id, user_id" in result.output
    assert "by_model: left out, needs conversation_log.model" in result.output
    if engine.dialect.name == "clickhousedb":  # its tables here are sorted by created_at
        assert "no index on its created_at column" not in result.output
        return
    assert result.output.count("no index on its created_at column") == 3
    assert "CREATE INDEX" in result.output


def test_doctor_fails_when_tables_are_missing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run("doctor", DATABASE_URL=sqlite_url(tmp_path / "none.db"))

    assert result.exit_code == 1
    assert "error" in result.output and "init-db" in result.output


# --- weeks in progress, in the future, out of range ----------------------------------------

TUESDAY = datetime(2026, 12, 1, 16, 47, tzinfo=ZoneInfo("Asia/Seoul"))


@pytest.mark.parametrize(
    ("command", "option"),
    [("generate", "--week"), ("run-weekly", "--week"), ("watch", "--day")],
)
@pytest.mark.parametrize(
    "day", ["9999-12-31", "0001-01-01", "1899-12-31"], ids=["9999", "0001", "1899"]
)
def test_a_date_out_of_range_is_one_line(command: str, option: str, day: str) -> None:
    result = run(command, option, day)

    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"error: {option} {day} is out of range: use a date from 1900-01-01 to 9999-12-17"
    ]


def test_generate_of_the_week_in_progress_writes_a_week_to_date_report(
    db_url: str, settings: Settings, tmp_path: Path
) -> None:
    engine = make_engine(settings)
    fill_demo_data(engine, settings, weeks=2, per_day=20, now=TUESDAY)
    engine.dispose()
    with time_machine.travel(TUESDAY, tick=False):
        pdf = run("generate", "--week", "2026-12-02", "--out", str(tmp_path), DATABASE_URL=db_url)
        printed = run("generate", "--week", "2026-12-02", "--json", DATABASE_URL=db_url)

    assert pdf.exit_code == 0, pdf.output
    assert pdf.stdout.strip() == str(tmp_path / "weekly_report_2026_12_07_partial.pdf")
    assert "note: week to date, until 2026-12-01 16:47 KST" in pdf.output
    document = json.loads(printed.stdout)
    assert document["period"]["partial"] is True
    assert document["period"]["through"] == "2026-12-01T16:47:00+09:00"
    assert document["previous_period"]["through"] == "2026-11-24T16:47:00+09:00"
    assert [day["date"] for day in document["daily"]] == ["2026-11-30", "2026-12-01"]
    assert document == json.loads((tmp_path / "weekly_report_2026_12_07_partial.json").read_text())


@pytest.mark.parametrize(
    ("command", "day", "message"),
    [
        (
            "generate",
            "2026-12-09",
            "the week of 2026-12-07 has not started yet (it starts 2026-12-07 00:00 KST)",
        ),
        (
            "run-weekly",
            "2026-12-09",
            "the week of 2026-12-07 has not started yet (it starts 2026-12-07 00:00 KST)",
        ),
        (
            "run-weekly",
            "2026-12-01",
            "the week of 2026-11-30 is not over until 2026-12-07 00:00 KST: run-weekly "
            "delivers complete weeks; `generate --week` makes a week-to-date report",
        ),
    ],
    ids=["generate future", "run-weekly future", "run-weekly current"],
)
def test_a_week_that_is_not_over_is_one_line_and_not_recorded(
    db_url: str, settings: Settings, command: str, day: str, message: str
) -> None:
    engine = make_engine(settings)
    fill_demo_data(engine, settings, weeks=2, per_day=5, now=TUESDAY)
    with time_machine.travel(TUESDAY, tick=False):
        result = run(command, "--week", day, DATABASE_URL=db_url, SLACK_BOT_TOKEN="xoxb-test")

    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"error: {message}"]
    assert RunLedger(state_of(engine)).history() == []  # next Monday's run still delivers the week
    engine.dispose()


def test_help_starts_without_the_heavy_libraries() -> None:
    """`--help` (and any command before it runs) imports no analysis, PDF, Slack or web code:
    the CLI's start-up stays a fraction of a second (bench/bench.py measures it)."""
    script = (
        "import sys\n"
        "from aiops_report.faces.cli import app\n"
        "try:\n"
        "    app(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('scipy', 'kiwipiepy', 'reportlab', 'fastapi', 'slack_sdk', 'streamlit',\n"
        "         'apscheduler', 'pandas', 'sqlalchemy')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_generate_shows_its_steps_on_a_terminal_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sqlite_url(tmp_path / "steps.db")
    run("demo-data", "--weeks", "2", "--per-day", "20", DATABASE_URL=url)
    terminal = io.StringIO()
    monkeypatch.setattr(cli, "err", Console(file=terminal, force_terminal=True, width=100))

    shown = run("generate", "--out", str(tmp_path / "shown"), DATABASE_URL=url)
    monkeypatch.setattr(cli, "err", Console(file=io.StringIO(), force_terminal=False))
    piped = run("generate", "--out", str(tmp_path / "piped"), DATABASE_URL=url)

    assert shown.exit_code == 0, shown.output
    for step in ("reading the tables", "reading the week and its insights", "writing the PDF"):
        assert step in terminal.getvalue()
    assert piped.exit_code == 0
    assert "reading" not in piped.output


def test_generate_csv_writes_the_tables_beside_the_pdf(
    db_url: str, settings: Settings, tmp_path: Path
) -> None:
    engine = make_engine(settings)
    fill_demo_data(engine, settings, weeks=2, per_day=20, now=TUESDAY)
    engine.dispose()

    with time_machine.travel(TUESDAY, tick=False):
        result = run("generate", "--csv", "--out", str(tmp_path), DATABASE_URL=db_url)

    assert result.exit_code == 0, result.output
    pdf, *tables = (Path(line) for line in result.stdout.split())
    assert [t.name for t in tables] == [
        f"{pdf.stem}_{name}.csv" for name in ("daily", "by_model", "lowest_scored", "disliked")
    ]
    document = json.loads(pdf.with_suffix(".json").read_text("utf-8"))
    with tables[0].open(encoding="utf-8-sig", newline="") as daily:
        rows = list(csv.DictReader(daily))
    assert [(r["date"], int(r["conversations"]), int(r["dislikes"])) for r in rows] == [
        (d["date"], d["conversations"], d["dislikes"]) for d in document["daily"]
    ]
    with tables[1].open(encoding="utf-8-sig", newline="") as by_model:
        conversations = sum(int(r["conversations"]) for r in csv.DictReader(by_model))
    assert conversations == document["current"]["conversations"]


# --- run-weekly when the database is down ------------------------------------------------------


class DownServer:
    """A database port whose server is down behind a proxy: it accepts each connection and
    closes it at once, counting them."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._refuse, daemon=True).start()

    def _refuse(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed by the test
                return
            self.connections += 1
            connection.close()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://reporter:pw@127.0.0.1:{port}/chatbot",
        "mysql+pymysql://root@127.0.0.1:{port}/chatbot",
    ],
    ids=["postgresql", "mariadb"],
)
def test_run_weekly_with_the_database_down_is_one_line_after_one_try(url: str) -> None:
    server = DownServer()
    try:
        result = run("run-weekly", DATABASE_URL=url.format(port=server.port))
    finally:
        server.listener.close()

    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: cannot reach the ") and f"127.0.0.1:{server.port}" in line
    assert server.connections == 1  # the ledger does not ask a server that is down again


def test_run_weekly_that_cannot_write_its_report_is_one_line(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "chatbot.db")
    run("demo-data", "--weeks", "2", "--per-day", "5", DATABASE_URL=url)
    (tmp_path / "a-file").write_text("not a folder")
    report_dir = tmp_path / "a-file" / "reports"

    result = run("run-weekly", DATABASE_URL=url, REPORT_DIR=str(report_dir))

    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"error: cannot write the report in {report_dir}: Not a directory"
    ]
    assert [
        entry.status for entry in RunLedger(make_engine(Settings(database_url=url))).history()
    ] == ["failed"]


def test_generate_segment_writes_its_report_or_says_in_one_line_what_is_missing(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path / "seg.db")
    schema_file = tmp_path / "schema.toml"
    schema_file.write_text('[conversations]\nsegment = "model"\n', encoding="utf-8")
    run("init-db", DATABASE_URL=url)
    run("demo-data", "--weeks", "2", "--per-day", "20", DATABASE_URL=url)

    unmapped = run("generate", "--segment", "gpt-4o-mini", DATABASE_URL=url)
    result = run(
        "generate",
        "--segment",
        "gpt-4o-mini",
        "--out",
        str(tmp_path),
        DATABASE_URL=url,
        SCHEMA_FILE=str(schema_file),
    )

    assert unmapped.exit_code == 1
    assert unmapped.stderr.strip().count("\n") == 0
    assert 'SCHEMA_FILE [conversations] segment = "<column>"' in unmapped.stderr
    assert result.exit_code == 0, result.output
    pdf = Path(result.stdout.split()[-1])
    assert pdf.name.endswith("_segment_gpt-4o-mini.pdf")
    document = json.loads(pdf.with_suffix(".json").read_text("utf-8"))
    assert document["segment"] == "gpt-4o-mini"
    by_model = run("generate", "--json", DATABASE_URL=url)
    [model] = [m for m in json.loads(by_model.stdout)["by_model"] if m["model"] == "gpt-4o-mini"]
    assert document["current"]["conversations"] == model["conversations"] > 0
