"""Slack delivery against a local server that speaks Slack's Web API (tests/slack_server.py)."""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from aiops_report.analysis.insight_parts import Insights
from aiops_report.analysis.metrics import PeriodMetrics, ReportNumbers
from aiops_report.analysis.significance import ChangeTest
from aiops_report.data.config import Settings
from aiops_report.data.periods import Period
from aiops_report.delivery.slack import SlackDelivery, summary_text
from aiops_report.delivery.slack_retry import MAX_RETRIES, RATE_LIMIT_BUDGET, RATE_LIMIT_RETRIES
from aiops_report.errors import (
    InvalidInput,
    SlackDeliveryError,
    SlackNotConfigured,
    SlackTimeout,
    SlackUnavailable,
)
from aiops_report.redact import hide_credentials
from aiops_report.texts.doctor import Finding
from slack_server import TOKEN, SlackServer, slack_server_fixture

__all__ = ["slack_server_fixture"]  # registers the `slack_server` fixture

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
AI_REPORTS = "C0AIREPORTS"


def metrics(conversations: int, rate: float | None, score: float | None) -> PeriodMetrics:
    return PeriodMetrics(
        conversations=conversations,
        unique_users=None,
        feedback_total=0 if rate is None else 100,
        likes=0,
        dislikes=0,
        satisfaction_rate=rate,
        evaluations=0 if score is None else 10,
        avg_score=score,
        latency_p50_ms=None,
        latency_p95_ms=None,
        total_tokens=None,
    )


def report_numbers(current: PeriodMetrics, previous: PeriodMetrics) -> ReportNumbers:
    return ReportNumbers(
        period=Period(date(2026, 11, 9), date(2026, 11, 16), ZoneInfo("Asia/Seoul")),
        current=current,
        previous=previous,
        daily=[],
        score_distribution=[],
        lowest_scored=[],
        disliked=[],
        features=frozenset(),
    )


NUMBERS = report_numbers(metrics(1234, 0.825, 7.85), metrics(1114, 0.813, 7.97))


def settings_for(server: SlackServer, channel: str = "#ai-reports", **overrides: str) -> Settings:
    values = {"slack_bot_token": TOKEN, "slack_api_url": server.api_url, **overrides}
    return Settings(
        slack_bot_token=SecretStr(values["slack_bot_token"]),
        slack_api_url=values["slack_api_url"],
        slack_channel=channel,
    )


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "weekly_report_2026_11_16.pdf"
    path.write_bytes(PDF)
    return path


def assert_one_clean_line(exc: BaseException) -> None:
    message = str(exc)
    assert "\n" not in message
    assert TOKEN not in message
    assert TOKEN not in repr(exc)


# --- the message ------------------------------------------------------------------------------


def test_summary_in_korean_carries_the_headline_numbers_and_their_change() -> None:
    assert summary_text(NUMBERS, "ko") == (
        "*AI 챗봇 주간 운영 리포트 2026-11-09 – 2026-11-15*\n"
        "• 대화 수: 1,234 · 지난주 대비 ▲ +120 (+10.8%)\n"
        "• 만족도: 82.5% · 지난주 대비 ▲ +1.2%p\n"
        "• 평균 점수: 7.85 · 지난주 대비 ▼ -0.12 (-1.5%)"
    )


def test_summary_in_english() -> None:
    assert summary_text(NUMBERS, "en") == (
        "*AI chatbot weekly operations report 2026-11-09 – 2026-11-15*\n"
        "• Conversations: 1,234 · vs last week ▲ +120 (+10.8%)\n"
        "• Satisfaction rate: 82.5% · vs last week ▲ +1.2 pp\n"
        "• Average score: 7.85 · vs last week ▼ -0.12 (-1.5%)"
    )


def test_a_week_to_date_says_so_in_its_title_and_first_line() -> None:
    cut = datetime(2026, 11, 11, 16, 47, tzinfo=ZoneInfo("Asia/Seoul"))
    numbers = replace(NUMBERS, period=NUMBERS.period.as_of(cut))

    lines = summary_text(numbers, "en").splitlines()

    assert lines[:2] == [
        "*AI chatbot weekly operations report (week to date) 2026-11-09 – 2026-11-11 16:47*",
        "_Week to date: until 11-11 (Wed) 16:47, compared with the same span of last week_",
    ]
    assert summary_text(numbers, "ko").splitlines()[1] == (
        "_중간 집계: 11-11 (수) 16:47까지, 지난주 같은 구간과 비교_"
    )


