"""Weeks and days in the report's time zone."""

import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aiops_report.data.periods import Period, parse_week
from aiops_report.errors import DateOutOfRange, InvalidInput, WeekNotStarted

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


# --- a week still in progress: cut at an instant -------------------------------------------

TUESDAY_AFTERNOON = datetime(2026, 12, 1, 16, 47, tzinfo=SEOUL)


def test_a_week_in_progress_is_cut_now_and_compared_with_the_same_span_before() -> None:
    week = Period.week_of(date(2026, 12, 1), SEOUL).as_of(TUESDAY_AFTERNOON)

    assert week.partial and week.through == TUESDAY_AFTERNOON
    assert (week.start, week.end) == (date(2026, 11, 30), date(2026, 12, 7))  # still the week
    assert week.days == [date(2026, 11, 30), date(2026, 12, 1)]
    assert week.whole_days == [date(2026, 11, 30)]
    assert week.cut_day == date(2026, 12, 1)
    assert week.end_at == TUESDAY_AFTERNOON
    assert week.day_ranges()[-1] == (
        datetime(2026, 12, 1, tzinfo=SEOUL),
        TUESDAY_AFTERNOON,
    )
    assert week.day_boundaries()[-1] == TUESDAY_AFTERNOON
    # The previous week, from its Monday 00:00 to its Tuesday 16:47.
    before = week.previous
    assert before == Period(
        date(2026, 11, 23), date(2026, 11, 30), SEOUL, datetime(2026, 11, 24, 16, 47, tzinfo=SEOUL)
    )
    assert before.days == [date(2026, 11, 23), date(2026, 11, 24)]
    assert before.cut_day == date(2026, 11, 24)
    assert before.before_cut == Period(date(2026, 11, 23), date(2026, 11, 24), SEOUL)
    assert week.whole == Period.week_of(date(2026, 12, 1), SEOUL)


def test_a_cut_at_midnight_leaves_whole_days() -> None:
    week = Period.week_of(date(2026, 12, 1), SEOUL).as_of(datetime(2026, 12, 2, tzinfo=SEOUL))

    assert week.days == week.whole_days == [date(2026, 11, 30), date(2026, 12, 1)]
    assert week.cut_day is None
    assert week.day_ranges()[-1][1] == datetime(2026, 12, 2, tzinfo=SEOUL)


def test_a_week_is_whole_once_over_and_refused_before_it_starts() -> None:
    week = Period.week_of(date(2026, 11, 18), SEOUL)

    assert week.as_of(TUESDAY_AFTERNOON) == week
    assert week.as_of(datetime(2026, 11, 23, tzinfo=SEOUL)) == week  # ended at this instant
    with pytest.raises(WeekNotStarted, match="has not started yet"):
        Period.week_of(date(2026, 12, 9), SEOUL).as_of(TUESDAY_AFTERNOON)
    # Cut to the second: JSON and file stamps stay readable.
    cut = Period.week_of(date(2026, 12, 1), SEOUL).as_of(TUESDAY_AFTERNOON.replace(microsecond=7))
    assert cut.through == TUESDAY_AFTERNOON


def test_the_cut_steps_back_by_wall_clock_days_across_daylight_saving() -> None:
    """New York left daylight saving on 1 Nov 2026: Tuesday 10:00 EST and the Tuesday before
    at 10:00 EDT are the same point of their weeks."""
    new_york = ZoneInfo("America/New_York")
    week = Period.week_of(date(2026, 11, 3), new_york).as_of(
        datetime(2026, 11, 3, 10, tzinfo=new_york)
    )

    assert week.previous.through == datetime(2026, 10, 27, 10, tzinfo=new_york)
    assert week.previous.through.utcoffset() == timedelta(hours=-4)
    assert len(week.previous.days) == len(week.days) == 2


def test_a_cut_outside_its_period_is_refused() -> None:
    with pytest.raises(InvalidInput, match="must fall inside"):
        Period(date(2026, 11, 30), date(2026, 12, 7), SEOUL, datetime(2026, 12, 7, tzinfo=SEOUL))
    with pytest.raises(InvalidInput, match="aware"):
        Period(date(2026, 11, 30), date(2026, 12, 7), SEOUL, datetime(2026, 12, 1, 12))


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01", "1899-12-31"])
def test_dates_the_databases_cannot_hold_are_out_of_range(text: str) -> None:
    with pytest.raises(DateOutOfRange, match=f"--week {text} is out of range"):
        parse_week(text, SEOUL)


def test_the_first_week_of_1900_has_a_previous_week() -> None:
    week = parse_week("1900-01-01", SEOUL)

    assert week.previous.start == date(1899, 12, 25)
