"""Nine weeks of steady days for the alert tests, with a day made anomalous on request."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from aiops_report.data.config import Settings
from aiops_report.data.tables import ChatbotTables, reflect_tables
from chatbot_tables import STYLES, Rows, create_tables, insert

SEOUL = ZoneInfo("Asia/Seoul")
FRIDAY = date(2026, 11, 20)  # the last complete day of the watches below
SATURDAY = FRIDAY + timedelta(days=1)  # today
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=SEOUL)
EVENING_CONVERSATIONS = 10  # after every cut of the day in these tests


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SEOUL)


def steady_days(
    *,
    low_satisfaction: date | None = None,
    busy_morning: date | None = None,
    bot: str | None = None,
    first_id: int = 1,
) -> Rows:
    """Every day from 8 weeks before FRIDAY to SATURDAY: 30-34 conversations from 9:00 (90
    on `busy_morning`, to 10:29) and 10 at 20:00, 25 thumbs from 10:00 (5 likes on
    `low_satisfaction`, else 18-21), 25 scores at 11:00, latencies 300-384 ms; the dislikes
    carry a comment and the conversation's id, each conversation a user message (and `bot`
    in its `bot` column). Ids count from `first_id`."""
    rows = Rows()
    next_id = iter(range(first_id, first_id + 1_000_000))
    first = FRIDAY - timedelta(weeks=8)
    for offset in range((SATURDAY - first).days + 1):
        day = first + timedelta(days=offset)
        week, weekday = divmod(offset, 7)
        wobble = (3 * week + weekday) % 5
        morning = 90 if day == busy_morning else 30 + wobble
        likes = 5 if day == low_satisfaction else 18 + (week + weekday) % 4
        times = [at(day, 9 + i // 60, i % 60) for i in range(morning)]
        times += [at(day, 20, i) for i in range(EVENING_CONVERSATIONS)]
        ids = [next(next_id) for _ in times]
        rows.conversations += [
            {
                "id": cid,
                "user_id": f"u{cid % 7}",
                "user_message": f"질문 {cid}",
                "ai_response": f"답변 {cid}",
                "model": "gpt-4o-mini",
                "latency_ms": 300 + 20 * wobble + i % 5,
                "prompt_tokens": 10,
                "completion_tokens": 20,
                "bot": bot,
                "created_at": when,
            }
            for i, (cid, when) in enumerate(zip(ids, times, strict=True))
        ]
        rows.feedback += [
            {
                "id": next(next_id),
                "conversation_id": ids[i],
                "feedback": "like" if i < likes else "dislike",
                "comment": None if i < likes else f"틀린 답 {ids[i]}",
                "created_at": at(day, 10, i),
            }
            for i in range(25)
        ]
        low = 1 + wobble
        rows.evaluations += [
            {
                "id": next(next_id),
                "conversation_id": ids[i],
                "score": 4.0 if i < low else 8.0,
                "reason": None,
                "created_at": at(day, 11, i),
            }
            for i in range(25)
        ]
    return rows


def load(
    engine: Engine, settings: Settings, rows: Rows, *, segment: str | None = None
) -> ChatbotTables:
    """The rows in full tables of the database's last storage style (with the conversations'
    `segment` column when named)."""
    style = STYLES[engine.dialect.name][-1]
    create_tables(engine, settings, style=style, minimal=False, segment=segment)
    insert(engine, settings, rows, style=style)
    return reflect_tables(engine, settings)
