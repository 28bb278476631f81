"""The ledger's one-off events: recorded once however many processes try at the same time,
and taken over when the process that recorded one died before it was done."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import time_machine
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


def test_an_event_whose_process_died_is_taken_over_once_its_lease_has_passed(
    engine: Engine,
) -> None:
    key, lease = "restate:7:0123456789abcdef", timedelta(minutes=30)
    with time_machine.travel(datetime(2026, 12, 7, 9, 0), tick=False):
        assert RunLedger(state_of(engine)).first_time(key, lease=lease) is True  # then it died
    with time_machine.travel(datetime(2026, 12, 7, 9, 20), tick=False):
        assert RunLedger(state_of(engine)).first_time(key, lease=lease) is False  # still its own

    ledgers = [RunLedger(state_of(engine)) for _ in range(6)]
    with (
        time_machine.travel(datetime(2026, 12, 7, 9, 31), tick=False),
        ThreadPoolExecutor(len(ledgers)) as pool,
    ):
        takers = list(pool.map(lambda ledger: ledger.first_time(key, lease=lease), ledgers))
    assert takers.count(True) == 1  # one process sends it again

    RunLedger(state_of(engine)).done(key)
    with time_machine.travel(datetime(2026, 12, 8, 9, 0), tick=False):
        assert RunLedger(state_of(engine)).first_time(key, lease=lease) is False  # done


def test_an_event_recorded_without_a_lease_is_never_taken_over(engine: Engine) -> None:
    with time_machine.travel(datetime(2026, 12, 7, 9, 0), tick=False):
        assert RunLedger(state_of(engine)).first_time("alert:2026-12-06:x") is True
    with time_machine.travel(datetime(2026, 12, 9, 9, 0), tick=False):
        lease = timedelta(minutes=30)  # as recorded before leases: done, not pending
        assert RunLedger(state_of(engine)).first_time("alert:2026-12-06:x", lease=lease) is False
