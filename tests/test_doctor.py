"""`doctor` checks each destination of DELIVERY_FILE without sending anything, the alert rules,
and the values of a mapped segment column."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.engine import Engine

from aiops_report.data.config import Settings, load_settings
from aiops_report.doctor import (
    alert_findings,
    database_findings,
    delivery_findings,
    schedule_findings,
)
from aiops_report.texts.doctor import Finding
from chatbot_tables import Rows, create_tables, insert, update_rows
from mail_server import MailServer
from slack_server import TOKEN, SlackServer
from webhook_server import SECRET, WebhookServer, webhook_server_fixture  # noqa: F401

PASSWORD = "smtp-pa55"


def test_each_destination_is_checked_and_nothing_sent(
    tmp_path: Path, slack_server: SlackServer, webhook_server: WebhookServer
) -> None:
    routes = tmp_path / "routes.toml"
    routes.write_text(
        '[[route]]\nslack = ["#ai-reports", "#alerts"]\nemail = ["ops-lead@example.com"]\n'
        f'webhook = "{webhook_server.url}/ai?token=t0k"\n'
        '[[route]]\nslack = ["#town-square"]\n',
        encoding="utf-8",
    )
    with MailServer(users={"reports": PASSWORD}) as mail:
        settings = load_settings(
            delivery_file=routes,
            slack_bot_token=SecretStr(TOKEN),
            slack_api_url=slack_server.api_url,
            smtp_url=SecretStr(f"smtp://reports:{PASSWORD}@127.0.0.1:{mail.port}"),
            email_from="aiops-report@example.com",
            webhook_secret=SecretStr(SECRET),
        )
        found = delivery_findings(settings)
        findings = [(f.level, f.line("en")) for f in found]

    assert [f.line("ko") for f in found][:2] == [
        f"DELIVERY_FILE {routes}: 받는 곳 5개",
        "Slack 토큰 정상: 팀 Acme Korea, 봇 @aiops-report",
    ]
    assert [f.line("ko") for f in found][7:9] == [
        f"email:ops-lead@example.com: SMTP 서버 smtp://127.0.0.1:{mail.port} 응답 (TLS 없음, "
        "reports(으)로 로그인); 보내는 주소 aiops-report@example.com",
        f"webhook:{webhook_server.url}/ai: WEBHOOK_SECRET으로 서명함 (호출하지 않음)",
    ]
    assert findings == [
        ("ok", f"DELIVERY_FILE {routes}: 5 destinations"),
        ("ok", "Slack token works: team Acme Korea, bot @aiops-report"),
        ("ok", "Slack scopes: files:write, files:read, chat:write, channels:read, groups:read"),
        ("ok", "Slack #ai-reports has the ID C0AIREPORTS"),
        ("ok", "the bot is a member of #ai-reports"),
        ("ok", "Slack #alerts has the ID C0ALERTS001"),
        ("ok", "the bot is a member of #alerts"),
        (
            "ok",
            f"email:ops-lead@example.com: SMTP server smtp://127.0.0.1:{mail.port} answers "
            "(no TLS, logged in as reports); mail comes from aiops-report@example.com",
        ),
        ("ok", f"webhook:{webhook_server.url}/ai: signed with WEBHOOK_SECRET (not called)"),
        ("ok", "Slack #town-square has the ID C0TOWNSQR01"),
        ("error", "the bot is not in #town-square: invite it with /invite @aiops-report"),
    ]
    assert mail.logins == ["reports"] and mail.messages == []
    assert webhook_server.received == webhook_server.rejected == []
    assert slack_server.shared_files() == [] and slack_server.messages == []


def test_a_bad_file_or_missing_settings_are_errors(tmp_path: Path) -> None:
    routes = tmp_path / "routes.toml"
    routes.write_text('[[route]]\nemail = ["a@example.com"]\nwebhook = "https://h.example/x"\n')

    settings = load_settings(delivery_file=routes)

    findings = [(f.level, f.line("en")) for f in delivery_findings(settings)]
    routes.write_text("[[route]]\nslack = []\n")
    broken = delivery_findings(settings)

    assert findings[1:] == [
        ("error", "email:a@example.com: SMTP_URL is not set: email routes need an SMTP server"),
        (
            "error",
            "webhook:https://h.example/x: WEBHOOK_SECRET is not set: webhook routes are "
            "signed with it",
        ),
    ]
    assert [(f.level, f.line("en")) for f in broken] == [
        ("error", f"DELIVERY_FILE {routes}: route 1: a route needs slack, email or webhook")
    ]


def test_the_alert_rules_and_the_watch_schedule_are_checked(tmp_path: Path) -> None:
    rules = tmp_path / "alerts.toml"
    rules.write_text(
        '[[rule]]\nname = "만족도 급락"\nmetric = "satisfaction_rate"\nwhen = "anomaly"\n'
        '[[rule]]\nname = "느린 응답"\nmetric = "latency_p95_ms"\nwhen = "above"\nvalue = 3000\n',
        encoding="utf-8",
    )
    broken = tmp_path / "broken.toml"
    broken.write_text('[[rule]]\nname = "x"\nmetric = "satisfaction_rate"\nwhen = "below"\n')

    def found(**settings: object) -> list[tuple[str, str]]:
        return [(f.level, f.line("en")) for f in alert_findings(load_settings(**settings))]

    assert found() == []  # the built-in rules and the default schedule need no word
    assert found(alerts_file=rules) == [
        ("ok", f"ALERTS_FILE {rules}: 2 rules (만족도 급락, 느린 응답)")
    ]
    [(level, message)] = found(alerts_file=broken)
    assert level == "error" and message.startswith(f"ALERTS_FILE {broken}: rule 1")
    [(level, message)] = [
        (f.level, f.line("en"))
        for f in schedule_findings(load_settings(watch_schedule="every hour"), datetime.now(UTC))
    ]
    assert level == "error" and message.startswith("invalid setting: WATCH_SCHEDULE 'every hour'")


SEGMENTS = {"shop-bot": 6, "help-bot": 4, "Shop-Bot": 3, "a": 2, "b": 1, "c": 1, "d": 1, None: 2}


def test_a_mapped_segment_column_is_counted_over_the_last_weeks(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    schema_file = tmp_path / "schema.toml"
    schema_file.write_text('[conversations]\nsegment = "bot"\n', encoding="utf-8")
    segmented = settings.model_copy(update={"schema_file": schema_file})
    create_tables(engine, segmented, style="naive", minimal=False, segment="bot")
    now = datetime.now(settings.report_zone)
    bots = [bot for bot, count in SEGMENTS.items() for _ in range(count)]
    rows = Rows()
    rows.conversations = [
        {"id": n, "bot": bot, "created_at": now - timedelta(days=1 + n % 20)}
        for n, bot in enumerate(bots, start=1)
    ]
    rows.conversations.append({"id": 99, "bot": "old-bot", "created_at": now - timedelta(weeks=9)})
    insert(engine, segmented, rows, style="naive")

    def segment_finding() -> Finding:
        [found] = [f for f in database_findings(engine, segmented) if "segment" in f.key]
        return found

    counted = segment_finding()
    with engine.begin() as conn:
        update_rows(conn, segmented.conversation_table, "bot = NULL")
    empty = segment_finding()
    schema_file.write_text('[conversations]\nsegment = "tenant"\n', encoding="utf-8")
    unmapped = database_findings(engine, segmented)

    assert counted.level == "ok"
    assert counted.line("en") == (
        "segment column conversation_log.bot: 7 values in the last 8 weeks: 'shop-bot' ×6; "
        "'help-bot' ×4; 'Shop-Bot' ×3; 'a' ×2; 'b' ×1; 2 more values; no segment ×2"
    )
    assert counted.line("ko") == (
        "세그먼트 열 conversation_log.bot: 최근 8주의 값 7개: 'shop-bot' ×6; 'help-bot' ×4; "
        "'Shop-Bot' ×3; 'a' ×2; 'b' ×1; 그 밖의 값 2개; 세그먼트 없음 ×2"
    )
    assert (empty.level, empty.line("en")) == (
        "warn",
        "segment column conversation_log.bot: none of the 20 conversations of the last 8 weeks "
        "has a value (all NULL): reports by segment would show only (unknown)",
    )
    assert (unmapped[-1].level, unmapped[-1].line("en")) == (
        "error",
        "SCHEMA_FILE [conversations] segment = 'tenant', but table 'conversation_log' has no "
        "such column (its columns: id, user_id, user_message, ai_response, model, latency_ms, "
        "prompt_tokens, completion_tokens, bot, created_at)",
    )
