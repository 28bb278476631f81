"""Alert delivery: an alert as a Slack message, a short email or a signed webhook, sent once
per rule, day and destination.

`post_alert` takes the destination, so that a list of routes can hand each of its own; the
`report_once` ledger (RunLedger.first_time) lets one process send, however many watch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, tzinfo
from typing import Any
from urllib.parse import quote

from aiops_report.analysis.alert_rules import DEFAULT_RULES, AlertRule
from aiops_report.analysis.alerts import Alert
from aiops_report.analysis.metrics import ConversationExcerpt
from aiops_report.analysis.significance import ROBUST_Z_LIMIT
from aiops_report.data.config import Settings
from aiops_report.delivery.config import DeliveryConfig
from aiops_report.delivery.protocol import Message
from aiops_report.delivery.routes import Destination
from aiops_report.delivery.runs import LEASE, RunLedger
from aiops_report.language import in_language
from aiops_report.texts.explain import explain_texts, sentence
from aiops_report.texts.formats import format_day, format_score, format_value, format_z, shorten
from aiops_report.texts.report import TEXTS
from aiops_report.texts.slack import ALERT_WORDS, AlertWords

EXCERPT_LIMIT = 80  # characters of a message or a comment in an alert


def rule_name(rule: AlertRule, language: str = "ko") -> str:
    """How a rule is named in `language`: a built-in rule by the words of texts/, a rule of
    ALERTS_FILE as it is written there."""
    if rule in DEFAULT_RULES:
        return in_language(ALERT_WORDS, language).built_in[rule.metric]
    return rule.name


def alert_name(alert: Alert, language: str = "ko") -> str:
    """The rule's name, and the segment's when the alert is of a segment."""
    name = rule_name(alert.rule, language)
    return name if alert.segment is None else f"{name} · {alert.segment}"


def alert_text(alert: Alert, language: str = "ko") -> str:
    """The Slack message of an alert (mrkdwn): the rule, the day (so far), the metric and its
    observations, its baseline, the z or the threshold, which group drove it (a rule that
    explains), and up to three of the day's worst conversations."""
    lines = _alert_lines(alert, language, slack=True)
    return "\n".join([f":rotating_light: {lines[0]}", *lines[1:]])


def alert_mail(alert: Alert, language: str = "ko") -> tuple[str, str]:
    """The subject and plain text of an alert's email: what the Slack message says."""
    lines = _alert_lines(alert, language, slack=False)
    # A header may hold no line break (a rule's name in ALERTS_FILE could).
    return " ".join(lines[0].split()), "\n".join(lines)


def alert_document(alert: Alert, language: str = "ko", zone: tzinfo = UTC) -> dict[str, Any]:
    """The JSON of an alert for a webhook: its id, name, rule, segment, day, numbers, worst
    conversations (their times in `zone`), and the email's text."""
    return {
        "id": alert_id(alert),
        "name": alert_name(alert, language),
        "rule": alert.rule.model_dump(),
        "segment": alert.segment,
        "day": alert.day.isoformat(),
        "through": alert.through.isoformat() if alert.through else None,
        "metric": alert.rule.metric,
        "value": alert.value,
        "observations": alert.observations,
        "baseline_median": alert.baseline_median,
        "baseline_days": alert.baseline_days,
        "robust_z": alert.robust_z,
        "robust_z_limit": ROBUST_Z_LIMIT if alert.robust_z is not None else None,
        "worst": [
            {**asdict(c), "created_at": c.created_at.astimezone(zone).isoformat()}
            for c in alert.worst
        ],
        "driver": None
        if alert.driver is None
        else {"dimension": alert.driver.dimension, **alert.driver.to_dict()},
        "text": alert_mail(alert, language)[1],
    }


