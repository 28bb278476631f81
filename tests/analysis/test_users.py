"""Distinct users of a period, in all, by model and by segment, and of the period before it:
checked against plain Python on every database."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from aiops_report.analysis.insight_parts import UNKNOWN_MODEL
from aiops_report.analysis.users import PeriodUsers, period_users
from aiops_report.data import rollups
from aiops_report.data.config import Settings
from aiops_report.data.db import state_engine
from aiops_report.data.periods import Period
from aiops_report.data.rollups import DailyTotalsStore
from aiops_report.data.tables import reflect_tables
from chatbot_tables import STYLES, Rows, as_read, create_tables, insert

SEOUL = ZoneInfo("Asia/Seoul")
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)
BOTS = ["shop-bot", "Shop-Bot", "help-bot", None]  # case counts: "Shop-Bot" is another bot
MODELS = ["gpt-4o", "GPT-4o", "llama-3", None]
USERS = [f"u{i}" for i in range(12)] + ["U1", "u1 ", None]  # "U1" and "u1 " are not u1


def user_rows(seed: int) -> Rows:
    """Conversations of both weeks and the days around them: users, bots and models that
    differ only in case or a trailing space, some without a user, bot or model; one bot
    whose conversations have no user at all."""
    rng = random.Random(seed)
    rows = Rows()
    start = WEEK.previous.start_at - timedelta(days=1)
    hours = int((WEEK.end_at - start).total_seconds() // 3600) + 24
    for cid in range(1, 301):
        bot = rng.choice(BOTS)
        rows.conversations.append(
            {
                "id": cid,
                "user_id": None if bot == "help-bot" else rng.choice(USERS),
                "bot": bot,
                "model": rng.choice(MODELS),
                "created_at": start + timedelta(hours=rng.randrange(hours), minutes=cid % 60),
            }
        )
    return rows


def expected(rows: Rows, style: str, db_zone: ZoneInfo, segment: str | None) -> PeriodUsers:
    """The distinct users of WEEK and of the week before, in plain Python."""

    def within(period: Period) -> list[dict[str, Any]]:
        def at(row: dict[str, Any]) -> datetime:
            return as_read(row["created_at"], style, db_zone)

        return [
            c
            for c in rows.conversations
            if period.start_at <= at(c) < period.end_at and (segment is None or c["bot"] == segment)
        ]

    def users(conversations: list[dict[str, Any]]) -> int:
        return len({c["user_id"] for c in conversations} - {None})

    def by(column: str) -> dict[str, int]:
        groups: dict[str, list[dict[str, Any]]] = {}
        for c in within(WEEK):
            groups.setdefault(c[column] or UNKNOWN_MODEL, []).append(c)
        return {name: users(group) for name, group in groups.items()}

    return PeriodUsers(
        total=users(within(WEEK)),
        previous_total=users(within(WEEK.previous)),
        by_model=by("model"),
        by_segment=by("bot") if segment is None else {},
    )


@pytest.fixture
def segmented(settings: Settings, tmp_path: Path) -> Settings:
    schema_file = tmp_path / "schema.toml"
    schema_file.write_text('[conversations]\nsegment = "bot"\n', encoding="utf-8")
    return settings.model_copy(update={"schema_file": schema_file})


@pytest.mark.parametrize("segment", [None, "Shop-Bot"])
def test_the_distinct_users_in_all_by_model_and_by_segment(
    engine: Engine, segmented: Settings, segment: str | None
) -> None:
    rows = user_rows(seed=3)
    style = STYLES[engine.dialect.name][-1]
    create_tables(engine, segmented, style=style, minimal=False, segment="bot")
    insert(engine, segmented, rows, style=style)
    tables = reflect_tables(engine, segmented).for_segment(segment)

    with engine.connect() as conn:
        users = period_users(conn, tables, WEEK)
        headline = period_users(conn, tables, WEEK, breakdowns=False)

    assert users == expected(rows, style, segmented.db_zone, segment)
    assert users.total and users.previous_total and users.by_model
    assert headline == PeriodUsers(users.total, users.previous_total)
    assert headline.headline == (users.previous_total, users.total)
    if segment is None:  # a segment whose conversations have no user has 0
        assert users.by_segment["help-bot"] == 0


def test_no_user_column_no_users(engine: Engine, settings: Settings) -> None:
    style = STYLES[engine.dialect.name][-1]
    create_tables(engine, settings, style=style, minimal=True)
    tables = reflect_tables(engine, settings)

    with engine.connect() as conn:
        users = period_users(conn, tables, WEEK)

    assert users == PeriodUsers(None, None) and users.headline is None


def test_a_weeks_users_are_kept_and_counted_again_when_its_conversations_change(
    engine: Engine, settings: Settings
) -> None:
    rows = user_rows(seed=5)
    style = STYLES[engine.dialect.name][-1]
    create_tables(engine, settings, style=style, minimal=False)
    insert(engine, settings, rows, style=style)
    tables = reflect_tables(engine, settings)
    state = state_engine(engine, settings)
    next_week = Period.week_of(WEEK.end, SEOUL)
    truth = replace(expected(rows, style, settings.db_zone, None), by_segment={})  # no segment

    with engine.connect() as conn:  # this week's report keeps its users
        assert period_users(conn, tables, WEEK, store=DailyTotalsStore(state)) == truth
    users = rollups.report_period_users
    with state.begin() as conn:  # so that the next report shows where its count came from
        conn.execute(sa.update(users).where(users.c.first_day == WEEK.start).values(users=999))
    with engine.connect() as conn:
        kept = period_users(conn, tables, next_week, store=DailyTotalsStore(state))
    assert kept.previous_total == 999

    late = dict(rows.conversations[0], id=1000, user_id="late-user")
    late["created_at"] = WEEK.start_at + timedelta(hours=5)
    insert(engine, settings, Rows(conversations=[late]), style=style)
    with engine.connect() as conn:  # a conversation logged late into the week: counted again
        counted = period_users(conn, tables, next_week, store=DailyTotalsStore(state))
    assert counted.previous_total == truth.total + 1
