"""End to end: the launcher starts the dashboard, headless Chromium logs in and looks around.

Every page is photographed (the paths are printed: look at them), and the Hangul is checked to
be drawn with the NanumGothic the dashboard serves, whatever fonts this machine has (`fc-list
:lang=ko` may well list none). In Korean, the language whose font needs a browser to check;
every page in English is rendered through AppTest (test_panel.py's
test_english_when_report_language_is_en).
"""

from __future__ import annotations

import socket
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, sync_playwright
from sqlalchemy.engine import Engine

from aiops_report.data.config import Settings, load_settings
from aiops_report.data.db import make_engine
from aiops_report.data.demo import fill_demo_data
from aiops_report.data.tables import reflect_tables
from aiops_report.faces.dashboard.server import HANGUL_FAMILY, start_dashboard
from aiops_report.texts.dashboard import UI
from conftest import sqlite_url

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "e2e-password"
SCREENSHOTS = Path(tempfile.gettempdir()) / "aiops-dashboard-screenshots"
PAGES = ["overview", "performance", "insights", "feedback", "conversations", "reports", "status"]
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


NEEDLE = "고양이 사료 추천"  # in a liked, well-scored conversation: neither low nor disliked


def add_a_liked_conversation(engine: Engine, settings: Settings, at: datetime) -> None:
    tables = reflect_tables(engine, settings)
    conv, fb, ev = tables.conversations, tables.feedback, tables.evaluations
    stored = at.astimezone(settings.db_zone).replace(tzinfo=None)
    with engine.begin() as conn:
        new_id = conn.execute(sa.select(sa.func.max(conv.c.id))).scalar_one() + 1
        conn.execute(
            conv.insert().values(
                id=new_id,
                user_id="cat-owner",
                user_message=f"{NEEDLE} 부탁해요",
                ai_response="연령에 맞는 사료를 고르세요.",
                model="gpt-4o-mini",
                created_at=stored,
            )
        )
        conn.execute(fb.insert().values(conversation_id=new_id, feedback="like", created_at=stored))
        conn.execute(ev.insert().values(conversation_id=new_id, score=9.5, created_at=stored))


@pytest.fixture(params=["ko"])
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def dashboard_url(tmp_path: Path, language: str) -> Iterator[str]:
    settings: Settings = load_settings(
        database_url=sqlite_url(tmp_path / "demo.db"),
        report_dir=tmp_path / "reports",
        admin_password=PASSWORD,
        report_language=language,
    )
    engine = make_engine(settings)
    now = datetime.now(settings.report_zone)
    fill_demo_data(engine, settings, weeks=6, per_day=20, now=now)
    add_a_liked_conversation(engine, settings, now - timedelta(days=8))
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


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a new, empty profile
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1500},
        )
        try:
            yield browser.new_page()
        finally:
            browser.close()


def used_fonts(page: Page, selector: str) -> list[dict[str, object]]:
    """The fonts Chromium really drew the first element matching `selector` with
    (DevTools' CSS.getPlatformFontsForNode): family, web font or not, glyphs drawn."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts: list[dict[str, object]] = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})[
        "fonts"
    ]
    cdp.detach()
    return fonts


def settle(page: Page) -> None:
    """Wait until Streamlit has finished running the page and its charts are drawn."""
    page.wait_for_function(
        "() => !document.querySelector(\"[data-stale='true']\")"
        " && !document.querySelector(\"[data-testid='stStatusWidget'] button\")",
        timeout=60_000,
    )
    for chart in page.locator("[data-testid='stVegaLiteChart']").all():
        chart.locator(".marks").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)  # the charts and tables draw their first frame


def test_every_page_in_each_language_with_the_served_hangul_font(
    dashboard_url: str, page: Page, language: str
) -> None:
    t = UI[language]  # type: ignore[index]
    page.goto(dashboard_url)
    page.get_by_label(t["password"], exact=True).fill("wrong")
    page.get_by_role("button", name=t["login"]).click()
    page.get_by_text(t["wrong_password"]).wait_for()

    page.get_by_label(t["password"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t["login"]).click()
    cards = page.get_by_test_id("stMetric")
    cards.first.wait_for(timeout=30_000)
    assert cards.count() == 5
    page.locator("[data-testid='stVegaLiteChart'] .marks").first.wait_for(timeout=30_000)
    settle(page)
    assert page.get_by_test_id("stVegaLiteChart").count() == 3

    if language == "ko":
        # The Hangul of the first card's label is drawn with the served NanumGothic, a web font.
        fonts = used_fonts(page, "[data-testid='stMetricLabel'] p")
        hangul = [f for f in fonts if f["familyName"] == "NanumGothic"]
        assert hangul and all(f["isCustomFont"] for f in hangul), fonts
        loaded = page.evaluate(
            "family => [...document.fonts].some("
            "f => f.family.replaceAll('\"', '') === family && f.status === 'loaded')",
            HANGUL_FAMILY,
        )
        assert loaded

    SCREENSHOTS.mkdir(exist_ok=True)
    for number, name in enumerate(PAGES, 1):
        if name != "overview":
            page.get_by_test_id("stButtonGroup").first.get_by_text(
                t[f"page_{name}"], exact=True
            ).click()
            page.wait_for_timeout(300)
            settle(page)
        shot = SCREENSHOTS / f"{language}_{number}_{name}.png"
        page.screenshot(path=shot, full_page=True)
        print(f"screenshot: {shot}")
        if name == "insights":
            page.get_by_text(t["changes_heading"]).wait_for(timeout=30_000)
            assert page.get_by_test_id("stMetric").count() >= 3  # the three change tests
        if name == "conversations":
            page.get_by_label(t["search"]).fill(NEEDLE)
            page.get_by_label(t["search"]).press("Enter")
            opened = page.get_by_test_id("stText").filter(has_text="연령에 맞는 사료를 고르세요.")
            opened.wait_for(timeout=30_000)
            settle(page)
            shot = SCREENSHOTS / f"{language}_{number}_{name}_search.png"
            page.screenshot(path=shot, full_page=True)
            print(f"screenshot: {shot}")
        if name == "reports":
            page.get_by_role("button", name=t["generate_now"]).wait_for()
            assert page.get_by_role("button", name=t["send_to_slack"]).is_disabled()  # no token
