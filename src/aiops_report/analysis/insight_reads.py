"""The database reads of the insights of one period: per-day counts over the weeks the
change tests and anomalies compare (with the groups the breakdowns by model and segment and
the explain split sum), distinct users per model and segment, the agreement of users and
evaluator, and the complaint texts the themes are made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
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

    def _rows(
        self, role: TableRole, period: Period | None = None, parts: tuple[str, ...] = ()
    ) -> LinkedRows:
        """The rows of `role` in the period (or `period`), with their conversation's `parts`."""
        period = period or self.period
        return linked_rows(self.tables, role, period.start_at, period.end_at, parts)

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
        return DailyCounts(whole, cut, _summed(current), _summed(previous_days))

    # --- by model -------------------------------------------------------------------------

    # --- agreement ------------------------------------------------------------------------

    def scores_of_conversations(self, ids: sa.Select[Any]) -> sa.Select[Any]:
        """(conversation_id, score): the mean score of each conversation among `ids`.

        A conversation's score is the mean of its evaluations written from LINKED_ROWS_WINDOW
        before the period to LINKED_ROWS_WINDOW after it: one range of the created_at index and a
        semi-join with `ids`, never a lookup per conversation (conversation_id is seldom
        indexed). AVG skips NULL scores.
        """
        ev = self.tables.evaluations
        window = self.tables.created_at("evaluations").within(
            self.period.start_at - LINKED_ROWS_WINDOW, self.period.end_at + LINKED_ROWS_WINDOW
        )
        return (
            sa.select(ev.c.conversation_id, sa.func.avg(self.tables.score()).label("score"))
            .where(window, ev.c.conversation_id.in_(ids))
            .group_by(ev.c.conversation_id)
        )

    def agreement(self) -> Agreement:
        """Confusion counts, agreement rate, kappa and the strongest disagreements.

        One statement, set-based so that its cost follows the rows it reads whatever indexes
        exist beyond created_at: the period's like/dislike rows; the mean score of each of
        their conversations (`scores_of_conversations`); the two joined once; then the four
        counts and, per side, the ten rows farthest from the threshold.
        """
        fb = self.tables.feedback
        value = self.tables.feedback_kind()
        comment = fb.c.comment if "comment" in fb.c else sa.null()
        thumbs = (
            self._rows("feedback")
            .select(
                fb.c.conversation_id,
                value.label("feedback"),
                comment.label("comment"),
                self.tables.created_at("feedback").column.label("created_at"),
            )
            .where(value.is_not(None))
            .cte(self.tables.query_name("thumbs"))
        )
        scores = self.scores_of_conversations(sa.select(thumbs.c.conversation_id)).cte(
            self.tables.query_name("scores")
        )
        # A row whose conversation has no score keeps a NULL score, which every comparison
        # below leaves out.
        rated = (
            sa.select(thumbs, scores.c.score)
            .select_from(
                thumbs.outerjoin(scores, scores.c.conversation_id == thumbs.c.conversation_id)
            )
            .cte(self.tables.query_name("rated"))
        )
        good = rated.c.score >= self.threshold - SCORE_TOLERANCE
        counts = sa.select(
            sa.literal("counts").label("part"),
            sa.null().label("conversation_id"),
            sa.null().label("score"),
            sa.null().label("comment"),
            *[
                sa.func.count(sa.case((sa.and_(rated.c.feedback == f, g), 1))).label(f"{f}_{n}")
                for f in ("like", "dislike")
                for n, g in (("good", good), ("bad", ~good))
            ],
        )
        sides = [
            sa.select(
                sa.literal(feedback).label("part"),
                rated.c.conversation_id,
                rated.c.score,
                rated.c.comment,
                *[sa.cast(sa.null(), sa.Integer())] * 4,  # typed: a subquery's NULL is text
            )
            .where(rated.c.feedback == feedback, condition)
            .order_by(order, rated.c.created_at, rated.c.conversation_id)
            .limit(DISAGREEMENTS)
            .subquery(self.tables.query_name(f"{feedback}_side"))
            for feedback, condition, order in (
                ("like", ~good, rated.c.score.asc()),
                ("dislike", good, rated.c.score.desc()),
            )
        ]
        statement: sa.CompoundSelect[Any] = sa.union_all(
            counts, *[sa.select(side) for side in sides]
        )
        rows = self.conn.execute(statement).all()
        like_good, like_bad, dislike_good, dislike_bad = (
            int(v or 0) for v in next(r for r in rows if _as_str(r[0]) == "counts")[4:]
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
                [(_as_str(r[0]), r[1], r[2], r[3]) for r in rows if _as_str(r[0]) != "counts"]
            ),
        )

    def _disagreements(self, rows: list[tuple[str, Any, Any, Any]]) -> list[Disagreement]:
        """The ten rows farthest from the threshold: liked but low, disliked but high."""
        side = {"like": 0, "dislike": 1}
        rows.sort(key=lambda row: (-abs(float(row[2]) - self.threshold), side[row[0]], row[1]))
        rows = rows[:DISAGREEMENTS]
        texts = self._conversation_texts([row[1] for row in rows])
        return [
            Disagreement(
                conversation_id=cid,
                feedback=feedback,
                score=round(float(score), 6),
                comment=text,
                **texts.get(cid, dict.fromkeys(("model", "user_message", "ai_response"))),
            )
            for feedback, cid, score, text in rows
        ]

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


def _summed(days: list[DayTotals]) -> DayTotals:
    total = DayTotals()
    for day in days:
        total.add(day)
    return total


def _as_str(value: Any) -> str:
    """Text that MySQL's BINARY comparison hands back as bytes."""
    return value.decode() if isinstance(value, bytes) else str(value)
