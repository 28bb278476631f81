"""What delivery needs of the settings, in small objects: each kind of destination gets its
own (a Slack channel's, the SMTP server's, the webhooks' secret), never the whole Settings."""

from __future__ import annotations

from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from aiops_report.data.config import Settings
from aiops_report.language import Language


@dataclass(frozen=True)
class SlackConfig:
    """SLACK_BOT_TOKEN, the channel, SLACK_API_URL, SLACK_TIMEOUT and the report's language."""

    token: SecretStr | None
    channel: str = "#ai-reports"
    api_url: str = "https://slack.com/api/"
    timeout: int = 20
    language: Language = "ko"

    @classmethod
    def of(cls, settings: Settings) -> SlackConfig:
        """SLACK_CHANNEL's configuration."""
        return cls(
            token=settings.slack_bot_token,
            channel=settings.slack_channel,
            api_url=settings.slack_api_url,
            timeout=settings.slack_timeout,
            language=settings.report_language,
        )

    def aimed_at(self, channel: str) -> SlackConfig:
        """The same bot and API, posting to `channel` (a route's, a slash command's)."""
        return replace(self, channel=channel)


@dataclass(frozen=True)
class EmailConfig:
    """SMTP_URL and EMAIL_FROM."""

    smtp_url: SecretStr | None
    sender: str | None

    @classmethod
    def of(cls, settings: Settings) -> EmailConfig:
        return cls(settings.smtp_url, settings.email_from)


@dataclass(frozen=True)
class DeliveryConfig:
    """Everything a destination may need: each kind's configuration, the report's language
    and time zone."""

    slack: SlackConfig
    email: EmailConfig
    webhook_secret: SecretStr | None
    language: Language
    zone: ZoneInfo

    @classmethod
    def of(cls, settings: Settings) -> DeliveryConfig:
        return cls(
            slack=SlackConfig.of(settings),
            email=EmailConfig.of(settings),
            webhook_secret=settings.webhook_secret,
            language=settings.report_language,
            zone=settings.report_zone,
        )
