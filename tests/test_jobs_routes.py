"""run-weekly with DELIVERY_FILE: each destination of each route gets the week once, a failed
one is retried on its own, and the others are never sent twice."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from aiops_report.data.config import Settings
from aiops_report.data.demo import fill_demo_data
from aiops_report.data.periods import Period
from aiops_report.delivery.runs import RunLedger
from aiops_report.errors import DeliveryFailed
from aiops_report.jobs import run_weekly
from chatbot_tables import state_of, update_rows
from mail_server import MailServer, mail_server_fixture  # noqa: F401  (the `mail_server` fixture)
from slack_server import TOKEN, SlackServer
from webhook_server import SECRET, WebhookServer, webhook_server_fixture  # noqa: F401

SEOUL = ZoneInfo("Asia/Seoul")
SEOUL_NOW = datetime(2026, 11, 26, 10, tzinfo=SEOUL)
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)


@pytest.fixture
def demo_engine(engine: Engine, settings: Settings) -> Engine:
    fill_demo_data(engine, settings, weeks=2, per_day=15, now=SEOUL_NOW)
    return engine


def routed(
    settings: Settings,
    tmp_path: Path,
    slack: SlackServer,
    mail: MailServer,
    hook: WebhookServer,
) -> Settings:
    """Settings with a DELIVERY_FILE of one route: two channels, an address and a webhook
    whose URL carries a token in its query (sent, never shown)."""
    routes = tmp_path / "routes.toml"
    routes.write_text(
        "[[route]]\n"
        'slack = ["#ai-reports", "#alerts"]\n'
        'email = ["ops-lead@example.com"]\n'
        f'webhook = "{hook.url}/ai?token=query-secret"\n'
        "alerts = true\n",
        encoding="utf-8",
    )
    return settings.model_copy(
        update={
            "delivery_file": routes,
            "slack_bot_token": SecretStr(TOKEN),
            "slack_api_url": slack.api_url,
            "smtp_url": SecretStr(mail.url),
            "email_from": "aiops-report@example.com",
            "webhook_secret": SecretStr(SECRET),
        }
    )


def test_each_destination_once_and_a_failed_one_retried_alone(
    demo_engine: Engine,
    settings: Settings,
    tmp_path: Path,
    slack_server: SlackServer,
    mail_server: MailServer,
    webhook_server: WebhookServer,
) -> None:
    settings = routed(settings, tmp_path, slack_server, mail_server, webhook_server)
    webhook_server.fail(500)

    with pytest.raises(DeliveryFailed) as failed:
        run_weekly(demo_engine, settings, period=WEEK)
    ledger = {run.channel: run for run in RunLedger(state_of(demo_engine)).history()}
    webhook_key = f"webhook:{webhook_server.url}/ai"
    pdf = Path(ledger["email:ops-lead@example.com"].file_path or "")

    message = str(failed.value)
    assert f"1 of 4 destinations failed, to be retried by the next run — {webhook_key}" in message
    assert "HTTP 500" in message and "query-secret" not in message
    assert {key: run.status for key, run in ledger.items()} == {
        "C0AIREPORTS": "delivered",  # Slack channels by their ID
        "C0ALERTS001": "delivered",
        "email:ops-lead@example.com": "delivered",
        webhook_key: "failed",
    }
    shared = slack_server.shared_files()
    assert sorted(f.channel_id or "" for f in shared) == ["C0AIREPORTS", "C0ALERTS001"]
    assert all(f.data == pdf.read_bytes() for f in shared)
    [mail] = mail_server.messages
    assert mail_server.recipients == [["ops-lead@example.com"]]
    attachments = {part.get_filename(): part for part in mail.iter_attachments()}
    assert attachments[pdf.name].get_content() == pdf.read_bytes()
    assert sorted(attachments) == sorted(
        [
            pdf.name,
            *(f"{pdf.stem}_{t}.csv" for t in ("daily", "by_model", "lowest_scored", "disliked")),
        ]
    )
    body = mail.get_body(("plain",))
    assert body is not None and "2026-11-16" in body.get_content()
    assert webhook_server.received == []

    retried = run_weekly(demo_engine, settings, period=WEEK)

    assert retried.status == "delivered"
    assert [o.status for o in retried.destinations] == ["skipped"] * 3 + ["delivered"]
    assert len(slack_server.shared_files()) == 2 and len(mail_server.messages) == 1
    [received] = webhook_server.received
    assert received.path == "/ai?token=query-secret"
    assert received.document == json.loads(pdf.with_suffix(".json").read_text("utf-8"))
    assert received.headers["x-report-week"] == "2026-11-16"
    after = {
        run.channel: (run.status, run.attempts)
        for run in RunLedger(state_of(demo_engine)).history()
    }
    assert after == {key: ("delivered", 2 if key == webhook_key else 1) for key in ledger}

    again = run_weekly(demo_engine, settings, period=WEEK)

    assert again.status == "skipped"
    assert len(slack_server.shared_files()) == 2
    assert len(mail_server.messages) == 1 and len(webhook_server.received) == 1


def test_a_report_that_cannot_be_built_fails_every_destination_in_one_line(
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    slack_server: SlackServer,
    mail_server: MailServer,
    webhook_server: WebhookServer,
) -> None:
    """No chatbot tables: the build fails once, each destination is recorded as failed."""
    settings = routed(settings, tmp_path, slack_server, mail_server, webhook_server)

    with pytest.raises(DeliveryFailed) as failed:
        run_weekly(engine, settings, period=WEEK)

    message = str(failed.value)
    assert message.startswith(
        "4 of 4 destinations failed, to be retried by the next run — #ai-reports, #alerts, "
        f"email:ops-lead@example.com, webhook:{webhook_server.url}/ai: "
    )
    assert "conversation_log" in message and "\n" not in message and "done:" not in message
    assert {run.status for run in RunLedger(state_of(engine)).history()} == {"failed"}
    assert not [call for call in slack_server.calls if not call.startswith("conversations.")]
    assert mail_server.messages == []
    assert webhook_server.received == webhook_server.rejected == []


def test_an_unexpected_error_in_one_destination_is_recorded_and_stops_no_other(
    demo_engine: Engine,
    settings: Settings,
    tmp_path: Path,
    slack_server: SlackServer,
    mail_server: MailServer,
    webhook_server: WebhookServer,
) -> None:
    """A folder where the email's CSV table goes: an OSError no module names."""
    settings = routed(settings, tmp_path, slack_server, mail_server, webhook_server)
    (settings.report_dir / "weekly_report_2026_11_23_daily.csv").mkdir(parents=True)

    with pytest.raises(DeliveryFailed, match=r"1 of 4 .* email:ops-lead@example.com: IsADir"):
        run_weekly(demo_engine, settings, period=WEEK)

    ledger = {run.channel: run for run in RunLedger(state_of(demo_engine)).history()}
    assert ledger["email:ops-lead@example.com"].status == "failed"
    assert len(slack_server.shared_files()) == 2 and len(webhook_server.received) == 1
    assert mail_server.messages == []


