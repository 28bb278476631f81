"""Slack delivery: upload a report PDF to SLACK_CHANNEL, with its headline numbers as the message.

Over 400 lines because slack_sdk lives here alone (STYLE.md rule 5): the client, the errors it
turns into one line, doctor's checks and Slack as a destination (`SlackSender`, `SLACK`) all
speak to it; its bounded retries are `slack_retry.py`.

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
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web import SlackResponse

from aiops_report.analysis.metrics import ReportNumbers
from aiops_report.data.config import Settings
from aiops_report.data.periods import Period
from aiops_report.delivery.config import SlackConfig
from aiops_report.delivery.messages import mrkdwn
from aiops_report.delivery.protocol import Kind, Message, Receipt
from aiops_report.delivery.slack_retry import (
    MAX_RETRIES as MAX_RETRIES,  # re-exported: the limits slack.py's docstring states
)
from aiops_report.delivery.slack_retry import (
    RATE_LIMIT_BUDGET,
    RATE_LIMIT_RETRIES,
    BudgetedRateLimitHandler,
    retry_handlers,
)
from aiops_report.errors import (
    AiopsReportError,
    InvalidInput,
    SlackChannelRefused,
    SlackDeliveryError,
    SlackNotConfigured,
    SlackTimeout,
    SlackUnavailable,
)
from aiops_report.redact import HideCredentials, hide_credentials
from aiops_report.texts.doctor import Finding, error_finding
from aiops_report.texts.messages import summary_lines, title_line
from aiops_report.texts.report import texts_for

log = logging.getLogger(__name__)

# files:read is what files.info (file_shared_in) needs; the others: upload, post, find channels.
REQUIRED_SCOPES = ("files:write", "files:read", "chat:write", "channels:read", "groups:read")
# Slack's own pattern for conversation IDs (files.completeUploadExternal's channel_id).
CHANNEL_ID = re.compile(r"^[CGDZ][A-Z0-9]{8,}$")
TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)


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


# The logger slack_sdk's WebClient writes to (its default, named after its module).
_SDK_LOGGER = logging.getLogger("slack_sdk.web.base_client")
_SDK_LOGGER.addFilter(HideCredentials())


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

    def __init__(self, config: SlackConfig, *, timeout: int | None = None) -> None:
        token = config.token
        if token is None or not token.get_secret_value().strip():
            raise SlackNotConfigured(
                "SLACK_BOT_TOKEN is not set: the report is written but not uploaded"
            )
        self.channel = config.channel.strip()
        self.api_url = config.api_url
        self.language = config.language
        self.timeout = timeout or config.timeout
        self._rate_limits = BudgetedRateLimitHandler(RATE_LIMIT_RETRIES, RATE_LIMIT_BUDGET)
        self._client = _FileIdReportingClient(
            token=token.get_secret_value(),
            base_url=config.api_url,
            timeout=self.timeout,
            retry_handlers=[*retry_handlers(), self._rate_limits],
            logger=_SDK_LOGGER,
        )
        self._channel_id: str | None = None
        self._identity: _Identity | None = None

    @classmethod
    def of(cls, settings: Settings, *, timeout: int | None = None) -> SlackDelivery:
        """To SLACK_CHANNEL, as the settings say."""
        return cls(SlackConfig.of(settings), timeout=timeout)

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
        title = title_line(numbers, language) if numbers is not None else pdf_path.name
        return self.upload(pdf_path, title, summary_text(numbers, language), on_file_id=on_file_id)

    def upload(
        self,
        pdf_path: Path,
        title: str,
        comment: str,
        *,
        on_file_id: Callable[[str], object] | None = None,
    ) -> Delivery:
        """Upload a file titled `title` with `comment` (mrkdwn) as its message; raises as
        `upload_report`."""
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
                    title=title,
                    initial_comment=comment,
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


# --- the destination --------------------------------------------------------------------------


class SlackSender:
    """A Slack channel as a destination (delivery/protocol.py): a message with files is
    uploaded with its text, one without is posted; the client is made on first use, so that
    a report is still built without SLACK_BOT_TOKEN (its send raises SlackNotConfigured)."""

    def __init__(self, config: SlackConfig) -> None:
        self.config = config
        self._slack: SlackDelivery | None = None

    @property
    def shown(self) -> str:
        return shown_channel(self.config.channel)

    @property
    def slack(self) -> SlackDelivery:
        """The client; raises SlackNotConfigured without a token."""
        if self._slack is None:
            self._slack = SlackDelivery(self.config)
        return self._slack

    def ledger_key(self) -> str:
        """The channel's ID, asked of Slack once, so that `#ai-reports`, `AI-Reports` and
        `C0AIREPORTS` are one channel with one delivery a week; without a token, its name.
        Raises SlackDeliveryError when Slack cannot tell."""
        if self.config.token is None or not self.config.token.get_secret_value().strip():
            return unresolved_channel_key(self.config.channel)
        return self.slack.channel_id()

    def former_keys(self) -> set[str]:
        # Rows written before channels were keyed by ID hold the channel as it was spelled.
        return {self.config.channel.strip()} - {self.ledger_key()}

    def send(
        self, message: Message, *, on_receipt_id: Callable[[str], object] | None = None
    ) -> Receipt:
        slack = self.slack
        if not message.files:
            slack.post_message(message.markdown)
            return Receipt()
        delivery = slack.upload(
            message.files[0], message.subject, message.markdown, on_file_id=on_receipt_id
        )
        self._offer(message)
        return Receipt(delivery.file_id, delivery.permalink)

    def resume(self, message: Message, receipt_id: str) -> Receipt | None:
        if not self.slack.file_shared_in(receipt_id, self.slack.channel_id()):
            return None
        self._offer(message)
        return Receipt(receipt_id)

    def _offer(self, message: Message) -> None:
        if message.offer is not None:
            offer_regeneration(self.slack, message.offer, self.config.language)


def offer_regeneration(slack: SlackDelivery, period: Period, language: str) -> None:
    """Post the "Generate report now" button under a delivered report.

    A file upload cannot carry buttons, hence a message of its own; the report is delivered
    already, so a failure here is logged, not raised.
    """
    hint = texts_for(language).generate_hint
    try:
        slack.post_message(hint, report_button_blocks(hint, period, language))
    except AiopsReportError as exc:
        log.warning("the report of %s is delivered, but its button is not: %s", period.start, exc)


def _channel(address: str) -> str:
    if not address.strip():
        raise ValueError("a Slack channel is empty (write #name or its ID C…)")
    return address.strip()


SLACK = Kind(
    name="slack",
    many=True,
    check=_channel,
    shown=lambda address: address,
    same=str.lower,
    sender=lambda address, config: SlackSender(config.slack.aimed_at(address)),
)


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


def summary_text(numbers: ReportNumbers | None, language: str = "ko") -> str:
    """The Slack message of a report (texts.messages.summary_lines), its title in bold."""
    return mrkdwn(summary_lines(numbers, language))


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
