"""A table locked by another session: the report's statements (the reflection of the table
first) wait at most half of STATEMENT_TIMEOUT, say so in one line, and are cancelled in the
server when the command is stopped (SIGTERM) or killed (SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from aiops_report.data.config import load_settings
from aiops_report.data.db import make_engine
from aiops_report.data.install import create_schema
from aiops_report.faces.cli import app
from conftest import server_url

KINDS = ["postgresql", "mariadb"]


@contextmanager
def locked(url: str, table: str = "conversation_log") -> Iterator[Engine]:
    """`table` locked by another session (as a migration or a long maintenance job does);
    yields an engine to watch the server with."""
    holder = sa.create_engine(url)
    with holder.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        else:
            conn.execute(sa.text(f"LOCK TABLES {table} WRITE"))
        try:
            yield holder
        finally:
            conn.rollback()
            if conn.dialect.name != "postgresql":
                conn.execute(sa.text("UNLOCK TABLES"))
    holder.dispose()


def waiting_statements(watcher: Engine, marker: str) -> int:
    """How many statements of the process whose connections carry `marker` wait for a lock."""
    with watcher.connect() as conn:
        if conn.dialect.name == "postgresql":
            query = (
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' AND wait_event_type = 'Lock' AND application_name = :m"
            )
        else:
            query = (
                "SELECT count(*) FROM information_schema.processlist WHERE db = database() "
                "AND command = 'Query' AND state LIKE '%lock%' AND user = :m"
            )
        return int(conn.execute(sa.text(query), {"m": marker}).scalar_one())


def prepared(kind: str) -> str:
    url = server_url(kind)
    engine = make_engine(load_settings(database_url=url))
    create_schema(engine, load_settings(database_url=url))
    engine.dispose()
    return url


@pytest.mark.parametrize("kind", KINDS)
def test_a_locked_table_is_one_line_after_half_the_statement_timeout(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = prepared(kind)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("STATEMENT_TIMEOUT", "10s")
    with locked(url):
        started = time.monotonic()
        result = CliRunner().invoke(app, ["generate", "--json"])
        took = time.monotonic() - started

    assert result.exit_code == 1, result.output
    [line] = result.stderr.strip().splitlines()
    assert "waited 5 s (half of STATEMENT_TIMEOUT) for a lock another session holds" in line
    assert "127.0.0.1:" in line
    assert 5 <= took < 9.5, took  # stopped by the lock's limit, before the statement's


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=str)
@pytest.mark.parametrize("kind", KINDS)
def test_a_stopped_command_leaves_no_statement_waiting_for_the_lock(
    kind: str, stop: signal.Signals, tmp_path: Path
) -> None:
    url = prepared(kind)
    marker = f"aiops_{stop.name.lower()}_{os.getpid()}"[:16]  # MariaDB user names: 80 chars
    if kind == "postgresql":
        child_url = sa.make_url(url).update_query_dict({"application_name": marker})
    else:
        with sa.create_engine(url).connect() as conn:
            conn.execute(sa.text(f"CREATE USER IF NOT EXISTS '{marker}'@'%'"))
            conn.execute(sa.text(f"GRANT ALL ON *.* TO '{marker}'@'%'"))
        child_url = sa.make_url(url).set(username=marker)
    env = {
        **os.environ,
        "DATABASE_URL": child_url.render_as_string(hide_password=False),
        "STATEMENT_TIMEOUT": "10m",  # a lock is waited for up to 5 minutes
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    with locked(url) as watcher:
        child = subprocess.Popen(
            [sys.executable, "-m", "aiops_report", "generate", "--json"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while waiting_statements(watcher, marker) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert waiting_statements(watcher, marker) >= 1, "no statement ever waited"
        child.send_signal(stop)
        stopped = time.monotonic()
        while waiting_statements(watcher, marker) and time.monotonic() - stopped < 30:
            time.sleep(0.1)
        gone_after = time.monotonic() - stopped
        _, stderr = child.communicate(timeout=30)

    if stop == signal.SIGTERM:  # cancelled at once, and said so in one line
        assert gone_after < 1, gone_after
        assert child.returncode == 143
        assert stderr.strip().splitlines() == [
            "stopped by SIGTERM: the statement in progress was cancelled"
        ]
    else:  # nothing to cancel it with: the server notices its client is gone
        assert gone_after < 8, gone_after
