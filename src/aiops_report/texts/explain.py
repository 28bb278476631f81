"""The words of "why it changed" (analysis/explain.py) in Korean and English: the sentence a
lead acts on, the Simpson warning, the waterfall's labels; shared by the PDF, Slack, the
dashboard and the alerts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiops_report.analysis.explain import (
    EXPLAINED_METRICS,
    GroupPart,
    Number,
    Split,
    explaining_most,
)
from aiops_report.language import Language, in_language
from aiops_report.texts.report import EN as EN_TEXTS
from aiops_report.texts.report import RATES, Texts, texts_for

if TYPE_CHECKING:
    from aiops_report.analysis.insight_parts import Insights


@dataclass(frozen=True)
class ExplainTexts:
    """The words of one language."""

    heading: str  # the PDF's section
    intro: str  # how the split reads, under the heading
    dimensions: Mapping[str, str]  # model, segment: their names; other columns as named
    unknown: str  # the group of rows with no conversation or no value
    # The sentence: {metric} {change} {mix} {traffic} {rate} {within}; when one part shows
    # as 0, the sentence of the other alone: {metric} {change} {traffic} / {within}
    sentence: str
    sentence_mix: str
    sentence_rate: str
    moved_to: str  # template: {group}; the traffic that moved to a group
    moved_from: str  # template: {group}; the traffic that left a group
    moved_between: str  # template: {source} {target}
    no_move: str  # no group's share moved
    within: str  # template: {dimension} {metric} {direction}; groups' own values moved
    directions: tuple[str, str]  # rose, fell
    most_in: str  # template: {group} {part}; the group whose own value moved most
    act_on_mix: str  # template: {dimension}; what to look at first when the mix dominates
    act_on_rate: str  # template: {group}; when the rate dominates
    simpson: str  # template: {metric} {change} {dimension} {rate}
    rate_p: str  # template: {p}; the rate part's test
    mix_label: str  # the waterfall's legend
    rate_label: str
    total_label: str
    other_groups: str  # template: {count}; the groups folded into one row
    slack: str  # template: {sentence}; the line under the headline numbers
    alert_driver: str  # template: {sentence}


KO = ExplainTexts(
    heading="왜 변했나",
    intro=(
        "유의한 변화를 트래픽이 옮겨간 몫(mix)과 그룹 자체가 좋아지거나 나빠진 몫(rate)으로 "
        "정확히 나눕니다. 두 몫을 더하면 변화와 같습니다."
    ),
    dimensions={"model": "모델", "segment": "세그먼트"},
    unknown="(unknown)",
    sentence="{metric} {change} 중 {mix}는 {traffic}, {rate}는 {within}입니다.",
    sentence_mix="{metric} {change}는 {traffic}입니다.",
    sentence_rate="{metric} {change}는 트래픽 이동 없이 {within}입니다.",
    moved_to="{group} 쪽으로 옮겨간 트래픽",
    moved_from="{group}에서 빠져나간 트래픽",
    moved_between="{source}에서 {target} 쪽으로 옮겨간 트래픽",
    no_move="트래픽 구성 변화",
    within="{dimension}별 {metric} {direction}",
    directions=("상승", "하락"),
    most_in="가장 크게 움직인 것은 {group} ({part})입니다.",
    act_on_mix="트래픽 배분({dimension} 라우팅)을 먼저 보세요.",
    act_on_rate="{group}의 품질을 먼저 보세요.",
    simpson=(
        "심슨의 역설: 전체 {metric}의 변화는 {change}이지만 {dimension}별로는 {rate}로 "
        "반대 방향입니다. 전체의 변화는 트래픽이 옮겨간 탓입니다."
    ),
    rate_p="그룹 자체 변화의 검정: {p}",
    mix_label="트래픽 이동 (mix)",
    rate_label="그룹 자체 변화 (rate)",
    total_label="전체 변화",
    other_groups="그 밖의 {count}개",
    slack="왜: {sentence}",
    alert_driver="원인 (지난주 같은 요일 대비): {sentence}",
)

EN = ExplainTexts(
    heading="Why it changed",
    intro=(
        "Each significant change split exactly into traffic that moved between groups (mix) "
        "and groups that got better or worse (rate); the two parts sum to the change."
    ),
    dimensions={"model": "model", "segment": "segment"},
    unknown="(unknown)",
    sentence="Of the {metric}'s {change}, {mix} is {traffic} and {rate} is {within}.",
    sentence_mix="The {metric}'s {change} is {traffic}.",
    sentence_rate="The {metric}'s {change} is {within}, with no traffic moved.",
    moved_to="traffic that moved to {group}",
    moved_from="traffic that left {group}",
    moved_between="traffic that moved from {source} to {target}",
    no_move="the traffic's mix",
    within="the {metric} {direction} within each {dimension}",
    directions=("rising", "falling"),
    most_in="{group} moved most ({part}).",
    act_on_mix="Look at the traffic's routing ({dimension}) first.",
    act_on_rate="Look at the quality of {group} first.",
    simpson=(
        "Simpson's paradox: the whole {metric} moved {change}, but within each {dimension} "
        "it moved {rate}, the other way: the whole's change comes from where the traffic went."
    ),
    rate_p="Test of the groups' own change: {p}",
    mix_label="Traffic moved (mix)",
    rate_label="Groups' own change (rate)",
    total_label="Total change",
    other_groups="{count} others",
    slack="Why: {sentence}",
    alert_driver="Driven by (vs the same weekday last week): {sentence}",
)

TEXTS: Mapping[Language, ExplainTexts] = {"ko": KO, "en": EN}


def explain_texts(language: str) -> ExplainTexts:
    """The words of "why it changed" in `language` (Korean unless "en")."""
    return in_language(TEXTS, language)


def language_of_texts(texts: Texts) -> Language:
    """The language of the report's `texts` (the PDF's blocks carry their words only)."""
    return "en" if texts is EN_TEXTS else "ko"


def format_part(metric: str, value: Number, texts: Texts) -> str:
    """A change or a part of it, signed: -6.1%p for a rate, -0.12 for a score."""
    if metric in RATES:
        return f"{float(value) * 100:+.1f}{texts.point_unit}"
    return f"{float(value):+.2f}"


def group_name(group: str | None, words: ExplainTexts) -> str:
    return words.unknown if group is None else group


def dimension_name(dimension: str, words: ExplainTexts) -> str:
    return words.dimensions.get(dimension, dimension)


def metric_name(metric: str, language: str) -> str:
    """The metric as a sentence names it: 만족도, the satisfaction rate."""
    if language == "en":
        return {"satisfaction_rate": "satisfaction rate", "avg_score": "average score"}[metric]
    return texts_for(language).metrics[metric]


def sentence(split: Split, language: str) -> str:
    """ "만족도 -9.4%p 중 -6.1%p는 gpt-4.1-nano 쪽으로 옮겨간 트래픽, -3.3%p는 모델별 만족도
    하락입니다." then the group to look at first: the one sentence a lead acts on."""
    words, texts = explain_texts(language), texts_for(language)
    metric = metric_name(split.metric, language)
    dimension = dimension_name(split.dimension, words)
    traffic = _traffic(split, words)
    direction = words.directions[0 if split.rate > 0 else 1]
    template = words.sentence
    if _shows_zero(split.metric, split.mix):
        template = words.sentence_rate
    elif _shows_zero(split.metric, split.rate):
        template = words.sentence_mix
    text = template.format(
        metric=metric,
        change=format_part(split.metric, split.change, texts),
        mix=format_part(split.metric, split.mix, texts),
        traffic=traffic,
        rate=format_part(split.metric, split.rate, texts),
        within=words.within.format(dimension=dimension, metric=metric, direction=direction),
    )
    return f"{text} {action(split, language)}"


