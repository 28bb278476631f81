"""What the dashboard's tests share: fresh Streamlit caches (used by a test module, they clear
for each of its tests), the test database given to the app as environment variables, and that
database on SQLite only.

The page tests run on SQLite alone: the numbers a page shows are the library's (`jobs`,
`analysis`, `data`), which tests/analysis and tests/data compare on SQLite, PostgreSQL and
MariaDB; what these test is the page, what it shows and how it reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st

from aiops_report.data.config import Settings
from conftest import sqlite_url


@pytest.fixture(name="db_url")
def sqlite_only_fixture(tmp_path: Path) -> str:
    """conftest's `db_url` on SQLite alone, for the modules that import it."""
    return sqlite_url(tmp_path / "test.db")


@pytest.fixture(autouse=True, name="fresh_caches")
def fresh_caches_fixture() -> Iterator[None]:
    """Each test sees its own settings and database, not a previous test's cached ones."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(name="app_env")
def app_env_fixture(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The test database and report directory, given to the app as environment variables."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REPORT_DIR", str(settings.report_dir))
    return settings