def test_a_change_against_nothing_is_new_in_the_message() -> None:
    numbers = report_numbers(metrics(1118, 0.6, 7.0), metrics(0, None, None))
    text = summary_text(numbers, "en")
    assert "Conversations: 1,118 · vs last week new" in text
    assert "Satisfaction rate: 60.0% · vs last week new" in text
    assert "+1,118" not in text


def test_summary_shows_a_dash_for_missing_numbers_never_zero() -> None:
    numbers = report_numbers(metrics(0, None, None), metrics(0, 0.5, 7.0))
    text = summary_text(numbers, "en")
    assert "Conversations: 0 · vs last week 0" in text
    assert "Satisfaction rate: – · vs last week –" in text
    assert "Average score: – · vs last week –" in text
    assert "No data in this period" in text


def change_test(delta: float, relative: float | None, p_value: float, **fields: bool) -> ChangeTest:
    """A change test; significant and enough_data follow p_value unless given."""
    values = {"significant": p_value < 0.05, "enough_data": True, **fields}
    return ChangeTest(None, None, delta, relative, None, None, p_value, **values)


def with_changes(**changes: ChangeTest) -> ReportNumbers:
    insights = Insights(
        by_model=None,
        unpriced_models=[],
        cost=None,
        currency=None,
        changes=changes,
        anomalies=[],
        agreement=None,
        themes=None,
        missing=[],
    )
    return replace(NUMBERS, insights=insights)


def test_summary_adds_a_line_per_significant_change() -> None:
    numbers = with_changes(
        conversations=change_test(120, 120 / 1114, 0.011),
        satisfaction_rate=change_test(-0.0944, None, 0.00012),
        avg_score=change_test(-0.12, -0.015, 0.31),
    )
    lines = summary_text(numbers, "ko").splitlines()

    assert lines[4:] == [
        "• 유의한 변화: 대화 수 ▲ +120 (+10.8%) (p = 0.011)",
        "• 유의한 변화: 만족도 ▼ -9.4%p (p < 0.001)",
    ]
    assert summary_text(numbers, "en").splitlines()[5] == (
        "• Significant change: Satisfaction rate ▼ -9.4 pp (p < 0.001)"
    )


def test_summary_adds_nothing_without_a_significant_change_or_insights() -> None:
    headline = summary_text(NUMBERS, "ko")
    # p < 0.05 on too little data is not significant.
    small = with_changes(
        satisfaction_rate=change_test(-0.2, None, 0.001, significant=False, enough_data=False),
        avg_score=change_test(-0.12, -0.015, 0.31),
    )

    assert summary_text(small, "ko") == headline
    assert summary_text(with_changes(), "en") == summary_text(NUMBERS, "en")
    assert NUMBERS.insights is None and len(headline.splitlines()) == 4


def test_summary_without_numbers_is_the_title() -> None:
    assert summary_text(None, "ko") == "*AI 챗봇 주간 운영 리포트*"


# --- delivery ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "channel_id", "list_calls"),
    [
        ("#ai-reports", AI_REPORTS, 2),  # on the second page of conversations.list
        ("ai-reports", AI_REPORTS, 2),
        ("#secret-reports", "G0SECRET001", 3),  # private, the bot is a member
        (AI_REPORTS, AI_REPORTS, 0),  # an ID is used as it is
    ],
)
def test_upload_reaches_the_channel_with_the_pdf_and_the_summary(
    slack_server: SlackServer, pdf: Path, channel: str, channel_id: str, list_calls: int
) -> None:
    delivery = SlackDelivery.of(settings_for(slack_server, channel)).upload_report(pdf, NUMBERS)

    [shared] = slack_server.shared_files()
    assert shared.data == PDF
    assert shared.channel_id == channel_id
    assert shared.filename == pdf.name
    assert shared.initial_comment == summary_text(NUMBERS, "ko")
    assert delivery.channel_id == channel_id
    assert delivery.file_id == shared.id
    assert delivery.message_ts == shared.ts
    assert delivery.permalink is not None and shared.id in delivery.permalink
    assert slack_server.count("conversations.list") == list_calls


