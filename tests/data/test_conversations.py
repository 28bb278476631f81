"""Searching every conversation of a range and opening one, on the default and a renamed
schema, on each database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine

from aiops_report.data.config import Settings, load_settings
from aiops_report.data.conversations import (
    Search,
    first_conversation_at,
    models_of,
    open_conversation,
    search,
    segments_of,
)
from aiops_report.data.db import make_engine
from aiops_report.data.periods import Period
from aiops_report.data.tables import ChatbotTables, reflect_tables
from chatbot_tables import Rows, create_all, create_tables, insert

SEOUL = ZoneInfo("Asia/Seoul")
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)
AT = datetime(2026, 11, 18, 10, 0, tzinfo=SEOUL)

RENAMED = """
[conversations]
table = "chat_turns"
id = "turn_id"
user_message = "prompt"
ai_response = "reply"
model = "llm"
created_at = "ts"
[feedback]
table = "ratings"
conversation_id = "turn"
feedback = "thumb"
comment = "note"
created_at = "rated_at"
like = ["up"]
dislike = ["down"]
[evaluations]
table = "judge_scores"
conversation_id = "turn"
score = "value"
reason = "why"
created_at = "judged_at"
"""
DEFAULT_NAMES = {
    "conversations": "conversation_log",
    "feedback": "feedback_log",
    "evaluations": "conversation_evaluation",
    "id": "id",
    "user_message": "user_message",
    "ai_response": "ai_response",
    "model": "model",
    "conversation_id": "conversation_id",
    "feedback_col": "feedback",
    "comment": "comment",
    "score": "score",
    "reason": "reason",
    "like": "like",
    "dislike": "dislike",
}
RENAMED_NAMES = {
    **DEFAULT_NAMES,
    "conversations": "chat_turns",
    "feedback": "ratings",
    "evaluations": "judge_scores",
    "id": "turn_id",
    "user_message": "prompt",
    "ai_response": "reply",
    "model": "llm",
    "conversation_id": "turn",
    "feedback_col": "thumb",
    "comment": "note",
    "score": "value",
    "reason": "why",
    "like": "up",
    "dislike": "down",
}
# id, minutes after AT (or None: the week before), question, answer, model, score, feedback
CONVERSATIONS: list[tuple[int, int | None, str, str, str, float | None, str | None]] = [
    (1, 0, "환불은 어떻게 하나요?", "설정에서 환불을 누르세요.", "gpt-a", 9.0, "like"),
    (2, 1, "배송이 늦어요", "죄송합니다.", "gpt-b", 2.0, "dislike"),
    (3, 2, "100% 할인 쿠폰?", "없습니다.", "gpt-a", None, None),
    (4, None, "지난주 질문", "지난주 답", "gpt-a", 1.0, "dislike"),
    (5, 3, "Refund_NOW please", "Sure.", "gpt-b", 7.0, "meh"),
]


def make_tables(engine: Engine, names: dict[str, str], zone: ZoneInfo) -> None:
    stamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    n = names
    metadata = sa.MetaData()
    conv = sa.Table(
        n["conversations"],
        metadata,
        sa.Column(n["id"], sa.Integer, primary_key=True, autoincrement=False),
        sa.Column(n["user_message"], sa.Text),
        sa.Column(n["ai_response"], sa.Text),
        sa.Column(n["model"], sa.String(20)),
        sa.Column("created_at" if n is DEFAULT_NAMES else "ts", stamp, index=True),
        mysql_charset="utf8mb4",
    )
    fb = sa.Table(
        n["feedback"],
        metadata,
        sa.Column(n["conversation_id"], sa.Integer),
        sa.Column(n["feedback_col"], sa.String(20)),
        sa.Column(n["comment"], sa.Text),
        sa.Column("created_at" if n is DEFAULT_NAMES else "rated_at", stamp, index=True),
        mysql_charset="utf8mb4",
    )
    ev = sa.Table(
        n["evaluations"],
        metadata,
        sa.Column(n["conversation_id"], sa.Integer),
        sa.Column(n["score"], sa.Float),
        sa.Column(n["reason"], sa.Text),
        sa.Column("created_at" if n is DEFAULT_NAMES else "judged_at", stamp, index=True),
        mysql_charset="utf8mb4",
    )
    create_all(metadata, engine)

    def naive(moment: datetime) -> datetime:
        return moment.astimezone(zone).replace(tzinfo=None)

    conv_rows, fb_rows, ev_rows = [], [], []
    for cid, minutes, question, answer, model, score, feedback in CONVERSATIONS:
        when = AT - timedelta(weeks=1) if minutes is None else AT + timedelta(minutes=minutes)
        conv_rows.append([cid, question, answer, model, naive(when)])
        if feedback is not None:
            word = n.get(feedback, feedback)
            fb_rows.append([cid, word, f"의견 {cid}", naive(when + timedelta(seconds=30))])
        if score is not None:
            ev_rows.append([cid, score, f"이유 {cid}", naive(when + timedelta(minutes=5))])
    with engine.begin() as conn:
        for table, rows in ((conv, conv_rows), (fb, fb_rows), (ev, ev_rows)):
            keys = [c.name for c in table.c]
            conn.execute(table.insert(), [dict(zip(keys, row, strict=True)) for row in rows])


@pytest.fixture(params=["default schema", "renamed schema"])
def tables(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Iterator[Any]:
    if request.param == "renamed schema":
        schema_file = tmp_path / "schema.toml"
        schema_file.write_text(RENAMED, encoding="utf-8")
        settings: Settings = load_settings(database_url=db_url, schema_file=schema_file)
        names = RENAMED_NAMES
    else:
        settings = load_settings(database_url=db_url)
        names = DEFAULT_NAMES
    engine = make_engine(settings)
    make_tables(engine, names, settings.db_zone)
    yield engine, reflect_tables(engine, settings)
    engine.dispose()


def ids(engine: Engine, tables: ChatbotTables, wanted: Search, **page: int) -> list[int]:
    return [row.conversation_id for row in search(engine, tables, WEEK, wanted, **page).rows]


def test_every_conversation_of_the_range_is_searched(tables: Any) -> None:
    engine, found = tables
    assert ids(engine, found, Search()) == [5, 3, 2, 1]  # latest first, the week before left out
    # Neither low-scored nor disliked: found by its words, in any case.
    assert ids(engine, found, Search(text="환불")) == [1]
    assert ids(engine, found, Search(text="refund_now")) == [5]
    assert ids(engine, found, Search(text="100%")) == [3]  # % is a character, not a wildcard
    assert ids(engine, found, Search(text="_now")) == [5]
    assert ids(engine, found, Search(text="의견 2")) == [2]  # a feedback comment
    assert ids(engine, found, Search(text="이유 5")) == [5]  # an evaluation's reason


def test_model_score_and_feedback_conditions(tables: Any) -> None:
    engine, found = tables
    assert ids(engine, found, Search(models=("gpt-b",))) == [5, 2]
    assert ids(engine, found, Search(score=(5.0, 10.0))) == [5, 1]
    assert ids(engine, found, Search(feedback="like")) == [1]
    assert ids(engine, found, Search(feedback="dislike")) == [2]
    assert ids(engine, found, Search(feedback="none")) == [5, 3]  # "meh" is neither
    assert ids(engine, found, Search(models=("gpt-a",), feedback="like", text="환불")) == [1]


def test_pages_and_what_a_row_holds(tables: Any) -> None:
    engine, found = tables
    first = search(engine, found, WEEK, Search(), page=0, page_size=3)
    second = search(engine, found, WEEK, Search(), page=1, page_size=3)
    assert first.total == second.total == 4
    assert [r.conversation_id for r in first.rows + second.rows] == [5, 3, 2, 1]
    row = second.rows[0]
    assert (row.model, row.score, row.feedback) == ("gpt-a", 9.0, "like")
    assert row.user_message == "환불은 어떻게 하나요?"
    assert row.created_at == AT


def test_open_a_conversation_with_its_feedback_and_evaluations(tables: Any) -> None:
    engine, found = tables
    opened = open_conversation(engine, found, 2, AT + timedelta(minutes=1))
    assert opened is not None
    assert (opened.user_message, opened.ai_response, opened.model) == (
        "배송이 늦어요",
        "죄송합니다.",
        "gpt-b",
    )
    assert [(f.feedback, f.comment) for f in opened.feedback] == [("dislike", "의견 2")]
    assert [(e.score, e.reason) for e in opened.evaluations] == [(2.0, "이유 2")]
    assert open_conversation(engine, found, 99, AT) is None


def test_the_first_conversation(tables: Any) -> None:
    engine, found = tables
    assert first_conversation_at(engine, found) == AT - timedelta(weeks=1)


def test_the_models_of_the_range(tables: Any) -> None:
    engine, found = tables
    assert models_of(engine, found, WEEK) == ["gpt-a", "gpt-b"]


def test_the_segments_of_the_range_and_a_segments_search(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    schema_file = tmp_path / "schema.toml"
    schema_file.write_text('[conversations]\nsegment = "bot"\n', encoding="utf-8")
    settings = settings.model_copy(update={"schema_file": schema_file})
    create_tables(engine, settings, style="naive", minimal=False, segment="bot")
    bots = [(1, "shop-bot", "gpt-a"), (2, "Shop-Bot", "gpt-b"), (3, "help-bot", "gpt-a")]
    rows = Rows(
        conversations=[
            {"id": cid, "bot": bot, "model": model, "created_at": AT + timedelta(minutes=cid)}
            for cid, bot, model in bots
        ]
        + [
            {"id": 4, "bot": None, "model": "gpt-c", "created_at": AT},
            {"id": 5, "bot": "old-bot", "model": "gpt-c", "created_at": AT - timedelta(weeks=1)},
        ]
    )
    insert(engine, settings, rows, style="naive")
    whole = reflect_tables(engine, settings)

    # Case counts, on MariaDB too; the week before and conversations of no segment are not in.
    assert segments_of(engine, whole, WEEK) == ["Shop-Bot", "help-bot", "shop-bot"]
    shop = whole.for_segment("Shop-Bot")
    assert ids(engine, shop, Search()) == [2]
    assert search(engine, shop, WEEK, Search()).total == 1
    assert models_of(engine, shop, WEEK) == ["gpt-b"]
    unmapped = reflect_tables(engine, settings.model_copy(update={"schema_file": None}))
    assert segments_of(engine, unmapped, WEEK) == []  # no segment column mapped


def test_a_megabyte_answer_is_read_whole_on_every_database(
    engine: Engine, settings: Settings
) -> None:
    """The dashboard shows its first part and offers the whole as a download
    (tests/faces/dashboard, on SQLite): here, that every database gives it back whole."""
    create_tables(engine, settings, style="naive", minimal=False)
    if engine.dialect.name in ("mysql", "mariadb"):  # TEXT holds 64 KB there; a team's holds more
        with engine.begin() as conn:
            conn.execute(
                sa.text(f"ALTER TABLE {settings.conversation_table} MODIFY ai_response LONGTEXT")
            )
    answer = ("한 줄의 긴 답변입니다. " * 80 + "\n") * 1_000 + "끝"
    assert len(answer) > 1_000_000
    conversation = {"id": 7, "user_message": "요약해 주세요", "ai_response": answer}
    insert(
        engine, settings, Rows(conversations=[{**conversation, "created_at": AT}]), style="naive"
    )

    opened = open_conversation(engine, reflect_tables(engine, settings), 7, AT)

    assert opened is not None and opened.ai_response == answer
