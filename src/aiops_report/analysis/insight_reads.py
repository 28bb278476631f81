"""The database reads of the insights of one period: per-day counts over the weeks the
change tests and anomalies compare (with the groups the breakdowns by model and segment and
the explain split sum), distinct users per model and segment, the agreement of users and
evaluator, and the complaint texts the themes are made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from aiops_report.analysis.formulas import mean, satisfaction
from aiops_report.analysis.insight_parts import Agreement, Disagreement
from aiops_report.analysis.significance import ScoreSums, cohen_kappa
from aiops_report.analysis.theme_reads import complaint_themes, day_share, day_texts
from aiops_report.analysis.themes import Theme
from aiops_report.data.attribution import LinkedRows, linked_rows
from aiops_report.data.column_values import exact_text
from aiops_report.data.daily import DayTotals, period_days
from aiops_report.data.mapping import TableRole
from aiops_report.data.periods import Period
from aiops_report.data.rollups import DailyTotalsStore
from aiops_report.data.tables import LINKED_ROWS_WINDOW, ChatbotTables
from aiops_report.data.time_column import Spellings

BASELINE_WEEKS = 8
DISAGREEMENTS = 10
# A mean of scores compared with the threshold: sums of floats differ in their last bits
# between databases (formulas.SCORE_DECIMALS), so a mean of exactly 5.0 must not read 4.99...
SCORE_TOLERANCE = 1e-9


def baseline_span(period: Period) -> Period:
    """The days the change tests and the anomalies compare: 8 weeks (at least the previous
    period) before `period`, and `period` (cut where it is cut)."""
    start = min(period.previous.start, period.start - timedelta(weeks=BASELINE_WEEKS))
    return Period(start, period.end, period.zone, period.through)


def token_columns(tables: ChatbotTables) -> list[str]:
    conv = tables.conversations
    return [c for c in ("prompt_tokens", "completion_tokens") if c in conv.c]


@dataclass(frozen=True)
class DayCounts:
    """What the change tests and the anomalies need of one day or period."""

    conversations: int = 0
    likes: int = 0
    dislikes: int = 0
    scores: ScoreSums = field(default_factory=ScoreSums)

    def __add__(self, other: DayCounts) -> DayCounts:
        return DayCounts(
            self.conversations + other.conversations,
            self.likes + other.likes,
            self.dislikes + other.dislikes,
            self.scores + other.scores,
        )

    @classmethod
    def of(cls, totals: DayTotals) -> DayCounts:
        return cls(
            totals.conversations,
            totals.likes,
            totals.dislikes,
            ScoreSums(totals.evaluations, totals.score_sum, totals.score_squares),
        )

    def value(self, metric: str) -> tuple[float | None, int]:
        """The metric and its number of observations; None when there is none."""
        if metric == "conversations":
            return self.conversations or None, self.conversations
        if metric == "satisfaction_rate":
            return satisfaction(self.likes, self.dislikes), self.likes + self.dislikes
        return mean(self.scores.total, self.scores.n), self.scores.n


@dataclass(frozen=True)
class DailyCounts:
    """The counts the change tests and the anomalies read: each whole day of the baseline
    span, and the days that a partial period and the one before it are cut on, up to the
    cut (kept apart: the previous period's cut day is a whole day of the baseline)."""

    whole: dict[date, DayCounts]
    cut: dict[date, DayCounts]
    # The period's and the previous period's days summed, with their groups (daily.py).
    current: DayTotals = field(default_factory=DayTotals)
    previous: DayTotals = field(default_factory=DayTotals)

    def total(self, period: Period) -> DayCounts:
        """The counts of `period`, its cut day up to the cut."""
        return sum(
            (self.cut[day] if day == period.cut_day else self.whole[day] for day in period.days),
            DayCounts(),
        )


class InsightsReader:
    """The queries of the insights of one period."""

    def __init__(
        self,
        conn: Connection,
        tables: ChatbotTables,
        period: Period,
        threshold: float,
        store: DailyTotalsStore | None,
    ):
        self.conn = conn
        self.tables = tables
        self.period = period
        self.threshold = threshold
        self.store = store  # settled days' totals (rollups.py)

    # --- helpers ------------------------------------------------------------------------

    def _text(self, expression: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return exact_text(expression, self.tables.dialect)

    def _span(self) -> tuple[datetime, datetime]:
        return self.period.start_at, self.period.end_at

    def _window(self) -> tuple[datetime, datetime]:
        """The evaluations that score the period's conversations (see `_rated_conversations`)."""
        return self.period.start_at - LINKED_ROWS_WINDOW, self.period.end_at + LINKED_ROWS_WINDOW

    def _rows(self, role: TableRole, spelled: Spellings | None) -> LinkedRows:
        """The rows of `role` in the period (`spelled`: how SQLite text times are spelled
        in the snapshot they are read in)."""
        return linked_rows(self.tables, role, *self._span(), spelled=spelled)

    # --- changes and anomalies: per-day counts over the weeks they compare ---------------

    def daily_counts(self) -> DailyCounts:
        """The counts of each day from 8 weeks (or the previous period) before the period,
        and of the days the period and the previous one are cut on (daily.period_days)."""
        span, previous = baseline_span(self.period), self.period.previous
        span_days, previous_days = period_days(self.conn, self.tables, [span, previous], self.store)
        whole = {
            day: DayCounts.of(totals)
            for day, totals in zip(span.days, span_days, strict=True)
            if day != span.cut_day
        }
        cut = {
            p.cut_day: DayCounts.of(each[-1])  # a cut day is a period's last
            for p, each in ((span, span_days), (previous, previous_days))
            if p.cut_day
        }
        current = span_days[len(span_days) - len(self.period.days) :]  # the span ends with it
        return DailyCounts(whole, cut, DayTotals.summed(current), DayTotals.summed(previous_days))

    # --- by model -------------------------------------------------------------------------

    # --- agreement ------------------------------------------------------------------------

    def _rated_conversations(self, thumbs: Spellings | None, scores: Spellings | None) -> sa.CTE:
        """Each conversation with a like or a dislike in the period and a score: its likes and
        dislikes, the first of each, and its score (`thumbs`, `scores`: how SQLite text times
        are spelled in the period's feedback and the window's evaluations).

        A conversation's score is the mean of its evaluations written from LINKED_ROWS_WINDOW
        before the period to LINKED_ROWS_WINDOW after it (AVG skips NULL scores). The period's
        thumbs and the window's evaluations are read once each (ranges of the created_at
        index) and grouped together by conversation: one grouping of their rows, and no join
        on conversation_id (seldom indexed: SQLite would index one side for the statement,
        PostgreSQL hash it, ClickHouse hold it in memory).
        """
        tables = self.tables
        fb, ev = tables.feedback, tables.evaluations
        created_at = tables.created_at("feedback").column
        liked = (
            self._rows("feedback", thumbs)
            .select(
                fb.c.conversation_id.label("conversation_id"),
                sa.case((tables.feedback_is("like"), created_at)).label("liked_at"),
                sa.case((tables.feedback_is("dislike"), created_at)).label("disliked_at"),
                sa.null().label("score"),
            )
            .where(fb.c.conversation_id.is_not(None))
        )
        window = tables.created_at("evaluations").within(*self._window(), scores)
        scored = sa.select(ev.c.conversation_id, sa.null(), sa.null(), tables.score()).where(
            window, ev.c.conversation_id.is_not(None)
        )
        rows = sa.union_all(liked, scored).subquery(tables.query_name("thumbs_and_scores"))
        likes, dislikes = sa.func.count(rows.c.liked_at), sa.func.count(rows.c.disliked_at)
        return (
            sa.select(
                rows.c.conversation_id,
                likes.label("likes"),
                dislikes.label("dislikes"),
                sa.func.min(rows.c.liked_at).label("first_like"),
                sa.func.min(rows.c.disliked_at).label("first_dislike"),
                sa.func.avg(rows.c.score).label("score"),
            )
            .group_by(rows.c.conversation_id)
            .having(sa.and_(likes + dislikes > 0, sa.func.count(rows.c.score) > 0))
            .cte(tables.query_name("rated"))
        )

    def agreement(self) -> Agreement:
        """Confusion counts, agreement rate, kappa and the strongest disagreements.

        Each like or dislike of the period counts with its conversation's score
        (`_rated_conversations`; a conversation without a score is left out). One statement
        gives the four counts and, per side, the ten conversations farthest from the
        threshold (the first like or dislike breaking ties, as it would among the rows); a
        second reads those conversations' thumbs (`_disagreements`).
        """
        feedback_at, evaluations_at = (
            self.tables.created_at("feedback"),
            self.tables.created_at("evaluations"),
        )
        with (
            feedback_at.spellings(self.conn, [self._span()]) as thumbs,
            evaluations_at.spellings(self.conn, [self._window()]) as scores,
        ):
            rows = self.conn.execute(self._agreement_rows(thumbs, scores)).all()
        like_good, like_bad, dislike_good, dislike_bad = (
            int(v or 0) for v in next(r for r in rows if _as_str(r[0]) == "counts")[3:]
        )
        rated_total = like_good + like_bad + dislike_good + dislike_bad
        return Agreement(
            threshold=self.threshold,
            like_good=like_good,
            like_bad=like_bad,
            dislike_good=dislike_good,
            dislike_bad=dislike_bad,
            agreement_rate=(like_good + dislike_bad) / rated_total if rated_total else None,
            kappa=cohen_kappa(like_good, like_bad, dislike_good, dislike_bad),
            disagreements=self._disagreements(
                {(_as_str(r[0]), r[1]): r[2] for r in rows if _as_str(r[0]) != "counts"}
            ),
        )

    def _agreement_rows(
        self, thumbs: Spellings | None, scores: Spellings | None
    ) -> sa.CompoundSelect[Any]:
        """The four counts ("counts") and, per side, the farthest conversations."""
        rated = self._rated_conversations(thumbs, scores)
        good = rated.c.score >= self.threshold - SCORE_TOLERANCE

        def total(side: sa.ColumnElement[Any], when: sa.ColumnElement[bool]) -> Any:
            return sa.func.coalesce(sa.func.sum(sa.case((when, side), else_=0)), 0)

        counts = sa.select(
            sa.literal("counts").label("part"),
            sa.null().label("conversation_id"),
            sa.null().label("score"),
            total(rated.c.likes, good),
            total(rated.c.likes, ~good),
            total(rated.c.dislikes, good),
            total(rated.c.dislikes, ~good),
        )
        farthest = [
            sa.select(
                sa.literal(feedback).label("part"),
                rated.c.conversation_id,
                rated.c.score,
                *[sa.cast(sa.null(), sa.Integer())] * 4,  # typed: a subquery's NULL is text
            )
            .where(count > 0, condition)
            .order_by(order, first, rated.c.conversation_id)
            .limit(DISAGREEMENTS)
            .subquery(self.tables.query_name(f"{feedback}_side"))
            for feedback, count, first, condition, order in (
                ("like", rated.c.likes, rated.c.first_like, ~good, rated.c.score.asc()),
                ("dislike", rated.c.dislikes, rated.c.first_dislike, good, rated.c.score.desc()),
            )
        ]
        return sa.union_all(counts, *[sa.select(side) for side in farthest])

    def _disagreements(self, farthest: dict[tuple[str, Any], Any]) -> list[Disagreement]:
        """The ten thumbs farthest from the threshold, liked but low or disliked but high,
        among the period's thumbs of the `farthest` conversations ({(side, id): score}):
        per side the ten farthest (ties: the earliest first), then the ten of both."""
        rows = [
            (side, cid, farthest[side, cid], text) for side, cid, text in self._thumbs(farthest)
        ]
        per_side = []
        for side, direction in (("like", 1), ("dislike", -1)):
            # Stable: rows of equal scores stay in the order they were read (created_at, id).
            ranked = sorted((r for r in rows if r[0] == side), key=lambda r: direction * r[2])
            per_side += ranked[:DISAGREEMENTS]
        order = {"like": 0, "dislike": 1}
        per_side.sort(key=lambda row: (-abs(float(row[2]) - self.threshold), order[row[0]], row[1]))
        chosen = per_side[:DISAGREEMENTS]
        texts = self._conversation_texts([row[1] for row in chosen])
        return [
            Disagreement(
                conversation_id=cid,
                feedback=feedback,
                score=round(float(score), 6),
                comment=text,
                **texts.get(cid, dict.fromkeys(("model", "user_message", "ai_response"))),
            )
            for feedback, cid, score, text in chosen
        ]

    def _thumbs(self, conversations: dict[tuple[str, Any], Any]) -> list[tuple[str, Any, Any]]:
        """(like or dislike, conversation id, comment) of the period's thumbs of
        `conversations` of that side, the earliest first (ties: by conversation)."""
        if not conversations:
            return []
        fb = self.tables.feedback
        kind = self.tables.feedback_kind()
        comment = fb.c.comment if "comment" in fb.c else sa.null()
        created_at = self.tables.created_at("feedback")
        with created_at.spellings(self.conn, [self._span()]) as spelled:
            rows = self.conn.execute(
                self._rows("feedback", spelled)
                .select(kind, fb.c.conversation_id, comment)
                .where(fb.c.conversation_id.in_({cid for _, cid in conversations}))
                .order_by(created_at.column, fb.c.conversation_id)
            ).all()
        found = [(_as_str(side), cid, text) for side, cid, text in rows if side is not None]
        return [row for row in found if row[:2] in conversations]

    def _conversation_texts(self, ids: list[Any]) -> dict[Any, dict[str, Any]]:
        conv = self.tables.conversations
        if not ids or "id" not in conv.c:
            return {}
        columns = ("model", "user_message", "ai_response")
        selected = [conv.c[c] if c in conv.c else sa.null().label(c) for c in columns]
        rows = self.conn.execute(
            sa.select(conv.c.id, *selected).where(
                conv.c.id.in_(ids), self.tables.kept("conversations")
            )
        )
        return {row[0]: dict(zip(columns, row[1:], strict=True)) for row in rows}

    # --- themes ---------------------------------------------------------------------------

    def complaint_texts(self) -> None:
        """Read the texts the themes are made of, and leave them."""
        for period in (self.period, self.period.previous):
            day_texts(
                self.conn, self.tables, self.threshold, period.day_ranges(), day_share(period)
            )

    def themes(self) -> list[Theme]:
        return complaint_themes(self.conn, self.tables, self.period, self.threshold, self.store)


def _as_str(value: Any) -> str:
    """Text that MySQL's BINARY comparison hands back as bytes."""
    return value.decode() if isinstance(value, bytes) else str(value)
