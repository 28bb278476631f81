"""The jobs every trigger runs: the one place each job is assembled.

The CLI, the scheduler, the HTTP service, the Slack handlers and the dashboard all call these
functions, so a run behaves the same whoever starts it. Building a report is `building`'s,
sending it `delivery/`'s (one loop for every kind of destination), restating a delivered week
`restate`'s: a job here puts them together.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from aiops_report.analysis.insights import (
    INSIGHT_RULES as INSIGHT_RULES,  # re-exported: the thresholds faces explain
)
from aiops_report.analysis.metrics import ReportNumbers
from aiops_report.analysis.restatement import headline
from aiops_report.building import (  # re-exported: the jobs' building blocks, for faces
    GeneratedReport as GeneratedReport,
)
from aiops_report.building import (
    default_week as default_week,
)
from aiops_report.building import (
    generate_report as generate_report,
)
from aiops_report.building import (
    numbers_beside as numbers_beside,
)
from aiops_report.building import (
    report_insights as report_insights,
)
from aiops_report.building import (
    report_numbers as report_numbers,
)
from aiops_report.building import (
    requested_week as requested_week,
)
from aiops_report.building import (
    run_ledger as run_ledger,
)
from aiops_report.building import (
    totals_store as totals_store,
)
from aiops_report.data.config import Settings
from aiops_report.data.periods import Period, format_instant
from aiops_report.delivery.config import DeliveryConfig
from aiops_report.delivery.loop import Built, deliver_once, end_claim
from aiops_report.delivery.messages import report_message
from aiops_report.delivery.routes import Destination, destinations
from aiops_report.delivery.runs import Run, RunLedger
from aiops_report.delivery.slack import (
    ACTION_ID as ACTION_ID,  # re-exported: the Slack button's action, for its handler
)
from aiops_report.delivery.slack import (
    shown_channel as shown_channel,  # re-exported: faces name channels through jobs
)
from aiops_report.errors import (
    AiopsReportError,
    DeliveryFailed,
    WeekNotOver,
    one_line,
)
from aiops_report.report.csv_tables import write_csv_tables
from aiops_report.restate import (
    DeliveredWeek as DeliveredWeek,  # re-exported: the Reports page shows them
)
from aiops_report.restate import (
    RestateOutcome,
    restate_delivered,
)
from aiops_report.restate import (
    delivered_weeks as delivered_weeks,
)
from aiops_report.sanity import refuse_known_wrong
from aiops_report.sanity import (
    report_warnings as report_warnings,  # re-exported: generate --json warns of them too
)

log = logging.getLogger(__name__)
Outcome = TypeVar("Outcome")


@dataclass(frozen=True)
class WeeklyOutcome:
    """What `run_weekly` did: delivered now, or skipped and why (and the corrections of
    earlier weeks it sent)."""

    status: Literal["delivered", "skipped"]
    period: Period
    message: str
    run: Run
    destinations: tuple[WeeklyOutcome, ...] = ()  # each destination's, with DELIVERY_FILE
    restated: tuple[str, ...] = ()


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
    (SLACK_CHANNEL alone without it, as `deliver_to_slack`), however often it is called;
    then restate each delivered week of the last four whose figures moved since
    (`restate.restate_delivered`).

    Each destination is claimed, delivered and recorded in report_runs on its own, keyed by
    the week and the destination: a failed one is retried by the next run without sending
    the others again, and never stops them. Raises DeliveryFailed naming each destination
    that failed (the others are delivered), ConfigError for a bad DELIVERY_FILE, WeekNotOver,
    KnownWrongReport (unless `force`: a report known to be wrong is neither sent nor recorded).
    """
    period = period or default_week(settings)
    refuse_unfinished(settings, period)
    if not force:
        refuse_known_wrong(engine, settings, period, datetime.now(settings.report_zone))
    if settings.delivery_file is None:
        outcome = deliver_to_slack(engine, settings, period=period, force=force)
    else:
        outcome = _deliver_everywhere(engine, settings, period, force)
    restated = restate_quietly(engine, settings)
    if not (restated.posted or restated.problems):
        return outcome
    lines = (*restated.posted, *restated.problems)
    message = "\n".join([outcome.message, *lines])
    return WeeklyOutcome(
        outcome.status, outcome.period, message, outcome.run, outcome.destinations, lines
    )


