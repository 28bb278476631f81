"""The jobs every trigger runs: the one place each job is defined.

The CLI, the scheduler, the HTTP service, the Slack handlers and the dashboard all call these
functions, so a run behaves the same whoever starts it.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import Engine

from aiops_report.analysis import metrics
from aiops_report.analysis.insights import Insights, baseline_span, compute_insights
from aiops_report.analysis.metrics import ReportNumbers, compute
from aiops_report.analysis.prices import load_prices
from aiops_report.data.config import Settings
from aiops_report.data.daily import keep_daily_totals
from aiops_report.data.db import ChatbotTables, reflect_tables, state_engine
from aiops_report.data.periods import Period, format_instant, parse_week
from aiops_report.data.rollups import DailyTotalsStore
from aiops_report.delivery.runs import Run, RunLedger
from aiops_report.delivery.slack import (
    Delivery,
    SlackDelivery,
    SlackFinding,
    report_button_blocks,
)
from aiops_report.errors import (
    AiopsReportError,
    InvalidInput,
    SlackNotConfigured,
    WeekNotOver,
)
from aiops_report.language import Language
from aiops_report.report import write_report
from aiops_report.texts import texts_for

log = logging.getLogger(__name__)
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


def report_numbers(
    engine: Engine, settings: Settings, period: Period, *, analyse_texts: bool = True
) -> ReportNumbers:
    """The numbers and insights of `period` (week-to-date when it is cut); without
    `analyse_texts`, the complaint texts are read but not made into themes.

    Raises MissingTable, MissingColumn, DatabaseUnreachable, InvalidPriceTable.
    """
    steps.info("reading the tables")
    tables = reflect_tables(engine, settings)
    store = totals_store(engine, settings)
    if store:  # read and keep the settled days once, before the parts below read them at once
        # Only whole days are kept: a day cut short is read live each time.
        keep_daily_totals(engine, tables, baseline_span(period).before_cut, store)
    steps.info("reading the week and its insights")
    with ThreadPoolExecutor(max_workers=1) as pool:
        numbers = pool.submit(compute, engine, tables, period, store=store)
        insights = report_insights(
            engine, settings, tables, period, store=store, analyse_texts=analyse_texts
        )
        return replace(numbers.result(), insights=insights)


def totals_store(engine: Engine, settings: Settings) -> DailyTotalsStore | None:
    """Where settled days' totals are kept (STATE_DATABASE_URL or DATABASE_URL), unless
    KEEP_DAILY_TOTALS is false."""
    return DailyTotalsStore(state_engine(engine, settings)) if settings.keep_daily_totals else None


def run_ledger(engine: Engine, settings: Settings) -> RunLedger:
    """The ledger of deliveries (in STATE_DATABASE_URL or DATABASE_URL)."""
    return RunLedger(state_engine(engine, settings))


@dataclass(frozen=True)
class GeneratedReport:
    path: Path
    numbers: ReportNumbers


def generate_report(
    engine: Engine,
    settings: Settings,
    period: Period,
    *,
    language: Language | None = None,
    out_dir: Path | None = None,
) -> GeneratedReport:
    """Compute the week's numbers and write its PDF (and the JSON beside it); a partial
    (week-to-date) period gets a PDF of its own, marked partial."""
    numbers = report_numbers(engine, settings, period)
    steps.info("writing the PDF")
    path = write_report(
        numbers,
        out_dir or settings.report_dir,
        language=language or settings.report_language,
        generated_at=datetime.now(settings.report_zone),
    )
    return GeneratedReport(path, numbers)


def numbers_beside(pdf_path: Path) -> ReportNumbers | None:
    """The numbers a report was built from (its JSON twin), if they are there."""
    twin = pdf_path.with_suffix(".json")
    try:
        return ReportNumbers.from_dict(json.loads(twin.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{twin} is not the JSON of a report: {exc}") from None


def send_report(settings: Settings, pdf_path: Path) -> Delivery:
    """Upload a report PDF to SLACK_CHANNEL, with the numbers of its JSON twin as the message."""
    if not pdf_path.is_file():
        raise InvalidInput(f"{pdf_path} is not a file")
    return SlackDelivery(settings).upload_report(
        pdf_path, numbers_beside(pdf_path), settings.report_language
    )


@dataclass(frozen=True)
class WeeklyOutcome:
    """What `run_weekly` did: delivered now, or skipped and why."""

    status: Literal["delivered", "skipped"]
    period: Period
    message: str
    run: Run


def refuse_unfinished(settings: Settings, period: Period, now: datetime | None = None) -> None:
    """Raise WeekNotOver (or WeekNotStarted) unless `period` is over: only complete weeks
    are delivered and recorded in report_runs."""
    known = period.as_of(now or datetime.now(settings.report_zone))
    if known.partial:
        raise WeekNotOver(
            f"the week of {period.start} is not over until {format_instant(known.whole.end_at)}: "
            "run-weekly delivers complete weeks; `generate --week` makes a week-to-date report"
        )


def run_weekly(
    engine: Engine,
    settings: Settings,
    *,
    period: Period | None = None,
    force: bool = False,
) -> WeeklyOutcome:
    """Build and deliver a week's report once, however often and by whomever it is called.

    A week already delivered to SLACK_CHANNEL is skipped (unless `force`); after a failure the
    report already written is uploaded again, after checking that Slack did not in fact post
    it. Raises the error that stopped the run, after recording it in `report_runs`; a week
    that is not over is refused before anything is recorded (WeekNotOver, WeekNotStarted).
    """
    period = period or default_week(settings)
    refuse_unfinished(settings, period)
    ledger = run_ledger(engine, settings)
    claim = ledger.claim(period, settings.slack_channel, force=force)
    if not claim.claimed:
        return WeeklyOutcome("skipped", period, claim.reason, claim.run)
    run = claim.run
    try:
        path, numbers = _report_for(run, engine, settings, period, fresh=force)
        # A forced run sends anew: the file an earlier run posted does not count for it.
        forget = {"slack_file_id": None, "permalink": None} if force else {}
        # The run stays "running" (its lease holding the week) until Slack has the file.
        run = ledger.update(run.id, file_path=str(path), error=None, **forget)
        slack = SlackDelivery(settings)
        if run.slack_file_id and slack.file_shared_in(run.slack_file_id, slack.channel_id()):
            run = ledger.update(run.id, status="delivered", lease_until=None)
            return WeeklyOutcome("delivered", period, f"{path.name} had reached Slack already", run)
        steps.info("uploading to Slack")
        delivery = slack.upload_report(
            path,
            numbers,
            settings.report_language,
            on_file_id=lambda file_id: ledger.update(run.id, slack_file_id=file_id),
        )
    except SlackNotConfigured as exc:
        ledger.update(run.id, status="generated", error=str(exc), lease_until=None)
        raise SlackNotConfigured(f"{exc}: {run.file_path}") from None
    except AiopsReportError as exc:
        ledger.update(run.id, status="failed", error=str(exc), lease_until=None)
        raise
    run = ledger.update(
        run.id,
        status="delivered",
        slack_file_id=delivery.file_id,
        permalink=delivery.permalink,
        error=None,
        lease_until=None,
    )
    offer_regeneration(slack, period, settings.report_language)
    return WeeklyOutcome("delivered", period, f"{path.name} delivered to {slack.where}", run)


def send_week_to_date(
    engine: Engine, settings: Settings, period: Period
) -> tuple[GeneratedReport, Delivery]:
    """Build the week-to-date report of `period` (cut: partial) and upload it to
    SLACK_CHANNEL, without recording it in report_runs: the week is delivered for real by
    run_weekly once it is over.

    Raises InvalidInput for a whole period, and what generate_report and the upload raise.
    """
    if not period.partial:
        raise InvalidInput(f"the period from {period.start} is complete: run_weekly delivers it")
    report = generate_report(engine, settings, period)
    delivery = SlackDelivery(settings).upload_report(
        report.path, report.numbers, settings.report_language
    )
    return report, delivery


def offer_regeneration(slack: SlackDelivery, period: Period, language: str) -> None:
    """Post the "Generate report now" button under a delivered report.

    A file upload cannot carry buttons, hence a message of its own; the report is delivered
    already, so a failure here is logged, not raised.
    """
    hint = texts_for(language).generate_hint
    try:
        slack.post_message(hint, report_button_blocks(hint, period, language))
    except AiopsReportError as exc:
        log.warning("the report of %s is delivered, but its button is not: %s", period.start, exc)


def _report_for(
    run: Run, engine: Engine, settings: Settings, period: Period, *, fresh: bool
) -> tuple[Path, ReportNumbers]:
    """The run's report: the one written by an earlier attempt, or a new one."""
    if not fresh and run.file_path and Path(run.file_path).is_file():
        path = Path(run.file_path)
        numbers = numbers_beside(path)
        if numbers is not None:
            return path, numbers
    report = generate_report(engine, settings, period)
    return report.path, report.numbers


# --- what the dashboard shows: the same assembly, for any range -------------------------------


def report_insights(
    engine: Engine,
    settings: Settings,
    tables: ChatbotTables,
    period: Period,
    *,
    store: DailyTotalsStore | None = None,
    analyse_texts: bool = True,
) -> Insights:
    """The insights of `period` as the report has them (MODEL_PRICES, SCORE_GOOD_THRESHOLD).

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
    )


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
    engine: Engine, tables: ChatbotTables, period: Period
) -> tuple[int, int] | None:
    """Distinct users of the period before `period` and of `period`; None without user_id."""
    return metrics.unique_users(engine, tables, period)


def report_history(engine: Engine, settings: Settings, limit: int) -> list[Run]:
    """The latest `limit` report runs of the ledger, newest week first."""
    return run_ledger(engine, settings).history(limit=limit)


def slack_check(settings: Settings) -> list[SlackFinding] | None:
    """doctor's findings on the Slack token and channel; None when no token is set."""
    try:
        return SlackDelivery(settings).check()
    except SlackNotConfigured:
        return None