def test_channel_name_is_resolved_once_per_instance(slack_server: SlackServer, pdf: Path) -> None:
    slack = SlackDelivery.of(settings_for(slack_server))
    slack.upload_report(pdf, NUMBERS)
    slack.upload_report(pdf, NUMBERS)
    assert slack_server.count("conversations.list") == 2  # two pages, once
    assert len(slack_server.shared_files()) == 2


def test_upload_in_english(slack_server: SlackServer, pdf: Path) -> None:
    SlackDelivery.of(settings_for(slack_server)).upload_report(pdf, NUMBERS, language="en")
    [shared] = slack_server.shared_files()
    assert shared.initial_comment == summary_text(NUMBERS, "en")
    assert shared.title == "AI chatbot weekly operations report 2026-11-09 – 2026-11-15"


def test_file_shared_in(slack_server: SlackServer, pdf: Path) -> None:
    slack = SlackDelivery.of(settings_for(slack_server))
    delivery = slack.upload_report(pdf, None)
    assert slack.file_shared_in(delivery.file_id, AI_REPORTS)
    assert not slack.file_shared_in(delivery.file_id, "C0GENERAL01")
    assert not slack.file_shared_in("F0NOSUCHFILE", AI_REPORTS)


def test_no_token_means_not_configured() -> None:
    with pytest.raises(SlackNotConfigured, match="SLACK_BOT_TOKEN is not set"):
        SlackDelivery.of(Settings())


def test_an_unreadable_pdf_is_invalid_input(slack_server: SlackServer, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read the report"):
        SlackDelivery.of(settings_for(slack_server)).upload_report(tmp_path / "missing.pdf")
    assert slack_server.calls == []


# --- what Slack refuses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("server_options", "settings_options", "expected"),
    [
        pytest.param(
            {},
            {"slack_bot_token": "xoxb-revoked-or-mistyped"},
            "Slack rejected the token (invalid_auth): check SLACK_BOT_TOKEN",
            id="invalid_auth",
        ),
        pytest.param(
            {},
            {"channel": "#no-such-channel"},
            "Slack #no-such-channel not found (or private without the bot): create it and "
            "invite the bot with /invite @aiops-report, or set SLACK_CHANNEL to its ID (C…)",
            id="channel_not_found-by-name",
        ),
        pytest.param(
            {},
            {"channel": "C0NOSUCHONE"},
            "Slack channel C0NOSUCHONE not found",
            id="channel_not_found-by-id",
        ),
        pytest.param(
            {},
            {"channel": "#town-square"},
            "the bot is not in #town-square: invite it with /invite @aiops-report",
            id="not_in_channel",
        ),
        pytest.param(
            {"scopes": ("chat:write", "channels:read", "groups:read")},
            {},
            "the Slack token lacks the scope files:write (it has chat:write,channels:read,"
            "groups:read): add it under OAuth & Permissions and reinstall the app",
            id="missing_scope",
        ),
    ],
)
def test_refusals_are_one_line_naming_the_fix(
    pdf: Path,
    server_options: dict[str, tuple[str, ...]],
    settings_options: dict[str, str],
    expected: str,
) -> None:
    with SlackServer(**server_options) as server:  # type: ignore[arg-type]
        slack = SlackDelivery.of(settings_for(server, **settings_options))
        with pytest.raises(SlackDeliveryError) as caught:
            slack.upload_report(pdf, NUMBERS)
        assert not isinstance(caught.value, SlackUnavailable)
        assert str(caught.value).startswith(expected)
        assert_one_clean_line(caught.value)
        assert server.shared_files() == []


# --- what Slack may do on a bad day -----------------------------------------------------------


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits slack_sdk's retry handlers ask for, recorded instead of slept."""
    asked: list[float] = []
    monkeypatch.setattr(time, "sleep", asked.append)
    return asked


def test_rate_limited_once_then_delivered_once(
    slack_server: SlackServer, pdf: Path, waits: list[float]
) -> None:
    slack_server.fail("files.completeUploadExternal", status=429, retry_after=1)
    SlackDelivery.of(settings_for(slack_server)).upload_report(pdf, NUMBERS)
    assert slack_server.count("files.completeUploadExternal") == 2
    assert len(slack_server.shared_files()) == 1
    [wait] = waits
    assert 1 <= wait < 2  # Retry-After, plus slack_sdk's jitter


