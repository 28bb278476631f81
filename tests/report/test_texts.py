"""How numbers, changes, dates and conversation text read in the report, and the highlights."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from report_numbers import (
    CHANGES,
    CURRENT,
    PERIOD,
    PREVIOUS,
    WEEK_TO_DATE,
    ZONE,
    insights,
    model,
    week,
)

from aiops_report.analysis.formulas import Change
from aiops_report.analysis.themes import Theme
from aiops_report.report.summary import (
    MAX_HIGHLIGHTS,
    MIN_HIGHLIGHTS,
    highlights,
    rising_theme,
    shown_metrics,
    worst_model,
)
from aiops_report.texts.formats import (
    format_change,
    format_interval,
    format_p_value,
    format_time,
    format_value,
    partial_note,
    period_label,
    report_title,
    short_period,
    shorten,
)
from aiops_report.texts.report import EN, KO, korean_subject


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("conversations", 2034, "2,034"),
        ("conversations", 0, "0"),
        ("total_tokens", 2230807, "2,230,807"),
        ("satisfaction_rate", 411 / 659, "62.4%"),
        ("satisfaction_rate", 1.0, "100.0%"),
        ("avg_score", 6.858224, "6.86"),
        ("latency_p95_ms", 2502.6, "2,503 ms"),
        ("avg_score", None, "–"),
        ("unique_users", None, "–"),
    ],
)
def test_values_read_as_the_kpi_table_shows_them(name: str, value: float, shown: str) -> None:
    assert format_value(name, value) == shown


@pytest.mark.parametrize(
    ("name", "change", "ko", "en"),
    [
        ("conversations", Change(60, 60 / 1974), "▲ +60 (+3.0%)", "▲ +60 (+3.0%)"),
        ("dislikes", Change(-1200, -0.5), "▼ -1,200 (-50.0%)", "▼ -1,200 (-50.0%)"),
        ("satisfaction_rate", Change(-0.1036005, None), "▼ -10.4%p", "▼ -10.4 pp"),
        ("avg_score", Change(-0.546382, -0.0738), "▼ -0.55 (-7.4%)", "▼ -0.55 (-7.4%)"),
        ("latency_p95_ms", Change(-406.6, -0.1625), "▼ -407 ms (-16.2%)", "▼ -407 ms (-16.2%)"),
        ("likes", Change(5, None, new=True), "신규", "new"),  # last week had none
        ("satisfaction_rate", Change(None, None, new=True), "신규", "new"),
        ("likes", Change(0, 0.0), "0 (0.0%)", "0 (0.0%)"),
        ("satisfaction_rate", Change(0.0, None), "0.0%p", "0.0 pp"),
        ("avg_score", Change(None, None), "–", "–"),
    ],
)
def test_changes_carry_a_mark_a_sign_and_percent_or_points(
    name: str, change: Change, ko: str, en: str
) -> None:
    assert format_change(name, change, KO) == ko
    assert format_change(name, change, EN) == en


def test_the_period_names_its_first_and_last_day_and_zone() -> None:
    assert period_label(PERIOD, KO) == "2026-11-16 (월) – 2026-11-22 (일), Asia/Seoul"
    assert period_label(PERIOD, EN) == "2026-11-16 (Mon) – 2026-11-22 (Sun), Asia/Seoul"


def test_a_week_to_date_names_its_cut() -> None:
    assert period_label(WEEK_TO_DATE, KO) == "2026-11-16 (월) – 2026-11-19 (목) 15:30, Asia/Seoul"
    assert short_period(WEEK_TO_DATE) == "2026-11-16 – 2026-11-19 15:30"
    assert report_title(WEEK_TO_DATE, EN) == "AI chatbot weekly operations report (week to date)"
    assert report_title(PERIOD, KO) == KO.title
    assert report_title(PERIOD, KO, restated=True) == f"{KO.title} (정정본)"
    assert report_title(WEEK_TO_DATE, EN, "shop-bot", restated=True) == (
        "AI chatbot weekly operations report · shop-bot (week to date, restated)"
    )
    assert partial_note(WEEK_TO_DATE, EN).startswith(
        "This week is not over: these are its numbers until 11-19 (Thu) 15:30, compared with "
        "the same span of the week before (11-09 (Mon) 00:00 – 11-12 (Thu) 15:30)"
    )


def test_times_are_shown_in_the_report_zone() -> None:
    late_sunday_utc = datetime(2026, 11, 22, 14, 59, tzinfo=UTC)
    assert format_time(late_sunday_utc, ZONE, KO) == "11-22 (일) 23:59"


@pytest.mark.parametrize(
    ("word", "subject"),
    [
        ("대화 수", "대화 수가"),
        ("피드백 수", "피드백 수가"),
        ("만족도", "만족도가"),
        ("p95 응답 시간", "p95 응답 시간이"),
        ("토큰 사용량", "토큰 사용량이"),
    ],
)
def test_korean_subjects_take_the_right_particle(word: str, subject: str) -> None:
    assert korean_subject(word) == subject


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("  a\n\n b\t\tc  ", "a b c"),
        ("NUL\x00byte\x07bell\x1b[0m", "NUL byte bell [0m"),
        ("zero\u200bwidth\u2028line", "zero width line"),
        ("가" * 10_000, "가" * 19 + "…"),
        ("exactly twenty chars", "exactly twenty chars"),
        ("", ""),
    ],
)
def test_shorten_makes_one_line_within_the_limit(text: str, short: str) -> None:
    assert shorten(text, 20) == short
    assert len(shorten(text, 20)) <= 20


def test_highlights_rank_the_largest_changes_rates_by_points() -> None:
    numbers = week(
        current=replace(
            CURRENT, conversations=2000, feedback_total=550, dislikes=150, satisfaction_rate=0.62
        ),
        previous=replace(PREVIOUS, conversations=1000, satisfaction_rate=0.7240),
    )
    found = [h.text for h in highlights(numbers, KO)]

    assert MIN_HIGHLIGHTS <= len(found) <= MAX_HIGHLIGHTS
    assert found[0] == "대화 수가 지난주보다 100.0% 늘었습니다 (1,000 → 2,000)"
    assert found[1] == "p95 응답 시간이 지난주보다 16.2% 짧아졌습니다 (2,503 ms → 2,096 ms)"
    assert found[2] == "만족도가 지난주보다 10.4%p 낮아졌습니다 (72.4% → 62.0%)"
    assert highlights(numbers, EN)[2].text == (
        "The satisfaction rate fell by 10.4 pp from last week (72.4% → 62.0%)."
    )


def test_highlights_skip_unknown_and_unchanged_metrics() -> None:
    same = replace(CURRENT, avg_score=None, latency_p95_ms=PREVIOUS.latency_p95_ms)
    found = highlights(week(current=same), KO)

    assert MIN_HIGHLIGHTS <= len(found) <= MAX_HIGHLIGHTS
    assert not any("평균 점수" in h.text or "p95" in h.text for h in found)
    assert highlights(week(current=PREVIOUS), KO) == []


def test_the_kpi_rows_follow_the_schema() -> None:
    assert "latency_p95_ms" in shown_metrics(week())
    bare = shown_metrics(week(features=frozenset()))
    assert bare == [
        "conversations",
        "feedback_total",
        "likes",
        "dislikes",
        "satisfaction_rate",
        "evaluations",
        "avg_score",
    ]


@pytest.mark.parametrize(
    ("p_value", "shown"),
    [(0.00012, "p < 0.001"), (0.001, "p = 0.001"), (0.0123, "p = 0.012"), (0.4321, "p = 0.43")],
)
def test_p_values_read_plainly(p_value: float, shown: str) -> None:
    assert format_p_value(p_value) == shown
    assert format_p_value(None) == "–"


@pytest.mark.parametrize(
    ("name", "low", "high", "ko", "en"),
    [
        ("satisfaction_rate", -0.1408, -0.0467, "-14.1%p ~ -4.7%p", "-14.1 pp ~ -4.7 pp"),
        ("avg_score", -0.3367, -0.0786, "-0.34 ~ -0.08", "-0.34 ~ -0.08"),
        ("conversations", 1.2112, 1.3642, "+21.1% ~ +36.4%", "+21.1% ~ +36.4%"),  # a ratio
        ("avg_score", None, 0.2, "–", "–"),
    ],
)
def test_intervals_read_as_their_change(
    name: str, low: float | None, high: float | None, ko: str, en: str
) -> None:
    assert format_interval(name, low, high, KO) == ko
    assert format_interval(name, low, high, EN) == en


def test_highlights_put_significant_changes_first_then_the_worst_model_and_complaint() -> None:
    numbers = week(insights=insights())
    found = [h.text for h in highlights(numbers, KO)]

    assert MIN_HIGHLIGHTS <= len(found) <= MAX_HIGHLIGHTS
    assert found[:3] == [
        "만족도가 지난주보다 10.4%p 낮아졌습니다 (72.7% → 62.4%, 유의함)",
        "만족도가 가장 낮은 모델은 gpt-4.1-nano입니다 (41.0%, 전체 62.4%)",
        "늘어난 불만: ‘환불’ 120건 (지난주 0건)",
    ]
    # The average score's p < 0.05 is on too little data: not called significant.
    assert sum("유의함" in text for text in found) == 1
    assert highlights(numbers, EN)[0].text == (
        "The satisfaction rate fell by 10.4 pp from last week (72.7% → 62.4%, significant)."
    )


def test_without_a_significant_change_the_highlights_rank_by_size() -> None:
    nothing_real = {name: replace(c, significant=False) for name, c in CHANGES.items()}
    plain = [h.text for h in highlights(week(), KO)]
    found = [h.text for h in highlights(week(insights=insights(changes=nothing_real)), KO)]

    assert not any("유의함" in text for text in found)
    assert found[0].startswith("만족도가 가장 낮은 모델은")
    assert found[2:] == plain[: len(found) - 2]


def test_the_worst_model_needs_enough_ratings_and_another_model() -> None:
    worst = worst_model(week(insights=insights()))
    assert worst is not None and worst.model == "gpt-4.1-nano"  # not tiny-experiment: 10 ratings

    alone = insights(by_model=[model("gpt-4o-mini", 1000, 300, 50), model("new", 9, 1, 8)])
    assert worst_model(week(insights=alone)) is None
    assert worst_model(week(insights=insights(by_model=None))) is None
    assert worst_model(week()) is None


def test_the_rising_complaint_is_the_one_that_rose_most() -> None:
    themes = [Theme("근거", 120, 67, []), Theme("환불", 90, 2, []), Theme("누락", 95, 99, [])]
    rising = rising_theme(week(insights=insights(themes=themes)))
    assert rising is not None and rising.term == "환불"

    fell = [Theme("누락", 95, 99, [])]
    assert rising_theme(week(insights=insights(themes=fell))) is None
    assert rising_theme(week(insights=insights(themes=None))) is None
