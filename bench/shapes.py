"""The benchmark's data, shaped like a team's: eight weeks of conversations in time order with
Korean questions and answers and six models, a feedback row each (a comment on every dislike)
and an evaluation each (a reason), every comment and reason a text of its own.

`day_batches` makes the rows in Python (SQLite and PostgreSQL load them); clickhouse_data.py
makes the same shapes in ClickHouse SQL.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiops_report.data.mapping import OPTIONAL_COLUMNS

ZONE = ZoneInfo("Asia/Seoul")
# The reported week; the data holds it, the week before and six more weeks of history.
WEEK_START = date(2026, 11, 16)
WEEKS = 8
MODELS = ["gpt-4o-mini", "gpt-4o", "claude-3-5-haiku", "gpt-4.1-nano", "solar-pro", "hcx-005"]
FEEDBACK = ["like", "like", "like", "dislike", " Like ", "DISLIKE"]
QUESTIONS = [
    "주문한 상품 배송이 언제 오나요? 주문번호는 {n}입니다.",
    "환불 신청은 어떻게 하나요? 어제 결제한 건이에요.",
    "멤버십 등급 혜택이 궁금합니다. 포인트 적립률도 알려주세요.",
    "How do I change my delivery address for order {n}?",
    "쿠폰이 적용되지 않아요. 장바구니에서 오류가 납니다.",
]
ANSWERS = [
    "주문번호 {n}의 상품은 내일 오후 도착 예정입니다. 배송 조회는 마이페이지에서 가능합니다.",
    "환불은 마이페이지 > 주문내역에서 신청하실 수 있으며, 영업일 기준 3~5일이 걸립니다.",
    "골드 등급은 구매 금액의 3%가 적립되며, 매월 무료배송 쿠폰 2장이 지급됩니다.",
    "You can change the address in My Page > Orders until the item is shipped.",
    "쿠폰 사용 조건(최소 주문 금액 3만원)을 확인해 주세요. 계속되면 상담원을 연결해 드릴게요.",
]
COMMENTS = [
    "답변이 부정확해요. 환불 기간이 안내와 달라요",
    "배송 조회가 안 돼요",
    "상담원 연결이 너무 오래 걸려요",
    "The answer about the refund policy was wrong",
    "쿠폰 문제는 해결이 안 됐어요. 같은 말만 반복해요",
    "불친절하고 질문을 이해하지 못했어요",
]
# What makes each comment and reason a text of its own, as people's are.
DETAILS = [
    "주문번호 {n} 건입니다.",
    "벌써 {k}번째 문의예요.",
    "오늘 오후 {h}시쯤 물어봤어요.",
    "상품 {k}번 관련이에요.",
    "(order {n})",
    "",
]
REASONS = [
    "The response correctly answers the delivery question with the order status.",
    "환불 기간을 잘못 안내함 (실제 7일, 답변 3일).",
    "Partially relevant: misses the coupon's minimum order condition.",
    "질문 의도를 파악하지 못하고 일반적인 안내만 반복함.",
]


def day_batches(per_week: int, seed: int = 1) -> Iterator[tuple[list[tuple[Any, ...]], ...]]:
    """(conversations, feedback, evaluations) tuples per day, in time order, UTC naive."""
    rng = random.Random(seed)
    first = datetime.combine(WEEK_START - timedelta(weeks=WEEKS - 2), datetime.min.time(), ZONE)
    per_day = per_week // 7
    next_id = 1
    for day in range(WEEKS * 7):
        start = first + timedelta(days=day)
        start_utc = start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
        step = 86_400 / per_day
        conversations, feedback, evaluations = [], [], []
        for i in range(per_day):
            at = start_utc + timedelta(seconds=i * step)
            cid = next_id
            next_id += 1
            model = MODELS[rng.randrange(len(MODELS))]
            conversations.append(
                (
                    cid,
                    f"user-{rng.randrange(per_week // 3 + 1)}",
                    f"s-{cid // 4}",
                    rng.choice(QUESTIONS).format(n=cid),
                    rng.choice(ANSWERS).format(n=cid),
                    model,
                    None if i % 97 == 0 else int(rng.lognormvariate(6.8, 0.4)),
                    rng.randrange(100, 1500),
                    rng.randrange(20, 600),
                    at,
                )
            )
            later = at + timedelta(seconds=30)
            value = FEEDBACK[rng.randrange(6)]
            comment = (
                f"{rng.choice(COMMENTS)} {detail(rng, cid)}".strip()
                if "dislike" in value.lower()
                else None
            )
            feedback.append((cid, cid, value, comment, later))
            score = None if i % 41 == 0 else round(rng.uniform(0, 10), 1)
            reason = f"{rng.choice(REASONS)} {detail(rng, cid)}".strip()
            evaluations.append((cid, cid, score, "llm-judge", reason, later))
        yield conversations, feedback, evaluations


def detail(rng: random.Random, conversation_id: int) -> str:
    return rng.choice(DETAILS).format(
        n=conversation_id, k=rng.randrange(2, 900), h=rng.randrange(1, 12)
    )


# The rows of day_batches are in this order: the full schema of init-db.
CONV_COLUMNS = (*OPTIONAL_COLUMNS["conversations"], "created_at")
FB_COLUMNS = ("id", "conversation_id", "feedback", "comment", "created_at")
EV_COLUMNS = ("id", "conversation_id", "score", "evaluator", "reason", "created_at")
