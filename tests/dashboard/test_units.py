"""The dashboard's plain functions: password check, lockout, launcher, weekly series."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from aiops_report.config import Settings, load_settings
from aiops_report.dashboard.auth import hash_password, lockout_seconds, password_matches
from aiops_report.dashboard.charts import series
from aiops_report.dashboard.texts import EN, KO
from aiops_report.dashboard_server import (
    dashboard_command,
    listen_address,
    settings_environment,
)
from aiops_report.metrics import DailyMetrics


@pytest.mark.parametrize(
    ("configured", "given", "matches"),
    [
        ("s3cret", "s3cret", True),
        ("s3cret", "s3cret ", False),
        ("s3cret", "", False),
        (hash_password("비밀번호", iterations=1_000), "비밀번호", True),
        (hash_password("비밀번호", iterations=1_000), "password", False),
        # "password" in the format Django writes: PBKDF2-HMAC-SHA256 of the salt, base64.
        (
            "pbkdf2_sha256$1000$salt$YywoEuRtRgQQK6dhjp1tfS+BKPYma0oDJk0qBGC33LM=",
            "password",
            True,
        ),
        ("pbkdf2_sha256$not-a-number$salt$abc", "anything", False),
        ("pbkdf2_sha256$1000$salt$%%%", "anything", False),
    ],
)
def test_password_matches(configured: str, given: str, matches: bool) -> None:
    assert password_matches(given, configured) is matches


def test_hashes_are_salted() -> None:
    assert hash_password("pw", iterations=1_000) != hash_password("pw", iterations=1_000)


def test_lockout_doubles_after_three_failures_up_to_a_cap() -> None:
    assert [lockout_seconds(n) for n in range(7)] == [0, 0, 0, 5, 10, 20, 40]
    assert lockout_seconds(50) == 900


def test_without_a_login_the_dashboard_listens_on_loopback_only(tmp_path: Path) -> None:
    open_settings = load_settings()
    locked = load_settings(admin_password="pw")

    assert listen_address(open_settings, "0.0.0.0") == "127.0.0.1"
    assert listen_address(locked, "0.0.0.0") == "0.0.0.0"
    command = dashboard_command(open_settings, "0.0.0.0", 9000)
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--server.port") + 1] == "9000"


def test_settings_survive_the_trip_through_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
        report_language="en",
        report_dir=tmp_path / "out",
        admin_password="pw",
        slack_bot_token="xoxb-1",
        schedule_grace=timedelta(minutes=90),
    )
    for name, value in settings_environment(settings).items():
        monkeypatch.setenv(name, value)
    assert Settings() == settings


def test_weekly_series_sums_days_and_weighs_averages() -> None:
    monday = date(2026, 11, 16)
    days = [
        DailyMetrics(monday + timedelta(days=i), 10, 3, 2, 1, evaluations, score)
        for i, (evaluations, score) in enumerate([(1, 9.0), (3, 5.0), (0, None)] + [(0, None)] * 5)
    ]
    weeks = series(days, "week")
    assert [w.start for w in weeks] == [monday, monday + timedelta(days=7)]
    assert weeks[0].conversations == 70 and weeks[0].likes == 14 and weeks[0].dislikes == 7
    assert weeks[0].avg_score == 6.0  # (9 + 3 * 5) / 4
    assert weeks[1].avg_score is None
    assert len(series(days, "day")) == 8


def test_both_languages_have_the_same_words() -> None:
    assert KO.keys() == EN.keys()
