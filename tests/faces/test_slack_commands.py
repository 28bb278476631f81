"""The slash command and the button, as Slack sends them: signed requests to POST /slack/events."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier

from aiops_report.data.config import Settings
from aiops_report.data.db import make_engine
from aiops_report.data.demo import fill_demo_data
from aiops_report.data.periods import Period
from aiops_report.delivery.runs import RunLedger
from aiops_report.delivery.slack import ACTION_ID, report_button_blocks
from aiops_report.faces.service import create_app
from aiops_report.jobs import default_week
from chatbot_tables import state_of
from conftest import sqlite_url
from slack_server import TOKEN, SlackServer

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
GENERAL = "C0GENERAL01"
HOOK = "https://hooks.slack.com/commands/T0ACME0001/1/abc"  # not called by the tests using it


@pytest.fixture
def slack_settings(settings: Settings, slack_server: SlackServer) -> Settings:
    """Settings with Slack pointed at the local server, on a database with demo data."""
    settings = settings.model_copy(
        update={
            "slack_bot_token": SecretStr(TOKEN),
            "slack_signing_secret": SecretStr(SIGNING_SECRET),
            "slack_api_url": slack_server.api_url,
            "report_language": "en",
        }
    )
    engine = make_engine(settings)
    fill_demo_data(engine, settings, weeks=2, per_day=20)
    engine.dispose()
    return settings


def signed(body: str, *, secret: str = SIGNING_SECRET, age: int = 0) -> dict[str, str]:
    """Slack's headers for `body`, signed `age` seconds ago."""
    timestamp = str(int(time.time()) - age)
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature or "",
    }


def slash_command(text: str = "", channel: str = GENERAL, response_url: str = HOOK) -> str:
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": "T0ACME0001",
            "team_domain": "acme-kr",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": "U0ALICE001",
            "user_name": "alice",
            "command": "/ai-report",
            "text": text,
            "api_app_id": "A0AIOPS001",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )


def button_click(element: dict[str, object], channel: str, response_url: str = HOOK) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0ACME0001", "domain": "acme-kr"},
        "user": {"id": "U0ALICE001", "username": "alice", "team_id": "T0ACME0001"},
        "api_app_id": "A0AIOPS001",
        "container": {"type": "message", "message_ts": "1700000001.000100", "channel_id": channel},
        "channel": {"id": channel, "name": "random"},
        "trigger_id": "1.2.3",
        "response_url": response_url,
        "actions": [{**element, "block_id": "report", "action_ts": "1700000002.000100"}],
    }
    return urlencode({"payload": json.dumps(payload)})


def post(settings: Settings, body: str, headers: dict[str, str]) -> tuple[int, str, float]:
    """POST /slack/events; (status, body, seconds to the answer). Leaving waits for the reports."""
    engine = make_engine(settings)
    with TestClient(create_app(settings, engine)) as client:
        started = time.perf_counter()
        response = client.post("/slack/events", content=body, headers=headers)
        took = time.perf_counter() - started
    engine.dispose()
    return response.status_code, response.text, took


def test_a_signed_slash_command_is_acknowledged_at_once_and_reports_to_its_channel(
    slack_settings: Settings, slack_server: SlackServer
) -> None:
    status, text, took = post(slack_settings, slash_command(), signed(slash_command()))
    week = default_week(slack_settings)
    assert status == 200 and took < 3.0
    assert json.loads(text) == {
        "text": f"Building the report of the week {week.start} – {week.days[-1]}; "
        "it will be posted here shortly.",
        "response_type": "ephemeral",
    }
    [upload] = slack_server.shared_files()
    assert upload.channel_id == GENERAL
    assert upload.filename == f"weekly_report_{week.end:%Y_%m_%d}.pdf"
    [run] = RunLedger(state_of(make_engine(slack_settings))).history()
    assert (run.channel, run.status, run.period_start) == (GENERAL, "delivered", week.start)


