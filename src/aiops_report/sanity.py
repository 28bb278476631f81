"""No silent zeros: what the tables say that makes a report known to be wrong.

A time column read in the wrong unit, a table whose rows stopped arriving, feedback words that
fit none of the week's values, scores on another scale, a week without conversations between
weeks with them. Each is a `Finding` naming the SCHEMA_FILE key to fix: `doctor` shows them,
`generate` warns of them, and `run-weekly` refuses to deliver a week they make wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from aiops_report.data.census import any_row, score_census, time_census, unread_feedback
from aiops_report.data.config import Settings
from aiops_report.data.db import check_connection, database_error
from aiops_report.data.mapping import ROLES, TableRole, TimeUnit
from aiops_report.data.periods import Period
from aiops_report.data.tables import ChatbotTables, reflect_tables
from aiops_report.data.time_column import EPOCH_FACTOR, TimeColumn
from aiops_report.errors import AiopsReportError, KnownWrongReport
from aiops_report.texts.doctor import Finding, Phrase

RECENT_WEEKS = 8  # a table with rows, none of them this recent, has stopped (or is misread)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # no chatbot logged before: an earlier time is misread
AROUND = timedelta(weeks=4)  # a week without conversations is odd when these weeks around have


def latest_plausible(now: datetime) -> datetime:
    """The first instant of the year after next: a time from then on is misread."""
    return datetime(now.year + 2, 1, 1, tzinfo=UTC)


def time_findings(engine: Engine, tables: ChatbotTables, now: datetime) -> list[Finding]:
    """A warning for each table whose `created_at` reads far from `now` (all of it before
    2000 or after next year: a wrong epoch unit or column), or that has rows but none in the
    last RECENT_WEEKS weeks; each names the SCHEMA_FILE key to fix."""
    findings = []
    for role in ROLES:
        census = time_census(engine, tables, role, now - timedelta(weeks=RECENT_WEEKS), now)
        if census.first is None:
            continue  # an empty table: the report says there is nothing, which is true
        column = tables.created_at(role)
        first, last = column.read_instant(census.first), column.read_instant(census.last)
        latest = latest_plausible(now)
        if last is None or first is None or last < EARLIEST or first >= latest:
            findings.append(_far(tables, role, column, census.first, census.last, now))
        elif not census.recent:
            setting = tables.mapping.table(role)
            keys = f"{setting.setting('table')} or {setting.setting('created_at')}"
            said = {"table": tables.table(role).name, "weeks": RECENT_WEEKS, "last": _day(last)}
            findings.append(Finding("warn", "time_stale", {**said, "keys": keys}))
    return findings


def _far(
    tables: ChatbotTables,
    role: TableRole,
    column: TimeColumn,
    first: object,
    last: object,
    now: datetime,
) -> Finding:
    """The warning of a column that reads far from now, with the unit that would fit."""
    mapping = tables.mapping.table(role)
    said: dict[str, object] = {
        "table": tables.table(role).name,
        "first": _shown(column, first),
        "last": _shown(column, last),
        "year": now.year + 1,
    }
    if column.style != "epoch":
        return Finding(
            "warn",
            "time_far",
            {**said, "fix": Phrase("fix_column", {"setting": mapping.setting("created_at")})},
        )
    other: TimeUnit = "ms" if column.unit == "s" else "s"
    read = TimeColumn(column.column, "epoch", column.db_zone, other)
    ends = [read.read_instant(value) for value in (first, last)]  # type: ignore[arg-type]
    plausible = [e for e in ends if e is not None and EARLIEST <= e < latest_plausible(now)]
    fix = (
        Phrase(
            "fix_unit",
            {
                "unit": Phrase(f"unit_{other}"),
                "first": _day(plausible[0]),
                "last": _day(plausible[-1]),
                "setting": mapping.setting("created_at_unit"),
                "value": other,
            },
        )
        if len(plausible) == len(ends)
        else Phrase("fix_unit_unknown", {"setting": mapping.setting("created_at_unit")})
    )
    return Finding("warn", "time_far", {**said, "fix": fix})


def _shown(column: TimeColumn, value: object) -> str:
    """A stored time as read (its day), or as stored when it cannot be read as a time."""
    if column.style == "epoch" and isinstance(value, int | float):
        seconds = value / EPOCH_FACTOR[column.unit]
        if not -62_135_596_800 <= seconds <= 253_402_300_799:  # the years 1 to 9999
            return f"{value} (year {1970 + seconds / 31_556_952:.0f})"
    read = column.read_instant(value)  # type: ignore[arg-type]
    return _day(read) if read is not None else repr(value)


def _day(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d}"


def known_wrong(
    engine: Engine, tables: ChatbotTables, period: Period, now: datetime
) -> list[Finding]:
    """Why a delivery of `period` would carry a known-wrong report: a time column read far
    from now; feedback rows but not one like or dislike; most scores outside score_range;
    no conversation in the week while the weeks around it have some. Empty when none holds.

    Each check stops at the first row that clears it, but the scores': one aggregate over
    the week's evaluations. Raises DatabaseUnreachable.
    """
    findings = [f for f in time_findings(engine, tables, now) if f.key == "time_far"]
    start, end = period.start_at, period.end_at
    unread = unread_feedback(engine, tables, start, end)
    if unread:
        mapping = tables.mapping
        words = {"likes": list(mapping.like), "dislikes": list(mapping.dislike)}
        said = {"count": unread, "setting": mapping.table("feedback").setting("like"), **words}
        findings.append(Finding("warn", "wrong_feedback", said))
    scores = score_census(engine, tables, start, end)
    outside = scores.below + scores.above
    if outside * 2 > scores.numbers:
        scale = tables.mapping.scale
        said = {
            "outside": outside,
            "count": scores.numbers,
            "low": f"{scale.low:g}",
            "high": f"{scale.high:g}",
            "setting": tables.mapping.table("evaluations").setting("score_range"),
        }
        findings.append(Finding("warn", "wrong_scores", said))
    try:
        with engine.connect() as conn:
            empty = not any_row(conn, tables, "conversations", start, end) and (
                any_row(conn, tables, "conversations", start - AROUND, start)
                or any_row(conn, tables, "conversations", end, max(now, end + AROUND))
            )
    except DBAPIError as exc:
        raise database_error(engine, exc) from None
    if empty:
        mapping_of = tables.mapping.table("conversations")
        keys = f"{mapping_of.setting('created_at')} or {mapping_of.setting('table')}"
        said = {"table": tables.conversations.name, "weeks": 4, "keys": keys}
        findings.append(Finding("warn", "wrong_week", said))
    return findings


def report_warnings(engine: Engine, settings: Settings, now: datetime) -> list[Finding]:
    """`time_findings` of the tables SCHEMA_FILE maps: what `generate` warns of."""
    return time_findings(engine, reflect_tables(engine, settings), now)


def refuse_known_wrong(engine: Engine, settings: Settings, period: Period, now: datetime) -> None:
    """Raise KnownWrongReport naming the SCHEMA_FILE keys to fix when a delivery of `period`
    would carry a known-wrong report (`known_wrong`); DatabaseUnreachable.

    A check that cannot run (a missing table, a statement refused) lets the run go on: its
    build fails the same way and the run records why, to be retried.
    """
    check_connection(engine)  # once: a server that is down is not asked again
    try:
        wrong = known_wrong(engine, reflect_tables(engine, settings), period, now)
    except AiopsReportError:
        return
    if wrong:
        why = "; ".join(finding.line("en") for finding in wrong)
        raise KnownWrongReport(
            f"the week {period.start} is not delivered: {why}; `run-weekly --force` sends it"
        )
