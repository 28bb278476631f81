"""Alert delivery: an alert as a Slack message, posted once per rule, day and destination.

`post_alert` takes the destination, so that a list of routes can hand each of its own; the
`report_once` ledger (RunLedger.first_time) lets one process post, however many watch.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiops_report.analysis.alerts import Alert
from aiops_report.analysis.metrics import ConversationExcerpt
from aiops_report.analysis.significance import ROBUST_Z_LIMIT
from aiops_report.data.config import Settings
from aiops_report.delivery.runs import RunLedger
from aiops_report.delivery.slack import SlackDelivery
from aiops_report.errors import AiopsReportError
from aiops_report.language import Language, language_of
from aiops_report.texts import (
    TEXTS,
    format_day,
    format_score,
    format_value,
    format_z,
    shorten,
)

EXCERPT_LIMIT = 80  # characters of a message or a comment in an alert


@dataclass(frozen=True)
class _Words:
    title: str  # {name}
    so_far: str  # {time}
    line_value: str  # {metric} {value} {observations}
    baseline: str  # {median} {days}
    no_baseline: str
    anomaly: str  # {z} {limit}
    above: str  # {value}
    below: str  # {value}
    worst: str
    score: str
    comment: str


WORDS: dict[Language, _Words] = {
    "ko": _Words(
        title=":rotating_light: *알림: {name}*",
        so_far="오늘 {time}까지",
        line_value="• {metric}: *{value}* (관측 {observations}건)",
        baseline="• 기준선: {median} (최근 8주 같은 요일 {days}일의 중앙값)",
        no_baseline="• 기준선: – (최근 8주 같은 요일의 기록 없음)",
        anomaly="• robust z = {z} (±{limit:g}를 넘으면 이상)",
        above="• 기준: {value} 초과",
        below="• 기준: {value} 미만",
        worst="이 날의 가장 나쁜 대화:",
        score="점수",
        comment="의견",
    ),
    "en": _Words(
        title=":rotating_light: *Alert: {name}*",
        so_far="today until {time}",
        line_value="• {metric}: *{value}* ({observations} observations)",
        baseline="• baseline: {median} (median of the same weekday, {days} of the 8 weeks before)",
        no_baseline="• baseline: – (no same weekday in the 8 weeks before)",
        anomaly="• robust z = {z} (beyond ±{limit:g} is anomalous)",
        above="• threshold: above {value}",
        below="• threshold: below {value}",
        worst="The day's worst conversations:",
        score="score",
        comment="comment",
    ),
}


def alert_text(alert: Alert, language: str = "ko") -> str:
    """The message of an alert: the rule, the day (so far), the metric and its observations,
    its baseline, the z or the threshold, and up to three of the day's worst conversations."""
    lang = language_of(language)
    words, texts = WORDS[lang], TEXTS[lang]
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


def _conversation_line(number: int, c: ConversationExcerpt, words: _Words) -> str:
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
