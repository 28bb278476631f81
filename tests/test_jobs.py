"""run-weekly delivers a week once: repeated, after a failure, after a timeout, concurrently."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from aiops_report.data.config import Settings
from aiops_report.data.demo import fill_demo_data
from aiops_report.data.periods import Period
from aiops_report.delivery.runs import RunLedger, report_runs, utcnow
from aiops_report.errors import (
    ReportNotWritten,
    SlackDeliveryError,
    SlackNotConfigured,
    SlackTimeout,
    WeekNotOver,
    WeekNotStarted,
)
from aiops_report.jobs import requested_week, run_weekly
from aiops_report.slack_jobs import send_week_to_date, slack_channel_key
from chatbot_tables import state_of
from slack_server import TOKEN, SlackServer

SEOUL = ZoneInfo("Asia/Seoul")
SEOUL_NOW = datetime(2026, 11, 26, 10, tzinfo=SEOUL)
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)


def wait_until(condition: Callable[[], bool], seconds: float = 10) -> None:
    """Wait for something another thread does (not a fixed sleep)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        threading.Event().wait(0.02)


@pytest.fixture
def demo_engine(engine: Engine, settings: Settings) -> Engine:
    fill_demo_data(engine, settings, weeks=2, per_day=15, now=SEOUL_NOW)
    return engine


def with_slack(settings: Settings, slack: SlackServer, **changes: object) -> Settings:
    update = {"slack_bot_token": SecretStr(TOKEN), "slack_api_url": slack.api_url, **changes}
    return settings.model_copy(update=update)


def test_run_weekly_twice_uploads_once(
    demo_engine: Engine, settings: Settings, slack_server: SlackServer
) -> None:
    settings = with_slack(settings, slack_server)

    first = run_weekly(demo_engine, settings, period=WEEK)
    second = run_weekly(demo_engine, settings, period=WEEK)

    assert first.status == "delivered" and first.run.status == "delivered"
    assert second.status == "skipped"
    assert "already delivered to #ai-reports" in second.message
    shared = slack_server.shared_files()
    assert len(shared) == 1
    assert shared[0].channel_id == "C0AIREPORTS"
    assert shared[0].data == Path(first.run.file_path or "").read_bytes()
    assert shared[0].initial_comment and "2026-11-16" in shared[0].initial_comment
    assert first.run.slack_file_id == shared[0].id
    [button_message] = slack_server.messages  # the "Generate report now" button, once
    [actions] = [b for b in button_message["blocks"] if b["type"] == "actions"]
    assert actions["elements"][0]["action_id"] == "generate_report_now"
    assert actions["elements"][0]["value"] == "2026-11-16"
    assert button_message["channel"] == "C0AIREPORTS"


def test_a_failure_then_a_retry_uploads_the_same_report_once(
    demo_engine: Engine, settings: Settings, slack_server: SlackServer
) -> None:
    settings = with_slack(settings, slack_server)
    slack_server.fail("files.completeUploadExternal", error="not_in_channel")

    with pytest.raises(SlackDeliveryError, match="invite"):
        run_weekly(demo_engine, settings, period=WEEK)
    failed = RunLedger(state_of(demo_engine)).history()[0]
    written = Path(failed.file_path or "")
    built_at = written.stat().st_mtime_ns

    retried = run_weekly(demo_engine, settings, period=WEEK)

    assert failed.status == "failed" and "invite" in (failed.error or "")
    assert retried.status == "delivered"
    assert retried.run.attempts == 2
    assert written.stat().st_mtime_ns == built_at  # the report was not built again
    assert len(slack_server.shared_files()) == 1


def test_a_timeout_after_slack_posted_is_not_posted_twice(
    demo_engine: Engine, settings: Settings, slack_server: SlackServer
) -> None:
    """Slack completes the upload but answers too late: the retry asks files.info first."""
    settings = with_slack(settings, slack_server, slack_timeout=1)
    slack_server.fail("files.completeUploadExternal", delay=2.5)

    with pytest.raises(SlackTimeout):
        run_weekly(demo_engine, settings, period=WEEK)
    recorded = RunLedger(state_of(demo_engine)).history()[0]
    wait_until(lambda: len(slack_server.shared_files()) == 1)  # Slack finishes its late answer

    retried = run_weekly(demo_engine, settings, period=WEEK)

    assert recorded.slack_file_id is not None
    assert retried.status == "delivered"
    assert "had reached #ai-reports already" in retried.message
    assert slack_server.count("files.getUploadURLExternal") == 1
    assert slack_server.count("files.info") == 1
    assert len(slack_server.shared_files()) == 1
    [button_message] = slack_server.messages  # the recovered run offers its button as well
    assert [b["type"] for b in button_message["blocks"]].count("actions") == 1


