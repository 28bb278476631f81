"""Insights against plain-Python and scipy computations, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import json
import random
import statistics
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from scipy.stats import binomtest, ttest_ind
from sqlalchemy.engine import Engine
from statsmodels.stats import proportion

from aiops_report.analysis import theme_reads
from aiops_report.analysis.insight_parts import Insights
from aiops_report.analysis.insights import PartSupport, compute_insights, insights_support
from aiops_report.analysis.metrics import compute
from aiops_report.analysis.prices import ModelPrice, PriceTable
from aiops_report.analysis.significance import ChangeTest
from aiops_report.data.config import Settings
from aiops_report.data.periods import Period
from aiops_report.data.tables import LINKED_ROWS_WINDOW, ChatbotTables, reflect_tables
from chatbot_tables import STYLES, Rows, create_tables, insert, normalized_feedback

SEOUL = ZoneInfo("Asia/Seoul")
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)
PRICES = PriceTable(
    "USD", {"gpt-4o-mini": ModelPrice(0.15, 0.60), "claude-.*": ModelPrice(0.80, 4.00)}
)


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SEOUL)


def load(engine: Engine, settings: Settings, rows: Rows, *, minimal: bool = False) -> ChatbotTables:
    """The rows in tables of the database's last storage style (SQLite: text of both forms)."""
    style = STYLES[engine.dialect.name][-1]
    create_tables(engine, settings, style=style, minimal=minimal)
    insert(engine, settings, rows, style=style)
    return reflect_tables(engine, settings)


def insights_of(
    engine: Engine, tables: ChatbotTables, prices: PriceTable | None = PRICES
) -> Insights:
    insights = compute_insights(engine, tables, WEEK, prices=prices)
    document = json.loads(json.dumps(insights.to_dict(), allow_nan=False))
    assert Insights.from_dict(document) == insights
    return insights


def ids(start: int = 1) -> Any:
    return iter(range(start, 1_000_000))


# --- by model and cost ------------------------------------------------------------------------

MODELS = ["gpt-4o-mini", "claude-3-5-haiku", "llama-3", None]


def model_rows(seed: int = 3) -> Rows:
    """Conversations of both weeks; feedback and scores of this week, some without a model."""
    rng = random.Random(seed)
    rows = Rows()
    days = WEEK.previous.days + WEEK.days
    for cid in range(1, 121):
        rows.conversations.append(
            {
                "id": cid,
                "user_id": rng.choice([f"u{rng.randrange(12)}", None]),
                "model": rng.choice(MODELS),
                "latency_ms": rng.choice([None, rng.randrange(100, 3000)]),
                "prompt_tokens": rng.choice([None, rng.randrange(10, 2000)]),
                "completion_tokens": rng.choice([None, rng.randrange(5, 900)]),
                "created_at": at(rng.choice(days), rng.randrange(24)),
            }
        )
    links = [*range(1, 121), 999, None]  # 999: a conversation that is not in the log
    for i in range(80):
        rows.feedback.append(
            {
                "id": i,
                "conversation_id": rng.choice(links),
                "feedback": rng.choice(["like", "dislike", " Like ", "DISLIKE", "meh"]),
                "created_at": at(rng.choice(WEEK.days), rng.randrange(24)),
            }
        )
        rows.evaluations.append(
            {
                "id": i,
                "conversation_id": rng.choice(links),
                "score": rng.choice([None, rng.randrange(21) / 2]),
                "created_at": at(rng.choice(WEEK.days), rng.randrange(24)),
            }
        )
    return rows


def reference_by_model(rows: Rows) -> dict[str, dict[str, Any]]:
    """Per model, by the insights' rules (docs/metrics.md), in plain Python."""
    in_week = [r for r in rows.conversations if WEEK.start_at <= r["created_at"] < WEEK.end_at]
    model_of = {r["id"]: r["model"] or "(unknown)" for r in rows.conversations}
    models: dict[str, dict[str, Any]] = {}

    def entry(model: str) -> dict[str, Any]:
        empty = {"conversations": 0, "users": set(), "prompt": 0, "completion": 0}
        return models.setdefault(model, {**empty, "likes": 0, "dislikes": 0, "scores": []})

    for r in in_week:
        e = entry(r["model"] or "(unknown)")
        e["conversations"] += 1
        e["users"] |= {r["user_id"]} - {None}
        e["prompt"] += r["prompt_tokens"] or 0
        e["completion"] += r["completion_tokens"] or 0
    for r in rows.feedback:
        e = entry(model_of.get(r["conversation_id"], "(unknown)"))
        value = normalized_feedback(r["feedback"])
        e["likes"] += value == "like"
        e["dislikes"] += value == "dislike"
    for r in rows.evaluations:
        if r["score"] is not None:
            entry(model_of.get(r["conversation_id"], "(unknown)"))["scores"].append(r["score"])
    return models