def test_without_a_delivery_file_slack_channel_alone_gets_it(
    demo_engine: Engine, settings: Settings, slack_server: SlackServer
) -> None:
    settings = settings.model_copy(
        update={"slack_bot_token": SecretStr(TOKEN), "slack_api_url": slack_server.api_url}
    )

    outcome = run_weekly(demo_engine, settings, period=WEEK)

    assert outcome.destinations == ()
    assert [f.channel_id for f in slack_server.shared_files()] == ["C0AIREPORTS"]
    assert [run.channel for run in RunLedger(state_of(demo_engine)).history()] == ["C0AIREPORTS"]


def test_a_segment_route_gets_that_segments_report(
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    slack_server: SlackServer,
    mail_server: MailServer,
) -> None:
    """One channel gets the whole report and the segment's in the same week, each once."""
    schema_file = tmp_path / "schema.toml"
    schema_file.write_text('[conversations]\nsegment = "bot"\n', encoding="utf-8")
    routes = tmp_path / "routes.toml"
    routes.write_text(
        '[[route]]\nslack = ["#ai-reports"]\n'
        '[[route]]\nsegment = "shop-bot"\nslack = ["#ai-reports"]\nemail = ["shop@example.com"]\n',
        encoding="utf-8",
    )
    settings = settings.model_copy(
        update={
            "schema_file": schema_file,
            "delivery_file": routes,
            "slack_bot_token": SecretStr(TOKEN),
            "slack_api_url": slack_server.api_url,
            "smtp_url": SecretStr(mail_server.url),
            "email_from": "aiops-report@example.com",
        }
    )
    fill_demo_data(engine, settings, weeks=2, per_day=15, now=SEOUL_NOW)
    with engine.begin() as conn:
        update_rows(conn, "conversation_log", "bot = CASE WHEN id % 3 = 0 THEN 'shop-bot' END")
        start, end = (WEEK.start_at.astimezone(UTC).replace(tzinfo=None), WEEK.end_at)
        shop_conversations = conn.execute(
            sa.text(
                "SELECT count(*) FROM conversation_log "
                "WHERE bot = 'shop-bot' AND created_at >= :start AND created_at < :end"
            ),
            {"start": start, "end": end.astimezone(UTC).replace(tzinfo=None)},
        ).scalar_one()

    outcome = run_weekly(engine, settings, period=WEEK)

    ledger = {run.channel: run for run in RunLedger(state_of(engine)).history()}
    assert {key: run.status for key, run in ledger.items()} == {
        "C0AIREPORTS": "delivered",
        "C0AIREPORTS [shop-bot]": "delivered",
        "email:shop@example.com [shop-bot]": "delivered",
    }
    whole = Path(ledger["C0AIREPORTS"].file_path or "")
    shop = Path(ledger["C0AIREPORTS [shop-bot]"].file_path or "")
    assert shop.name == "weekly_report_2026_11_23_segment_shop-bot.pdf" and whole != shop
    assert Path(ledger["email:shop@example.com [shop-bot]"].file_path or "") == shop
    shop_numbers = json.loads(shop.with_suffix(".json").read_text("utf-8"))
    whole_numbers = json.loads(whole.with_suffix(".json").read_text("utf-8"))
    assert shop_numbers["segment"] == "shop-bot" and whole_numbers["segment"] is None
    assert shop_numbers["current"]["conversations"] == shop_conversations > 0
    assert whole_numbers["current"]["conversations"] > shop_conversations
    by_segment = {s["segment"]: s for s in whole_numbers["by_segment"]}
    assert by_segment["shop-bot"]["conversations"] == shop_conversations
    shared = slack_server.shared_files()
    assert sorted(f.data for f in shared) == sorted([whole.read_bytes(), shop.read_bytes()])
    assert {f.channel_id for f in shared} == {"C0AIREPORTS"}
    [mail] = mail_server.messages
    assert next(part.get_filename() for part in mail.iter_attachments()) == shop.name
    assert outcome.status == "delivered"

    again = run_weekly(engine, settings, period=WEEK)

    assert again.status == "skipped"
    assert len(slack_server.shared_files()) == 2 and len(mail_server.messages) == 1
