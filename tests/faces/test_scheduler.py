"""The weekly scheduler: its times, catch-up and warnings, and one delivery however many run."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler
from pydantic import SecretStr

from aiops_report.data.config import Settings, load_settings
from aiops_report.data.db import make_engine
from aiops_report.data.demo import fill_demo_data
from aiops_report.delivery.runs import RunLedger
from aiops_report.errors import ConfigError
from aiops_report.faces.scheduler import (
    add_jobs,
    alert_if_undelivered,
    check_before_run,
    missed_run,
    next_alert_time,
    next_check_time,
    run_scheduler,
    run_watcher,
    scheduled_run,
)
from aiops_report.timetable import cron_trigger, next_run_time, weekday_names
from chatbot_tables import state_of
from conftest import sqlite_url
from slack_server import TOKEN, SlackServer

KST = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY_9_KST = datetime(2026, 11, 23, 9, 0, tzinfo=KST)


def with_slack(settings: Settings, slack: SlackServer, token: str = TOKEN) -> Settings:
    return settings.model_copy(
        update={"slack_bot_token": SecretStr(token), "slack_api_url": slack.api_url}
    )


# --- when -------------------------------------------------------------------------------------


def test_next_run_in_seoul_is_monday_nine_kst_which_is_midnight_utc() -> None:
    settings = load_settings()
    after = next_run_time(settings, datetime(2026, 11, 26, 10, 0, tzinfo=UTC))  # a Thursday
    assert after == datetime(2026, 11, 30, 9, 0, tzinfo=KST)
    assert after.astimezone(UTC) == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    assert after.strftime("%A %H:%M %Z") == "Monday 09:00 KST"
    # a run is due at its own time, and the next one is a week later
    assert next_run_time(settings, MONDAY_9_KST) == MONDAY_9_KST
    later = MONDAY_9_KST + timedelta(seconds=1)
    assert next_run_time(settings, later) == MONDAY_9_KST + timedelta(days=7)


@pytest.mark.parametrize(
    ("now_utc", "run_utc"),
    [
        # autumn: daylight saving ends Sunday 2026-11-01 (EDT -4 → EST -5)
        (datetime(2026, 10, 27, tzinfo=UTC), datetime(2026, 11, 2, 14, 0, tzinfo=UTC)),
        (datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 10, 26, 13, 0, tzinfo=UTC)),
        # spring: daylight saving starts Sunday 2026-03-08 (EST -5 → EDT -4)
        (datetime(2026, 3, 3, tzinfo=UTC), datetime(2026, 3, 9, 13, 0, tzinfo=UTC)),
        (datetime(2026, 2, 24, tzinfo=UTC), datetime(2026, 3, 2, 14, 0, tzinfo=UTC)),
    ],
)
def test_a_daylight_saving_zone_keeps_nine_local(now_utc: datetime, run_utc: datetime) -> None:
    settings = load_settings(report_timezone="America/New_York")
    run_at = next_run_time(settings, now_utc)
    assert run_at == run_utc
    assert (run_at.astimezone(NEW_YORK).hour, run_at.astimezone(NEW_YORK).weekday()) == (9, 0)


@pytest.mark.parametrize(
    ("field", "names"),
    [
        ("1", "mon"),
        ("0", "sun"),
        ("7", "sun"),
        ("mon-fri", "mon,tue,wed,thu,fri"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("0-2", "mon,tue,sun"),
        ("fri-sun", "fri,sat,sun"),
        ("5-7", "fri,sat,sun"),
        ("*/2", "tue,thu,sat,sun"),  # cron counts from Sunday: 0, 2, 4, 6
        ("SAT,0", "sat,sun"),
    ],
)
def test_weekday_numbers_mean_what_they_mean_in_cron(field: str, names: str) -> None:
    assert weekday_names(field) == names


@pytest.mark.parametrize(("field", "weekday"), [("1", 0), ("0", 6), ("7", 6), ("5", 4)])
def test_the_next_run_falls_on_the_cron_weekday(field: str, weekday: int) -> None:
    settings = load_settings(schedule=f"30 7 * * {field}")
    run_at = next_run_time(settings, datetime(2026, 11, 26, tzinfo=UTC))
    assert (run_at.weekday(), run_at.hour, run_at.minute) == (weekday, 7, 30)


@pytest.mark.parametrize(
    "schedule",
    ["0 9 * *", "0 25 * * 1", "0 9 * * 8", "0 9 * * 5-2", "0 9 1 * 1", "0 9 31 2 *", "x 9 * * 1"],
)
def test_an_invalid_schedule_is_one_line_naming_schedule(schedule: str) -> None:
    settings = load_settings(schedule=schedule)
    with pytest.raises(ConfigError) as error:
        next_run_time(settings, datetime(2026, 11, 26, tzinfo=UTC))
    assert str(error.value).startswith(f"invalid setting: SCHEDULE {schedule!r}")
    assert "\n" not in str(error.value)


def test_missed_run_is_caught_up_within_the_grace_period_only() -> None:
    settings = load_settings()  # SCHEDULE_GRACE 6 h
    assert missed_run(settings, MONDAY_9_KST) == MONDAY_9_KST
    assert missed_run(settings, MONDAY_9_KST + timedelta(hours=5, minutes=59)) == MONDAY_9_KST
    assert missed_run(settings, MONDAY_9_KST + timedelta(hours=6, minutes=1)) is None
    assert missed_run(settings, MONDAY_9_KST - timedelta(minutes=1)) is None


def test_checks_come_fifteen_minutes_before_and_the_alert_when_grace_ends() -> None:
    settings = load_settings(schedule_grace="2h")
    sunday = datetime(2026, 11, 22, 12, 0, tzinfo=KST)
    assert next_check_time(settings, sunday) == MONDAY_9_KST - timedelta(minutes=15)
    assert next_alert_time(settings, sunday) == MONDAY_9_KST + timedelta(hours=2)
    # during the run's grace period, its alert is still ahead
    assert next_alert_time(settings, MONDAY_9_KST + timedelta(hours=1)) == datetime(
        2026, 11, 23, 11, 0, tzinfo=KST
    )


def test_the_scheduler_holds_the_run_the_check_and_the_alert() -> None:
    settings = load_settings(database_url="sqlite://")
    scheduler = BackgroundScheduler(timezone=settings.report_zone)
    add_jobs(scheduler, make_engine(settings), settings)
    with time_machine.travel(datetime(2026, 11, 26, 10, 0, tzinfo=KST), tick=False):
        scheduler.start(paused=True)
        try:
            times = {job.id: job.next_run_time for job in scheduler.get_jobs()}
        finally:
            scheduler.shutdown(wait=False)
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=KST)
    assert times == {
        "weekly": monday,
        "check": monday - timedelta(minutes=15),
        "alert": monday + timedelta(hours=6),
        "watch": datetime(2026, 11, 26, 10, 5, tzinfo=KST),  # WATCH_SCHEDULE: hourly at :05
    }
    assert (
        str(cron_trigger(settings))
        == "cron[month='*', day='*', day_of_week='mon', hour='9', minute='0']"
    )


def test_an_invalid_watch_schedule_is_one_line_naming_it() -> None:
    settings = load_settings(database_url="sqlite://", watch_schedule="5 * *")
    with pytest.raises(ConfigError, match=r"^invalid setting: WATCH_SCHEDULE '5 \* \*' needs 5"):
        cron_trigger(settings, "watch_schedule")


def test_watch_alone_runs_only_the_watch_on_its_schedule(caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings(database_url="sqlite://", watch_schedule="*/10 * * * *")
    stop = threading.Event()
    stop.set()  # start, say so, stop
    with caplog.at_level(logging.INFO):
        run_watcher(make_engine(settings), settings, stop)
    assert "watching the alert rules: WATCH_SCHEDULE '*/10 * * * *' in Asia/Seoul" in caplog.text
    assert "watch stopped" in caplog.text


# --- what runs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("started", "uploads"),
    [(MONDAY_9_KST + timedelta(hours=1), 1), (MONDAY_9_KST + timedelta(hours=7), 0)],
    ids=["within-grace", "beyond-grace"],
)
def test_a_scheduler_started_after_a_missed_run_catches_up_once_within_grace(
    settings: Settings, slack_server: SlackServer, started: datetime, uploads: int
) -> None:
    settings = with_slack(settings, slack_server)
    engine = make_engine(settings)
    fill_demo_data(engine, settings, weeks=2, per_day=20, now=MONDAY_9_KST)
    stop = threading.Event()
    stop.set()  # start, catch up if due, stop
    with time_machine.travel(started, tick=True):
        run_scheduler(engine, settings, stop)
    assert len(slack_server.shared_files()) == uploads
    if uploads:
        [run] = RunLedger(state_of(engine)).history()
        assert (run.period_start.isoformat(), run.status) == ("2026-11-16", "delivered")
    engine.dispose()


def schedulers_at_once(settings: Settings, count: int) -> list[str]:
    """`count` schedulers (each its own engine, as processes have) running the week at once."""
    start = threading.Barrier(count)
    outcomes: list[str] = []

    def one_scheduler() -> None:
        engine = make_engine(settings)
        start.wait()
        outcome = scheduled_run(engine, settings, MONDAY_9_KST)
        outcomes.append(outcome.status if outcome else "failed")
        engine.dispose()

    threads = [threading.Thread(target=one_scheduler) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_several_schedulers_at_once_deliver_the_week_once(
    settings: Settings, slack_server: SlackServer
) -> None:
    settings = with_slack(settings, slack_server)
    engine = make_engine(settings)
    fill_demo_data(engine, settings, weeks=2, per_day=20, now=MONDAY_9_KST)
    RunLedger(state_of(engine)).ensure_table()  # as after the first week
    assert schedulers_at_once(settings, 4) == ["delivered", "skipped", "skipped", "skipped"]
    assert [f.channel_id for f in slack_server.shared_files()] == ["C0AIREPORTS"]
    engine.dispose()


def test_several_schedulers_on_a_database_without_the_ledger_deliver_once(
    settings: Settings, slack_server: SlackServer
) -> None:
    settings = with_slack(settings, slack_server)
    fill_demo_data(make_engine(settings), settings, weeks=2, per_day=20, now=MONDAY_9_KST)
    assert schedulers_at_once(settings, 4) == ["delivered", "skipped", "skipped", "skipped"]
    assert len(slack_server.shared_files()) == 1


def test_a_failed_run_is_logged_recorded_and_alerted_once_after_grace(
    settings: Settings, slack_server: SlackServer, caplog: pytest.LogCaptureFixture
) -> None:
    settings = with_slack(settings, slack_server)
    engine = make_engine(settings)  # no chatbot tables: the run fails

    assert scheduled_run(engine, settings, MONDAY_9_KST) is None
    assert "weekly report of the week of 2026-11-16 failed: " in caplog.text
    [run] = RunLedger(state_of(engine)).history()
    assert run.status == "failed" and run.error and "conversation_log" in run.error

    alert = alert_if_undelivered(engine, settings, MONDAY_9_KST)
    assert alert is not None and run.error in alert
    [message] = slack_server.messages
    assert message["channel"] == "C0AIREPORTS"
    assert run.error in message["text"] and "2026-11-16" in message["text"]

    fill_demo_data(engine, settings, weeks=2, per_day=20, now=MONDAY_9_KST)
    assert scheduled_run(engine, settings, MONDAY_9_KST) is not None
    assert alert_if_undelivered(engine, settings, MONDAY_9_KST) is None
    alerts = [m for m in slack_server.messages if m["text"].startswith(":warning:")]
    assert len(alerts) == 1  # the delivered report's own message carries the button
    engine.dispose()


def test_schedulers_at_once_post_one_alert_when_the_grace_period_ends(
    settings: Settings, slack_server: SlackServer
) -> None:
    settings = with_slack(settings, slack_server)
    make_engine(settings).dispose()  # no chatbot tables: the week is never delivered
    start = threading.Barrier(3)
    alerts: list[str | None] = []

    def one_scheduler() -> None:
        engine = make_engine(settings)  # each replica its own engine, as processes have
        start.wait()
        alerts.append(alert_if_undelivered(engine, settings, MONDAY_9_KST))
        engine.dispose()

    threads = [threading.Thread(target=one_scheduler) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(alert is None for alert in alerts) == [False, True, True]
    [message] = slack_server.messages
    assert "was not delivered to #ai-reports within SCHEDULE_GRACE" in message["text"]
    # The next week's end of grace is an alert of its own.
    next_week = alert_if_undelivered(
        make_engine(settings), settings, MONDAY_9_KST + timedelta(weeks=1)
    )
    assert next_week is not None and len(slack_server.messages) == 2


def test_checks_before_a_run_warn_the_channel_of_a_database_problem(
    settings: Settings, slack_server: SlackServer
) -> None:
    settings = with_slack(settings, slack_server)
    engine = make_engine(settings)  # no chatbot tables yet
    problems = check_before_run(engine, settings, MONDAY_9_KST)
    assert len(problems) == 1 and "conversation_log" in problems[0]
    [message] = slack_server.messages
    assert "Monday 2026-11-23 09:00 KST" in message["text"] and problems[0] in message["text"]

    fill_demo_data(engine, settings, weeks=2, per_day=20, now=MONDAY_9_KST)
    assert check_before_run(engine, settings, MONDAY_9_KST) == []
    assert len(slack_server.messages) == 1
    engine.dispose()


def test_checks_before_a_run_log_a_slack_problem_without_posting(
    slack_server: SlackServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = with_slack(
        load_settings(database_url=sqlite_url(tmp_path / "c.db")), slack_server, "xoxb-wrong"
    )
    engine = make_engine(settings)
    fill_demo_data(engine, settings, weeks=2, per_day=5, now=MONDAY_9_KST)
    with caplog.at_level(logging.ERROR):
        problems = check_before_run(engine, settings, MONDAY_9_KST)
    assert problems == ["Slack rejected the token (invalid_auth): check SLACK_BOT_TOKEN"]
    assert "will fail: Slack rejected the token" in caplog.text
    assert slack_server.count("chat.postMessage") == 0
    assert "xoxb-wrong" not in caplog.text


def test_schedule_process_logs_its_next_run_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    code = (
        "import logging; logging.basicConfig(level=logging.INFO)\n"
        "from aiops_report.data.config import load_settings\n"
        "from aiops_report.data.db import make_engine\n"
        "from aiops_report.faces.scheduler import run_scheduler\n"
        "settings = load_settings()\n"
        "run_scheduler(make_engine(settings), settings)\n"
    )
    env = {**os.environ, "DATABASE_URL": sqlite_url(tmp_path / "s.db")}
    process = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True
    )
    watchdog = threading.Timer(60, process.kill)  # never hang the test run
    watchdog.start()
    try:
        assert process.stderr is not None
        started = ""
        while "next weekly run" not in started:
            started = process.stderr.readline()
            assert started, "the scheduler exited before saying when it runs"
        process.send_signal(signal.SIGTERM)
        rest = process.stderr.read()
        assert process.wait() == 0
    finally:
        watchdog.cancel()
    expected = next_run_time(load_settings(), datetime.now(KST))
    assert f"next weekly run: {expected:%A %Y-%m-%d} 09:00 KST (00:00 UTC)" in started
    assert "scheduler stopped" in rest


def test_the_alert_after_grace_names_each_destination_of_the_routes_not_delivered(
    settings: Settings, slack_server: SlackServer, tmp_path: Path
) -> None:
    routes = tmp_path / "routes.toml"
    routes.write_text(
        '[[route]]\nslack = ["#alerts"]\nemail = ["ops@example.com"]\n', encoding="utf-8"
    )
    # The SMTP server is gone: the email fails, the Slack channel gets the report.
    settings = with_slack(settings, slack_server).model_copy(
        update={
            "delivery_file": routes,
            "smtp_url": SecretStr("smtp://127.0.0.1:9"),
            "email_from": "aiops-report@example.com",
        }
    )
    engine = make_engine(settings)
    fill_demo_data(engine, settings, weeks=2, per_day=20, now=MONDAY_9_KST)

    assert scheduled_run(engine, settings, MONDAY_9_KST) is None
    alert = alert_if_undelivered(engine, settings, MONDAY_9_KST)

    assert alert is not None
    assert alert.startswith(
        "the weekly report of the week of 2026-11-16 was not delivered to email:ops@example.com "
        "within SCHEDULE_GRACE of Monday 2026-11-23 09:00 KST (00:00 UTC): could not connect "
        "to smtp://127.0.0.1:9"
    )
    assert "#alerts" not in alert and "#ai-reports" not in alert  # delivered; not a destination
    engine.dispose()


def test_checks_before_a_run_check_the_destinations_of_the_routes(
    slack_server: SlackServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    routes = tmp_path / "routes.toml"
    routes.write_text('[[route]]\nslack = ["#alerts"]\nwebhook = "https://h.example/x"\n')
    settings = with_slack(
        load_settings(database_url=sqlite_url(tmp_path / "c.db"), delivery_file=routes),
        slack_server,
    )
    engine = make_engine(settings)
    fill_demo_data(engine, settings, weeks=2, per_day=5, now=MONDAY_9_KST)

    with caplog.at_level(logging.ERROR):
        problems = check_before_run(engine, settings, MONDAY_9_KST)

    assert problems == [
        "webhook:https://h.example/x: WEBHOOK_SECRET is not set: webhook routes are signed with it"
    ]
    assert "will fail: webhook:https://h.example/x" in caplog.text
    assert slack_server.count("conversations.info") == 1  # #alerts checked, #ai-reports not
