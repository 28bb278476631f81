"""The jobs every trigger runs: the one place each job is defined.

The CLI, the scheduler, the HTTP service, the Slack handlers and the dashboard all call these
functions, so a run behaves the same whoever starts it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Literal, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from aiops_report.analysis import metrics
from aiops_report.analysis.insight_parts import Insights
from aiops_report.analysis.insight_reads import baseline_span
from aiops_report.analysis.insights import (
    INSIGHT_RULES as INSIGHT_RULES,  # re-exported: the thresholds faces explain
)
from aiops_report.analysis.insights import compute_insights
from aiops_report.analysis.metrics import ReportNumbers, compute
from aiops_report.analysis.prices import load_prices
from aiops_report.analysis.sanity import refuse_known_wrong
from aiops_report.analysis.sanity import (
    report_warnings as report_warnings,  # re-exported: generate --json warns of them too
)
from aiops_report.data.config import Settings
from aiops_report.data.daily import keep_daily_totals
from aiops_report.data.db import state_engine
from aiops_report.data.periods import Period, format_instant, parse_week
from aiops_report.data.rollups import DailyTotalsStore
from aiops_report.data.tables import ChatbotTables, reflect_tables
from aiops_report.delivery.email import send_report_email
from aiops_report.delivery.routes import Destination, destinations
from aiops_report.delivery.runs import Run, RunLedger, Status
from aiops_report.delivery.slack import (
    ACTION_ID as ACTION_ID,  # re-exported: the Slack button's action, for its handler
)
from aiops_report.delivery.slack import (
    Delivery,
    SlackDelivery,
    report_button_blocks,
    unresolved_channel_key,
)
from aiops_report.delivery.slack import (
    shown_channel as shown_channel,  # re-exported: faces name channels through jobs
)
from aiops_report.delivery.webhook import post_report
from aiops_report.errors import (
    AiopsReportError,
    DeliveryFailed,
    InvalidInput,
    SlackNotConfigured,
    WeekNotOver,
    one_line,
)
from aiops_report.language import Language
from aiops_report.report import write_report
from aiops_report.report.csv_tables import write_csv_tables
from aiops_report.texts.doctor import Finding
from aiops_report.texts.report import texts_for

log = logging.getLogger(__name__)
Outcome = TypeVar("Outcome")
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
) -> GeneratedReport:
    """Compute the week's numbers (of `segment` only, when given) and write its PDF (and the
    JSON beside it, and with `csv` its tables as CSV files); a partial (week-to-date) period
    gets a PDF of its own, marked partial."""
    numbers = report_numbers(engine, settings, period, segment=segment)
    steps.info("writing the PDF")
    path = write_report(
        numbers,
        out_dir or settings.report_dir,
        language=language or settings.report_language,
        generated_at=datetime.now(settings.report_zone),
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
    destinations: tuple[WeeklyOutcome, ...] = ()  # each destination's, with DELIVERY_FILE


def post_notice(settings: Settings, text: str) -> None:
    """Post a message to SLACK_CHANNEL.

    Raises SlackNotConfigured, SlackDeliveryError when Slack refuses it, SlackUnavailable.
    """
    SlackDelivery(settings).post_message(text)


def in_background(what: str, job: Callable[[], Outcome]) -> Outcome | Exception:
    """Run `job` where nobody waits for its answer (the scheduler, a worker thread of the
    service): its outcome or its error goes to the log, a bug's with its traceback. Returns
    the outcome, or the exception that stopped the job (which run_weekly has recorded)."""
    try:
        outcome = job()
    except AiopsReportError as exc:
        log.error("%s failed: %s", what, exc)
        return exc
    except Exception as exc:  # a bug must not pass silently in a background thread
        log.exception("%s failed unexpectedly", what)
        return exc
    log.info("%s: %s", what, getattr(outcome, "message", outcome))
    return outcome


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
    """Build a week's report once and deliver it once to each destination of DELIVERY_FILE
    (SLACK_CHANNEL alone without it, as `deliver_to_slack`), however often it is called.

    Each destination is claimed, delivered and recorded in report_runs on its own, keyed by
    the week and the destination: a failed one is retried by the next run without sending
    the others again, and never stops them. Raises DeliveryFailed naming each destination
    that failed (the others are delivered), ConfigError for a bad DELIVERY_FILE, WeekNotOver,
    KnownWrongReport (unless `force`: a report known to be wrong is not delivered).
    """
    period = period or default_week(settings)
    refuse_unfinished(settings, period)
    if not force:
        refuse_known_wrong(engine, settings, period, datetime.now(settings.report_zone))
    if settings.delivery_file is None:
        return deliver_to_slack(engine, settings, period=period, force=force)
    every = destinations(settings)
    built: dict[str | None, _BuiltReport] = {}  # the whole report and each segment's
    outcomes: list[WeeklyOutcome] = []
    failures: dict[str, list[str]] = {}  # each error, and the destinations it stopped
    for destination in every:
        try:
            report = built.setdefault(destination.segment, _BuiltReport())
            outcomes.append(_deliver_to(destination, engine, settings, period, force, report))
        except AiopsReportError as exc:
            failures.setdefault(str(exc), []).append(destination.shown)
        except Exception as exc:  # a bug in one destination must not keep the others waiting
            log.exception("the delivery to %s failed unexpectedly", destination.shown)
            failures.setdefault(f"{type(exc).__name__}: {exc}", []).append(destination.shown)
    if failures:
        failed = sum(len(names) for names in failures.values())
        why = " | ".join(f"{', '.join(names)}: {error}" for error, names in failures.items())
        delivered = [o.message for o in outcomes if o.status == "delivered"]
        raise DeliveryFailed(
            f"{failed} of {len(every)} destinations failed, to be retried by the next run — "
            f"{why}" + (f" (done: {'; '.join(delivered)})" if delivered else "")
        )
    sent = [o for o in outcomes if o.status == "delivered"]
    return WeeklyOutcome(
        "delivered" if sent else "skipped",
        period,
        "\n".join(o.message for o in outcomes),
        (sent or outcomes)[0].run,
        tuple(outcomes),
    )


def _deliver_to(
    destination: Destination,
    engine: Engine,
    settings: Settings,
    period: Period,
    force: bool,
    built: _BuiltReport,
) -> WeeklyOutcome:
    """Deliver the week (the segment's report for a segment's destination) to one destination
    once (claimed, sent, recorded on its own)."""
    if destination.kind == "slack":
        channel = settings.model_copy(update={"slack_channel": destination.address})
        return deliver_to_slack(
            engine, channel, period=period, force=force, built=built, segment=destination.segment
        )
    ledger = run_ledger(engine, settings)
    claim = ledger.claim(period, destination.key, force=force)
    if not claim.claimed:
        return WeeklyOutcome("skipped", period, claim.reason, claim.run)
    run = claim.run
    try:
        path, numbers = _report_for(
            run, engine, settings, period, fresh=force, built=built, segment=destination.segment
        )
        run = ledger.update(run.id, file_path=str(path), error=None)
        steps.info(f"sending to {destination.shown}")
        if destination.kind == "email":
            attachments = [path, *write_csv_tables(numbers, path)]
            send_report_email(settings, destination.address, numbers, attachments)
        else:
            post_report(settings, destination.address, numbers)
    except Exception as exc:  # recorded, so that the next run retries it at once
        _end_claim(ledger, run, "failed", exc)
        raise
    run = ledger.update(run.id, status="delivered", error=None, lease_until=None)
    return WeeklyOutcome("delivered", period, f"{path.name} delivered to {destination.shown}", run)


def deliver_to_slack(
    engine: Engine,
    settings: Settings,
    *,
    period: Period | None = None,
    force: bool = False,
    built: _BuiltReport | None = None,
    segment: str | None = None,
) -> WeeklyOutcome:
    """Build and deliver a week's report to SLACK_CHANNEL once, however often and by whomever
    it is called (`built`: the report another destination of the same run built; `segment`:
    that segment's report, recorded apart from the whole report's).

    A week already delivered to SLACK_CHANNEL is skipped (unless `force`); after a failure the
    report already written is uploaded again, after checking that Slack did not in fact post
    it. Raises the error that stopped the run, after recording it in `report_runs`; a week
    that is not over is refused before anything is recorded (WeekNotOver, WeekNotStarted).
    """
    period = period or default_week(settings)
    refuse_unfinished(settings, period)
    slack = _slack(settings)
    channel = _channel_key(slack, settings)
    ledger = run_ledger(engine, settings)
    claim = ledger.claim(
        period,
        Destination("slack", channel, segment).key,
        force=force,
        shown=shown_channel(settings.slack_channel),
        # Rows written before channels were keyed by ID hold SLACK_CHANNEL as it was spelled.
        formerly={Destination("slack", settings.slack_channel, segment).key} - {channel},
    )
    if not claim.claimed:
        return WeeklyOutcome("skipped", period, claim.reason, claim.run)
    run = claim.run
    try:
        path, numbers = _report_for(
            run, engine, settings, period, fresh=force, built=built, segment=segment
        )
        # A forced run sends anew: the file an earlier run posted does not count for it.
        forget = {"slack_file_id": None, "permalink": None} if force else {}
        # The run stays "running" (its lease holding the week) until Slack has the file.
        run = ledger.update(run.id, file_path=str(path), error=None, **forget)
        if slack is None:
            slack = SlackDelivery(settings)  # raises SlackNotConfigured, recorded below
        if run.slack_file_id and slack.file_shared_in(run.slack_file_id, slack.channel_id()):
            run = ledger.update(run.id, status="delivered", lease_until=None)
            offer_regeneration(slack, period, settings.report_language)
            return WeeklyOutcome("delivered", period, f"{path.name} had reached Slack already", run)
        steps.info("uploading to Slack")
        delivery = slack.upload_report(
            path,
            numbers,
            settings.report_language,
            on_file_id=lambda file_id: ledger.update(run.id, slack_file_id=file_id),
        )
    except SlackNotConfigured as exc:
        _end_claim(ledger, run, "generated", exc)
        raise SlackNotConfigured(f"{exc}: {run.file_path}") from None
    except Exception as exc:
        # Whatever stopped the run (a full disk, a locked database, a bug), the week must not
        # stay claimed until the lease ends: recorded as failed, the next run retries it.
        _end_claim(ledger, run, "failed", exc)
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


def slack_channel_key(settings: Settings) -> str:
    """What report_runs records deliveries to SLACK_CHANNEL under: see `_channel_key`.

    Raises SlackDeliveryError when Slack cannot tell (channel not found, Slack down).
    """
    return _channel_key(_slack(settings), settings)


def week_deliveries(
    engine: Engine, settings: Settings, period: Period
) -> list[tuple[Destination, Run | None]]:
    """Each destination of the week (DELIVERY_FILE's, or SLACK_CHANNEL) with its run in
    report_runs, None when none was recorded; a Slack channel is found by its ID.

    Raises ConfigError (DELIVERY_FILE), SlackDeliveryError (a channel Slack does not know),
    DatabaseUnreachable.
    """
    ledger = run_ledger(engine, settings)
    return [(d, ledger.find(period, _ledger_key(d, settings))) for d in destinations(settings)]


def _ledger_key(destination: Destination, settings: Settings) -> str:
    if destination.kind != "slack":
        return destination.key
    channel = settings.model_copy(update={"slack_channel": destination.address})
    return Destination("slack", slack_channel_key(channel), destination.segment).key


def _slack(settings: Settings) -> SlackDelivery | None:
    try:
        return SlackDelivery(settings)
    except SlackNotConfigured:
        return None  # the report is still written; run_weekly records it as "generated"


def _channel_key(slack: SlackDelivery | None, settings: Settings) -> str:
    """SLACK_CHANNEL's ID, asked of Slack once, so that `#ai-reports`, `AI-Reports` and
    `C0AIREPORTS` are one channel with one delivery a week; without a token, its name."""
    return slack.channel_id() if slack else unresolved_channel_key(settings.slack_channel)


def _end_claim(ledger: RunLedger, run: Run, status: Status, exc: Exception) -> None:
    """Record why a claimed run stopped and release its week; when the ledger cannot be
    written either (its database is down or locked), add a note to `exc` saying so."""
    try:
        ledger.update(run.id, status=status, error=one_line(exc), lease_until=None)
    except SQLAlchemyError:
        exc.add_note(
            f"the week stays claimed until {run.lease_until:%H:%M} UTC: "
            "the failure could not be recorded in report_runs"
        )


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


@dataclass
class _BuiltReport:
    """The report of one run_weekly call, built (or found) once for all its destinations;
    a build that failed is not tried again for the next destination."""

    report: tuple[Path, ReportNumbers] | None = None
    error: AiopsReportError | None = None


def _report_for(
    run: Run,
    engine: Engine,
    settings: Settings,
    period: Period,
    *,
    fresh: bool,
    built: _BuiltReport | None = None,
    segment: str | None = None,
) -> tuple[Path, ReportNumbers]:
    """The run's report (of `segment` when given): the one written by an earlier attempt, the
    one `built` for another destination of this run, or a new one."""
    built = built or _BuiltReport()
    if not fresh and run.file_path and Path(run.file_path).is_file():
        path = Path(run.file_path)
        numbers = numbers_beside(path)
        if numbers is not None:
            built.report = built.report or (path, numbers)
            return path, numbers
    if built.error is not None:
        raise built.error
    if built.report is None:
        try:
            report = generate_report(engine, settings, period, segment=segment)
        except AiopsReportError as exc:
            built.error = exc
            raise
        built.report = (report.path, report.numbers)
    return built.report


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


def slack_check(settings: Settings) -> list[Finding] | None:
    """doctor's findings on the Slack token and channel; None when no token is set."""
    try:
        return SlackDelivery(settings).check()
    except SlackNotConfigured:
        return None
