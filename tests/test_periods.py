"""Weeks and days in the report's time zone."""

import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aiops_report.errors import InvalidInput
from aiops_report.periods import Period, parse_week

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.mark.parametrize(
    ("now", "monday"),
    [
        # Monday 09:00 KST is still Sunday in UTC: the last complete week ended that Monday.
        (datetime(2026, 11, 23, 0, 0, tzinfo=ZoneInfo("UTC")), date(2026, 11, 16)),
        (datetime(2026, 11, 22, 14, 59, 59, tzinfo=ZoneInfo("UTC")), date(2026, 11, 9)),
        (datetime(2026, 11, 26, 12, 0, tzinfo=SEOUL), date(2026, 11, 16)),
    ],
)
def test_last_complete_week_is_seen_in_the_report_zone(now: datetime, monday: date) -> None:
    week = Period.last_complete_week(now, SEOUL)

    assert (week.start, week.end) == (monday, monday + timedelta(days=7))
    assert week.start_at.isoformat() == f"{monday}T00:00:00+09:00"


def test_previous_period_has_as_many_days_right_before() -> None:
    week = Period.week_of(date(2026, 11, 18), SEOUL)

    assert week.previous == Period(date(2026, 11, 9), date(2026, 11, 16), SEOUL)


def test_a_week_across_daylight_saving_has_a_25_hour_day() -> None:
    week = Period.week_of(date(2026, 11, 1), ZoneInfo("America/New_York"))
    # Aware datetimes of one zone subtract as wall clock times: compare them in UTC.
    boundaries = [b.astimezone(ZoneInfo("UTC")) for b in week.day_boundaries()]

    lengths = {b - a for a, b in itertools.pairwise(boundaries)}
    assert lengths == {timedelta(hours=24), timedelta(hours=25)}
    assert boundaries[-1] - boundaries[0] == timedelta(hours=169)


def test_week_that_is_not_a_date_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not a date"):
        parse_week("last-week", SEOUL)
