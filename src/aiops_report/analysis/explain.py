"""Why a rate changed: the exact split of a change into a mix part and a rate part.

For a metric (satisfaction_rate, avg_score) and a dimension D (model, segment, a dimension
column), over the previous week (0) and the reported week (1), each week's rows are grouped by
their conversation's value of D (`None`: no conversation, or no value). A group's weight is its
likes + dislikes (its scores), its value likes / (likes + dislikes) (their mean); its share
`c_t,i` is its weight over the week's; `R_t = Σ c_t,i · r_t,i` is the week's figure. A group
present in one week only takes its observed value for the other (its whole part is mix).
With `r̄_i`, `c̄_i`, `R̄` the means of the two weeks:

    mix_i  = (c_1,i − c_0,i) · (r̄_i − R̄)
    rate_i = c̄_i · (r_1,i − r_0,i)
    Σ mix_i + Σ rate_i = R_1 − R_0

The identity holds exactly: everything is computed in `fractions.Fraction` from the integer
counts and the score sums as the database returns them (a float or a Decimal converts to a
Fraction without rounding), and only the JSON rounds, to floats. `simpson` is set when the
change and the rate part have opposite signs: the whole moved one way while the groups, on
their own, moved the other. The rate part's z is `Σ rate_i / sqrt(Σ c̄_i² · v_i)` over the
groups present in both weeks (`v_i` the variance of `r_1,i − r_0,i`), with its two-sided
p-value (floats: a p-value is a statistic, not a total).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from aiops_report.analysis.significance import two_sided_p_value

EXPLAINED_METRICS = ("satisfaction_rate", "avg_score")
Group = str | None  # None: rows whose conversation is missing or has no value of D
# A part of a split: a Fraction as computed, a float once shown (Split.as_floats, JSON).
Number = Fraction | float


@dataclass(frozen=True)
class GroupTotals:
    """One group's rows in one week: `weight` observations, the `total` and the sum of
    `squares` of their values (a like is 1, a dislike 0; a score is itself)."""

    weight: int = 0
    total: Fraction = Fraction(0)
    squares: Fraction = Fraction(0)

    def __add__(self, other: GroupTotals) -> GroupTotals:
        return GroupTotals(
            self.weight + other.weight, self.total + other.total, self.squares + other.squares
        )

    @property
    def value(self) -> Fraction | None:
        """The group's rate or mean score; None without observations."""
        return self.total / self.weight if self.weight else None

    def variance_of_value(self, metric: str) -> float:
        """The variance of `value` as an estimate: binomial r(1 − r)/n for satisfaction,
        s²/n (s² the sample variance, ddof 1) for a mean score; 0 below two scores, where the
        sample variance is undefined (as r(1 − r) is 0 for one thumb)."""
        n = self.weight
        if metric == "satisfaction_rate":
            r = self.total / n
            return float(r * (1 - r) / n)
        if n < 2:
            return 0.0
        # Exact, so equal scores give exactly 0 and never a hair below it.
        sample_variance = (self.squares - self.total**2 / n) / (n - 1)
        return float(max(sample_variance, Fraction(0)) / n)


def rating_totals(likes: int, dislikes: int) -> GroupTotals:
    """A group's thumbs: weight likes + dislikes, value likes / (likes + dislikes)."""
    return GroupTotals(likes + dislikes, Fraction(likes), Fraction(likes))


def score_totals(count: int, total: Any, squares: Any = 0) -> GroupTotals:
    """A group's scores from COUNT, SUM and SUM of squares as the database returns them
    (int, float or Decimal: each converts to a Fraction exactly; None is 0)."""
    return GroupTotals(int(count or 0), exact(total), exact(squares))


def exact(value: Any) -> Fraction:
    """`value` (int, float, Decimal, None) as the Fraction it is, without rounding."""
    if value is None:
        return Fraction(0)
    if isinstance(value, Fraction | int | Decimal):
        return Fraction(value)
    return Fraction(float(value))


@dataclass(frozen=True)
class GroupPart:
    """One group's shares, values and parts of the change (values None where the group had
    no rows that week; its share is then 0)."""

    group: Group
    share_previous: Number
    share_current: Number
    value_previous: Number | None
    value_current: Number | None
    mix: Number
    rate: Number

    @property
    def part(self) -> Number:
        return self.mix + self.rate


