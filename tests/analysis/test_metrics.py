"""The metrics engine against docs/metrics.md's definitions, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from aiops_report.analysis.formulas import change_between, percentile_cont
from aiops_report.analysis.metrics import METRIC_NAMES, ReportNumbers, compute, unique_users
from aiops_report.data.config import Settings, load_settings
from aiops_report.data.db import make_engine
from aiops_report.data.demo import fill_demo_data
from aiops_report.data.periods import Period
from aiops_report.data.tables import reflect_tables
from aiops_report.jobs import report_numbers, requested_week
from chatbot_tables import STYLES, Rows, create_tables, insert, reference
from conftest import SERVER_URLS, server_url, sqlite_url

SEOUL = ZoneInfo("Asia/Seoul")
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)


def at(day: str, clock: str = "00:00:00", zone: ZoneInfo = SEOUL) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=zone)


def fresh_tables(engine: Engine, settings: Settings, *, style: str, minimal: bool) -> None:
    metadata = sa.MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)
    create_tables(engine, settings, style=style, minimal=minimal)


def numbers_for(engine: Engine, settings: Settings, period: Period = WEEK) -> Any:
    return compute(engine, reflect_tables(engine, settings), period)


# --- concrete cases ---------------------------------------------------------------------------


def test_empty_week_gives_zeros_and_nulls(engine: Engine, settings: Settings) -> None:
    create_tables(engine, settings, style="naive", minimal=False)

    numbers = numbers_for(engine, settings)

    assert numbers.is_empty
    current = numbers.current
    assert (current.conversations, current.feedback_total, current.likes, current.evaluations) == (
        0,
        0,
        0,
        0,
    )
    assert current.unique_users == 0
    assert current.total_tokens == 0
    assert current.satisfaction_rate is None
    assert current.avg_score is None
    assert current.latency_p50_ms is None
    assert numbers.change["conversations"].relative is None
    assert [d.conversations for d in numbers.daily] == [0] * 7
    assert numbers.lowest_scored == [] and numbers.disliked == []


def test_odd_feedback_values_and_null_scores(engine: Engine, settings: Settings) -> None:
    create_tables(engine, settings, style="naive", minimal=False)
    day = at("2026-11-17", "10:00:00")
    values = [" Like ", "DISLIKE", "meh", "", None, "like", "Dislike"]
    rows = Rows(
        feedback=[
            {"id": i, "feedback": v, "created_at": day + timedelta(minutes=i)}
            for i, v in enumerate(values)
        ],
        evaluations=[
            {"id": i, "score": s, "created_at": day} for i, s in enumerate([None, 4.0, 7.0, None])
        ],
    )
    insert(engine, settings, rows, style="naive")

    current = numbers_for(engine, settings).current

    assert current.feedback_total == 7
    assert (current.likes, current.dislikes) == (2, 2)
    assert current.satisfaction_rate == 0.5
    assert current.evaluations == 2
    assert current.avg_score == 5.5


def test_boundaries_are_half_open_in_the_report_zone(engine: Engine, settings: Settings) -> None:
    create_tables(engine, settings, style="naive", minimal=False)
    start, end = WEEK.start_at, WEEK.end_at
    second = timedelta(seconds=1)
    times = [start - second, start, start + second, end - second, end, end + second]
    insert(
        engine,
        settings,
        Rows(conversations=[{"id": i, "created_at": t} for i, t in enumerate(times)]),
        style="naive",
    )

    numbers = numbers_for(engine, settings)

    assert numbers.current.conversations == 3  # start, start + 1 s, end - 1 s
    assert numbers.previous.conversations == 1
    assert numbers.daily[0].conversations == 2
    assert numbers.daily[-1].conversations == 1


def test_weekly_numbers_are_the_weeks_own(engine: Engine, settings: Settings) -> None:
    create_tables(engine, settings, style="naive", minimal=False)
    # Wednesday to the next Tuesday: the end of one week and the start of the next.
    period = Period(date(2026, 11, 18), date(2026, 11, 26), SEOUL)
    scores = {"2026-11-18": [1.0, 2.0, 2.0], "2026-11-20": [7.0], "2026-11-24": [1.0, 1.0, 2.0]}
    evaluations = [
        {"id": i, "score": score, "created_at": at(day, f"1{i % 10}:00:00")}
        for i, (day, score) in enumerate((d, s) for d, each in scores.items() for s in each)
    ]
    conversations = [{"id": i, "created_at": at("2026-11-19")} for i in range(4)]
    insert(engine, settings, Rows(conversations, [], evaluations), style="naive")

    numbers = numbers_for(engine, settings, period)

    first, second = numbers.weekly
    assert (first.date, second.date) == (date(2026, 11, 16), date(2026, 11, 23))
    assert (first.conversations, first.evaluations, second.evaluations) == (4, 4, 3)
    assert first.avg_score == round(12 / 4, 6)  # its own mean, not one of the days' means
    assert second.avg_score == round(4 / 3, 6)


def test_worst_conversations_carry_their_texts(engine: Engine, settings: Settings) -> None:
    create_tables(engine, settings, style="naive", minimal=False)
    day = at("2026-11-18", "09:30:00")
    insert(
        engine,
        settings,
        Rows(
            conversations=[
                {
                    "id": 1,
                    "user_message": "환불 되나요?",
                    "ai_response": "<b>안 됩니다</b> 😅",
                    "model": "m-a",
                    "created_at": day,
                },
                {
                    "id": 2,
                    "user_message": "배송은요?",
                    "ai_response": "내일 도착",
                    "model": "m-b",
                    "created_at": day,
                },
            ],
            feedback=[
                {
                    "id": 1,
                    "conversation_id": 1,
                    "feedback": "DISLIKE",
                    "comment": "틀렸어요",
                    "created_at": day + timedelta(minutes=1),
                },
            ],
            evaluations=[
                {
                    "id": 1,
                    "conversation_id": 1,
                    "score": 1.5,
                    "reason": "정책과 다름",
                    "created_at": day,
                },
                {"id": 2, "conversation_id": 2, "score": 9.0, "created_at": day},
            ],
        ),
        style="naive",
    )

    numbers = numbers_for(engine, settings)

    worst = numbers.lowest_scored[0]
    assert (worst.conversation_id, worst.score, worst.model) == (1, 1.5, "m-a")
    assert worst.user_message == "환불 되나요?"
    assert worst.ai_response == "<b>안 됩니다</b> 😅"
    assert (worst.feedback, worst.comment, worst.reason) == ("dislike", "틀렸어요", "정책과 다름")
    assert [e.score for e in numbers.lowest_scored] == [1.5, 9.0]
    disliked = numbers.disliked[0]
    assert (disliked.conversation_id, disliked.score, disliked.comment) == (1, 1.5, "틀렸어요")
    assert worst.created_at == day


def test_minimal_schema_leaves_optional_metrics_out(engine: Engine, settings: Settings) -> None:
    create_tables(engine, settings, style="naive", minimal=True)
    day = at("2026-11-19", "12:00:00")
    insert(
        engine,
        settings,
        Rows(
            conversations=[{"created_at": day}],
            feedback=[{"feedback": "dislike", "created_at": day}],
            evaluations=[{"score": 3, "created_at": day}],
        ),
        style="naive",
    )

    numbers = numbers_for(engine, settings)

    assert numbers.features == frozenset()
    assert numbers.current.unique_users is None
    assert numbers.current.latency_p95_ms is None
    assert numbers.current.total_tokens is None
    assert numbers.current.conversations == 1
    assert numbers.lowest_scored[0].score == 3
    assert numbers.lowest_scored[0].user_message is None
    assert numbers.disliked[0].feedback == "dislike"


def test_daylight_saving_days_are_calendar_days(engine: Engine, settings: Settings) -> None:
    """New York's 1 Nov 2026 lasts 25 hours: its 00:30 and 23:30 are the same day."""
    new_york = ZoneInfo("America/New_York")
    create_tables(engine, settings, style="naive", minimal=False)
    times = [at("2026-11-01", "00:30:00", new_york), at("2026-11-01", "23:30:00", new_york)]
    insert(
        engine,
        settings,
        Rows(conversations=[{"id": i, "created_at": t} for i, t in enumerate(times)]),
        style="naive",
    )
    week = Period.week_of(date(2026, 11, 1), new_york)  # Monday 26 Oct to Monday 2 Nov

    numbers = numbers_for(engine, settings, week)

    assert numbers.daily[-1].date == date(2026, 11, 1)
    assert numbers.daily[-1].conversations == 2


