"""The split of a change into mix and rate, held to issue 25's definition with exact fractions."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from scipy import stats

from aiops_report.analysis.explain import (
    GroupTotals,
    Split,
    explaining_most,
    rating_totals,
    score_totals,
    split_change,
)

F = Fraction
GROUPS = ["gpt-4.1", "gpt-4.1-nano", "claude", None]

thumbs = st.tuples(st.integers(0, 400), st.integers(0, 400)).map(lambda t: rating_totals(*t))
# Scores as the database hands them back: floats with bits below any decimal, and Decimals.
score_values = st.one_of(
    st.floats(0, 10, allow_nan=False, width=64),
    st.decimals(0, 10, places=1, allow_nan=False).map(Decimal),
)


@st.composite
def scored(draw: st.DrawFn) -> GroupTotals:
    values = draw(st.lists(score_values, max_size=8))
    return sum(
        (score_totals(1, v, F(v) * F(v) if isinstance(v, Decimal) else v * v) for v in values),
        GroupTotals(),
    )


def weeks(
    totals: st.SearchStrategy[GroupTotals],
) -> st.SearchStrategy[dict[str | None, GroupTotals]]:
    return st.dictionaries(st.sampled_from(GROUPS), totals, min_size=1)


both_metrics = st.one_of(
    st.tuples(st.just("satisfaction_rate"), weeks(thumbs), weeks(thumbs)),
    st.tuples(st.just("avg_score"), weeks(scored()), weeks(scored())),
)


def whole(week: dict[str | None, GroupTotals]) -> Fraction | None:
    """The report's own figure of a week, from the rows' totals (no grouping)."""
    weight = sum(t.weight for t in week.values())
    return sum((t.total for t in week.values()), F(0)) / weight if weight else None


@hypothesis_settings(max_examples=300, deadline=None)
@given(both_metrics)
def test_the_parts_sum_to_the_change_exactly(case: tuple) -> None:
    metric, previous, current = case
    split = split_change(metric, "model", previous, current)
    if whole(previous) is None or whole(current) is None:
        assert split is None
        return
    assert split is not None
    assert (split.previous, split.current) == (whole(previous), whole(current))
    assert split.change == whole(current) - whole(previous)
    assert split.mix + split.rate == split.change
    assert split.mix == sum((g.mix for g in split.groups), F(0))
    assert split.rate == sum((g.rate for g in split.groups), F(0))
    # The shares are the groups' weights over the week's, and sum to 1 in each week.
    assert sum((g.share_previous for g in split.groups), F(0)) == 1
    assert sum((g.share_current for g in split.groups), F(0)) == 1
    # R_t = Σ c_t,i · r_t,i: the report's own figure.
    assert split.current == sum(
        (g.share_current * g.value_current for g in split.groups if g.value_current is not None),
        F(0),
    )
    assert split.simpson == (split.change * split.rate < 0)


@hypothesis_settings(max_examples=150, deadline=None)
@given(both_metrics, st.randoms())
def test_permuting_the_groups_changes_nothing(case: tuple, rng: random.Random) -> None:
    metric, previous, current = case
    items = list(current.items())
    rng.shuffle(items)
    assert split_change(metric, "model", previous, current) == split_change(
        metric, "model", dict(reversed(previous.items())), dict(items)
    )


@hypothesis_settings(max_examples=150, deadline=None)
@given(both_metrics)
def test_swapping_the_weeks_negates_every_part(case: tuple) -> None:
    metric, previous, current = case
    forward = split_change(metric, "model", previous, current)
    backward = split_change(metric, "model", current, previous)
    if forward is None:
        assert backward is None
        return
    assert backward is not None
    assert (backward.change, backward.mix, backward.rate) == (
        -forward.change,
        -forward.mix,
        -forward.rate,
    )
    parts = {g.group: (g.mix, g.rate) for g in forward.groups}
    assert {g.group: (-g.mix, -g.rate) for g in backward.groups} == parts
    if forward.rate_z is not None:
        assert backward.rate_z == pytest.approx(-forward.rate_z)
        assert backward.rate_p_value == pytest.approx(forward.rate_p_value)


@hypothesis_settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(GROUPS),
        st.tuples(st.integers(1, 50), st.integers(0, 100), st.integers(0, 100)),
        min_size=1,
    ),
    st.integers(1, 5),
)
def test_no_share_moved_leaves_no_mix(groups: dict, scale: int) -> None:
    """Each group's weight scaled alike (the same shares), its likes free: mix is 0."""
    previous, current = {}, {}
    for name, (weight, before, after) in groups.items():
        likes0 = before * weight // 100
        likes1 = after * weight * scale // 100
        previous[name] = rating_totals(likes0, weight - likes0)
        current[name] = rating_totals(likes1, weight * scale - likes1)
    split = split_change("satisfaction_rate", "model", previous, current)
    assert split is not None
    assert split.mix == 0
    assert all(g.mix == 0 for g in split.groups)
    assert split.rate == split.change


