"""Reading conversations one by one: search every conversation of a range, open one.

The dashboard's Conversations page reads here. Everything goes through the mapped tables of
`db.ChatbotTables`, so a renamed schema (SCHEMA_FILE) is searched as the default one.
Feedback and evaluations are linked to a conversation by `conversation_id`, read within
LINKED_ROWS_WINDOW of the range (a range of their created_at index).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from aiops_report.data import clickhouse
from aiops_report.data.column_values import lower
from aiops_report.data.db import database_error
from aiops_report.data.limits import reading
from aiops_report.data.periods import Period
from aiops_report.data.tables import LINKED_ROWS_WINDOW, ChatbotTables

FeedbackFilter = Literal["any", "like", "dislike", "none"]
PAGE_SIZE = 50
EXCERPT_CHARS = 200  # characters of each text a page of results carries


@dataclass(frozen=True)
class Search:
    """What to look for among a range's conversations; the defaults keep every one."""

    text: str = ""  # in the question or the answer, case-insensitively
    models: tuple[str, ...] = ()
    score: tuple[float, float] | None = None  # the conversation's mean score, both ends in
    feedback: FeedbackFilter = "any"  # has a like, has a dislike, has neither


@dataclass(frozen=True)
class Found:
    """One conversation of a search: its texts cut to EXCERPT_CHARS."""

    conversation_id: Any
    created_at: datetime
    model: str | None
    user_message: str | None
    ai_response: str | None
    score: float | None  # mean of its evaluations
    feedback: str | None  # "like" / "dislike": its latest one


@dataclass(frozen=True)
class SearchPage:
    total: int  # conversations that match
    rows: list[Found]


@dataclass(frozen=True)
class FeedbackRow:
    created_at: datetime
    feedback: str | None  # "like", "dislike", or None for another value
    value: str  # as stored
    comment: str | None


@dataclass(frozen=True)
class EvaluationRow:
    created_at: datetime
    score: float | None
    evaluator: str | None
    reason: str | None


@dataclass(frozen=True)
class Conversation:
    """One conversation whole: its texts, every feedback and every evaluation it got."""

    conversation_id: Any
    created_at: datetime
    model: str | None
    user_message: str | None
    ai_response: str | None
    feedback: list[FeedbackRow]
    evaluations: list[EvaluationRow]


def linkable(tables: ChatbotTables) -> bool:
    """Whether feedback and evaluations can be tied to a conversation (ids on all three)."""
    return (
        tables.has("conversations", "id")
        and tables.has("feedback", "conversation_id")
        and tables.has("evaluations", "conversation_id")
    )


def first_conversation_at(engine: Engine, tables: ChatbotTables) -> datetime | None:
    """When the first conversation was logged (one MIN over the created_at index); None
    when there is none. Raises DatabaseUnreachable."""
    created_at = tables.created_at("conversations")
    try:
        with reading("the first conversation"), engine.connect() as conn:
            first = conn.execute(
                sa.select(sa.func.min(created_at.column)).where(tables.kept("conversations"))
            ).scalar()
    except DBAPIError as exc:
        raise database_error(engine, exc) from None
    return None if first is None else created_at.to_instant(first)


def models_of(engine: Engine, tables: ChatbotTables, period: Period) -> list[str]:
    """The models that answered in `period` (in the segment the tables read), sorted; []
    without a model column. Raises DatabaseUnreachable."""
    if "model" not in tables.conversations.c:
        return []
    return _values_in(engine, tables, period, tables.conversations.c.model, "the models")


def segments_of(engine: Engine, tables: ChatbotTables, period: Period) -> list[str]:
    """The segments (SCHEMA_FILE's segment column) with conversations in `period`, sorted;
    [] without a segment column. Raises DatabaseUnreachable."""
    if not tables.has("conversations", "segment"):
        return []
    segment = tables.segment_of(tables.conversations)  # "Shop-Bot" is not "shop-bot"
    return _values_in(engine, tables, period, segment, "the segments")


def _values_in(
    engine: Engine,
    tables: ChatbotTables,
    period: Period,
    column: sa.ColumnElement[Any],
    what: str,
) -> list[str]:
    """The distinct non-NULL values of `column` among the conversations of `period`."""
    try:
        with reading(what), engine.connect() as conn:
            found = conn.execute(
                sa.select(column)
                .where(
                    tables.rows_within("conversations", period.start_at, period.end_at),
                    column.is_not(None),
                )
                .distinct()
            ).scalars()
            return sorted(v.decode() if isinstance(v, bytes) else str(v) for v in found)
    except DBAPIError as exc:
        raise database_error(engine, exc) from None


