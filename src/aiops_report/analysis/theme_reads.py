"""The complaint texts the themes are made of, and their terms, day by day.

Each day gives its newest dislike comments, and its newest evaluator reasons of conversations
scored low or disliked that same day, each up to the day's share of THEME_TEXT_LIMIT (a busy
week's newest texts alone would all be Sunday evening's). So a day's texts depend on its own
rows alone: a settled day's texts and their terms are kept beside its totals and proven
current with them (rollups.py), and a report analyses only the days it has not seen; the
analyser is loaded only when some day must be analysed.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from aiops_report.analysis.themes import Analysed, Theme, analysis_version, terms_of, top_themes
from aiops_report.data.attribution import linked_rows
from aiops_report.data.daily import kept_terms
from aiops_report.data.mapping import TableRole
from aiops_report.data.periods import Period
from aiops_report.data.rollups import DailyTotalsStore, Terms
from aiops_report.data.tables import ChatbotTables
from aiops_report.data.time_column import Spellings

THEMES = 10
THEME_EXAMPLES = 3
# Texts per source (comments, reasons) and period read for the themes, spread over its days:
# enough for the terms that recur, and the analyser takes about 0.4 ms a text.
THEME_TEXT_LIMIT = 2000
SOURCES: tuple[TableRole, ...] = ("feedback", "evaluations")
TEXT_COLUMNS: dict[TableRole, str] = {"feedback": "comment", "evaluations": "reason"}

DayTexts = dict[TableRole, list[str]]  # a day's texts of each source, the newest first


def day_share(period: Period) -> int:
    """The texts each day of `period` gives of each source: its share of THEME_TEXT_LIMIT."""
    return -(-THEME_TEXT_LIMIT // len(period.days))


def complaint_themes(
    conn: Connection,
    tables: ChatbotTables,
    period: Period,
    threshold: float,
    store: DailyTotalsStore | None,
) -> list[Theme]:
    """The themes of `period` against the previous one: settled days' terms from `store`
    when it keeps them."""
    current = _analysed_texts(conn, tables, period, threshold, store)
    if not current:
        return []  # nothing to count: the previous texts need no analysis either
    previous = _analysed_texts(conn, tables, period.previous, threshold, store)
    return top_themes(current, previous, limit=THEMES, examples=THEME_EXAMPLES)


def _analysed_texts(
    conn: Connection,
    tables: ChatbotTables,
    period: Period,
    threshold: float,
    store: DailyTotalsStore | None,
) -> list[Analysed]:
    """The period's texts with their terms: the dislike comments, then the reasons, each
    source the last day first."""
    share = day_share(period)
    rule = f"{analysis_version()} threshold={threshold!r}"

    def analyse(days: list[date]) -> list[Terms]:
        texts = day_texts(conn, tables, threshold, period.day_ranges(days), share)
        every = {text for day in texts for source in SOURCES for text in day[source]}
        distinct = sorted(every - {""})
        found = dict(zip(distinct, terms_of(distinct), strict=True))
        return [
            {
                "rule": rule,
                "share": share,
                **{
                    source: [[text, sorted(found[text]) if text else []] for text in day[source]]
                    for source in SOURCES
                },
            }
            for day in texts
        ]

    def fits(terms: Terms) -> bool:
        """Kept terms serve a share up to theirs (their first texts), or any share when
        they hold all of their day's texts."""
        return terms.get("rule") == rule and all(
            terms["share"] >= share or len(terms[source]) < terms["share"] for source in SOURCES
        )

    whole = period.whole_days
    if store is None or not whole:
        by_day = analyse(whole)
    else:
        by_day = kept_terms(conn, tables, whole, period.zone, store, fits, analyse)
    days: dict[date, Terms] = dict(zip(whole, by_day, strict=True))
    if period.cut_day:  # read to the cut, never kept
        (days[period.cut_day],) = analyse([period.cut_day])
    return [
        (text, terms)
        for source in SOURCES
        for day in reversed(period.days)
        for text, terms in days[day][source][:share]
        if text
    ]


def day_texts(
    conn: Connection,
    tables: ChatbotTables,
    threshold: float,
    ranges: list[tuple[datetime, datetime]],
    share: int,
) -> list[DayTexts]:
    """For each [start, end) of `ranges`, its newest `share` complaint texts of each source,
    stripped ("" for a blank one)."""
    found: list[DayTexts] = [{source: [] for source in SOURCES} for _ in ranges]
    for role in SOURCES if ranges else ():
        table = tables.table(role)
        if TEXT_COLUMNS[role] not in table.c:
            continue
        text = table.c[TEXT_COLUMNS[role]]
        created_at = tables.created_at(role)
        with (
            created_at.spellings(conn, ranges) as spelled,
            tables.created_at("feedback").spellings(conn, ranges) as thumbs,  # for _complaint
        ):
            each_day = [
                sa.select(
                    linked_rows(tables, role, start, end, spelled=spelled)
                    .select(
                        text,
                        sa.literal(i, sa.Integer()).label("day"),
                        created_at.column.label("at"),
                    )
                    .where(
                        text.is_not(None), _complaint(tables, role, threshold, start, end, thumbs)
                    )
                    .order_by(created_at.column.desc(), text)
                    .limit(share)
                    .subquery(tables.query_name(f"day_{i}"))
                )
                for i, (start, end) in enumerate(ranges)
            ]
            # A UNION ALL keeps no order (ClickHouse runs its SELECTs at once): each day's
            # texts are put in order again, the newest first (then by text, for equal times).
            union = sa.union_all(*each_day).subquery(tables.query_name("texts"))
            ordered = sa.select(union.c[0], union.c.day).order_by(
                union.c.day, union.c.at.desc(), union.c[0]
            )
            for value, day in conn.execute(ordered):
                found[day][role].append(value.strip())
    return found


def _complaint(
    tables: ChatbotTables,
    role: TableRole,
    threshold: float,
    start: datetime,
    end: datetime,
    thumbs: Spellings | None,
) -> sa.ColumnElement[bool]:
    """What makes a row of `role` in [start, end) a complaint: a dislike; a score below
    `threshold`, or a dislike of its conversation in the same range (`thumbs`: how the
    feedback's SQLite text times are spelled in the snapshot read)."""
    fb, ev = tables.feedback, tables.evaluations
    dislike = tables.feedback_is("dislike")
    if role == "feedback":
        return dislike
    low = tables.score() < threshold
    if "conversation_id" in ev.c and "conversation_id" in fb.c:
        disliked = (
            linked_rows(tables, "feedback", start, end, spelled=thumbs)
            .select(fb.c.conversation_id)
            .where(dislike)
            .correlate(None)  # its conversations are not the outer rows'
        )
        low = sa.or_(low, ev.c.conversation_id.in_(disliked))
    return low