@hypothesis_settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(GROUPS),
        st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(1, 6), st.integers(1, 6)),
        min_size=1,
    )
)
def test_no_value_moved_leaves_no_rate(groups: dict) -> None:
    """Each group's like rate the same in both weeks, its volume free: rate is 0."""
    previous, current = {}, {}
    for name, (likes, dislikes, times0, times1) in groups.items():
        if likes + dislikes == 0:
            continue
        previous[name] = rating_totals(likes * times0, dislikes * times0)
        current[name] = rating_totals(likes * times1, dislikes * times1)
    split = split_change("satisfaction_rate", "model", previous, current)
    if split is None:
        return
    assert split.rate == 0
    assert all(g.rate == 0 for g in split.groups)
    assert split.mix == split.change
    assert split.rate_z is None or split.rate_z == 0
    assert not split.simpson


def test_a_planted_paradox_sets_simpson() -> None:
    """Each model better, the whole worse: traffic moved to the weaker model."""
    previous = {"strong": rating_totals(900, 100), "weak": rating_totals(50, 50)}  # 90%, 50%
    current = {"strong": rating_totals(190, 10), "weak": rating_totals(495, 305)}  # 95%, 61.9%
    split = split_change("satisfaction_rate", "model", previous, current)
    assert split is not None
    assert split.previous == F(950, 1100) and split.current == F(685, 1000)
    assert split.change < 0 < split.rate
    assert split.simpson
    assert split.mix + split.rate == split.change
    # By hand: c̄, r̄ and R̄ of issue 25.
    whole_mean = (F(950, 1100) + F(685, 1000)) / 2
    strong_mix = (F(200, 1000) - F(1000, 1100)) * ((F(9, 10) + F(19, 20)) / 2 - whole_mean)
    weak_rate = (F(100, 1100) + F(800, 1000)) / 2 * (F(495, 800) - F(1, 2))
    parts = {g.group: g for g in split.groups}
    assert parts["strong"].mix == strong_mix
    assert parts["weak"].rate == weak_rate
    assert split.top_mix() is not None and split.top_mix().group in {"strong", "weak"}
    # Both models got better, each significantly: the rate part is real.
    assert split.rate_p_value is not None and split.rate_p_value < 0.01


def test_no_paradox_when_the_change_and_its_rate_part_agree() -> None:
    previous = {"a": rating_totals(80, 20), "b": rating_totals(60, 40)}
    current = {"a": rating_totals(70, 30), "b": rating_totals(50, 50)}
    split = split_change("satisfaction_rate", "model", previous, current)
    assert split is not None and split.change < 0 and split.rate < 0 and not split.simpson


def test_a_group_new_this_week_and_one_gone() -> None:
    """A group of one week only has its value in that week alone, no rate part, and its whole
    part is mix: against the change when it is below the average."""
    previous = {"old": rating_totals(30, 70), "kept": rating_totals(60, 40)}
    current = {"kept": rating_totals(66, 34), "new": rating_totals(90, 10)}
    split = split_change("satisfaction_rate", "model", previous, current)
    assert split is not None
    parts = {g.group: g for g in split.groups}
    gone, new, kept = parts["old"], parts["new"], parts["kept"]
    assert (gone.share_current, gone.value_current) == (0, None)
    assert (gone.share_previous, gone.value_previous) == (F(1, 2), F(3, 10))
    assert (new.share_previous, new.value_previous) == (0, None)
    assert gone.rate == new.rate == 0
    whole_mean = (F(90, 200) + F(156, 200)) / 2
    assert gone.mix == (0 - F(1, 2)) * (F(3, 10) - whole_mean)  # a weak group gone: helps
    assert new.mix == F(1, 2) * (F(9, 10) - whole_mean)
    assert kept.rate == F(1, 2) * (F(66, 100) - F(60, 100))
    assert split.mix + split.rate == split.change == F(156 - 90, 200)
    document = split.to_dict()
    by_group = {g["group"]: g for g in document["groups"]}
    assert by_group["old"]["value_current"] is None
    assert by_group["new"]["value_previous"] is None
    # Only "kept" is in both weeks: z is its rate part over its own standard error.
    variance = 0.6 * 0.4 / 100 + 0.66 * 0.34 / 100
    assert split.rate_z == pytest.approx(0.5 * 0.06 / math.sqrt(0.25 * variance))