def test_a_run_stopped_by_any_error_is_recorded_failed_and_retried(
    demo_engine: Engine, settings: Settings, slack_server: SlackServer, tmp_path: Path
) -> None:
    """An error (here: a file where REPORT_DIR's parent should be, as a full disk would) must
    not leave the week claimed for the lease, when the next run would be told to wait."""
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder")
    settings = with_slack(settings, slack_server, report_dir=blocked / "reports")

    with pytest.raises(ReportNotWritten):
        run_weekly(demo_engine, settings, period=WEEK)
    [failed] = RunLedger(state_of(demo_engine)).history()
    blocked.unlink()
    retried = run_weekly(demo_engine, settings, period=WEEK)

    assert failed.status == "failed" and failed.lease_until is None
    assert failed.error and len(failed.error.splitlines()) == 1
    assert failed.error == f"cannot write the report in {blocked / 'reports'}: Not a directory"
    assert retried.status == "delivered" and retried.run.attempts == 2
    assert len(slack_server.shared_files()) == 1


def test_an_error_that_is_not_ours_is_recorded_failed_too(
    demo_engine: Engine, settings: Settings, slack_server: SlackServer
) -> None:
    """slack_sdk lets a JSON answer cut short through as it is: a JSONDecodeError."""
    settings = with_slack(settings, slack_server)
    slack_server.fail("files.getUploadURLExternal", body=b'{"ok": tr')

    with pytest.raises(ValueError):
        run_weekly(demo_engine, settings, period=WEEK)
    [failed] = RunLedger(state_of(demo_engine)).history()
    retried = run_weekly(demo_engine, settings, period=WEEK)

    assert failed.status == "failed" and failed.lease_until is None
    assert failed.error and failed.error.startswith("JSONDecodeError: Expecting value")
    assert retried.status == "delivered" and retried.run.attempts == 2
    assert len(slack_server.shared_files()) == 1


def test_one_channel_however_spelled_gets_one_post_and_one_row(
    demo_engine: Engine, settings: Settings, slack_server: SlackServer
) -> None:
    spellings = ["#ai-reports", "ai-reports", "C0AIREPORTS", "#AI-Reports", " #ai-reports"]

    outcomes = [
        run_weekly(demo_engine, with_slack(settings, slack_server, slack_channel=s), period=WEEK)
        for s in spellings
    ]

    assert [o.status for o in outcomes] == ["delivered", *["skipped"] * 4]
    assert "already delivered to channel C0AIREPORTS" in outcomes[2].message
    assert "already delivered to #AI-Reports" in outcomes[3].message
    assert len(slack_server.shared_files()) == 1
    [run] = RunLedger(state_of(demo_engine)).history()
    assert run.channel == "C0AIREPORTS" and run.status == "delivered"
    # Each name is looked up once per run: #ai-reports is on the second page of two channels.
    assert slack_server.count("conversations.list") == 2 * 4


def test_a_week_delivered_under_the_channel_name_before_the_upgrade_is_not_sent_again(
    demo_engine: Engine, settings: Settings, slack_server: SlackServer
) -> None:
    """Rows written before channels were keyed by ID hold SLACK_CHANNEL as it was spelled."""
    settings = with_slack(settings, slack_server)
    ledger = RunLedger(state_of(demo_engine))
    old = ledger.claim(WEEK, "#ai-reports").run
    ledger.update(old.id, status="delivered", lease_until=None)

    again = run_weekly(demo_engine, settings, period=WEEK)

    assert again.status == "skipped" and "already delivered to #ai-reports" in again.message
    assert slack_server.shared_files() == []


def test_force_delivers_again(
    demo_engine: Engine, settings: Settings, slack_server: SlackServer
) -> None:
    settings = with_slack(settings, slack_server)
    run_weekly(demo_engine, settings, period=WEEK)

    again = run_weekly(demo_engine, settings, period=WEEK, force=True)

    assert again.status == "delivered"
    assert len(slack_server.shared_files()) == 2


def test_a_crashed_run_is_taken_over_when_its_lease_ends(
    demo_engine: Engine, settings: Settings, slack_server: SlackServer
) -> None:
    settings = with_slack(settings, slack_server)
    ledger = RunLedger(state_of(demo_engine))
    crashed = ledger.claim(WEEK, slack_channel_key(settings)).run  # then the process died

    while_held = run_weekly(demo_engine, settings, period=WEEK)
    with state_of(demo_engine).begin() as conn:
        conn.execute(
            sa.update(report_runs)
            .where(report_runs.c.id == crashed.id)
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )
    after_lease = run_weekly(demo_engine, settings, period=WEEK)

    assert while_held.status == "skipped" and "another run" in while_held.message
    assert after_lease.status == "delivered"
    assert len(slack_server.shared_files()) == 1