def test_the_slash_command_takes_a_week(
    slack_settings: Settings, slack_server: SlackServer
) -> None:
    week = default_week(slack_settings).previous
    body = slash_command(str(week.start + timedelta(days=3)))  # any day of the week
    status, text, _ = post(slack_settings, body, signed(body))
    assert status == 200 and str(week.start) in json.loads(text)["text"]
    [upload] = slack_server.shared_files()
    assert upload.filename == f"weekly_report_{week.end:%Y_%m_%d}.pdf"  # named by its end


def test_the_button_on_a_report_message_delivers_that_week_to_its_channel(
    slack_settings: Settings, slack_server: SlackServer
) -> None:
    week = default_week(slack_settings)
    blocks = report_button_blocks("*Weekly AI operations report*", week, "en")
    [element] = blocks[1]["elements"]
    assert (element["action_id"], element["value"]) == (ACTION_ID, str(week.start))
    body = button_click(element, "C0RANDOM001")

    status, text, took = post(slack_settings, body, signed(body))
    assert (status, text) == (200, "") and took < 3.0
    [upload] = slack_server.shared_files()
    assert upload.channel_id == "C0RANDOM001"
    assert upload.filename == f"weekly_report_{week.end:%Y_%m_%d}.pdf"


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("next tuesday", "'next tuesday' is not a date: use `/ai-report YYYY-MM-DD`"),
        ("<!channel>", "'&lt;!channel&gt;' is not a date"),
        ("2999-01-04", "The week 2998-12-31 – 2999-01-06 has not started yet."),
        ("9999-12-31", "'9999-12-31' is out of the range reports cover: use a date from 1900"),
        ("0001-01-01", "'0001-01-01' is out of the range reports cover"),
    ],
)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_bad_week_gets_one_ephemeral_line_and_no_report(
    slack_settings: Settings, slack_server: SlackServer, text: str, answer: str
) -> None:
    body = slash_command(text)
    status, reply, _ = post(slack_settings, body, signed(body))
    message = json.loads(reply)
    assert status == 200 and message["response_type"] == "ephemeral"
    assert message["text"].startswith(answer) and "\n" not in message["text"]
    assert slack_server.shared_files() == []


@pytest.mark.parametrize(
    "headers",
    [
        signed(slash_command(), secret="not-the-signing-secret"),
        signed(slash_command(), age=6 * 60),  # older than Slack's 5 minutes
        {"Content-Type": "application/x-www-form-urlencoded"},
    ],
    ids=["forged", "stale", "unsigned"],
)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_forged_stale_or_unsigned_requests_get_401(
    slack_settings: Settings, slack_server: SlackServer, headers: dict[str, str]
) -> None:
    status, _, _ = post(slack_settings, slash_command(), headers)
    assert status == 401
    assert slack_server.shared_files() == [] and slack_server.calls == []


@pytest.mark.parametrize(
    ("language", "told"),
    [
        ("en", "could not be delivered: the bot is not in this channel — `/invite <@U0BOT00001>`"),
        ("ko", "보내지 못했습니다: 봇이 이 채널에 없습니다 — `/invite <@U0BOT00001>`로 초대한"),
    ],
)
@pytest.mark.parametrize("channel", ["C0TOWNSQR01", "G0HIDDEN001"], ids=["public", "private"])
def test_a_channel_without_the_bot_is_told_to_the_asker_in_their_language(
    slack_server: SlackServer, slack_settings: Settings, language: str, told: str, channel: str
) -> None:
    settings = slack_settings.model_copy(update={"report_language": language})
    body = slash_command(channel=channel, response_url=slack_server.response_url)
    status, _, _ = post(settings, body, signed(body))
    assert status == 200 and slack_server.shared_files() == [] and slack_server.messages == []
    [response] = slack_server.responses
    assert response["response_type"] == "ephemeral" and response["replace_original"] is False
    assert told in response["text"] and "not found" not in response["text"]
    [run] = RunLedger(state_of(make_engine(settings))).history()
    assert run.status == "failed"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_report_failing_after_the_ack_is_told_to_the_asker(
    slack_server: SlackServer, slack_settings: Settings, tmp_path: Path
) -> None:
    """The chatbot's tables are missing: the command was acknowledged before that was known."""
    settings = slack_settings.model_copy(
        update={"database_url": sqlite_url(tmp_path / "no-tables.db")}
    )
    [element] = report_button_blocks("report", default_week(settings), "en")[1]["elements"]
    for body in (
        slash_command(response_url=slack_server.response_url),
        # a click of its own (its own trigger_id)
        button_click(element, GENERAL, response_url=slack_server.response_url).replace(
            "1.2.3", "1.2.9"
        ),
    ):
        status, _, _ = post(settings, body, signed(body))
        assert status == 200
    assert slack_server.shared_files() == []
    assert len(slack_server.responses) == 2
    for response in slack_server.responses:
        assert response["response_type"] == "ephemeral"
        assert response["text"].startswith("The report of the week ")
        assert (
            "could not be delivered: " in response["text"]
            and "conversation_log" in response["text"]
        )


