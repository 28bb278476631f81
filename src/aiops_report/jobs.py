"""The jobs every trigger runs: the one place each job is defined."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from aiops_report.config import Settings
from aiops_report.db import reflect_tables
from aiops_report.metrics import ReportNumbers, compute
from aiops_report.periods import Period


def default_week(settings: Settings, now: datetime | None = None) -> Period:
    """The last complete week in the report's time zone."""
    return Period.last_complete_week(
        now or datetime.now(settings.report_zone), settings.report_zone
    )


def report_numbers(engine: Engine, settings: Settings, period: Period) -> ReportNumbers:
    """The numbers of `period`; raises MissingTable, MissingColumn, DatabaseUnreachable."""
    return compute(engine, reflect_tables(engine, settings), period)
