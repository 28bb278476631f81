"""Alert delivery: an alert as a Slack message, posted once per rule, day and destination.

`post_alert` takes the destination, so that a list of routes can hand each of its own; the
`report_once` ledger (RunLedger.first_time) lets one process post, however many watch.
"""

from __future__ import annotations

from aiops_report.analysis.alerts import Alert
from aiops_report.analysis.metrics import ConversationExcerpt
from aiops_report.analysis.significance import ROBUST_Z_LIMIT
from aiops_report.data.config import Settings
from aiops_report.delivery.runs import RunLedger
from aiops_report.delivery.slack import SlackDelivery
from aiops_report.errors import AiopsReportError
from aiops_report.language import in_language
from aiops_report.texts.formats import format_day, format_score, format_value, format_z, shorten
from aiops_report.texts.report import TEXTS
from aiops_report.texts.slack import ALERT_WORDS, AlertWords

EXCERPT_LIMIT = 80  # characters of a message or a comment in an alert


def alert_text(alert: Alert, language: str = "ko") -> str:
    """The message of an alert: the rule, the day (so far), the metric and its observations,
    its baseline, the z or the threshold, and up to three of the day's worst conversations."""
    words, texts = in_language(ALERT_WORDS, language), in_language(TEXTS, language)
    metric = alert.rule.metric
    when = format_day(alert.day, texts)
    if alert.through is not None:
        when += f", {words.so_far.format(time=f'{alert.through:%H:%M}')}"
    lines = [
        f"{words.title.format(name=_escape(alert.rule.name))} · {when}",
        words.line_value.format(
            metric=texts.metrics[metric],
            value=format_value(metric, alert.value),
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
    if alert.worst:
        lines.append(words.worst)
        lines += [_conversation_line(i, c, words) for i, c in enumerate(alert.worst, 1)]
    return "\n".join(lines)


def _conversation_line(number: int, c: ConversationExcerpt, words: AlertWords) -> str:
    """`1. #123 · score 2.00 · dislike · "comment" · user message`."""
    parts = [f"{number}."]
    if c.conversation_id is not None:
        parts.append(f"#{_escape(str(c.conversation_id))}")
    if c.score is not None:
        parts.append(f"{words.score} {format_score(c.score)}")
    if c.feedback:
        parts.append(_escape(c.feedback))
    if c.comment:
        parts.append(f"{words.comment} “{_excerpt(c.comment)}”")
    if c.user_message:
        parts.append(f"“{_excerpt(c.user_message)}”")
    return " · ".join(parts).replace(" · ", " ", 1)


def _excerpt(text: str) -> str:
    return _escape(shorten(text, EXCERPT_LIMIT))


def _escape(text: str) -> str:
    """Text as Slack's mrkdwn shows it literally (no links, mentions or markup)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def alert_key(alert: Alert, destination: str) -> str:
    """The ledger key of an alert at a destination: once per rule, day and destination."""
    return f"alert:{alert.day.isoformat()}:{alert.rule.key}:{destination}"[:255]


def post_alert(settings: Settings, ledger: RunLedger, alert: Alert, channel: str) -> bool:
    """Post `alert` to the Slack `channel`, unless it was posted there already; True when
    this call posted it.

    A post that fails is forgotten, so that the next watch tries again; raises
    SlackNotConfigured, SlackDeliveryError, SlackUnavailable.
    """
    slack = SlackDelivery(settings.model_copy(update={"slack_channel": channel}))
    key = alert_key(alert, f"slack:{channel}")
    if not ledger.first_time(key):
        return False
    try:
        slack.post_message(alert_text(alert, settings.report_language))
    except AiopsReportError:
        ledger.forget(key)
        raise
    return True
