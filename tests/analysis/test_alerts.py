"""Alert rules (ALERTS_FILE) and their judgement of a day, with the report's own numbers."""

from __future__ import annotations

import statistics
from datetime import UTC, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from aiops_report.analysis.alert_rules import DEFAULT_RULES, AlertRule, load_rules
from aiops_report.analysis.alerts import day_as_of, evaluate
from aiops_report.analysis.insights import compute_insights
from aiops_report.analysis.metrics import compute
from aiops_report.data.config import Settings
from aiops_report.data.periods import Period
from aiops_report.data.tables import reflect_tables
from aiops_report.errors import ConfigError
from alert_days import (
    EVENING_CONVERSATIONS,
    FRIDAY,
    NOW,
    SATURDAY,
    SEOUL,
    load,
    steady_days,
)
from chatbot_tables import create_all

# The example of docs/insights.md: the page shows this very file.
RULES_EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "alerts.toml"

# --- the rules ----------------------------------------------------------------------------------


def test_without_a_file_the_four_metrics_alert_on_anomalies() -> None:
    assert load_rules(None) == DEFAULT_RULES
    assert [(r.metric, r.when, r.min_observations) for r in DEFAULT_RULES] == [
        ("satisfaction_rate", "anomaly", 20),
        ("avg_score", "anomaly", 20),
        ("conversations", "anomaly", 20),
        ("latency_p95_ms", "anomaly", 20),
    ]


