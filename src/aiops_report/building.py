"""Building a report, apart from delivering it: a week's numbers and insights, its PDF and
JSON (and CSV tables), and where the project's own tables are (the ledger, kept totals)."""

from __future__ import annotations

import json
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from aiops_report.analysis.insight_parts import Insights
from aiops_report.analysis.insight_reads import baseline_span
from aiops_report.analysis.insights import compute_insights
from aiops_report.analysis.metrics import ReportNumbers, compute, unique_users
from aiops_report.analysis.prices import load_prices
from aiops_report.analysis.users import PeriodUsers, read_period_users
from aiops_report.data.config import Settings
from aiops_report.data.daily import keep_daily_totals
from aiops_report.data.db import state_engine
from aiops_report.data.periods import Period, parse_week
from aiops_report.data.rollups import DailyTotalsStore
from aiops_report.data.tables import ChatbotTables, reflect_tables
from aiops_report.delivery.runs import Run, RunLedger
from aiops_report.errors import InvalidInput
from aiops_report.language import Language
from aiops_report.report import write_report
from aiops_report.report.csv_tables import write_csv_tables
from aiops_report.sanity import report_warnings
from aiops_report.texts.doctor import Finding

# What a job is doing now, one INFO line per step: the CLI shows it on a terminal.
steps = logging.getLogger("aiops_report.steps")


def default_week(settings: Settings, now: datetime | None = None) -> Period:
    """The last complete week in the report's time zone."""
    return Period.last_complete_week(
        now or datetime.now(settings.report_zone), settings.report_zone
    )


def requested_week(settings: Settings, text: str | None, now: datetime | None = None) -> Period:
    """The week holding the date `text` (YYYY-MM-DD) as known now: whole once it is over,
    week-to-date (cut now) while it runs; the last complete week when `text` is None.

    Raises InvalidInput when `text` is not a date, DateOutOfRange, WeekNotStarted.
    """
    now = now or datetime.now(settings.report_zone)
    if text is None:
        return default_week(settings, now)
    return parse_week(text, settings.report_zone).as_of(now)


def totals_store(engine: Engine, settings: Settings) -> DailyTotalsStore | None:
    """Where settled days' totals are kept (STATE_DATABASE_URL or DATABASE_URL), unless
    KEEP_DAILY_TOTALS is false."""
    if not settings.keep_daily_totals:
        return None
    watermarks = settings.kept_totals_proof == "auto"
    return DailyTotalsStore(state_engine(engine, settings), watermarks=watermarks)


def run_ledger(engine: Engine, settings: Settings) -> RunLedger:
    """The ledger of deliveries (in STATE_DATABASE_URL or DATABASE_URL)."""
    return RunLedger(state_engine(engine, settings))


def report_numbers(
    engine: Engine,
    settings: Settings,
    period: Period,
    *,
    analyse_texts: bool = True,
    segment: str | None = None,
) -> ReportNumbers:
    """The numbers and insights of `period` (week-to-date when it is cut), of `segment` only
    when given; without `analyse_texts`, the complaint texts are read but not made into themes.

    Raises MissingTable, MissingColumn, DatabaseUnreachable, InvalidPriceTable, ConfigError
    (a segment without a segment column), InvalidInput.
    """
    steps.info("reading the tables")
    tables = reflect_tables(engine, settings).for_segment(segment)
    store = totals_store(engine, settings)
    if store:  # read and keep the settled days once, before the parts below read them at once
        # Only whole days are kept: a day cut short is read live each time.
        keep_daily_totals(engine, tables, baseline_span(period).before_cut, store)
    steps.info("reading the week and its insights")
    # What the reads keep beside the totals is written once they are done (the pool's end).
    held = store.writes_held() if store else nullcontext()
    with held, ThreadPoolExecutor(max_workers=2) as pool:
        numbers = pool.submit(compute, engine, tables, period, store=store, count_users=False)
        # One read of the distinct users, for the headline and the tables by model and segment.
        users = pool.submit(read_period_users, engine, tables, period, store)
        insights = report_insights(
            engine,
            settings,
            tables,
            period,
            store=store,
            analyse_texts=analyse_texts,
            users=users,
        )
        counted = numbers.result().with_unique_users(users.result().headline)
        return replace(counted, insights=insights)


