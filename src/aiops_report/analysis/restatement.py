"""Whether a delivered week's headline numbers moved enough, since it was delivered, to be
restated (RESTATE_THRESHOLD): rows that land late change a week after it went out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiops_report.analysis.metrics import PeriodMetrics
from aiops_report.data.config import RestateThreshold

# The numbers a delivery is held to: what its message and its KPI table lead with.
HEADLINE = (
    "conversations",
    "feedback_total",
    "likes",
    "dislikes",
    "satisfaction_rate",
    "evaluations",
    "avg_score",
)
# Compared by their relative change (RESTATE_THRESHOLD's %); satisfaction by its points.
RELATIVE = frozenset(HEADLINE) - {"satisfaction_rate"}

Figures = Mapping[str, float | None]


def headline(metrics: PeriodMetrics) -> dict[str, float | None]:
    """The headline figures of a period, as a delivery records them."""
    return {name: getattr(metrics, name) for name in HEADLINE}


@dataclass(frozen=True)
class Restatement:
    """A delivered week whose figures moved: those delivered, today's, and which moved more
    than the threshold (in HEADLINE's order)."""

    before: Figures
    after: Figures
    moved: tuple[str, ...]


def compare(before: Figures, after: Figures, threshold: RestateThreshold) -> Restatement | None:
    """The restatement of `before` as `after`, or None when no figure moved by more than
    `threshold` (a figure that appears or disappears has moved)."""
    moved = tuple(
        name for name in HEADLINE if _moved(name, before.get(name), after.get(name), threshold)
    )
    return Restatement(dict(before), dict(after), moved) if moved else None


def _moved(name: str, old: float | None, new: float | None, threshold: RestateThreshold) -> bool:
    limit = threshold.percent if name in RELATIVE else threshold.points
    if limit is None or old == new:
        return False
    if old is None or new is None:
        return True
    if name not in RELATIVE:  # satisfaction: percentage points
        return abs(new - old) * 100 > limit
    if old == 0:
        return True
    return abs(new - old) / abs(old) * 100 > limit
