"""Why it changed, where it shows: the PDF's part, the Slack message's line, in Korean and
English, on a week whose satisfaction fell as traffic moved to the weaker model while each
model got better (Simpson's paradox)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from aiops_report.data.config import Settings
from aiops_report.delivery.config import SlackConfig
from aiops_report.delivery.slack import SlackDelivery, summary_text
from aiops_report.jobs import generate_report, numbers_beside
from explain_rows import STRONG, WEAK, WEEK, load, schema_file
from slack_server import TOKEN, SlackServer

SENTENCES = {
    "ko": f"중 -12.0%p는 {STRONG}에서 {WEAK} 쪽으로 옮겨간 트래픽, +3.1%p는 모델별 만족도 상승",
    "en": f"-12.0 pp is traffic that moved from {STRONG} to {WEAK} and +3.1 pp is the "
    "satisfaction rate rising within each model",
}
HEADINGS = {"ko": "왜 변했나", "en": "Why it changed"}
SIMPSON = {"ko": "심슨의 역설", "en": "Simpson's paradox"}


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    database = tmp_path / "chatbot.db"
    database.touch()
    return Settings(
        database_url=f"sqlite:///{database}",
        report_dir=tmp_path / "reports",
        schema_file=schema_file(tmp_path),
    )


@pytest.fixture
def sqlite_engine(sqlite_settings: Settings) -> Engine:
    from aiops_report.data.db import make_engine

    engine = make_engine(sqlite_settings)
    load(engine, sqlite_settings)
    return engine


def page_text(pdf: Path) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(pdf).pages)


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_pdf_says_why_satisfaction_fell(
    sqlite_engine: Engine, sqlite_settings: Settings, tmp_path: Path, language: str
) -> None:
    report = generate_report(
        sqlite_engine, sqlite_settings, WEEK, language=language, out_dir=tmp_path / language
    )

    insights = report.numbers.insights
    assert insights is not None and insights.changes["satisfaction_rate"].significant
    split = insights.explain["satisfaction_rate"]["model"] if insights.explain else None
    assert split is not None and split.simpson and split.change < 0 < split.rate
    text = page_text(report.path)
    assert HEADINGS[language] in text
    assert SENTENCES[language] in text
    assert SIMPSON[language] in text
    # The waterfall names the models and the total.
    assert {"ko": "전체 변화", "en": "Total change"}[language] in text
    if shutil.which("pdftoppm"):  # the page renders (looked at as PNG: docs/insights.md)
        page = 1 + next(
            i
            for i, p in enumerate(pypdf.PdfReader(report.path).pages)
            if HEADINGS[language] in p.extract_text()
        )
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "40",
                "-f",
                str(page),
                "-l",
                str(page),
                str(report.path),
                str(tmp_path / "page"),
            ],
            check=True,
        )
        assert list(tmp_path.glob("page*.png"))


def test_no_why_part_without_a_significant_change(
    sqlite_engine: Engine, sqlite_settings: Settings, tmp_path: Path
) -> None:
    """The week before against the one before it: no rows then, nothing to explain."""
    report = generate_report(
        sqlite_engine, sqlite_settings, WEEK.previous, language="en", out_dir=tmp_path
    )

    assert "Why it changed" not in page_text(report.path)


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_slack_message_carries_the_sentence_under_the_numbers(
    sqlite_engine: Engine,
    sqlite_settings: Settings,
    tmp_path: Path,
    slack_server: SlackServer,
    language: str,
) -> None:
    report = generate_report(sqlite_engine, sqlite_settings, WEEK, out_dir=tmp_path)
    slack = SlackConfig(SecretStr(TOKEN), "#ai-reports", slack_server.api_url)

    SlackDelivery(slack).upload_report(report.path, report.numbers, language=language)

    [shared] = slack_server.shared_files()
    lines = shared.initial_comment.splitlines()
    why = [line for line in lines if SENTENCES[language] in line]
    assert len(why) == 1
    assert why[0].startswith({"ko": "왜: ", "en": "Why: "}[language])
    # Under the headline numbers and their significant lines.
    assert lines.index(why[0]) == len(lines) - 1
    assert shared.initial_comment == summary_text(report.numbers, language)
    # A resend reads the numbers from the PDF's JSON twin: the same line.
    assert summary_text(numbers_beside(report.path), language) == shared.initial_comment
