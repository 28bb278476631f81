"""Restating delivered weeks: rows that land after a week went out change its numbers, and
each run (run-weekly, the scheduler, watch) says so. The headline figures each delivery
carried (report_figures) are compared with today's for the last RESTATE_WEEKS weeks; one that
moved by more than RESTATE_THRESHOLD gets one correction, with the restated PDF, at each
destination that got the week, once per change however many processes run."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy.engine import Engine

from aiops_report.analysis.metrics import ReportNumbers
from aiops_report.analysis.restatement import Restatement, compare, headline
from aiops_report.building import (
    default_week,
    generate_report,
    headline_numbers,
    numbers_beside,
    run_ledger,
)
from aiops_report.data.config import Settings
from aiops_report.data.periods import Period
from aiops_report.delivery.config import DeliveryConfig
from aiops_report.delivery.loop import restate_once
from aiops_report.delivery.messages import correction_message
from aiops_report.delivery.protocol import Message, Sender
from aiops_report.delivery.routes import Destination, destinations
from aiops_report.delivery.runs import Figures, Run
from aiops_report.errors import AiopsReportError
from aiops_report.texts.formats import format_value

log = logging.getLogger(__name__)
RESTATE_WEEKS = 4  # how many delivered weeks, the last complete one included, are checked
Values = dict[str, float | None]


@dataclass(frozen=True)
class DeliveredWeek:
    """A delivered week at one destination: the figures it carried (or last restated, at
    `since`) and today's."""

    run: Run
    period: Period
    segment: str | None
    delivered: Values
    current: Values
    since: datetime | None
    moved: tuple[str, ...] = ()  # the figures that moved by more than RESTATE_THRESHOLD


@dataclass
class RestateOutcome:
    """What one check did: the corrections this process sent, and what could not be done."""

    posted: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def delivered_weeks(
    engine: Engine, settings: Settings, now: datetime | None = None
) -> list[DeliveredWeek]:
    """The deliveries of the last RESTATE_WEEKS weeks with their figures then and now, oldest
    week first (a run delivered before figures were kept: those of its JSON, when there).
    Raises DatabaseUnreachable, MissingTable."""
    last = default_week(settings, now)
    ledger = run_ledger(engine, settings)
    runs = ledger.delivered_between(last.start - timedelta(weeks=RESTATE_WEEKS - 1), last.end)
    kept = ledger.figures([run.id for run in runs])
    current: dict[tuple[Period, str | None], Values] = {}
    found = []
    for run in runs:
        figures = kept.get(run.id) or _figures_of_file(run)
        if figures is None:
            continue
        period = Period(run.period_start, run.period_end, settings.report_zone)
        week = (period, figures.segment)
        if week not in current:
            numbers = headline_numbers(engine, settings, period, figures.segment)
            current[week] = headline(numbers.current)
        change = compare(figures.values, current[week], settings.restate_limits)
        found.append(
            DeliveredWeek(
                run,
                period,
                figures.segment,
                figures.values,
                current[week],
                figures.updated_at,
                change.moved if change else (),
            )
        )
    return found


def _figures_of_file(run: Run) -> Figures | None:
    if not run.file_path:
        return None
    try:
        numbers = numbers_beside(Path(run.file_path))
    except AiopsReportError:
        return None
    return None if numbers is None else Figures(run.id, numbers.segment, headline(numbers.current))


class _Restated:
    """The restated report of each week (and segment), built once per check, on demand."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine, self.settings = engine, settings
        self.built: dict[tuple[Period, str | None], tuple[Path, ReportNumbers]] = {}

    def correction(self, week: DeliveredWeek, moved: Restatement) -> tuple[Message, Values]:
        key = (week.period, week.segment)
        if key not in self.built:
            report = generate_report(
                self.engine, self.settings, week.period, segment=week.segment, restated=True
            )
            self.built[key] = (report.path, report.numbers)
        path, numbers = self.built[key]
        after = headline(numbers.current)  # the restated report's, to the last row
        final = Restatement(moved.before, after, moved.moved)
        language = self.settings.report_language
        return correction_message(week.period, week.segment, final, numbers, path, language), after


def restate_delivered(
    engine: Engine, settings: Settings, now: datetime | None = None
) -> RestateOutcome:
    """Send a correction of each delivered week of the last RESTATE_WEEKS whose figures moved
    by more than RESTATE_THRESHOLD to the destination that got it, once per change. A week
    or a destination that fails is in `problems` (tried again by the next run), the others
    go on. Raises DatabaseUnreachable, MissingTable, ConfigError (DELIVERY_FILE)."""
    outcome = RestateOutcome()
    threshold = settings.restate_limits
    if threshold.off:
        return outcome
    weeks = delivered_weeks(engine, settings, now)
    moved = [(w, r) for w in weeks if (r := compare(w.delivered, w.current, threshold))]
    if not moved:
        return outcome
    senders = _senders(settings, outcome)
    ledger = run_ledger(engine, settings)
    restated = _Restated(engine, settings)
    for week, restatement in moved:
        target = senders.get(week.run.channel)
        if target is None:  # no longer a destination (or Slack could not say which)
            continue
        destination, sender = target
        try:
            if restate_once(
                ledger,
                week.run,
                sender,
                week.delivered,
                partial(restated.correction, week, restatement),
                segment=week.segment,
                since=week.since.isoformat() if week.since else "",
            ):
                outcome.posted.append(_posted_line(week, restatement, destination))
        except AiopsReportError as exc:
            outcome.problems.append(
                f"the correction of the week {week.period.start} to {destination.shown} "
                f"is not sent (the next run tries again): {exc}"
            )
    for line in outcome.problems:
        log.error(line)
    return outcome


def _senders(settings: Settings, outcome: RestateOutcome) -> dict[str, tuple[Destination, Sender]]:
    """Each destination's sender by its ledger key; one Slack cannot name is a problem."""
    config = DeliveryConfig.of(settings)
    found: dict[str, tuple[Destination, Sender]] = {}
    for destination in destinations(settings):
        sender = destination.sender(config)
        try:
            found[destination.ledger_key(sender)] = (destination, sender)
        except AiopsReportError as exc:
            outcome.problems.append(f"corrections to {destination.shown} are not sent: {exc}")
    return found


def _posted_line(week: DeliveredWeek, restatement: Restatement, destination: Destination) -> str:
    changes = ", ".join(
        f"{name} {format_value(name, restatement.before.get(name))} → "
        f"{format_value(name, restatement.after.get(name))}"
        for name in restatement.moved
    )
    return f"the week {week.period.start} restated to {destination.shown}: {changes}"
