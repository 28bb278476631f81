"""Benchmark: proving the kept totals current, by counting (before) and by watermarks (after).

    .venv/bin/python bench/proof.py                        # 1M a week, SQLite and PostgreSQL
    .venv/bin/python bench/proof.py --sizes 10k --databases sqlite

On bench.py's databases (built by it first when missing), the report's 56 days before the
reported week are kept (in a state database of this benchmark's own, so that the chatbot's
database is only read), as last week's report left them: their watermarks are the highest ids
before the week began, so the proof reads the week of rows added since, as on a Monday. Then
the median wall time of proving those days current, in a new store each time: every table
counted (`KEPT_TOTALS_PROOF=counts`, what every report did before) and by watermarks.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import DATA, SIZES, WEEK_START, ZONE, build, settings_for

from aiops_report.data.daily import keep_daily_totals
from aiops_report.data.db import make_engine
from aiops_report.data.mapping import ROLES
from aiops_report.data.periods import Period, midnight
from aiops_report.data.rollups import DailyTotalsStore, report_daily_totals
from aiops_report.data.tables import reflect_tables

BASELINE = Period(WEEK_START - timedelta(weeks=8), WEEK_START, ZONE)  # the 56 kept days


def measure(database: str, size: str, repeat: int, since_weeks: int) -> dict[str, float]:
    """Seconds to prove the 56 kept days current, counted and by watermarks."""
    state = DATA / f"proof_state_{database}_{size}.db"  # kept days read once, then reused
    settings = settings_for(database, size).model_copy(
        update={"state_database_url": f"sqlite:///{state}"}
    )
    engine = make_engine(settings)
    state_engine = sa.create_engine(f"sqlite:///{state}")
    tables = reflect_tables(engine, settings)
    keep_daily_totals(engine, tables, BASELINE, DailyTotalsStore(state_engine))
    # The ids each table had a week before the data's last week: one week of rows added
    # since, as on a Monday after last week's report.
    week_start = midnight(WEEK_START + timedelta(days=7 * since_weeks), ZONE)
    with engine.connect() as conn:
        before_week = [
            conn.execute(
                sa.select(sa.func.max(tables.table(role).c.id)).where(
                    tables.created_at(role).within(week_start - timedelta(weeks=10), week_start)
                )
            ).scalar_one()
            for role in ROLES
        ]
        since = [
            conn.execute(
                sa.select(sa.func.count()).where(tables.table(role).c.id > before_week[i])
            ).scalar_one()
            for i, role in enumerate(ROLES)
        ]
    print(f"{database} {size}: rows added since the kept days were read: {since}", flush=True)
    seconds: dict[str, list[float]] = {"counts": [], "watermarks": []}
    for _ in range(repeat):
        for proof in seconds:
            with state_engine.begin() as conn:  # as last week's report left them
                conn.execute(
                    sa.update(report_daily_totals).values(watermarks=json.dumps(before_week))
                )
            store = DailyTotalsStore(state_engine, watermarks=proof == "watermarks")
            started = time.perf_counter()
            keep_daily_totals(engine, tables, BASELINE, store)
            seconds[proof].append(time.perf_counter() - started)
    engine.dispose()
    return {proof: statistics.median(runs) for proof, runs in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1m")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--since-weeks", type=int, default=1, help="0: two weeks of rows added since, 1: one"
    )
    args = parser.parse_args()
    print(f"{'db':<10} {'size':>5} {'counts s':>9} {'watermarks s':>13} {'ratio':>6}")
    for database in args.databases.split(","):
        for size in args.sizes.split(","):
            assert size in SIZES, size
            build(database, size)
            result = measure(database, size, args.repeat, args.since_weeks)
            ratio = result["counts"] / result["watermarks"]
            print(
                f"{database:<10} {size:>5} {result['counts']:>9.3f} "
                f"{result['watermarks']:>13.3f} {ratio:>6.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
