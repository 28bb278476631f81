"""`doctor`: check what the report needs and say what is wrong, one line each.

The database checks run first; the font and Slack checks are added by `all_findings`.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from aiops_report.analysis.alert_rules import load_rules
from aiops_report.analysis.insights import PartSupport, insights_support
from aiops_report.data import clickhouse
from aiops_report.data.census import (
    FEEDBACK_VALUES_SHOWN,
    feedback_values,
    filter_census,
    score_census,
    segment_census,
)
from aiops_report.data.column_values import suggested_words, toml_words, value_kind
from aiops_report.data.config import Settings
from aiops_report.data.db import check_connection, describe, state_engine
from aiops_report.data.install import missing_created_at_indexes
from aiops_report.data.mapping import OPTIONAL_COLUMNS, ROLES, TableRole, column_parts
from aiops_report.data.periods import Period
from aiops_report.data.tables import ChatbotTables, reflect_tables
from aiops_report.data.watermarks import table_key
from aiops_report.delivery.config import DeliveryConfig, EmailConfig, SlackConfig
from aiops_report.delivery.email import check_smtp
from aiops_report.delivery.kinds import kind_of
from aiops_report.delivery.routes import Destination, destinations
from aiops_report.delivery.slack import SlackDelivery
from aiops_report.delivery.webhook import webhook_secret
from aiops_report.errors import AiopsReportError, ConfigError, FontMissing, SlackNotConfigured
from aiops_report.extras import install_hint
from aiops_report.jobs import report_numbers
from aiops_report.report import font_status
from aiops_report.sanity import time_findings
from aiops_report.texts.doctor import Finding, Listed, Phrase, error_finding
from aiops_report.timetable import cron_trigger

SCHEDULE_HORIZON = timedelta(days=366)  # a schedule whose next run is further is a mistake
CENSUS_WEEKS = 8
CENSUS_SPAN = timedelta(weeks=CENSUS_WEEKS)
NEITHER_SHARE = 0.05  # more feedback rows than this that are neither: the words may be wrong


def database_findings(engine: Engine, settings: Settings) -> list[Finding]:
    """Connection, tables and how each column is read, what the columns hold, indexes, and
    the report's queries run on one day."""
    try:
        check_connection(engine)
    except AiopsReportError as exc:
        return [error_finding(exc)]
    connected = {"dialect": engine.dialect.name, "url": describe(engine)}
    findings = [Finding("ok", "connected", connected)]
    try:
        tables = reflect_tables(engine, settings)
    except AiopsReportError as exc:
        return [*findings, error_finding(exc)]
    if tables.mapping.source:
        findings.append(Finding("ok", "mapping_read", {"path": tables.mapping.source}))
    findings += [Finding("ok", "table", _columns_values(tables, role)) for role in ROLES]
    parts = Listed(tuple(_insight_part(part) for part in insights_support(tables)))
    findings.append(Finding("ok", "insights", {"parts": parts}))
    for name, statement in missing_created_at_indexes(engine, tables).items():
        findings.append(Finding("warn", "no_index", {"table": name, "statement": statement}))
    if settings.keep_daily_totals:
        uncounted = {}
        if clickhouse.is_clickhouse(engine.dialect.name):
            with engine.connect() as conn:
                uncounted = clickhouse.uncounted_tables(conn, tables.tables())
        findings += [_proof_finding(tables, role, settings, uncounted) for role in ROLES]
    now = datetime.now(settings.report_zone)
    try:
        findings += [
            _filter_finding(engine, tables, role, now - CENSUS_SPAN, now)
            for role in ROLES
            if role in tables.filters
        ]
        findings += time_findings(engine, tables, now)
        findings += _feedback_findings(engine, tables, now - CENSUS_SPAN, now)
        findings += _score_findings(engine, tables, now - CENSUS_SPAN, now)
        if tables.has("conversations", "segment"):
            findings.append(_segment_finding(engine, tables, now - CENSUS_SPAN, now))
        findings.append(_trial_run(engine, settings, now))
    except AiopsReportError as exc:
        findings.append(error_finding(exc))
    return findings


