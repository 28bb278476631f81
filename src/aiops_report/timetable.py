"""When the jobs run: SCHEDULE and WATCH_SCHEDULE (cron's five fields) in REPORT_TIMEZONE.

The scheduler runs on it and the dashboard and the HTTP service show its next run.
"""

from __future__ import annotations

import re
from datetime import datetime

from apscheduler.triggers.cron import CronTrigger

from aiops_report.data.config import Settings
from aiops_report.errors import ConfigError

# Cron numbers the days 0 (or 7) = Sunday, 1 = Monday; APScheduler 3 numbers them 0 = Monday,
# so every day is handed to it by name.
CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
DAY_ITEM = re.compile(r"(?:\*|(?P<first>\w+)(?:-(?P<last>\w+))?)(?:/(?P<step>\d+))?")


# --- when -------------------------------------------------------------------------------------


def cron_trigger(settings: Settings, setting: str = "schedule") -> CronTrigger:
    """SCHEDULE, or the cron setting `setting` (WATCH_SCHEDULE: "watch_schedule"), as
    minute hour day month weekday with cron's meaning, in REPORT_TIMEZONE.

    Raises ConfigError naming the setting when it is not such a schedule.
    """
    expression = getattr(settings, setting)
    fields = expression.split()
    problem = f"invalid setting: {setting.upper()} {expression!r}"
    if len(fields) != 5:
        raise ConfigError(
            f"{problem} needs 5 fields: minute hour day month weekday, e.g. 0 9 * * 1"
        )
    minute, hour, day, month, weekday = fields
    if day != "*" and weekday != "*":
        # cron runs when either one matches; APScheduler would need both.
        raise ConfigError(f"{problem} sets both a day of the month and a weekday; use one of them")
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=None if weekday == "*" else weekday_names(weekday),
            timezone=settings.report_zone,
        )
    except ValueError as exc:
        raise ConfigError(f"{problem}: {exc}") from None


def weekday_names(field: str) -> str:
    """Cron's weekday field as day names: '1-5' → 'mon,tue,wed,thu,fri', '0' and '7' → 'sun'."""
    days: set[int] = set()
    for item in field.lower().split(","):
        match = DAY_ITEM.fullmatch(item)
        if match is None:
            raise ValueError(f"weekday {item!r} is not a day, a range or a step")
        first = _day(match["first"]) if match["first"] else 0
        last = _day(match["last"]) if match["last"] else (first if match["first"] else 6)
        if match["step"] and not match["last"] and match["first"]:
            last = 7  # cron: 'N/step' runs from N to the end of the week
        if match["last"] and last == 0:
            last = 7  # 'fri-sun': Sunday as the week's end
        step = int(match["step"] or 1)
        if last < first or step == 0:
            raise ValueError(f"weekday {item!r} is not a valid range")
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(CRON_DAYS[day] for day in sorted(days, key=lambda day: (day + 6) % 7))


def _day(token: str) -> int:
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token in CRON_DAYS:
        return CRON_DAYS.index(token)
    raise ValueError(f"weekday {token!r} is not 0-7 or sun..sat")


def next_run_time(settings: Settings, now: datetime) -> datetime:
    """The first scheduled run at or after `now` (aware), in REPORT_TIMEZONE."""
    run_at: datetime | None = cron_trigger(settings).get_next_fire_time(None, now)
    if run_at is None:
        raise ConfigError(f"invalid setting: SCHEDULE {settings.schedule!r} never runs")
    return run_at