def test_by_model_adds_up_to_the_totals_and_prices_tokens(
    engine: Engine, settings: Settings
) -> None:
    rows = model_rows()
    tables = load(engine, settings, rows)

    insights = insights_of(engine, tables)

    assert insights.by_model is not None
    expected = reference_by_model(rows)
    assert {m.model for m in insights.by_model} == set(expected)
    for m in insights.by_model:
        e = expected[m.model]
        assert m.conversations == e["conversations"]
        assert m.unique_users == len(e["users"])
        assert m.total_tokens == e["prompt"] + e["completion"]
        assert (m.likes, m.dislikes, m.evaluations) == (e["likes"], e["dislikes"], len(e["scores"]))
        assert m.avg_score == (pytest.approx(statistics.mean(e["scores"])) if e["scores"] else None)
        price = PRICES.price_of(m.model)
        if price is None:
            assert m.cost is None and m.cost_per_like is None
        else:
            assert m.cost == pytest.approx(
                (e["prompt"] * price.input + e["completion"] * price.output) / 1e6
            )
            assert m.cost_per_like == (pytest.approx(m.cost / m.likes) if m.likes else None)
    totals = compute(engine, tables, WEEK).current
    for name in ("conversations", "likes", "dislikes", "evaluations", "total_tokens"):
        assert sum(getattr(m, name) for m in insights.by_model) == getattr(totals, name)
    assert insights.unpriced_models == ["(unknown)", "llama-3"]
    assert insights.cost is None  # unpriced models had conversations
    assert insights.currency == "USD"
    assert insights.missing == []


def test_total_cost_when_every_model_is_priced(engine: Engine, settings: Settings) -> None:
    tables = load(engine, settings, model_rows())
    everything = PriceTable(None, {**PRICES.models, ".*": ModelPrice(1.0, 2.0)})

    priced = insights_of(engine, tables, everything)
    unpriced = insights_of(engine, tables, None)

    assert priced.by_model is not None
    assert priced.unpriced_models == []
    assert priced.cost == pytest.approx(sum(m.cost or 0 for m in priced.by_model))
    assert priced.cost is not None and priced.cost > 0
    assert unpriced.by_model is not None
    assert all(m.cost is None for m in unpriced.by_model)
    assert (unpriced.cost, unpriced.currency, unpriced.unpriced_models) == (None, None, [])
    assert unpriced.missing == ["cost: needs a price table (MODEL_PRICES)"]


# --- which changes are real ---------------------------------------------------------------------

# (conversations, likes, dislikes, scores) of the current and the previous week.
CASES: dict[str, tuple[tuple[int, int, int, list[float]], tuple[int, int, int, list[float]]]] = {
    "significant": (
        (150, 45, 15, [7.0 + (i % 5) * 0.5 for i in range(40)]),
        (90, 20, 40, [4.5 + (i % 5) * 0.5 for i in range(40)]),
    ),
    "not significant": (
        (100, 30, 30, [6.0 + (i % 7) * 0.5 for i in range(35)]),
        (96, 28, 32, [6.0 + (i % 6) * 0.5 for i in range(36)]),
    ),
    "too little data": (
        (10, 10, 0, [9.0 + (i % 2) * 0.5 for i in range(10)]),
        (29, 0, 10, [2.0 + (i % 2) * 0.5 for i in range(12)]),
    ),
}


def week_rows(current: tuple[int, int, int, list[float]], previous: Any) -> Rows:
    rows = Rows()
    new_id = ids()
    for period, (conversations, likes, dislikes, scores) in (
        (WEEK, current),
        (WEEK.previous, previous),
    ):

        def when(i: int, period: Period = period) -> datetime:
            return at(period.days[i % 7], 8 + i % 12, i % 60)

        rows.conversations += [
            {"id": next(new_id), "created_at": when(i)} for i in range(conversations)
        ]
        values = ["like"] * likes + ["dislike"] * dislikes
        rows.feedback += [
            {"id": next(new_id), "feedback": v, "created_at": when(i)} for i, v in enumerate(values)
        ]
        rows.evaluations += [
            {"id": next(new_id), "score": s, "created_at": when(i)} for i, s in enumerate(scores)
        ]
    return rows


