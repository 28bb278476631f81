"""Benchmark: the weekly report against the cost of reading its two weeks once.

    .venv/bin/python bench/bench.py                      # 10k, 100k and 1M conversations a week
                                                         # (ClickHouse: 1M and 10M)
    .venv/bin/python bench/bench.py --databases clickhouse --sizes 10m --measures floor,json
    .venv/bin/python bench/bench.py --sizes 10k --databases sqlite --variants bare
    .venv/bin/python bench/bench.py --sizes 1m --variants bare --measures json \
        --against /path/to/main/src                      # before and after a change

Builds (once; later runs reuse them) a database per size on SQLite, PostgreSQL and ClickHouse
(the engine in process, chdb), shaped like a team's (shapes.py): eight weeks of conversations
with Korean texts and several models, feedback with a comment on every dislike, evaluations
with a reason (each text its own, as people's are), appended in time order and bulk loaded
(PostgreSQL COPY, SQLite executemany in one transaction; PostgreSQL then vacuumed, as
autovacuum keeps a database in use; ClickHouse makes its rows itself, clickhouse_data.py, a
day per INSERT … SELECT, its tables MergeTree sorted by created_at only, the kept totals in
a SQLite file beside). Each is measured in two variants: `bare`, only `created_at` indexed
(what most chatbot databases have), and `indexed`, with the conversation_id indexes `doctor`
recommends (ClickHouse has no such indexes: `bare` only). Each measure
runs in a new process, so that its peak RSS is its own (no measure starts another process:
that peak is the process tree's); the figures are the median wall time of several runs and
their median CPU time (all the process's threads: ClickHouse's too; less the load's than the
wall time on a shared machine):

  (a) floor       one aggregate pass per table over the reported week and the week before:
                  COUNT, SUM of latency and tokens, MAX of the user and feedback columns,
                  SUM of scores, and nothing else
  (b) json        `generate --json`: the numbers of the week, on Monday morning: the totals of
                  earlier days are kept (rollups.py) by last week's report, the week is read;
                  so are the themes' terms of the week before (theme_reads.py): the week's
                  texts alone are read and analysed (before: both weeks')
  (c) pdf         the full `generate`: numbers, PDF and JSON files, on Monday morning
  (d) overview    the dashboard Overview's numbers for 4 weeks (cold: a new process), after
                  the Monday report ran; all but the unique users card, which follows:
  users           the Overview's unique users of the 4 weeks and the 4 before
  (e) pandas      the naive approach: read_sql of the two weeks' rows, numbers in pandas
                  (up to 1M a week: it holds the rows, 3 to 4 GB at 1M)
  json_watched    `generate --json` on Monday morning where the alert watch runs: as json,
                  and the reported week's days but Sunday kept (by the watch, once settled)
  json_plain      json without the themes' analyser (the texts read, not analysed): its peak
  json_cold       `generate --json` on a database where no day's totals are kept yet
  explain         why it changed: the week's split of satisfaction and score by model (part of
                  json, measured alone: what one dimension adds)
  json_seg        `generate --json` with the model column mapped as the segment: the report
                  and its table by segment (6 segments), on Monday morning
  segment         `generate --json --segment gpt-4o` with that mapping: one segment's report,
                  every rating linked to its conversation's segment, on Monday morning

and, once, the fixed costs on the demo database: `aiops-report --help` and `aiops-report doctor`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import clickhouse_data
import sqlalchemy as sa
from shapes import CONV_COLUMNS, EV_COLUMNS, FB_COLUMNS, WEEK_START, ZONE, day_batches

from aiops_report.data.config import Settings, load_settings
from aiops_report.data.db import make_engine, state_engine
from aiops_report.data.install import create_schema
from aiops_report.data.periods import Period
from aiops_report.data.rollups import (
    TABLE_NAME,
    USERS_TABLE,
    DailyTotalsStore,
    report_daily_totals,
    report_period_users,
)

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
DATA_VERSION = 3  # in the databases' names: a new shape of data builds new databases
# The indexes `doctor` recommends beyond created_at: present in the `indexed` variant only.
OPTIONAL_INDEXES = {
    "ix_feedback_log_conversation_id": "feedback_log (conversation_id)",
    "ix_conversation_evaluation_conversation_id": "conversation_evaluation (conversation_id)",
}
# The sizes measured by default: ClickHouse at the sizes it is for.
DEFAULT_SIZES = {"sqlite": "10k,100k,1m", "postgresql": "10k,100k,1m", "clickhouse": "1m,10m"}
PG_SERVER = os.environ.get("AIOPS_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
# ClickHouse's weeks are made by ClickHouse SQL (clickhouse_data.py), in folders of their own.
CLICKHOUSE_FOLDER = f"chsql{DATA_VERSION}"
TABLES = ("conversation_log", "feedback_log", "conversation_evaluation")


def url_for(database: str, size: str) -> str:
    if database == "sqlite":
        return f"sqlite:///{DATA / f'bench{DATA_VERSION}_{size}.db'}"
    if database == "clickhouse":  # the engine in process (chdb), bare: sorted by time only
        return f"clickhousedb:///default?interface=chdb&path={DATA / f'{CLICKHOUSE_FOLDER}_{size}'}"
    return f"{PG_SERVER}/aiops_bench{DATA_VERSION}_{size}"


def settings_for(database: str, size: str) -> Settings:
    if database == "clickhouse":  # only read: the kept totals in a SQLite file of their own
        state = f"sqlite:///{DATA / f'{CLICKHOUSE_FOLDER}_{size}_state.db'}"
        return load_settings(database_url=url_for(database, size), state_database_url=state)
    return load_settings(database_url=url_for(database, size))


# --- building the databases ----------------------------------------------------------------


def build(database: str, size: str) -> None:
    """Create and fill the database of `size` unless it is there already."""
    settings = settings_for(database, size)
    if database == "postgresql":
        admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            name = f"aiops_bench{DATA_VERSION}_{size}"
            if not conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).first():
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    else:
        DATA.mkdir(exist_ok=True)
    engine = make_engine(settings, create=True)
    with engine.connect() as conn:
        if sa.inspect(conn).has_table("bench_done"):
            engine.dispose()
            return
    print(f"building {database} {size} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    create_schema(engine, settings)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if database == "clickhouse":  # made by ClickHouse itself: Python would take hours
            client = raw.dbapi_connection.client  # type: ignore[union-attr]
            clickhouse_data.fill(client, SIZES[size], log=lambda line: print(line, file=sys.stderr))
        else:
            load(database, size, cursor)
        if database == "postgresql":
            for table in TABLES:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
                cursor.execute(f"ANALYZE {table}")
        engine_clause = " ENGINE = TinyLog" if database == "clickhouse" else ""
        cursor.execute(f"CREATE TABLE bench_done (built_at TEXT){engine_clause}")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    if database == "postgresql":  # what autovacuum has done on a database in use
        with make_engine(settings).connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM"))
    use_variant(database, size, "bare")
    print(f"built {database} {size} in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def load(database: str, size: str, cursor: Any) -> None:
    """Bulk load the Python generator's rows: PostgreSQL COPY, SQLite executemany."""
    columns = (CONV_COLUMNS, FB_COLUMNS, EV_COLUMNS)
    for batches in day_batches(SIZES[size]):
        for table, cols, batch in zip(TABLES, columns, batches, strict=True):
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


