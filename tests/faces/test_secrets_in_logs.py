"""No password reaches a log line: SLACK_API_URL with credentials is refused in one line, and
every handler the project sets up hides the credentials of any URL any library logs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from aiops_report.data.config import load_settings
from aiops_report.data.db import make_engine
from aiops_report.data.install import create_schema
from conftest import server_url
from slack_server import TOKEN, SlackServer

PASSWORD = "s3cretpass"


def cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "aiops_report", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.parametrize("command", [["serve"], ["doctor"], ["send", "x.pdf"]])
def test_slack_api_url_with_credentials_is_refused_in_one_line(
    command: list[str], tmp_path: Path
) -> None:
    env = {"SLACK_API_URL": f"http://user:{PASSWORD}@127.0.0.1:9/api/", "SLACK_BOT_TOKEN": TOKEN}
    child = cli(*command, env=env, cwd=tmp_path)
    output, _ = child.communicate(timeout=60)

    assert child.returncode == 1
    assert output.strip().splitlines() == [
        "error: invalid setting: SLACK_API_URL holds a user or password (user:password@host): "
        "Slack's API is authorised by SLACK_BOT_TOKEN alone; a proxy's credentials go in "
        "HTTPS_PROXY"
    ]


def test_no_output_of_serve_carries_a_password(tmp_path: Path, slack_server: SlackServer) -> None:
    url = server_url("postgresql")
    settings = load_settings(database_url=url)
    engine = make_engine(settings)
    create_schema(engine, settings)
    engine.dispose()
    with_password = url.replace("postgres@", f"postgres:{PASSWORD}@")  # trust: any password
    refused = socket.socket()
    refused.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    hook = f"http://hook:{PASSWORD}@127.0.0.1:{refused.getsockname()[1]}/ai"
    routes = tmp_path / "routes.toml"
    routes.write_text(f'[[route]]\nslack = ["#ai-reports"]\nwebhook = "{hook}"\n')
    port_finder = socket.socket()
    port_finder.bind(("127.0.0.1", 0))
    port = port_finder.getsockname()[1]
    port_finder.close()
    env = {
        "DATABASE_URL": with_password,
        "STATE_DATABASE_URL": with_password,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": slack_server.api_url,
        "DELIVERY_FILE": str(routes),
        "WEBHOOK_SECRET": "whsec-0123456789abcdef",
        "TRIGGER_TOKEN": "trigger-0123456789",
        "REPORT_DIR": str(tmp_path / "reports"),
    }
    slack_server.fail("files.completeUploadExternal", status=500, times=10)  # retried, logged

    child = cli("serve", "--port", str(port), env=env, cwd=tmp_path)
    try:
        bearer = {"Authorization": "Bearer trigger-0123456789"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    http.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.3)
            assert http.post("/trigger/weekly", headers=bearer).status_code == 202
            while time.monotonic() < deadline:
                last = http.get("/healthz", headers=bearer).json()["last_run"]
                if last is not None and last["status"] not in {"running", "pending"}:
                    break
                time.sleep(0.5)
    finally:
        child.terminate()
        output, _ = child.communicate(timeout=60)
        refused.close()

    assert "POST /trigger/weekly" in output  # the log was written: it was looked at
    assert "failed" in output
    assert PASSWORD not in output


def test_every_library_logging_through_the_project_s_handler_has_credentials_hidden(
    tmp_path: Path,
) -> None:
    script = (
        "import logging\n"
        "from aiops_report.faces.cli import log_to_stderr\n"
        "log_to_stderr()\n"
        "logging.getLogger('slack_bolt.App').info(\n"
        f"    'Going to retry the same request: POST http://user:{PASSWORD}@127.0.0.1/api/x')\n"
        "try:\n"
        f"    raise ConnectionError('http://hook:{PASSWORD}@127.0.0.1:1/ai refused')\n"
        "except ConnectionError:\n"
        "    logging.getLogger('uvicorn.error').exception('the hook %s', 'failed')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert "POST http://***@127.0.0.1/api/x" in done.stderr
    assert "ConnectionError: http://***@127.0.0.1:1/ai refused" in done.stderr
    assert PASSWORD not in done.stdout + done.stderr