def assert_test(change: ChangeTest, current: Any, previous: Any, ci: Any, p: float) -> None:
    assert change.current == pytest.approx(current)
    assert change.previous == pytest.approx(previous)
    assert change.delta == pytest.approx(current - previous)
    assert (change.ci_low, change.ci_high) == pytest.approx(tuple(ci), rel=1e-6)
    assert change.p_value == pytest.approx(p, rel=1e-6)
    assert change.significant == (change.enough_data and p < 0.05)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # the reference's 1 / 0
@pytest.mark.parametrize("case", CASES)
def test_changes_against_scipy_and_statsmodels(
    engine: Engine, settings: Settings, case: str
) -> None:
    current, previous = CASES[case]
    tables = load(engine, settings, week_rows(current, previous))

    changes = insights_of(engine, tables).changes

    (c1, l1, d1, s1), (c0, l0, d0, s0) = current, previous
    binomial = binomtest(c1, c1 + c0, 0.5)
    ci = binomial.proportion_ci(method="exact")
    assert_test(
        changes["conversations"],
        c1,
        c0,
        (ci.low / (1 - ci.low), ci.high / (1 - ci.high)),
        binomial.pvalue,
    )
    assert changes["conversations"].relative == pytest.approx((c1 - c0) / c0)
    assert_test(
        changes["satisfaction_rate"],
        l1 / (l1 + d1),
        l0 / (l0 + d0),
        proportion.confint_proportions_2indep(
            l1, l1 + d1, l0, l0 + d0, method="newcomb", compare="diff"
        ),
        proportion.test_proportions_2indep(
            l1, l1 + d1, l0, l0 + d0, method="score", compare="diff"
        ).pvalue,
    )
    welch = ttest_ind(s1, s0, equal_var=False)
    assert_test(
        changes["avg_score"],
        statistics.mean(s1),
        statistics.mean(s0),
        welch.confidence_interval(0.95),
        welch.pvalue,
    )
    expected = {"significant": True, "not significant": False, "too little data": False}[case]
    assert {name: c.significant for name, c in changes.items()} == dict.fromkeys(changes, expected)
    assert all(c.enough_data for c in changes.values()) == (case != "too little data")
    if case == "too little data":  # clear differences, but not enough of them
        assert all(c.p_value is not None and c.p_value < 0.05 for c in changes.values())


def test_degenerate_inputs_give_nulls_not_errors(engine: Engine, settings: Settings) -> None:
    constant = [7.0] * 35
    tables = load(engine, settings, week_rows((0, 40, 0, constant), (0, 35, 0, constant)))

    changes = insights_of(engine, tables).changes

    nothing = changes["conversations"]
    assert (nothing.current, nothing.previous, nothing.delta, nothing.relative) == (0, 0, 0, None)
    all_liked, equal_scores = changes["satisfaction_rate"], changes["avg_score"]
    assert (all_liked.current, all_liked.previous, all_liked.p_value) == (1.0, 1.0, None)
    assert (equal_scores.current, equal_scores.p_value, equal_scores.ci_low) == (7.0, None, None)
    for change in changes.values():
        assert change.significant is False


# --- anomalous days -----------------------------------------------------------------------------

PLANTED = {  # weekday of the reported week: (metric, direction)
    2: ("conversations", "up"),
    4: ("satisfaction_rate", "down"),
    6: ("avg_score", "down"),
}


