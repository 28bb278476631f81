"""ReportNumbers built by hand, so that the report's tests need no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiops_report.analysis.insight_parts import (
    Agreement,
    AnomaliesStatus,
    Disagreement,
    Insights,
    ModelStats,
)
from aiops_report.analysis.metrics import (
    ConversationExcerpt,
    DailyMetrics,
    PeriodMetrics,
    ReportNumbers,
    ScoreBucket,
)
from aiops_report.analysis.significance import Anomaly, ChangeTest
from aiops_report.analysis.themes import Theme
from aiops_report.data.periods import Period

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


# --- insights -----------------------------------------------------------------------------

# One change of each kind: significant, not significant, and p < 0.05 on too little data.
CHANGES = {
    "conversations": ChangeTest(
        current=2034,
        previous=1974,
        delta=60,
        relative=60 / 1974,
        ci_low=0.97,
        ci_high=1.10,
        p_value=0.3541,
        significant=False,
        enough_data=True,
    ),
    "satisfaction_rate": ChangeTest(
        current=411 / 659,
        previous=400 / 550,
        delta=411 / 659 - 400 / 550,
        relative=None,
        ci_low=-0.1562,
        ci_high=-0.0511,
        p_value=0.00012,
        significant=True,
        enough_data=True,
    ),
    "avg_score": ChangeTest(
        current=6.858224,
        previous=7.404606,
        delta=-0.546382,
        relative=-0.0738,
        ci_low=-0.9123,
        ci_high=-0.1804,
        p_value=0.012,
        significant=False,
        enough_data=False,
    ),
}


def model(name: str, conversations: int, likes: int, dislikes: int, **fields: Any) -> ModelStats:
    """A model's numbers; `fields` override the defaults."""
    cost = conversations * 0.0009
    defaults: dict[str, Any] = {
        "unique_users": conversations * 2 // 3,
        "latency_p50_ms": 900.0,
        "latency_p95_ms": 2100.0,
        "total_tokens": conversations * 1100,
        "evaluations": conversations - 30,
        "avg_score": 7.0,
        "cost": cost,
        "cost_per_like": cost / likes if likes else None,
    }
    return ModelStats(
        **{
            "model": name,
            "conversations": conversations,
            "likes": likes,
            "dislikes": dislikes,
            "satisfaction_rate": likes / (likes + dislikes) if likes + dislikes else None,
            **defaults,
            **fields,
        }
    )


def disagreement(**fields: Any) -> Disagreement:
    """A dislike of a conversation the evaluator scored high; `fields` override the defaults."""
    defaults: dict[str, Any] = {
        "conversation_id": 17800,
        "feedback": "dislike",
        "score": 10.0,
        "comment": "상담원 연결이 안 돼요",
        "model": "gpt-4.1-nano",
        "user_message": "고객센터 영업시간이 어떻게 되나요?",
        "ai_response": "고객센터는 평일 오전 9시부터 오후 6시까지 운영합니다.",
    }
    return Disagreement(**{**defaults, **fields})


def insights(**fields: Any) -> Insights:
    """Every part of the insights, with a clearly worse model; `fields` override parts."""
    values: dict[str, Any] = {
        "by_model": [
            model("gpt-4o-mini", 1100, 280, 60),
            model("gpt-4.1-nano", 880, 125, 180, avg_score=6.1),
            # The lowest rate, on too few ratings to be called the worst model.
            model("tiny-experiment", 40, 2, 8, cost=None, cost_per_like=None),
            model("(unknown)", 14, 4, 0, cost=None, cost_per_like=None, latency_p95_ms=None),
        ],
        "unpriced_models": ["(unknown)", "tiny-experiment"],
        "cost": None,
        "currency": "USD",
        "changes": CHANGES,
        "anomalies": [
            Anomaly(date(2026, 11, 18), "conversations", 761, 311.0, 18.970, "up"),
            Anomaly(date(2026, 11, 17), "satisfaction_rate", 0.6818, 0.7523, -9.075, "down"),
        ],
        "agreement": Agreement(
            threshold=5.0,
            like_good=450,
            like_bad=18,
            dislike_good=101,
            dislike_bad=132,
            agreement_rate=582 / 701,
            kappa=0.5799,
            disagreements=[
                disagreement(),
                disagreement(
                    conversation_id=17507,
                    feedback="like",
                    score=0.1,
                    comment=None,
                    model="gpt-4o-mini",
                    user_message="어제 산 상품을 환불하고 싶어요.",
                    ai_response="구매 후 7일 이내라면 환불을 신청하실 수 있습니다.",
                ),
                disagreement(conversation_id=18323, comment="환불 안내가 틀렸어요"),
                disagreement(conversation_id=18400, comment="네 번째는 보이지 않는 의견"),
            ],
        ),
        "themes": [
            Theme("환불", 120, 0, ["환불 규정이 다르게 안내됨", "환불 안내가 틀렸어요"]),
            Theme("근거", 120, 67, ["근거 없는 내용을 단정적으로 안내함"]),
            Theme("누락", 95, 71, ["필요한 절차 안내가 누락됨"]),
        ],
        "missing": [],
    }
    return Insights(**{**values, **fields})


def minimal_insights(**fields: Any) -> Insights:
    """The insights of the minimal schema: no model, agreement or themes; no price table."""
    return insights(
        by_model=None,
        unpriced_models=[],
        currency=None,
        agreement=None,
        themes=None,
        missing=[
            "by_model: needs conversations.model",
            "agreement: needs feedback.conversation_id and evaluations.conversation_id",
            "themes: needs feedback.comment or evaluations.reason",
        ],
        **fields,
    )


THROUGH = datetime(2026, 11, 19, 15, 30, tzinfo=ZONE)  # a Thursday afternoon
WEEK_TO_DATE = PERIOD.as_of(THROUGH)


def week_to_date(**fields: Any) -> ReportNumbers:
    """The week until Thursday 15:30, against the week before until its Thursday 15:30."""
    return week(period=WEEK_TO_DATE, daily=daily()[: len(WEEK_TO_DATE.days)], **fields)


def first_week(**fields: Any) -> ReportNumbers:
    """A first week: nothing at all the week before."""
    return week(
        previous=NOTHING,
        score_distribution=[ScoreBucket(b.low, b.high, b.current, 0) for b in score_distribution()],
        **fields,
    )


SHORT_HISTORY = AnomaliesStatus(enough_history=False, baseline_days=2, needed=6, days_judged=7)