def test_rate_limited_paging_is_retried(
    slack_server: SlackServer, pdf: Path, waits: list[float]
) -> None:
    slack_server.fail("conversations.list", status=429, retry_after=1)
    delivery = SlackDelivery.of(settings_for(slack_server)).upload_report(pdf, NUMBERS)
    assert delivery.channel_id == AI_REPORTS
    assert len(waits) == 1


def test_three_rate_limits_in_a_row_are_waited_out_then_delivered_once(
    slack_server: SlackServer, pdf: Path, waits: list[float]
) -> None:
    slack_server.fail("files.completeUploadExternal", status=429, retry_after=1, times=3)
    SlackDelivery.of(settings_for(slack_server)).upload_report(pdf, NUMBERS)
    assert slack_server.count("files.completeUploadExternal") == 4
    assert len(slack_server.shared_files()) == 1
    assert len(waits) == 3 and all(1 <= wait < 2 for wait in waits)


def test_a_retry_after_beyond_the_budget_fails_at_once_saying_so(
    slack_server: SlackServer, pdf: Path, waits: list[float]
) -> None:
    slack_server.fail("files.completeUploadExternal", status=429, retry_after=600)
    with pytest.raises(SlackUnavailable) as caught:
        SlackDelivery.of(settings_for(slack_server)).upload_report(pdf, NUMBERS)
    assert waits == []
    assert str(caught.value) == (
        "Slack is rate limiting this app (it asks to wait 600 s, more than the 60 s left of the "
        f"60 s we wait in all); try again later; the report is kept at {pdf}"
    )
    assert slack_server.shared_files() == []


def test_rate_limit_waits_are_bounded_in_total(
    slack_server: SlackServer, pdf: Path, waits: list[float]
) -> None:
    slack_server.fail("files.completeUploadExternal", status=429, retry_after=25, times=3)
    with pytest.raises(
        SlackUnavailable, match=r"it asks to wait 25 s, more than the \d+ s left of the 60 s we"
    ):
        SlackDelivery.of(settings_for(slack_server)).upload_report(pdf, NUMBERS)
    assert len(waits) == 2 and sum(waits) <= RATE_LIMIT_BUDGET  # a third 25 s would exceed it


def test_rate_limits_past_the_retries_say_so(
    slack_server: SlackServer, pdf: Path, waits: list[float]
) -> None:
    slack_server.fail("files.completeUploadExternal", status=429, retry_after=1, times=10)
    with pytest.raises(SlackUnavailable) as caught:
        SlackDelivery.of(settings_for(slack_server)).upload_report(pdf, NUMBERS)
    assert slack_server.count("files.completeUploadExternal") == 1 + RATE_LIMIT_RETRIES
    assert len(waits) == RATE_LIMIT_RETRIES
    assert str(caught.value).startswith(
        f"Slack is rate limiting this app (still after {RATE_LIMIT_RETRIES} retries and "
        f"{sum(waits):.0f} s of waiting); try again later"
    )


def test_server_errors_twice_then_delivered_once(
    slack_server: SlackServer, pdf: Path, waits: list[float]
) -> None:
    slack_server.fail("files.completeUploadExternal", status=500, times=2)
    SlackDelivery.of(settings_for(slack_server)).upload_report(pdf, NUMBERS)
    assert slack_server.count("files.completeUploadExternal") == 3
    assert len(slack_server.shared_files()) == 1
    assert len(waits) == 2


def test_persistent_server_errors_fail_within_the_bound(
    slack_server: SlackServer, pdf: Path, waits: list[float]
) -> None:
    slack_server.fail("files.getUploadURLExternal", status=500, times=10)
    with pytest.raises(SlackUnavailable) as caught:
        SlackDelivery.of(settings_for(slack_server)).upload_report(pdf, NUMBERS)
    assert str(caught.value) == (
        f"Slack answered HTTP 500 (retried up to 2 times); the report is kept at {pdf}"
    )
    assert slack_server.count("files.getUploadURLExternal") == 1 + MAX_RETRIES
    assert sum(waits) < 0.5 + 1 + 2 * 1  # backoff 0.5 s, 1 s, each + jitter < 1 s


