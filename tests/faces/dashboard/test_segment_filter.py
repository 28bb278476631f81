"""The segment filter of the admin panel (SCHEMA_FILE's segment column), through AppTest on
SQLite, PostgreSQL and MariaDB: a segment picked in the sidebar is what every page counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from aiops_report.data.config import Settings
from aiops_report.data.demo import fill_demo_data
from aiops_report.data.periods import Period
from aiops_report.faces.dashboard import auth, data
from aiops_report.texts.dashboard import KO
from aiops_report.texts.formats import format_value
from aiops_report.texts.report import KO as REPORT_KO
from chatbot_tables import Rows, create_tables, insert
from dashboard_app import (  # noqa: F401
    app_env_fixture,
    fresh_caches_fixture,
    sqlite_only_fixture,
)

APP = Path(auth.__file__).with_name("app.py")
BOTS = ["shop-bot", "help-bot", None]  # (case and collations: tests/analysis/test_segments.py)


def bot_rows(period: Period) -> Rows:
    """A few conversations of each bot (or of none) on every day of `period` and one the day
    after it, each with a like or a dislike and a score."""
    rows = Rows()
    days = (period.end - period.start).days
    for n in range(days + 1):
        for k, bot in enumerate(BOTS):
            for m in range((n + k) % 3 + 1):
                cid = len(rows.conversations) + 1
                at = period.start_at + timedelta(days=n, hours=9 + k, minutes=m)
                rows.conversations.append(
                    {"id": cid, "bot": bot, "user_id": f"u{m}", "created_at": at}
                )
                rows.feedback.append(
                    {
                        "id": cid,
                        "conversation_id": cid,
                        "feedback": "like" if (n + m) % 3 else "dislike",
                        "created_at": at + timedelta(minutes=5),
                    }
                )
                rows.evaluations.append(
                    {"id": cid, "conversation_id": cid, "score": (n + k) % 11, "created_at": at}
                )
    return rows


@pytest.fixture
def segmented(app_env: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Tables whose conversations have a `bot` column, mapped as the segment."""
    schema_file = app_env.report_dir.parent / "schema.toml"
    schema_file.write_text('[conversations]\nsegment = "bot"\n', encoding="utf-8")
    monkeypatch.setenv("SCHEMA_FILE", str(schema_file))
    settings = app_env.model_copy(update={"schema_file": schema_file})
    create_tables(engine, settings, style="naive", minimal=False, segment="bot")
    insert(engine, settings, bot_rows(data.default_range(settings)), style="naive")
    return settings


def counted(engine: Engine, settings: Settings, period: Period, bot: str | None) -> int:
    """The conversations of `period` (of `bot` when given), counted by the database."""
    table = sa.Table(settings.conversation_table, sa.MetaData(), autoload_with=engine)

    def stored(at: datetime) -> datetime:
        return at.astimezone(settings.db_zone).replace(tzinfo=None)

    query = sa.select(sa.func.count()).where(
        table.c.created_at >= stored(period.start_at), table.c.created_at < stored(period.end_at)
    )
    if bot is not None:
        query = query.where(table.c.bot == bot)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def started() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def conversations_card(at: AppTest) -> str:
    return next(m.value for m in at.metric if m.label == REPORT_KO.metrics["conversations"])


def test_a_segment_picked_in_the_sidebar_is_what_the_overview_counts(
    segmented: Settings, engine: Engine
) -> None:
    period = data.default_range(segmented)
    at = started()
    assert_clean(at)
    picker = at.sidebar.selectbox(key="aiops_segment")
    assert picker.label == KO["segment"]
    assert picker.options == [KO["segment_all"], "help-bot", "shop-bot"]
    everything = counted(engine, segmented, period, None)
    assert conversations_card(at) == format_value("conversations", everything)

    picker.set_value("shop-bot").run()
    assert_clean(at)
    shop = counted(engine, segmented, period, "shop-bot")
    assert 0 < shop < everything
    assert conversations_card(at) == format_value("conversations", shop)
    assert any(KO["segment_only"].format(segment="shop\\-bot") in c.value for c in at.caption)

    at.segmented_control(key="aiops_page").set_value("conversations").run()
    assert_clean(at)
    assert at.sidebar.selectbox(key="aiops_segment").value == "shop-bot"  # kept across pages
    total = KO["conversations_caption"].split("{total}")[0] + f"{shop:,}"
    assert any(c.value.startswith(total) for c in at.caption)

    at.sidebar.selectbox(key="aiops_segment").set_value(None).run()
    at.segmented_control(key="aiops_page").set_value("overview").run()
    assert conversations_card(at) == format_value("conversations", everything)


def test_without_a_segment_column_there_is_no_segment_filter(
    app_env: Settings, engine: Engine
) -> None:
    fill_demo_data(engine, app_env, weeks=2, per_day=5, now=datetime.now(app_env.report_zone))
    at = started()
    assert_clean(at)
    assert not at.sidebar.selectbox
    assert at.metric


def test_the_status_page_still_shows_when_the_tables_cannot_be_read(app_env: Settings) -> None:
    at = started()  # an empty database: no table to read segments from
    at.segmented_control(key="aiops_page").set_value("status").run()
    assert not at.exception
    assert not at.sidebar.selectbox
    assert at.success  # doctor's findings: connected, whatever else is wrong
