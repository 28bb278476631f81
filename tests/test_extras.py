"""The core install alone: the weekly report is built and delivered, and each part that needs
an extra says which, in one line.

Each command runs in a new Python process in which the extras' modules cannot be imported
(`sys.modules[name] = None`: `import` raises ModuleNotFoundError, `find_spec` finds nothing),
as in a venv where only `pip install aiops-report` ran. bench/core_install.py measures a real
core-only venv (its size, `--help`, the same weekly run).
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from aiops_report.data.config import load_settings
from aiops_report.data.db import make_engine
from aiops_report.data.demo import fill_demo_data
from aiops_report.data.install import create_schema
from aiops_report.extras import EXTRAS, extra_of
from conftest import sqlite_url
from slack_server import TOKEN, SlackServer

CORE_ONLY = """
import sys
for name in {modules!r}:
    sys.modules[name] = None  # as if not installed
from aiops_report.faces.cli import app
app(sys.argv[1:], prog_name="aiops-report")
"""
ROOT = Path(__file__).parents[1]
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
    settings = load_settings(database_url=sqlite_url(tmp_path / "local.db"))
    fill_demo_data(make_engine(settings, create=True), settings, weeks=2, per_day=40)

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
    settings = load_settings(database_url=sqlite_url(tmp_path / "local.db"))
    create_schema(make_engine(settings, create=True), settings)

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


def requirement_name(requirement: str) -> str:
    """The normalised distribution name of a requirement ("psycopg[binary]>=3.1" → psycopg)."""
    name = re.split(r"[\[<>=!~;\s]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


# The modules that belong to an extra (they import its libraries), and that extra.
EXTRA_MODULE_FILES = {
    "faces/dashboard": "dashboard",
    "faces/service.py": "service",
    "faces/slack_commands.py": "service",
    "analysis/themes.py": "themes",
}


def test_every_library_the_code_imports_is_a_core_dependency_or_in_its_extra() -> None:
    """A library imported by the core must come with a core dependency (a new one put in an
    extra by mistake breaks `pip install aiops-report`); one imported by an extra's modules,
    with that extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = {requirement_name(r) for r in project["dependencies"]}
    extras = {
        extra: {requirement_name(r) for r in requirements}
        for extra, requirements in project["optional-dependencies"].items()
    }
    distributions = importlib.metadata.packages_distributions()
    package = ROOT / "src" / "aiops_report"
    misplaced = []
    for path in sorted(package.rglob("*.py")):
        where = path.relative_to(package).as_posix()
        extra = next((e for f, e in EXTRA_MODULE_FILES.items() if where.startswith(f)), None)
        for module in sorted(_libraries(path)):
            names = {requirement_name(d) for d in distributions.get(module, [module])}
            wanted = extras[extra_of(module) or extra] if (extra_of(module) or extra) else core
            if not names & _with_dependencies(wanted | (core if extra else set())):
                misplaced.append(f"{where}: {module} ({', '.join(sorted(names))})")
    assert misplaced == []


def _libraries(path: Path) -> set[str]:
    """The top-level names of the libraries `path` imports (not the standard library's)."""
    imported: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imported.add(node.module.partition(".")[0])
    return imported - set(sys.stdlib_module_names) - {"aiops_report", "__future__"}


def _with_dependencies(names: set[str]) -> set[str]:
    """`names` and every distribution they install (not their own extras')."""
    found, todo = set(names), list(names)
    while todo:
        try:
            requires = importlib.metadata.requires(todo.pop()) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for requirement in requires:
            name = requirement_name(requirement)
            if "extra ==" not in requirement and name not in found:
                found.add(name)
                todo.append(name)
    return found