def test_the_documented_rules_are_read() -> None:
    assert load_rules(RULES_EXAMPLE) == (
        AlertRule(name="만족도 급락", metric="satisfaction_rate", when="anomaly"),
        AlertRule(
            name="느린 응답", metric="latency_p95_ms", when="above", value=3000, min_observations=50
        ),
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[[rule]]\nname = "x"\nmetric = "latency_p95_ms"\nwhen = "above"', "rule 1: "),
        ('[[rule]]\nname = "x"\nmetric = "happiness"\nwhen = "anomaly"', "unknown metric"),
        ('[[rule]]\nname = "x"\nmetric = "avg_score"\nwhen = "sometimes"', "rule 1 when: "),
        ('[[rule]]\nname = "x"\nmetric = "avg_score"\nwhen = "anomaly"\nvalue = 3', "not"),
        ('[[rule]]\nname = "x"\nmetric = "avg_score"\nwhen = "anomaly"\nlimit = 3', "limit"),
        ('[[rules]]\nname = "x"', "rules"),
        ("[[rule]\n", "is not valid TOML"),
    ],
)
def test_a_bad_alerts_file_is_one_line_naming_it(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_rules(path)
    message = str(raised.value)
    assert message.startswith(f"ALERTS_FILE {path}")
    assert problem in message and "\n" not in message


def test_a_missing_alerts_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ALERTS_FILE .*nowhere.toml cannot be read"):
        load_rules(tmp_path / "nowhere.toml")


# --- a day judged -------------------------------------------------------------------------------


def test_an_anomalous_day_alerts_with_the_reports_numbers(
    engine: Engine, settings: Settings
) -> None:
    rows = steady_days(low_satisfaction=FRIDAY)
    tables = load(engine, settings, rows)

    [alert] = evaluate(engine, tables, DEFAULT_RULES, day_as_of(FRIDAY, SEOUL, NOW))

    assert (alert.rule.metric, alert.day, alert.through) == ("satisfaction_rate", FRIDAY, None)
    # The report of the week holding it finds the same anomaly, with the same numbers.
    week = compute_insights(engine, tables, Period.week_of(FRIDAY, SEOUL), prices=None)
    [anomaly] = week.anomalies
    assert (anomaly.date, anomaly.metric) == (FRIDAY, "satisfaction_rate")
    assert alert.value == anomaly.value == 5 / 25
    assert alert.baseline_median == anomaly.baseline_median
    assert alert.robust_z == anomaly.robust_z
    assert (alert.observations, alert.baseline_days) == (25, 8)
    # The conversations behind it: the report's latest dislikes of the day, with their texts.
    report = compute(engine, tables, day_as_of(FRIDAY, SEOUL, NOW), worst_limit=3)
    assert alert.worst == report.disliked
    friday_dislikes = {
        f["conversation_id"]: f["comment"]
        for f in rows.feedback
        if f["feedback"] == "dislike" and f["created_at"].date() == FRIDAY
    }
    assert len(alert.worst) == 3
    for c in alert.worst:
        assert c.comment == friday_dislikes[c.conversation_id]
        assert c.user_message == f"질문 {c.conversation_id}"


def test_a_normal_day_alerts_nothing(engine: Engine, settings: Settings) -> None:
    tables = load(engine, settings, steady_days())
    for day in (FRIDAY, SATURDAY):
        assert evaluate(engine, tables, DEFAULT_RULES, day_as_of(day, SEOUL, NOW)) == []


def test_today_so_far_is_compared_with_the_same_span_of_the_baseline_days(
    engine: Engine, settings: Settings
) -> None:
    rows = steady_days(busy_morning=SATURDAY)
    tables = load(engine, settings, rows)
    today = day_as_of(SATURDAY, SEOUL, NOW)

    [alert] = evaluate(engine, tables, DEFAULT_RULES, today)

    assert (alert.rule.metric, alert.day, alert.through) == ("conversations", SATURDAY, NOW)
    assert alert.value == 60  # 9:00 to 10:00 of the 90 conversations of its morning

    def before_ten(day_offset: int) -> int:
        day = SATURDAY - timedelta(weeks=day_offset)
        cut = NOW - timedelta(weeks=day_offset)
        return sum(
            1 for c in rows.conversations if c["created_at"].date() == day and c["created_at"] < cut
        )

    morning = [before_ten(week) for week in range(1, 9)]
    assert alert.baseline_median == statistics.median(morning)
    whole_days = [m + EVENING_CONVERSATIONS for m in morning]  # not what it is compared with
    assert alert.baseline_median != statistics.median(whole_days)


@pytest.mark.parametrize(("min_observations", "fires"), [(20, True), (1000, False)])
def test_a_threshold_rule_needs_its_observations(
    engine: Engine, settings: Settings, min_observations: int, fires: bool
) -> None:
    tables = load(engine, settings, steady_days())
    rule = AlertRule(
        name="slow",
        metric="latency_p95_ms",
        when="above",
        value=300,
        min_observations=min_observations,
    )
    friday = day_as_of(FRIDAY, SEOUL, NOW)

    alerts = evaluate(engine, tables, (rule,), friday)

    if not fires:
        assert alerts == []
        return
    [alert] = alerts
    numbers = compute(engine, tables, friday)
    assert alert.value == numbers.current.latency_p95_ms
    assert alert.observations == numbers.current.conversations
    assert alert.robust_z is None


RENAMED_SCHEMA = """
[conversations]
table = "chat_turns"
id = "turn_id"
user_message = "prompt"
latency_ms = "ms"
created_at = "ts"
created_at_unit = "s"
[feedback]
table = "ratings"
conversation_id = "turn"
feedback = "thumb"
comment = "note"
created_at = "rated_at"
created_at_unit = "ms"
like = ["up"]
dislike = ["down"]
[evaluations]
table = "judge_scores"
conversation_id = "turn"
score = "value"
created_at = "judged_at"
"""


def test_a_renamed_schema_alerts_through_its_mapping(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    schema = tmp_path / "schema.toml"
    schema.write_text(RENAMED_SCHEMA, encoding="utf-8")
    settings = settings.model_copy(update={"schema_file": schema})
    rows = steady_days(low_satisfaction=FRIDAY)
    metadata = sa.MetaData()
    turns = sa.Table(
        "chat_turns",
        metadata,
        sa.Column("turn_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("prompt", sa.Text),
        sa.Column("ms", sa.Integer),
        sa.Column("ts", sa.BigInteger),
    )
    ratings = sa.Table(
        "ratings",
        metadata,
        sa.Column("turn", sa.Integer),
        sa.Column("thumb", sa.String(10)),
        sa.Column("note", sa.Text),
        sa.Column("rated_at", sa.BigInteger),
    )
    scores = sa.Table(
        "judge_scores",
        metadata,
        sa.Column("turn", sa.Integer),
        sa.Column("value", sa.Numeric(4, 2)),
        sa.Column("judged_at", sa.DateTime),
    )
    create_all(metadata, engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(turns),
            [
                {
                    "turn_id": c["id"],
                    "prompt": c["user_message"],
                    "ms": c["latency_ms"],
                    "ts": int(c["created_at"].timestamp()),
                }
                for c in rows.conversations
            ],
        )
        conn.execute(
            sa.insert(ratings),
            [
                {
                    "turn": f["conversation_id"],
                    "thumb": "up" if f["feedback"] == "like" else "down",
                    "note": f["comment"],
                    "rated_at": int(f["created_at"].timestamp() * 1000),
                }
                for f in rows.feedback
            ],
        )
        conn.execute(
            sa.insert(scores),
            [
                {
                    "turn": e["conversation_id"],
                    "value": e["score"],
                    "judged_at": e["created_at"].astimezone(UTC).replace(tzinfo=None),
                }
                for e in rows.evaluations
            ],
        )
    tables = reflect_tables(engine, settings)

    [alert] = evaluate(engine, tables, DEFAULT_RULES, day_as_of(FRIDAY, SEOUL, NOW))

    assert (alert.rule.metric, alert.value, alert.observations) == ("satisfaction_rate", 0.2, 25)
    assert len(alert.worst) == 3
    for c in alert.worst:
        assert c.feedback == "dislike"
        assert (c.comment, c.user_message) == (
            f"틀린 답 {c.conversation_id}",
            f"질문 {c.conversation_id}",
        )
