"""Where the Monday report's time goes: each statement of one `generate --json`, timed in the
run and then again alone, against the floor (bench.py's one aggregate pass per table).

    .venv/bin/python bench/statements.py postgresql            # Monday morning, 1M a week
    .venv/bin/python bench/statements.py sqlite --watched      # the alert watch kept Mon-Sat

Uses bench.py's databases (built by `bench.py` first). In the run, statements share the
machine's cores (SQLite's run in this process, under the GIL); alone, each runs on a
connection of its own with nothing beside it, and its rows are fetched: what it costs the
database. The lines group statements by what they read (the first words that tell them apart).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from dataclasses import dataclass
from typing import Any

import bench
from sqlalchemy import event
from sqlalchemy.engine import Engine

from aiops_report.data.db import make_engine
from aiops_report.data.periods import Period


@dataclass
class Statement:
    text: str
    parameters: Any
    seconds_in_run: float

    @property
    def label(self) -> str:
        return " ".join(self.text.split())[:110]


def record(engine: Engine) -> list[Statement]:
    """The statements `engine` runs from now on, with their time to the first row."""
    found: list[Statement] = []
    started = threading.local()

    @event.listens_for(engine, "before_cursor_execute")
    def before(*_: Any) -> None:
        started.at = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def after(_conn: Any, _cursor: Any, text: str, parameters: Any, *_: Any) -> None:
        found.append(Statement(text, parameters, time.perf_counter() - started.at))

    return found


def alone(engine: Engine, statement: Statement, repeat: int) -> float:
    """The median seconds of `statement` run alone, its rows fetched."""
    runs = []
    for _ in range(repeat):
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            began = time.perf_counter()
            cursor.execute(statement.text, statement.parameters)
            cursor.fetchall()
            runs.append(time.perf_counter() - began)
        finally:
            connection.close()
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database", choices=["sqlite", "postgresql"])
    parser.add_argument("--size", default="1m", choices=list(bench.SIZES))
    parser.add_argument("--watched", action="store_true", help="Mon-Sat kept by the watch")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()

    settings = bench.settings_for(args.database, args.size)
    (bench.watched_monday if args.watched else bench.monday_morning)(settings)
    floor = min(bench.measure_once("floor", args.database, args.size)["seconds"] for _ in "123")

    from aiops_report.jobs import report_numbers

    engine = make_engine(settings)
    statements = record(engine)
    began, cpu = time.perf_counter(), time.process_time()
    report_numbers(engine, settings, Period.week_of(bench.WEEK_START, bench.ZONE))
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu

    reads = [s for s in statements if s.text.lstrip().upper().startswith(("SELECT", "WITH"))]
    solo = sorted(((alone(engine, s, args.repeat), s) for s in reads), key=lambda p: -p[0])
    total = sum(seconds for seconds, _ in solo)
    morning = "the watch kept Mon-Sat" if args.watched else "Monday morning"
    print(f"{args.database} {args.size}, {morning}: floor {floor:.2f} s")
    print(f"report_numbers: {wall:.2f} s ({wall / floor:.1f}x the floor), {cpu:.2f} s CPU here")
    print(f"{len(reads)} reads, alone: {total:.2f} s in all ({total / floor:.1f}x the floor)")
    print(f"{'alone':>6} {'x floor':>7} {'in run':>6}  statement")
    for seconds, statement in solo[: args.top]:
        print(
            f"{seconds:6.2f} {seconds / floor:7.2f} {statement.seconds_in_run:6.2f}  "
            f"{statement.label}"
        )


if __name__ == "__main__":
    main()
