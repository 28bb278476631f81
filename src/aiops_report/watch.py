"""The alert watch: judge the alert rules on the last complete day and on today so far (on a
segment's rows for a route of that segment), and send each alert that fires once to each
alert destination, however many processes watch."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.engine import Engine

from aiops_report.analysis.alert_rules import AlertRule, load_rules
from aiops_report.analysis.alerts import Alert, day_as_of, evaluate
from aiops_report.analysis.insight_reads import BASELINE_WEEKS
from aiops_report.data.config import Settings
from aiops_report.data.daily import keep_daily_totals
from aiops_report.data.periods import Period
from aiops_report.data.rollups import DailyTotalsStore
from aiops_report.data.tables import ChatbotTables, reflect_tables
from aiops_report.delivery.alerting import post_alert
from aiops_report.delivery.kinds import kind_of
from aiops_report.delivery.routes import Destination, destinations
from aiops_report.errors import (
    AiopsReportError,
    ConfigError,
    DeliveryTimeout,
    InvalidInput,
    SlackNotConfigured,
    WeekNotStarted,
)
from aiops_report.jobs import restate_quietly, run_ledger, totals_store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WatchOutcome:
    """What one watch did: the days judged, the alerts that fire, those this process sent and
    where (each alert goes once per destination, whoever sends it), the corrections of
    delivered weeks it sent (restate.py), and what could not be judged or sent."""

    days: list[Period]
    alerts: list[Alert]
    posted: list[tuple[Alert, str]]
    problems: list[str]
    restated: list[str] = field(default_factory=list)

    def tell(self, problem: str) -> None:
        """Log a problem and keep it, once."""
        if problem not in self.problems:
            log.error(problem)
            self.problems.append(problem)


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


def alert_destinations(settings: Settings) -> list[Destination]:
    """Where alerts go: every destination (Slack channel, email address, webhook) of
    DELIVERY_FILE's routes marked `alerts = true`, or SLACK_CHANNEL without the file.
    Raises ConfigError for a bad DELIVERY_FILE."""
    return destinations(settings, alerts=True)


def watch(
    engine: Engine, settings: Settings, *, day: date | None = None, now: datetime | None = None
) -> WatchOutcome:
    """Judge the alert rules (ALERTS_FILE, or the built-in ones) on the last complete day and
    on today so far (or on `day`), and send each alert that fires once to each alert
    destination; a route's segment gets the alerts of its segment's rows. Then restate the
    delivered weeks whose figures moved (restate.py), as every run does.

    Raises ConfigError (ALERTS_FILE, DELIVERY_FILE), InvalidInput, MissingTable,
    DatabaseUnreachable; a segment that cannot be read and a send that fails are in
    `problems` (the others go on), and the send is tried again by the next watch.
    """
    now = now or datetime.now(settings.report_zone)
    rules = load_rules(settings.alerts_file)
    days = watch_days(settings, day, now)
    every = alert_destinations(settings)
    tables = reflect_tables(engine, settings)
    store = totals_store(engine, settings)
    outcome = WatchOutcome(days, [], [], [])
    restated = restate_quietly(engine, settings, now)
    outcome.restated.extend(restated.posted)
    for problem in restated.problems:
        outcome.tell(problem)
    found: dict[str | None, list[Alert]] = {}  # the alerts of everything and of each segment
    for segment in dict.fromkeys(d.segment for d in every) or [None]:
        try:
            found[segment] = _judge(engine, tables.for_segment(segment), store, rules, days)
        except (ConfigError, InvalidInput) as exc:  # the segment's, not the others'
            outcome.tell(f"the alerts of segment {segment!r} are not judged: {exc}")
            found[segment] = []
        outcome.alerts.extend(found[segment])
    if not outcome.alerts:
        return outcome
    ledger = run_ledger(engine, settings)
    # A destination that did not answer in time is not waited for again in this watch (its
    # other alerts, of every segment, are sent by the next one): each wait is a full timeout.
    silent: set[tuple[str, str]] = set()
    for destination in every:
        same = (destination.kind, kind_of(destination.kind).same(destination.address))
        for alert in found[destination.segment]:
            if same in silent:
                break
            try:
                if post_alert(settings, ledger, alert, destination):
                    outcome.posted.append((alert, destination.shown))
            except SlackNotConfigured:  # the same for every channel: said once
                outcome.tell("SLACK_BOT_TOKEN is not set: the alerts are not posted to Slack")
                break
            except ConfigError as exc:  # the same for each alert of this destination
                outcome.tell(f"{exc}: the alerts are not sent to {destination.shown}")
                break
            except DeliveryTimeout as exc:
                silent.add(same)
                outcome.tell(
                    f"alert {alert.rule.name!r} of {alert.day} not sent to "
                    f"{destination.shown}: {exc}; its other alerts wait for the next watch"
                )
            except AiopsReportError as exc:
                outcome.tell(
                    f"alert {alert.rule.name!r} of {alert.day} not sent to "
                    f"{destination.shown}: {exc}"
                )
    return outcome


def _judge(
    engine: Engine,
    tables: ChatbotTables,
    store: DailyTotalsStore | None,
    rules: tuple[AlertRule, ...],
    days: list[Period],
) -> list[Alert]:
    """The alerts of `rules` on `days` in the rows of `tables` (of its segment, if it has one),
    the settled days' totals kept first. Raises DatabaseUnreachable."""
    if store and days:
        whole_end = max(p.end if not p.partial else p.start for p in days)
        keep_span = Period(days[0].start - timedelta(weeks=BASELINE_WEEKS), whole_end, days[0].zone)
        keep_daily_totals(engine, tables, keep_span, store)
    return [alert for p in days for alert in evaluate(engine, tables, rules, p, store=store)]
