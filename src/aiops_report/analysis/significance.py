"""Is a change real: the tests, intervals, robust z and kappa behind the insights.

Each test takes counts and sums (never rows), so the same numbers the report shows are the
ones tested. The distributions come from scipy.special (its cumulative distribution functions
and their inverses): scipy.stats, whose results the tests compare with, takes 50 MB more to
import.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import date
from typing import Any

from scipy.special import bdtr, bdtrc, betaincinv, ndtr, ndtri, stdtr, stdtrit

from aiops_report.analysis.formulas import Change, change_between, mean, satisfaction

SIGNIFICANCE = 0.05


MIN_TEST_OBSERVATIONS = 30  # per period, for a change test to count


ROBUST_Z_LIMIT = 3.5


MIN_DAY_OBSERVATIONS = 20


MIN_BASELINE_DAYS = 6


@dataclass(frozen=True)
class ChangeTest:
    """A metric in both periods, the change, its 95% interval and p-value.

    `significant` is `p_value < 0.05` and `enough_data` (30 observations in each period);
    `new` when the previous period had nothing to compare with (formulas.change_between).
    """

    current: float | None
    previous: float | None
    delta: float | None
    relative: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    significant: bool
    enough_data: bool
    new: bool = False  # absent from reports written before it

    @property
    def change(self) -> Change:
        """The change alone, as a metric's change reads."""
        return Change(self.delta, self.relative, self.new)


@dataclass(frozen=True)
class Anomaly:
    """A day whose metric is more than 3.5 robust z from the same weekday of 8 weeks."""

    date: date
    metric: str
    value: float
    baseline_median: float
    robust_z: float
    direction: str  # "up" or "down"


@dataclass(frozen=True)
class ScoreSums:
    """COUNT, SUM and SUM of squares of non-NULL scores."""

    n: int = 0
    total: float = 0.0
    squares: float = 0.0

    def __add__(self, other: ScoreSums) -> ScoreSums:
        return ScoreSums(self.n + other.n, self.total + other.total, self.squares + other.squares)

    @property
    def variance(self) -> float | None:
        """The sample variance (ddof 1); None below two scores."""
        if self.n < 2:
            return None
        # Rounding can take a variance of equal scores a hair below 0.
        return max(0.0, (self.squares - self.total**2 / self.n) / (self.n - 1))


