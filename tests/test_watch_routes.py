"""`watch` with DELIVERY_FILE: each alert goes once to every destination of the routes marked
`alerts = true` (Slack, email, webhook), a failed one is retried alone, and a segment's route
gets the alerts of its segment's rows."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from aiops_report.data.config import Settings
from aiops_report.delivery import email, webhook
from aiops_report.watch import watch
from alert_days import FRIDAY, NOW, load, steady_days
from chatbot_tables import Rows
from mail_server import MailServer, mail_server_fixture  # noqa: F401  (the `mail_server` fixture)
from silent_server import SilentServer
from slack_server import TOKEN, SlackServer
from webhook_server import SECRET, WebhookServer, webhook_server_fixture  # noqa: F401

HELP_BOT_IDS = 1_000_000  # where the second bot's ids start


def with_routes(
    settings: Settings, tmp_path: Path, routes: str, slack: SlackServer, **more: object
) -> Settings:
    """Settings with `routes` as DELIVERY_FILE, Slack at `slack`, and `more`."""
    path = tmp_path / "routes.toml"
    path.write_text(routes, encoding="utf-8")
    return settings.model_copy(
        update={
            "delivery_file": path,
            "slack_bot_token": SecretStr(TOKEN),
            "slack_api_url": slack.api_url,
            **more,
        }
    )


def test_an_alert_reaches_every_destination_once_and_a_failed_one_is_retried_alone(
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    slack_server: SlackServer,
    mail_server: MailServer,
    webhook_server: WebhookServer,
) -> None:
    routes = (
        '[[route]]\nslack = ["#ai-reports"]\nemail = ["ops-lead@example.com"]\n'
        f'webhook = "{webhook_server.url}/alerts?token=query-secret"\nalerts = true\n'
        '[[route]]\nslack = ["#general"]\n'  # the weekly report only
    )
    settings = with_routes(
        settings,
        tmp_path,
        routes,
        slack_server,
        smtp_url=SecretStr(mail_server.url),
        email_from="aiops-report@example.com",
        webhook_secret=SecretStr(SECRET),
    )
    load(engine, settings, steady_days(low_satisfaction=FRIDAY))
    mail_server.refuse_next = 1
    webhook_server.fail(500)

    failed = watch(engine, settings, now=NOW)
    retried = watch(engine, settings, now=NOW + timedelta(hours=1))
    again = watch(engine, settings, now=NOW + timedelta(hours=2))

    hook = f"webhook:{webhook_server.url}/alerts"
    assert [where for _, where in failed.posted] == ["#ai-reports"]
    [mail_problem, hook_problem] = failed.problems
    assert "not sent to email:ops-lead@example.com" in mail_problem and "451" in mail_problem
    assert f"not sent to {hook}: " in hook_problem and "HTTP 500" in hook_problem
    assert "query-secret" not in hook_problem
    assert [where for _, where in retried.posted] == ["email:ops-lead@example.com", hook]
    assert retried.problems == [] and again.posted == [] and again.problems == []

    [alert] = again.alerts
    worst = [f"#{c.conversation_id}" for c in alert.worst]
    assert len(worst) == 3
    [message] = slack_server.messages
    assert message["channel"] == "C0AIREPORTS"

    [mail] = mail_server.messages
    assert mail_server.recipients == [["ops-lead@example.com"]]
    assert mail["Subject"] == "알림: 만족도 이상 징후 · 2026-11-20 (금)"
    body = mail.get_content()
    assert "• 만족도: 20.0% (관측 25건)" in body and "*" not in body
    assert f"기준선: {alert.baseline_median * 100:.1f}%" in body
    assert f"robust z = {alert.robust_z:.1f} ▼ (±3.5를 넘으면 이상)" in body
    assert all(f"{number}. {conversation}" in body for number, conversation in enumerate(worst, 1))

    [received] = webhook_server.received  # its signature checked by the receiver
    assert webhook_server.rejected == []
    assert received.path == "/alerts?token=query-secret"
    assert received.headers["x-alert-id"] == f"2026-11-20:{alert.rule.key}"
    document = received.document
    assert document["id"] == f"2026-11-20:{alert.rule.key}"
    assert document["name"] == "만족도 이상 징후" and document["segment"] is None
    assert document["rule"]["metric"] == document["metric"] == "satisfaction_rate"
    assert (document["day"], document["through"]) == ("2026-11-20", None)
    assert (document["value"], document["observations"]) == (0.2, 25)
    assert document["baseline_median"] == alert.baseline_median
    assert document["robust_z"] == alert.robust_z and document["robust_z_limit"] == 3.5
    assert [f"#{c['conversation_id']}" for c in document["worst"]] == worst
    assert all(c["created_at"].endswith("+09:00") for c in document["worst"])  # REPORT_TIMEZONE
    assert document["text"] == body.rstrip("\n")


def test_a_destination_without_its_settings_does_not_hold_up_the_others(
    engine: Engine, settings: Settings, tmp_path: Path, slack_server: SlackServer
) -> None:
    routes = '[[route]]\nemail = ["ops-lead@example.com"]\nslack = ["#ai-reports"]\nalerts = true\n'
    settings = with_routes(settings, tmp_path, routes, slack_server)  # no SMTP_URL
    load(engine, settings, steady_days(low_satisfaction=FRIDAY))

    outcome = watch(engine, settings, now=NOW)

    assert outcome.problems == [
        "SMTP_URL is not set: email routes need an SMTP server: "
        "the alerts are not sent to email:ops-lead@example.com"
    ]
    assert [where for _, where in outcome.posted] == ["#ai-reports"]
    assert len(slack_server.messages) == 1


def two_bots() -> Rows:
    """Nine steady weeks of two bots; shop-bot's satisfaction drops on FRIDAY, help-bot's not."""
    shop = steady_days(low_satisfaction=FRIDAY, bot="shop-bot")
    help_bot = steady_days(bot="help-bot", first_id=HELP_BOT_IDS)
    return Rows(
        shop.conversations + help_bot.conversations,
        shop.feedback + help_bot.feedback,
        shop.evaluations + help_bot.evaluations,
    )


def test_a_segments_route_gets_the_alerts_of_its_segment_only(
    engine: Engine, settings: Settings, tmp_path: Path, slack_server: SlackServer
) -> None:
    schema_file = tmp_path / "schema.toml"
    schema_file.write_text('[conversations]\nsegment = "bot"\n', encoding="utf-8")
    routes = (
        '[[route]]\nsegment = "shop-bot"\nslack = ["#ai-reports"]\nalerts = true\n'
        '[[route]]\nsegment = "help-bot"\nslack = ["#alerts"]\nalerts = true\n'
    )
    settings = with_routes(settings, tmp_path, routes, slack_server, schema_file=schema_file)
    load(engine, settings, two_bots(), segment="bot")

    outcome = watch(engine, settings, now=NOW)
    again = watch(engine, settings, now=NOW + timedelta(hours=1))

    [alert] = outcome.alerts
    assert (alert.rule.metric, alert.day) == ("satisfaction_rate", FRIDAY)
    assert alert.segment == "shop-bot"
    assert alert.observations == 25  # the segment's thumbs, not both bots' 50
    assert alert.worst and all(c.conversation_id < HELP_BOT_IDS for c in alert.worst)
    assert outcome.posted == [(alert, "#ai-reports [shop-bot]")] and outcome.problems == []
    assert again.posted == [] and [a.segment for a in again.alerts] == ["shop-bot"]
    [message] = slack_server.messages  # none to help-bot's #alerts
    assert message["channel"] == "C0AIREPORTS"
    assert "*알림: 만족도 이상 징후 · shop-bot* · 2026-11-20 (금)" in message["text"]


def test_a_segment_without_a_segment_column_is_a_problem_of_its_route_only(
    engine: Engine, settings: Settings, tmp_path: Path, slack_server: SlackServer
) -> None:
    routes = (
        '[[route]]\nslack = ["#ai-reports"]\nalerts = true\n'
        '[[route]]\nsegment = "shop-bot"\nslack = ["#alerts"]\nalerts = true\n'
    )
    settings = with_routes(settings, tmp_path, routes, slack_server)  # no SCHEMA_FILE segment
    load(engine, settings, steady_days(low_satisfaction=FRIDAY))

    outcome = watch(engine, settings, now=NOW)

    [problem] = outcome.problems
    assert problem.startswith("the alerts of segment 'shop-bot' are not judged: no segment column")
    assert [where for _, where in outcome.posted] == ["#ai-reports"]


def test_a_destination_that_hangs_is_waited_for_once_per_watch(
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    slack_server: SlackServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The SMTP server's and the webhook's stand-ins accept and never answer; each is waited
    # for 1 s (their timeouts shortened from 30 s and 20 s, so that the test is quick).
    monkeypatch.setattr(email, "TIMEOUT", 1)
    monkeypatch.setattr(webhook, "TIMEOUT", 1)
    with SilentServer() as smtp, SilentServer() as hook:
        routes = (
            '[[route]]\nslack = ["#ai-reports"]\nemail = ["ops-lead@example.com"]\n'
            f'webhook = "http://127.0.0.1:{hook.port}/alerts"\nalerts = true\n'
        )
        settings = with_routes(
            settings,
            tmp_path,
            routes,
            slack_server,
            smtp_url=SecretStr(f"smtp://127.0.0.1:{smtp.port}"),
            email_from="aiops-report@example.com",
            webhook_secret=SecretStr(SECRET),
        )
        load(engine, settings, steady_days(low_satisfaction=FRIDAY, busy_morning=FRIDAY))

        started = time.monotonic()
        first = watch(engine, settings, now=NOW)
        took = time.monotonic() - started
        waited_once = (smtp.connections, hook.connections)
        second = watch(engine, settings, now=NOW + timedelta(hours=1))
        waited_again = (smtp.connections, hook.connections)

    assert len(first.alerts) >= 2
    assert [where for _, where in first.posted] == ["#ai-reports"] * len(first.alerts)
    assert waited_once == (1, 1)  # one wait each, not one per alert
    assert took < 2 + 5, took
    [mail_problem, hook_problem] = first.problems
    assert f"127.0.0.1:{smtp.port}: no answer within 1 s" in mail_problem
    assert "did not answer within 1 s" in hook_problem
    assert mail_problem.endswith("its other alerts wait for the next watch")
    assert waited_again == (2, 2)  # the next watch tries them again
    assert second.posted == []
