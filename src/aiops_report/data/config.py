"""Settings: the one place that reads the environment and the optional `.env` file."""

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from aiops_report.errors import ConfigError
from aiops_report.language import Language


@dataclass(frozen=True)
class RestateThreshold:
    """How far a delivered week's headline numbers may move before a correction is posted:
    `percent` of a count (and of the average score), `points` of satisfaction; None: never."""

    percent: float | None = 1.0
    points: float | None = 0.5

    @property
    def off(self) -> bool:
        return self.percent is None and self.points is None


RESTATE_THRESHOLD_EXAMPLE = "'1%, 0.5pt' (a count or the average score moved by more than 1%, "
RESTATE_THRESHOLD_EXAMPLE += "satisfaction by more than 0.5 points), '2%', '1pt' or 'off'"


def parse_restate_threshold(text: str) -> RestateThreshold:
    """RESTATE_THRESHOLD read: parts `<N>%` and `<N>pt` separated by commas or spaces (a part
    left out keeps its default), or `off`; raises ValueError naming the format."""
    parts = [part for part in re.split(r"[,\s]+", text.strip().lower()) if part]
    if parts == ["off"]:
        return RestateThreshold(None, None)
    found: dict[str, float] = {}
    for part in parts:
        match = re.fullmatch(r"(\d+(?:\.\d+)?)(%|pt|%p|p)", part)
        unit = match and ("percent" if match[2] == "%" else "points")
        if not match or not unit or unit in found:
            raise ValueError(f"{text!r} is not a threshold: write e.g. {RESTATE_THRESHOLD_EXAMPLE}")
        found[unit] = float(match[1])
    if not found:
        raise ValueError(f"is empty: write e.g. {RESTATE_THRESHOLD_EXAMPLE}")
    return RestateThreshold(**found)


