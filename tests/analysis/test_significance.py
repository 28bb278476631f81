"""The statistics of the insights (significance.py) against scipy and statsmodels."""

from __future__ import annotations

import math
import warnings
from datetime import date

import hypothesis
import pytest
from hypothesis import strategies as st
from scipy.stats import binomtest, ttest_ind_from_stats
from scipy.stats import t as student_t
from statsmodels.stats import proportion

from aiops_report.analysis.significance import (
    ScoreSums,
    cohen_kappa,
    count_test,
    mean_test,
    proportion_test,
    robust_anomaly,
)

MONDAY = date(2026, 11, 16)


@pytest.mark.parametrize(
    ("value", "observations", "baseline", "flagged"),
    [
        (90.0, 90, [30.0, 31, 32, 33, 34, 30], True),
        (90.0, 19, [30.0, 31, 32, 33, 34, 30], False),  # too few observations that day
        (90.0, 90, [30.0, 31, 32, 33, 34], False),  # a baseline of five days
        (90.0, 90, [30.0] * 8, False),  # MAD 0
        (32.0 + 3.4 / 0.6745, 90, [30.0, 31, 32, 33, 34, 32, 31, 33], False),  # |z| = 3.4
        (32.0 + 3.6 / 0.6745, 90, [30.0, 31, 32, 33, 34, 32, 31, 33], True),
    ],
)
def test_anomaly_thresholds(
    value: float, observations: int, baseline: list[float], flagged: bool
) -> None:
    found = robust_anomaly(MONDAY, "conversations", value, observations, baseline)

    assert (found is not None) == flagged


@hypothesis.settings(max_examples=200, deadline=None)
@hypothesis.given(
    rated=st.integers(1, 5000),
    previous_rated=st.integers(1, 5000),
    like_share=st.floats(0, 1),
    previous_like_share=st.floats(0, 1),
)
def test_proportion_test_equals_statsmodels(
    rated: int, previous_rated: int, like_share: float, previous_like_share: float
) -> None:
    """The hand-written Newcombe interval and score test are statsmodels' own."""
    likes, previous_likes = round(rated * like_share), round(previous_rated * previous_like_share)
    args = (likes, rated, previous_likes, previous_rated)

    result = proportion_test(*args)

    low, high = proportion.confint_proportions_2indep(*args, method="newcomb", compare="diff")
    with warnings.catch_warnings():  # no variance: statsmodels divides by zero, we say None
        warnings.simplefilter("ignore", RuntimeWarning)
        p_value = proportion.test_proportions_2indep(*args, method="score", compare="diff").pvalue
    assert result.ci_low == pytest.approx(low, abs=1e-12)
    assert result.ci_high == pytest.approx(high, abs=1e-12)
    if math.isnan(p_value):
        assert result.p_value is None
    else:
        assert result.p_value == pytest.approx(p_value, rel=1e-9, abs=1e-15)


@hypothesis.settings(max_examples=100, deadline=None)
@hypothesis.given(current=st.integers(0, 100_000), previous=st.integers(0, 100_000))
def test_count_test_is_scipys_exact_binomial_test(current: int, previous: int) -> None:
    result = count_test(current, previous)

    if current + previous == 0:
        assert result.p_value is None
    else:
        expected = binomtest(current, current + previous)
        ci = expected.proportion_ci(confidence_level=0.95, method="exact")
        assert result.p_value == pytest.approx(expected.pvalue)
        # Compared as proportions, p = r / (1 + r): near p = 1, r = p / (1 - p) magnifies the
        # last bits in which two ways of inverting the beta function differ.
        assert result.ci_low is not None
        assert result.ci_low / (1 + result.ci_low) == pytest.approx(ci.low)
        if ci.high == 1:
            assert result.ci_high is None
        else:
            assert result.ci_high is not None
            assert result.ci_high / (1 + result.ci_high) == pytest.approx(ci.high)
    assert result.enough_data == (min(current, previous) >= 30)


@pytest.mark.parametrize(
    ("current", "previous"),
    [([7.0, 8, 9, 6, 7, 8], [5.0, 6, 5, 7, 6]), ([1.0, 10, 3], [9.0, 9, 8, 2])],
)
def test_mean_test_is_welchs_t_test(current: list[float], previous: list[float]) -> None:
    def sums(scores: list[float]) -> ScoreSums:
        return ScoreSums(len(scores), sum(scores), sum(s * s for s in scores))

    def stats(scores: list[float]) -> tuple[float, float, int]:
        mean = sum(scores) / len(scores)
        sd = math.sqrt(sum((s - mean) ** 2 for s in scores) / (len(scores) - 1))
        return mean, sd, len(scores)

    result = mean_test(sums(current), sums(previous))

    expected = ttest_ind_from_stats(*stats(current), *stats(previous), equal_var=False)
    assert result.p_value == pytest.approx(expected.pvalue)
    (m1, sd1, n1), (m0, sd0, n0) = stats(current), stats(previous)
    e1, e0 = sd1**2 / n1, sd0**2 / n0
    df = (e1 + e0) ** 2 / (e1**2 / (n1 - 1) + e0**2 / (n0 - 1))
    half = student_t.ppf(0.975, df) * math.sqrt(e1 + e0)
    assert result.ci_low == pytest.approx(m1 - m0 - half)
    assert result.ci_high == pytest.approx(m1 - m0 + half)


def test_cohen_kappa_of_perfect_chance_and_undefined_agreement() -> None:
    assert cohen_kappa(10, 0, 0, 10) == 1.0
    assert cohen_kappa(5, 5, 5, 5) == 0.0
    assert cohen_kappa(0, 0, 0, 0) is None
    assert cohen_kappa(10, 0, 0, 0) is None  # one rater always says the same
