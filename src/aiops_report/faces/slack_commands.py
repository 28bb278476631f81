"""Slack as a trigger: the `/ai-report [week]` slash command and the "Generate report now" button.

Both acknowledge at once (Slack gives 3 seconds), then hand the report to the `jobs` executor,
which runs `deliver_to_slack` for that week with the channel the request came from (only there,
whatever DELIVERY_FILE lists); a failure after the acknowledgement is told to the person who
asked, through the request's response_url. A week still in progress gets its week-to-date
report posted there (`send_week_to_date`), not recorded as the week's delivery: the week's own
report still goes out when it is over. slack_bolt verifies each request's signature and age
with SLACK_SIGNING_SECRET (forged or older than 5 minutes: 401); a signed request replayed
within those 5 minutes (or retried by Slack) is acknowledged and does nothing
(`once_per_request`). Handlers are registered in `register`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest, BoltResponse, Respond
from slack_bolt.adapter.fastapi import SlackRequestHandler
from slack_sdk.errors import SlackClientError
from sqlalchemy.engine import Engine

from aiops_report.data.config import Settings
from aiops_report.data.periods import EARLIEST, Period, parse_week
from aiops_report.errors import (
    AiopsReportError,
    DateOutOfRange,
    InvalidInput,
    SlackChannelRefused,
    SlackNotConfigured,
    WeekNotStarted,
)
from aiops_report.jobs import (
    ACTION_ID,
    WeeklyOutcome,
    default_week,
    deliver_to_slack,
    in_background,
    run_ledger,
)
from aiops_report.language import in_language
from aiops_report.slack_jobs import send_week_to_date
from aiops_report.texts.formats import format_time
from aiops_report.texts.report import Texts, texts_for
from aiops_report.texts.slack import COMMAND_WORDS

log = logging.getLogger(__name__)

COMMAND = "/ai-report"


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
    """Attach the replay guard, the slash command and the button handler to `app`."""
    ledger = run_ledger(engine, settings)

    def once_per_request(
        request: BoltRequest, body: dict[str, Any], next: Callable[[], None]
    ) -> BoltResponse | None:
        """Pass a signed request on the first time only (Bolt runs this after the signature
        check); a replay or Slack's retry of it gets an empty 200."""
        try:
            first = ledger.first_time(request_key(request, body))
        except AiopsReportError as exc:
            log.error("a Slack request could not be recorded: %s", exc)
            text = _text(settings, "unrecorded", error=exc)
            return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
        if not first:
            log.warning("a Slack request was received again (a replay or a retry): ignored")
            return BoltResponse(status=200, body="")
        next()
        return None

    def on_command(
        ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext
    ) -> None:
        text = str(command.get("text") or "").strip()
        try:
            period = requested_week(settings, text)
        except InvalidInput as exc:
            ack(str(exc), response_type="ephemeral")  # only the person who typed it sees it
            return
        asker = Asker(respond, context.bot_user_id)
        # Queued before the ack, so that a shutdown right after the ack still runs it.
        jobs.submit(deliver_to_channel, settings, engine, command["channel_id"], period, asker)
        if period.through is not None:
            through = format_time(period.through, period.zone, _words(settings))
            answer = _text(settings, "working_partial", week=_week(period), through=through)
        else:
            answer = _text(settings, "working", week=_week(period))
        ack(answer, response_type="ephemeral")

    def on_button(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        value = str(body["actions"][0].get("value") or "")
        try:
            period = requested_week(settings, value)
        except InvalidInput as exc:
            log.error("%s button with a bad value: %s", ACTION_ID, exc)
        else:
            asker = Asker(respond, context.bot_user_id)
            jobs.submit(deliver_to_channel, settings, engine, body["channel"]["id"], period, asker)
        ack()

    app.use(once_per_request)
    app.command(COMMAND)(on_command)
    app.action(ACTION_ID)(on_button)


def request_key(request: BoltRequest, body: dict[str, Any]) -> str:
    """The identity of a Slack request: its trigger_id (slash commands, button clicks), else
    its signature and timestamp, which a replay repeats and a new request cannot."""
    trigger_id = body.get("trigger_id")
    if trigger_id:
        identity = f"trigger {trigger_id}"
    else:
        headers = request.headers
        signature = (headers.get("x-slack-signature") or [""])[0]
        timestamp = (headers.get("x-slack-request-timestamp") or [""])[0]
        identity = f"signature {signature} {timestamp}"
    return "slack-request " + hashlib.sha256(identity.encode()).hexdigest()


def requested_week(settings: Settings, text: str) -> Period:
    """The week named by `text` (any date in it), or the last full week when empty; the week
    in progress is cut now (week to date).

    Raises InvalidInput with a message for Slack when `text` is not a date, is out of range,
    or the week is ahead.
    """
    if not text:
        return default_week(settings)
    try:
        period = parse_week(text, settings.report_zone)
    except DateOutOfRange:
        raise InvalidInput(
            _text(settings, "out_of_range", text=_escape(text), earliest=EARLIEST)
        ) from None
    except InvalidInput:
        raise InvalidInput(_text(settings, "not_a_date", text=_escape(text))) from None
    try:
        return period.as_of(datetime.now(settings.report_zone))
    except WeekNotStarted:
        raise InvalidInput(_text(settings, "future", week=_week(period))) from None


@dataclass(frozen=True)
class Asker:
    """Who asked for a report: answered through the request's response_url, privately."""

    respond: Respond
    bot_user_id: str | None

    def tell(self, text: str) -> None:
        """An ephemeral message to the person who asked (logged when Slack cannot take it)."""
        try:
            self.respond(text, response_type="ephemeral", replace_original=False)
        except (SlackClientError, OSError) as exc:
            log.error("could not answer through the response_url: %s", exc)


def deliver_to_channel(
    settings: Settings, engine: Engine, channel_id: str, period: Period, asker: Asker
) -> None:
    """Build the week's report and upload it to `channel_id`; tell `asker` when that fails.

    A week still in progress (`period` cut) gets its week-to-date report, which report_runs
    does not record: the week's own report is still delivered when it is over.
    """
    outcome: object
    if period.partial:
        job = f"week-to-date report of the week of {period.start}"
        outcome = in_background(
            job, lambda: send_week_to_date(engine, settings, period, channel_id)[0].path
        )
    else:  # this channel only, whatever DELIVERY_FILE lists
        job = f"on-demand report of the week of {period.start}"
        outcome = in_background(
            job,
            lambda: deliver_to_slack(
                engine, settings, period=period, force=True, channel=channel_id
            ),
        )
    if isinstance(outcome, WeeklyOutcome) and outcome.status == "skipped":
        asker.tell(outcome.message)  # another request for the same week is at work on it
    if not isinstance(outcome, Exception):
        return
    if isinstance(outcome, SlackChannelRefused):
        bot = f"<@{asker.bot_user_id}>" if asker.bot_user_id else "@bot"
        error = _text(settings, "not_in_channel", bot=bot)
    elif isinstance(outcome, AiopsReportError):  # recorded in report_runs by deliver_to_slack
        error = str(outcome)
    else:  # a bug: its traceback is in the log
        error = _text(settings, "unexpected")
    asker.tell(_text(settings, "failed", week=_week(period), error=error))


def _text(settings: Settings, key: str, **values: object) -> str:
    texts = in_language(COMMAND_WORDS, settings.report_language)
    return texts[key].format(command=COMMAND, **values)


def _words(settings: Settings) -> Texts:
    """The report's words in the settings' language (dates and times as reports show them)."""
    return texts_for(settings.report_language)


def _week(period: Period) -> str:
    return f"{period.start} – {period.days[-1]}"


def _escape(text: str) -> str:
    """Text shown back in Slack, with its control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
