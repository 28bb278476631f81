"""Periods: half-open ranges of calendar days in the report's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiops_report.errors import InvalidInput


@dataclass(frozen=True)
class Period:
    """The days `start` (included) to `end` (excluded), midnight to midnight in `zone`."""

    start: date
    end: date
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidInput(f"a period must end after it starts ({self.start} .. {self.end})")

    @classmethod
    def week_of(cls, day: date, zone: ZoneInfo) -> Period:
        """The ISO week (Monday to Monday) that holds `day`."""
        monday = day - timedelta(days=day.weekday())
        return cls(monday, monday + timedelta(days=7), zone)

    @classmethod
    def last_complete_week(cls, now: datetime, zone: ZoneInfo) -> Period:
        """The last ISO week that has ended at `now`, as seen in `zone`."""
        return cls.week_of(now.astimezone(zone).date() - timedelta(days=7), zone)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days)]

    @property
    def previous(self) -> Period:
        """The period of as many days right before this one."""
        length = self.end - self.start
        return Period(self.start - length, self.start, self.zone)

    @property
    def start_at(self) -> datetime:
        return midnight(self.start, self.zone)

    @property
    def end_at(self) -> datetime:
        return midnight(self.end, self.zone)

    def day_boundaries(self) -> list[datetime]:
        """The midnights from start to end, both included (daylight saving respected)."""
        return [midnight(day, self.zone) for day in [*self.days, self.end]]


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """00:00 of `day` in `zone`, as an aware datetime."""
    return datetime.combine(day, time(), tzinfo=zone)


def parse_day(text: str, option: str) -> date:
    """The date `text` (YYYY-MM-DD) given as `option`; InvalidInput when it is not a date."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{option} {text!r} is not a date; use YYYY-MM-DD, e.g. 2026-11-16"
        ) from None


def parse_week(text: str, zone: ZoneInfo) -> Period:
    """The week holding the date `text` (YYYY-MM-DD); InvalidInput when it is not a date."""
    return Period.week_of(parse_day(text, "--week"), zone)
