"""Themes from the terms kept of settled days (theme_reads.py): the themes read live, on every
database, analysing only the days not seen yet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.engine import Engine

from aiops_report.analysis import theme_reads
from aiops_report.analysis.insights import compute_insights
from aiops_report.analysis.metrics import compute
from aiops_report.analysis.themes import Theme
from aiops_report.data.config import Settings
from aiops_report.data.db import state_engine
from aiops_report.data.demo import fill_demo_data
from aiops_report.data.periods import Period
from aiops_report.data.rollups import TABLE_NAME, DailyTotalsStore, report_daily_totals
from aiops_report.data.tables import ChatbotTables, reflect_tables

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SEOUL)  # Tuesday: every day of both weeks settled
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)


@pytest.fixture
def demo(engine: Engine, settings: Settings) -> Engine:
    fill_demo_data(engine, settings, weeks=3, per_day=40, now=NOW)
    return engine


def themes_of(engine: Engine, tables: ChatbotTables, store: DailyTotalsStore | None) -> list[Theme]:
    themes = compute_insights(engine, tables, WEEK, prices=None, store=store).themes
    assert themes  # the demo's dislikes have comments
    return themes


@time_machine.travel(NOW, tick=False)
def test_kept_terms_give_the_themes_read_live_and_are_analysed_once(
    demo: Engine, settings: Settings
) -> None:
    tables = reflect_tables(demo, settings)
    live = themes_of(demo, tables, None)

    first = DailyTotalsStore(state_engine(demo, settings))
    assert themes_of(demo, tables, first) == live
    assert first.days_analysed == 14  # both weeks' days, kept

    second = DailyTotalsStore(state_engine(demo, settings))  # the next report
    assert themes_of(demo, tables, second) == live
    assert second.days_analysed == 0


@time_machine.travel(NOW, tick=False)
def test_a_late_dislike_with_a_comment_is_in_the_next_themes(
    demo: Engine, settings: Settings
) -> None:
    tables = reflect_tables(demo, settings)
    before = themes_of(demo, tables, DailyTotalsStore(state_engine(demo, settings)))
    top = before[0]
    with demo.begin() as conn:  # Wednesday 12:00 KST: one more such complaint, uploaded late
        conn.execute(
            sa.insert(tables.feedback),
            [
                {
                    "feedback": "dislike",
                    "comment": top.examples[0],
                    "created_at": datetime(2026, 11, 18, 3),
                }
            ],
        )

    store = DailyTotalsStore(state_engine(demo, settings))
    after = themes_of(demo, tables, store)

    assert store.days_analysed == 1  # Wednesday alone
    assert {t.term: t.count for t in after}[top.term] == top.count + 1
    assert after == themes_of(demo, tables, None)


ANALYSED_AGAIN = """
import json, sys
from datetime import date
from zoneinfo import ZoneInfo
from aiops_report.analysis import theme_reads
from aiops_report.analysis.insights import compute_insights
from aiops_report.analysis.metrics import compute
from aiops_report.data.config import load_settings
from aiops_report.data.db import make_engine, state_engine
from aiops_report.data.periods import Period
from aiops_report.data.rollups import TABLE_NAME, DailyTotalsStore, report_daily_totals
from aiops_report.data.tables import reflect_tables

settings = load_settings(database_url=sys.argv[1])
engine = make_engine(settings)
week = Period.week_of(date(2026, 11, 16), ZoneInfo("Asia/Seoul"))
store = DailyTotalsStore(state_engine(engine, settings))
tables = reflect_tables(engine, settings)
themes = compute_insights(engine, tables, week, prices=None, store=store).themes
print(json.dumps([len(themes), "kiwipiepy" in sys.modules]))
"""


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_report_of_kept_days_does_not_load_the_analyser(demo: Engine, settings: Settings) -> None:
    """Run after the days have settled (the clock is not moved: a process of its own)."""
    tables = reflect_tables(demo, settings)
    themes_of(demo, tables, DailyTotalsStore(state_engine(demo, settings)))  # keeps the terms

    def next_report() -> list[object]:
        run = [sys.executable, "-c", ANALYSED_AGAIN, settings.database_url]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        return json.loads(subprocess.run(run, env=env, check=True, capture_output=True).stdout)

    assert next_report() == [10, False]


@time_machine.travel(NOW, tick=False)
def test_totals_kept_by_a_version_without_terms_get_them(demo: Engine, settings: Settings) -> None:
    state = state_engine(demo, settings)
    earlier = sa.MetaData()
    sa.Table(
        TABLE_NAME,
        earlier,
        *(
            sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in report_daily_totals.c
            if c.name != "terms"
        ),
    )
    earlier.create_all(state)
    tables = reflect_tables(demo, settings)
    compute(demo, tables, WEEK, store=DailyTotalsStore(state))  # keeps totals, no terms

    store = DailyTotalsStore(state)
    assert themes_of(demo, tables, store) == themes_of(demo, tables, None)
    assert "terms" in {c["name"] for c in sa.inspect(state).get_columns(TABLE_NAME)}
    assert store.days_analysed == 14


def test_terms_kept_of_a_larger_share_serve_a_smaller_one(
    demo: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A week to date gives each day a larger share of the texts than the whole week: its
    kept days serve the week's report with their newest texts."""
    monkeypatch.setattr(theme_reads, "THEME_TEXT_LIMIT", 7)  # a week: 1 text a day; 4 days: 2
    tables = reflect_tables(demo, settings)
    thursday = datetime(2026, 11, 19, 10, tzinfo=SEOUL)
    with time_machine.travel(thursday, tick=False):
        to_date = WEEK.as_of(thursday)
        compute_insights(
            demo, tables, to_date, prices=None, store=DailyTotalsStore(state_engine(demo, settings))
        )

    store = DailyTotalsStore(state_engine(demo, settings))
    with time_machine.travel(NOW, tick=False):
        assert themes_of(demo, tables, store) == themes_of(demo, tables, None)
    # Kept on Thursday: Monday and Tuesday, and the week before's Monday to Wednesday.
    assert store.days_analysed == 14 - 5
