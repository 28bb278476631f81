"""Benchmark: the weekly report against the cost of reading its two weeks once.

    .venv/bin/python bench/bench.py                      # 10k, 100k and 1M conversations a week
    .venv/bin/python bench/bench.py --sizes 10k --databases sqlite

Builds (once; later runs reuse them) a database per size on SQLite and PostgreSQL: eight weeks
of conversations, feedback and evaluations appended in time order, bulk loaded (PostgreSQL
COPY, SQLite executemany in one transaction). Then measures, each in a fresh process so that
its peak RSS is its own, the median wall time of several runs of:

  (a) floor       one aggregate query per table reading every column the report uses, over
                  the reported week and the week before
  (b) json        `generate --json`: the numbers of the week, on Monday morning: the totals of
                  earlier days are kept (rollups.py) by last week's report, the week is read
  (c) pdf         the full `generate`: numbers, PDF and JSON files, on Monday morning
  (d) overview    the dashboard Overview's numbers for 4 weeks (cold: a new process), after
                  the Monday report ran; all but the unique users card, which follows:
  users           the Overview's unique users of the 4 weeks and the 4 before
  (e) pandas      the naive approach: read_sql of the two weeks' rows, numbers in pandas
  json_cold       `generate --json` on a database where no day's totals are kept yet
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from aiops_report.config import Settings, load_settings
from aiops_report.db import OPTIONAL_COLUMNS, create_schema, make_engine
from aiops_report.periods import Period
from aiops_report.rollups import TABLE_NAME, DailyTotalsStore, report_daily_totals

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
PG_SERVER = os.environ.get("AIOPS_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
ZONE = ZoneInfo("Asia/Seoul")
# The reported week; the data holds it, the week before and six more weeks of history.
WEEK_START = date(2026, 11, 16)
WEEKS = 8
MODELS = ["gpt-4o-mini", "gpt-4o", "claude-3-5-haiku", "gpt-4.1-nano"]
FEEDBACK = ["like", "like", "like", "dislike", " Like ", "DISLIKE"]


def url_for(database: str, size: str) -> str:
    if database == "sqlite":
        return f"sqlite:///{DATA / f'bench_{size}.db'}"
    return f"{PG_SERVER}/aiops_bench_{size}"


def settings_for(database: str, size: str) -> Settings:
    return load_settings(database_url=url_for(database, size))


# --- building the databases ----------------------------------------------------------------


def day_batches(per_week: int, seed: int = 1) -> Iterator[tuple[list[tuple[Any, ...]], ...]]:
    """(conversations, feedback, evaluations) tuples per day, in time order, UTC naive."""
    rng = random.Random(seed)
    first = datetime.combine(WEEK_START - timedelta(weeks=WEEKS - 2), datetime.min.time(), ZONE)
    per_day = per_week // 7
    next_id = 1
    for day in range(WEEKS * 7):
        start = first + timedelta(days=day)
        start_utc = start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
        step = 86_400 / per_day
        conversations, feedback, evaluations = [], [], []
        for i in range(per_day):
            at = start_utc + timedelta(seconds=i * step)
            cid = next_id
            next_id += 1
            model = MODELS[rng.randrange(4)]
            conversations.append(
                (
                    cid,
                    f"user-{rng.randrange(per_week // 3 + 1)}",
                    f"s-{cid // 4}",
                    f"질문 {cid}: 주문 배송이 언제 오나요?",
                    f"답변 {cid}: 내일 도착 예정입니다.",
                    model,
                    None if i % 97 == 0 else int(rng.lognormvariate(6.8, 0.4)),
                    rng.randrange(100, 1500),
                    rng.randrange(20, 600),
                    at,
                )
            )
            later = at + timedelta(seconds=30)
            feedback.append((cid, cid, FEEDBACK[rng.randrange(6)], None, later))
            score = None if i % 41 == 0 else round(rng.uniform(0, 10), 1)
            evaluations.append((cid, cid, score, "llm-judge", None, later))
        yield conversations, feedback, evaluations


# The rows of day_batches are in this order: the full schema of init-db.
CONV_COLUMNS = (*OPTIONAL_COLUMNS["conversations"], "created_at")
FB_COLUMNS = ("id", "conversation_id", "feedback", "comment", "created_at")
EV_COLUMNS = ("id", "conversation_id", "score", "evaluator", "reason", "created_at")


def build(database: str, size: str) -> None:
    """Create and fill the database of `size` unless it is there already."""
    settings = settings_for(database, size)
    if database == "postgresql":
        admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            name = f"aiops_bench_{size}"
            if not conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).first():
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    else:
        DATA.mkdir(exist_ok=True)
    engine = make_engine(settings)
    with engine.connect() as conn:
        if sa.inspect(conn).has_table("bench_done"):
            engine.dispose()
            return
    print(f"building {database} {size} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    create_schema(engine, settings)
    tables = ("conversation_log", "feedback_log", "conversation_evaluation")
    columns = (CONV_COLUMNS, FB_COLUMNS, EV_COLUMNS)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for batches in day_batches(SIZES[size]):
            for table, cols, batch in zip(tables, columns, batches, strict=True):
                if database == "postgresql":
                    with cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                        for row in batch:
                            copy.write_row(row)
                else:
                    marks = ", ".join("?" * len(cols))
                    cursor.executemany(
                        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})",
                        [(*r[:-1], r[-1].isoformat(sep=" ")) for r in batch],
                    )
        if database == "postgresql":
            for table in tables:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
                cursor.execute(f"ANALYZE {table}")
        cursor.execute("CREATE TABLE bench_done (built_at TEXT)")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    print(f"built {database} {size} in {time.perf_counter() - started:.0f} s", file=sys.stderr)


# --- what is measured, each in its own process ------------------------------------------------
# Each measure imports what it needs, then returns the work to time: imports and interpreter
# start are left out of every figure alike.

Work = Callable[[], object]


def floor(settings: Settings) -> Work:
    """One aggregate pass per table over the two weeks, reading every column the report uses."""
    week = Period.week_of(WEEK_START, ZONE)
    sqlite = settings.url.get_backend_name() == "sqlite"

    def bound(moment: datetime) -> Any:
        naive = moment.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
        return naive.isoformat(sep=" ") if sqlite else naive

    params = {"s": bound(week.previous.start_at), "e": bound(week.end_at)}
    queries = [
        "SELECT count(*), count(DISTINCT user_id), sum(latency_ms), "
        "sum(prompt_tokens), sum(completion_tokens) FROM conversation_log "
        "WHERE created_at >= :s AND created_at < :e",
        "SELECT count(*), sum(CASE WHEN feedback = 'like' THEN 1 ELSE 0 END) FROM feedback_log "
        "WHERE created_at >= :s AND created_at < :e",
        "SELECT count(*), sum(score), min(score) FROM conversation_evaluation "
        "WHERE created_at >= :s AND created_at < :e",
    ]

    def work() -> None:
        with make_engine(settings).connect() as conn:
            for query in queries:
                conn.execute(sa.text(query), params).all()

    return work


def numbers_json(settings: Settings) -> Work:
    from aiops_report.jobs import report_numbers

    def work() -> str:
        week = Period.week_of(WEEK_START, ZONE)
        numbers = report_numbers(make_engine(settings), settings, week)
        return json.dumps(numbers.to_dict(), ensure_ascii=False)

    return work


def full_pdf(settings: Settings) -> Work:
    from aiops_report.jobs import generate_report

    out = Path(tempfile.mkdtemp())
    week = Period.week_of(WEEK_START, ZONE)
    return lambda: generate_report(make_engine(settings), settings, week, out_dir=out)


def overview(settings: Settings) -> Work:
    """What the dashboard's Overview shows first for 4 weeks (dashboard/data.py `totals`)."""
    from aiops_report.db import reflect_tables
    from aiops_report.jobs import totals_store
    from aiops_report.metrics import compute

    four_weeks = four_weeks_reported()

    def work() -> object:
        engine = make_engine(settings)
        return compute(
            engine,
            reflect_tables(engine, settings),
            four_weeks,
            worst_limit=0,
            store=totals_store(engine, settings),
            count_users=False,
        )

    return work