def test_without_a_token_the_report_is_written_and_the_run_says_why(
    demo_engine: Engine, settings: Settings
) -> None:
    with pytest.raises(SlackNotConfigured, match="SLACK_BOT_TOKEN is not set") as raised:
        run_weekly(demo_engine, settings, period=WEEK)

    run = RunLedger(state_of(demo_engine)).history()[0]
    assert run.status == "generated"
    assert run.file_path and Path(run.file_path).is_file()
    assert run.file_path in str(raised.value)


@pytest.mark.parametrize("kind", ["postgresql", "mariadb"])
def test_two_processes_at_the_same_moment_deliver_once(
    kind: str, slack_server: SlackServer, tmp_path: Path
) -> None:
    from conftest import server_url

    url = server_url(kind)
    settings = Settings(database_url=url, report_dir=tmp_path)
    from aiops_report.data.db import make_engine

    engine = make_engine(settings)
    fill_demo_data(engine, settings, weeks=2, per_day=15, now=SEOUL_NOW)
    engine.dispose()
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "REPORT_DIR": str(tmp_path),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": slack_server.api_url,
    }
    command = [sys.executable, "-m", "aiops_report", "run-weekly", "--week", "2026-11-18"]

    processes = [
        subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]

    assert [p.returncode for p in processes] == [0, 0], outputs
    assert len(slack_server.shared_files()) == 1
    assert sum("delivered to #ai-reports" in output for output in outputs) == 1


# --- weeks that are not over ------------------------------------------------------------------

TUESDAY = datetime(2026, 12, 1, 16, 47, tzinfo=SEOUL)


@pytest.mark.parametrize(
    ("day", "error", "message"),
    [
        (
            date(2026, 12, 3),
            WeekNotOver,
            "the week of 2026-11-30 is not over until 2026-12-07 00:00 KST: run-weekly delivers "
            "complete weeks; `generate --week` makes a week-to-date report",
        ),
        (
            date(2027, 1, 6),
            WeekNotStarted,
            "the week of 2027-01-04 has not started yet (it starts 2027-01-04 00:00 KST)",
        ),
    ],
    ids=["current", "future"],
)
def test_a_week_that_is_not_over_is_never_recorded(
    demo_engine: Engine,
    settings: Settings,
    slack_server: SlackServer,
    day: date,
    error: type[Exception],
    message: str,
) -> None:
    """Recording it as delivered would skip the real run next Monday."""
    settings = with_slack(settings, slack_server)
    with time_machine.travel(TUESDAY, tick=False), pytest.raises(error) as raised:
        run_weekly(demo_engine, settings, period=Period.week_of(day, SEOUL))

    assert str(raised.value) == message
    assert RunLedger(state_of(demo_engine)).history() == []
    assert slack_server.shared_files() == []


def test_a_week_to_date_is_posted_but_not_recorded(
    demo_engine: Engine, settings: Settings, slack_server: SlackServer
) -> None:
    settings = with_slack(settings, slack_server)
    with time_machine.travel(TUESDAY, tick=False):
        period = requested_week(settings, "2026-12-01")
        report, delivery = send_week_to_date(demo_engine, settings, period)
        monday = run_weekly(demo_engine, settings, period=WEEK)

    assert report.path.name == "weekly_report_2026_12_07_partial.pdf"
    assert report.numbers.period.partial
    [shared, _] = slack_server.shared_files()
    assert shared.filename == report.path.name and delivery.file_id == shared.id
    assert shared.initial_comment and "중간 집계" in shared.initial_comment  # partial, in Korean
    # Only the complete week that was delivered is in the ledger.
    assert [(r.period_start, r.status) for r in RunLedger(state_of(demo_engine)).history()] == [
        (monday.period.start, "delivered")
    ]


@pytest.mark.parametrize(
    ("fault", "raised"),
    [
        ({"error": "invalid_auth"}, SlackDeliveryError),
        ({"status": 500, "times": 3}, SlackDeliveryError),  # the first try and 2 retries
    ],
    ids=["refused", "down"],
)
def test_a_failure_at_the_channel_look_up_is_recorded_and_retried(
    demo_engine: Engine,
    settings: Settings,
    slack_server: SlackServer,
    fault: dict[str, object],
    raised: type[Exception],
) -> None:
    settings = with_slack(settings, slack_server)
    slack_server.fail("conversations.list", **fault)  # type: ignore[arg-type]

    with pytest.raises(raised):
        run_weekly(demo_engine, settings, period=WEEK)
    [failed] = RunLedger(state_of(demo_engine)).history()
    retried = run_weekly(demo_engine, settings, period=WEEK)

    assert failed.status == "failed" and failed.channel == "#ai-reports"
    assert failed.period_start == WEEK.start
    assert failed.error and "\n" not in failed.error
    assert retried.status == "delivered"
    assert len(slack_server.shared_files()) == 1
