"""Periods: half-open ranges of calendar days in the report's time zone.

A period may be cut short at an instant (`through`): a week still in progress is reported
week-to-date. Its days then end with the day that holds `through`, that last day cut at
`through`, and the period before it is cut at the same point of its own span, so that the two
compare the same elapsed time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiops_report.errors import DateOutOfRange, InvalidInput, WeekNotStarted

# The reports cover 1900 onwards: every database holds those dates, and a period, the one
# before it and the weeks of baseline before that stay within what Python's dates can hold.
EARLIEST = date(1900, 1, 1)
LATEST = date(9999, 12, 31) - timedelta(weeks=2)


@dataclass(frozen=True)
class Period:
    """The days `start` (included) to `end` (excluded), midnight to midnight in `zone`.

    With `through`, an instant after the start and before the end, the period is cut there:
    it holds what happened from `start` 00:00 until `through` (excluded).
    """

    start: date
    end: date
    zone: ZoneInfo
    through: datetime | None = None

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidInput(f"a period must end after it starts ({self.start} .. {self.end})")
        if self.through is not None:
            if self.through.tzinfo is None:
                raise InvalidInput(f"a period's cut must be an aware instant ({self.through})")
            # Kept in the period's zone: `previous` steps back by wall-clock days.
            object.__setattr__(self, "through", self.through.astimezone(self.zone))
            if not midnight(self.start, self.zone) < self.through < midnight(self.end, self.zone):
                raise InvalidInput(
                    f"a period's cut {self.through.isoformat()} must fall inside it "
                    f"({self.start} .. {self.end})"
                )

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
    def partial(self) -> bool:
        """Whether the period is cut short at `through` (a week still in progress)."""
        return self.through is not None

    @property
    def days(self) -> list[date]:
        """The calendar days of the period; when it is cut, up to the day holding `through`."""
        last = self.end
        if self.through is not None:
            last = self.through.date()
            if midnight(last, self.zone) < self.through:
                last += timedelta(days=1)
        return [self.start + timedelta(days=i) for i in range((last - self.start).days)]

    @property
    def cut_day(self) -> date | None:
        """The day cut at `through` (the last of `days`), if any: None when the period is
        whole or cut exactly at a midnight."""
        if self.through is None or midnight(self.through.date(), self.zone) == self.through:
            return None
        return self.through.date()

    @property
    def whole_days(self) -> list[date]:
        """The days of the period that it holds from midnight to midnight."""
        return [day for day in self.days if day != self.cut_day]

    def days_since(self, first: datetime | None) -> int:
        """How many of the period's days are on or after the day of `first` (the first row
        the database holds): the days it can have data on. 0 when `first` is None."""
        if first is None:
            return 0
        first_day = first.astimezone(self.zone).date()
        return sum(day >= first_day for day in self.days)

    @property
    def previous(self) -> Period:
        """The period of as many days right before this one, cut as far into its span."""
        length = self.end - self.start
        through = None if self.through is None else self.through - length
        return Period(self.start - length, self.start, self.zone, through)

    @property
    def start_at(self) -> datetime:
        return midnight(self.start, self.zone)

    @property
    def end_at(self) -> datetime:
        """The period's end: `through` when it is cut, else midnight of `end`."""
        return self.through if self.through is not None else midnight(self.end, self.zone)

    @property
    def before_cut(self) -> Period:
        """The whole days of the period as a period of its own (itself when it is not cut);
        InvalidInput when it is cut on its first day."""
        if self.through is None:
            return self
        return Period(self.start, self.start + timedelta(days=len(self.whole_days)), self.zone)

    @property
    def whole(self) -> Period:
        """The same period without its cut."""
        return Period(self.start, self.end, self.zone)

    def day_boundaries(self) -> list[datetime]:
        """The midnights from start to the end of the last day, both included (daylight
        saving respected); the last is `through` when the period is cut."""
        return [*(midnight(day, self.zone) for day in self.days), self.end_at]

    def day_ranges(self, days: list[date] | None = None) -> list[tuple[datetime, datetime]]:
        """[start, end) of each of `days` (default: the period's days), a cut day ending at
        `through`."""
        ranges = []
        for day in self.days if days is None else days:
            end = midnight(day + timedelta(days=1), self.zone)
            ranges.append((midnight(day, self.zone), self.end_at if day == self.cut_day else end))
        return ranges

    def as_of(self, now: datetime) -> Period:
        """The period as known at `now`: whole once it has ended, cut at `now` (to the whole
        second) while it runs.

        Raises WeekNotStarted when it starts after `now`.
        """
        now = now.replace(microsecond=0)
        whole = self.whole
        if now >= whole.end_at:
            return whole
        if now <= whole.start_at:
            raise WeekNotStarted(
                f"the week of {self.start} has not started yet "
                f"(it starts {format_instant(whole.start_at)})"
            )
        return Period(self.start, self.end, self.zone, now)


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """00:00 of `day` in `zone`, as an aware datetime."""
    return datetime.combine(day, time(), tzinfo=zone)


def format_instant(moment: datetime) -> str:
    """2026-12-07 00:00 KST: an instant as a one-line message shows it."""
    return f"{moment:%Y-%m-%d %H:%M %Z}".strip()


def parse_day(text: str, option: str) -> date:
    """The date `text` (YYYY-MM-DD) given as `option`.

    Raises InvalidInput when it is not a date, DateOutOfRange when it is before 1900 or too
    close to the year 9999 for its week to end (a day before or after it would overflow).
    """
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{option} {text!r} is not a date; use YYYY-MM-DD, e.g. 2026-11-16"
        ) from None
    if not EARLIEST <= day <= LATEST:
        raise DateOutOfRange(
            f"{option} {text} is out of range: use a date from {EARLIEST} to {LATEST}"
        )
    return day


def parse_week(text: str, zone: ZoneInfo) -> Period:
    """The week holding the date `text` (YYYY-MM-DD).

    Raises InvalidInput when it is not a date, DateOutOfRange when it is before 1900 or too
    close to the year 9999 for its week to end.
    """
    day = parse_day(text, "--week")
    return Period.week_of(day, zone)