def overview_users(settings: Settings) -> Work:
    """The Overview's last card: distinct users of the 4 weeks and of the 4 before."""
    from aiops_report.db import reflect_tables
    from aiops_report.metrics import unique_users

    def work() -> object:
        engine = make_engine(settings)
        return unique_users(engine, reflect_tables(engine, settings), four_weeks_reported())

    return work


def four_weeks_reported() -> Period:
    end = WEEK_START + timedelta(days=7)
    return Period(end - timedelta(weeks=4), end, ZONE)


def naive_pandas(settings: Settings) -> Work:
    """What a first version would do: pull the two weeks' rows, count in pandas."""
    import pandas as pd

    week = Period.week_of(WEEK_START, ZONE)
    utc = ZoneInfo("UTC")
    start = week.previous.start_at.astimezone(utc).replace(tzinfo=None)
    end = week.end_at.astimezone(utc).replace(tzinfo=None)
    split = week.start_at.astimezone(utc).replace(tzinfo=None)
    sqlite = settings.url.get_backend_name() == "sqlite"
    params = {"s": str(start), "e": str(end)} if sqlite else {"s": start, "e": end}

    def work() -> None:
        engine = make_engine(settings)
        frames = [
            pd.read_sql(
                sa.text(f"SELECT * FROM {table} WHERE created_at >= :s AND created_at < :e"),
                engine,
                params=params,
            )
            for table in ("conversation_log", "feedback_log", "conversation_evaluation")
        ]
        for frame in frames:
            frame["created_at"] = pd.to_datetime(frame["created_at"], format="ISO8601")
            frame["current"] = frame["created_at"] >= split
            frame["day"] = (frame["created_at"] + pd.Timedelta(hours=9)).dt.date
        conv, fb, ev = frames
        conv.groupby("current").agg(
            conversations=("id", "size"),
            users=("user_id", "nunique"),
            p50=("latency_ms", lambda s: s.quantile(0.5)),
            p95=("latency_ms", lambda s: s.quantile(0.95)),
            prompt=("prompt_tokens", "sum"),
            completion=("completion_tokens", "sum"),
        )
        conv.groupby(["current", "day"]).size()
        fb["value"] = fb["feedback"].str.strip().str.lower()
        fb.groupby(["current", "day"])["value"].value_counts()
        ev.groupby(["current", "day"])["score"].agg(["count", "mean"])
        ev[ev["current"]].nsmallest(10, "score")

    return work


MEASURES: dict[str, Callable[[Settings], Work]] = {
    "floor": floor,
    "json": numbers_json,
    "pdf": full_pdf,
    "overview": overview,
    "pandas": naive_pandas,
    "json_cold": numbers_json,
    "users": overview_users,
}


def monday_morning(settings: Settings) -> None:
    """The kept totals as last week's report left them: every day before the reported week."""
    from aiops_report.jobs import report_numbers

    engine = make_engine(settings)
    store = DailyTotalsStore(engine)
    store.forget(WEEK_START)
    with engine.connect() as conn:
        has_table = sa.inspect(conn).has_table(TABLE_NAME)
        kept = (
            has_table
            and conn.execute(
                sa.select(sa.func.count()).select_from(report_daily_totals)
            ).scalar_one()
        )
    if not kept:
        report_numbers(engine, settings, Period.week_of(WEEK_START - timedelta(weeks=1), ZONE))
    engine.dispose()


def nothing_kept(settings: Settings) -> None:
    DailyTotalsStore(make_engine(settings)).forget(date.min)


def after_the_report(settings: Settings) -> None:
    """The kept totals once the Monday report has run."""
    from aiops_report.jobs import report_numbers

    engine = make_engine(settings)
    report_numbers(engine, settings, Period.week_of(WEEK_START, ZONE))
    engine.dispose()


# What each measure finds in report_daily_totals: prepared before each run, outside its time.
PREPARE: dict[str, Callable[[Settings], None]] = {
    "json": monday_morning,
    "pdf": monday_morning,
    "overview": after_the_report,
    "json_cold": nothing_kept,
}


