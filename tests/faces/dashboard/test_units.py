"""The dashboard's plain functions: password check, lockout, launcher, weekly series."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from aiops_report.analysis.insights import ModelStats
from aiops_report.data.config import Settings, load_settings
from aiops_report.faces.dashboard.auth import (
    CEILING,
    CEILING_WINDOW,
    FORGET_AFTER,
    FREE_ATTEMPTS,
    Lockout,
    LoginThrottle,
    hash_password,
    lockout_seconds,
    password_matches,
)
from aiops_report.faces.dashboard.charts import model_chart, score_ticks
from aiops_report.faces.dashboard.server import (
    dashboard_command,
    listen_address,
    settings_environment,
)
from aiops_report.texts.dashboard import EN, KO
from conftest import sqlite_url


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


def fail(throttle: LoginThrottle, address: str, times: int, at: float = 0.0) -> None:
    for _ in range(times):
        assert throttle.attempt(address, at) is None


def test_throttle_locks_an_address_out_and_not_the_others() -> None:
    throttle = LoginThrottle()
    fail(throttle, "203.0.113.7", FREE_ATTEMPTS, at=100.0)
    assert throttle.attempt("203.0.113.7", 101.0) == Lockout(until=105.0, everyone=False)
    assert throttle.failures("203.0.113.7") == FREE_ATTEMPTS  # a refused attempt is not one
    assert throttle.lockout("198.51.100.1", 101.0) is None

    fail(throttle, "203.0.113.7", 1, at=105.0)  # the wait is over: one more try, then 10 s
    assert throttle.lockout("203.0.113.7", 105.0) == Lockout(until=115.0, everyone=False)


def test_attempts_at_the_same_moment_are_counted_before_the_password_is_checked() -> None:
    throttle = LoginThrottle()
    refused = [throttle.attempt("203.0.113.7", 0.0) for _ in range(10)]
    assert refused.count(None) == FREE_ATTEMPTS


def test_a_success_forgets_its_own_address_only() -> None:
    throttle = LoginThrottle()
    fail(throttle, "203.0.113.7", FREE_ATTEMPTS)
    fail(throttle, "198.51.100.1", FREE_ATTEMPTS - 1)
    assert throttle.attempt("198.51.100.1", 1.0) is None
    throttle.succeeded("198.51.100.1", 1.0)

    assert throttle.failures("198.51.100.1") == 0
    assert throttle.failures("203.0.113.7") == FREE_ATTEMPTS
    assert throttle.lockout("203.0.113.7", 1.0) == Lockout(until=5.0, everyone=False)


def test_rotating_addresses_meet_the_ceiling() -> None:
    throttle = LoginThrottle()
    for i in range(CEILING):
        fail(throttle, f"10.0.{i // 250}.{i % 250}", 1, at=float(i))
    refused = Lockout(until=CEILING_WINDOW, everyone=True)  # when the first leaves the window
    assert throttle.attempt("192.0.2.1", float(CEILING)) == refused
    assert throttle.lockout("10.0.0.0", float(CEILING)) == refused
    assert throttle.attempt("192.0.2.1", CEILING_WINDOW) is None


def test_a_success_is_not_counted_towards_the_ceiling() -> None:
    throttle = LoginThrottle(ceiling=2)
    fail(throttle, "203.0.113.7", 1)
    assert throttle.attempt("198.51.100.1", 1.0) is None
    throttle.succeeded("198.51.100.1", 1.0)
    assert throttle.lockout("192.0.2.1", 2.0) is None


def test_failures_are_forgotten_after_a_quiet_hour() -> None:
    throttle = LoginThrottle()
    fail(throttle, "203.0.113.7", FREE_ATTEMPTS, at=0.0)
    fail(throttle, "203.0.113.7", 1, at=5.0)
    fail(throttle, "203.0.113.7", 1, at=15.0)  # the last failure; the next waits 20 s
    assert throttle.lockout("203.0.113.7", 34.0) == Lockout(until=35.0, everyone=False)
    assert throttle.lockout("203.0.113.7", 15.0 + FORGET_AFTER - 1) is None
    assert throttle.failures("203.0.113.7") == FREE_ATTEMPTS + 2  # waited, not forgotten
    fail(throttle, "203.0.113.7", 1, at=15.0 + FORGET_AFTER)
    assert throttle.failures("203.0.113.7") == 1


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
        database_url=sqlite_url(tmp_path / "x.db"),
        report_language="en",
        report_dir=tmp_path / "out",
        admin_password="pw",
        slack_bot_token="xoxb-1",
        schedule_grace=timedelta(minutes=90),
    )
    for name, value in settings_environment(settings).items():
        monkeypatch.setenv(name, value)
    assert Settings() == settings


@pytest.mark.parametrize(
    ("scale", "ticks"),
    [
        ((0.0, 10.0), [0, 2, 4, 6, 8, 10]),
        ((1.0, 5.0), [1, 2, 3, 4, 5]),
        ((0.0, 1.0), [0, 0.2, 0.4, 0.6, 0.8, 1]),
        ((1.0, 7.0), [1, 3, 5, 7]),
    ],
)
def test_score_ticks_are_distinct_and_span_the_scale(
    scale: tuple[float, float], ticks: list[float]
) -> None:
    assert score_ticks(scale) == ticks


def test_the_score_by_model_axis_is_the_whole_scale() -> None:
    models = [
        ModelStats(model, 100, None, None, None, None, 40, 10, 0.8, 90, score, None, None)
        for model, score in (("a", 5.01), ("b", 5.25))
    ]
    spec = model_chart(models, EN, "Average score", "Conversations", (0.0, 10.0)).to_dict()
    x = spec["layer"][0]["encoding"]["x"]
    assert x["scale"]["domain"] == [0.0, 10.0]
    assert x["axis"]["values"] == [0, 2, 4, 6, 8, 10]
    assert spec["layer"][1]["encoding"]["text"]["format"] == ".2f"  # 5.01 and 5.25 as written


def test_both_languages_have_the_same_words() -> None:
    assert KO.keys() == EN.keys()