def test_a_slow_slack_is_a_timeout(slack_server: SlackServer, pdf: Path) -> None:
    slack_server.fail("files.completeUploadExternal", delay=2)
    slack = SlackDelivery.of(settings_for(slack_server), timeout=1)
    with pytest.raises(SlackTimeout, match="did not answer within 1 s; the file may still appear"):
        slack.upload_report(pdf, NUMBERS)
    assert slack_server.count("files.completeUploadExternal") == 1  # never sent twice


def closed_port() -> int:
    """A port of 127.0.0.1 nothing listens on."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        return int(unused.getsockname()[1])


def test_an_unreachable_slack(pdf: Path, waits: list[float]) -> None:
    settings = Settings(
        slack_bot_token=SecretStr(TOKEN), slack_api_url=f"http://127.0.0.1:{closed_port()}/api/"
    )
    with pytest.raises(
        SlackUnavailable, match=r"Slack is unreachable at http://127\.0\.0\.1"
    ) as caught:
        SlackDelivery.of(settings).upload_report(pdf, NUMBERS)
    assert str(caught.value).endswith(f"the report is kept at {pdf}")
    assert_one_clean_line(caught.value)
    assert len(waits) == MAX_RETRIES


# --- doctor -----------------------------------------------------------------------------------


def lines(findings: list[Finding]) -> list[tuple[str, str]]:
    """doctor's lines as the CLI prints them (in English), with their levels."""
    return [(f.level, f.line("en")) for f in findings]


def test_check_reports_team_bot_channel_membership_and_scopes(slack_server: SlackServer) -> None:
    assert lines(SlackDelivery.of(settings_for(slack_server)).check()) == [
        ("ok", "Slack token works: team Acme Korea, bot @aiops-report"),
        ("ok", "Slack scopes: files:write, files:read, chat:write, channels:read, groups:read"),
        ("ok", f"Slack #ai-reports has the ID {AI_REPORTS}"),
        ("ok", "the bot is a member of #ai-reports"),
    ]
    assert slack_server.shared_files() == [] and slack_server.messages == []


def test_check_names_missing_scopes_and_membership() -> None:
    with SlackServer(scopes=("files:write", "channels:read", "groups:read")) as server:
        findings = SlackDelivery.of(settings_for(server, "#town-square")).check()
    assert [f.level for f in findings] == ["ok", "error", "ok", "error"]
    assert (
        findings[1].line("en").startswith("the Slack token lacks the scopes files:read, chat:write")
    )
    assert findings[3].line("en") == (
        "the bot is not in #town-square: invite it with /invite @aiops-report"
    )


def test_check_with_a_bad_token(slack_server: SlackServer) -> None:
    findings = SlackDelivery.of(settings_for(slack_server, slack_bot_token="xoxb-wrong")).check()
    assert lines(findings) == [
        ("error", "Slack rejected the token (invalid_auth): check SLACK_BOT_TOKEN")
    ]


# --- secrets ----------------------------------------------------------------------------------


def test_the_token_is_never_logged_or_shown(
    slack_server: SlackServer, pdf: Path, caplog: pytest.LogCaptureFixture, waits: list[float]
) -> None:
    caplog.set_level(logging.DEBUG)
    slack = SlackDelivery.of(settings_for(slack_server))
    slack.upload_report(pdf, NUMBERS)
    slack_server.fail("files.completeUploadExternal", status=500, times=3)
    with pytest.raises(SlackUnavailable):
        slack.upload_report(pdf, NUMBERS)
    assert "Authorization" in caplog.text  # slack_sdk logged its requests, redacted
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(slack)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://user:pass@127.0.0.1:9/api/", "http://***@127.0.0.1:9/api/"),
        ("https://xoxp-token@proxy.example/slack/api/", "https://***@proxy.example/slack/api/"),
        ("https://user:p@ss@proxy.example/api/", "https://***@proxy.example/api/"),
        ("url: http://u:p@h/api/x, body: a@b", "url: http://***@h/api/x, body: a@b"),
        ("https://slack.com/api/", "https://slack.com/api/"),
        ("write to ops@example.com", "write to ops@example.com"),
    ],
)
def test_hide_credentials(text: str, shown: str) -> None:
    assert hide_credentials(text) == shown
