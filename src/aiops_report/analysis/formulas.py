"""The metric definitions of docs/metrics.md, as functions of counts and sums.

The numbers (metrics.py), the insights and the dashboard all compute a rate, an average, a
percentile or a change through these, so that a number means the same wherever it shows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Sums of floating-point scores differ in their last bits between databases (summation
# order); averages are rounded so that every database reports the same number.
SCORE_DECIMALS = 6


# A relative change of a rate is not meaningful: its change is shown in percentage points.
NO_RELATIVE_CHANGE = frozenset({"satisfaction_rate"})


# Metrics that count things: 0 of them is "nothing" (a rate or an average of 0 is a value).
COUNT_METRICS = frozenset(
    {
        "conversations",
        "unique_users",
        "feedback_total",
        "likes",
        "dislikes",
        "evaluations",
        "total_tokens",
    }
)


@dataclass(frozen=True)
class Change:
    """The change of a metric from the previous period; `new` when the previous period had
    nothing to compare with (no value, or a count of 0) and this one has a value."""

    absolute: float | None
    relative: float | None
    new: bool = False


def change_between(current: float | None, previous: float | None, name: str) -> Change:
    """Absolute and relative change; None where either side is None (or previous is 0).

    `new` when the previous period had nothing (None, or a count of 0) and this one has a
    value: a change against nothing is not a growth.
    """
    new = current is not None and (
        previous is None or (name in COUNT_METRICS and previous == 0 and current != 0)
    )
    if current is None or previous is None:
        return Change(None, None, new)
    absolute = current - previous
    if isinstance(absolute, float):
        absolute = round(absolute, SCORE_DECIMALS + 2)
    relative = None
    if name not in NO_RELATIVE_CHANGE and previous != 0:
        relative = absolute / previous
    return Change(absolute, relative, new)


def percentile_cont(histogram: Iterable[tuple[float, int]], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont over values given as (value, how often) pairs (a value
    may come in several pairs: each day's counts of a period)."""
    return percentiles_cont(histogram, [fraction])[0]


def percentiles_cont(
    histogram: Iterable[tuple[float, int]], fractions: Sequence[float]
) -> list[float | None]:
    """`percentile_cont` of each of `fractions`, the pairs merged and sorted once."""
    counts: dict[float, int] = defaultdict(int)
    for value, count in histogram:
        counts[float(value)] += count
    pairs = sorted((value, count) for value, count in counts.items() if count)
    total = sum(count for _, count in pairs)
    return [_percentile(pairs, total, fraction) if total else None for fraction in fractions]


def _percentile(pairs: list[tuple[float, int]], total: int, fraction: float) -> float:
    """The percentile of (value, count) pairs in ascending order of value, `total` counts."""
    position = fraction * (total - 1)
    lower_rank = math.floor(position)
    lower = upper = None
    seen = 0
    for value, count in pairs:
        if lower is None and lower_rank < seen + count:
            lower = value
        if lower_rank + 1 < seen + count:
            upper = value
            break
        seen += count
    assert lower is not None
    if upper is None or position == lower_rank:
        return lower
    return lower + (upper - lower) * (position - lower_rank)


def satisfaction(likes: int, dislikes: int) -> float | None:
    return likes / (likes + dislikes) if likes + dislikes else None


def mean(total: float, count: int) -> float | None:
    return round(float(total) / count, SCORE_DECIMALS) if count else None