@dataclass(frozen=True)
class Split:
    """The change of `metric` from the previous week to this one, split by `dimension`.

    `change == mix + rate` exactly, and `mix`, `rate` are the sums of the groups' parts.
    `groups` come largest |mix + rate| first (then by name, `None` last): the order is the
    data's, never the order the groups were read in.
    """

    metric: str
    dimension: str
    previous: Number
    current: Number
    change: Number
    mix: Number
    rate: Number
    simpson: bool
    rate_z: float | None
    rate_p_value: float | None
    groups: tuple[GroupPart, ...]

    def explained_part(self) -> Fraction:
        """How much of the change this dimension explains, over |change|: the traffic that
        moved between its groups, |Σ mix|, plus how unevenly its groups' own values moved,
        Σ |rate_i − c̄_i · Σ rate| (0 when each group moved alike); 0 when nothing changed.

        A change every group shares alike, with no traffic moved, is explained by no
        dimension: it scores 0 (a dimension of one group always does). The largest |part| of
        one group alone would not tell: a shift from one group to another splits its mix
        between both, and a dimension of two groups that fell alike gives one of them half.
        """
        if self.change == 0:
            return Fraction(0)
        rate = Fraction(self.rate)
        uneven = sum(
            (
                _size(
                    Fraction(g.rate)
                    - (Fraction(g.share_previous) + Fraction(g.share_current)) / 2 * rate
                )
                for g in self.groups
            ),
            Fraction(0),
        )
        return (_size(self.mix) + uneven) / _size(self.change)

    def top_mix(self) -> GroupPart | None:
        """The group whose share moved the change most (None when no share moved)."""
        moved = [g for g in self.groups if g.mix != 0]
        return max(moved, key=lambda g: _size(g.mix), default=None)

    def top_rate(self) -> GroupPart | None:
        """The group whose own value moved the change most (None when none moved)."""
        moved = [g for g in self.groups if g.rate != 0]
        return max(moved, key=lambda g: _size(g.rate), default=None)

    def as_floats(self) -> Split:
        """This split as it is shown and kept (JSON): every number a float, nearest to its
        Fraction (the parts then sum to the change within a float's rounding)."""
        return Split.from_dict(self.metric, self.dimension, self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """The JSON document: every number a float (their exact sum is the Fractions')."""
        return {
            "previous": float(self.previous),
            "current": float(self.current),
            "change": float(self.change),
            "mix": float(self.mix),
            "rate": float(self.rate),
            "simpson": self.simpson,
            "rate_z": self.rate_z,
            "rate_p_value": self.rate_p_value,
            "groups": [
                {
                    "group": g.group,
                    "share_previous": float(g.share_previous),
                    "share_current": float(g.share_current),
                    "value_previous": _float(g.value_previous),
                    "value_current": _float(g.value_current),
                    "mix": float(g.mix),
                    "rate": float(g.rate),
                }
                for g in self.groups
            ],
        }

    @classmethod
    def from_dict(cls, metric: str, dimension: str, document: dict[str, Any]) -> Split:
        """The split of a `to_dict` document (a report's JSON twin), its numbers floats."""
        return cls(
            metric=metric,
            dimension=dimension,
            previous=float(document["previous"]),
            current=float(document["current"]),
            change=float(document["change"]),
            mix=float(document["mix"]),
            rate=float(document["rate"]),
            simpson=bool(document["simpson"]),
            rate_z=document.get("rate_z"),
            rate_p_value=document["rate_p_value"],
            groups=tuple(
                GroupPart(
                    group=g["group"],
                    share_previous=float(g["share_previous"]),
                    share_current=float(g["share_current"]),
                    value_previous=_float(g["value_previous"]),
                    value_current=_float(g["value_current"]),
                    mix=float(g["mix"]),
                    rate=float(g["rate"]),
                )
                for g in document["groups"]
            ),
        )


def split_change(
    metric: str,
    dimension: str,
    previous: Mapping[Group, GroupTotals],
    current: Mapping[Group, GroupTotals],
) -> Split | None:
    """The exact split of the change of `metric` by `dimension`; None when either week has no
    observation (no change to split). Groups of weight 0 are absent from their week."""
    before = {g: t for g, t in previous.items() if t.weight}
    after = {g: t for g, t in current.items() if t.weight}
    weight_before = sum(t.weight for t in before.values())
    weight_after = sum(t.weight for t in after.values())
    if not weight_before or not weight_after:
        return None
    whole_before = sum((t.total for t in before.values()), Fraction(0)) / weight_before
    whole_after = sum((t.total for t in after.values()), Fraction(0)) / weight_after
    whole_mean = (whole_before + whole_after) / 2
    parts = []
    spread = 0.0  # Σ c̄_i² v_i over the groups of both weeks
    # In the groups' order, never the reading's: the float sum `spread` must not depend on it.
    for group in sorted(set(before) | set(after), key=_order):
        share0 = Fraction(before[group].weight, weight_before) if group in before else Fraction(0)
        share1 = Fraction(after[group].weight, weight_after) if group in after else Fraction(0)
        value0 = before[group].value if group in before else None
        value1 = after[group].value if group in after else None
        # A group of one week only takes its observed value for the other: no rate part.
        r0 = value0 if value0 is not None else value1
        r1 = value1 if value1 is not None else value0
        assert r0 is not None and r1 is not None
        mean_share = (share0 + share1) / 2
        parts.append(
            GroupPart(
                group=group,
                share_previous=share0,
                share_current=share1,
                value_previous=value0,
                value_current=value1,
                mix=(share1 - share0) * ((r0 + r1) / 2 - whole_mean),
                rate=mean_share * (r1 - r0),
            )
        )
        if group in before and group in after:
            variance = before[group].variance_of_value(metric) + after[group].variance_of_value(
                metric
            )
            spread += float(mean_share) ** 2 * variance
    parts.sort(key=lambda g: (-_size(g.part), *_order(g.group)))
    mix = sum((g.mix for g in parts), Fraction(0))
    rate = sum((g.rate for g in parts), Fraction(0))
    change = whole_after - whole_before
    z = float(rate) / math.sqrt(spread) if spread > 0 else None
    return Split(
        metric=metric,
        dimension=dimension,
        previous=whole_before,
        current=whole_after,
        change=change,
        mix=mix,
        rate=rate,
        simpson=change * rate < 0,
        rate_z=z,
        rate_p_value=None if z is None else two_sided_p_value(z),
        groups=tuple(parts),
    )


def explaining_most(splits: Mapping[str, Split]) -> Split | None:
    """The split of the dimension that explains most of the change (Split.explained_part),
    the first on a tie; None when there is none, nothing changed, or no dimension explains
    any of it (every group moved alike)."""
    scored = [(s.explained_part(), s) for s in splits.values()]
    best = max(scored, key=lambda each: each[0], default=None)
    return best[1] if best is not None and best[0] > 0 else None


def _size(value: Number) -> Fraction:
    """|value|, exactly (a float is the Fraction it is)."""
    return abs(Fraction(value))


def _order(group: Group) -> tuple[bool, str]:
    return group is None, group or ""


def _float(value: Number | None) -> float | None:
    return None if value is None else float(value)