def _columns_values(tables: ChatbotTables, role: TableRole) -> dict[str, object]:
    """Which column plays which part, how created_at is read, and the optional parts absent."""
    table = tables.table(role)
    played = [
        f"{part} = {table.c[part].name}" if table.c[part].name != part else part
        for part in column_parts(role)
        if part in table.c and part != "created_at"
    ]
    details: list[Phrase] = []
    if role == "feedback":
        kind = Phrase(f"value_{value_kind(table.c.feedback)}")
        details.append(Phrase("feedback_as", {"kind": kind, "type": str(table.c.feedback.type)}))
    if role == "evaluations":
        scale = tables.mapping.scale
        low_high = {"low": f"{scale.low:g}", "high": f"{scale.high:g}"}
        details.append(Phrase("scores_scale", {**low_high, "type": str(table.c.score.type)}))
    if played:
        details.append(Phrase("columns", {"columns": ", ".join(played)}))
    absent = [part for part in OPTIONAL_COLUMNS[role] if part not in table.c]
    if absent:
        details.append(Phrase("absent", {"columns": ", ".join(absent)}))
    return {
        "table": table.fullname,
        "role": Phrase(f"role_{role}"),
        "column": table.c.created_at.name,
        "time": _time_phrase(tables, role),
        "details": Listed(tuple(details)),
    }


def _time_phrase(tables: ChatbotTables, role: TableRole) -> Phrase:
    """How stored values of a created_at column are read as instants, and which setting
    gives the zone of naive ones."""
    created_at = tables.created_at(role)
    if created_at.style == "epoch":
        return Phrase(f"time_epoch_{created_at.unit}")
    mapping = tables.mapping.table(role)
    setting = mapping.setting("timezone") if mapping.timezone else "DB_TIMEZONE"
    return Phrase(f"time_{created_at.style}", {"zone": created_at.db_zone.key, "setting": setting})


def _filter_finding(
    engine: Engine, tables: ChatbotTables, role: TableRole, start: datetime, end: datetime
) -> Finding:
    """How many rows of recent weeks the table's `where` keeps and removes; a warning when
    it keeps none of them."""
    census = filter_census(engine, tables, role, start, end)
    said = {
        "table": tables.table(role).fullname,
        "where": tables.filters[role].text,
        "kept": census.kept,
        "removed": census.removed,
        "rows": census.rows,
        "weeks": CENSUS_WEEKS,
    }
    return Finding("warn" if census.rows and not census.kept else "ok", "filter", said)


def _proof_finding(
    tables: ChatbotTables, role: TableRole, settings: Settings, uncounted: dict[str, str]
) -> Finding:
    """How the kept totals of `role`'s table are proven current before each use (not at all
    for a ClickHouse table of `uncounted`: its engine's name)."""
    name = tables.table(role).name
    if name in uncounted:
        return Finding("ok", "proof_none", {"table": name, "engine": uncounted[name]})
    key = table_key(tables, role)
    if settings.kept_totals_proof == "counts":
        return Finding("ok", "proof_counts_set", {"table": name})
    if key is None:
        return Finding("ok", "proof_counts", {"table": name})
    return Finding("ok", "proof_watermark", {"table": name, "key": key.name})


def _insight_part(support: PartSupport) -> Phrase:
    if support.available:
        return Phrase("part_available", {"part": Phrase(f"part_{support.part}")})
    if support.extra is not None:
        return Phrase(
            "part_needs_extra",
            {"part": Phrase(f"part_{support.part}"), "hint": install_hint(support.extra)},
        )
    columns = Listed(support.columns, "or" if support.any_one else "and")
    return Phrase("part_left_out", {"part": Phrase(f"part_{support.part}"), "columns": columns})


def _feedback_findings(
    engine: Engine, tables: ChatbotTables, start: datetime, end: datetime
) -> list[Finding]:
    """The feedback values of recent weeks, and what each counts as."""
    values = feedback_values(engine, tables, start, end)
    total = sum(v.count for v in values)
    if not total:
        return [Finding("warn", "no_feedback", {"weeks": CENSUS_WEEKS})]
    shown: list[Phrase] = [
        Phrase(
            "feedback_value",
            {"value": repr(v.value), "count": v.count, "kind": Phrase(v.kind or "neither")},
        )
        for v in values[:FEEDBACK_VALUES_SHOWN]
    ]
    if len(values) > FEEDBACK_VALUES_SHOWN:
        shown.append(Phrase("more_values", {"count": len(values) - FEEDBACK_VALUES_SHOWN}))
    listed = {"weeks": CENSUS_WEEKS, "values": Listed(tuple(shown))}
    findings = [Finding("ok", "feedback_values", listed)]
    neither = sum(v.count for v in values if v.kind is None and v.value is not None)
    kinds = {v.kind for v in values}
    if neither > total * NEITHER_SHARE or not {"like", "dislike"} <= kinds:
        odd = ", ".join(repr(v.value) for v in values if v.kind is None and v.value is not None)
        findings.append(
            Finding(
                "warn",
                "neither_share",
                {
                    "neither": neither,
                    "total": total,
                    "odd": odd or Phrase("none"),
                    "likes": list(tables.mapping.like),
                    "dislikes": list(tables.mapping.dislike),
                    "hint": _words_hint(tables, [v.value for v in values]),
                },
            )
        )
    return findings


