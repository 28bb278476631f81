"""Every word of the reports and screens in Korean and English; how numbers and dates read."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from aiops_report.metrics import Change
from aiops_report.periods import Period

Language = Literal["ko", "en"]

NONE = "–"  # what a missing value (None) reads as: never 0
UP, DOWN = "▲", "▼"  # both are in NanumGothic
ELLIPSIS = "…"

RATES = frozenset({"satisfaction_rate"})  # shown in percent, changes in percentage points
SCORES = frozenset({"avg_score"})
DURATIONS = frozenset({"latency_p50_ms", "latency_p95_ms"})


@dataclass(frozen=True)
class Texts:
    """The words of one language."""

    title: str
    weekdays: tuple[str, str, str, str, str, str, str]  # Monday first
    metrics: Mapping[str, str]  # KPI table labels
    subjects: Mapping[str, str]  # the metric as the subject of a highlight sentence
    point_unit: str  # percentage points
    kpi_heading: str
    kpi_columns: tuple[str, str, str, str]
    highlights_heading: str
    highlight: str  # template: {subject} {amount} {verb} {before} {after}
    verbs: Mapping[str, tuple[str, str]]  # kind of metric -> (went up, went down)
    subject: Callable[[str], str]  # adds the Korean subject particle
    no_comparison: str
    versus_previous: str  # how a change is introduced in a sentence
    daily_heading: str
    chart_conversations: str
    chart_feedback: str
    chart_score: str
    chart_distribution: str
    this_week: str
    last_week: str
    last_week_average: str
    likes: str
    dislikes: str
    like: str  # the feedback of one conversation
    dislike: str
    lowest_heading: str
    disliked_heading: str
    excerpt_columns: tuple[str, str, str, str, str]  # time, score, feedback, model, conversation
    question: str
    answer: str
    comment: str
    reason: str
    empty_heading: str
    empty_body: str  # template: {start} {end}
    empty_previous: str  # template: {conversations}
    page: str  # template: {page} {total}
    generated: str  # template: {time}


def korean_subject(word: str) -> str:
    """`word` with 이 after a final consonant, 가 otherwise (대화 수가, 피드백이)."""
    last = word[-1]
    has_final = "가" <= last <= "힣" and (ord(last) - ord("가")) % 28 != 0
    return word + ("이" if has_final else "가")


KO = Texts(
    title="AI 챗봇 주간 운영 리포트",
    weekdays=("월", "화", "수", "목", "금", "토", "일"),
    metrics={
        "conversations": "대화 수",
        "unique_users": "사용자 수",
        "feedback_total": "피드백 수",
        "likes": "좋아요",
        "dislikes": "싫어요",
        "satisfaction_rate": "만족도",
        "evaluations": "평가 수",
        "avg_score": "평균 점수",
        "latency_p50_ms": "응답 시간 p50",
        "latency_p95_ms": "응답 시간 p95",
        "total_tokens": "토큰 사용량",
    },
    subjects={
        "conversations": "대화 수",
        "unique_users": "사용자 수",
        "feedback_total": "피드백 수",
        "likes": "좋아요 수",
        "dislikes": "싫어요 수",
        "satisfaction_rate": "만족도",
        "evaluations": "평가 수",
        "avg_score": "평균 점수",
        "latency_p50_ms": "p50 응답 시간",
        "latency_p95_ms": "p95 응답 시간",
        "total_tokens": "토큰 사용량",
    },
    point_unit="%p",
    kpi_heading="주요 지표",
    kpi_columns=("지표", "이번 주", "지난주", "변화"),
    highlights_heading="이번 주 요약",
    highlight="{subject} 지난주보다 {amount} {verb} ({before} → {after})",
    verbs={
        "count": ("늘었습니다", "줄었습니다"),
        "level": ("높아졌습니다", "낮아졌습니다"),
        "duration": ("길어졌습니다", "짧아졌습니다"),
    },
    subject=korean_subject,
    no_comparison="지난주와 비교해 달라진 지표가 없습니다.",
    versus_previous="지난주 대비",
    daily_heading="일별 추이",
    chart_conversations="일별 대화 수",
    chart_feedback="일별 좋아요 / 싫어요",
    chart_score="일별 평균 점수",
    chart_distribution="점수 분포",
    this_week="이번 주",
    last_week="지난주",
    last_week_average="지난주 평균",
    likes="좋아요",
    dislikes="싫어요",
    like="좋아요",
    dislike="싫어요",
    lowest_heading="점수가 가장 낮은 대화",
    disliked_heading="싫어요를 받은 대화",
    excerpt_columns=("시각", "점수", "피드백", "모델", "대화"),
    question="질문",
    answer="답변",
    comment="의견",
    reason="평가 사유",
    empty_heading="이 기간에는 데이터가 없습니다",
    empty_body=(
        "{start} – {end} 기간에 기록된 대화, 피드백, 평가가 하나도 없어 지표와 차트를 만들지 "
        "않았습니다. 챗봇이 이 기간에 운영되었다면 데이터베이스 연결(DATABASE_URL)과 "
        "테이블 설정을 확인해 주세요."
    ),
    empty_previous="지난주에는 대화 {conversations}건이 기록되었습니다.",
    page="페이지 {page} / {total}",
    generated="생성 {time}",
)

EN = Texts(
    title="AI chatbot weekly operations report",
    weekdays=("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    metrics={
        "conversations": "Conversations",
        "unique_users": "Unique users",
        "feedback_total": "Feedback",
        "likes": "Likes",
        "dislikes": "Dislikes",
        "satisfaction_rate": "Satisfaction rate",
        "evaluations": "Evaluations",
        "avg_score": "Average score",
        "latency_p50_ms": "Latency p50",
        "latency_p95_ms": "Latency p95",
        "total_tokens": "Total tokens",
    },
    subjects={
        "conversations": "Conversations",
        "unique_users": "Unique users",
        "feedback_total": "Feedback",
        "likes": "Likes",
        "dislikes": "Dislikes",
        "satisfaction_rate": "The satisfaction rate",
        "evaluations": "Evaluations",
        "avg_score": "The average score",
        "latency_p50_ms": "The p50 latency",
        "latency_p95_ms": "The p95 latency",
        "total_tokens": "Token usage",
    },
    point_unit=" pp",
    kpi_heading="Key metrics",
    kpi_columns=("Metric", "This week", "Last week", "Change"),
    highlights_heading="This week in brief",
    highlight="{subject} {verb} by {amount} from last week ({before} → {after}).",
    verbs={
        "count": ("rose", "fell"),
        "level": ("rose", "fell"),
        "duration": ("rose", "fell"),
    },
    subject=str,
    no_comparison="No metric changed from last week.",
    versus_previous="vs last week",
    daily_heading="Day by day",
    chart_conversations="Conversations per day",
    chart_feedback="Likes and dislikes per day",
    chart_score="Average score per day",
    chart_distribution="Score distribution",
    this_week="This week",
    last_week="Last week",
    last_week_average="Last week's average",
    likes="Likes",
    dislikes="Dislikes",
    like="Like",
    dislike="Dislike",
    lowest_heading="Lowest-scored conversations",
    disliked_heading="Disliked conversations",
    excerpt_columns=("Time", "Score", "Feedback", "Model", "Conversation"),
    question="Q",
    answer="A",
    comment="Comment",
    reason="Reason",
    empty_heading="No data in this period",
    empty_body=(
        "No conversation, feedback or evaluation was recorded between {start} and {end}, so "
        "there are no "
        "metrics or charts. If the chatbot was running, check the database connection "
        "(DATABASE_URL) and the table settings."
    ),
    empty_previous="The week before had {conversations} conversations.",
    page="Page {page} / {total}",
    generated="Generated {time}",
)

TEXTS: Mapping[Language, Texts] = {"ko": KO, "en": EN}


# --- numbers ----------------------------------------------------------------------------------


def format_value(name: str, value: float | None) -> str:
    """A metric's value as the KPI table shows it: 2,034 / 62.4% / 6.86 / 883 ms / –."""
    if value is None:
        return NONE
    if name in RATES:
        return f"{value * 100:.1f}%"
    if name in SCORES:
        return f"{value:.2f}"
    if name in DURATIONS:
        return f"{value:,.0f} ms"
    return f"{value:,}"


