"""Alert rules: the optional ALERTS_FILE (TOML), or the built-in rules when it is unset.

    [[rule]]
    name = "만족도 급락"
    metric = "satisfaction_rate"     # any metric of the report's KPIs
    when = "anomaly"                 # anomaly | below | above
    [[rule]]
    name = "느린 응답"
    metric = "latency_p95_ms"
    when = "above"
    value = 3000
    min_observations = 50            # no alert on a handful of rows
    explain = false                  # satisfaction and score alerts say which group drove
                                     # them unless told not to (explain.py)

Without the file, a day whose satisfaction rate, average score, conversations or p95 latency
is anomalous (the report's robust z against the same weekday of the 8 weeks before) alerts.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from aiops_report.analysis.explain import EXPLAINED_METRICS
from aiops_report.analysis.metrics import METRIC_NAMES
from aiops_report.analysis.significance import MIN_DAY_OBSERVATIONS
from aiops_report.errors import ConfigError

Condition = Literal["anomaly", "below", "above"]


class AlertRule(BaseModel):
    """One rule: `metric` of a day is anomalous, or below / above `value`, on at least
    `min_observations` observations (default: the report's 20 a day)."""

    # nan compares false with everything: a rule of value = nan would never fire
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(min_length=1)
    metric: str
    when: Condition
    value: float | None = None
    min_observations: int = Field(default=MIN_DAY_OBSERVATIONS, ge=0)
    # Say which group drove the day (the split of its change against the same weekday a week
    # before): None is yes for satisfaction_rate and avg_score, the metrics that split.
    explain: bool | None = None

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, metric: str) -> str:
        if metric not in METRIC_NAMES:
            raise ValueError(f"unknown metric {metric!r}; use one of {', '.join(METRIC_NAMES)}")
        return metric

    @model_validator(mode="after")
    def _value_with_threshold(self) -> AlertRule:
        if self.when == "anomaly" and self.value is not None:
            raise ValueError('value is for when = "below" or "above", not "anomaly"')
        if self.when != "anomaly" and self.value is None:
            raise ValueError(f'when = "{self.when}" needs a value, e.g. value = 3000')
        if self.explain and self.metric not in EXPLAINED_METRICS:
            raise ValueError(
                f"explain is for {' and '.join(EXPLAINED_METRICS)}: {self.metric} does not split"
            )
        return self

    @property
    def explains(self) -> bool:
        """True when an alert of this rule says which group drove it."""
        return self.metric in EXPLAINED_METRICS and self.explain is not False

    @property
    def key(self) -> str:
        """A short fingerprint of the rule: the same rule keeps it, a changed one gets another."""
        # A rule written before `explain` existed keeps its fingerprint (and its alerts are
        # not sent again).
        unset = {"explain"} if self.explain is None else None
        return hashlib.sha256(self.model_dump_json(exclude=unset).encode()).hexdigest()[:16]


class _AlertsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: list[AlertRule] = Field(min_length=1)


DEFAULT_RULES = tuple(
    AlertRule(name=name, metric=metric, when="anomaly")
    for name, metric in (
        ("satisfaction rate anomaly", "satisfaction_rate"),
        ("average score anomaly", "avg_score"),
        ("conversations anomaly", "conversations"),
        ("p95 latency anomaly", "latency_p95_ms"),
    )
)


def load_rules(alerts_file: Path | None) -> tuple[AlertRule, ...]:
    """The rules of `alerts_file`, or DEFAULT_RULES when it is None.

    Raises ConfigError (one line naming the file and the problem).
    """
    if alerts_file is None:
        return DEFAULT_RULES
    where = f"ALERTS_FILE {alerts_file}"
    try:
        raw = tomllib.loads(alerts_file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{where} cannot be read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}") from None
    try:
        return tuple(_AlertsFile.model_validate(raw).rule)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_location(error['loc'])}: {error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors()
        )
        raise ConfigError(f"{where}: {problems}") from None


def _location(location: tuple[int | str, ...]) -> str:
    """('rule', 1, 'value') as 'rule 2 value' (rules counted from 1, as a reader does)."""
    parts = [str(p + 1) if isinstance(p, int) else p for p in location]
    return " ".join(parts) or "the file"
