"""Slack delivery: upload a report PDF to SLACK_CHANNEL, with its headline numbers as the message.

slack_sdk is used here and nowhere else. Every failure becomes one SlackDeliveryError line that
names the fix; the bot token never appears in a message, a repr or a log line of ours.

How long a delivery may take is bounded (see `retry_handlers`):
- each HTTP attempt waits at most SLACK_TIMEOUT seconds for the connection and for each read;
- after a connection error or an HTTP 500/503 a Web API call is retried at most MAX_RETRIES
  times, with a backoff of 0.5 s, 1 s (plus up to 1 s of jitter each), so at most 3.5 s of
  waiting per call;
- after an HTTP 429 it is retried as long as Slack's Retry-After asks (plus up to 1 s of
  jitter), up to RATE_LIMIT_RETRIES retries of the call (slack_sdk keeps one attempt counter
  per call, shared by all its retry handlers) and within RATE_LIMIT_BUDGET seconds of waiting
  in total per SlackDelivery; the error says which of the two stopped it (slack_sdk's own
  handler sleeps whatever Retry-After says, uncapped);
- a read timeout is never retried, because Slack may have acted on the request: the caller
  gets SlackTimeout and can ask `file_shared_in` before sending again.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import SlackResponse

from aiops_report.analysis.formulas import Change
from aiops_report.analysis.metrics import ReportNumbers
from aiops_report.data.config import Settings
from aiops_report.data.periods import Period
from aiops_report.errors import (
    InvalidInput,
    SlackChannelRefused,
    SlackDeliveryError,
    SlackNotConfigured,
    SlackTimeout,
    SlackUnavailable,
)
from aiops_report.texts.doctor import Finding, error_finding
from aiops_report.texts.explain import why_line
from aiops_report.texts.formats import (
    format_change,
    format_p_value,
    format_time,
    format_value,
    report_title,
    short_period,
)
from aiops_report.texts.report import texts_for

MAX_RETRIES = 2
RATE_LIMIT_RETRIES = 5
RATE_LIMIT_BUDGET = 60.0  # seconds of Retry-After waiting, in total, per SlackDelivery

# files:read is what files.info (file_shared_in) needs; the others: upload, post, find channels.
REQUIRED_SCOPES = ("files:write", "files:read", "chat:write", "channels:read", "groups:read")
# Slack's own pattern for conversation IDs (files.completeUploadExternal's channel_id).
CHANNEL_ID = re.compile(r"^[CGDZ][A-Z0-9]{8,}$")
TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)
# The user and password of a URL: `scheme://user:password@`, up to the last `@` before the
# path, so that an unencoded `@` in the password is hidden too.
URL_CREDENTIALS = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*://)[^\s/?#]*@")


def hide_credentials(text: str) -> str:
    """`text` with the user and password of every URL in it shown as `***`.

    `http://user:pass@proxy:8080/api/` becomes `http://***@proxy:8080/api/`, as a database
    URL's password is hidden; a URL without credentials is unchanged.
    """
    return URL_CREDENTIALS.sub(r"\1***@", text)


def shown_channel(channel: str) -> str:
    """SLACK_CHANNEL as a person would write it: `#name`, or `channel C…` for an ID."""
    channel = channel.strip()
    if CHANNEL_ID.match(channel):
        return f"channel {channel}"
    return "#" + channel.removeprefix("#")


def unresolved_channel_key(channel: str) -> str:
    """SLACK_CHANNEL as the ledger keys it when Slack cannot be asked (no token): an ID as
    written, a name as `#name` in lower case (as `channel_id` matches names)."""
    channel = channel.strip()
    return channel if CHANNEL_ID.match(channel) else "#" + channel.removeprefix("#").lower()


class _HideCredentials(logging.Filter):
    """Rewrites a log record whose message holds a URL with credentials (slack_sdk logs every
    request's URL, and each retry's at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        hidden = hide_credentials(message)
        if hidden != message:
            record.msg, record.args = hidden, ()
        return True


# The logger slack_sdk's WebClient writes to (its default, named after its module).
_SDK_LOGGER = logging.getLogger("slack_sdk.web.base_client")
_SDK_LOGGER.addFilter(_HideCredentials())


class _FileIdReportingClient(WebClient):
    """A WebClient that reports the file id files_upload_v2 obtains before uploading."""

    on_file_id: Callable[[str], object] | None = None

    def files_getUploadURLExternal(self, **kwargs: Any) -> SlackResponse:
        response = super().files_getUploadURLExternal(**kwargs)
        if self.on_file_id and response.get("file_id"):
            self.on_file_id(str(response["file_id"]))
        return response


@dataclass(frozen=True)
class Delivery:
    """A report Slack accepted: the file, where it went, and its message when Slack says."""

    channel_id: str
    file_id: str
    permalink: str | None
    message_ts: str | None


@dataclass(frozen=True)
class _Identity:
    team: str
    bot: str
    scopes: frozenset[str] | None  # None when Slack did not send x-oauth-scopes


class SlackDelivery:
    """Uploads reports to SLACK_CHANNEL through the Web API at SLACK_API_URL.

    Raises SlackNotConfigured when SLACK_BOT_TOKEN is not set.
    """

    def __init__(self, settings: Settings, *, timeout: int | None = None) -> None:
        token = settings.slack_bot_token
        if token is None or not token.get_secret_value().strip():
            raise SlackNotConfigured(
                "SLACK_BOT_TOKEN is not set: the report is written but not uploaded"
            )
        self.channel = settings.slack_channel.strip()
        self.api_url = settings.slack_api_url
        self.language = settings.report_language
        self.timeout = timeout or settings.slack_timeout
        self._rate_limits = BudgetedRateLimitHandler(RATE_LIMIT_RETRIES, RATE_LIMIT_BUDGET)
        self._client = _FileIdReportingClient(
            token=token.get_secret_value(),
            base_url=settings.slack_api_url,
            timeout=self.timeout,
            retry_handlers=[*retry_handlers(), self._rate_limits],
            logger=_SDK_LOGGER,
        )
        self._channel_id: str | None = None
        self._identity: _Identity | None = None

    def __repr__(self) -> str:
        return f"SlackDelivery(channel={self.channel!r}, api_url={self.shown_url!r})"

    @property
    def shown_url(self) -> str:
        """SLACK_API_URL as messages show it: its user and password, if any, as `***`."""
        return hide_credentials(self.api_url)

    @property
    def where(self) -> str:
        """The channel as a person would write it: `#name`, or `channel C…` for an ID."""
        return shown_channel(self.channel)

    # --- delivery -----------------------------------------------------------------------------

    def upload_report(
        self,
        pdf_path: Path,
        numbers: ReportNumbers | None = None,
        language: str | None = None,
        *,
        on_file_id: Callable[[str], object] | None = None,
    ) -> Delivery:
        """Upload the PDF with the headline numbers as its message.

        `on_file_id` learns the file's id as soon as Slack assigns it, before the upload
        completes: after a timeout, `file_shared_in` tells whether it reached the channel.
        Raises InvalidInput when the PDF cannot be read, SlackDeliveryError when Slack refuses
        it, SlackUnavailable (the report is kept) when Slack cannot take it now.
        """
        language = language or self.language
        try:
            data = pdf_path.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read the report {pdf_path}: {exc.strerror}") from None
        try:
            channel_id = self.channel_id()
            self._client.on_file_id = on_file_id
            with self._errors():
                response = self._client.files_upload_v2(
                    channel=channel_id,
                    file=data,
                    filename=pdf_path.name,
                    title=_title(numbers, language) or pdf_path.name,
                    initial_comment=summary_text(numbers, language),
                )
        except SlackUnavailable as exc:
            raise type(exc)(f"{exc}; the report is kept at {pdf_path}") from exc
        file: Mapping[str, Any] = response.get("file") or {}
        if not file.get("id"):
            raise SlackDeliveryError(
                f"Slack answered the upload to {self.where} without a file id; "
                f"the report is kept at {pdf_path}"
            )
        return Delivery(
            channel_id=channel_id,
            file_id=str(file["id"]),
            permalink=file.get("permalink"),
            message_ts=_share_ts(file, channel_id),
        )

    def file_shared_in(self, file_id: str, channel_id: str) -> bool:
        """Whether Slack shows the file in the channel (ask this before resending after a timeout).

        Raises SlackDeliveryError when Slack cannot be asked.
        """
        with self._errors():
            try:
                response = self._client.files_info(file=file_id)
            except SlackApiError as exc:
                if exc.response.get("error") in ("file_not_found", "file_deleted"):
                    return False
                raise
        return channel_id in _channels_of(response.get("file") or {})

    def post_message(self, text: str, blocks: list[dict[str, Any]] | None = None) -> str:
        """Post a message to SLACK_CHANNEL; return its ts.

        Raises SlackDeliveryError when Slack refuses it, SlackUnavailable when it cannot.
        """
        channel_id = self.channel_id()
        with self._errors():
            response = self._client.chat_postMessage(channel=channel_id, text=text, blocks=blocks)
        return str(response.get("ts") or "")

    def channel_id(self) -> str:
        """The ID of SLACK_CHANNEL (a name is looked up once); raises SlackDeliveryError."""
        if self._channel_id is None:
            self._channel_id = self._find_channel()
        return self._channel_id

    def _find_channel(self) -> str:
        if CHANNEL_ID.match(self.channel):
            return self.channel
        name = self.channel.removeprefix("#").lower()
        with self._errors():
            # Iterating a SlackResponse follows response_metadata.next_cursor page by page.
            for page in self._client.conversations_list(
                types="public_channel,private_channel", exclude_archived=True, limit=200
            ):
                for channel in page.get("channels") or []:
                    if channel.get("name") == name:
                        return str(channel["id"])
        raise SlackChannelRefused(self._channel_not_found())

    # --- doctor -------------------------------------------------------------------------------

    def check(self) -> list[Finding]:
        """Token, team and bot, missing scopes, channel ID and membership; sends nothing."""
        try:
            me = self._whoami()
        except SlackDeliveryError as exc:
            return [error_finding(exc)]
        findings = [Finding("ok", "slack_token", {"team": me.team, "bot": me.bot})]
        if me.scopes is None:
            findings.append(Finding("warn", "slack_scopes_unknown"))
        elif missing := [scope for scope in REQUIRED_SCOPES if scope not in me.scopes]:
            lacking = {"scopes": ", ".join(missing)}
            findings.append(Finding("error", "slack_scopes_missing", lacking))
        else:
            findings.append(Finding("ok", "slack_scopes", {"scopes": ", ".join(REQUIRED_SCOPES)}))
        try:
            channel_id = self.channel_id()
            found = {"channel": self.where, "id": channel_id}
            findings.append(Finding("ok", "slack_channel", found))
            with self._errors():
                info = self._client.conversations_info(channel=channel_id)
            member = bool((info.get("channel") or {}).get("is_member"))
            findings.append(
                Finding("ok", "slack_member", {"channel": self.where})
                if member
                else Finding(
                    "error", "slack_not_member", {"channel": self.where, "bot": self._bot_name()}
                )
            )
        except SlackDeliveryError as exc:
            findings.append(error_finding(exc))
        return findings

    def _whoami(self) -> _Identity:
        """auth.test's team and bot user, and the scopes Slack granted the token."""
        if self._identity is None:
            with self._errors():
                response = self._client.auth_test()
            scopes = _header(response.headers, "x-oauth-scopes")
            self._identity = _Identity(
                team=str(response.get("team") or "?"),
                bot=str(response.get("user") or "?"),
                scopes=None if scopes is None else frozenset(_split(scopes)),
            )
        return self._identity

    # --- errors -------------------------------------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn what slack_sdk and urllib raise into one line that names the fix."""
        try:
            yield
        except SlackApiError as exc:
            raise self._refused(exc.response) from exc
        except HTTPError as exc:  # only the POST of the file's bytes to its upload URL
            error = SlackUnavailable if exc.code >= 500 else SlackDeliveryError
            raise error(f"Slack answered HTTP {exc.code} to the file upload") from exc
        except TimeoutError as exc:
            raise SlackTimeout(
                f"Slack did not answer within {self.timeout} s; the file may still appear in "
                f"{self.where}, check before sending again"
            ) from exc
        except (OSError, HTTPException) as exc:  # URLError, connection reset, ...
            reason = exc.reason if isinstance(exc, URLError) else exc
            # The reason may name the host as urllib parsed it, credentials and all.
            message = f"Slack is unreachable at {self.api_url} ({reason})"
            raise SlackUnavailable(hide_credentials(message)) from exc
        except SlackRequestError as exc:  # e.g. "Invalid URL detected: <the request's URL>"
            raise SlackDeliveryError(hide_credentials(f"Slack request failed: {exc}")) from exc

    def _refused(self, response: SlackResponse) -> SlackDeliveryError:
        status = response.status_code
        error = str(response.get("error") or "")
        if status == 429 or error == "ratelimited":
            why = f" ({self._rate_limits.gave_up})" if self._rate_limits.gave_up else ""
            return SlackUnavailable(f"Slack is rate limiting this app{why}; try again later")
        if status >= 500:
            return SlackUnavailable(
                f"Slack answered HTTP {status} (retried up to {MAX_RETRIES} times)"
            )
        if error in TOKEN_ERRORS:
            return SlackDeliveryError(f"Slack rejected the token ({error}): check SLACK_BOT_TOKEN")
        if error == "channel_not_found":
            return SlackChannelRefused(self._channel_not_found())
        if error == "not_in_channel":
            return SlackChannelRefused(self._not_in_channel())
        if error == "missing_scope":
            needed = response.get("needed") or "?"
            provided = response.get("provided") or "none"
            return SlackDeliveryError(
                f"the Slack token lacks the scope {needed} (it has {provided}): add it under "
                "OAuth & Permissions and reinstall the app"
            )
        method = response.api_url.rstrip("/").rsplit("/", 1)[-1]
        return SlackDeliveryError(f"Slack refused {method}: {error or f'HTTP {status}'}")

    def _channel_not_found(self) -> str:
        return (
            f"Slack {self.where} not found (or private without the bot): create it and invite "
            f"the bot with /invite @{self._bot_name()}, or set SLACK_CHANNEL to its ID (C…)"
        )

    def _not_in_channel(self) -> str:
        return f"the bot is not in {self.where}: invite it with /invite @{self._bot_name()}"

    def _bot_name(self) -> str:
        try:
            return self._whoami().bot
        except SlackDeliveryError:
            return "<your bot>"


class BudgetedRateLimitHandler(RateLimitErrorRetryHandler):
    """slack_sdk's HTTP 429 handler, waiting as Retry-After asks, up to `max_retry_count`
    retries of a call and `budget` seconds of waiting in all.

    `gave_up` says why the last 429 was not retried: the retries are used up, or the wait
    asked for is more than the budget has left (or cannot be read).
    """

    def __init__(self, max_retry_count: int, budget: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.budget = budget
        self.waited = 0.0
        self.gave_up: str | None = None

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = _retry_after(response)
        left = self.budget - self.waited
        if wait is None:
            self.gave_up = "its Retry-After cannot be read"
        elif state.current_attempt >= self.max_retry_count:
            self.gave_up = (
                f"still after {state.current_attempt} retries and {self.waited:.0f} s of waiting"
            )
        elif wait + 1 > left:  # + the jitter added to each wait, at most 1 s
            self.gave_up = (
                f"it asks to wait {wait} s, more than the {max(left, 0):.0f} s left of the "
                f"{self.budget:.0f} s we wait in all"
            )
        else:
            self.gave_up = None
            return True
        return False

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """Sleep Retry-After plus up to 1 s of jitter (as the parent), counted in `waited`."""
        wait = _retry_after(response) if response is not None else None
        duration = (1 if wait is None else wait) + random.random()
        self.waited += duration
        state.next_attempt_requested = True
        time.sleep(duration)
        state.increment_current_attempt()


def _retry_after(response: HttpResponse) -> int | None:
    """Retry-After in seconds; None when it is not a number of seconds (e.g. an HTTP date)."""
    values = {k.lower(): v for k, v in response.headers.items()}.get("retry-after") or ["1"]
    try:
        return max(int(values[0]), 0)
    except ValueError:
        return None


def retry_handlers() -> list[RetryHandler]:
    """Connection errors and HTTP 500/503, each retried at most MAX_RETRIES times (HTTP 429 is
    SlackDelivery's BudgetedRateLimitHandler)."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=MAX_RETRIES),
        ServerErrorRetryHandler(max_retry_count=MAX_RETRIES),
    ]


# --- the message ------------------------------------------------------------------------------

ACTION_ID = "generate_report_now"  # the button's action, handled in slack_commands.py


def report_button_blocks(text: str, period: Period | None, language: str) -> list[dict[str, Any]]:
    """Block Kit: `text` and the "Generate report now" button (for `period`, else the last week)."""
    words = texts_for(language)
    button: dict[str, Any] = {
        "type": "button",
        "action_id": ACTION_ID,
        "text": {"type": "plain_text", "text": words.generate_now},
    }
    if period is not None:
        button["value"] = period.start.isoformat()
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "elements": [button]},
    ]


SUMMARY_METRICS = ("conversations", "satisfaction_rate", "avg_score")
MAX_SIGNIFICANT_LINES = 3


def summary_text(numbers: ReportNumbers | None, language: str = "ko") -> str:
    """The Slack message of a report: title, period and headline numbers with their change,
    then one line per significant change (at most three; none without insights) and the
    line saying why the first of satisfaction and score changed (texts.explain.why_line).

    Korean unless language is "en"; a missing number is "–", as in the PDF.
    """
    words = texts_for(language)
    if numbers is None:
        return f"*{words.title}*"
    lines = [f"*{_title(numbers, language)}*"]
    period = numbers.period
    if period.through is not None:  # week to date: said before any number
        lines.append(
            words.slack_partial.format(through=format_time(period.through, period.zone, words))
        )
    for name in SUMMARY_METRICS:
        value = format_value(name, getattr(numbers.current, name))
        change = format_change(name, numbers.change[name], words)
        lines.append(f"• {words.metrics[name]}: {value} · {words.versus_previous} {change}")
    changes = numbers.insights.changes if numbers.insights else {}
    significant = [(name, test) for name, test in changes.items() if test.significant]
    for name, test in significant[:MAX_SIGNIFICANT_LINES]:
        line = words.insights.slack_significant.format(
            metric=words.metrics.get(name, name),
            change=format_change(name, Change(test.delta, test.relative, test.new), words),
            p=format_p_value(test.p_value),
        )
        lines.append(f"• {line}")
    why = why_line(numbers.insights, language)
    if why:
        lines.append(why)
    if numbers.is_empty:
        lines.append(words.empty_heading)
    return "\n".join(lines)


def _title(numbers: ReportNumbers | None, language: str) -> str | None:
    if numbers is None:
        return None
    words = texts_for(language)
    title = report_title(numbers.period, words, numbers.segment)
    return f"{title} {short_period(numbers.period)}"


# --- Slack's payloads -------------------------------------------------------------------------


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) else value)
    return None


def _split(scopes: str) -> list[str]:
    return [scope.strip() for scope in scopes.split(",") if scope.strip()]


def _channels_of(file: Mapping[str, Any]) -> set[str]:
    """Every conversation a file object says it is shared in."""
    found = {*file.get("channels", []), *file.get("groups", []), *file.get("ims", [])}
    for shares in (file.get("shares") or {}).values():
        found.update(shares)
    return found


def _share_ts(file: Mapping[str, Any], channel_id: str) -> str | None:
    """The ts of the message that shared the file, when Slack already reports it.

    Slack shares an uploaded file asynchronously, so its answer may not list the share yet.
    """
    for shares in (file.get("shares") or {}).values():
        for share in shares.get(channel_id, []):
            if share.get("ts"):
                return str(share["ts"])
    return None
