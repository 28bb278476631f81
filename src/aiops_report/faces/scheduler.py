"""The weekly scheduler: `run_weekly` on SCHEDULE in REPORT_TIMEZONE, with warnings around it.

Besides the run itself, CHECK_AHEAD before each run the doctor checks run and a failure is
posted to the channel (or logged, when Slack itself is the problem); when SCHEDULE_GRACE has
passed after a run and the week is still not delivered, one alert says why. A scheduler
started within SCHEDULE_GRACE after a run it missed catches that run up once. Several
schedulers may run at once: the `report_runs` ledger lets only one of them deliver a week.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from aiops_report.data.config import Settings
from aiops_report.doctor import database_findings, delivery_findings
from aiops_report.errors import (
    AiopsReportError,
    SlackDeliveryError,
    SlackNotConfigured,
)
from aiops_report.jobs import (
    WeeklyOutcome,
    default_week,
    in_background,
    run_ledger,
    run_weekly,
    week_deliveries,
)
from aiops_report.slack_jobs import post_notice, slack_check
from aiops_report.timetable import cron_trigger, next_run_time
from aiops_report.watch import WatchOutcome, watch

log = logging.getLogger(__name__)

CHECK_AHEAD = timedelta(minutes=15)


def missed_run(settings: Settings, now: datetime) -> datetime | None:
    """The last scheduled run at or before `now` if it was at most SCHEDULE_GRACE ago."""
    return _last_run(settings, now, settings.schedule_grace)


def next_check_time(settings: Settings, now: datetime) -> datetime:
    """When the checks before the next run happen: CHECK_AHEAD before it."""
    return _shift(next_run_time(settings, _shift(now, CHECK_AHEAD)), -CHECK_AHEAD)


def next_alert_time(settings: Settings, now: datetime) -> datetime:
    """When the grace period of a run ends: SCHEDULE_GRACE after it."""
    grace = settings.schedule_grace
    return _shift(next_run_time(settings, _shift(now, -grace)), grace)


def _last_run(settings: Settings, now: datetime, within: timedelta) -> datetime | None:
    trigger = cron_trigger(settings)
    last = None
    run_at = trigger.get_next_fire_time(None, _shift(now, -within))
    while run_at is not None and run_at <= now:
        last = run_at
        run_at = trigger.get_next_fire_time(run_at, run_at)
    return last


def _shift(moment: datetime, delta: timedelta) -> datetime:
    """`moment` plus elapsed time (not wall-clock time, which jumps at daylight saving)."""
    return (moment.astimezone(UTC) + delta).astimezone(moment.tzinfo)


def describe(moment: datetime) -> str:
    """'Monday 2026-11-30 09:00 KST (00:00 UTC)'."""
    return f"{moment:%A %Y-%m-%d %H:%M %Z} ({moment.astimezone(UTC):%H:%M} UTC)"


# --- what runs --------------------------------------------------------------------------------


def scheduled_run(engine: Engine, settings: Settings, run_at: datetime) -> WeeklyOutcome | None:
    """Deliver the week the run due at `run_at` reports on; log a failure instead of raising."""
    period = default_week(settings, run_at)
    outcome = in_background(
        f"weekly report of the week of {period.start}",
        lambda: run_weekly(engine, settings, period=period),
    )
    return outcome if isinstance(outcome, WeeklyOutcome) else None


def check_before_run(engine: Engine, settings: Settings, run_at: datetime) -> list[str]:
    """The doctor checks before the run due at `run_at`: warn of each failure and return them."""
    problems = [f.line("en") for f in database_findings(engine, settings) if f.level == "error"]
    try:
        if settings.delivery_file is None:
            found = [(f.level, f.line("en")) for f in slack_check(settings) or []]
        else:  # each destination of the routes (SLACK_CHANNEL may not be one of them)
            found = [(f.level, f.line("en")) for f in delivery_findings(settings)]
        slack_problems = [message for level, message in found if level == "error"]
    except SlackNotConfigured:
        slack_problems = []  # nothing to check: run_weekly writes the report and says so
    if not problems and not slack_problems:
        log.info("checks before the run of %s passed", describe(run_at))
        return []
    failures = "; ".join(problems + slack_problems)
    text = f"the weekly report due {describe(run_at)} will fail: {failures}"
    if slack_problems:  # Slack cannot carry the warning: the log has to
        log.error(text)
    else:
        notify(settings, text)
    return problems + slack_problems


def alert_if_undelivered(engine: Engine, settings: Settings, run_at: datetime) -> str | None:
    """If the week of the run due at `run_at` is not delivered to each destination (SLACK_CHANNEL,
    or DELIVERY_FILE's), send one alert naming those it missed and why; return its text.
    However many schedulers run, one of them sends it (report_once); when even that ledger
    cannot be written, each sends it: better twice than never."""
    period = default_week(settings, run_at)
    missed: dict[str, list[str]] = {}  # why, and the destinations it concerns
    try:
        for destination, run in week_deliveries(engine, settings, period):
            if run is not None and run.status == "delivered":
                continue
            why = (run.error if run else None) or (
                f"its run is {run.status}" if run else "no run of it was recorded"
            )
            missed.setdefault(why, []).append(destination.shown)
    except AiopsReportError as exc:
        missed = {str(exc): [settings.slack_channel]}
    if not missed:
        return None
    text = f"the weekly report of the week of {period.start} was not delivered to " + "; to ".join(
        f"{', '.join(names)} within SCHEDULE_GRACE of {describe(run_at)}: {why}"
        for why, names in missed.items()
    )
    key = f"undelivered:{run_at.astimezone(UTC):%Y-%m-%dT%H:%MZ}:{settings.slack_channel}"
    try:
        first = run_ledger(engine, settings).first_time(key)
    except (AiopsReportError, DBAPIError) as exc:
        log.error("cannot record the alert in report_once, sending it anyway: %s", exc)
        first = True
    if not first:
        return None  # another scheduler sent it
    notify(settings, text)
    return text


def notify(settings: Settings, text: str) -> None:
    """Log `text` as a warning and post it to SLACK_CHANNEL, logging why when that fails."""
    log.warning(text)
    try:
        post_notice(settings, f":warning: aiops-report: {text}")
    except SlackDeliveryError as exc:
        log.error("the warning could not be posted to Slack: %s", exc)


# --- the long-running process -----------------------------------------------------------------


class _Following(BaseTrigger):  # type: ignore[misc]  # APScheduler 3 ships no type hints
    """An APScheduler trigger firing at `next_time(now)`, e.g. CHECK_AHEAD before each run."""

    def __init__(self, next_time: Callable[[datetime], datetime]) -> None:
        self.next_time = next_time

    def get_next_fire_time(self, previous: datetime | None, now: datetime) -> datetime:
        if previous is not None:
            now = max(now, _shift(previous, timedelta(seconds=1)))
        return self.next_time(now)


def add_jobs(scheduler: BackgroundScheduler, engine: Engine, settings: Settings) -> None:
    """The weekly run, the checks before it and the alert after its grace period."""
    zone, grace = settings.report_zone, settings.schedule_grace

    def run_now() -> None:
        now = datetime.now(zone)
        scheduled_run(engine, settings, missed_run(settings, now) or now)
        log.info("next weekly run: %s", describe(next_run_time(settings, datetime.now(zone))))

    def check_now() -> None:
        check_before_run(engine, settings, next_run_time(settings, datetime.now(zone)))

    def alert_now() -> None:
        run_at = _last_run(settings, _shift(datetime.now(zone), -grace), grace)
        if run_at is not None:
            alert_if_undelivered(engine, settings, run_at)

    seconds = int(grace.total_seconds())
    jobs = [
        ("weekly", run_now, cron_trigger(settings)),
        ("check", check_now, _Following(lambda now: next_check_time(settings, now))),
        ("alert", alert_now, _Following(lambda now: next_alert_time(settings, now))),
    ]
    for job_id, func, trigger in jobs:
        scheduler.add_job(
            func, trigger, id=job_id, misfire_grace_time=seconds, coalesce=True, max_instances=1
        )
    add_watch_job(scheduler, engine, settings)


def scheduled_watch(engine: Engine, settings: Settings) -> WatchOutcome | None:
    """One watch of the alert rules; log what it posted, and a failure instead of raising."""
    try:
        outcome = watch(engine, settings)
    except AiopsReportError as exc:
        log.error("watching the alert rules failed: %s", exc)
        return None
    except Exception:  # a bug must not stop the scheduler; the traceback goes to the log
        log.exception("watching the alert rules failed unexpectedly")
        return None
    for alert, channel in outcome.posted:
        log.info("alert %r of %s posted to %s", alert.rule.name, alert.day, channel)
    for problem in outcome.problems:
        log.warning(problem)
    return outcome


def add_watch_job(scheduler: BackgroundScheduler, engine: Engine, settings: Settings) -> None:
    """The watch of the alert rules on WATCH_SCHEDULE (a late one is skipped: the next
    comes soon and judges the same days)."""
    scheduler.add_job(
        scheduled_watch,
        cron_trigger(settings, "watch_schedule"),
        args=(engine, settings),
        id="watch",
        coalesce=True,
        max_instances=1,
    )


def run_scheduler(engine: Engine, settings: Settings, stop: threading.Event | None = None) -> None:
    """Run the weekly job on SCHEDULE until SIGTERM or SIGINT (or until `stop` is set).

    Raises ConfigError when SCHEDULE is invalid.
    """
    if stop is None:
        stop = _stop_on_signals()
    zone = settings.report_zone
    now = datetime.now(zone)
    scheduler = BackgroundScheduler(timezone=zone)
    add_jobs(scheduler, engine, settings)
    scheduler.start()
    log.info(
        "scheduler started: SCHEDULE %r in %s; next weekly run: %s",
        settings.schedule,
        settings.report_timezone,
        describe(next_run_time(settings, now)),
    )
    missed = missed_run(settings, now)
    if missed is not None:
        log.info("catching up the run of %s (within SCHEDULE_GRACE)", describe(missed))
        scheduled_run(engine, settings, missed)
    stop.wait()
    log.info("stopping: a report in progress is finished first")
    scheduler.shutdown(wait=True)
    log.info("scheduler stopped")


def run_watcher(engine: Engine, settings: Settings, stop: threading.Event | None = None) -> None:
    """Watch the alert rules on WATCH_SCHEDULE until SIGTERM or SIGINT (or `stop`).

    Raises ConfigError when WATCH_SCHEDULE is invalid.
    """
    if stop is None:
        stop = _stop_on_signals()
    scheduler = BackgroundScheduler(timezone=settings.report_zone)
    add_watch_job(scheduler, engine, settings)
    scheduler.start()
    log.info(
        "watching the alert rules: WATCH_SCHEDULE %r in %s",
        settings.watch_schedule,
        settings.report_timezone,
    )
    stop.wait()
    scheduler.shutdown(wait=True)
    log.info("watch stopped")


def _stop_on_signals() -> threading.Event:
    """An event that SIGTERM and SIGINT set (so a container or Ctrl-C stops cleanly)."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop
