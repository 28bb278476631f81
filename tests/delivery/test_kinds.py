"""A new kind of destination is one module: a `Kind` and its `Sender`, registered; routes,
the delivery loop, corrections and alerts then serve it like Slack, email and webhooks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.engine import Engine

from aiops_report.analysis.alert_rules import DEFAULT_RULES
from aiops_report.analysis.alerts import Alert
from aiops_report.data.config import Settings
from aiops_report.data.demo import fill_demo_data
from aiops_report.data.periods import Period
from aiops_report.delivery.alerting import post_alert
from aiops_report.delivery.config import DeliveryConfig
from aiops_report.delivery.kinds import register, unregister
from aiops_report.delivery.protocol import Kind, Message, Receipt
from aiops_report.delivery.routes import destinations, load_routes
from aiops_report.delivery.runs import RunLedger
from aiops_report.errors import ConfigError
from aiops_report.jobs import run_weekly
from chatbot_tables import state_of

SEOUL = ZoneInfo("Asia/Seoul")
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)
POSTED: dict[str, list[Message]] = {}  # what each team's inbox received


# --- the whole new kind: what a team adding one writes in one module ----------------------------


class TeamInbox:
    """A team's inbox: takes a message's subject, text and files (here: kept in POSTED)."""

    def __init__(self, team: str, config: DeliveryConfig) -> None:
        self.team = team

    @property
    def shown(self) -> str:
        return f"team:{self.team}"

    def ledger_key(self) -> str:
        return self.team

    def former_keys(self) -> set[str]:
        return set()

    def send(
        self, message: Message, *, on_receipt_id: Callable[[str], object] | None = None
    ) -> Receipt:
        POSTED.setdefault(self.team, []).append(message)
        return Receipt()

    def resume(self, message: Message, receipt_id: str) -> Receipt | None:
        return None


def _team(name: str) -> str:
    if not name.isidentifier():
        raise ValueError(f"{name!r} is not a team name")
    return name


TEAMS = Kind(
    name="teams",
    many=True,
    check=_team,
    shown=lambda team: f"team:{team}",
    same=str.lower,
    sender=TeamInbox,
)

# -------------------------------------------------------------------------------------------------


@pytest.fixture
def teams() -> Iterator[dict[str, list[Message]]]:
    register(TEAMS)
    POSTED.clear()
    yield POSTED
    unregister("teams")


def routes(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "routes.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_registered_kind_gets_the_report_and_its_correction_once(
    engine: Engine, settings: Settings, tmp_path: Path, teams: dict[str, list[Message]]
) -> None:
    file = routes(tmp_path, '[[route]]\nteams = ["ops", "OPS"]\nalerts = true\n')
    settings = settings.model_copy(update={"delivery_file": file})
    fill_demo_data(engine, settings, weeks=2, per_day=15, now=datetime(2026, 11, 26, tzinfo=SEOUL))

    with time_machine.travel(datetime(2026, 11, 24, 10, tzinfo=SEOUL), tick=True):
        first = run_weekly(engine, settings, period=WEEK)
        again = run_weekly(engine, settings, period=WEEK)
    late = (WEEK.start_at + timedelta(days=1)).astimezone(UTC).replace(tzinfo=None)
    table = sa.Table("conversation_log", sa.MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(table), [{"created_at": late}] * 20)
    with time_machine.travel(datetime(2026, 11, 25, 10, tzinfo=SEOUL), tick=True):
        restated = run_weekly(engine, settings, period=WEEK)

    assert [d.shown for d in destinations(settings)] == ["team:ops"]
    assert first.message == "weekly_report_2026_11_23.pdf delivered to team:ops"
    assert again.status == "skipped"
    assert [run.channel for run in RunLedger(state_of(engine)).history()] == ["team:ops"]
    report, correction = teams["ops"]
    assert report.subject == "AI 챗봇 주간 운영 리포트 2026-11-16 – 2026-11-22"
    assert [p.name for p in report.files] == ["weekly_report_2026_11_23.pdf"]
    assert correction.subject == "정정: AI 챗봇 주간 운영 리포트 2026-11-16 – 2026-11-22"
    assert [p.name for p in correction.files] == ["weekly_report_2026_11_23_restated.pdf"]
    assert correction.document["restatement"]["moved"] == ["conversations"]
    assert [line.split(":")[0] for line in restated.restated] == [
        "the week 2026-11-16 restated to team"
    ]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_registered_kind_gets_alerts_and_its_addresses_are_checked(
    engine: Engine, settings: Settings, tmp_path: Path, teams: dict[str, list[Message]]
) -> None:
    settings = settings.model_copy(
        update={"delivery_file": routes(tmp_path, '[[route]]\nteams = ["ops"]\nalerts = true\n')}
    )
    [destination] = destinations(settings, alerts=True)
    alert = Alert(DEFAULT_RULES[0], date(2026, 11, 20), None, 0.41, 120, 0.62, 8, -4.2)

    sent = post_alert(settings, RunLedger(state_of(engine)), alert, destination)
    repeated = post_alert(settings, RunLedger(state_of(engine)), alert, destination)

    assert (sent, repeated) == (True, False)
    [message] = teams["ops"]
    assert message.subject.startswith("알림: ") and message.headers["X-Alert-Id"]
    with pytest.raises(ConfigError, match=r"route 1 teams: 'a b' is not a team name"):
        load_routes(routes(tmp_path, '[[route]]\nteams = ["a b"]\n'))
    with pytest.raises(ConfigError, match=r"a route needs slack, email, webhook or teams"):
        load_routes(routes(tmp_path, "[[route]]\nalerts = true\n"))
