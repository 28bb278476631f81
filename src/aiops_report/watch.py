"""The alert watch: judge the alert rules on the last complete day and on today so far, and
post each alert that fires once to each alert channel, however many processes watch."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.engine import Engine

from aiops_report.analysis.alert_rules import load_rules
from aiops_report.analysis.alerts import Alert, day_as_of, evaluate
from aiops_report.analysis.insight_reads import BASELINE_WEEKS
from aiops_report.data.config import Settings
from aiops_report.data.daily import keep_daily_totals
from aiops_report.data.periods import Period
from aiops_report.data.tables import reflect_tables
from aiops_report.delivery.alerting import post_alert
from aiops_report.delivery.routes import destinations
from aiops_report.errors import AiopsReportError, InvalidInput, SlackNotConfigured, WeekNotStarted
from aiops_report.jobs import run_ledger, totals_store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WatchOutcome:
    """What one watch did: the days judged, the alerts that fire, those this process posted
    (each alert goes once per destination, whoever posts it), and what could not be posted."""

    days: list[Period]
    alerts: list[Alert]
    posted: list[tuple[Alert, str]]
    problems: list[str]


def watch_days(settings: Settings, day: date | None, now: datetime) -> list[Period]:
    """The days a watch judges: `day` (cut at `now` when it is today), or by default the last
    complete day and today so far. Raises InvalidInput for a day after today."""
    zone = settings.report_zone
    today = now.astimezone(zone).date()
    if day is not None and day > today:
        raise InvalidInput(f"--day {day} has not started yet (today is {today} in {zone.key})")
    days = [today - timedelta(days=1), today] if day is None else [day]
    judged = []
    for each in days:
        with contextlib.suppress(WeekNotStarted):  # today, at midnight: nothing of it yet
            judged.append(day_as_of(each, zone, now))
    return judged


def alert_destinations(settings: Settings) -> list[str]:
    """The Slack channels alerts go to: those of DELIVERY_FILE's routes marked `alerts = true`,
    or SLACK_CHANNEL without the file."""
    every = destinations(settings, alerts=True)
    return list(dict.fromkeys(d.address for d in every if d.kind == "slack"))


def watch(
    engine: Engine, settings: Settings, *, day: date | None = None, now: datetime | None = None
) -> WatchOutcome:
    """Judge the alert rules (ALERTS_FILE, or the built-in ones) on the last complete day and
    on today so far (or on `day`), and post each alert that fires once to each alert channel.

    Raises ConfigError (ALERTS_FILE), InvalidInput, MissingTable, DatabaseUnreachable; a post
    that fails is in `problems`, and is tried again by the next watch.
    """
    now = now or datetime.now(settings.report_zone)
    rules = load_rules(settings.alerts_file)
    days = watch_days(settings, day, now)
    tables = reflect_tables(engine, settings)
    store = totals_store(engine, settings)
    if store and days:
        whole_end = max(p.end if not p.partial else p.start for p in days)
        keep_span = Period(days[0].start - timedelta(weeks=BASELINE_WEEKS), whole_end, days[0].zone)
        keep_daily_totals(engine, tables, keep_span, store)
    alerts = [alert for p in days for alert in evaluate(engine, tables, rules, p, store=store)]
    outcome = WatchOutcome(days, alerts, [], [])
    if not alerts:
        return outcome
    ledger = run_ledger(engine, settings)
    for alert in alerts:
        for channel in alert_destinations(settings):
            try:
                if post_alert(settings, ledger, alert, channel):
                    outcome.posted.append((alert, channel))
            except SlackNotConfigured:
                outcome.problems.append("SLACK_BOT_TOKEN is not set: the alerts are not posted")
                return outcome
            except AiopsReportError as exc:
                problem = f"alert {alert.rule.name!r} of {alert.day} not posted to {channel}: {exc}"
                log.error(problem)
                outcome.problems.append(problem)
    return outcome
