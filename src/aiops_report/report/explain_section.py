"""The report's "why it changed" part: for each significant change of satisfaction or score,
the dimension that explains most, in a sentence a lead acts on, the waterfall of its groups'
parts, and the Simpson warning when it holds (analysis/explain.py)."""

from __future__ import annotations

from functools import partial

from reportlab.platypus import Flowable, Paragraph, Spacer

from aiops_report.analysis.explain import Split
from aiops_report.analysis.insight_parts import Insights
from aiops_report.report.blocks import EXCERPT_LIMITS, RED, WIDTH, Blocks
from aiops_report.report.charts import Step, waterfall
from aiops_report.texts.explain import (
    explain_texts,
    explained_changes,
    format_part,
    group_name,
    language_of_texts,
    sentence,
    shown_groups,
    simpson_warning,
)
from aiops_report.texts.formats import format_p_value

SHOWN_GROUPS = 6  # the waterfall's rows; the rest fold into one


def explain_part(insights: Insights, blocks: Blocks) -> list[Flowable]:
    """The subheading, then per significant change its sentence, waterfall and warnings;
    nothing when no change of satisfaction or score is significant or none can be split."""
    language = language_of_texts(blocks.texts)
    words = explain_texts(language)
    shown: list[Flowable] = []
    for split in explained_changes(insights):
        shown += [
            Spacer(1, 2),
            blocks.paragraph(sentence(split, language), "body"),
            Spacer(1, 4),
            _waterfall(split, blocks),
        ]
        notes = [words.rate_p.format(p=format_p_value(split.rate_p_value))]
        shown += [Spacer(1, 2), blocks.paragraph(" ".join(notes), "note")]
        warning = simpson_warning(split, language)
        if warning:
            shown.append(
                Paragraph(
                    f'<font color="#{RED.hexval()[2:]}">{blocks.markup(warning)}</font>',
                    blocks.styles["body"],
                )
            )
    if not shown:
        return []
    return [blocks.subheading(words.heading), blocks.paragraph(words.intro, "note"), *shown]


def _waterfall(split: Split, blocks: Blocks) -> Flowable:
    words = explain_texts(language_of_texts(blocks.texts))
    groups, rest = shown_groups(split, SHOWN_GROUPS)
    steps = [
        Step(
            blocks.drawable(group_name(g.group, words), EXCERPT_LIMITS["model"]),
            float(g.mix),
            float(g.rate),
        )
        for g in groups
    ]
    if rest:
        steps.append(
            Step(
                words.other_groups.format(count=len(rest)),
                sum(float(g.mix) for g in rest),
                sum(float(g.rate) for g in rest),
            )
        )
    total = Step(words.total_label, float(split.mix), float(split.rate), bold=True)
    return waterfall(
        steps,
        total,
        width=WIDTH * 0.8,
        font=blocks.fonts.regular,
        bold_font=blocks.fonts.bold,
        legend=(words.mix_label, words.rate_label),
        shown=partial(format_part, split.metric, texts=blocks.texts),
    )