def nine_weeks(planted: bool) -> tuple[Rows, dict[date, dict[str, float]]]:
    """A steady daily pattern over the week and the 8 before it, with or without outliers."""
    rows = Rows()
    values: dict[date, dict[str, float]] = {}
    new_id = ids()
    first = WEEK.start - timedelta(weeks=8)
    for offset in range(63):
        day = first + timedelta(days=offset)
        week, weekday = divmod(offset, 7)
        wobble = (3 * week + weekday) % 5
        conversations, likes, low = 30 + wobble, 18 + (week + weekday) % 4, 1 + wobble
        outlier = PLANTED.get(weekday, ("", ""))[0] if planted and week == 8 else ""
        if outlier == "conversations":
            conversations = 90
        if outlier == "satisfaction_rate":
            likes = 5
        scores = [8.0] * (25 - low) + [4.0] * low
        if outlier == "avg_score":
            scores = [2.0] * 25
        rows.conversations += [
            {"id": next(new_id), "created_at": at(day, 9 + i // 60, i % 60)}
            for i in range(conversations)
        ]
        rows.feedback += [
            {
                "id": next(new_id),
                "feedback": "like" if i < likes else "dislike",
                "created_at": at(day, 10, i),
            }
            for i in range(25)
        ]
        rows.evaluations += [
            {"id": next(new_id), "score": s, "created_at": at(day, 11, i)}
            for i, s in enumerate(scores)
        ]
        values[day] = {
            "conversations": conversations,
            "satisfaction_rate": likes / 25,
            "avg_score": statistics.mean(scores),
        }
    return rows, values


@pytest.mark.parametrize("planted", [True, False], ids=["planted", "normal week"])
def test_anomalies_against_a_plain_robust_z(
    engine: Engine, settings: Settings, planted: bool
) -> None:
    rows, values = nine_weeks(planted)
    tables = load(engine, settings, rows)

    anomalies = insights_of(engine, tables).anomalies

    if not planted:
        assert anomalies == []
        return
    assert [(a.date.weekday(), a.metric, a.direction) for a in anomalies] == [
        (weekday, metric, direction) for weekday, (metric, direction) in PLANTED.items()
    ]
    for a in anomalies:
        baseline = [values[a.date - timedelta(weeks=k)][a.metric] for k in range(1, 9)]
        median = statistics.median(baseline)
        mad = statistics.median(abs(v - median) for v in baseline)
        assert a.value == pytest.approx(values[a.date][a.metric])
        assert a.baseline_median == pytest.approx(median)
        assert a.robust_z == pytest.approx(0.6745 * (a.value - median) / mad)


@pytest.mark.parametrize("weeks", [3, 9])
def test_anomalies_say_when_the_history_is_too_short(
    engine: Engine, settings: Settings, weeks: int
) -> None:
    """With the week and 2 before it, no day can be judged: saying "no unusual day" would
    claim what is not known."""
    rows, _ = nine_weeks(planted=True)
    since = WEEK.start - timedelta(weeks=weeks - 1)
    for table_rows in (rows.conversations, rows.feedback, rows.evaluations):
        table_rows[:] = [r for r in table_rows if r["created_at"] >= at(since, 0)]
    tables = load(engine, settings, rows)

    insights = insights_of(engine, tables)

    enough = weeks == 9
    assert insights.to_dict()["anomalies_status"] == {
        "enough_history": enough,
        "baseline_days": weeks - 1,
        "needed": 6,
        "days_judged": 7,
        "days_with_history": 7 if enough else 0,
    }
    assert bool(insights.anomalies) is enough  # the planted days are found only with history


def test_only_the_days_with_history_enough_are_judged(engine: Engine, settings: Settings) -> None:
    """History from a Thursday six weeks back: the week's Monday to Wednesday have five
    same-weekday days before them, Thursday to Sunday six. Friday's and Sunday's planted dips
    are found, Wednesday's planted spike cannot be, and the status says which days were
    judged."""
    rows, _ = nine_weeks(planted=True)
    since = WEEK.start - timedelta(weeks=6) + timedelta(days=3)
    for table_rows in (rows.conversations, rows.feedback, rows.evaluations):
        table_rows[:] = [r for r in table_rows if r["created_at"] >= at(since, 0)]
    tables = load(engine, settings, rows)

    insights = insights_of(engine, tables)

    assert insights.to_dict()["anomalies_status"] == {
        "enough_history": False,
        "baseline_days": 5,
        "needed": 6,
        "days_judged": 7,
        "days_with_history": 4,
    }
    assert {a.date.weekday() for a in insights.anomalies} == {4, 6}


def test_a_week_to_date_is_tested_on_the_same_span_and_judged_on_whole_days(
    engine: Engine, settings: Settings
) -> None:
    rows, _ = nine_weeks(planted=True)
    tables = load(engine, settings, rows)
    friday = WEEK.start + timedelta(days=4)  # its satisfaction is planted low
    cut = at(friday, 10, 10)  # its conversations (9:00) are in, 10 of its 25 feedback rows
    period = WEEK.as_of(cut)

    insights = compute_insights(engine, tables, period, prices=None)

    def count(table_rows: list[dict[str, Any]], start: datetime, end: datetime) -> list[Any]:
        return [r for r in table_rows if start <= r["created_at"] < end]

    for p, which in ((period, "current"), (period.previous, "previous")):
        conversations = count(rows.conversations, p.start_at, p.end_at)
        feedback = [r["feedback"] for r in count(rows.feedback, p.start_at, p.end_at)]
        change = insights.changes["conversations"]
        assert getattr(change, which) == len(conversations)
        assert getattr(insights.changes["satisfaction_rate"], which) == pytest.approx(
            feedback.count("like") / len(feedback)
        )
    # Wednesday's planted conversations are found; Friday is in progress, not judged.
    assert [(a.date.weekday(), a.metric) for a in insights.anomalies] == [(2, "conversations")]
    assert insights.anomalies_status is not None
    assert insights.anomalies_status.days_judged == 4
    assert insights.anomalies_status.enough_history


# --- thumbs against the evaluator --------------------------------------------------------------


def agreement_rows(seed: int = 5) -> Rows:
    rng = random.Random(seed)
    rows = Rows()
    new_id = ids()
    for cid in range(1, 61):
        rows.conversations.append(
            {
                "id": cid,
                "user_message": f"질문 {cid} <b>",
                "ai_response": f"답 {cid} 😅",
                "model": "m",
                "created_at": at(WEEK.start - timedelta(days=3)),
            }
        )
        if cid <= 50:  # 51..60 have no score at all
            for _ in range(rng.choice([1, 2])):
                long_ago = at(WEEK.start - timedelta(days=rng.randrange(1, 60)))
                rows.evaluations.append(
                    {
                        "id": next(new_id),
                        "conversation_id": cid,
                        "score": rng.randrange(21) / 2,
                        "created_at": rng.choice([long_ago, at(WEEK.days[1])]),
                    }
                )
            rows.evaluations.append(
                {
                    "id": next(new_id),
                    "conversation_id": cid,
                    "score": None,
                    "created_at": at(WEEK.days[1]),
                }
            )
    for _ in range(90):
        rows.feedback.append(
            {
                "id": next(new_id),
                "conversation_id": rng.randrange(1, 62),
                "feedback": rng.choice(["like", "dislike", "DisLike ", "meh"]),
                "comment": rng.choice([None, "별로", "good"]),
                "created_at": at(rng.choice([*WEEK.days, WEEK.start - timedelta(days=1)])),
            }
        )
    return rows


def test_agreement_against_plain_confusion_counts(engine: Engine, settings: Settings) -> None:
    rows = agreement_rows()
    tables = load(engine, settings, rows)

    agreement = insights_of(engine, tables).agreement

    # A conversation's score: the mean of its evaluations near the week (LINKED_ROWS_WINDOW).
    near = (WEEK.start_at - LINKED_ROWS_WINDOW, WEEK.end_at + LINKED_ROWS_WINDOW)
    scores: dict[int, list[float]] = {}
    for r in rows.evaluations:
        if r["score"] is not None and near[0] <= r["created_at"] < near[1]:
            scores.setdefault(r["conversation_id"], []).append(r["score"])
    assert 0 < len(scores) < 50  # some conversations are scored only long before the week
    thumbs = [
        (
            normalized_feedback(r["feedback"]) == "like",
            statistics.mean(scores[r["conversation_id"]]),
            r["created_at"],
            r["conversation_id"],
        )
        for r in rows.feedback
        if WEEK.start_at <= r["created_at"] < WEEK.end_at
        and normalized_feedback(r["feedback"]) in ("like", "dislike")
        and r["conversation_id"] in scores
    ]
    rated = [(like, score) for like, score, _, _ in thumbs]
    cells = {
        (liked, good): sum(1 for like, score in rated if like == liked and (score >= 5) == good)
        for liked in (True, False)
        for good in (True, False)
    }
    n = len(rated)
    observed = (cells[True, True] + cells[False, False]) / n
    expected = sum(
        (cells[x, True] + cells[x, False]) / n * (cells[True, x] + cells[False, x]) / n
        for x in (True, False)
    )
    assert agreement is not None
    assert (agreement.like_good, agreement.like_bad) == (cells[True, True], cells[True, False])
    assert (agreement.dislike_good, agreement.dislike_bad) == (
        cells[False, True],
        cells[False, False],
    )
    assert agreement.agreement_rate == pytest.approx(observed)
    assert agreement.kappa == pytest.approx((observed - expected) / (1 - expected))
    # Per side the ten farthest thumbs (ties: the earliest, then by conversation), then the
    # ten farthest of both (ties: likes first, then by conversation); several thumbs of one
    # conversation each count.
    farthest = []
    for liked, direction in ((True, 1), (False, -1)):
        wrong = [t for t in thumbs if t[0] == liked and (t[1] >= 5) != liked]
        farthest += sorted(wrong, key=lambda t: (direction * t[1], t[2], t[3]))[:10]
    farthest.sort(key=lambda t: (-abs(t[1] - 5), not t[0], t[3]))
    assert len({t[3] for t in thumbs}) < len(thumbs)  # a conversation with several thumbs
    assert [(d.conversation_id, d.feedback) for d in agreement.disagreements] == [
        (cid, "like" if liked else "dislike") for liked, _, _, cid in farthest[:10]
    ]
    assert [d.score for d in agreement.disagreements] == pytest.approx(
        [score for _, score, _, _ in farthest[:10]]
    )
    for d in agreement.disagreements:
        assert (d.feedback == "like") == (d.score < 5)
        assert d.user_message == f"질문 {d.conversation_id} <b>"
        assert d.ai_response == f"답 {d.conversation_id} 😅"


def test_disagreements_are_the_earliest_thumbs_of_equal_scores(
    engine: Engine, settings: Settings
) -> None:
    """Many thumbs as far from the threshold as each other, some conversations thumbed twice:
    per side the earliest ten, then the ten of both by distance, side and conversation."""
    rng = random.Random(11)
    rows = Rows()
    new_id = ids(1000)
    thumbs = []  # (liked, score, created_at, conversation_id, comment)
    for cid in range(1, 31):
        liked = cid <= 15
        score = 1.0 if liked else 9.5 if cid <= 18 else 9.0
        rows.conversations.append({"id": cid, "created_at": at(WEEK.start)})
        rows.evaluations.append(
            {
                "id": next(new_id),
                "conversation_id": cid,
                "score": score,
                "created_at": at(WEEK.start),
            }
        )
        for _ in range(rng.choice([1, 1, 2])):
            created_at = at(WEEK.days[rng.randrange(7)], rng.randrange(24), rng.randrange(60))
            comment = f"c{cid} {created_at:%d %H:%M}"
            thumbs.append((liked, score, created_at, cid, comment))
            rows.feedback.append(
                {
                    "id": next(new_id),
                    "conversation_id": cid,
                    "feedback": "like" if liked else "dislike",
                    "comment": comment,
                    "created_at": created_at,
                }
            )
    # One storage form of the times: SQLite's text of both forms orders by its text.
    style = STYLES[engine.dialect.name][0]
    create_tables(engine, settings, style=style, minimal=False)
    insert(engine, settings, rows, style=style)

    agreement = insights_of(engine, reflect_tables(engine, settings)).agreement

    assert len({t[3] for t in thumbs}) < len(thumbs)  # some conversations thumbed twice
    farthest = []
    for liked, direction in ((True, 1), (False, -1)):
        side = [t for t in thumbs if t[0] == liked]
        farthest += sorted(side, key=lambda t: (direction * t[1], t[2], t[3]))[:10]
    farthest.sort(key=lambda t: (-abs(t[1] - 5), not t[0], t[3]))
    assert agreement is not None
    assert [(d.conversation_id, d.comment, d.score) for d in agreement.disagreements] == [
        (cid, comment, score) for _, score, _, cid, comment in farthest[:10]
    ]


# --- complaint themes -----------------------------------------------------------------------------


def test_themes_of_korean_and_english_complaints(engine: Engine, settings: Settings) -> None:
    rows = Rows()
    new_id = ids()
    comments = {
        WEEK: [
            "환불 안내가 틀렸어요",
            "환불 기간이 달라요",
            "The refund policy is wrong",
            "좋아요",
        ],
        WEEK.previous: ["환불 규정이 궁금해요", "배송이 느려요"],
    }
    for period, texts in comments.items():
        for text in texts:
            cid = next(new_id)
            rows.conversations.append({"id": cid, "created_at": at(period.days[2])})
            rows.feedback.append(
                {
                    "id": next(new_id),
                    "conversation_id": cid,
                    "feedback": "like" if text == "좋아요" else "dislike",
                    "comment": text,
                    "created_at": at(period.days[2]),
                }
            )
            # Scored high, but disliked: its reason counts.
            rows.evaluations.append(
                {
                    "id": next(new_id),
                    "conversation_id": cid,
                    "score": 9.0,
                    "reason": "refund policy cited" if text == "좋아요" else "상담 부족",
                    "created_at": at(period.days[2]),
                }
            )
    rows.evaluations += [
        {
            "id": next(new_id),
            "score": 2.0,
            "reason": "환불 정책 오류",
            "created_at": at(WEEK.days[3]),
        },
        {
            "id": next(new_id),
            "score": 6.0,
            "reason": "배송 지연 언급",
            "created_at": at(WEEK.days[3]),
        },
    ]
    tables = load(engine, settings, rows)

    themes = insights_of(engine, tables).themes

    assert themes is not None
    by_term = {t.term: t for t in themes}
    assert (by_term["환불"].count, by_term["환불"].previous_count) == (3, 1)
    # Ties: the larger rise since the week before first (환불 was 1), then alphabetical.
    assert [t.term for t in themes[:3]] == ["환불", "부족", "상담"]
    assert set(by_term["환불"].examples) == {
        "환불 안내가 틀렸어요",
        "환불 기간이 달라요",
        "환불 정책 오류",
    }
    assert (by_term["refund"].count, by_term["policy"].count, by_term["wrong"].count) == (1, 1, 1)
    # The reasons of the three disliked conversations (two in the week before).
    assert (by_term["상담"].count, by_term["상담"].previous_count) == (3, 2)
    assert "배송" not in by_term and "cited" not in by_term  # a like, a good score: no complaint
    assert len(themes) <= 10


def test_themes_read_every_day_of_a_busy_week(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A week with more complaints than the themes read: each day gives its share, so that
    Monday's complaints are not crowded out by Sunday's."""
    monkeypatch.setattr(theme_reads, "THEME_TEXT_LIMIT", 14)  # 2 texts a day
    rows = Rows()
    new_id = ids()
    complaints = [(WEEK.days[0], "배송이 느려요")] * 2 + [(WEEK.days[6], "환불이 안 돼요")] * 20
    for minute, (day, text) in enumerate(complaints):
        cid = next(new_id)
        rows.conversations.append({"id": cid, "created_at": at(day, minute=minute)})
        rows.feedback.append(
            {
                "id": next(new_id),
                "conversation_id": cid,
                "feedback": "dislike",
                "comment": text,
                "created_at": at(day, minute=minute),
            }
        )
    tables = load(engine, settings, rows)

    themes = insights_of(engine, tables).themes

    assert themes is not None
    counts = {theme.term: theme.count for theme in themes}
    assert counts["배송"] == 2
    assert counts["환불"] == 2  # Sunday's share, not its 20


# --- what the schema allows ----------------------------------------------------------------------


def test_minimal_schema_leaves_the_parts_out_and_says_why(
    engine: Engine, settings: Settings
) -> None:
    tables = load(engine, settings, week_rows(*CASES["significant"]), minimal=True)

    insights = insights_of(engine, tables)

    assert (insights.by_model, insights.agreement, insights.themes) == (None, None, None)
    assert insights.unpriced_models == [] and insights.cost is None
    assert insights.missing == [
        "by_model: needs conversation_log.model",
        "agreement: needs feedback_log.conversation_id and conversation_evaluation.conversation_id",
        "themes: needs feedback_log.comment or conversation_evaluation.reason",
    ]
    assert all(change.significant for change in insights.changes.values())
    assert insights_support(tables) == [
        PartSupport("changes", True),
        PartSupport("anomalies", True),
        PartSupport("by_model", False, ("conversation_log.model",)),
        PartSupport(
            "agreement",
            False,
            ("feedback_log.conversation_id", "conversation_evaluation.conversation_id"),
        ),
        PartSupport(
            "themes",
            False,
            ("feedback_log.comment", "conversation_evaluation.reason"),
            any_one=True,
        ),
    ]