def restate_quietly(
    engine: Engine, settings: Settings, now: datetime | None = None
) -> RestateOutcome:
    """`restate_delivered`, its failure a problem of its outcome rather than an error: a
    delivery's job is not failed by the check of earlier weeks."""
    try:
        return restate_delivered(engine, settings, now)
    except (AiopsReportError, SQLAlchemyError) as exc:  # a locked SQLite file, a lost server
        outcome = RestateOutcome()
        why = one_line(exc)
        outcome.problems.append(f"the delivered weeks are not checked for late rows: {why}")
        log.error(outcome.problems[0])
        return outcome


def _deliver_everywhere(
    engine: Engine, settings: Settings, period: Period, force: bool
) -> WeeklyOutcome:
    every = destinations(settings)
    refuse_unfinished(settings, period)
    built: dict[str | None, _BuiltReport] = {}  # the whole report and each segment's
    outcomes: list[WeeklyOutcome] = []
    failures: dict[str, list[str]] = {}  # each error, and the destinations it stopped
    for destination in every:
        try:
            report = built.setdefault(destination.segment, _BuiltReport())
            outcomes.append(deliver_to(destination, engine, settings, period, force, report))
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


def deliver_to(
    destination: Destination,
    engine: Engine,
    settings: Settings,
    period: Period,
    force: bool = False,
    built: _BuiltReport | None = None,
) -> WeeklyOutcome:
    """Deliver the week (the segment's report for a segment's destination) to one destination
    once, through the delivery loop (claimed, built, sent, recorded on its own); `built`: the
    report another destination of the same run built.

    A week already delivered there is skipped (unless `force`); after a failure the report
    already written is sent again. Raises the error that stopped the run, after recording it
    in report_runs (a Slack channel that cannot be found: under the channel as written).
    """
    sender = destination.sender(DeliveryConfig.of(settings))
    built = built or _BuiltReport()

    def build(run: Run) -> Built:
        path, numbers = _report_for(
            run, engine, settings, period, fresh=force, built=built, segment=destination.segment
        )
        message = report_message(
            numbers,
            [path],
            settings.report_language,
            tables=lambda: write_csv_tables(numbers, path),
        )
        return message, path, headline(numbers.current)

    ledger = run_ledger(engine, settings)
    try:
        key = destination.ledger_key(sender)  # a Slack channel's ID: Slack is asked
        formerly = destination.former_keys(sender)
    except AiopsReportError as exc:
        _record_unkeyed_failure(ledger, period, destination, exc, force=force)
        raise
    sent = deliver_once(
        ledger,
        period,
        sender,
        build,
        key=key,
        formerly=formerly,
        segment=destination.segment,
        force=force,
    )
    return WeeklyOutcome(sent.status, period, sent.message, sent.run)


def _record_unkeyed_failure(
    ledger: RunLedger, period: Period, destination: Destination, exc: Exception, *, force: bool
) -> None:
    """A run stopped before its destination's key was known (Slack could not say which
    channel it is) is recorded failed under the destination as written, so that the
    dashboard's Reports page and the missed-run alert see it; the next run retries."""
    claim = ledger.claim(period, destination.key, force=force, shown=destination.shown)
    if claim.claimed:
        end_claim(ledger, claim.run, "failed", exc)


def deliver_to_slack(
    engine: Engine,
    settings: Settings,
    *,
    period: Period | None = None,
    force: bool = False,
    channel: str | None = None,
) -> WeeklyOutcome:
    """Build and deliver a week's report to SLACK_CHANNEL (or `channel`) once, however often
    and by whomever it is called. A week that is not over is refused before anything is
    recorded (WeekNotOver, WeekNotStarted); raises as `deliver_to`."""
    period = period or default_week(settings)
    refuse_unfinished(settings, period)
    destination = Destination("slack", (channel or settings.slack_channel).strip())
    return deliver_to(destination, engine, settings, period, force)


def week_deliveries(
    engine: Engine, settings: Settings, period: Period
) -> list[tuple[Destination, Run | None]]:
    """Each destination of the week (DELIVERY_FILE's, or SLACK_CHANNEL) with its run in
    report_runs, None when none was recorded; a Slack channel is found by its ID.

    Raises ConfigError (DELIVERY_FILE), SlackDeliveryError (a channel Slack does not know),
    DatabaseUnreachable.
    """
    ledger = run_ledger(engine, settings)
    config = DeliveryConfig.of(settings)
    return [
        (d, ledger.find(period, d.ledger_key(d.sender(config)))) for d in destinations(settings)
    ]


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
    built: _BuiltReport,
    segment: str | None = None,
) -> tuple[Path, ReportNumbers]:
    """The run's report (of `segment` when given): the one written by an earlier attempt, the
    one `built` for another destination of this run, or a new one."""
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