def measure_once(what: str, database: str, size: str) -> dict[str, float]:
    """Run one measure in a new process: its wall time and its peak RSS."""
    if what in PREPARE:
        PREPARE[what](settings_for(database, size))
    output = subprocess.run(
        [sys.executable, __file__, "--child", what, database, size],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def child(what: str, database: str, size: str) -> None:
    work = MEASURES[what](settings_for(database, size))
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rss_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, as ru_maxrss keeps the high-water mark of
    the process that started this one (Linux carries it across exec)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1m")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measures", default=",".join(MEASURES), help="a subset of: %(default)s")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"machine: {os.cpu_count()} cores; median of {args.repeat} runs, each a new process")
    header = f"{'db':<10} {'size':>5} {'measure':<9} {'seconds':>8} {'s/M rows':>9} {'peak MB':>8}"
    results: dict[tuple[str, str, str], dict[str, float]] = {}
    for database in args.databases.split(","):
        for size in args.sizes.split(","):
            build(database, size)
    print(header)
    for database in args.databases.split(","):
        for size in args.sizes.split(","):
            for what in args.measures.split(","):
                runs = [measure_once(what, database, size) for _ in range(args.repeat)]
                result = {
                    "seconds": statistics.median(r["seconds"] for r in runs),
                    "rss_mb": max(r["rss_mb"] for r in runs),
                }
                results[database, size, what] = result
                per_million = result["seconds"] / (2 * SIZES[size] / 1e6)
                print(
                    f"{database:<10} {size:>5} {what:<9} {result['seconds']:>8.3f} "
                    f"{per_million:>9.3f} {result['rss_mb']:>8.0f}",
                    flush=True,
                )
            r = {w: results[database, size, w]["seconds"] for w in args.measures.split(",")}
            if not {"floor", "json", "pdf", "pandas"} <= set(r):
                continue
            print(
                f"{database:<10} {size:>5} ratios    json/floor {r['json'] / r['floor']:.2f}  "
                f"pdf/floor {r['pdf'] / r['floor']:.2f}  pandas/pdf {r['pandas'] / r['pdf']:.2f}",
                flush=True,
            )
    print_targets(results)


# Why a target can fall short: what the measure does that the floor (or pandas) does not.
WHY_SHORT = {
    "json/floor": "besides one pass a table, the insights join feedback and evaluations to "
    "their conversations (per model; thumbs against each conversation's mean score over all "
    "its evaluations) and count distinct users per model: reads the floor does not make",
    "pdf/floor": "the json work plus the PDF (charts, embedded font)",
    "json_cold/floor": "a first run also reads the insights' 8-week baseline before it is kept",
    "pandas/pdf": "the report computes the insights besides the headline numbers pandas gets",
    "peak MB": "memory should not grow with rows: look for rows fetched into Python",
    "overview s": "a range's days not kept yet (not settled, or never read) are read live",
}


def print_targets(results: dict[tuple[str, str, str], dict[str, float]]) -> None:
    """The issue's targets against what was measured: met, or short by how much."""
    checks = []  # (what, measured, limit, higher_is_better)
    for database, size, what in results:
        if what in ("json", "pdf"):
            peak = results[database, size, what]["rss_mb"]
            checks.append((f"{database} {size} {what} peak MB", peak, 250.0, False))
        if size != "1m":
            continue
        seconds = {
            w: results[d, z, w]["seconds"] for d, z, w in results if (d, z) == (database, size)
        }
        if what == "json" and "floor" in seconds:
            checks.append(
                (f"{database} 1m json/floor", seconds["json"] / seconds["floor"], 2.0, False)
            )
        if what == "pdf" and "floor" in seconds:
            checks.append(
                (f"{database} 1m pdf/floor", seconds["pdf"] / seconds["floor"], 3.0, False)
            )
        if what == "json_cold" and "floor" in seconds:
            ratio = seconds["json_cold"] / seconds["floor"]
            checks.append((f"{database} 1m json_cold/floor", ratio, 2.0, False))
        if what == "pandas" and "pdf" in seconds:
            checks.append(
                (f"{database} 1m pandas/pdf", seconds["pandas"] / seconds["pdf"], 3.0, True)
            )
        if what == "overview" and database == "postgresql":
            checks.append(("postgresql 1m overview s", seconds["overview"], 1.0, False))
    if checks:
        print("targets:")
    for name, measured, limit, higher_is_better in checks:
        met = measured >= limit if higher_is_better else measured <= limit
        verdict = "met" if met else f"short by {abs(measured / limit - 1) * 100:.0f}%"
        sign = ">=" if higher_is_better else "<="
        print(f"  {name:<32} {measured:>9.2f}  target {sign} {limit:<6g} {verdict}")
        if not met:
            why = next(text for kind, text in WHY_SHORT.items() if name.endswith(kind))
            print(f"      why: {why}")


if __name__ == "__main__":
    main()