def use_variant(database: str, size: str, variant: str) -> None:
    """Create (`indexed`) or drop (`bare`) the optional conversation_id indexes."""
    if database == "clickhouse":  # no such indexes: its tables are sorted by time only
        return
    engine = make_engine(settings_for(database, size))
    with engine.begin() as conn:
        present = {
            index["name"]
            for table in ("feedback_log", "conversation_evaluation")
            for index in sa.inspect(conn).get_indexes(table)
        }
        for name, on in OPTIONAL_INDEXES.items():
            if variant == "indexed" and name not in present:
                conn.execute(sa.text(f"CREATE INDEX {name} ON {on}"))
            if variant == "bare" and name in present:
                conn.execute(sa.text(f"DROP INDEX {name}"))
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()


# --- what is measured, each in its own process ------------------------------------------------
# Each measure imports what it needs, then returns the work to time: imports and interpreter
# start are left out of every figure alike.

Work = Callable[[], object]


def floor(settings: Settings) -> Work:
    """One aggregate pass per table over the two weeks: COUNT, SUM of latency and tokens, MAX
    of the user and feedback columns, SUM of scores, and nothing else."""
    week = Period.week_of(WEEK_START, ZONE)
    sqlite = settings.url.get_backend_name() == "sqlite"

    def bound(moment: datetime) -> Any:
        naive = moment.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
        return naive.isoformat(sep=" ") if sqlite else naive

    params = {"s": bound(week.previous.start_at), "e": bound(week.end_at)}
    two_weeks = "WHERE created_at >= :s AND created_at < :e"
    queries = [
        "SELECT count(*), sum(latency_ms), sum(prompt_tokens), sum(completion_tokens), "
        f"max(user_id) FROM conversation_log {two_weeks}",
        f"SELECT count(*), max(feedback) FROM feedback_log {two_weeks}",
        f"SELECT count(*), sum(score) FROM conversation_evaluation {two_weeks}",
    ]

    def work() -> None:
        with make_engine(settings).connect() as conn:
            for query in queries:
                conn.execute(sa.text(query), params).all()

    return work


