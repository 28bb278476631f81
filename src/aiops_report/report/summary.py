"""What the report says in words: which metrics it shows and the highlights of the week."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aiops_report.metrics import ReportNumbers
from aiops_report.texts import DURATIONS, RATES, SCORES, Texts, format_amount, format_value

# The KPI table's rows, in order; a metric that needs an optional column is listed with it.
KPI_METRICS = (
    "conversations",
    "unique_users",
    "feedback_total",
    "likes",
    "dislikes",
    "satisfaction_rate",
    "evaluations",
    "avg_score",
    "latency_p50_ms",
    "latency_p95_ms",
    "total_tokens",
)
NEEDS_FEATURE = {
    "unique_users": "users",
    "latency_p50_ms": "latency",
    "latency_p95_ms": "latency",
    "total_tokens": "tokens",
}
# p50 and p95 latency mostly move together: the highlights speak of p95, the one users feel.
NOT_HIGHLIGHTED = frozenset({"latency_p50_ms"})
MIN_HIGHLIGHTS, MAX_HIGHLIGHTS = 3, 5
NOTABLE = 1.0  # percent (or percentage points): a smaller change is a 4th or 5th highlight only
BETTER_WHEN_HIGHER = frozenset(
    {"conversations", "unique_users", "likes", "satisfaction_rate", "avg_score"}
)
BETTER_WHEN_LOWER = frozenset({"dislikes", "latency_p50_ms", "latency_p95_ms"})

Tone = Literal["good", "bad", "neutral"]


@dataclass(frozen=True)
class Highlight:
    text: str
    went_up: bool
    tone: Tone


def tone(name: str, change: float | None) -> Tone:
    """Whether a change of `name` is good news, bad news, or neither (tokens, counts of work)."""
    if not change:
        return "neutral"
    if name in BETTER_WHEN_HIGHER:
        return "good" if change > 0 else "bad"
    if name in BETTER_WHEN_LOWER:
        return "bad" if change > 0 else "good"
    return "neutral"


def shown_metrics(numbers: ReportNumbers) -> list[str]:
    """The KPI rows this report's schema allows."""
    return [
        name
        for name in KPI_METRICS
        if name not in NEEDS_FEATURE or NEEDS_FEATURE[name] in numbers.features
    ]


def highlights(numbers: ReportNumbers, texts: Texts) -> list[Highlight]:
    """Sentences on the largest changes, largest first: 3 at least (when there are that many
    changes), up to 5 when the further ones are notable. Rates rank by percentage points."""
    ranked = []
    for name in shown_metrics(numbers):
        if name in NOT_HIGHLIGHTED:
            continue
        change = numbers.change[name]
        size = change.absolute if name in RATES else change.relative
        if size is not None and size != 0:
            ranked.append((abs(size) * 100, name))
    ranked.sort(reverse=True)
    chosen = [
        name
        for rank, (size, name) in enumerate(ranked[:MAX_HIGHLIGHTS])
        if rank < MIN_HIGHLIGHTS or size >= NOTABLE
    ]
    return [_sentence(numbers, name, texts) for name in chosen]


def _sentence(numbers: ReportNumbers, name: str, texts: Texts) -> Highlight:
    change = numbers.change[name]
    assert change.absolute is not None
    went_up = change.absolute > 0
    kind = "level" if name in RATES | SCORES else "duration" if name in DURATIONS else "count"
    up, down = texts.verbs[kind]
    text = texts.highlight.format(
        subject=texts.subject(texts.subjects[name]),
        amount=format_amount(name, change, texts),
        verb=up if went_up else down,
        before=format_value(name, getattr(numbers.previous, name)),
        after=format_value(name, getattr(numbers.current, name)),
    )
    return Highlight(text, went_up, tone(name, change.absolute))