def format_amount(name: str, change: Change, texts: Texts) -> str:
    """The size of a change, without sign: 10.4%p for a rate, 3.0% otherwise."""
    if name in RATES:
        assert change.absolute is not None
        return f"{abs(change.absolute) * 100:.1f}{texts.point_unit}"
    assert change.relative is not None
    return f"{abs(change.relative) * 100:.1f}%"


def format_change(name: str, change: Change, texts: Texts) -> str:
    """The change column: ▲ +60 (+3.0%), ▼ -10.4%p, ▼ -0.55 (-7.4%), or – when unknown."""
    absolute = change.absolute
    if absolute is None:
        return NONE
    mark = UP if absolute > 0 else DOWN if absolute < 0 else ""
    if name in RATES:
        text = f"{absolute * 100:+.1f}{texts.point_unit}"
    elif name in SCORES:
        text = f"{absolute:+.2f}"
    elif name in DURATIONS:
        text = f"{absolute:+,.0f} ms"
    else:
        text = f"{absolute:+,}"
    if change.relative is not None:
        text += f" ({change.relative * 100:+.1f}%)"
    if absolute == 0:
        return text.replace("+", "")  # no change: no sign
    return f"{mark} {text}"


def format_score(score: float | None) -> str:
    return NONE if score is None else f"{score:.2f}"


# --- dates ------------------------------------------------------------------------------------


def format_day(day: date, texts: Texts) -> str:
    """2026-11-16 (월)"""
    return f"{day.isoformat()} ({texts.weekdays[day.weekday()]})"


def period_label(period: Period, texts: Texts) -> str:
    """2026-11-16 (월) – 2026-11-22 (일), Asia/Seoul (the last day shown is included)."""
    last = period.end - timedelta(days=1)
    return f"{format_day(period.start, texts)} – {format_day(last, texts)}, {period.zone.key}"


def short_period(period: Period) -> str:
    """2026-11-16 – 2026-11-22"""
    return f"{period.start.isoformat()} – {(period.end - timedelta(days=1)).isoformat()}"


def chart_day(day: date, texts: Texts) -> str:
    """The label of a day under a chart: weekday, then month/day."""
    return f"{texts.weekdays[day.weekday()]}\n{day.month}/{day.day}"


def format_time(moment: datetime, zone: ZoneInfo, texts: Texts) -> str:
    """11-16 (월) 19:07, in the report's time zone."""
    local = moment.astimezone(zone)
    return f"{local:%m-%d} ({texts.weekdays[local.weekday()]}) {local:%H:%M}"


def format_generated(moment: datetime) -> str:
    """2026-11-23 09:00 KST (the zone's abbreviation when `moment` is aware)."""
    return f"{moment:%Y-%m-%d %H:%M %Z}".strip()


# --- conversation text ------------------------------------------------------------------------


def shorten(text: str, limit: int | None = None) -> str:
    """One line of at most `limit` characters: control characters and runs of whitespace
    become one space, and a longer text is cut with an ellipsis."""
    visible = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    line = " ".join(visible.split())
    if limit is None or len(line) <= limit:
        return line
    return line[: limit - 1].rstrip() + ELLIPSIS