class Settings(BaseSettings):
    """Every setting, with a default that works for a local demo."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite:///./local.db"
    # Where report_runs and the kept totals are written; default: DATABASE_URL's database.
    # Set, nothing is created or written in DATABASE_URL: it may be a read-only replica.
    state_database_url: str | None = None
    db_timezone: str = "UTC"
    report_timezone: str = "Asia/Seoul"
    report_language: Language = "ko"
    report_dir: Path = Path("reports")
    conversation_table: str = "conversation_log"
    feedback_table: str = "feedback_log"
    evaluation_table: str = "conversation_evaluation"
    # A TOML file mapping the team's own table and column names, feedback words and score range
    # (mapping.py; docs/your-database.md).
    schema_file: Path | None = None
    slack_bot_token: SecretStr | None = None
    slack_channel: str = "#ai-reports"
    slack_api_url: str = "https://slack.com/api/"
    slack_signing_secret: SecretStr | None = None
    slack_timeout: int = Field(20, ge=1)  # seconds one Slack request may take
    # A TOML file of routes: Slack channels, email addresses and webhooks the weekly report
    # goes to (delivery/routes.py; docs/delivery.md); unset: SLACK_CHANNEL alone.
    delivery_file: Path | None = None
    # smtp://user:password@host:587 (STARTTLS when offered) or smtps://... (TLS from the start).
    smtp_url: SecretStr | None = None
    email_from: str | None = None
    webhook_secret: SecretStr | None = None  # signs each webhook's body (X-Signature)
    # Standard cron fields (minute hour day month weekday; weekday 0 or 7 = Sunday, 1 = Monday),
    # in REPORT_TIMEZONE.
    schedule: str = "0 9 * * 1"
    schedule_grace: timedelta = timedelta(hours=6)
    # When the scheduler (and `watch`) judges the alert rules: cron fields, in REPORT_TIMEZONE.
    watch_schedule: str = "5 * * * *"
    # A TOML file of alert rules (alert_rules.py; docs/insights.md); unset: the built-in rules.
    alerts_file: Path | None = None
    trigger_token: SecretStr | None = None
    admin_password: SecretStr | None = None
    model_prices: Path | None = None  # a TOML price table per million tokens (docs/insights.md)
    # A conversation whose mean score is at least this is good; default: the middle of the
    # score range (SCHEMA_FILE's score_range, 0-10: 5).
    score_good_threshold: float | None = None
    # Keep the totals of settled days in report_daily_totals (rollups.py); false: always live.
    keep_daily_totals: bool = True
    # How kept totals are proven current: "auto" by each table's watermark where it has an
    # increasing integer key (counted otherwise), "counts" by counting every table's rows.
    kept_totals_proof: Literal["auto", "counts"] = "auto"
    # The longest any one statement on the databases may run ('10m', '90s', seconds); 0: no limit.
    statement_timeout: timedelta = timedelta(minutes=10)
    # How long connecting to a database server may take, and how long a server that stops
    # answering (a stalled proxy, a half-dead replica) is waited for before it is given up on.
    db_connect_timeout: timedelta = timedelta(seconds=10)
    # How far a delivered week may move before a correction goes out (restate.py; docs).
    restate_threshold: str = "1%, 0.5pt"

    @field_validator("database_url", "state_database_url")
    @classmethod
    def _parseable_url(cls, value: str | None) -> str | None:
        if not value:  # unset, or set to nothing
            return None
        try:
            make_url(value)
        except ArgumentError:
            raise ValueError(
                "is not a database URL (e.g. postgresql+psycopg://user@host/db)"
            ) from None
        return value

    @field_validator("db_timezone", "report_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Seoul, UTC)") from None
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _no_credentials(cls, value: str) -> str:
        # Slack's API is authorised by the bot token (Authorization: Bearer), so a user and
        # password in the URL have no header to go in: they would reach the name resolver as
        # part of the host, and every log line of a request.
        if "@" in urlsplit(value.strip()).netloc:
            raise ValueError(
                "holds a user or password (user:password@host): Slack's API is authorised by "
                "SLACK_BOT_TOKEN alone; a proxy's credentials go in HTTPS_PROXY"
            )
        return value

    @field_validator("email_from")
    @classmethod
    def _one_header_line(cls, value: str | None) -> str | None:
        # A line break in a header's value would start another header (From: a\r\nBcc: ...).
        if value is not None and any(ch in value for ch in "\r\n\x00"):
            raise ValueError("holds a line break (CR or LF): give one address, e.g. ai@example.com")
        return value

    @field_validator("db_connect_timeout")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=1):
            raise ValueError("must be at least 1 second (e.g. 10s)")
        return value

    @field_validator("schedule_grace", "statement_timeout", "db_connect_timeout", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        """Accept '6h', '90m', '45s', '250ms' or seconds, besides ISO 8601 durations ('PT6H')."""
        if isinstance(value, str):
            match = re.fullmatch(r"\s*(\d+)\s*(ms|[hms]?)\s*", value)
            if match:
                unit = {
                    "h": "hours",
                    "m": "minutes",
                    "s": "seconds",
                    "ms": "milliseconds",
                    "": "seconds",
                }[match[2]]
                return timedelta(**{unit: int(match[1])})
        return value

    @field_validator("restate_threshold")
    @classmethod
    def _restate_threshold(cls, value: str) -> str:
        parse_restate_threshold(value)
        return value

    @property
    def restate_limits(self) -> RestateThreshold:
        """RESTATE_THRESHOLD, read."""
        return parse_restate_threshold(self.restate_threshold)

    @property
    def url(self) -> URL:
        return make_url(self.database_url)

    @property
    def db_zone(self) -> ZoneInfo:
        return ZoneInfo(self.db_timezone)

    @property
    def report_zone(self) -> ZoneInfo:
        return ZoneInfo(self.report_timezone)


def load_settings(**overrides: object) -> Settings:
    """Read the settings; raise ConfigError with one line per invalid value."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']).upper()} "
            f"{error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors()
        )
        raise ConfigError(f"invalid setting: {problems}") from None
