"""Deterministic demo data: Korean customer-service conversations with a quality dip.

The last complete week is the dip: a new model takes part of the traffic, answers refund
questions wrongly, and both the users' thumbs and the evaluator's scores show it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from aiops_report.data import clickhouse
from aiops_report.data.config import Settings
from aiops_report.data.install import create_schema
from aiops_report.data.periods import Period, midnight
from aiops_report.data.tables import ChatbotTables, reflect_tables

# (question, answer) pairs; {n} is filled with a number so that texts vary.
TOPICS: list[tuple[str, str, str]] = [
    (
        "배송",
        "주문번호 {n}번 배송이 언제 도착하나요?",
        "주문번호 {n}번은 현재 배송 중이며 내일 오후 6시 전에 도착할 예정입니다.",
    ),
    (
        "환불",
        "어제 산 상품을 환불하고 싶어요. 어떻게 하나요?",
        "구매 후 7일 이내라면 [마이페이지 > 주문내역]에서 환불을 신청하실 수 있습니다.",
    ),
    (
        "비밀번호",
        "비밀번호를 잊어버렸어요 ㅠㅠ",
        "로그인 화면의 '비밀번호 찾기'에서 가입한 이메일로 재설정 링크를 받으실 수 있어요.",
    ),
    (
        "요금제",
        "요금제를 월 {n}GB로 바꾸면 얼마인가요?",
        "월 {n}GB 요금제는 부가세 포함 월 33,000원이며, 다음 결제일부터 적용됩니다.",
    ),
    (
        "영업시간",
        "고객센터 영업시간이 어떻게 되나요?",
        "고객센터는 평일 오전 9시부터 오후 6시까지 운영합니다. 주말과 공휴일은 휴무입니다.",
    ),
    (
        "포인트",
        "포인트 {n}점은 언제 소멸되나요?",
        "적립된 포인트는 적립일로부터 1년 후 자동 소멸됩니다. 소멸 30일 전에 알림을 드려요.",
    ),
    (
        "주문취소",
        "방금 한 주문 취소할 수 있나요? 주문번호 {n}",
        "주문번호 {n}번은 아직 출고 전이라 바로 취소하실 수 있습니다. 취소를 진행할까요?",
    ),
    (
        "앱오류",
        "앱에서 결제 버튼이 안 눌려요",
        "불편을 드려 죄송합니다. 앱을 최신 버전으로 업데이트한 뒤 다시 시도해 주세요.",
    ),
    (
        "상담원",
        "상담원이랑 직접 얘기하고 싶어요",
        "상담원 연결을 도와드릴게요. 현재 대기 인원은 {n}명입니다.",
    ),
    (
        "회원탈퇴",
        "회원 탈퇴하면 적립금은 어떻게 되나요?",
        "탈퇴 시 남은 적립금은 모두 소멸되며 복구할 수 없습니다. 먼저 사용하시길 권해드려요.",
    ),
]
WRONG_REFUND = "환불은 구매 후 30일이 지나야 신청하실 수 있습니다."  # the dip week's mistake
DISLIKE_COMMENTS = [
    "질문을 이해하지 못했어요",
    "답변이 너무 길어요",
    "원하는 정보가 없어요",
    "상담원 연결이 안 돼요",
    None,
]
DIP_COMMENTS = ["환불 안내가 틀렸어요", "환불 규정이 다르게 안내됨", "환불 기간 안내가 잘못됨"]
LOW_SCORE_REASONS = [
    "질문 의도를 파악하지 못함",
    "근거 없는 내용을 단정적으로 안내함",
    "필요한 절차 안내가 누락됨",
]
DIP_REASON = "환불 정책을 사실과 다르게 안내함"

DIP_MODEL = "gpt-4.1-nano"  # the cheap model: clearly worse every week, the dip's cause
MODELS = {"gpt-4o-mini": 0.5, "gpt-4o": 0.25, "claude-3-5-haiku": 0.1, DIP_MODEL: 0.15}
DIP_MODELS = {**MODELS, DIP_MODEL: 0.4}  # the dip week routes more traffic to it
BAD_RATE = {"gpt-4o-mini": 0.1, "gpt-4o": 0.08, "claude-3-5-haiku": 0.1, DIP_MODEL: 0.3}
SPIKE_FACTOR = 2.5  # the dip week's Wednesday: an app outage brings many more conversations
SPIKE_TOPIC = "앱오류"
DIP_REFUND_SHARE = 0.25  # a refund policy change: more refund questions in the dip week
MODEL_LATENCY_MS = {"gpt-4o-mini": 900, "gpt-4o": 1800, "claude-3-5-haiku": 1200, DIP_MODEL: 700}
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 8, 9, 10, 9, 8, 7, 6, 6, 7, 6, 4, 2]
WEEKDAY_FACTOR = [1.1, 1.1, 1.05, 1.05, 1.0, 0.7, 0.65]


@dataclass(frozen=True)
class DemoSummary:
    first_day: date
    last_day: date
    conversations: int
    feedback: int
    evaluations: int
    skipped_reason: str | None = None


def demo_period(settings: Settings, weeks: int, now: datetime) -> Period:
    """The `weeks` complete weeks that end with the last complete week."""
    last = Period.last_complete_week(now, settings.report_zone)
    return Period(last.start - timedelta(weeks=weeks - 1), last.end, last.zone)


def fill_demo_data(
    engine: Engine,
    settings: Settings,
    *,
    weeks: int = 9,
    per_day: int = 300,
    seed: int = 6,
    now: datetime | None = None,
    append: bool = False,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> DemoSummary:
    """Write the demo rows (creating missing tables); skip a database that already has rows."""
    now = now or datetime.now(settings.report_zone)
    period = demo_period(settings, weeks, now)
    create_schema(engine, settings)
    tables = reflect_tables(engine, settings)
    with engine.begin() as conn:
        existing = conn.execute(sa.select(sa.func.count()).select_from(tables.conversations))
        count = existing.scalar_one()
        if count and not append:
            return DemoSummary(
                period.start,
                period.end - timedelta(days=1),
                0,
                0,
                0,
                skipped_reason=f"{tables.conversations.name} already holds {count} rows",
            )
        writer = _Writer(conn, tables, settings)
        rng = random.Random(seed)
        dip = Period.last_complete_week(now, settings.report_zone)
        days = period.days
        for index, day in enumerate(days):
            spike = day == dip.start + timedelta(days=2)
            writer.write_day(
                _day_rows(rng, day, per_day, settings, in_dip=day >= dip.start, spike=spike)
            )
            progress(index + 1, len(days))
    conversations, feedback, evaluations = writer.counts
    return DemoSummary(
        period.start, period.end - timedelta(days=1), conversations, feedback, evaluations
    )


@dataclass
class _Conversation:
    at: datetime
    row: dict[str, Any]
    feedback: dict[str, Any] | None
    evaluation: dict[str, Any] | None


def _day_rows(
    rng: random.Random, day: date, per_day: int, settings: Settings, in_dip: bool, spike: bool
) -> Iterator[_Conversation]:
    count = round(
        per_day
        * WEEKDAY_FACTOR[day.weekday()]
        * rng.uniform(0.9, 1.1)
        * (SPIKE_FACTOR if spike else 1)
    )
    start = midnight(day, settings.report_zone)
    seconds = sorted(
        hour * 3600 + rng.randrange(3600)
        for hour in rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
    )
    for second in seconds:
        yield _conversation(rng, start + timedelta(seconds=second), in_dip, spike)


def _conversation(rng: random.Random, at: datetime, in_dip: bool, spike: bool) -> _Conversation:
    model = _pick(rng, DIP_MODELS if in_dip else MODELS)
    topic, question, answer = rng.choice(TOPICS)
    if in_dip and rng.random() < DIP_REFUND_SHARE:
        topic, question, answer = next(t for t in TOPICS if t[0] == "환불")
    if spike and rng.random() < 0.6:
        topic, question, answer = next(t for t in TOPICS if t[0] == SPIKE_TOPIC)
    number = rng.randint(2, 99999)
    wrong = in_dip and model == DIP_MODEL and topic == "환불"
    bad = rng.random() < BAD_RATE[model]
    caught = wrong and rng.random() < 0.25  # the evaluator catches a quarter of the wrong answers
    row = {
        "user_id": f"user-{int(2500 * rng.random() ** 2):04d}",
        "session_id": f"s-{rng.getrandbits(48):012x}",
        "user_message": question.format(n=number),
        "ai_response": WRONG_REFUND if wrong else answer.format(n=number),
        "model": model,
        "latency_ms": None
        if rng.random() < 0.01
        else round(MODEL_LATENCY_MS[model] * rng.lognormvariate(0, 0.35)),
        "prompt_tokens": rng.randint(150, 1400),
        "completion_tokens": rng.randint(40, 600),
    }
    feedback = None
    if rng.random() < (0.45 if bad or wrong else 0.28):
        disliked = rng.random() < (0.8 if bad or wrong else 0.1)
        comment = None
        if disliked:
            comment = rng.choice(DIP_COMMENTS) if wrong else rng.choice(DISLIKE_COMMENTS)
        feedback = {
            "at": at + timedelta(seconds=rng.randint(20, 1800)),
            "feedback": "dislike" if disliked else "like",
            "comment": comment,
        }
    evaluation = None
    if rng.random() < 0.9:
        score = rng.gauss(3.2, 1.5) if bad or caught else rng.gauss(8.1, 1.0)
        low = score < 5
        evaluation = {
            "at": at + timedelta(seconds=rng.randint(60, 900)),
            "score": None if rng.random() < 0.03 else round(min(10.0, max(0.0, score)), 1),
            "evaluator": "llm-judge-v2",
            "reason": (DIP_REASON if caught else rng.choice(LOW_SCORE_REASONS)) if low else None,
        }
    return _Conversation(at, row, feedback, evaluation)


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class _Writer:
    """Bulk inserts of one day's rows, keeping only the columns the tables have."""

    def __init__(self, conn: Connection, tables: ChatbotTables, settings: Settings):
        self.conn = conn
        self.tables = tables
        self.db_zone = settings.db_zone
        self.counts = [0, 0, 0]
        self.next_id: int | None = None  # ClickHouse: the id of the next conversation written
        self.first_ids: dict[str, int] = {}  # ClickHouse: the first id written per table

    def _stored(self, at: datetime) -> datetime:
        return at.astimezone(self.db_zone).replace(tzinfo=None)

    def _keep(self, table: sa.Table, row: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in row.items() if key in table.c}

    def _numbered(
        self, table: sa.Table, rows: list[dict[str, Any]], written: int
    ) -> list[dict[str, Any]]:
        if "id" not in table.c:
            return rows
        if written == 0:
            newest = self.conn.execute(sa.select(sa.func.max(table.c.id))).scalar()
            self.first_ids[table.name] = int(newest or 0) + 1
        first = self.first_ids[table.name] + written
        return [{**row, "id": first + i} for i, row in enumerate(rows)]

    def write_day(self, conversations: Iterator[_Conversation]) -> None:
        conv, fb, ev = self.tables.conversations, self.tables.feedback, self.tables.evaluations
        items = list(conversations)
        rows = [self._keep(conv, {**c.row, "created_at": self._stored(c.at)}) for c in items]
        ids: list[Any] = [None] * len(items)
        if "id" in conv.c and clickhouse.is_clickhouse(self.tables.dialect):
            # ClickHouse has no autoincrement nor RETURNING: the writer numbers the rows.
            if self.next_id is None:
                newest = self.conn.execute(sa.select(sa.func.max(conv.c.id))).scalar()
                self.next_id = int(newest or 0) + 1
            ids = list(range(self.next_id, self.next_id + len(rows)))
            self.next_id += len(rows)
            rows = [{**row, "id": cid} for row, cid in zip(rows, ids, strict=True)]
            self.conn.execute(sa.insert(conv), rows)
        elif "id" in conv.c:
            result = self.conn.execute(
                sa.insert(conv).returning(conv.c.id, sort_by_parameter_order=True), rows
            )
            ids = list(result.scalars())
        else:
            self.conn.execute(sa.insert(conv), rows)
        feedback = [
            self._keep(
                fb,
                {
                    "conversation_id": cid,
                    "feedback": c.feedback["feedback"],
                    "comment": c.feedback["comment"],
                    "created_at": self._stored(c.feedback["at"]),
                },
            )
            for cid, c in zip(ids, items, strict=True)
            if c.feedback
        ]
        evaluations = [
            self._keep(
                ev,
                {
                    "conversation_id": cid,
                    "score": c.evaluation["score"],
                    "evaluator": c.evaluation["evaluator"],
                    "reason": c.evaluation["reason"],
                    "created_at": self._stored(c.evaluation["at"]),
                },
            )
            for cid, c in zip(ids, items, strict=True)
            if c.evaluation
        ]
        if clickhouse.is_clickhouse(self.tables.dialect):  # ids of their own, as elsewhere
            feedback = self._numbered(fb, feedback, self.counts[1])
            evaluations = self._numbered(ev, evaluations, self.counts[2])
        if feedback:
            self.conn.execute(sa.insert(fb), feedback)
        if evaluations:
            self.conn.execute(sa.insert(ev), evaluations)
        self.counts[0] += len(rows)
        self.counts[1] += len(feedback)
        self.counts[2] += len(evaluations)
