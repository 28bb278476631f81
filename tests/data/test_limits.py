"""STATEMENT_TIMEOUT: each database stops a statement that runs too long, in one line."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from aiops_report.data.config import Settings, load_settings
from aiops_report.data.db import database_error, make_engine
from aiops_report.data.demo import fill_demo_data
from aiops_report.data.install import create_schema
from aiops_report.data.limits import reading
from aiops_report.errors import StatementTimeout
from aiops_report.faces.cli import app
from conftest import server_url

# A statement that takes seconds on each database, whatever it holds.
SLOW = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) "
    "SELECT count(*) FROM n",
    "postgresql": "SELECT count(*) FROM generate_series(1, 100000000)",
    "mysql": "SELECT SLEEP(5)",
    "clickhousedb": "SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 0",
}


def test_a_statement_past_the_limit_is_stopped_in_one_line(settings: Settings) -> None:
    engine = make_engine(settings.model_copy(update={"statement_timeout": timedelta(seconds=0.3)}))
    started = time.monotonic()

    error = None
    with reading("the agreement"):
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(SLOW[engine.dialect.name])).all()
        except sa.exc.DBAPIError as exc:
            error = database_error(engine, exc)

    assert time.monotonic() - started < 4
    assert isinstance(error, StatementTimeout)
    message = str(error)
    assert "\n" not in message
    assert message.startswith("the agreement ")
    assert "ran longer than STATEMENT_TIMEOUT (0.3 s)" in message
    assert "aiops-report doctor" in message
    with engine.connect() as conn:  # the connection is usable again, with its limit
        assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
    engine.dispose()


def test_statements_within_the_limit_run(settings: Settings) -> None:
    engine = make_engine(settings.model_copy(update={"statement_timeout": timedelta(seconds=2)}))
    with engine.connect() as conn:
        for _ in range(3):  # the clock restarts with each statement
            assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
            time.sleep(0.8)
    engine.dispose()


def test_no_limit_when_zero() -> None:
    settings = load_settings(database_url="sqlite://", statement_timeout="0")
    engine = make_engine(settings)
    with engine.connect() as conn:
        assert conn.execute(sa.text(SLOW["sqlite"].replace("100000000", "300000"))).scalar_one()
    assert settings.statement_timeout == timedelta(0)


def test_generate_past_the_limit_is_one_line_naming_the_part(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(settings)
    create_schema(engine, settings)
    fill_demo_data(engine, settings, weeks=2, per_day=400, now=datetime(2026, 11, 25, tzinfo=UTC))
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("STATEMENT_TIMEOUT", "1ms")
    monkeypatch.setenv("KEEP_DAILY_TOTALS", "false")

    result = CliRunner().invoke(app, ["generate", "--week", "2026-11-16", "--json"])

    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "ran longer than STATEMENT_TIMEOUT (0.001 s)" in lines[0]
    assert re.match(r"error: [\w' ()]+ ran longer", lines[0]), lines[0]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=str)
def test_a_stopped_process_leaves_no_statement_running_on_postgresql(
    stop: signal.Signals, tmp_path: Path
) -> None:
    url = server_url("postgresql")
    marker = f"aiops-stop-{stop.name}-{os.getpid()}"
    script = (
        "import sqlalchemy as sa\n"
        "from aiops_report.data.config import load_settings\n"
        "from aiops_report.data.db import make_engine\n"
        f"engine = make_engine(load_settings(database_url={url!r}))\n"
        "with engine.connect() as conn:\n"
        f"    conn.execute(sa.text(\"SET application_name = '{marker}'\"))\n"
        f"    conn.execute(sa.text({SLOW['postgresql'].replace('100000000', '10000000000')!r}))\n"
    )
    # As from a terminal: a background job of a shell (CI's) starts with SIGINT ignored.
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    admin = sa.create_engine(url)
    running = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = :m AND state = 'active'"
    )

    def statements_running() -> int:
        with admin.connect() as conn:
            return int(conn.execute(running, {"m": marker}).scalar_one())

    deadline = time.monotonic() + 20
    while statements_running() == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert statements_running() == 1
    child.send_signal(stop)
    child.wait(timeout=20)
    deadline = time.monotonic() + 15  # the server looks for its client every 5 s
    while statements_running() and time.monotonic() < deadline:
        time.sleep(0.5)

    assert statements_running() == 0
    admin.dispose()
