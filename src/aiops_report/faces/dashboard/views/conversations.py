"""Conversations: the range's lowest-scored and disliked ones, filtered, searched and opened.

Every text written by a user or the model is shown with st.text / st.dataframe: as text,
never as Markdown or HTML. An opened conversation shows at most FULL_TEXT characters of each
text (a browser takes minutes to lay out a megabyte of text) and offers the whole as a .txt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import streamlit as st

from aiops_report.analysis.metrics import ConversationExcerpt
from aiops_report.faces.dashboard import data
from aiops_report.faces.dashboard.common import Context, range_caption, range_filter
from aiops_report.texts import ELLIPSIS, NONE, format_score, format_time, shorten

SCORE_SCALE = (0.0, 10.0)
EXCERPT = 80  # characters of a text shown in the table
FULL_TEXT = 4_000  # characters of a text shown in an opened conversation; the rest is downloaded


@dataclass(frozen=True)
class Filters:
    score: tuple[float, float] = SCORE_SCALE
    feedback: str = "any"  # any, like, dislike, none
    models: tuple[str, ...] = ()
    search: str = ""

    def keep(self, e: ConversationExcerpt) -> bool:
        if e.score is None:
            if self.score != SCORE_SCALE:
                return False
        elif not self.score[0] <= e.score <= self.score[1]:
            return False
        if self.feedback != "any" and (e.feedback or "none") != self.feedback:
            return False
        if self.models and e.model not in self.models:
            return False
        needle = self.search.strip().casefold()
        texts = (e.user_message, e.ai_response, e.comment, e.reason)
        return not needle or any(needle in (text or "").casefold() for text in texts)


def worth_a_look(
    lowest: Sequence[ConversationExcerpt], disliked: Sequence[ConversationExcerpt]
) -> list[ConversationExcerpt]:
    """Both lists as one, a conversation once; lowest score first, then latest first."""
    seen: set[object] = set()
    merged = []
    for excerpt in [*lowest, *disliked]:
        if excerpt.conversation_id is not None:
            if excerpt.conversation_id in seen:
                continue
            seen.add(excerpt.conversation_id)
        merged.append(excerpt)
    merged.sort(key=lambda e: -e.created_at.timestamp())
    merged.sort(key=lambda e: (e.score is None, e.score or 0.0))
    return merged


def render(ctx: Context) -> None:
    t = ctx.t
    selection = range_filter(ctx, granularity=False)
    if selection is None:
        return
    numbers = data.numbers(ctx.settings, selection.period)
    range_caption(ctx, numbers.period)
    rows = worth_a_look(numbers.lowest_scored, numbers.disliked)
    filters = _filters(t, sorted({e.model for e in rows if e.model}))
    shown = [e for e in rows if filters.keep(e)]
    st.caption(t["conversations_caption"].format(limit=data.CONVERSATION_LIMIT, shown=len(shown)))
    if not shown:
        st.info(t["no_match"])
        return
    zone = ctx.settings.report_zone
    feedback_words = {"like": ctx.rt.like, "dislike": ctx.rt.dislike}
    st.dataframe(
        [
            {
                t["col_time"]: format_time(e.created_at, zone, ctx.rt),
                t["col_score"]: format_score(e.score),
                t["col_feedback"]: feedback_words.get(e.feedback or "", NONE),
                t["col_model"]: e.model or NONE,
                t["col_question"]: _excerpt(e.user_message),
                t["col_answer"]: _excerpt(e.ai_response),
                t["col_comment"]: _excerpt(e.comment),
                t["col_reason"]: _excerpt(e.reason),
            }
            for e in shown
        ],
        hide_index=True,
        width="stretch",
        height=320,
    )
    index = st.selectbox(
        t["select_conversation"],
        options=range(len(shown)),
        format_func=lambda i: _label(shown[i], ctx),
        key="aiops_conversation",
    )
    if index is not None:
        _details(shown[index], ctx, feedback_words)


def _filters(t: Mapping[str, str], models: list[str]) -> Filters:
    score, feedback, model, search = st.columns([1.2, 1, 1.2, 2])
    low, high = score.slider(
        t["score_filter"], *SCORE_SCALE, value=SCORE_SCALE, step=0.5, key="aiops_score_filter"
    )
    kinds = ["any", "dislike", "like", "none"]
    chosen = feedback.selectbox(
        t["feedback_filter"],
        kinds,
        format_func=lambda k: t[f"feedback_{k}"],
        key="aiops_feedback_filter",
    )
    picked = model.multiselect(
        t["model_filter"], models, placeholder=t["model_any"], key="aiops_model_filter"
    )
    text = search.text_input(t["search"], key="aiops_search")
    return Filters((low, high), chosen or "any", tuple(picked), text)


def _excerpt(text: str | None) -> str:
    return NONE if text is None else shorten(text, EXCERPT)


def _label(e: ConversationExcerpt, ctx: Context) -> str:
    parts = [format_time(e.created_at, ctx.settings.report_zone, ctx.rt), format_score(e.score)]
    if e.user_message:
        parts.append(shorten(e.user_message, 60))
    return " · ".join(parts)


def _details(e: ConversationExcerpt, ctx: Context, feedback_words: Mapping[str, str]) -> None:
    t = ctx.t
    with st.container(border=True):
        facts = [
            (t["col_time"], format_time(e.created_at, ctx.settings.report_zone, ctx.rt)),
            (t["col_score"], format_score(e.score)),
            (t["col_feedback"], feedback_words.get(e.feedback or "", NONE)),
            (t["col_model"], e.model or NONE),
            (t["evaluator"], e.evaluator or NONE),
            (t["conversation_id"], NONE if e.conversation_id is None else str(e.conversation_id)),
        ]
        for column, (label, value) in zip(st.columns(len(facts)), facts, strict=True):
            column.caption(label)
            column.text(value)
        for part, label, text in (
            ("question", t["col_question"], e.user_message),
            ("answer", t["col_answer"], e.ai_response),
            ("reason", t["col_reason"], e.reason),
            ("comment", t["col_comment"], e.comment),
        ):
            st.caption(label)
            _text(text, part, e, t)


def _text(text: str | None, part: str, e: ConversationExcerpt, t: Mapping[str, str]) -> None:
    """The text, or its first FULL_TEXT characters with a note and a download of the whole."""
    if not text:
        st.text(NONE)
        return
    if len(text) <= FULL_TEXT:
        st.text(text)
        return
    st.text(text[:FULL_TEXT] + ELLIPSIS)
    note, download = st.columns([3, 1], vertical_alignment="center")
    note.caption(t["text_cut"].format(shown=f"{FULL_TEXT:,}", total=f"{len(text):,}"))
    download.download_button(
        t["download_text"],
        data=text,
        file_name=f"{_file_stem(e)}_{part}.txt",
        mime="text/plain",
        icon=":material/download:",
        on_click="ignore",  # no rerun: the opened conversation stays as it is
        key=f"aiops_download_{part}",
    )


def _file_stem(e: ConversationExcerpt) -> str:
    """`conversation_<id>` (or its time when the schema has no id), safe as a file name."""
    name = f"{e.created_at:%Y%m%d_%H%M%S}" if e.conversation_id is None else str(e.conversation_id)
    return "conversation_" + re.sub(r"[^0-9A-Za-z_-]+", "_", name)[:64]
