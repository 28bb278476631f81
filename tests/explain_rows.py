"""A week whose satisfaction fell because traffic moved to a weaker model, while each model
got better (Simpson's paradox): the tables, their rows, and the schema file naming the
dimensions. Shared by the tests of the report, Slack, the dashboard and the alerts."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine

from aiops_report.data.config import Settings
from aiops_report.data.periods import Period
from chatbot_tables import Rows, create_all, insert

SEOUL = ZoneInfo("Asia/Seoul")
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)
STRONG, WEAK = "gpt-4.1", "gpt-4.1-nano"
# (share of the week's conversations, like rate) of each model, last week and this week: both
# models better this week, the whole worse, as most traffic went to the weaker one.
PLAN = {
    "previous": {STRONG: (0.75, 0.86), WEAK: (0.25, 0.58)},
    "current": {STRONG: (0.30, 0.88), WEAK: (0.70, 0.62)},
}


def schema_file(directory: Path) -> Path:
    path = directory / "schema.toml"
    path.write_text(
        '[conversations]\nsegment = "bot"\ndimensions = ["prompt_version", "channel"]\n',
        encoding="utf-8",
    )
    return path


def create(engine: Engine, settings: Settings) -> None:
    stamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    metadata = sa.MetaData()
    sa.Table(
        settings.conversation_table,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("user_id", sa.String(20)),
        sa.Column("model", sa.String(20)),
        sa.Column("bot", sa.String(20)),
        sa.Column("channel", sa.String(20)),
        sa.Column("prompt_version", sa.Integer),
        sa.Column("created_at", stamp),
    )
    for name, value in (
        (settings.feedback_table, "feedback"),
        (settings.evaluation_table, "score"),
    ):
        sa.Table(
            name,
            metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("conversation_id", sa.Integer),
            sa.Column(value, sa.String(20) if value == "feedback" else sa.Float),
            sa.Column("created_at", stamp),
        )
    create_all(metadata, engine)


def paradox_rows(per_week: int = 800, seed: int = 3, period: Period = WEEK) -> Rows:
    """`per_week` conversations in `period` and as many in the one before, each rated once
    within two hours; the strong model's conversations scored higher."""
    rng = random.Random(seed)
    rows = Rows()
    cid = 0
    for which, each in (("previous", period.previous), ("current", period)):
        minutes = int((each.end_at - each.start_at).total_seconds() // 60) - 120
        for _ in range(per_week):
            cid += 1
            model = STRONG if rng.random() < PLAN[which][STRONG][0] else WEAK
            created = each.start_at + timedelta(minutes=rng.randrange(minutes))
            rows.conversations.append(
                {
                    "id": cid,
                    "user_id": f"u{rng.randrange(200)}",
                    "model": model,
                    "bot": rng.choice(["shop", "help"]),
                    "channel": rng.choice(["web", "kakao"]),
                    "prompt_version": rng.choice([3, 4]),
                    "created_at": created,
                }
            )
            liked = rng.random() < PLAN[which][model][1]
            rows.feedback.append(
                {
                    "id": cid,
                    "conversation_id": cid,
                    "feedback": "like" if liked else "dislike",
                    "created_at": created + timedelta(minutes=30),
                }
            )
            base = 8 if model == STRONG else 5
            rows.evaluations.append(
                {
                    "id": cid,
                    "conversation_id": cid,
                    "score": float(min(10, max(0, base + rng.choice([-2, -1, 0, 1, 2])))),
                    "created_at": created + timedelta(minutes=60),
                }
            )
    return rows


def load(engine: Engine, settings: Settings, rows: Rows | None = None) -> None:
    create(engine, settings)
    insert(engine, settings, rows or paradox_rows(), style="naive")
