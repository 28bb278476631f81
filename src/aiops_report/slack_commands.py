"""Slack as a trigger: the `/ai-report [week]` slash command and the "Generate report now" button.

Both acknowledge at once (Slack gives 3 seconds), then hand the report to the `jobs` executor,
which runs `run_weekly` for that week with the channel the request came from. slack_bolt
verifies each request's signature and age with SLACK_SIGNING_SECRET (forged or older than
5 minutes: 401). Handlers are registered in `register`.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.fastapi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from sqlalchemy.engine import Engine

from aiops_report.config import Settings
from aiops_report.errors import (
    AiopsReportError,
    InvalidInput,
    SlackNotConfigured,
)
from aiops_report.jobs import default_week, run_weekly
from aiops_report.periods import Period, parse_week
from aiops_report.slack import ACTION_ID, SlackDelivery

log = logging.getLogger(__name__)

COMMAND = "/ai-report"
TEXTS = {
    "ko": {
        "working": "{week} 주간 리포트를 만들고 있습니다. 잠시 후 이 채널에 올라옵니다.",
        "not_a_date": "'{text}'은(는) 날짜가 아닙니다. `{command} YYYY-MM-DD` 형식으로 원하는 주의 "
        "아무 날짜나 입력하세요 (예: `{command} 2026-11-16`).",
        "future": "{week} 주는 아직 시작되지 않았습니다.",
        "failed": "{week} 주간 리포트를 보내지 못했습니다: {error}",
    },
    "en": {
        "working": "Building the report of the week {week}; it will be posted here shortly.",
        "not_a_date": "'{text}' is not a date: use `{command} YYYY-MM-DD` with any day of the week "
        "wanted (e.g. `{command} 2026-11-16`).",
        "future": "The week {week} has not started yet.",
        "failed": "The report of the week {week} could not be delivered: {error}",
    },
}


def slack_app(settings: Settings, engine: Engine, jobs: Executor) -> App:
    """The Bolt app for SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET; raises SlackNotConfigured."""
    token, secret = settings.slack_bot_token, settings.slack_signing_secret
    if token is None or secret is None:
        raise SlackNotConfigured("SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are both needed")
    app = App(
        token=token.get_secret_value(),
        signing_secret=secret.get_secret_value(),
        # No auth.test at start-up (Slack may be down then): Bolt calls it on the first request.
        token_verification_enabled=False,
    )
    # App has no base URL option (and warns when given a client while SLACK_BOT_TOKEN is in the
    # environment); the WebClient it makes for each request copies this one's base_url.
    app.client.base_url = settings.slack_api_url
    register(app, settings, engine, jobs)
    return app


def request_handler(settings: Settings, engine: Engine, jobs: Executor) -> SlackRequestHandler:
    """The FastAPI adapter of `slack_app`, for POST /slack/events."""
    return SlackRequestHandler(slack_app(settings, engine, jobs))


def register(app: App, settings: Settings, engine: Engine, jobs: Executor) -> None:
    """Attach the slash command and the button handler to `app`."""

    def on_command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        text = str(command.get("text") or "").strip()
        try:
            period = requested_week(settings, text)
        except InvalidInput as exc:
            ack(str(exc), response_type="ephemeral")  # only the person who typed it sees it
            return
        # Queued before the ack, so that a shutdown right after the ack still runs it.
        jobs.submit(deliver_to_channel, settings, engine, command["channel_id"], period, client)
        ack(_text(settings, "working", week=_week(period)), response_type="ephemeral")

    def on_button(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        value = str(body["actions"][0].get("value") or "")
        try:
            period = requested_week(settings, value)
        except InvalidInput as exc:
            log.error("%s button with a bad value: %s", ACTION_ID, exc)
        else:
            jobs.submit(deliver_to_channel, settings, engine, body["channel"]["id"], period, client)
        ack()

    app.command(COMMAND)(on_command)
    app.action(ACTION_ID)(on_button)


def requested_week(settings: Settings, text: str) -> Period:
    """The week named by `text` (any date in it), or the last full week when empty.

    Raises InvalidInput with a message for Slack when `text` is not a date or the week is ahead.
    """
    if not text:
        return default_week(settings)
    try:
        period = parse_week(text, settings.report_zone)
    except InvalidInput:
        raise InvalidInput(_text(settings, "not_a_date", text=_escape(text))) from None
    if period.start > datetime.now(settings.report_zone).date():
        raise InvalidInput(_text(settings, "future", week=_week(period)))
    return period


def deliver_to_channel(
    settings: Settings, engine: Engine, channel_id: str, period: Period, client: WebClient
) -> None:
    """Build the week's report and upload it to `channel_id`; say there when that fails."""
    here = settings.model_copy(update={"slack_channel": channel_id})
    try:
        outcome = run_weekly(engine, here, period=period, force=True)
    except AiopsReportError as exc:  # recorded in report_runs by run_weekly
        log.error("on-demand report of the week of %s failed: %s", period.start, exc)
        _say(client, channel_id, _text(settings, "failed", week=_week(period), error=exc))
        return
    except Exception:  # a bug must not pass silently inside the executor
        log.exception("on-demand report of the week of %s failed unexpectedly", period.start)
        return
    log.info("on-demand report of the week of %s: %s", period.start, outcome.message)
    if outcome.status == "skipped":  # another request for the same week is at work on it
        _say(client, channel_id, outcome.message)


def post_notice(settings: Settings, text: str) -> None:
    """Post a message to SLACK_CHANNEL.

    Raises SlackNotConfigured, SlackDeliveryError when Slack refuses it, SlackUnavailable.
    """
    SlackDelivery(settings).post_message(text)


def _say(client: WebClient, channel_id: str, text: str) -> None:
    try:
        client.chat_postMessage(channel=channel_id, text=text)
    except (SlackClientError, OSError) as exc:
        log.error("could not tell channel %s: %s", channel_id, exc)


def _text(settings: Settings, key: str, **values: object) -> str:
    texts = TEXTS["en" if settings.report_language == "en" else "ko"]
    return texts[key].format(command=COMMAND, **values)


def _week(period: Period) -> str:
    return f"{period.start} – {period.days[-1]}"


def _escape(text: str) -> str:
    """Text shown back in Slack, with its control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
