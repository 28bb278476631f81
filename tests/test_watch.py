"""`watch`: the alert rules judged on yesterday and today so far, each alert posted once."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from aiops_report.data.config import Settings
from aiops_report.data.db import make_engine
from aiops_report.faces.cli import app
from aiops_report.watch import WatchOutcome, watch
from alert_days import FRIDAY, NOW, SATURDAY, load, steady_days
from slack_server import TOKEN, SlackServer


def with_slack(settings: Settings, slack: SlackServer) -> Settings:
    return settings.model_copy(
        update={"slack_bot_token": SecretStr(TOKEN), "slack_api_url": slack.api_url}
    )


def replicas_at_once(settings: Settings, count: int) -> list[WatchOutcome]:
    """`count` watches at the same instant, each with its own engine (as processes have)."""
    start = threading.Barrier(count)
    outcomes: list[WatchOutcome] = []

    def one_replica() -> None:
        engine = make_engine(settings)
        start.wait()
        outcomes.append(watch(engine, settings, now=NOW))
        engine.dispose()

    threads = [threading.Thread(target=one_replica) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_an_anomalous_day_is_posted_once_across_watches_and_replicas(
    engine: Engine, settings: Settings, slack_server: SlackServer
) -> None:
    settings = with_slack(settings, slack_server)
    load(engine, settings, steady_days(low_satisfaction=FRIDAY))

    outcomes = replicas_at_once(settings, 2)  # two replicas at 10:00
    later = watch(engine, settings, now=NOW + timedelta(hours=1))  # the next hour's watch

    for outcome in [*outcomes, later]:
        assert [(p.start, p.partial) for p in outcome.days] == [(FRIDAY, False), (SATURDAY, True)]
        assert [(a.rule.metric, a.day) for a in outcome.alerts] == [("satisfaction_rate", FRIDAY)]
        assert outcome.problems == []
    assert sorted(len(o.posted) for o in outcomes) == [0, 1]
    assert later.posted == []
    [message] = slack_server.messages
    assert message["channel"] == "C0AIREPORTS"
    [alert] = later.alerts
    text = message["text"]
    assert "*알림: 만족도 이상 징후* · 2026-11-20 (금)" in text
    assert "만족도: *20.0%* (관측 25건)" in text
    assert f"기준선: {alert.baseline_median * 100:.1f}%" in text
    assert f"robust z = {alert.robust_z:.1f} ▼" in text
    for conversation in alert.worst:
        assert f"#{conversation.conversation_id}" in text
        assert f"틀린 답 {conversation.conversation_id}" in text


def test_a_normal_day_posts_nothing(
    engine: Engine, settings: Settings, slack_server: SlackServer
) -> None:
    settings = with_slack(settings, slack_server)
    load(engine, settings, steady_days())
    outcome = watch(engine, settings, now=NOW)
    assert (outcome.alerts, outcome.posted, slack_server.messages) == ([], [], [])


def test_a_threshold_rule_with_too_few_observations_posts_nothing(
    engine: Engine, settings: Settings, slack_server: SlackServer, tmp_path: Path
) -> None:
    rules = tmp_path / "alerts.toml"
    rules.write_text(
        '[[rule]]\nname = "느린 응답"\nmetric = "latency_p95_ms"\nwhen = "above"\n'
        "value = 300\nmin_observations = 50\n",
        encoding="utf-8",
    )
    settings = with_slack(settings, slack_server).model_copy(update={"alerts_file": rules})
    load(engine, settings, steady_days())
    # Friday's 40-44 conversations have latencies above 300 ms, but fewer than 50.
    outcome = watch(engine, settings, now=NOW)
    assert (outcome.alerts, slack_server.messages) == ([], [])


def test_a_failed_post_is_tried_again_by_the_next_watch(
    engine: Engine, settings: Settings, slack_server: SlackServer
) -> None:
    settings = with_slack(settings, slack_server)
    load(engine, settings, steady_days(low_satisfaction=FRIDAY))
    slack_server.fail("chat.postMessage", error="internal_error", times=1)

    failed = watch(engine, settings, now=NOW)
    retried = watch(engine, settings, now=NOW + timedelta(hours=1))

    [problem] = failed.problems
    assert "not sent to #ai-reports" in problem and failed.posted == []
    assert len(retried.posted) == 1 and retried.problems == []
    assert len(slack_server.messages) == 1


def test_the_next_day_starts_fresh_and_a_stopped_alert_posts_nothing(
    engine: Engine, settings: Settings, slack_server: SlackServer
) -> None:
    settings = with_slack(settings, slack_server)
    load(engine, settings, steady_days(busy_morning=SATURDAY))
    morning = watch(engine, settings, now=NOW)  # Saturday so far: busy
    assert [(a.rule.metric, a.day) for a in morning.alerts] == [("conversations", SATURDAY)]
    evening = watch(engine, settings, now=NOW.replace(hour=23))  # the whole day: 100, still high
    sunday = watch(engine, settings, now=NOW + timedelta(days=1))  # Saturday is yesterday now
    assert len(slack_server.messages) == 1
    assert evening.posted == [] and sunday.posted == []
    assert "오늘 10:00까지" in slack_server.messages[0]["text"]


def test_watch_once_from_the_command_line(
    engine: Engine, settings: Settings, slack_server: SlackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(engine, settings, steady_days(low_satisfaction=FRIDAY))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_API_URL", slack_server.api_url)
    runner = CliRunner()
    with time_machine.travel(NOW, tick=False):
        result = runner.invoke(app, ["watch", "--once"])
        again = runner.invoke(app, ["watch", "--day", "2026-11-20"])
        future = runner.invoke(app, ["watch", "--day", "2026-11-22"])
    assert result.exit_code == 0, result.output
    assert "judged 2026-11-20, 2026-11-21 (until 10:00): 1 alert(s) fire" in result.stdout
    assert "'satisfaction rate anomaly': satisfaction_rate of 2026-11-20 (posted)" in result.stdout
    assert "(already posted or not posted)" in again.stdout and again.exit_code == 0
    assert len(slack_server.messages) == 1
    assert future.exit_code == 1
    assert future.stderr.strip() == (
        "error: --day 2026-11-22 has not started yet (today is 2026-11-21 in Asia/Seoul)"
    )


def test_a_bad_alerts_file_stops_watch_with_one_line(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "alerts.toml"
    rules.write_text('[[rule]]\nname = "x"\nmetric = "avg_score"\nwhen = "below"\n')
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ALERTS_FILE", str(rules))
    result = CliRunner().invoke(app, ["watch", "--once"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f'error: ALERTS_FILE {rules}: rule 1: when = "below" needs a value, e.g. value = 3000'
    )


def test_without_a_slack_token_watch_prints_the_alerts_and_records_nothing(
    engine: Engine, settings: Settings, slack_server: SlackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(engine, settings, steady_days(low_satisfaction=FRIDAY))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    with time_machine.travel(NOW, tick=False):
        result = CliRunner().invoke(app, ["watch", "--once"])
    assert result.exit_code == 1
    assert "satisfaction_rate of 2026-11-20" in result.stdout
    assert result.stderr.strip() == (
        "error: SLACK_BOT_TOKEN is not set: the alerts are not posted to Slack"
    )
    # Nothing was recorded as posted: with a token, the next watch posts it.
    assert len(watch(engine, with_slack(settings, slack_server), now=NOW).posted) == 1
