"""End to end: the launcher starts the dashboard, headless Chromium logs in and looks around."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from aiops_report.data.config import Settings, load_settings
from aiops_report.data.db import make_engine
from aiops_report.data.demo import fill_demo_data
from aiops_report.faces.dashboard.server import start_dashboard
from conftest import sqlite_url

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "e2e-password"
SCREENSHOT_COPY = Path("/tmp/dashboard_overview.png")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium package")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def korean_fonts(tmp_path: Path) -> dict[str, str]:
    """A fontconfig setup that adds NanumGothic (shipped by a dependency) to the system fonts,
    so that Hangul in the screenshot is legible on a machine without Korean fonts."""
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return {}
    fonts = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<dir>{fonts}</dir><cachedir>{tmp_path / 'fontcache'}</cachedir></fontconfig>"
    )
    return {"FONTCONFIG_FILE": str(conf)}


@pytest.fixture
def dashboard_url(tmp_path: Path) -> Iterator[str]:
    settings: Settings = load_settings(
        database_url=sqlite_url(tmp_path / "demo.db"),
        report_dir=tmp_path / "reports",
        admin_password=PASSWORD,
    )
    engine = make_engine(settings)
    fill_demo_data(engine, settings, weeks=6, per_day=20, now=datetime.now(settings.report_zone))
    engine.dispose()
    port = free_port()
    process = start_dashboard(settings, "127.0.0.1", port)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a new, empty profile
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            env=korean_fonts(tmp_path),
            viewport={"width": 1400, "height": 1500},
        )
        try:
            yield browser.new_page()
        finally:
            browser.close()


def test_log_in_see_the_overview_the_insights_and_the_report_buttons(
    dashboard_url: str, page: Page, tmp_path: Path
) -> None:
    page.goto(dashboard_url)
    page.get_by_label("비밀번호").fill("wrong")
    page.get_by_role("button", name="로그인").click()
    page.get_by_text("비밀번호가 맞지 않습니다.").wait_for()

    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()

    cards = page.get_by_test_id("stMetric")
    cards.first.wait_for(timeout=30_000)
    assert cards.count() == 5
    assert cards.first.inner_text().startswith("대화 수")
    page.locator("[data-testid='stVegaLiteChart'] .marks").first.wait_for(timeout=30_000)
    assert page.get_by_test_id("stVegaLiteChart").count() == 3
    page.wait_for_timeout(500)  # the charts' first frame
    shot = tmp_path / "dashboard_overview.png"
    page.screenshot(path=shot, full_page=True)
    shutil.copy(shot, SCREENSHOT_COPY)

    page.get_by_text("인사이트", exact=True).click()
    page.get_by_text("변화는 진짜일까").wait_for(timeout=30_000)
    page.get_by_text("주요 불만").wait_for(timeout=30_000)
    assert page.get_by_test_id("stMetric").count() >= 3  # the three change tests

    page.get_by_text("리포트", exact=True).click()
    page.get_by_role("button", name="지금 리포트 생성").wait_for()
    assert page.get_by_role("button", name="Slack으로 보내기").is_disabled()  # no token set
