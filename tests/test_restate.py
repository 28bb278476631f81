"""A delivered week that changes is restated: once per change to each destination that got
it, however many replicas run, never for a change below RESTATE_THRESHOLD."""

from __future__ import annotations

import io
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdf
import pytest
import sqlalchemy as sa
import time_machine
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from aiops_report.data.config import Settings, load_settings, parse_restate_threshold
from aiops_report.data.db import make_engine
from aiops_report.data.demo import fill_demo_data
from aiops_report.data.periods import Period
from aiops_report.delivery.runs import RunLedger
from aiops_report.errors import ConfigError
from aiops_report.jobs import WeeklyOutcome, run_weekly
from aiops_report.restate import delivered_weeks
from aiops_report.watch import watch
from chatbot_tables import state_of
from mail_server import MailServer, mail_server_fixture  # noqa: F401  (the `mail_server` fixture)
from slack_server import TOKEN, SlackServer

SEOUL = ZoneInfo("Asia/Seoul")
SEOUL_NOW = datetime(2026, 11, 26, 10, tzinfo=SEOUL)
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)
LATER = datetime(2026, 11, 27, 10, tzinfo=SEOUL)  # the next day's runs
RESTATED = "weekly_report_2026_11_23_restated.pdf"


def routed(settings: Settings, tmp_path: Path, slack: SlackServer, mail: MailServer) -> Settings:
    routes = tmp_path / "routes.toml"
    routes.write_text(
        '[[route]]\nslack = ["#ai-reports"]\nemail = ["ops-lead@example.com"]\n', "utf-8"
    )
    return settings.model_copy(
        update={
            "delivery_file": routes,
            "slack_bot_token": SecretStr(TOKEN),
            "slack_api_url": slack.api_url,
            "smtp_url": SecretStr(mail.url),
            "email_from": "aiops-report@example.com",
        }
    )


def add_late_conversations(engine: Engine, count: int) -> None:
    """`count` conversations of the delivered week's Wednesday, written today."""
    wednesday = (WEEK.start_at + timedelta(days=2, hours=12)).astimezone(UTC).replace(tzinfo=None)
    table = sa.Table("conversation_log", sa.MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(table), [{"created_at": wednesday}] * count)


def week_conversations(engine: Engine) -> int:
    start, end = (t.astimezone(UTC).replace(tzinfo=None) for t in (WEEK.start_at, WEEK.end_at))
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM conversation_log "
                    "WHERE created_at >= :start AND created_at < :end"
                ),
                {"start": start, "end": end},
            ).scalar_one()
        )


def replicas_at_once(settings: Settings, count: int) -> list[WeeklyOutcome]:
    """`count` run-weekly jobs at the same instant, each with its own engine (as processes)."""
    start = threading.Barrier(count)
    outcomes: list[WeeklyOutcome] = []
    errors: list[BaseException] = []

    def one_replica() -> None:
        engine = make_engine(settings)
        start.wait()
        try:
            outcomes.append(run_weekly(engine, settings, period=WEEK))
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=one_replica) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return outcomes


@pytest.mark.parametrize(
    ("db_url", "state_apart"),
    [("sqlite", False), ("postgresql", False), ("postgresql", True)],
    indirect=["db_url"],
    ids=["sqlite", "postgresql", "postgresql-with-sqlite-state"],
)
def test_late_rows_are_restated_once_everywhere_by_four_replicas(
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    slack_server: SlackServer,
    mail_server: MailServer,
    state_apart: bool,
) -> None:
    settings = routed(settings, tmp_path, slack_server, mail_server)
    if state_apart:  # the ledger and the figures in STATE_DATABASE_URL, a SQLite file
        state = f"sqlite:///{tmp_path / 'state.db'}"
        settings = settings.model_copy(update={"state_database_url": state})
    fill_demo_data(engine, settings, weeks=2, per_day=15, now=SEOUL_NOW)
    with time_machine.travel(SEOUL_NOW, tick=True):
        run_weekly(engine, settings, period=WEEK)
    delivered = week_conversations(engine)
    add_late_conversations(engine, 10)  # ~10% more: far above 1%

    with time_machine.travel(LATER, tick=True):
        outcomes = replicas_at_once(settings, 4)
        again = run_weekly(engine, settings, period=WEEK)  # the next run: nothing new

    restated = [line for o in outcomes for line in o.restated]
    assert sorted(restated) == [
        f"the week 2026-11-16 restated to #ai-reports: conversations {delivered} → "
        f"{delivered + 10}",
        f"the week 2026-11-16 restated to email:ops-lead@example.com: conversations "
        f"{delivered} → {delivered + 10}",
    ]
    assert again.restated == ()
    # Each destination's correction may come from another replica: the same restated report,
    # built at another second (its footer's time).
    _, correction = slack_server.shared_files()  # the report, then its one correction
    assert correction.channel_id == "C0AIREPORTS" and correction.filename == RESTATED
    assert correction.data and correction.data.startswith(b"%PDF")
    first_page = pypdf.PdfReader(io.BytesIO(correction.data)).pages[0].extract_text()
    assert "AI 챗봇 주간 운영 리포트 (정정본)" in first_page  # it says what it is
    assert correction.initial_comment is not None
    assert correction.initial_comment.splitlines() == [
        "*정정: AI 챗봇 주간 운영 리포트 2026-11-16 – 2026-11-22*",
        "이 주의 리포트를 보낸 뒤 늦게 들어온 데이터로 수치가 바뀌었습니다.",
        f"• 대화 수: {delivered} → {delivered + 10} (▲ +10 ({10 / delivered * 100:+.1f}%))",
        "다시 만든 리포트를 첨부합니다.",
    ]
    report_mail, correction_mail = mail_server.messages
    assert correction_mail["Subject"] == "정정: AI 챗봇 주간 운영 리포트 2026-11-16 – 2026-11-22"
    [attachment] = correction_mail.iter_attachments()
    assert attachment.get_filename() == RESTATED
    assert attachment.get_content().startswith(b"%PDF")
    assert report_mail["Subject"] == "AI 챗봇 주간 운영 리포트 2026-11-16 – 2026-11-22"
    assert mail_server.recipients == [["ops-lead@example.com"]] * 2
    # What the dashboard shows: delivered and today's figures agree again.
    with time_machine.travel(LATER, tick=True):
        weeks = delivered_weeks(engine, settings)
    assert [(w.delivered["conversations"], w.current["conversations"]) for w in weeks] == [
        (delivered + 10, delivered + 10)
    ] * 2
    # The figures are kept with the ledger: in STATE_DATABASE_URL when it is set.
    assert sa.inspect(engine).has_table("report_figures") is not state_apart
    if state_apart:
        assert sa.inspect(sa.create_engine(str(settings.state_database_url))).has_table(
            "report_figures"
        )


