"""DB_CONNECT_TIMEOUT: a database server that accepts the connection and never answers is
given up on in one line naming its host, and /healthz answers within its own bound."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from aiops_report.data.config import Settings, load_settings
from aiops_report.data.db import make_engine
from aiops_report.faces.cli import app
from aiops_report.faces.service import HEALTH_TIMEOUT, create_app
from conftest import server_url
from silent_server import SilentServer

SILENT_URLS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:{port}/chatbot",
    "mariadb": "mysql+pymysql://root@127.0.0.1:{port}/chatbot",
}
HANG = 40.0  # seconds after which a call is taken to hang (the test then fails)


def within(seconds: float, call: Callable[[], Any]) -> tuple[Any, float]:
    """`call()`'s result and how long it took; fails the test when it takes over `seconds`."""
    result: list[Any] = []
    started = time.monotonic()
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(timeout=seconds)
    assert not thread.is_alive(), f"still waiting after {seconds} s"
    return result[0], time.monotonic() - started


@pytest.mark.parametrize("kind", list(SILENT_URLS))
@pytest.mark.parametrize("command", [["doctor"], ["generate", "--json"], ["run-weekly"]])
def test_a_server_that_never_answers_is_one_line_within_the_connect_timeout(
    kind: str, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with SilentServer() as silent:
        monkeypatch.setenv("DATABASE_URL", SILENT_URLS[kind].format(port=silent.port))
        monkeypatch.setenv("DB_CONNECT_TIMEOUT", "2s")

        result, took = within(HANG, lambda: CliRunner().invoke(app, command))

    assert silent.connections >= 1  # it did connect: the wait was for an answer
    assert took < 2 + 3, took
    assert result.exit_code == 1, result.output
    [line] = [line for line in result.output.splitlines() if "error" in line and "font" not in line]
    assert f"cannot reach the {kind.replace('mariadb', 'mysql')} database at " in line
    assert f"127.0.0.1:{silent.port}" in line
    assert "DB_CONNECT_TIMEOUT, 2 s" in line
    assert "Traceback" not in result.output


@pytest.mark.parametrize("kind", list(SILENT_URLS))
def test_health_answers_503_within_its_bound_when_the_database_never_answers(kind: str) -> None:
    with SilentServer() as silent:
        settings = load_settings(
            database_url=SILENT_URLS[kind].format(port=silent.port), db_connect_timeout="60s"
        )
        with TestClient(create_app(settings, make_engine(settings))) as client:
            first, took = within(HANG, lambda: client.get("/healthz"))
            second, took_again = within(HANG, lambda: client.get("/healthz"))

    assert first.status_code == second.status_code == 503
    assert (first.json()["status"], first.json()["database"]) == ("error", "not answering")
    assert HEALTH_TIMEOUT - 0.5 < took < HEALTH_TIMEOUT + 2, took
    assert took_again < HEALTH_TIMEOUT + 2, took_again
    assert silent.connections == 1  # the second check joined the first, not a second wait


def test_a_statement_longer_than_the_connect_timeout_still_runs_on_mariadb() -> None:
    settings = Settings(
        database_url=server_url("mariadb"),
        db_connect_timeout=timedelta(seconds=1),
        statement_timeout=timedelta(seconds=10),
    )
    engine = make_engine(settings)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT SLEEP(2)")).scalar_one() == 0
    engine.dispose()


@pytest.mark.parametrize("value", ["0", "500ms", "soon"])
def test_a_connect_timeout_under_a_second_is_refused_in_one_line(value: str) -> None:
    with pytest.raises(Exception, match="DB_CONNECT_TIMEOUT") as caught:
        load_settings(db_connect_timeout=value)
    assert "\n" not in str(caught.value)