def test_scores_split_exactly_from_the_floats_the_database_returns() -> None:
    """0.1 + 0.2 is not 0.3 in floats: the Fractions of the sums still add up exactly."""
    previous = {
        "a": score_totals(3, 0.1 + 0.2 + 0.7, 0.01 + 0.04 + 0.49),
        "b": score_totals(1, 9.9),
    }
    current = {"a": score_totals(2, Decimal("1.3"), Decimal("0.85")), "b": score_totals(4, 30.7)}
    split = split_change("avg_score", "prompt_version", previous, current)
    assert split is not None
    total0 = F(0.1 + 0.2 + 0.7) + F(9.9)
    total1 = F(13, 10) + F(30.7)
    assert split.change == total1 / 6 - total0 / 4
    assert split.mix + split.rate == split.change


def test_the_rate_part_of_scores_is_welchs_z_for_one_group() -> None:
    """With one group, Σ rate is the change of its mean, and z the Welch statistic."""
    before, after = [6.0, 7.5, 8.0, 5.5, 7.0], [8.0, 9.0, 8.5, 7.5]
    split = split_change(
        "avg_score",
        "model",
        {"m": score_totals(len(before), sum(before), sum(v * v for v in before))},
        {"m": score_totals(len(after), sum(after), sum(v * v for v in after))},
    )
    assert split is not None and split.mix == 0
    welch = stats.ttest_ind(after, before, equal_var=False)
    assert split.rate_z == pytest.approx(welch.statistic)
    assert split.rate_p_value == pytest.approx(2 * stats.norm.sf(abs(welch.statistic)))


def test_nothing_to_split_without_observations_in_a_week() -> None:
    assert split_change("satisfaction_rate", "model", {"a": rating_totals(0, 0)}, {}) is None
    assert split_change("satisfaction_rate", "model", {}, {"a": rating_totals(3, 1)}) is None


def test_the_dimension_explaining_most() -> None:
    previous = {"a": rating_totals(80, 20), "b": rating_totals(40, 60)}
    current = {"a": rating_totals(20, 5), "b": rating_totals(30, 45)}  # traffic moved to b
    by_model = split_change("satisfaction_rate", "model", previous, current)
    # The same rows by channel: both channels fell alike, half the change each.
    by_channel = split_change(
        "satisfaction_rate",
        "channel",
        {"web": rating_totals(60, 40), "app": rating_totals(60, 40)},
        {"web": rating_totals(25, 25), "app": rating_totals(25, 25)},
    )
    # By a column of one value: the whole change is that value's, which tells nothing.
    by_locale = split_change(
        "satisfaction_rate", "locale", {"ko": rating_totals(120, 80)}, {"ko": rating_totals(50, 50)}
    )
    # By a column whose one group fell: web fell, app held.
    by_site = split_change(
        "satisfaction_rate",
        "site",
        {"web": rating_totals(60, 40), "app": rating_totals(60, 40)},
        {"web": rating_totals(40, 60), "app": rating_totals(60, 40)},
    )
    assert by_model and by_channel and by_locale and by_site
    assert by_model.explained_part() == 1  # all mix: (3/4 − 1/2)(2/5 − 11/20) ... = change
    assert by_channel.explained_part() == 0
    assert by_locale.explained_part() == 0
    # web's rate −1/10 against its even share −1/20, app's 0 against −1/20: 1/10 of 1/10.
    assert by_site.explained_part() == 1
    splits = {"channel": by_channel, "locale": by_locale, "model": by_model}
    assert explaining_most(splits) is by_model
    assert explaining_most({"site": by_site, "model": by_model}) is by_site  # the first of a tie
    assert explaining_most({"channel": by_channel, "locale": by_locale}) is None


def test_the_json_round_trip() -> None:
    split = split_change(
        "satisfaction_rate",
        "model",
        {"a": rating_totals(80, 20), None: rating_totals(1, 2)},
        {"a": rating_totals(20, 5), "b": rating_totals(30, 45)},
    )
    assert split is not None
    document = split.to_dict()
    assert document["change"] == pytest.approx(document["mix"] + document["rate"], abs=1e-15)
    assert {g["group"] for g in document["groups"]} == {"a", "b", None}
    again = Split.from_dict("satisfaction_rate", "model", document)
    assert again.to_dict() == document