def numbers_json(
    settings: Settings, *, segment: str | None = None, analyse_texts: bool = True
) -> Work:
    """`generate --json` (of `segment` only, when given; without the themes' analyser, its
    texts read but not analysed, when not `analyse_texts`)."""
    from aiops_report.jobs import report_numbers

    def work() -> str:
        week = Period.week_of(WEEK_START, ZONE)
        numbers = report_numbers(
            make_engine(settings), settings, week, segment=segment, analyse_texts=analyse_texts
        )
        return json.dumps(numbers.to_dict(), ensure_ascii=False)

    return work


def full_pdf(settings: Settings) -> Work:
    from aiops_report.jobs import generate_report

    out = Path(tempfile.mkdtemp())
    week = Period.week_of(WEEK_START, ZONE)
    return lambda: generate_report(make_engine(settings), settings, week, out_dir=out)


def overview(settings: Settings) -> Work:
    """What the dashboard's Overview shows first for 4 weeks (dashboard/data.py `totals`)."""
    from aiops_report.analysis.metrics import compute
    from aiops_report.data.tables import reflect_tables
    from aiops_report.jobs import totals_store

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
    """The Overview's last card: distinct users of the 4 weeks and of the 4 before (those
    kept once counted, while their days hold as many conversations)."""
    from aiops_report.building import range_unique_users
    from aiops_report.data.tables import reflect_tables

    def work() -> object:
        engine = make_engine(settings)
        tables = reflect_tables(engine, settings)
        return range_unique_users(engine, settings, tables, four_weeks_reported())

    return work


def explain_split(settings: Settings) -> Work:
    """Why it changed: the week's change of satisfaction and score split by model (the bench's
    one dimension), from the two weeks' grouped day totals read live (daily.py)."""
    from aiops_report.analysis.explain_reads import explain_changes
    from aiops_report.data.daily import DayTotals, period_days
    from aiops_report.data.tables import reflect_tables

    def work() -> object:
        engine = make_engine(settings)
        tables = reflect_tables(engine, settings)
        week = Period.week_of(WEEK_START, ZONE)
        with engine.connect() as conn:
            read = period_days(conn, tables, [week.previous, week])
        return explain_changes(tables, *(DayTotals.summed(days) for days in read))

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


# The segment measures map the model column as the segment (SCHEMA_FILE `segment = "model"`):
# six segments, each rated conversation linked to its own (attribution.py).
SEGMENT = "gpt-4o"


def by_model_as_segment(settings: Settings) -> Settings:
    schema_file = DATA / "segment_is_model.toml"
    schema_file.write_text('[conversations]\nsegment = "model"\n', encoding="utf-8")
    return settings.model_copy(update={"schema_file": schema_file})


def numbers_by_segment(settings: Settings) -> Work:
    """`generate --json` with a segment column: the report and its table by segment."""
    return numbers_json(by_model_as_segment(settings))


def numbers_of_segment(settings: Settings) -> Work:
    """`generate --json --segment gpt-4o`: one segment's report."""
    return numbers_json(by_model_as_segment(settings), segment=SEGMENT)


MEASURES: dict[str, Callable[[Settings], Work]] = {
    "floor": floor,
    "json": numbers_json,
    "json_watched": numbers_json,
    "json_plain": partial(numbers_json, analyse_texts=False),
    "pdf": full_pdf,
    "overview": overview,
    "pandas": naive_pandas,
    "json_cold": numbers_json,
    "users": overview_users,
    "explain": explain_split,
    "json_seg": numbers_by_segment,
    "segment": numbers_of_segment,
}


