"""Everything the dashboard reads or runs, through the library: cached and bounded.

No SQL here, and no report assembled here: the numbers, the insights, the history and the
Slack checks come from `jobs` (as every trigger's do), the conversations from the data layer's
`conversations`, the database checks from `doctor` and the next run from `timetable`.
Cached functions take `key` (the settings as JSON, secrets masked) to be hashed and `_settings`
(not hashed, by Streamlit's leading-underscore rule) to be used. What reads the chatbot's rows
takes `segment` too (SCHEMA_FILE's segment column; None: every row): part of the cache keys,
it reads the tables as that segment's (`ChatbotTables.for_segment`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st
from sqlalchemy.engine import Engine

from aiops_report import building, jobs, slack_jobs, timetable
from aiops_report.analysis.insight_parts import Insights, ModelStats
from aiops_report.analysis.metrics import ReportNumbers
from aiops_report.data import conversations
from aiops_report.data.config import Settings, load_settings
from aiops_report.data.db import make_engine
from aiops_report.data.periods import Period
from aiops_report.data.tables import ChatbotTables, reflect_tables
from aiops_report.doctor import database_findings
from aiops_report.errors import SlackDeliveryError
from aiops_report.texts.doctor import Finding

if TYPE_CHECKING:  # types only: the ledger and Slack are reached through jobs
    from aiops_report.delivery.runs import Run

CACHE_TTL = 300  # seconds: numbers are at most five minutes old
CONVERSATION_LIMIT = 200  # lowest-scored and disliked conversations listed per range
MAX_RANGE_DAYS = 366
HISTORY_LIMIT = 50
FILES_LIMIT = 100
WEEKS_OFFERED = 104  # weeks the Reports page offers at most (from the first conversation's)
INSIGHT_RULES = jobs.INSIGHT_RULES  # the thresholds the Insights page explains
SEGMENT_DAYS = 92  # the segment filter offers the segments with conversations in these days


@st.cache_resource(show_spinner=False)
def _settings_from_environment() -> Settings:
    return load_settings()


def current_settings() -> Settings:
    """The settings from the environment and `.env`, read once per process."""
    return _settings_from_environment()


def settings_key(settings: Settings) -> str:
    """What the caches are keyed by: every setting, with the secrets masked."""
    return settings.model_dump_json()


def _dispose(engine: Engine) -> None:
    engine.dispose()


@st.cache_resource(show_spinner=False, on_release=_dispose)
def _engine(key: str, _settings: Settings) -> Engine:
    return make_engine(_settings)


def engine(settings: Settings) -> Engine:
    """The one engine of these settings (created on first use, then shared by all sessions)."""
    return _engine(settings_key(settings), settings)


@st.cache_resource(ttl=CACHE_TTL, show_spinner=False)
def _reflected(key: str, _settings: Settings) -> ChatbotTables:
    return reflect_tables(engine(_settings), _settings)


def _tables(key: str, _settings: Settings, segment: str | None = None) -> ChatbotTables:
    """The tables, read as `segment`'s (every row when None). Raises ConfigError, InvalidInput
    for a segment the schema cannot read (ChatbotTables.for_segment)."""
    return _reflected(key, _settings).for_segment(segment)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False, max_entries=16)
def _segments(key: str, _settings: Settings, start: date, end: date) -> list[str] | None:
    tables = _tables(key, _settings)
    if not tables.has("conversations", "segment"):
        return None
    period = Period(start, end, _settings.report_zone)
    return conversations.segments_of(engine(_settings), tables, period)


def segments(settings: Settings, today: date) -> list[str] | None:
    """The segments with conversations in the SEGMENT_DAYS up to `today`, for the segment
    filter; None when SCHEMA_FILE maps no segment column (no filter then)."""
    start = today - timedelta(days=SEGMENT_DAYS - 1)
    return _segments(settings_key(settings), settings, start, today + timedelta(days=1))


@st.cache_data(ttl=CACHE_TTL, show_spinner=False, max_entries=64)
def _numbers(
    key: str,
    _settings: Settings,
    start: date,
    end: date,
    through: datetime | None,
    segment: str | None,
) -> ReportNumbers:
    period = Period(start, end, _settings.report_zone, through)
    return building.range_numbers(
        engine(_settings),
        _settings,
        _tables(key, _settings, segment),
        period,
        worst_limit=CONVERSATION_LIMIT,
    )


def numbers(settings: Settings, period: Period, *, segment: str | None) -> ReportNumbers:
    """The metrics of `period` and the period before it, with the worst conversations.

    Raises MissingTable, MissingColumn, DatabaseUnreachable.
    """
    return _numbers(
        settings_key(settings), settings, period.start, period.end, period.through, segment
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False, max_entries=64)
def _totals(
    key: str,
    _settings: Settings,
    start: date,
    end: date,
    through: datetime | None,
    segment: str | None,
) -> ReportNumbers:
    period = Period(start, end, _settings.report_zone, through)
    return building.range_numbers(
        engine(_settings),
        _settings,
        _tables(key, _settings, segment),
        period,
        worst_limit=0,
        count_users=False,
    )


def totals(settings: Settings, period: Period, *, segment: str | None) -> ReportNumbers:
    """The metrics of `period` and the period before it, by day, without the unique users
    and the worst conversations: what reads kept per-day totals only, for any range.

    Raises MissingTable, MissingColumn, DatabaseUnreachable.
    """
    return _totals(
        settings_key(settings), settings, period.start, period.end, period.through, segment
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False, max_entries=64)
def _unique_users(
    key: str,
    _settings: Settings,
    start: date,
    end: date,
    through: datetime | None,
    segment: str | None,
) -> tuple[int, int] | None:
    period = Period(start, end, _settings.report_zone, through)
    tables = _tables(key, _settings, segment)
    return building.range_unique_users(engine(_settings), _settings, tables, period)


def unique_users(
    settings: Settings, period: Period, *, segment: str | None
) -> tuple[int, int] | None:
    """Distinct users of the period before `period` and of `period` (None without user_id):
    counted over every conversation of both, so the slowest number of a long range."""
    return _unique_users(
        settings_key(settings), settings, period.start, period.end, period.through, segment
    )


def range_as_of(period: Period, now: datetime) -> Period:
    """The range as known at `now`: one that reaches today is cut at `now` (today so far),
    and so compared with the same span of the range before it.

    The cut is rounded down to CACHE_TTL: the numbers are that old at most anyway, and the
    caches, keyed by it, keep working. A range whose cut would fall on its start is left whole.
    """
    step = timedelta(seconds=CACHE_TTL)
    cut = now - (now - datetime(1970, 1, 1, tzinfo=UTC)) % step
    if not period.start_at < cut < period.whole.end_at:
        return period
    return Period(period.start, period.end, period.zone, cut)


def default_range(settings: Settings, now: datetime | None = None) -> Period:
    """The last four complete weeks."""
    last = jobs.default_week(settings, now)
    return Period(last.start - timedelta(weeks=3), last.end, last.zone)


def recent_weeks(settings: Settings, now: datetime | None = None) -> list[Period]:
    """The complete weeks from the last one back to that of the first conversation (at most
    WEEKS_OFFERED), newest first; the last one alone when there is no conversation yet."""
    last = jobs.default_week(settings, now)
    first = first_conversation_at(settings)
    count = 1
    if first is not None:
        first_week = Period.week_of(first.astimezone(last.zone).date(), last.zone)
        count = min(max((last.start - first_week.start).days // 7 + 1, 1), WEEKS_OFFERED)
    return [Period.week_of(last.start - timedelta(weeks=i), last.zone) for i in range(count)]


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _first_conversation_at(key: str, _settings: Settings) -> datetime | None:
    return conversations.first_conversation_at(engine(_settings), _tables(key, _settings))


def first_conversation_at(settings: Settings) -> datetime | None:
    """When the first conversation was logged; None when there is none."""
    return _first_conversation_at(settings_key(settings), settings)


def score_scale(settings: Settings) -> tuple[float, float]:
    """The range scores are given in (SCHEMA_FILE's score_range, 0–10 by default)."""
    scale = _tables(settings_key(settings), settings).mapping.scale
    return scale.low, scale.high


@st.cache_data(ttl=CACHE_TTL, show_spinner=False, max_entries=64)
def _insights(
    key: str,
    _settings: Settings,
    start: date,
    end: date,
    through: datetime | None,
    segment: str | None,
) -> Insights:
    period = Period(start, end, _settings.report_zone, through)
    return jobs.report_insights(
        engine(_settings), _settings, _tables(key, _settings, segment), period
    )


def insights(settings: Settings, period: Period, *, segment: str | None) -> Insights:
    """The insights of `period` (as in the report: MODEL_PRICES, SCORE_GOOD_THRESHOLD).

    Raises MissingTable, MissingColumn, DatabaseUnreachable, InvalidPriceTable.
    """
    return _insights(
        settings_key(settings), settings, period.start, period.end, period.through, segment
    )


def model_breakdown(
    settings: Settings, period: Period, *, segment: str | None
) -> list[ModelStats] | None:
    """The numbers per model, most conversations first; None without a `model` column."""
    return insights(settings, period, segment=segment).by_model


# --- reports ----------------------------------------------------------------------------------


def report_history(settings: Settings) -> list[Run]:
    """The latest report runs, newest week first (never cached: the buttons change it)."""
    return building.report_history(engine(settings), settings, HISTORY_LIMIT)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _delivered_weeks(key: str, runs: str, _settings: Settings) -> list[jobs.DeliveredWeek]:
    return jobs.delivered_weeks(engine(_settings), _settings)


def delivered_weeks(settings: Settings, history: list[Run]) -> list[jobs.DeliveredWeek]:
    """The deliveries of the last four weeks, the figures each carried beside today's (read
    again when a run of `history` changes, else at most CACHE_TTL old)."""
    runs = ",".join(f"{run.id}:{run.updated_at.isoformat()}" for run in history)
    return _delivered_weeks(settings_key(settings), runs, settings)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _slack_channel_key(key: str, _settings: Settings) -> str | None:
    try:
        return slack_jobs.slack_channel_key(_settings)
    except SlackDeliveryError:
        return None


def slack_channel_key(settings: Settings) -> str | None:
    """What report_runs records SLACK_CHANNEL's deliveries under (its ID, asked of Slack once
    per CACHE_TTL); None when Slack cannot tell now."""
    return _slack_channel_key(settings_key(settings), settings)


def channel_shown(settings: Settings, channel_key: str) -> str:
    """A run's channel as people write it: SLACK_CHANNEL's own spelling for its ID."""
    if channel_key == slack_channel_key(settings):
        return slack_jobs.shown_channel(settings.slack_channel)
    return channel_key


def report_files(settings: Settings, history: list[Run]) -> list[Path]:
    """The report PDFs that exist: those of the history and those in REPORT_DIR, newest first."""
    found = {Path(run.file_path) for run in history if run.file_path}
    report_dir = settings.report_dir
    if report_dir.is_dir():
        found.update(report_dir.glob("weekly_report_*.pdf"))
    existing = [path for path in found if path.is_file()]
    return sorted(existing, key=lambda path: (path.name, str(path)), reverse=True)[:FILES_LIMIT]


def generate(settings: Settings, period: Period, *, segment: str | None) -> jobs.GeneratedReport:
    """Write the week's PDF now, of `segment` only when given (jobs.generate_report)."""
    return jobs.generate_report(engine(settings), settings, period, segment=segment)


def deliver(settings: Settings, period: Period, *, force: bool = False) -> jobs.WeeklyOutcome:
    """Send the week's report to Slack once (jobs.run_weekly); `force` sends it again."""
    return jobs.run_weekly(engine(settings), settings, period=period, force=force)


# --- status -----------------------------------------------------------------------------------


@st.cache_data(ttl=60, show_spinner=False)
def _database_findings(key: str, _settings: Settings) -> list[Finding]:
    return database_findings(engine(_settings), _settings)


def database_status(settings: Settings) -> list[Finding]:
    """doctor's findings on the database: connection, tables, optional columns, indexes."""
    return _database_findings(settings_key(settings), settings)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _slack_findings(key: str, _settings: Settings) -> list[Finding] | None:
    return slack_jobs.slack_check(_settings)


def slack_status(settings: Settings) -> list[Finding] | None:
    """doctor's findings on the Slack token and channel; None when no token is set."""
    return _slack_findings(settings_key(settings), settings)


def forget_slack_status() -> None:
    _slack_findings.clear()


def next_run(settings: Settings, now: datetime) -> datetime:
    """When the scheduler runs the weekly job next; raises ConfigError for a bad SCHEDULE."""
    return timetable.next_run_time(settings, now)


# --- conversations ----------------------------------------------------------------------------


def search_conversations(
    settings: Settings,
    period: Period,
    wanted: conversations.Search,
    page: int,
    *,
    segment: str | None,
) -> conversations.SearchPage:
    """One page of the range's conversations (of `segment`) that match `wanted` (never
    cached: cheap, and each search differs). Raises DatabaseUnreachable."""
    tables = _tables(settings_key(settings), settings, segment)
    return conversations.search(engine(settings), tables, period, wanted, page=page)


def open_conversation(
    settings: Settings, found: conversations.Found
) -> conversations.Conversation | None:
    """The conversation of a search result whole, with its feedback and evaluations."""
    return conversations.open_conversation(
        engine(settings),
        _tables(settings_key(settings), settings),
        found.conversation_id,
        found.created_at,
    )


def linkable(settings: Settings) -> bool:
    """Whether conversations can be tied to their feedback and evaluations (ids)."""
    return conversations.linkable(_tables(settings_key(settings), settings))


@st.cache_data(ttl=CACHE_TTL, show_spinner=False, max_entries=64)
def _models(
    key: str, _settings: Settings, start: date, end: date, segment: str | None
) -> list[str]:
    period = Period(start, end, _settings.report_zone)
    return conversations.models_of(engine(_settings), _tables(key, _settings, segment), period)


def models(settings: Settings, period: Period, *, segment: str | None) -> list[str]:
    """The models that answered in the range (in `segment`), for the model filter."""
    return _models(settings_key(settings), settings, period.start, period.end, segment)