def search(
    engine: Engine,
    tables: ChatbotTables,
    period: Period,
    wanted: Search,
    *,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> SearchPage:
    """The conversations of `period` (in the segment the tables read) that match, latest
    first, `page_size` from page `page`.

    Without ids to link them, the score and feedback conditions are ignored and left blank.
    Raises DatabaseUnreachable.
    """
    try:
        with reading("the conversation search"), engine.connect() as conn:
            return _Search(conn, tables, period).page(wanted, page, page_size)
    except DBAPIError as exc:
        raise database_error(engine, exc) from None


def open_conversation(
    engine: Engine, tables: ChatbotTables, conversation_id: Any, created_at: datetime
) -> Conversation | None:
    """The conversation `conversation_id` logged at `created_at` (which narrows the read to
    its day), with its feedback and evaluations; None when it is not there.
    Raises DatabaseUnreachable."""
    if not tables.has("conversations", "id"):
        return None
    try:
        with reading("one conversation"), engine.connect() as conn:
            return _open(conn, tables, conversation_id, created_at)
    except DBAPIError as exc:
        raise database_error(engine, exc) from None


class _Search:
    """The statements of one search over `period`."""

    def __init__(self, conn: Connection, tables: ChatbotTables, period: Period):
        self.conn = conn
        self.tables = tables
        self.period = period
        self.linked = linkable(tables)

    def _near(self, role: Literal["feedback", "evaluations"]) -> sa.ColumnElement[bool]:
        return self.tables.created_at(role).within(
            self.period.start_at - LINKED_ROWS_WINDOW, self.period.end_at + LINKED_ROWS_WINDOW
        )

    def _scores(self) -> sa.Subquery:
        ev = self.tables.evaluations
        score = self.tables.score()
        return (
            sa.select(ev.c.conversation_id.label("cid"), sa.func.avg(score).label("score"))
            .where(self._near("evaluations"), score.is_not(None))
            .group_by(ev.c.conversation_id)
            .subquery(self.tables.query_name("scores"))
        )

    def _has_feedback(self, kind: str) -> sa.Exists:
        fb, conv = self.tables.feedback, self.tables.conversations
        return sa.exists().where(
            fb.c.conversation_id == conv.c.id, self._near("feedback"), self.tables.feedback_is(kind)
        )

    def _mentions(self, needle: str) -> sa.ColumnElement[bool]:
        """`needle` is in the question, the answer, a feedback comment or an evaluation's
        reason (case-insensitively; % and _ are matched as themselves)."""
        t, conv = self.tables, self.tables.conversations

        def has(column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
            if clickhouse.is_clickhouse(t.dialect):  # no LIKE ... ESCAPE: a plain substring
                return sa.func.position(lower(column, t.dialect), needle) > 0
            return sa.func.lower(column).contains(needle, autoescape=True)

        found = [has(conv.c[c]) for c in ("user_message", "ai_response") if c in conv.c]
        if self.linked:
            for role, part in (("feedback", "comment"), ("evaluations", "reason")):
                table = t.feedback if role == "feedback" else t.evaluations
                if part in table.c:
                    found.append(
                        sa.exists().where(
                            table.c.conversation_id == conv.c.id,
                            self._near(role),  # type: ignore[arg-type]
                            has(table.c[part]),
                        )
                    )
        return sa.or_(*found) if found else sa.false()

    def page(self, wanted: Search, page: int, page_size: int) -> SearchPage:
        t = self.tables
        conv = t.conversations
        created_at = t.created_at("conversations")
        conditions: list[sa.ColumnElement[bool]] = [
            t.rows_within("conversations", self.period.start_at, self.period.end_at)
        ]
        if wanted.text.strip():
            conditions.append(self._mentions(wanted.text.strip().lower()))
        if wanted.models and "model" in conv.c:
            conditions.append(conv.c.model.in_(wanted.models))
        source: sa.FromClause = conv
        score: sa.ColumnElement[Any] = sa.null()
        if self.linked:
            scores = self._scores()
            source = conv.outerjoin(scores, scores.c.cid == conv.c.id)
            score = scores.c.score
            if wanted.score is not None:
                conditions.append(score.between(*wanted.score))
            if wanted.feedback in ("like", "dislike"):
                conditions.append(self._has_feedback(wanted.feedback))
            elif wanted.feedback == "none":
                conditions += [~self._has_feedback("like"), ~self._has_feedback("dislike")]
        total = self.conn.execute(
            sa.select(sa.func.count()).select_from(source).where(*conditions)
        ).scalar_one()
        columns = [
            conv.c[c].label(c) if c in conv.c else sa.null().label(c) for c in ("id", "model")
        ]
        excerpts = [
            (sa.func.substr(conv.c[c], 1, EXCERPT_CHARS) if c in conv.c else sa.null()).label(c)
            for c in ("user_message", "ai_response")
        ]
        order = [created_at.column.desc(), *([conv.c.id.desc()] if "id" in conv.c else [])]
        rows = (
            self.conn.execute(
                sa.select(
                    created_at.column.label("created_at"), *columns, *excerpts, score.label("score")
                )
                .select_from(source)
                .where(*conditions)
                .order_by(*order)
                .limit(page_size)
                .offset(page * page_size)
            )
            .mappings()
            .all()
        )
        latest = self._latest_feedback([r["id"] for r in rows if r["id"] is not None])
        return SearchPage(
            total=int(total),
            rows=[
                Found(
                    conversation_id=r["id"],
                    created_at=created_at.to_instant(r["created_at"]),
                    model=r["model"],
                    user_message=r["user_message"],
                    ai_response=r["ai_response"],
                    score=None if r["score"] is None else float(r["score"]),
                    feedback=latest.get(r["id"]),
                )
                for r in rows
            ],
        )

    def _latest_feedback(self, ids: list[Any]) -> dict[Any, str]:
        if not ids or not self.linked:
            return {}
        fb = self.tables.feedback
        kind = self.tables.feedback_kind()
        latest: dict[Any, str] = {}
        for cid, value in self.conn.execute(
            sa.select(fb.c.conversation_id, kind)
            .where(self._near("feedback"), fb.c.conversation_id.in_(ids), kind.is_not(None))
            .order_by(self.tables.created_at("feedback").column)
        ):
            latest[cid] = value.decode() if isinstance(value, bytes) else value
        return latest


def _open(
    conn: Connection, tables: ChatbotTables, conversation_id: Any, created_at: datetime
) -> Conversation | None:
    conv = tables.conversations
    logged = tables.created_at("conversations")
    day = (created_at - timedelta(days=1), created_at + timedelta(days=1))
    texts = [conv.c[c].label(c) for c in ("model", "user_message", "ai_response") if c in conv.c]
    row = (
        conn.execute(
            sa.select(logged.column.label("created_at"), *texts).where(
                conv.c.id == conversation_id, logged.within(*day)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    near = (created_at - LINKED_ROWS_WINDOW, created_at + LINKED_ROWS_WINDOW)
    feedback: list[FeedbackRow] = []
    if tables.has("feedback", "conversation_id"):
        fb = tables.feedback
        when = tables.created_at("feedback")
        comment = fb.c.comment if "comment" in fb.c else sa.null()
        for at, kind, value, text in conn.execute(
            sa.select(when.column, tables.feedback_kind(), fb.c.feedback, comment)
            .where(fb.c.conversation_id == conversation_id, when.within(*near))
            .order_by(when.column)
        ):
            feedback.append(
                FeedbackRow(
                    when.to_instant(at),
                    kind.decode() if isinstance(kind, bytes) else kind,
                    "" if value is None else str(value),
                    text,
                )
            )
    evaluations: list[EvaluationRow] = []
    if tables.has("evaluations", "conversation_id"):
        ev = tables.evaluations
        when = tables.created_at("evaluations")
        extra = [ev.c[c] if c in ev.c else sa.null() for c in ("evaluator", "reason")]
        for at, score, evaluator, reason in conn.execute(
            sa.select(when.column, tables.score(), *extra)
            .where(ev.c.conversation_id == conversation_id, when.within(*near))
            .order_by(when.column)
        ):
            evaluations.append(
                EvaluationRow(
                    when.to_instant(at), None if score is None else float(score), evaluator, reason
                )
            )
    return Conversation(
        conversation_id=conversation_id,
        created_at=logged.to_instant(row["created_at"]),
        model=row.get("model"),
        user_message=row.get("user_message"),
        ai_response=row.get("ai_response"),
        feedback=feedback,
        evaluations=evaluations,
    )