def monday_morning(settings: Settings, segment: str | None = None) -> None:
    """The kept totals as last week's report left them: every day before the reported week
    (of `segment`'s report when given), the themes' terms of last week and the one before,
    and last week's distinct users."""
    from aiops_report.data.rollups import source_of
    from aiops_report.data.tables import reflect_tables
    from aiops_report.jobs import report_numbers

    engine = make_engine(settings)
    state = state_engine(engine, settings)  # ClickHouse's kept totals are in a file of their own
    DailyTotalsStore(state).forget(WEEK_START)
    source = source_of(reflect_tables(engine, settings).for_segment(segment), ZONE)
    last_week = Period.week_of(WEEK_START - timedelta(weeks=1), ZONE)
    with state.connect() as conn:
        inspector = sa.inspect(conn)
        columns = inspector.get_columns(TABLE_NAME) if inspector.has_table(TABLE_NAME) else []
        t = report_daily_totals
        terms_kept = any(c["name"] == "terms" for c in columns) and conn.execute(
            sa.select(sa.func.count()).where(
                t.c.source == source, t.c.day >= last_week.start, t.c.terms.is_not(None)
            )
        ).scalar_one() == len(last_week.days)
        u = report_period_users
        users_kept = (
            inspector.has_table(USERS_TABLE)
            and conn.execute(
                sa.select(sa.func.count()).where(
                    u.c.source == source, u.c.first_day == last_week.start
                )
            ).scalar_one()
        )
    if not (terms_kept and users_kept):
        report_numbers(engine, settings, last_week, segment=segment)
    engine.dispose()


def watched_monday(settings: Settings) -> None:
    """Monday morning where the alert watch runs (hourly by default, watch.py): it kept each
    day of the reported week once settled, all but Sunday (settled a day after it ends); the
    week's terms are not kept (the watch reads no texts)."""
    from aiops_report.data.daily import keep_daily_totals
    from aiops_report.data.tables import reflect_tables

    monday_morning(settings)
    engine = make_engine(settings)
    week = Period.week_of(WEEK_START, ZONE)
    to_saturday = Period(week.start, week.end - timedelta(days=1), ZONE)
    store = DailyTotalsStore(state_engine(engine, settings))
    keep_daily_totals(engine, reflect_tables(engine, settings), to_saturday, store)
    engine.dispose()


def nothing_kept(settings: Settings) -> None:
    DailyTotalsStore(state_engine(make_engine(settings), settings)).forget(date.min)


def after_the_report(settings: Settings) -> None:
    """The kept totals once the Monday report has run."""
    from aiops_report.jobs import report_numbers

    engine = make_engine(settings)
    report_numbers(engine, settings, Period.week_of(WEEK_START, ZONE))
    engine.dispose()


# What each measure finds in report_daily_totals: prepared before each run, outside its time.
PREPARE: dict[str, Callable[[Settings], None]] = {
    "json": monday_morning,
    "json_watched": watched_monday,
    "json_plain": monday_morning,
    "pdf": monday_morning,
    "overview": after_the_report,
    "json_cold": nothing_kept,
    "json_seg": lambda settings: monday_morning(by_model_as_segment(settings)),
    "segment": lambda settings: monday_morning(by_model_as_segment(settings), SEGMENT),
}


