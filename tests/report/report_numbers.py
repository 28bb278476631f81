"""ReportNumbers built by hand, so that the report's tests need no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiops_report.metrics import (
    ConversationExcerpt,
    DailyMetrics,
    PeriodMetrics,
    ReportNumbers,
    ScoreBucket,
)
from aiops_report.periods import Period

ZONE = ZoneInfo("Asia/Seoul")
PERIOD = Period(date(2026, 11, 16), date(2026, 11, 23), ZONE)
ALL_FEATURES = frozenset({"users", "latency", "tokens", "texts"})

CURRENT = PeriodMetrics(
    conversations=2034,
    unique_users=1248,
    feedback_total=659,
    likes=411,
    dislikes=248,
    satisfaction_rate=411 / 659,
    evaluations=1757,
    avg_score=6.858224,
    latency_p50_ms=883.0,
    latency_p95_ms=2096.0,
    total_tokens=2230807,
)
PREVIOUS = PeriodMetrics(
    conversations=1974,
    unique_users=1197,
    feedback_total=550,
    likes=400,
    dislikes=150,
    satisfaction_rate=400 / 550,
    evaluations=1737,
    avg_score=7.404606,
    latency_p50_ms=1064.0,
    latency_p95_ms=2502.6,
    total_tokens=2149391,
)
NOTHING = PeriodMetrics(0, None, 0, 0, 0, None, 0, None, None, None, None)


def excerpt(**fields: Any) -> ConversationExcerpt:
    """A conversation of the week; `fields` override the defaults."""
    defaults: dict[str, Any] = {
        "created_at": datetime(2026, 11, 16, 10, 7, tzinfo=UTC),  # 19:07 in Seoul
        "conversation_id": 14248,
        "score": 0.5,
        "feedback": "dislike",
        "comment": "답변이 너무 길어요",
        "evaluator": "llm-judge-v2",
        "reason": "필요한 절차 안내가 누락됨",
        "model": "gpt-4.1-nano",
        "user_message": "방금 한 주문 취소할 수 있나요? 주문번호 55896",
        "ai_response": "주문번호 55896번은 아직 출고 전이라 바로 취소하실 수 있습니다.",
    }
    return ConversationExcerpt(**{**defaults, **fields})


def daily(period: Period = PERIOD) -> list[DailyMetrics]:
    rows = [
        (349, 72, 46, 6.87),
        (338, 66, 42, 7.06),
        (319, 69, 30, 6.79),
        (317, 58, 49, 6.78),
        (326, 56, 43, 6.62),
        (197, 47, 20, 7.17),
        (188, 43, 18, 6.80),
    ]
    return [
        DailyMetrics(day, conversations, likes + dislikes, likes, dislikes, conversations, score)
        for day, (conversations, likes, dislikes, score) in zip(period.days, rows, strict=True)
    ]


def score_distribution() -> list[ScoreBucket]:
    current = [41, 55, 106, 115, 84, 65, 131, 405, 461, 294]
    previous = [19, 25, 49, 53, 48, 53, 196, 494, 519, 281]
    return [ScoreBucket(low, low + 1, current[low], previous[low]) for low in range(10)]


def week(**fields: Any) -> ReportNumbers:
    """A normal week with every optional column; `fields` override parts of it."""
    numbers = ReportNumbers(
        period=PERIOD,
        current=CURRENT,
        previous=PREVIOUS,
        daily=daily(),
        score_distribution=score_distribution(),
        lowest_scored=[
            excerpt(created_at=datetime(2026, 11, 16, 10, 7, tzinfo=UTC) + timedelta(hours=i))
            for i in range(6)
        ],
        disliked=[excerpt(score=4.5 + i, conversation_id=15982 - i) for i in range(4)],
        features=ALL_FEATURES,
    )
    return replace(numbers, **fields)


def empty_week() -> ReportNumbers:
    """A week without a single row, after a normal week."""
    return week(
        current=NOTHING,
        daily=[DailyMetrics(day, 0, 0, 0, 0, 0, None) for day in PERIOD.days],
        score_distribution=[
            ScoreBucket(low, low + 1, 0, b.previous) for low, b in enumerate(score_distribution())
        ],
        lowest_scored=[],
        disliked=[],
    )


def minimal_week() -> ReportNumbers:
    """The minimal schema: no user, latency, token or text column; no evaluations either."""
    only_required: dict[str, Any] = {
        "unique_users": None,
        "latency_p50_ms": None,
        "latency_p95_ms": None,
        "total_tokens": None,
        "evaluations": 0,
        "avg_score": None,
    }
    bare: dict[str, Any] = {
        "conversation_id": None,
        "comment": None,
        "evaluator": None,
        "reason": None,
        "model": None,
        "user_message": None,
        "ai_response": None,
    }
    return week(
        current=replace(CURRENT, **only_required),
        previous=replace(PREVIOUS, **only_required),
        daily=[replace(d, evaluations=0, avg_score=None) for d in daily()],
        score_distribution=[ScoreBucket(low, low + 1, 0, 0) for low in range(10)],
        lowest_scored=[],
        disliked=[excerpt(score=None, **bare), excerpt(score=None, **bare)],
        features=frozenset(),
    )