def _words_hint(tables: ChatbotTables, values: list[object]) -> Phrase | str:
    """Like and dislike words that fit the values found, when they differ from the mapping's."""
    words = suggested_words(values, value_kind(tables.feedback.c.feedback))
    if words is None or (tuple(words[0]), tuple(words[1])) == (
        tables.mapping.like,
        tables.mapping.dislike,
    ):
        return ""
    likes, dislikes = words
    return Phrase("words_hint", {"likes": toml_words(likes), "dislikes": toml_words(dislikes)})


def _score_findings(
    engine: Engine, tables: ChatbotTables, start: datetime, end: datetime
) -> list[Finding]:
    """How recent scores read: numbers, not numbers, outside the score range."""
    census = score_census(engine, tables, start, end)
    scale = tables.mapping.scale
    low_high = {"low": f"{scale.low:g}", "high": f"{scale.high:g}"}
    counts = {"numbers": census.numbers, "below": census.below, "above": census.above}
    findings = [Finding("ok", "scores", {"weeks": CENSUS_WEEKS, **counts, **low_high})]
    if census.not_numbers:
        examples = ", ".join(repr(v) for v in census.examples_not_numbers)
        where = tables.column_name("evaluations", "score")
        findings.append(
            Finding(
                "warn",
                "not_numbers",
                {"count": census.not_numbers, "column": where, "examples": examples},
            )
        )
    if census.below or census.above:
        outside = census.below + census.above
        findings.append(Finding("warn", "out_of_range", {"count": outside, **low_high}))
    return findings


def _segment_finding(
    engine: Engine, tables: ChatbotTables, start: datetime, end: datetime
) -> Finding:
    """How many segments recent conversations have, the most frequent named; a warning when
    none has one."""
    census = segment_census(engine, tables, start, end)
    column = tables.column_name("conversations", "segment")
    if not census.distinct:
        said = {"column": column, "count": census.conversations, "weeks": CENSUS_WEEKS}
        return Finding("warn", "segments_empty", said)
    shown: list[Phrase] = [
        Phrase("segment_value", {"value": repr(value), "count": count})
        for value, count in census.most_frequent
    ]
    if census.distinct > len(shown):
        shown.append(Phrase("more_values", {"count": census.distinct - len(shown)}))
    if census.without:
        shown.append(Phrase("no_segment", {"count": census.without}))
    values = {"column": column, "count": census.distinct, "values": Listed(tuple(shown))}
    return Finding("ok", "segments", {**values, "weeks": CENSUS_WEEKS})


def _trial_run(engine: Engine, settings: Settings, now: datetime) -> Finding:
    """Every query of the report, run on yesterday: "ok" means `generate` works."""
    yesterday = now.date() - timedelta(days=1)
    started = time.monotonic()
    # The themes' texts are read, not analysed: the analyser is no query (and loads in 1 s).
    report_numbers(
        engine, settings, Period(yesterday, now.date(), settings.report_zone), analyse_texts=False
    )
    seconds = f"{time.monotonic() - started:.1f}"
    return Finding("ok", "trial_run", {"day": yesterday, "seconds": seconds})


def font_findings() -> list[Finding]:
    """Which font the report embeds, and whether it covers Hangul."""
    try:
        status = font_status()
    except FontMissing as exc:
        return [error_finding(exc)]
    if not status.covers_hangul:
        return [Finding("error", "font_no_hangul", {"path": status.path})]
    return [Finding("ok", "font", {"name": status.name, "path": status.path})]


def slack_findings(config: SlackConfig) -> list[Finding]:
    """Token, scopes, channel and membership, checked without sending anything."""
    try:
        slack = SlackDelivery(config)
    except SlackNotConfigured as exc:
        return [error_finding(exc, "warn")]
    return slack.check()