def _alert_lines(alert: Alert, language: str, *, slack: bool) -> list[str]:
    """The alert's lines, the title first; for Slack with its bold and escapes."""
    words, texts = in_language(ALERT_WORDS, language), in_language(TEXTS, language)
    escape = _escape if slack else _as_is
    metric = alert.rule.metric
    when = format_day(alert.day, texts)
    if alert.through is not None:
        when += f", {words.so_far.format(time=f'{alert.through:%H:%M}')}"
    title = words.title.format(name=escape(alert_name(alert, language)))
    value = format_value(metric, alert.value)
    lines = [
        f"*{title}* · {when}" if slack else f"{title} · {when}",
        words.line_value.format(
            metric=texts.metrics[metric],
            value=f"*{value}*" if slack else value,
            observations=f"{alert.observations:,}",
        ),
        words.baseline.format(
            median=format_value(metric, alert.baseline_median), days=alert.baseline_days
        )
        if alert.baseline_median is not None
        else words.no_baseline,
    ]
    if alert.robust_z is not None:
        lines.append(words.anomaly.format(z=format_z(alert.robust_z), limit=ROBUST_Z_LIMIT))
    elif alert.rule.value is not None:
        threshold = getattr(words, alert.rule.when)
        lines.append(threshold.format(value=format_value(metric, alert.rule.value)))
    if alert.driver is not None:
        driver = explain_texts(language).alert_driver
        lines.append(escape(driver.format(sentence=sentence(alert.driver, language))))
    if alert.worst:
        lines.append(words.worst)
        lines += [_conversation_line(i, c, words, escape) for i, c in enumerate(alert.worst, 1)]
    return lines


def _conversation_line(
    number: int, c: ConversationExcerpt, words: AlertWords, escape: Callable[[str], str]
) -> str:
    """`1. #123 · score 2.00 · dislike · "comment" · user message`."""
    parts = [f"{number}."]
    if c.conversation_id is not None:
        parts.append(f"#{escape(str(c.conversation_id))}")
    if c.score is not None:
        parts.append(f"{words.score} {format_score(c.score)}")
    if c.feedback:
        parts.append(escape(c.feedback))
    if c.comment:
        parts.append(f"{words.comment} “{escape(shorten(c.comment, EXCERPT_LIMIT))}”")
    if c.user_message:
        parts.append(f"“{escape(shorten(c.user_message, EXCERPT_LIMIT))}”")
    return " · ".join(parts).replace(" · ", " ", 1)


def _escape(text: str) -> str:
    """Text as Slack's mrkdwn shows it literally (no links, mentions or markup)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _as_is(text: str) -> str:
    return text


def alert_id(alert: Alert) -> str:
    """What names an alert wherever it goes (a webhook's X-Alert-Id): its day, its rule's
    fingerprint and its segment."""
    where = "" if alert.segment is None else f":{quote(alert.segment, safe='')}"
    return f"{alert.day.isoformat()}:{alert.rule.key}{where}"


def alert_key(alert: Alert, destination: Destination) -> str:
    """The ledger key of an alert at a destination: once per rule, day and destination (the
    destination's key holds the segment). At most 140 characters: Destination.key is short."""
    where = f"slack:{destination.key}" if destination.kind == "slack" else destination.key
    return f"alert:{alert.day.isoformat()}:{alert.rule.key}:{where}"


def post_alert(
    settings: Settings, ledger: RunLedger, alert: Alert, destination: Destination
) -> bool:
    """Send `alert` to `destination` (a Slack channel, an email address, a webhook), unless it
    was sent there already; True when this call sent it.

    A send that fails is forgotten, so that the next watch tries again; raises
    SlackNotConfigured, SlackDeliveryError, SlackUnavailable, ConfigError (SMTP_URL,
    EMAIL_FROM, WEBHOOK_SECRET), EmailDeliveryError, WebhookDeliveryError.
    """
    key = alert_key(alert, destination)
    if not ledger.first_time(key, lease=LEASE):  # a watch that died sending it: taken over
        return False
    try:
        _send(settings, alert, destination)
    except Exception:  # whatever stopped it, the next watch tries again
        ledger.forget(key)
        raise
    ledger.done(key)
    return True


def alert_message(alert: Alert, language: str = "ko", zone: tzinfo = UTC) -> Message:
    """An alert as one message in every form: the email's subject and text, Slack's mrkdwn,
    a webhook's JSON with X-Alert-Id."""
    subject, text = alert_mail(alert, language)
    return Message(
        subject=subject,
        text=text,
        markdown=alert_text(alert, language),
        document=alert_document(alert, language, zone),
        headers={"X-Alert-Id": alert_id(alert)},
    )


def _send(settings: Settings, alert: Alert, destination: Destination) -> None:
    config = DeliveryConfig.of(settings)
    message = alert_message(alert, config.language, config.zone)
    destination.sender(config).send(message)
