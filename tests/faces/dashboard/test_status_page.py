"""The Status page shows doctor's lines in the dashboard's language (REPORT_LANGUAGE), through
Streamlit's AppTest on real databases."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from aiops_report.data.config import Settings
from aiops_report.data.db import describe
from aiops_report.faces.dashboard import auth
from aiops_report.faces.dashboard.display import plain
from chatbot_tables import Rows, create_tables, insert
from dashboard_app import (  # noqa: F401
    app_env_fixture,
    fresh_caches_fixture,
    sqlite_only_fixture,
)

APP = Path(auth.__file__).with_name("app.py")


@pytest.fixture
def minimal(app_env: Settings, engine: Engine) -> Settings:
    """The required columns only, a like and a score a day for a week (app_env: given to the
    app as environment variables)."""
    settings = app_env
    create_tables(engine, settings, style="naive", minimal=True)
    now = datetime.now(settings.report_zone)
    rows = Rows()
    for day in range(1, 8):
        at = now - timedelta(days=day, hours=1)
        rows.conversations += [{"created_at": at}]
        rows.feedback += [{"feedback": "like", "created_at": at}]
        rows.evaluations += [{"score": 7.0, "created_at": at}]
    insert(engine, settings, rows, style="naive")
    return settings


def status_lines(language: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The success, warning and error lines of the Status page of a dashboard started with
    REPORT_LANGUAGE=`language`."""
    monkeypatch.setenv("REPORT_LANGUAGE", language)
    st.cache_resource.clear()  # the settings are read once per process
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.segmented_control(key="aiops_page").set_value("status").run()
    assert not at.exception, at.exception
    return [element.value for element in [*at.success, *at.warning, *at.error]]


def test_the_korean_status_page_shows_doctors_lines_in_korean(
    minimal: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    korean = status_lines("ko", monkeypatch)
    english = status_lines("en", monkeypatch)

    where = describe(engine)
    assert korean[0] == plain(f"{engine.dialect.name} 연결됨: {where}")
    assert plain("인사이트: 변화 검정: 사용 가능; 이상 징후: 사용 가능; 모델별: 빠짐") in korean[4]
    assert any(plain("(대화)") in line for line in korean)  # the table of conversations
    assert plain("최근 8주의 피드백 값: 'like' ×7 좋아요") in korean
    assert any(line.startswith(plain("리포트의 쿼리를 ")) for line in korean)
    assert english[0] == plain(f"connected to {engine.dialect.name} at {where}")
    assert plain("feedback values of the last 8 weeks: 'like' ×7 like") in english
    assert len(korean) == len(english)
