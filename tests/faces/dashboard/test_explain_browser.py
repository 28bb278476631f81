"""The Insights page's "why it changed", in Chromium, in Korean and English: the split of the
range's fall of satisfaction by model (traffic moved to the weaker model while each model got
better), its sentence, Simpson's warning and waterfall (screenshots printed: look at them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page
from test_browser import (
    CHROMIUM,
    PASSWORD,
    SCREENSHOTS,
    free_port,
    page,
    settle,
    wait_until_healthy,
)

from aiops_report.data.config import Settings, load_settings
from aiops_report.data.db import make_engine
from aiops_report.faces.dashboard.data import default_range
from aiops_report.faces.dashboard.server import start_dashboard
from aiops_report.texts.dashboard import UI
from conftest import sqlite_url
from explain_rows import STRONG, WEAK, load, paradox_rows, schema_file

__all__ = ["page"]  # the fixture, from the browser test
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium package")

SENTENCE = {
    "ko": f"{STRONG}에서 {WEAK} 쪽으로 옮겨간 트래픽",
    "en": f"traffic that moved from {STRONG} to {WEAK}",
}
SIMPSON = {"ko": "심슨의 역설", "en": "Simpson's paradox"}


@pytest.fixture(params=["ko", "en"])
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def dashboard_url(tmp_path: Path, language: str) -> Iterator[str]:
    settings: Settings = load_settings(
        database_url=sqlite_url(tmp_path / "paradox.db"),
        report_dir=tmp_path / "reports",
        admin_password=PASSWORD,
        report_language=language,
        schema_file=schema_file(tmp_path),
    )
    engine = make_engine(settings)
    shown = default_range(settings, datetime.now(settings.report_zone))
    load(engine, settings, paradox_rows(per_week=1200, period=shown))
    engine.dispose()
    port = free_port()
    process = start_dashboard(settings, "127.0.0.1", port, tmp_path / "app")
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_insights_page_says_why_satisfaction_fell(
    dashboard_url: str, page: Page, language: str
) -> None:
    t = UI[language]  # type: ignore[index]
    page.goto(dashboard_url)
    page.get_by_label(t["password"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t["login"]).click()
    page.get_by_test_id("stMetric").first.wait_for(timeout=60_000)
    page.get_by_test_id("stButtonGroup").first.get_by_text(t["page_insights"], exact=True).click()
    # The insights of four weeks are computed first: slow on a busy machine.
    page.get_by_text(t["explain_heading"]).wait_for(timeout=120_000)
    settle(page)

    page.get_by_text(SENTENCE[language]).wait_for(timeout=30_000)
    page.get_by_text(SIMPSON[language]).wait_for()
    assert page.get_by_text(t["explain_mix"]).count() >= 1
    SCREENSHOTS.mkdir(exist_ok=True)
    # The page scrolls inside Streamlit's container: the section is photographed on its own.
    chart = page.get_by_test_id("stVegaLiteChart").last
    chart.scroll_into_view_if_needed(timeout=120_000)  # the chart draws last on a busy machine
    settle(page)
    shot = SCREENSHOTS / f"{language}_insights_explain.png"
    page.screenshot(path=shot, full_page=True)
    print(f"screenshot: {shot}")