def measure_once(
    what: str, database: str, size: str, package: str | None = None
) -> dict[str, float]:
    """Run one measure in a new process: its wall time and its peak RSS (with the package
    found at `package`, a src/ directory, when given; the preparation runs with this one)."""
    if what in PREPARE:
        in_new_process("--prepare", what, database, size)
    env = {**os.environ, "PYTHONPATH": package} if package else None
    output = subprocess.run(
        [sys.executable, __file__, "--child", what, database, size],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def in_new_process(*args: str) -> None:
    """Run this script with `args` in a process of its own: chdb opens a ClickHouse folder in
    one process at a time, so this one never opens it (nor, alike, any other database)."""
    subprocess.run([sys.executable, __file__, *args], check=True)


def compare(what: str, database: str, size: str, against: str, repeat: int) -> dict[str, float]:
    """Time `what` with the package at `against` (before) and with this one (after), runs
    alternating so that both meet the same load; print both medians and their ratio."""
    runs: dict[str, list[float]] = {"before": [], "after": []}
    loads = []
    for _ in range(repeat):
        for code, package in (("before", against), ("after", None)):
            runs[code].append(measure_once(what, database, size, package)["seconds"])
            loads.append(os.getloadavg()[0])
    before, after = (statistics.median(runs[code]) for code in ("before", "after"))
    print(
        f"{database:<10} {size:>5} {what:<9} before {before:>8.3f} after {after:>8.3f} "
        f"after/before {after / before:>5.2f}  (load {min(loads):.1f}-{max(loads):.1f})",
        flush=True,
    )
    return {"seconds": after, "rss_mb": 0.0}


def child(what: str, database: str, size: str) -> None:
    work = MEASURES[what](settings_for(database, size))
    started, cpu = time.perf_counter(), time.process_time()
    work()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"seconds": seconds, "rss_mb": peak_rss_mb(), "cpu": cpu}))


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, as ru_maxrss keeps the high-water mark of
    the process that started this one (Linux carries it across exec)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fixed_costs(repeat: int) -> dict[str, float]:
    """The median seconds of `aiops-report --help` and `aiops-report doctor` on the demo
    database (made by init-db and demo-data the first time), interpreter start included."""
    command = str(Path(sys.executable).with_name("aiops-report"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{DATA / 'demo.db'}"}
    if not (DATA / "demo.db").exists():
        DATA.mkdir(exist_ok=True)
        for step in ("init-db", "demo-data"):
            subprocess.run([command, step], env=env, check=True, capture_output=True)
    seconds = {}
    for name, args in {"help": ["--help"], "doctor": ["doctor"]}.items():
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run([command, *args], env=env, capture_output=True, check=False)
            runs.append(time.perf_counter() - started)
        seconds[name] = statistics.median(runs)
    return seconds


Results = dict[tuple[str, str, str, str], dict[str, float]]  # (db, variant, size, measure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        help="for every database (default: 10k,100k,1m on SQLite and PostgreSQL, "
        "1m,10m on ClickHouse)",
    )
    parser.add_argument("--databases", default="sqlite,postgresql,clickhouse")
    parser.add_argument("--variants", default="bare,indexed")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measures", default=",".join(MEASURES), help="a subset of: %(default)s")
    parser.add_argument(
        "--against",
        metavar="SRC",
        help="time each measure also with the package at SRC (a src/ directory, e.g. of a "
        "checkout of main), runs alternating with this one's: a change's before and after",
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--prepare", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.prepare:
        what, database, size = args.prepare
        PREPARE[what](settings_for(database, size))
        return
    if args.build:
        build(*args.build)
        return
    databases, measures = args.databases.split(","), args.measures.split(",")
    sizes = {d: (args.sizes or DEFAULT_SIZES[d]).split(",") for d in databases}
    print(f"machine: {os.cpu_count()} cores; median of {args.repeat} runs, each a new process")
    fixed = fixed_costs(args.repeat)
    print(f"fixed costs: --help {fixed['help']:.2f} s, doctor {fixed['doctor']:.2f} s (demo data)")
    for database in databases:
        for size in sizes[database]:
            in_new_process("--build", database, size)
    print(
        f"{'db':<10} {'variant':<8} {'size':>5} {'measure':<9} {'seconds':>8} {'s/M rows':>9} "
        f"{'peak MB':>8} {'cpu s':>8}"
    )
    results: Results = {}
    for database in databases:
        for variant in args.variants.split(","):
            if database == "clickhouse" and variant != "bare":
                continue  # no indexes there: its tables are sorted by time only
            for size in sizes[database]:
                use_variant(database, size, variant)
                for what in measures:
                    if what == "pandas" and SIZES[size] > SIZES["1m"]:
                        continue  # its rows in pandas: 3 to 4 GB at 1M a week
                    if args.against:
                        compare(what, database, size, args.against, args.repeat)
                        continue
                    runs = [measure_once(what, database, size) for _ in range(args.repeat)]
                    result = {
                        "seconds": statistics.median(r["seconds"] for r in runs),
                        "rss_mb": max(r["rss_mb"] for r in runs),
                        "cpu": statistics.median(r["cpu"] for r in runs),
                    }
                    results[database, variant, size, what] = result
                    print(
                        f"{database:<10} {variant:<8} {size:>5} {what:<9} "
                        f"{result['seconds']:>8.3f} {per_million(result['seconds'], size):>9.3f} "
                        f"{result['rss_mb']:>8.0f} {result['cpu']:>8.3f}",
                        flush=True,
                    )
                use_variant(database, size, "bare")
    print_targets(results, fixed, {d: max(sizes[d], key=SIZES.__getitem__) for d in databases})


def per_million(seconds: float, size: str) -> float:
    """Seconds per million rows of the two weeks read (a table's)."""
    return seconds / (2 * SIZES[size] / 1e6)


# Why a target can fall short: what the measure does that the floor (or pandas) does not.
WHY_SHORT = {
    "clickhouse": "on ClickHouse at 10M a week, of the report's 52 CPU seconds: thumbs "
    "against scores 14, the week's feedback and evaluations by day and model (each joined to "
    "its conversation) 15, distinct users 7, the days' counts 3 (docs/benchmark.md)",
    "json/floor": "on Monday morning the reported week is new: its feedback and its "
    "evaluations each joined to their conversations by day and model (1.4 s alone each on "
    "PostgreSQL at 1M a week), thumbs against each conversation's mean score (2.5 s: 2.6M rows "
    "grouped by conversation) and distinct users by model (1.3 s): bench/statements.py",
    "json_watched/floor": "thumbs against scores and distinct users are of the whole week, "
    "not sums of its kept days: alone 2.5 s and 1.3 s on PostgreSQL at 1M a week, each "
    "already run by PostgreSQL's parallel workers (bench/statements.py --watched)",
    "pdf/floor": "the json work plus the PDF (charts, embedded font)",
    "json_cold/floor": "a first run reads the insights' 8-week baseline (nine weeks grouped by "
    "day and model, each rating joined to its conversation) before it is kept",
    "pandas/pdf": "pandas reads the two weeks' rows for the headline numbers alone; the "
    "report computes the insights too (thumbs against scores, distinct users by model, themes)",
    "json_plain peak MB": "the week's groups and latency value counts, the kept days' JSON "
    "and the texts read (the Korean analyser's 210 to 240 MB are not in it)",
    "overview s": "the Overview proves the 56 kept days it shows current: each day's rows "
    "counted per table, 24M index entries, 0.7 of its 1.06 s on PostgreSQL at 1M a week",
    "s/M rows": "a part of the report grows faster than the rows it reads",
    "--help s": "the CLI's start-up imports",
    "doctor s": "doctor's checks read every table and run the report's queries on one day",
}


def print_targets(results: Results, fixed: dict[str, float], largest: dict[str, str]) -> None:
    """The issue's targets against what was measured, the ratios at each database's largest
    size: met, or short by how much."""
    checks = [  # (what, measured, limit, higher_is_better)
        ("--help s", fixed["help"], 0.5, False),
        ("doctor s", fixed["doctor"], 2.0, False),
    ]
    for database, variant, size, what in results:
        result = results[database, variant, size, what]
        name = f"{database} {variant} {size}"
        if what == "json_plain" and database != "clickhouse":  # the engine in process
            checks.append((f"{name} {what} peak MB", result["rss_mb"], 300.0, False))
        seconds = {
            w: r["seconds"]
            for (d, v, z, w), r in results.items()
            if (d, v, z) == (database, variant, size)
        }
        if what == "json" and size != min(SIZES, key=SIZES.__getitem__):
            smaller = [z for z in SIZES if SIZES[z] < SIZES[size]][-1]
            before = results.get((database, variant, smaller, "json"))
            if before:
                rise = per_million(result["seconds"], size) / per_million(
                    before["seconds"], smaller
                )
                checks.append((f"{name} json s/M rows vs {smaller}", rise, 1.0, False))
        if size != largest[database]:
            continue
        ratios = {  # issue #28's
            "json/floor": ("json", "floor", 4.0, False),
            "json_watched/floor": ("json_watched", "floor", 4.0, False),
            "json_cold/floor": ("json_cold", "floor", 8.0, False),
            "pdf/floor": ("pdf", "floor", 5.0, False),
            "pandas/pdf": ("pandas", "pdf", 3.0, True),
        }
        for label, (top, bottom, limit, higher) in ratios.items():
            if what == top and bottom in seconds:
                checks.append((f"{name} {label}", seconds[top] / seconds[bottom], limit, higher))
        if what == "json" and database == "clickhouse":
            checks.append((f"{name} json seconds", result["seconds"], 60.0, False))
        if what == "overview" and database != "clickhouse":
            checks.append((f"{name} overview s", result["seconds"], 1.0, False))
    print("targets:")
    for name, measured, limit, higher_is_better in checks:
        met = measured >= limit if higher_is_better else measured <= limit
        verdict = "met" if met else f"short by {abs(measured / limit - 1) * 100:.0f}%"
        sign = ">=" if higher_is_better else "<="
        print(f"  {name:<44} {measured:>9.2f}  target {sign} {limit:<6g} {verdict}")
        if not met:
            why = next(text for kind, text in WHY_SHORT.items() if kind in name)
            print(f"      why: {why}")


if __name__ == "__main__":
    main()
