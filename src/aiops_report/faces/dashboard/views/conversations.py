"""Conversations: search every conversation of the range in the database, and open one.

The search (text, model, score range, feedback) runs in the database, a page of PAGE_SIZE at
a time (`data.conversations`); an opened conversation shows every feedback and evaluation it
got. Every text written by a user or the model is shown with st.text / st.dataframe: as text,
never as Markdown or HTML. An opened conversation shows at most FULL_TEXT characters of each
text (a browser takes minutes to lay out a megabyte of text) and offers the whole as a .txt.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import streamlit as st

from aiops_report.data.conversations import PAGE_SIZE, Conversation, FeedbackFilter, Found, Search
from aiops_report.data.periods import Period
from aiops_report.faces.dashboard import data
from aiops_report.faces.dashboard.common import Context, range_caption, range_filter
from aiops_report.texts.formats import format_score, format_time, shorten
from aiops_report.texts.report import ELLIPSIS, NONE

EXCERPT = 80  # characters of a text shown in the table
FULL_TEXT = 4_000  # characters of a text shown in an opened conversation; the rest is downloaded
FEEDBACK_KINDS: tuple[FeedbackFilter, ...] = ("any", "dislike", "like", "none")


def render(ctx: Context) -> None:
    t = ctx.t
    selection = range_filter(ctx, granularity=False)
    if selection is None:
        return
    period = selection.period
    range_caption(ctx, period)
    wanted = _filters(ctx, period)
    page = st.session_state.get("aiops_conversation_page", 1) - 1
    found = data.search_conversations(ctx.settings, period, wanted, page, segment=ctx.segment)
    pages = max(1, math.ceil(found.total / PAGE_SIZE))
    if page >= pages:  # the filters changed under a later page: back to the first
        page = 0
        found = data.search_conversations(ctx.settings, period, wanted, page, segment=ctx.segment)
    st.caption(
        t["conversations_caption"].format(total=f"{found.total:,}", page=page + 1, pages=pages)
    )
    if not data.linkable(ctx.settings):
        st.caption(t["not_linkable"])
    if not found.rows:
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
            }
            for e in found.rows
        ],
        hide_index=True,
        width="stretch",
        height=320,
    )
    left, _ = st.columns([1, 4])
    left.number_input(
        t["page"], min_value=1, max_value=pages, value=page + 1, key="aiops_conversation_page"
    )
    rows = found.rows
    index = st.selectbox(
        t["select_conversation"],
        options=range(len(rows)),
        format_func=lambda i: _label(rows[i], ctx),
        key="aiops_conversation",
    )
    if index is not None:
        opened = data.open_conversation(ctx.settings, rows[index])
        if opened is not None:
            _details(opened, ctx, feedback_words)


def _filters(ctx: Context, period: Period) -> Search:
    t = ctx.t
    scale = data.score_scale(ctx.settings)
    score, feedback, model, search = st.columns([1.2, 1, 1.2, 2])
    low, high = score.slider(
        t["score_filter"],
        *scale,
        value=scale,
        step=(scale[1] - scale[0]) / 20,
        key="aiops_score_filter",
    )
    chosen = feedback.selectbox(
        t["feedback_filter"],
        FEEDBACK_KINDS,
        format_func=lambda k: t[f"feedback_{k}"],
        key="aiops_feedback_filter",
    )
    picked = model.multiselect(
        t["model_filter"],
        data.models(ctx.settings, period, segment=ctx.segment),
        placeholder=t["model_any"],
        key="aiops_model_filter",
    )
    text = search.text_input(t["search"], key="aiops_search")
    return Search(
        text=text,
        models=tuple(picked),
        score=None if (low, high) == scale else (low, high),
        feedback=chosen or "any",
    )


def _excerpt(text: str | None) -> str:
    return NONE if text is None else shorten(text, EXCERPT)


def _label(e: Found, ctx: Context) -> str:
    parts = [format_time(e.created_at, ctx.settings.report_zone, ctx.rt), format_score(e.score)]
    if e.user_message:
        parts.append(shorten(e.user_message, 60))
    return " · ".join(parts)


def _details(c: Conversation, ctx: Context, feedback_words: Mapping[str, str]) -> None:
    t, zone = ctx.t, ctx.settings.report_zone
    with st.container(border=True):
        facts = [
            (t["col_time"], format_time(c.created_at, zone, ctx.rt)),
            (t["col_model"], c.model or NONE),
            (t["conversation_id"], str(c.conversation_id)),
        ]
        for column, (label, value) in zip(st.columns(len(facts)), facts, strict=True):
            column.caption(label)
            column.text(value)
        for part, label, text in (
            ("question", t["col_question"], c.user_message),
            ("answer", t["col_answer"], c.ai_response),
        ):
            st.caption(label)
            _text(text, part, c, t)
        st.caption(t["feedback_given"])
        if not c.feedback:
            st.text(NONE)
        for n, given in enumerate(c.feedback):
            kind = feedback_words.get(given.feedback or "", given.value or NONE)
            st.text(f"{format_time(given.created_at, zone, ctx.rt)} · {kind}")
            if given.comment:
                _text(given.comment, f"comment_{n}", c, t)
        st.caption(t["evaluations_given"])
        if not c.evaluations:
            st.text(NONE)
        for n, evaluation in enumerate(c.evaluations):
            who = f" · {evaluation.evaluator}" if evaluation.evaluator else ""
            when = format_time(evaluation.created_at, zone, ctx.rt)
            st.text(f"{when} · {format_score(evaluation.score)}{who}")
            if evaluation.reason:
                _text(evaluation.reason, f"reason_{n}", c, t)


def _text(text: str | None, part: str, c: Conversation, t: Mapping[str, str]) -> None:
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
        file_name=f"{_file_stem(c)}_{part}.txt",
        mime="text/plain",
        icon=":material/download:",
        on_click="ignore",  # no rerun: the opened conversation stays as it is
        key=f"aiops_download_{part}",
    )


def _file_stem(c: Conversation) -> str:
    """`conversation_<id>`, safe as a file name."""
    name = str(c.conversation_id)
    return "conversation_" + re.sub(r"[^0-9A-Za-z_-]+", "_", name)[:64]
