"""The parts of a report's insights, as plain data: by model, by segment, the agreement, its
disagreements, whether the days could be judged; `Insights` holds them all and reads and
writes their JSON document."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from aiops_report.analysis.explain import Split
from aiops_report.analysis.significance import MIN_TEST_OBSERVATIONS, Anomaly, ChangeTest
from aiops_report.analysis.themes import Theme

UNKNOWN_MODEL = "(unknown)"  # conversations without a model, or with one no longer known


@dataclass(frozen=True)
class ModelStats:
    """One model's numbers in the period; None where a column is absent or a value undefined."""

    model: str
    conversations: int
    unique_users: int | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    total_tokens: int | None
    likes: int
    dislikes: int
    satisfaction_rate: float | None
    evaluations: int
    avg_score: float | None
    cost: float | None
    cost_per_like: float | None
    # Every feedback row of the model's conversations, whatever its value (None in reports
    # written before it was counted).
    feedback_total: int | None = None


@dataclass(frozen=True)
class SegmentStats:
    """One segment's numbers in the period (SCHEMA_FILE's segment column); the segments of a
    report sum to its whole, "(unknown)" holding rows whose conversation has no segment."""

    segment: str
    conversations: int
    unique_users: int | None
    feedback_total: int
    likes: int
    dislikes: int
    satisfaction_rate: float | None
    evaluations: int
    avg_score: float | None


def fold_segments(
    segments: list[SegmentStats], keep: int, name: str
) -> tuple[list[SegmentStats], SegmentStats | None]:
    """The first `keep` of `segments` (the largest: by_segment orders them), and one row named
    `name` that sums all the others (None when there are none): counts added, satisfaction
    from the summed likes and dislikes, the average score weighted by evaluations; distinct
    users are not additive, so unknown."""
    shown, rest = segments[:keep], segments[keep:]
    if not rest:
        return shown, None
    likes, dislikes = sum(s.likes for s in rest), sum(s.dislikes for s in rest)
    evaluations = sum(s.evaluations for s in rest)
    score_total = sum((s.avg_score or 0.0) * s.evaluations for s in rest)
    return shown, SegmentStats(
        segment=name,
        conversations=sum(s.conversations for s in rest),
        unique_users=None,
        feedback_total=sum(s.feedback_total for s in rest),
        likes=likes,
        dislikes=dislikes,
        satisfaction_rate=likes / (likes + dislikes) if likes + dislikes else None,
        evaluations=evaluations,
        avg_score=score_total / evaluations if evaluations else None,
    )


@dataclass(frozen=True)
class AnomaliesStatus:
    """Whether the period's days could be judged at all.

    `baseline_days`: the fewest days with conversations that one of the period's days has
    among the same weekdays of the 8 weeks before; `enough_history` when that is at least
    `needed` (6). `days_judged`: the whole days of the period (a day cut short by a
    week-to-date report is not judged against whole days). `days_with_history`: those of them
    with `needed` such days, the only ones an anomaly can be found on (None in reports written
    before it): a long range may have too little history for its first days and enough for
    its last.
    """

    enough_history: bool
    baseline_days: int
    needed: int
    days_judged: int
    days_with_history: int | None = None


@dataclass(frozen=True)
class Disagreement:
    """A like of a conversation the evaluator scored low, or a dislike of one it scored high."""

    conversation_id: Any
    feedback: str
    score: float  # the conversation's mean score, over all time
    comment: str | None
    model: str | None
    user_message: str | None
    ai_response: str | None


@dataclass(frozen=True)
class Agreement:
    """The period's likes and dislikes against the evaluator (good: mean score ≥ threshold)."""

    threshold: float
    like_good: int
    like_bad: int
    dislike_good: int
    dislike_bad: int
    agreement_rate: float | None
    kappa: float | None
    disagreements: list[Disagreement]


@dataclass(frozen=True)
class Insights:
    """What a report says beyond its headline numbers; a part is None without its columns."""

    by_model: list[ModelStats] | None
    unpriced_models: list[str]
    cost: float | None
    currency: str | None
    changes: dict[str, ChangeTest]
    anomalies: list[Anomaly]
    agreement: Agreement | None
    themes: list[Theme] | None
    missing: list[str]  # "part: needs table.column", one line per part left out
    anomalies_status: AnomaliesStatus | None = None  # None in reports written before it
    by_segment: list[SegmentStats] | None = None  # None without a segment column, or of one
    # {metric: {dimension: the split of its change}} (explain.py); None without a dimension
    # or a link from the ratings to their conversation, and in reports written before it.
    explain: dict[str, dict[str, Split]] | None = None

    def lowest_scored_model(self) -> ModelStats | None:
        """The model with the lowest average score among those with enough scores to tell
        (MIN_TEST_OBSERVATIONS); None when none has."""
        scored = [
            m
            for m in self.by_model or []
            if m.avg_score is not None and m.evaluations >= MIN_TEST_OBSERVATIONS
        ]
        return min(scored, key=lambda m: (m.avg_score, m.model), default=None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (no NaN or infinity: those are null)."""
        return {
            "by_model": None if self.by_model is None else [asdict(m) for m in self.by_model],
            "unpriced_models": self.unpriced_models,
            "cost": self.cost,
            "currency": self.currency,
            "changes": {name: asdict(change) for name, change in self.changes.items()},
            "anomalies": [{**asdict(a), "date": a.date.isoformat()} for a in self.anomalies],
            "anomalies_status": (
                None if self.anomalies_status is None else asdict(self.anomalies_status)
            ),
            "agreement": None if self.agreement is None else asdict(self.agreement),
            "themes": None if self.themes is None else [asdict(theme) for theme in self.themes],
            "missing": self.missing,
            "by_segment": (
                None if self.by_segment is None else [asdict(s) for s in self.by_segment]
            ),
            "explain": (
                None
                if self.explain is None
                else {
                    metric: {dimension: split.to_dict() for dimension, split in splits.items()}
                    for metric, splits in self.explain.items()
                }
            ),
        }

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> Insights:
        """The insights of a `to_dict` document (older ones lack `anomalies_status`)."""
        by_model, agreement, themes, status = (
            document["by_model"],
            document["agreement"],
            document["themes"],
            document.get("anomalies_status"),
        )
        return cls(
            by_model=None if by_model is None else [ModelStats(**m) for m in by_model],
            unpriced_models=document["unpriced_models"],
            cost=document["cost"],
            currency=document["currency"],
            changes={name: ChangeTest(**c) for name, c in document["changes"].items()},
            anomalies=[
                Anomaly(**{**a, "date": date.fromisoformat(a["date"])})
                for a in document["anomalies"]
            ],
            agreement=None
            if agreement is None
            else Agreement(
                **{
                    **agreement,
                    "disagreements": [Disagreement(**d) for d in agreement["disagreements"]],
                }
            ),
            themes=None if themes is None else [Theme(**theme) for theme in themes],
            missing=document["missing"],
            anomalies_status=None if status is None else AnomaliesStatus(**status),
            by_segment=(
                None
                if document.get("by_segment") is None
                else [SegmentStats(**each) for each in document["by_segment"]]
            ),
            explain=(
                None
                if document.get("explain") is None
                else {
                    metric: {
                        dimension: Split.from_dict(metric, dimension, split)
                        for dimension, split in splits.items()
                    }
                    for metric, splits in document["explain"].items()
                }
            ),
        )