# --- every metric against its definition, on random rows ----------------------------------

ZONES = ["Asia/Seoul", "America/New_York", "Europe/Berlin", "UTC"]
# Weeks holding a daylight-saving change in New York or Berlin, and an ordinary one.
WEEKS = [
    date(2026, 3, 8),
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2026, 11, 1),
    date(2026, 11, 18),
]
FEEDBACK = ["like", " Like ", "LIKE", "dislike", "DISLIKE ", "Dislike", "meh", "", None]
USERS = ["u1", "U1", "u1 ", "u2", "유저3", None]


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    period = Period.week_of(draw(st.sampled_from(WEEKS)), zone)
    boundaries = Period(period.previous.start, period.end, zone).day_boundaries()
    # A week to date: cut at a midnight, or inside a day (seconds after a midnight).
    cut = draw(
        st.one_of(
            st.none(),
            st.builds(
                lambda day, seconds: boundaries[7 + day] + timedelta(seconds=seconds),
                st.integers(0, 6),
                st.sampled_from([0, 1, 3600, 59_399, 86_399]),
            ),
        )
    )
    if cut is not None and cut > period.start_at:
        period = Period(period.start, period.end, zone, cut)
        cuts = [period.through, period.previous.through]
        boundaries += [c + timedelta(seconds=s) for c in cuts if c for s in (-1, 0, 1)]
    near_boundary = st.builds(
        lambda b, s: b + timedelta(seconds=s),
        st.sampled_from(boundaries),
        st.sampled_from([-1, 0, 1]),
    )
    anywhere = st.builds(
        lambda s: boundaries[0] + timedelta(seconds=s),
        st.integers(-86_400, 15 * 86_400),
    )
    instant = st.one_of(near_boundary, anywhere)
    maybe_int = st.one_of(st.none(), st.integers(0, 3000), st.sampled_from([0, 100, 101]))
    conversations = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "created_at": instant,
                    "user_id": st.sampled_from(USERS),
                    "latency_ms": maybe_int,
                    "prompt_tokens": maybe_int,
                    "completion_tokens": maybe_int,
                }
            ),
            max_size=40,
        )
    )
    feedback = draw(
        st.lists(
            st.fixed_dictionaries({"created_at": instant, "feedback": st.sampled_from(FEEDBACK)}),
            max_size=30,
        )
    )
    evaluations = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "created_at": instant,
                    "score": st.one_of(
                        st.none(), st.integers(0, 10).map(float), st.sampled_from([0.5, 7.1, 9.99])
                    ),
                }
            ),
            max_size=30,
        )
    )
    for table_rows in (conversations, feedback, evaluations):
        for i, row in enumerate(table_rows):
            row["id"] = i
    return {
        "period": period,
        "db_timezone": draw(st.sampled_from(["UTC", "Asia/Seoul"])),
        "minimal": draw(st.booleans()),
        "rows": Rows(conversations, feedback, evaluations),
    }