def _traffic(split: Split, words: ExplainTexts) -> str:
    """Where the traffic went: from the group whose lost share moved the change most to the
    one whose gained share did (either alone when no group moved the other way)."""
    grew = [g for g in split.groups if g.share_current > g.share_previous and g.mix]
    shrank = [g for g in split.groups if g.share_current < g.share_previous and g.mix]
    target = max(grew, key=lambda g: abs(float(g.mix)), default=None)
    source = max(shrank, key=lambda g: abs(float(g.mix)), default=None)
    if target is not None and source is not None:
        return words.moved_between.format(
            source=group_name(source.group, words), target=group_name(target.group, words)
        )
    if target is not None:
        return words.moved_to.format(group=group_name(target.group, words))
    if source is not None:
        return words.moved_from.format(group=group_name(source.group, words))
    return words.no_move


def _shows_zero(metric: str, value: Number) -> bool:
    """True when `value` reads as 0 at the precision it is shown with (format_part)."""
    return round(float(value) * 100, 1) == 0 if metric in RATES else round(float(value), 2) == 0


def action(split: Split, language: str) -> str:
    """What to look at first: the routing when the mix part is the larger, else the group
    whose own value moved most."""
    words = explain_texts(language)
    top = split.top_rate()
    if top is None or abs(float(split.mix)) > abs(float(split.rate)):
        return words.act_on_mix.format(dimension=dimension_name(split.dimension, words))
    return words.act_on_rate.format(group=group_name(top.group, words))


def simpson_warning(split: Split, language: str) -> str | None:
    """The Simpson warning when the change and its rate part disagree in sign; else None."""
    if not split.simpson:
        return None
    words, texts = explain_texts(language), texts_for(language)
    return words.simpson.format(
        metric=metric_name(split.metric, language),
        change=format_part(split.metric, split.change, texts),
        dimension=dimension_name(split.dimension, words),
        rate=format_part(split.metric, split.rate, texts),
    )


def shown_groups(split: Split, limit: int) -> tuple[list[GroupPart], list[GroupPart]]:
    """The groups a chart or table shows one by one (the largest parts first) and the rest,
    folded into one row."""
    return list(split.groups[:limit]), list(split.groups[limit:])


def explained_changes(insights: Insights | None) -> list[Split]:
    """For each significant change of satisfaction, then score, the split of the dimension
    that explains most (explain.explaining_most); none without insights or such a change."""
    if insights is None or not insights.explain:
        return []
    found = []
    for metric in EXPLAINED_METRICS:
        test = insights.changes.get(metric)
        if test is None or not test.significant or metric not in insights.explain:
            continue
        split = explaining_most(insights.explain[metric])
        if split is not None:
            found.append(split)
    return found


def why_line(insights: Insights | None, language: str, template: str = "slack") -> str | None:
    """The one line a message carries under its headline numbers: the sentence of the first
    explained significant change (`template`: "slack" or "alert_driver"); None without one."""
    splits = explained_changes(insights)
    if not splits:
        return None
    words = explain_texts(language)
    return str(getattr(words, template)).format(sentence=sentence(splits[0], language))
