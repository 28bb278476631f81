"""The core install alone: the weekly report is built and delivered, and each part that needs
an extra says which, in one line.

Each command runs in a new Python process in which the extras' modules cannot be imported
(`sys.modules[name] = None`: `import` raises ModuleNotFoundError, `find_spec` finds nothing),
as in a venv where only `pip install aiops-report` ran. bench/core_install.py measures a real
core-only venv (its size, `--help`, the same weekly run).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aiops_report.extras import EXTRAS
from slack_server import TOKEN, SlackServer

CORE_ONLY = """
import sys
for name in {modules!r}:
    sys.modules[name] = None  # as if not installed
from aiops_report.faces.cli import app
app(sys.argv[1:], prog_name="aiops-report")
"""
EXTRA_MODULES = sorted({module for modules in EXTRAS.values() for module in modules})


def core_only(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CORE_ONLY.format(modules=EXTRA_MODULES), *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_weekly_report_is_built_and_delivered_with_the_core_only(
    tmp_path: Path, slack_server: SlackServer
) -> None:
    env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": slack_server.api_url}
    for args in (["init-db"], ["demo-data", "--weeks", "2", "--per-day", "40"]):
        setup = core_only(*args, cwd=tmp_path, env=env)
        assert setup.returncode == 0, setup.stderr

    weekly = core_only("run-weekly", cwd=tmp_path, env=env)

    assert weekly.returncode == 0, weekly.stderr
    [upload] = slack_server.shared_files()
    assert upload.filename.startswith("weekly_report_") and upload.filename.endswith(".pdf")
    [numbers] = (tmp_path / "reports").glob("*.json")
    insights = json.loads(numbers.read_text(encoding="utf-8"))
    # The themes need the extra: left out, as any part whose inputs are missing, and said so.
    assert insights["themes"] is None
    assert (
        "themes: needs the extra [themes] (pip install 'aiops-report[themes]')"
        in (insights["missing"])
    )
    assert insights["changes"] is not None and insights["by_model"]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["dashboard"],
            "error: aiops-report dashboard needs the extra [dashboard] (streamlit, altair, "
            "fontTools not installed): pip install 'aiops-report[dashboard]'",
        ),
        (
            ["serve"],
            "error: aiops-report serve needs the extra [service] (fastapi, uvicorn, slack_bolt "
            "not installed): pip install 'aiops-report[service]'",
        ),
        (
            ["doctor"],
            "error: DATABASE_URL (postgresql) needs the extra [postgresql] (psycopg not "
            "installed): pip install 'aiops-report[postgresql]'",
        ),
        (
            ["generate", "--json"],
            "error: DATABASE_URL (mysql) needs the extra [mysql] (pymysql not installed): "
            "pip install 'aiops-report[mysql]'",
        ),
    ],
    ids=["dashboard", "serve", "postgresql", "mysql"],
)
def test_a_missing_extra_is_one_line_naming_it(tmp_path: Path, args: list[str], line: str) -> None:
    url = {
        "doctor": "postgresql+psycopg://reporter@db.internal/chatbot",
        "generate": "mysql+pymysql://reporter@db.internal/chatbot",
    }.get(args[0], "sqlite:///./local.db")

    result = core_only(*args, cwd=tmp_path, env={"DATABASE_URL": url})

    assert result.returncode == 1
    assert result.stderr.strip() == line


def test_doctor_says_the_themes_need_their_extra(tmp_path: Path) -> None:
    assert core_only("init-db", cwd=tmp_path).returncode == 0

    result = core_only("doctor", cwd=tmp_path)

    assert "themes: left out, install it: pip install 'aiops-report[themes]'" in result.stdout


def test_importing_the_dashboard_without_its_extra_names_it(tmp_path: Path) -> None:
    code = (
        f"import sys\nfor name in {EXTRA_MODULES!r}: sys.modules[name] = None\n"
        "from aiops_report.faces.dashboard import admin_panel\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "aiops_report.errors.MissingExtra: the dashboard needs the extra [dashboard] "
        "(streamlit, altair, fontTools not installed): pip install 'aiops-report[dashboard]'"
    )