def delivery_findings(settings: Settings) -> list[Finding]:
    """Each destination of DELIVERY_FILE checked without sending (Slack: token and channel;
    email: the SMTP server's greeting, STARTTLS and login; webhook: its URL and secret);
    SLACK_CHANNEL's Slack checks without the file."""
    slack = SlackConfig.of(settings)
    if settings.delivery_file is None:
        return slack_findings(slack)
    try:
        every = destinations(settings)
    except ConfigError as exc:
        return [error_finding(exc)]
    counted = {"path": settings.delivery_file, "count": _distinct(every, settings)}
    findings = [Finding("ok", "delivery_file", counted)]
    smtp: Finding | None = None
    for destination in every:
        if destination.kind == "slack":
            aimed = slack.aimed_at(destination.address)
            findings += [f for f in slack_findings(aimed) if f not in findings]
        elif destination.kind == "email":
            smtp = smtp or _smtp_finding(settings)  # one SMTP server for every address
            findings.append(_of_destination(destination.shown, smtp))
        elif destination.kind == "webhook":
            try:
                webhook_secret(settings.webhook_secret)
                findings.append(Finding("ok", "webhook_signed", {"destination": destination.shown}))
            except ConfigError as exc:
                findings.append(_of_destination(destination.shown, error_finding(exc)))
    return findings


def _distinct(every: list[Destination], settings: Settings) -> int:
    """How many destinations `every` are once each is known as delivery knows it (its ledger
    key: a Slack channel's ID, asked of Slack), so that `#AI-Reports`, `ai-reports` and
    `C0AIREPORTS` count once; a destination that cannot say is counted by its spelling."""
    config = DeliveryConfig.of(settings)
    keys = set()
    for destination in every:
        kind = kind_of(destination.kind)
        try:
            key = kind.sender(destination.address, config).ledger_key()
        except AiopsReportError:
            key = kind.same(destination.address)
        keys.add((destination.kind, key, destination.segment))
    return len(keys)


def _of_destination(destination: str, finding: Finding) -> Finding:
    """`finding`, said of one destination of DELIVERY_FILE."""
    said = Phrase(finding.key, finding.values)
    return Finding(finding.level, "destination", {"destination": destination, "said": said})


def _smtp_finding(settings: Settings) -> Finding:
    try:
        answer = check_smtp(EmailConfig.of(settings))
    except AiopsReportError as exc:
        return error_finding(exc)
    said = {
        "server": answer.shown,
        "tls": Phrase("tls" if answer.tls else "no_tls"),
        "user": answer.user,
        "sender": settings.email_from,
    }
    return Finding("ok", "smtp_login" if answer.user else "smtp", said)


def alert_findings(settings: Settings) -> list[Finding]:
    """The alert rules of ALERTS_FILE (nothing to say of the built-in ones) and a
    WATCH_SCHEDULE that is not a schedule."""
    findings = []
    if settings.alerts_file is not None:
        try:
            rules = load_rules(settings.alerts_file)
            names = ", ".join(rule.name for rule in rules)
            counted = {"path": settings.alerts_file, "count": len(rules), "names": names}
            findings.append(Finding("ok", "alerts_file", counted))
        except ConfigError as exc:
            findings.append(error_finding(exc))
    return findings


def schedule_findings(settings: Settings, now: datetime) -> list[Finding]:
    """SCHEDULE and WATCH_SCHEDULE: an error when one is not a schedule, a warning when its
    next run never comes (the 31st of February) or is more than a year away."""
    findings = []
    for setting in ("schedule", "watch_schedule"):
        try:
            trigger = cron_trigger(settings, setting)
        except ConfigError as exc:
            findings.append(error_finding(exc))
            continue
        said = {"setting": setting.upper(), "expression": getattr(settings, setting)}
        next_run: datetime | None = trigger.get_next_fire_time(None, now)
        if next_run is None:
            findings.append(Finding("warn", "schedule_never", said))
        elif next_run - now > SCHEDULE_HORIZON:
            findings.append(Finding("warn", "schedule_far", {**said, "next": next_run.date()}))
    return findings


def state_findings(engine: Engine, settings: Settings) -> list[Finding]:
    """STATE_DATABASE_URL, when set, reached as the chatbot's database is."""
    if settings.state_database_url is None:
        return []
    state = state_engine(engine, settings)
    try:
        check_connection(state)
    except AiopsReportError as exc:
        return [error_finding(f"STATE_DATABASE_URL: {exc}")]
    return [
        Finding("ok", "state_connected", {"dialect": state.dialect.name, "url": describe(state)})
    ]


def all_findings(engine: Engine, settings: Settings) -> list[Finding]:
    """Everything `doctor` checks: database, font, each destination and the alert rules."""
    return [
        *database_findings(engine, settings),
        *state_findings(engine, settings),
        *font_findings(),
        *delivery_findings(settings),
        *alert_findings(settings),
        *schedule_findings(settings, datetime.now(settings.report_zone)),
    ]
