"""An alert on satisfaction or score says which group drove it: the split of the day against
the same weekday a week before, by the dimension that explains most (ALERTS_FILE `explain`)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from aiops_report.analysis.alert_rules import DEFAULT_RULES, AlertRule, load_rules
from aiops_report.analysis.alerts import evaluate
from aiops_report.analysis.explain import split_change
from aiops_report.analysis.explain_reads import dimensions, week_groups
from aiops_report.data.config import Settings
from aiops_report.data.periods import Period
from aiops_report.data.tables import reflect_tables
from aiops_report.delivery.alerting import alert_document, alert_mail, alert_text
from aiops_report.errors import ConfigError
from explain_rows import SEOUL, STRONG, WEAK, load, schema_file

DAY = Period(date(2026, 11, 18), date(2026, 11, 19), SEOUL)  # a Wednesday of the paradox week
LOW = AlertRule(name="만족도 낮음", metric="satisfaction_rate", when="below", value=0.75)


@pytest.fixture
def dimensioned(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"schema_file": schema_file(tmp_path)})


def test_a_satisfaction_alert_names_the_traffic_that_moved(
    engine: Engine, dimensioned: Settings
) -> None:
    load(engine, dimensioned)
    tables = reflect_tables(engine, dimensioned)
    quiet = LOW.model_copy(update={"name": "조용히", "explain": False})

    alerts = {a.rule.name: a for a in evaluate(engine, tables, (LOW, quiet), DAY)}

    driver = alerts[LOW.name].driver
    assert driver is not None and driver.dimension == "model"
    assert alerts[quiet.name].driver is None
    # The day against the same weekday a week before, as plain grouped reads give it.
    with engine.connect() as conn:
        column = dimensions(tables)["model"]
        before = week_groups(
            conn,
            tables,
            Period(DAY.start - timedelta(weeks=1), DAY.end - timedelta(weeks=1), SEOUL),
            column,
        )
        after = week_groups(conn, tables, DAY, column)
    expected = split_change(
        "satisfaction_rate", "model", before.satisfaction_rate, after.satisfaction_rate
    )
    assert expected is not None and driver == expected.as_floats()
    text = alert_text(alerts[LOW.name], "ko")
    assert "원인 (지난주 같은 요일 대비): " in text
    assert f"{STRONG}에서 {WEAK} 쪽으로 옮겨간 트래픽" in text
    _, body = alert_mail(alerts[LOW.name], "en")
    assert f"traffic that moved from {STRONG} to {WEAK}" in body
    document = alert_document(alerts[LOW.name], "en")
    assert document["driver"]["dimension"] == "model"
    assert document["driver"]["mix"] + document["driver"]["rate"] == pytest.approx(
        document["driver"]["change"], abs=1e-12
    )
    assert alert_document(alerts[quiet.name], "en")["driver"] is None


def test_explain_is_for_the_metrics_that_split(tmp_path: Path) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text(
        '[[rule]]\nname = "x"\nmetric = "conversations"\nwhen = "anomaly"\nexplain = true\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="rule 1: explain is for satisfaction_rate and avg_score"):
        load_rules(path)
    assert [r.explains for r in DEFAULT_RULES] == [True, True, False, False]


def test_a_rule_keeps_its_fingerprint() -> None:
    """Alerts already sent are not sent again because the rules learnt `explain`."""
    assert DEFAULT_RULES[0].key == "e3019510b34720db"  # as docs/insights.md's example shows
    assert LOW.model_copy(update={"explain": False}).key != LOW.key
