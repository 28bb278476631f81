"""What the report says in words: which metrics it shows and the highlights of the week."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from aiops_report.analysis.metrics import ReportNumbers
from aiops_report.texts.formats import format_amount, format_value, shorten
from aiops_report.texts.report import DURATIONS, RATES, SCORES, Texts

if TYPE_CHECKING:
    from aiops_report.analysis.insight_parts import ModelStats
    from aiops_report.analysis.themes import Theme

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
MIN_RATED_FOR_WORST = 30  # likes + dislikes a model needs before it can be called the worst
UNKNOWN_MODEL = "(unknown)"  # as insight_parts.UNKNOWN_MODEL: not a model anyone can act on
NAME_LIMIT = 40  # characters of a model name or complaint term in a sentence

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


def worst_model(numbers: ReportNumbers) -> ModelStats | None:
    """The model with the lowest satisfaction rate, among at least two with 30 ratings each."""
    insights = numbers.insights
    if insights is None or not insights.by_model:
        return None
    rated = [
        m
        for m in insights.by_model
        if m.satisfaction_rate is not None
        and m.likes + m.dislikes >= MIN_RATED_FOR_WORST
        and m.model != UNKNOWN_MODEL
    ]
    if len(rated) < 2:
        return None
    return min(rated, key=lambda m: (m.satisfaction_rate or 0.0, m.model))


def rising_theme(numbers: ReportNumbers) -> Theme | None:
    """The complaint that rose most since the previous period (then the most frequent)."""
    insights = numbers.insights
    if insights is None or not insights.themes:
        return None
    rising = [theme for theme in insights.themes if theme.count > theme.previous_count]
    if not rising:
        return None
    return max(rising, key=lambda theme: (theme.count - theme.previous_count, theme.count))


def is_significant(numbers: ReportNumbers, name: str) -> bool:
    """Whether the insights' test calls the change of `name` significant (never without one)."""
    insights = numbers.insights
    return insights is not None and name in insights.changes and insights.changes[name].significant


def highlights(numbers: ReportNumbers, texts: Texts) -> list[Highlight]:
    """Sentences on the week: significant changes first, then the worst model and the rising
    complaint, then the metrics that are new (nothing to compare with last week: one
    sentence), then the other changes, largest first. 3 at least (when there are that many),
    up to 5 when the further ones are notable. Rates rank by percentage points."""
    ranked = []
    for name in shown_metrics(numbers):
        if name in NOT_HIGHLIGHTED:
            continue
        change = numbers.change[name]
        size = change.absolute if name in RATES else change.relative
        if size is not None and size != 0 and not change.new:
            ranked.append((abs(size) * 100, name))
    ranked.sort(reverse=True)
    # (notable, sentence): a sentence that is not notable is only one of the first three.
    candidates = [
        (True, _sentence(numbers, name, texts))
        for _, name in ranked
        if is_significant(numbers, name)
    ]
    candidates += [(True, sentence) for sentence in _insight_sentences(numbers, texts)]
    if new := _new_sentence(numbers, texts):
        candidates.append((True, new))
    candidates += [
        (size >= NOTABLE, _sentence(numbers, name, texts))
        for size, name in ranked
        if not is_significant(numbers, name)
    ]
    return [
        sentence
        for rank, (notable, sentence) in enumerate(candidates[:MAX_HIGHLIGHTS])
        if rank < MIN_HIGHLIGHTS or notable
    ]


def _insight_sentences(numbers: ReportNumbers, texts: Texts) -> list[Highlight]:
    """The worst model and the rising complaint, when the insights name them."""
    words, found = texts.insights, []
    if worst := worst_model(numbers):
        text = words.highlight_worst_model.format(
            model=shorten(worst.model, NAME_LIMIT),
            rate=format_value("satisfaction_rate", worst.satisfaction_rate),
            overall=format_value("satisfaction_rate", numbers.current.satisfaction_rate),
        )
        found.append(Highlight(text, went_up=False, tone="bad"))
    if theme := rising_theme(numbers):
        text = words.highlight_rising_theme.format(
            term=shorten(theme.term, NAME_LIMIT),
            count=f"{theme.count:,}",
            previous=f"{theme.previous_count:,}",
        )
        found.append(Highlight(text, went_up=True, tone="bad"))
    return found


def _new_sentence(numbers: ReportNumbers, texts: Texts) -> Highlight | None:
    """One sentence naming the metrics that have a value now and had none (or no count) last
    week: a change against nothing is not a growth."""
    new = [
        name
        for name in shown_metrics(numbers)
        if name not in NOT_HIGHLIGHTED and numbers.change[name].new
    ]
    if not new:
        return None
    listed = ", ".join(texts.metrics[name] for name in new)
    return Highlight(texts.highlight_new.format(metrics=listed), went_up=True, tone="neutral")


def _sentence(numbers: ReportNumbers, name: str, texts: Texts) -> Highlight:
    change = numbers.change[name]
    assert change.absolute is not None
    went_up = change.absolute > 0
    kind = "level" if name in RATES | SCORES else "duration" if name in DURATIONS else "count"
    up, down = texts.verbs[kind]
    template = texts.highlight_significant if is_significant(numbers, name) else texts.highlight
    text = template.format(
        subject=texts.subject(texts.subjects[name]),
        amount=format_amount(name, change, texts),
        verb=up if went_up else down,
        before=format_value(name, getattr(numbers.previous, name)),
        after=format_value(name, getattr(numbers.current, name)),
    )
    return Highlight(text, went_up, tone(name, change.absolute))