def finite(value: Any) -> float | None:
    """A float for JSON: None for None, NaN and infinity."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def change_test(
    name: str,
    current: float | None,
    previous: float | None,
    observations: tuple[int, int],
    interval: tuple[Any, Any] = (None, None),
    p_value: Any = None,
) -> ChangeTest:
    enough = min(observations) >= MIN_TEST_OBSERVATIONS
    change = change_between(current, previous, name)
    p = finite(p_value)
    return ChangeTest(
        current=current,
        previous=previous,
        delta=change.absolute,
        relative=change.relative,
        ci_low=finite(interval[0]),
        ci_high=finite(interval[1]),
        p_value=p,
        significant=enough and p is not None and p < SIGNIFICANCE,
        enough_data=enough,
        new=change.new,
    )


def count_test(current: int, previous: int) -> ChangeTest:
    """Conversations: scipy's binomtest(current, current + previous, 0.5), the exact
    conditional test of two counts over equal periods; the interval bounds current / previous,
    from the Clopper–Pearson interval of p = current / (current + previous) as p / (1 − p).
    """
    observations = (current, previous)
    n = current + previous
    if n == 0:
        return change_test("conversations", current, previous, observations)
    # Binomial(n, 1/2) is symmetric: the two-sided p-value is twice the nearer tail.
    tail = bdtr(current, n, 0.5) if 2 * current < n else bdtrc(current - 1, n, 0.5)
    p_value = min(1.0, 2 * float(tail))
    low = float(betaincinv(current, n - current + 1, 0.025)) if current > 0 else 0.0
    high = float(betaincinv(current + 1, n - current, 0.975)) if current < n else 1.0
    ratio = [p / (1 - p) if p < 1 else None for p in (low, high)]
    interval = (ratio[0], ratio[1])
    return change_test("conversations", current, previous, observations, interval, p_value)


def proportion_test(likes: int, rated: int, previous_likes: int, previous_rated: int) -> ChangeTest:
    """Satisfaction: Newcombe's hybrid score interval of current − previous, and the p-value
    of the score test of that difference: statsmodels' confint_proportions_2indep(method=
    "newcomb") and test_proportions_2indep(method="score"), compare="diff", written out with
    scipy (statsmodels' import alone takes 70 MB more; the tests check both agree).
    """
    current, previous = (
        satisfaction(likes, rated - likes),
        satisfaction(previous_likes, previous_rated - previous_likes),
    )
    observations = (rated, previous_rated)
    if not rated or not previous_rated:
        return change_test("satisfaction_rate", current, previous, observations)
    p1, p0 = likes / rated, previous_likes / previous_rated
    low1, high1 = wilson_interval(likes, rated)
    low0, high0 = wilson_interval(previous_likes, previous_rated)
    interval = (
        p1 - p0 - math.sqrt((p1 - low1) ** 2 + (high0 - p0) ** 2),
        p1 - p0 + math.sqrt((p0 - low0) ** 2 + (high1 - p1) ** 2),
    )
    # The score test of "no difference": the pooled rate, with Miettinen and Nurminen's
    # variance correction n / (n - 1). Equal rates of 0 or 1 leave no variance: no p-value.
    total = rated + previous_rated
    pooled = (likes + previous_likes) / total
    variance = pooled * (1 - pooled) * (1 / rated + 1 / previous_rated) * total / (total - 1)
    p_value = float(2 * ndtr(-abs(p1 - p0) / math.sqrt(variance))) if variance > 0 else None
    return change_test("satisfaction_rate", current, previous, observations, interval, p_value)


def two_sided_p_value(z: float) -> float:
    """The two-sided p-value of a standard normal z: 2 Φ(−|z|)."""
    return float(2 * ndtr(-abs(z)))


def wilson_interval(count: int, observations: int) -> tuple[float, float]:
    """Wilson's 95% score interval of the proportion count / observations."""
    z = float(ndtri(0.975))
    rate = count / observations
    denominator = 1 + z * z / observations
    center = (rate + z * z / (2 * observations)) / denominator
    spread = z * math.sqrt(rate * (1 - rate) / observations + z * z / (4 * observations**2))
    return center - spread / denominator, center + spread / denominator


def mean_test(current: ScoreSums, previous: ScoreSums) -> ChangeTest:
    """Average score: Welch's t-test from each period's count, mean and sample standard
    deviation, and Welch's interval of the difference of means (Welch–Satterthwaite df).
    """
    means = (mean(current.total, current.n), mean(previous.total, previous.n))
    observations = (current.n, previous.n)
    v1, v0 = current.variance, previous.variance
    if v1 is None or v0 is None or v1 / current.n + v0 / previous.n == 0:
        return change_test("avg_score", *means, observations)
    m1, m0 = current.total / current.n, previous.total / previous.n
    e1, e0 = v1 / current.n, v0 / previous.n
    df = (e1 + e0) ** 2 / (e1**2 / (current.n - 1) + e0**2 / (previous.n - 1))
    t = (m1 - m0) / math.sqrt(e1 + e0)
    p_value = 2 * float(stdtr(df, -abs(t)))
    half = float(stdtrit(df, 0.975)) * math.sqrt(e1 + e0)
    interval = (m1 - m0 - half, m1 - m0 + half)
    return change_test("avg_score", *means, observations, interval, p_value)


def robust_anomaly(
    day: date, metric: str, value: float | None, observations: int, baseline: list[float]
) -> Anomaly | None:
    """The anomaly of `value` against `baseline`, or None.

    robust z = 0.6745 × (value − median) / MAD, MAD = median of |baseline − median|; flagged
    when |z| > 3.5, the day has 20 observations, the baseline 6 days and MAD > 0.
    """
    if value is None or observations < MIN_DAY_OBSERVATIONS or len(baseline) < MIN_BASELINE_DAYS:
        return None
    median = statistics.median(baseline)
    mad = statistics.median(abs(v - median) for v in baseline)
    if mad <= 0:
        return None
    z = 0.6745 * (value - median) / mad
    if abs(z) <= ROBUST_Z_LIMIT:
        return None
    return Anomaly(day, metric, value, median, z, "up" if z > 0 else "down")


def cohen_kappa(like_good: int, like_bad: int, dislike_good: int, dislike_bad: int) -> float | None:
    """Cohen's kappa between "liked" and "good" as two raters; None when undefined."""
    n = like_good + like_bad + dislike_good + dislike_bad
    if n == 0:
        return None
    observed = (like_good + dislike_bad) / n
    liked, good = (like_good + like_bad) / n, (like_good + dislike_good) / n
    expected = liked * good + (1 - liked) * (1 - good)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)
