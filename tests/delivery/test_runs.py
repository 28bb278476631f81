"""The ledger's one-off events: recorded once however many processes try at the same time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine

from aiops_report.delivery.runs import RunLedger
from chatbot_tables import state_of


def test_an_event_is_recorded_first_by_exactly_one_of_many_processes(engine: Engine) -> None:
    ledgers = [RunLedger(state_of(engine)) for _ in range(6)]
    ledgers[0].ensure_table()
    with ThreadPoolExecutor(len(ledgers)) as pool:
        firsts = list(pool.map(lambda ledger: ledger.first_time("alert:2026-11-30"), ledgers))

    assert firsts.count(True) == 1
    assert RunLedger(state_of(engine)).first_time("alert:2026-11-30") is False
    assert RunLedger(state_of(engine)).first_time("alert:2026-12-01") is True