def headline_numbers(
    engine: Engine, settings: Settings, period: Period, segment: str | None = None
) -> ReportNumbers:
    """The numbers of `period` (of `segment`) without insights, excerpts or distinct users:
    what a delivered week's figures are checked against. Raises as `report_numbers`."""
    tables = reflect_tables(engine, settings).for_segment(segment)
    store = totals_store(engine, settings)
    return compute(engine, tables, period, worst_limit=0, store=store, count_users=False)


def report_insights(
    engine: Engine,
    settings: Settings,
    tables: ChatbotTables,
    period: Period,
    *,
    store: DailyTotalsStore | None = None,
    analyse_texts: bool = True,
    users: Future[PeriodUsers] | None = None,
) -> Insights:
    """The insights of `period` as the report has them (MODEL_PRICES, SCORE_GOOD_THRESHOLD);
    `users` as compute_insights takes them.

    Raises MissingTable, MissingColumn, DatabaseUnreachable, InvalidPriceTable.
    """
    prices = load_prices(settings.model_prices) if settings.model_prices else None
    return compute_insights(
        engine,
        tables,
        period,
        prices=prices,
        score_good_threshold=settings.score_good_threshold,
        store=store or totals_store(engine, settings),
        analyse_texts=analyse_texts,
        users=users,
    )


@dataclass(frozen=True)
class GeneratedReport:
    path: Path
    numbers: ReportNumbers
    tables: list[Path] = field(default_factory=list)  # the CSV tables, when asked for
    warnings: list[Finding] = field(default_factory=list)  # what makes the numbers doubtful


def generate_report(
    engine: Engine,
    settings: Settings,
    period: Period,
    *,
    language: Language | None = None,
    out_dir: Path | None = None,
    csv: bool = False,
    segment: str | None = None,
    restated: bool = False,
) -> GeneratedReport:
    """Compute the week's numbers (of `segment` only, when given) and write its PDF (and the
    JSON beside it, and with `csv` its tables as CSV files); a partial (week-to-date) period
    gets a PDF of its own, marked partial, and so does a restated delivered week."""
    numbers = report_numbers(engine, settings, period, segment=segment)
    steps.info("writing the PDF")
    path = write_report(
        numbers,
        out_dir or settings.report_dir,
        language=language or settings.report_language,
        generated_at=datetime.now(settings.report_zone),
        restated=restated,
    )
    tables = write_csv_tables(numbers, path) if csv else []
    now = datetime.now(settings.report_zone)
    return GeneratedReport(path, numbers, tables, report_warnings(engine, settings, now))


def numbers_beside(pdf_path: Path) -> ReportNumbers | None:
    """The numbers a report was built from (its JSON twin), if they are there."""
    twin = pdf_path.with_suffix(".json")
    try:
        return ReportNumbers.from_dict(json.loads(twin.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{twin} is not the JSON of a report: {exc}") from None


# --- any range, as the dashboard reads it ------------------------------------------------


def range_numbers(
    engine: Engine,
    settings: Settings,
    tables: ChatbotTables,
    period: Period,
    *,
    worst_limit: int,
    count_users: bool = True,
) -> ReportNumbers:
    """The numbers of any range and the one before it (settled days from the kept totals),
    with `worst_limit` lowest-scored and disliked conversations; without insights.

    Raises MissingTable, MissingColumn, DatabaseUnreachable.
    """
    return compute(
        engine,
        tables,
        period,
        worst_limit=worst_limit,
        store=totals_store(engine, settings),
        count_users=count_users,
    )


def range_unique_users(
    engine: Engine, settings: Settings, tables: ChatbotTables, period: Period
) -> tuple[int, int] | None:
    """Distinct users of the period before `period` and of `period`; None without user_id."""
    return unique_users(engine, tables, period, totals_store(engine, settings))


def report_history(engine: Engine, settings: Settings, limit: int) -> list[Run]:
    """The latest `limit` report runs of the ledger, newest week first."""
    return run_ledger(engine, settings).history(limit=limit)
