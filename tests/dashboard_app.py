"""What the dashboard's tests share: fresh Streamlit caches (used by a test module, they clear
for each of its tests), and the test database given to the app as environment variables."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import streamlit as st

from aiops_report.data.config import Settings


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
