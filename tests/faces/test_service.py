"""The HTTP service: started for real on a loopback port, and through its app (TestClient)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
import time_machine
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier

from aiops_report.data.config import Settings, load_settings
from aiops_report.data.db import make_engine
from aiops_report.data.demo import fill_demo_data
from aiops_report.delivery.runs import RunLedger
from aiops_report.errors import ReportNotWritten
from aiops_report.faces.service import MAX_BODY_BYTES, create_app
from aiops_report.jobs import run_weekly
from chatbot_tables import state_of
from conftest import sqlite_url
from slack_server import TOKEN, SlackServer

TRIGGER_TOKEN = "trigger-0123456789-secret"
BEARER = {"Authorization": f"Bearer {TRIGGER_TOKEN}"}
KST = ZoneInfo("Asia/Seoul")


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn on a free loopback port; on leaving, a graceful shutdown."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()  # connections wait in the backlog until uvicorn has started
    server = uvicorn.Server(uvicorn.Config(app, log_config=None))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        sock.close()
    assert not thread.is_alive(), "uvicorn did not stop"


def local_settings(tmp_path: Path, **values: object) -> Settings:
    return load_settings(database_url=sqlite_url(tmp_path / "service.db"), **values)


def test_on_a_port_health_tokens_and_a_repeated_trigger_delivering_once(
    settings: Settings, slack_server: SlackServer, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings.model_copy(
        update={
            "slack_bot_token": SecretStr(TOKEN),
            "slack_api_url": slack_server.api_url,
            "trigger_token": SecretStr(TRIGGER_TOKEN),
        }
    )
    engine = make_engine(settings)
    fill_demo_data(engine, settings, weeks=2, per_day=20)
    slack_server.fail("files.completeUploadExternal", delay=1.0)  # a slow Slack

    with serving(create_app(settings, engine)) as url, httpx.Client(base_url=url) as http:
        health = http.get("/healthz")
        without = http.post("/trigger/weekly")
        wrong = http.post("/trigger/weekly", headers={"Authorization": "Bearer nope"})
        started = time.perf_counter()
        first = http.post("/trigger/weekly", headers=BEARER)
        answered_in = time.perf_counter() - started
        second = http.post("/trigger/weekly", headers=BEARER)
        delivered_before_answers = len(slack_server.shared_files())
    # leaving `serving` stopped the service, which first finished the reports in progress

    assert health.status_code == 200 and health.json()["database"] == "reachable"
    assert [without.status_code, wrong.status_code] == [401, 401]
    assert without.headers["www-authenticate"] == wrong.headers["www-authenticate"] == "Bearer"
    assert [first.status_code, second.status_code] == [202, 202]
    assert first.json()["status"] == "accepted" and first.json()["request_id"]
    assert first.json()["week"] == second.json()["week"]
    assert answered_in < 1.0 and delivered_before_answers == 0  # answered before Slack had it
    assert len(slack_server.shared_files()) == 1
    [run] = RunLedger(state_of(engine)).history()
    assert run.status == "delivered" and run.period_start.isoformat() == first.json()["week"]
    assert TRIGGER_TOKEN not in caplog.text and TOKEN not in caplog.text

    with TestClient(create_app(settings, engine)) as client:
        again = client.post("/trigger/weekly", headers=BEARER)
        last_run = client.get("/healthz", headers=BEARER).json()["last_run"]
    assert again.status_code == 200
    assert again.json() == {
        "status": "already_delivered",
        "week": first.json()["week"],
        "destinations": ["#ai-reports"],
        "delivered_at": run.updated_at.isoformat() + "Z",
    }
    assert len(slack_server.shared_files()) == 1
    assert (last_run["id"], last_run["status"], last_run["channel"]) == (
        run.id,
        "delivered",
        "C0AIREPORTS",  # the ledger's key: the channel's ID
    )
    engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_trigger_of_a_delivered_week_still_restates_late_rows(
    settings: Settings, slack_server: SlackServer
) -> None:
    settings = settings.model_copy(
        update={
            "slack_bot_token": SecretStr(TOKEN),
            "slack_api_url": slack_server.api_url,
            "trigger_token": SecretStr(TRIGGER_TOKEN),
        }
    )
    engine = make_engine(settings)
    fill_demo_data(engine, settings, weeks=2, per_day=20)
    outcome = run_weekly(engine, settings)
    late = (outcome.period.start_at + timedelta(days=1)).astimezone(UTC).replace(tzinfo=None)
    table = sa.Table("conversation_log", sa.MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(table), [{"created_at": late}] * 20)

    with TestClient(create_app(settings, engine)) as client:
        answer = client.post("/trigger/weekly", headers=BEARER)
    # leaving the client stopped the service, which first finished the check in progress

    assert answer.status_code == 200 and answer.json()["status"] == "already_delivered"
    report, correction = slack_server.shared_files()
    assert correction.filename == report.filename.replace(".pdf", "_restated.pdf")
    assert correction.initial_comment and correction.initial_comment.startswith("*정정: ")
    engine.dispose()


def test_health_shows_a_failed_runs_error_only_with_the_trigger_token(
    settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    settings = settings.model_copy(
        update={
            "trigger_token": SecretStr(TRIGGER_TOKEN),
            "report_dir": tmp_path / "a-file" / "reports",
        }
    )
    engine = make_engine(settings)
    fill_demo_data(engine, settings, weeks=2, per_day=5)
    with pytest.raises(ReportNotWritten):  # the error names the report's folder
        run_weekly(engine, settings)
    [run] = RunLedger(state_of(engine)).history()
    with TestClient(create_app(settings, engine)) as client:
        public = client.get("/healthz")
        wrong = client.get("/healthz", headers={"Authorization": "Bearer nope"})
        private = client.get("/healthz", headers=BEARER)
    engine.dispose()
    assert public.status_code == wrong.status_code == private.status_code == 200
    assert public.json()["last_run"] == {
        "week": run.period_start.isoformat(),
        "status": "failed",
        "updated_at": run.updated_at.isoformat() + "Z",
    }
    assert wrong.json() == public.json()
    assert str(tmp_path) not in public.text and "cannot write" not in public.text
    assert private.json()["last_run"]["error"] == run.error
    assert run.error and str(tmp_path) in run.error


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait until another thread has made `condition` true (synchronisation, not time control)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.01)


def test_a_trigger_while_the_first_run_uploads_does_not_deliver_again(
    slack_server: SlackServer, tmp_path: Path
) -> None:
    settings = local_settings(
        tmp_path,
        slack_bot_token=TOKEN,
        slack_api_url=slack_server.api_url,
        trigger_token=TRIGGER_TOKEN,
        report_dir=tmp_path / "reports",
    )
    engine = make_engine(settings)
    fill_demo_data(engine, settings, weeks=2, per_day=20)
    slack_server.fail("files.completeUploadExternal", delay=1.0)
    with TestClient(create_app(settings, engine)) as client:
        assert client.post("/trigger/weekly", headers=BEARER).status_code == 202
        wait_for(lambda: "files.completeUploadExternal" in slack_server.calls)  # uploading
        assert client.post("/trigger/weekly", headers=BEARER).status_code == 202
    assert len(slack_server.shared_files()) == 1
    engine.dispose()


def test_health_on_an_empty_database_names_the_next_run(settings: Settings) -> None:
    engine = make_engine(settings)
    with (
        time_machine.travel(datetime(2026, 11, 26, 10, 0, tzinfo=KST), tick=False),
        TestClient(create_app(settings, engine)) as client,
    ):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "reachable",
        "last_run": None,
        "next_run": "2026-11-30T09:00:00+09:00",
    }
    engine.dispose()


def test_health_is_503_when_the_database_is_unreachable() -> None:
    settings = load_settings(database_url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    with TestClient(create_app(settings, make_engine(settings))) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert (response.json()["status"], response.json()["database"]) == ("error", "unreachable")


@pytest.mark.parametrize(
    ("authorization", "expected"),
    [
        (None, 401),
        ("Bearer nope", 401),
        (f"Bearer {TRIGGER_TOKEN}x", 401),
        (f"Basic {TRIGGER_TOKEN}", 401),
        (f"Bearer {TRIGGER_TOKEN}", 202),
        (f"bearer {TRIGGER_TOKEN}", 202),
    ],
)
def test_trigger_requires_the_bearer_token(
    tmp_path: Path, authorization: str | None, expected: int
) -> None:
    settings = local_settings(tmp_path, trigger_token=TRIGGER_TOKEN)
    headers = {"Authorization": authorization} if authorization else {}
    with TestClient(create_app(settings, make_engine(settings))) as client:
        response = client.post("/trigger/weekly", headers=headers)
    assert response.status_code == expected
    if expected == 401:
        assert response.headers["www-authenticate"] == "Bearer"
        assert TRIGGER_TOKEN not in response.text


def test_trigger_is_503_when_no_token_is_configured(tmp_path: Path) -> None:
    settings = local_settings(tmp_path)
    with TestClient(create_app(settings, make_engine(settings))) as client:
        response = client.post("/trigger/weekly", headers=BEARER)
    assert response.status_code == 503
    assert "TRIGGER_TOKEN" in response.json()["detail"]


def test_slack_events_exist_only_when_slack_is_configured(tmp_path: Path) -> None:
    bare = local_settings(tmp_path)
    slack = local_settings(tmp_path, slack_bot_token=TOKEN, slack_signing_secret="s3cret")
    with TestClient(create_app(bare, make_engine(bare))) as client:
        assert client.post("/slack/events").status_code == 404
    with TestClient(create_app(slack, make_engine(slack))) as client:
        assert client.post("/slack/events").status_code == 401  # there, and unsigned


def http_exchange(url: str, head: str, chunks: list[bytes]) -> bytes:
    """Send `head` and `chunks` on a raw connection to `url`, then read what the service says.

    Nothing more is sent after `chunks`: an answer proves the service did not wait for the rest.
    """
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        for chunk in chunks:
            conn.sendall(chunk)
        answer = b""
        while b"\r\n\r\n" not in answer and (data := conn.recv(65536)):
            answer += data
    return answer


def slack_service_settings(tmp_path: Path) -> Settings:
    return local_settings(
        tmp_path, slack_bot_token=TOKEN, slack_signing_secret="s3cret", trigger_token=TRIGGER_TOKEN
    )


@pytest.mark.parametrize("path", ["/slack/events", "/trigger/weekly", "/healthz"])
def test_a_body_announced_past_the_limit_is_413_before_any_byte_is_read(
    tmp_path: Path, path: str
) -> None:
    settings = slack_service_settings(tmp_path)
    method = "GET" if path == "/healthz" else "POST"
    head = f"{method} {path} HTTP/1.1\nHost: localhost\nContent-Length: 500000000\n"
    with serving(create_app(settings, make_engine(settings))) as url:
        answer = http_exchange(url, head, [])  # not one byte of the 500 MB is sent
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_a_streamed_body_is_cut_at_the_limit(tmp_path: Path) -> None:
    settings = slack_service_settings(tmp_path)
    head = "POST /slack/events HTTP/1.1\nHost: localhost\nTransfer-Encoding: chunked\n"
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"a" * 64 * 1024)
    with serving(create_app(settings, make_engine(settings))) as url:
        # 320 KB of a body that never ends: the service answers without waiting for its end.
        answer = http_exchange(url, head, [chunk] * 5)
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_a_signed_request_past_the_limit_is_413_and_not_echoed(
    tmp_path: Path, slack_server: SlackServer
) -> None:
    settings = slack_service_settings(tmp_path).model_copy(
        update={"slack_api_url": slack_server.api_url}
    )
    big = "x" * MAX_BODY_BYTES
    timestamp = str(int(time.time()))
    body = f"command=%2Fai-report&text={big}&channel_id=C0GENERAL01&trigger_id=1.2.3"
    signature = SignatureVerifier("s3cret").generate_signature(timestamp=timestamp, body=body)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature or "",
    }
    with serving(create_app(settings, make_engine(settings))) as url:
        too_big = httpx.post(f"{url}/slack/events", content=body, headers=headers)
        unsigned_small = httpx.post(f"{url}/slack/events", content="x" * (MAX_BODY_BYTES - 1))
    assert too_big.status_code == 413 and big not in too_big.text
    assert unsigned_small.status_code == 401  # under the limit, read and refused as unsigned
    assert slack_server.calls == []