def test_the_week_in_progress_gets_its_week_to_date_report_never_recorded(
    slack_settings: Settings, slack_server: SlackServer
) -> None:
    """Recording the week as delivered would skip its real report next Monday."""
    today = datetime.now(slack_settings.report_zone)
    body = slash_command(today.date().isoformat())
    status, text, took = post(slack_settings, body, signed(body))

    week = Period.week_of(today.date(), slack_settings.report_zone)
    answer = json.loads(text)["text"]
    assert status == 200 and took < 3.0
    assert answer.startswith(f"The week {week.start} – {today.date()} is not over: building its ")
    assert "week-to-date report (until " in answer
    [upload] = slack_server.shared_files()
    assert upload.channel_id == GENERAL
    assert upload.filename == f"weekly_report_{week.end:%Y_%m_%d}_partial.pdf"
    assert upload.title and "(week to date)" in upload.title
    assert upload.initial_comment and "_Week to date: until " in upload.initial_comment
    assert RunLedger(state_of(make_engine(slack_settings))).history() == []


def post_again(settings: Settings, body: str, headers: dict[str, str], times: int) -> list[str]:
    """POST the same request `times` times (a replay), each to a service of its own (as to
    replicas), once the report of the one before is done; the answers' bodies."""
    answers = []
    for _ in range(times):
        status, text, _ = post(settings, body, headers)
        assert status == 200
        answers.append(text)
    return answers


def test_a_replayed_slash_command_posts_once(
    slack_settings: Settings, slack_server: SlackServer
) -> None:
    body = slash_command()
    first, *replays = post_again(slack_settings, body, signed(body), times=4)
    assert "Building the report of the week" in json.loads(first)["text"]
    assert replays == ["", "", ""]  # acknowledged, and nothing done
    assert len(slack_server.shared_files()) == 1
    assert slack_server.count("files.completeUploadExternal") == 1


def test_a_replayed_button_click_posts_once_and_a_new_click_posts_again(
    slack_settings: Settings, slack_server: SlackServer
) -> None:
    [element] = report_button_blocks("report", default_week(slack_settings), "en")[1]["elements"]
    body = button_click(element, "C0RANDOM001")
    post_again(slack_settings, body, signed(body), times=4)
    assert len(slack_server.shared_files()) == 1
    again = body.replace("1.2.3", "1.2.4")  # another click: Slack gives it its own trigger_id
    post_again(slack_settings, again, signed(again), times=1)
    assert len(slack_server.shared_files()) == 2


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_request_without_trigger_id_is_known_by_its_signature(
    slack_settings: Settings, slack_server: SlackServer
) -> None:
    body = slash_command().replace("&trigger_id=1.2.3", "")
    post_again(slack_settings, body, signed(body), times=3)
    assert len(slack_server.shared_files()) == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_request_that_cannot_be_recorded_is_not_acted_on(
    slack_settings: Settings, slack_server: SlackServer
) -> None:
    nowhere = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    settings = slack_settings.model_copy(update={"state_database_url": nowhere})
    [answer] = post_again(settings, slash_command(), signed(slash_command()), times=1)
    message = json.loads(answer)
    assert message["response_type"] == "ephemeral"
    assert message["text"].startswith("The request could not be recorded, so it was not acted on")
    assert slack_server.shared_files() == []
