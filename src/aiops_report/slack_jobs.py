"""The jobs that speak to Slack alone: upload a given PDF (`send`), post a notice, send a week
to date to a channel, check the token and channel (`doctor`, the dashboard), and the key the
ledger records SLACK_CHANNEL's deliveries under. The weekly delivery is `jobs`'."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from aiops_report.building import GeneratedReport, generate_report, numbers_beside
from aiops_report.data.config import Settings
from aiops_report.data.periods import Period
from aiops_report.delivery.config import DeliveryConfig, SlackConfig
from aiops_report.delivery.routes import Destination
from aiops_report.delivery.slack import Delivery, SlackDelivery
from aiops_report.delivery.slack import (
    shown_channel as shown_channel,  # re-exported: faces name channels through here
)
from aiops_report.errors import InvalidInput, SlackNotConfigured
from aiops_report.texts.doctor import Finding


def send_report(settings: Settings, pdf_path: Path) -> Delivery:
    """Upload a report PDF to SLACK_CHANNEL, with the numbers of its JSON twin as the message."""
    if not pdf_path.is_file():
        raise InvalidInput(f"{pdf_path} is not a file")
    return SlackDelivery.of(settings).upload_report(
        pdf_path, numbers_beside(pdf_path), settings.report_language
    )


def post_notice(settings: Settings, text: str) -> None:
    """Post a message to SLACK_CHANNEL.

    Raises SlackNotConfigured, SlackDeliveryError when Slack refuses it, SlackUnavailable.
    """
    SlackDelivery.of(settings).post_message(text)


def send_week_to_date(
    engine: Engine, settings: Settings, period: Period, channel: str | None = None
) -> tuple[GeneratedReport, Delivery]:
    """Build the week-to-date report of `period` (cut: partial) and upload it to
    SLACK_CHANNEL (or `channel`), without recording it in report_runs: the week is delivered
    for real by run_weekly once it is over.

    Raises InvalidInput for a whole period, and what generate_report and the upload raise.
    """
    if not period.partial:
        raise InvalidInput(f"the period from {period.start} is complete: run_weekly delivers it")
    report = generate_report(engine, settings, period)
    slack = SlackConfig.of(settings)
    delivery = SlackDelivery(slack.aimed_at(channel) if channel else slack).upload_report(
        report.path, report.numbers, settings.report_language
    )
    return report, delivery


def slack_channel_key(settings: Settings) -> str:
    """What report_runs records deliveries to SLACK_CHANNEL under: its ID, asked of Slack
    once (its name without a token).

    Raises SlackDeliveryError when Slack cannot tell (channel not found, Slack down).
    """
    destination = Destination("slack", settings.slack_channel.strip())
    return destination.ledger_key(destination.sender(DeliveryConfig.of(settings)))


def slack_check(settings: Settings) -> list[Finding] | None:
    """doctor's findings on the Slack token and channel; None when no token is set."""
    try:
        return SlackDelivery.of(settings).check()
    except SlackNotConfigured:
        return None