def storage_styles() -> list[tuple[str, str]]:
    kinds = {"sqlite": "sqlite", "postgresql": "postgresql", "mariadb": "mysql"}
    return [(kind, style) for kind, dialect in kinds.items() for style in STYLES[dialect]]


@pytest.mark.parametrize(("kind", "style"), storage_styles())
@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(scenario=scenarios())
def test_every_metric_matches_its_definition(
    kind: str, style: str, scenario: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = (
        sqlite_url(tmp_path_factory.mktemp("prop") / "p.db")
        if kind == "sqlite"
        else server_url(kind)
    )
    settings = load_settings(database_url=url, db_timezone=scenario["db_timezone"])
    engine = make_engine(settings)
    try:
        fresh_tables(engine, settings, style=style, minimal=scenario["minimal"])
        insert(engine, settings, scenario["rows"], style=style)
        period: Period = scenario["period"]

        numbers = compute(engine, reflect_tables(engine, settings), period)
    finally:
        engine.dispose()

    expected = reference(
        scenario["rows"],
        period,
        style=style,
        db_zone=settings.db_zone,
        minimal=scenario["minimal"],
    )
    for which in ("current", "previous"):
        got = getattr(numbers, which)
        for name in METRIC_NAMES:
            want = expected[which][name]
            if name == "avg_score" and want is not None:
                assert getattr(got, name) == pytest.approx(want, abs=1e-6), (which, name)
            else:
                assert getattr(got, name) == want, (which, name)
    for day in numbers.daily:
        want_day = expected["daily"][day.date]
        assert day.conversations == want_day["conversations"]
        assert (day.likes, day.dislikes) == (want_day["likes"], want_day["dislikes"])
        assert day.evaluations == want_day["evaluations"]
    assert sum(b.current for b in numbers.score_distribution) == numbers.current.evaluations
    assert sum(b.previous for b in numbers.score_distribution) == numbers.previous.evaluations


# --- percentiles as PostgreSQL computes them -------------------------------------------------


@hypothesis_settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.integers(0, 5000), min_size=1, max_size=60),
    fraction=st.sampled_from([0.0, 0.5, 0.95, 0.99, 1.0]),
)
def test_percentile_cont_equals_postgresql(values: list[int], fraction: float) -> None:
    url = server_url("postgresql")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            expected = conn.execute(
                sa.text(
                    "SELECT percentile_cont(CAST(:f AS float8)) WITHIN GROUP (ORDER BY v) "
                    "FROM unnest(CAST(:vs AS int[])) AS v"
                ),
                {"f": fraction, "vs": values},
            ).scalar_one()
    finally:
        engine.dispose()
    counts: dict[int, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1

    assert percentile_cont(counts.items(), fraction) == expected


# --- the same week gives the same JSON everywhere ------------------------------------------------


def test_same_json_on_every_database(tmp_path_factory: pytest.TempPathFactory) -> None:
    """SQLite in a file and in memory (whose one connection reads the three tables, not a
    connection each), PostgreSQL and MariaDB."""
    urls = [sqlite_url(tmp_path_factory.mktemp("same") / "demo.db"), "sqlite://"]
    urls += [server_url(kind) for kind in SERVER_URLS]
    now = datetime(2026, 11, 26, 10, tzinfo=SEOUL)
    documents = []
    for url in urls:
        settings = load_settings(database_url=url)
        engine = make_engine(settings)
        try:
            fill_demo_data(engine, settings, weeks=2, per_day=60, now=now)
            week = Period.last_complete_week(now, SEOUL)
            documents.append(compute(engine, reflect_tables(engine, settings), week).to_dict())
        finally:
            engine.dispose()

    assert documents[0]["current"]["conversations"] > 0
    assert documents[0]["worst_conversations"]["lowest_scored"]
    for document in documents[1:]:
        assert document == documents[0]


@pytest.mark.parametrize("cut", [None, at("2026-11-18", "13:30:00")], ids=["week", "to date"])
def test_numbers_survive_their_json(
    engine: Engine, settings: Settings, cut: datetime | None
) -> None:
    """A past report can be resent identically from the JSON stored beside its PDF."""
    fill_demo_data(engine, settings, weeks=2, per_day=30, now=datetime(2026, 11, 26, tzinfo=SEOUL))
    numbers = numbers_for(engine, settings, WEEK.as_of(cut) if cut else WEEK)

    document = json.loads(json.dumps(numbers.to_dict(), ensure_ascii=False))

    assert ReportNumbers.from_dict(document) == numbers
    assert document["period"]["partial"] is (cut is not None)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_json_written_before_partial_weeks_is_still_read(
    engine: Engine, settings: Settings
) -> None:
    """Reports written before periods could be cut lack `partial`, `through` and `new`."""
    fill_demo_data(engine, settings, weeks=2, per_day=30, now=datetime(2026, 11, 26, tzinfo=SEOUL))
    document = json.loads(json.dumps(numbers_for(engine, settings).to_dict()))
    for period in (document["period"], document["previous_period"]):
        del period["partial"], period["through"]
    for change in document["change"].values():
        del change["new"]

    numbers = ReportNumbers.from_dict(document)

    assert numbers.period == WEEK and not numbers.period.partial
    assert numbers == numbers_for(engine, settings)


# --- a week still in progress ------------------------------------------------------------------

CUT = at("2026-12-01", "16:47:00")  # a Tuesday afternoon
WEEK_TO_DATE = Period.week_of(CUT.date(), SEOUL).as_of(CUT)


def week_to_date_rows() -> Rows:
    """Rows on both sides of the cut, this week and the same point of the week before."""
    second = timedelta(seconds=1)
    rows = Rows()
    plan = [
        # (when, user, score, feedback), counted when before the cut of its week
        (at("2026-11-30", "10:00:00"), "u1", 8.0, "like"),
        (CUT - second, "u2", 2.0, "dislike"),
        (CUT, "u3", 0.5, "dislike"),  # at the cut: after it
        (at("2026-12-01", "20:00:00"), "u4", 1.0, "dislike"),
        (at("2026-11-23", "09:00:00"), "u1", 6.0, "like"),  # the week before
        (at("2026-11-24", "16:46:59"), "u5", 7.0, "like"),
        (at("2026-11-24", "16:47:00"), "u6", 3.0, "dislike"),
        (at("2026-11-24", "23:00:00"), "u7", 4.0, "dislike"),
        (at("2026-11-26", "12:00:00"), "u8", 5.0, "dislike"),
    ]
    for cid, (when, user, score, feedback) in enumerate(plan, start=1):
        rows.conversations.append(
            {
                "id": cid,
                "user_id": user,
                "model": "m-a" if cid % 2 else "m-b",
                "latency_ms": 100 * cid,
                "prompt_tokens": cid,
                "completion_tokens": 10,
                "user_message": f"질문 {cid}",
                "created_at": when,
            }
        )
        rows.feedback.append(
            {
                "id": cid,
                "conversation_id": cid,
                "feedback": feedback,
                "comment": f"의견 {cid}",
                "created_at": when,
            }
        )
        rows.evaluations.append(
            {"id": cid, "conversation_id": cid, "score": score, "created_at": when}
        )
    return rows


def test_a_week_to_date_counts_the_rows_up_to_the_cut_and_the_same_span_before(
    engine: Engine, settings: Settings
) -> None:
    create_tables(engine, settings, style="naive", minimal=False)
    rows = week_to_date_rows()
    insert(engine, settings, rows, style="naive")
    with time_machine.travel(CUT, tick=False):
        period = requested_week(settings, "2026-12-03")
        numbers = report_numbers(engine, settings, period)  # keeps the settled whole days

    assert period == WEEK_TO_DATE
    # By hand: Monday 10:00 and Tuesday 16:46:59; the week before, its Monday 09:00 and
    # Tuesday 16:46:59.
    assert numbers.current.conversations == 2 and numbers.previous.conversations == 2
    assert (numbers.current.likes, numbers.current.dislikes) == (1, 1)
    assert numbers.current.unique_users == 2  # u1, u2: not u3 and u4, after the cut
    assert numbers.current.avg_score == 5.0 and numbers.previous.avg_score == 6.5
    assert numbers.current.total_tokens == 1 + 2 + 20
    assert [(d.date, d.conversations) for d in numbers.daily] == [
        (date(2026, 11, 30), 1),
        (date(2026, 12, 1), 1),
    ]
    assert [e.score for e in numbers.lowest_scored] == [2.0, 8.0]
    assert [e.conversation_id for e in numbers.disliked] == [2]
    expected = reference(rows, period, style="naive", db_zone=settings.db_zone, minimal=False)
    for name in METRIC_NAMES:
        assert getattr(numbers.current, name) == expected["current"][name], name
        assert getattr(numbers.previous, name) == expected["previous"][name], name
    # The insights read the same span: by model, agreement and the change test.
    insights = numbers.insights
    assert insights is not None and insights.by_model is not None
    assert sum(m.conversations for m in insights.by_model) == 2
    assert insights.agreement is not None
    assert insights.agreement.like_good + insights.agreement.dislike_bad == 2
    assert (
        insights.changes["conversations"].current,
        insights.changes["conversations"].previous,
    ) == (2, 2)
    assert insights.anomalies_status is not None and insights.anomalies_status.days_judged == 1
    document = numbers.to_dict()
    assert document["period"]["partial"] is True
    assert document["period"]["through"] == "2026-12-01T16:47:00+09:00"
    assert document["period"]["end_at"] == document["period"]["through"]
    assert document["previous_period"]["through"] == "2026-11-24T16:47:00+09:00"
    assert len(document["daily"]) == 2

    # The week before's Tuesday was kept whole (a cut day is never kept): its own report
    # counts all its rows.
    with time_machine.travel(CUT, tick=False):
        before = report_numbers(engine, settings, WEEK_TO_DATE.previous.whole)
    assert before.current.conversations == 5
    assert [d.conversations for d in before.daily][:2] == [1, 3]


def test_a_change_against_nothing_is_new(engine: Engine, settings: Settings) -> None:
    """A first week: nothing the week before, so the change is "new", not +N."""
    create_tables(engine, settings, style="naive", minimal=False)
    day = at("2026-11-17", "10:00:00")
    insert(
        engine,
        settings,
        Rows(
            conversations=[{"id": i, "user_id": "u", "created_at": day} for i in range(3)],
            feedback=[{"id": 1, "feedback": "like", "created_at": day}],
        ),
        style="naive",
    )

    numbers = numbers_for(engine, settings)

    change = numbers.change
    assert change["conversations"].new and change["conversations"].absolute == 3
    assert change["satisfaction_rate"].new  # 100% against no rating at all
    assert not change["evaluations"].new  # 0 against 0
    assert not change["avg_score"].new  # no score either week
    assert numbers.to_dict()["change"]["conversations"] == {
        "absolute": 3,
        "relative": None,
        "new": True,
    }


@pytest.mark.parametrize(
    ("name", "current", "previous", "new"),
    [
        ("conversations", 1118, 0, True),
        ("conversations", 0, 0, False),
        ("conversations", 5, 4, False),
        ("satisfaction_rate", 0.5, None, True),
        ("satisfaction_rate", 0.5, 0.0, False),  # a rate of 0 is a value: +50 pp
        ("avg_score", 6.0, 0.0, False),
        ("avg_score", None, 6.0, False),
        ("latency_p95_ms", 900.0, None, True),
    ],
)
def test_new_means_nothing_to_compare_with(
    name: str, current: float | None, previous: float | None, new: bool
) -> None:
    assert change_between(current, previous, name).new is new


def test_the_fast_numbers_of_a_range_leave_out_only_users_and_conversations(
    engine: Engine, settings: Settings
) -> None:
    """The dashboard's ranges: unique users counted apart, the rest the same numbers."""
    fill_demo_data(engine, settings, weeks=4, per_day=30, now=datetime(2026, 11, 26, tzinfo=SEOUL))
    tables = reflect_tables(engine, settings)
    four_weeks = Period(date(2026, 10, 26), date(2026, 11, 23), SEOUL)
    full = compute(engine, tables, four_weeks)

    fast = compute(engine, tables, four_weeks, worst_limit=0, count_users=False)

    assert fast.current.unique_users is None and fast.previous.unique_users is None
    assert fast.lowest_scored == [] and fast.disliked == []
    users = (full.previous.unique_users, full.current.unique_users)
    assert users[1] and unique_users(engine, tables, four_weeks) == users
    assert (
        replace(
            fast,
            current=replace(fast.current, unique_users=users[1]),
            previous=replace(fast.previous, unique_users=users[0]),
            lowest_scored=full.lowest_scored,
            disliked=full.disliked,
        )
        == full
    )