@pytest.mark.parametrize("db_url", ["sqlite", "mariadb"], indirect=True)
def test_a_change_below_the_threshold_is_not_posted(
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    slack_server: SlackServer,
    mail_server: MailServer,
) -> None:
    settings = routed(settings, tmp_path, slack_server, mail_server)
    fill_demo_data(engine, settings, weeks=2, per_day=15, now=SEOUL_NOW)
    with time_machine.travel(SEOUL_NOW, tick=True):
        run_weekly(engine, settings, period=WEEK)
    delivered = week_conversations(engine)
    add_late_conversations(engine, 1)  # 1 of ~105: under 1%

    with time_machine.travel(LATER, tick=True):
        quiet = run_weekly(engine, settings, period=WEEK)
        wider = run_weekly(
            engine, settings.model_copy(update={"restate_threshold": "0.5%"}), period=WEEK
        )

    assert 1 / delivered * 100 < 1 < 1 / delivered * 100 * 2
    assert quiet.restated == ()
    assert [line.split(": ")[0] for line in wider.restated] == [
        "the week 2026-11-16 restated to #ai-reports",
        "the week 2026-11-16 restated to email:ops-lead@example.com",
    ]
    assert len(slack_server.shared_files()) == 2 and len(mail_server.messages) == 2
    assert len(RunLedger(state_of(engine)).history()) == 2


@pytest.mark.parametrize(
    ("text", "percent", "points"),
    [("1%, 0.5pt", 1.0, 0.5), ("2%", 2.0, 0.5), ("1pt", 1.0, 1.0), ("off", None, None)],
)
def test_the_threshold_reads(text: str, percent: float | None, points: float | None) -> None:
    threshold = parse_restate_threshold(text)
    assert (threshold.percent, threshold.points) == (percent, points)


@pytest.mark.parametrize("text", ["", "1", "1%, 2%", "-1%", "half"])
def test_a_bad_threshold_is_one_line(text: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(restate_threshold=text)
    assert str(raised.value).startswith("invalid setting: RESTATE_THRESHOLD ")
    assert "'1%, 0.5pt'" in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_watch_restates_too_in_the_reports_language(
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    slack_server: SlackServer,
    mail_server: MailServer,
) -> None:
    settings = routed(settings, tmp_path, slack_server, mail_server)
    fill_demo_data(engine, settings, weeks=2, per_day=15, now=SEOUL_NOW)

    quiet = watch(engine, settings, now=SEOUL_NOW)  # nothing delivered yet
    assert (quiet.restated, quiet.problems) == ([], [])

    with time_machine.travel(SEOUL_NOW, tick=True):
        run_weekly(engine, settings, period=WEEK)
    add_late_conversations(engine, 10)
    english = settings.model_copy(update={"report_language": "en"})
    outcome = watch(engine, english, now=LATER)

    assert [line.split(": ")[0] for line in outcome.restated] == [
        "the week 2026-11-16 restated to #ai-reports",
        "the week 2026-11-16 restated to email:ops-lead@example.com",
    ]
    _, correction_mail = mail_server.messages
    # (a long subject is folded on the way: its spaces are compared, not their number)
    assert " ".join(correction_mail["Subject"].split()) == (
        "Correction: AI chatbot weekly operations report 2026-11-16 – 2026-11-22"
    )
    body = correction_mail.get_body(("plain",))
    assert body is not None
    assert "Rows that arrived after this week's report was sent" in body.get_content()
    assert watch(engine, english, now=LATER).restated == []
