"""An alert's words: the built-in rules named in the report's language, a file's rule as
written, the segment in the name, Slack's markup in Slack only."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from aiops_report.analysis.alert_rules import DEFAULT_RULES, AlertRule
from aiops_report.analysis.alerts import Alert
from aiops_report.analysis.metrics import ConversationExcerpt
from aiops_report.delivery.alerting import alert_document, alert_mail, alert_text, rule_name
from aiops_report.language import in_language
from aiops_report.texts.slack import ALERT_WORDS

FRIDAY = date(2026, 11, 20)


def an_alert(rule: AlertRule, segment: str | None = None) -> Alert:
    disliked = ConversationExcerpt(
        created_at=datetime(2026, 11, 20, 1, tzinfo=UTC),
        conversation_id=7,
        score=2.0,
        feedback="dislike",
        comment="<b>wrong</b> & rude",
        evaluator=None,
        reason=None,
        model=None,
        user_message="환불 되나요?",
        ai_response=None,
    )
    return Alert(
        rule=rule,
        day=FRIDAY,
        through=None,
        value=0.2,
        observations=25,
        baseline_median=0.78,
        baseline_days=8,
        robust_z=-9.8,
        worst=[disliked],
        segment=segment,
    )


@pytest.mark.parametrize("language", ["ko", "en"])
def test_every_built_in_rule_has_a_name_of_its_own_in_each_language(language: str) -> None:
    names = {rule_name(rule, language) for rule in DEFAULT_RULES}
    assert len(names) == len(DEFAULT_RULES)
    assert names == set(in_language(ALERT_WORDS, language).built_in.values())


@pytest.mark.parametrize(
    ("language", "title", "day"),
    [
        ("ko", "알림: 만족도 이상 징후", "2026-11-20 (금)"),
        ("en", "Alert: satisfaction rate anomaly", "2026-11-20 (Fri)"),
    ],
)
def test_a_built_in_rule_reads_in_the_reports_language(language: str, title: str, day: str) -> None:
    alert = an_alert(DEFAULT_RULES[0])

    subject, text = alert_mail(alert, language)

    assert subject == f"{title} · {day}" and text.startswith(subject)
    assert alert_text(alert, language).startswith(f":rotating_light: *{title}* · {day}\n")
    assert alert_document(alert, language)["name"] == title.split(": ")[1]


def test_a_files_rule_keeps_its_name_and_a_segment_is_named() -> None:
    rule = AlertRule(name="만족도 급락", metric="satisfaction_rate", when="below", value=0.5)
    alert = an_alert(rule, segment="shop-bot")

    assert rule_name(rule, "en") == rule_name(rule, "ko") == "만족도 급락"
    assert alert_mail(alert, "en")[0] == "Alert: 만족도 급락 · shop-bot · 2026-11-20 (Fri)"
    assert alert_document(alert, "ko")["name"] == "만족도 급락 · shop-bot"


def test_slack_gets_its_markup_and_escapes_the_mail_neither() -> None:
    alert = an_alert(DEFAULT_RULES[0])

    slack = alert_text(alert, "ko")
    mail = alert_mail(alert, "ko")[1]

    assert "• 만족도: *20.0%* (관측 25건)" in slack and "• 만족도: 20.0% (관측 25건)" in mail
    assert "&lt;b&gt;wrong&lt;/b&gt; &amp; rude" in slack
    assert "1. #7 · 점수 2.00 · dislike · 의견 “<b>wrong</b> & rude” · “환불 되나요?”" in mail
