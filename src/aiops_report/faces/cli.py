"""The `aiops-report` command: each command parses its input, calls the library, prints."""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from aiops_report.errors import AiopsReportError
from aiops_report.extras import require
from aiops_report.language import Language

if TYPE_CHECKING:
    from rich.status import Status

    from aiops_report.analysis.metrics import ReportNumbers
    from aiops_report.data.config import Settings
    from aiops_report.texts.doctor import Finding

# Each command imports what it uses when it runs: `--help` and the light commands start
# without the analysis (scipy, the Korean analyser), the PDF, Slack or the web service.

app = typer.Typer(
    help="Weekly operations reports of an AI chatbot, from its own database tables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Terminated(KeyboardInterrupt):
    """SIGTERM reached a command: raised where it runs, as Ctrl-C is, so that the statement in
    progress is cancelled in the database (and not left running, or waiting for a lock)."""


def _terminate(signum: int, frame: object) -> None:
    from aiops_report.data.limits import cancel_running

    cancel_running()  # the statements of every thread; the main thread's raises at once
    raise Terminated


@app.callback()
def stop_on_sigterm(ctx: typer.Context) -> None:
    """Weekly operations reports of an AI chatbot, from its own database tables."""
    # The long-running commands (schedule, watch, serve, dashboard) set their own handler.
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate)
        ctx.call_on_close(lambda: signal.signal(signal.SIGTERM, previous))


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn the library's errors into one line on stderr and exit code 1; SIGTERM into one
    line and exit code 143 (128 + 15, as a shell shows a process SIGTERM ended)."""
    from sqlalchemy.exc import DBAPIError

    try:
        yield
    except Terminated:
        err.print("stopped by SIGTERM: the statement in progress was cancelled")
        raise typer.Exit(128 + signal.SIGTERM) from None
    except AiopsReportError as exc:
        err.print(f"[red]error:[/red] {escape(_with_notes(str(exc), exc))}")
        raise typer.Exit(1) from None
    except DBAPIError as exc:  # a statement the library did not name an error for
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        message = _with_notes(f"the database refused a statement: {reason}", exc)
        err.print(f"[red]error:[/red] {escape(message)}")
        raise typer.Exit(1) from None


def _with_notes(message: str, exc: BaseException) -> str:
    """`message` and the notes added to `exc` on its way up, on one line."""
    return "; ".join([message, *getattr(exc, "__notes__", [])])


class StepOnStatus(logging.Handler):
    """Each step a job logs becomes the text of a spinner."""

    def __init__(self, status: Status):
        super().__init__()
        self.status = status

    def emit(self, record: logging.LogRecord) -> None:
        # Naming the spinner redraws at once: a step shorter than a refresh is still shown.
        self.status.update(escape(record.getMessage()), spinner="dots")


@contextmanager
def showing_steps() -> Iterator[None]:
    """On a terminal, a spinner on stderr says which step the job is at (jobs.steps); piped
    or redirected, nothing is shown."""
    if not err.is_terminal:
        yield
        return
    from aiops_report.redact import HideCredentials

    steps = logging.getLogger("aiops_report.steps")
    with err.status("starting") as status:
        handler = StepOnStatus(status)
        handler.addFilter(HideCredentials())
        steps.addHandler(handler)
        steps.setLevel(logging.INFO)
        try:
            yield
        finally:
            steps.removeHandler(handler)


def settings_from_env() -> Settings:
    from aiops_report.data.config import load_settings

    return load_settings()


@app.command("init-db")
def init_db() -> None:
    """Create the chatbot tables and their indexes where they do not exist yet.

    Safe to run twice: an existing table is never dropped or altered.

    Example: DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/chatbot aiops-report init-db
    """
    from aiops_report.data.db import check_connection, make_engine
    from aiops_report.data.install import create_schema

    with reported_errors():
        settings = settings_from_env()
        engine = make_engine(settings, create=True)
        check_connection(engine)
        for table, created in create_schema(engine, settings).items():
            out.print(
                f"{escape(table)}: {'created' if created else 'already exists, left as it is'}"
            )


@app.command("demo-data")
def demo_data(
    weeks: Annotated[int, typer.Option(min=2, help="Complete weeks of history to write.")] = 9,
    per_day: Annotated[int, typer.Option(min=1, help="Conversations on an average day.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same rows.")] = 6,
    append: Annotated[
        bool, typer.Option(help="Write even when the conversation table already has rows.")
    ] = False,
) -> None:
    """Fill the database with realistic Korean demo conversations (the last week dips).

    Example: aiops-report demo-data --weeks 8 --per-day 300
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from aiops_report.data.db import check_connection, describe, make_engine
    from aiops_report.data.demo import fill_demo_data

    with reported_errors():
        settings = settings_from_env()
        engine = make_engine(settings, create=True)
        check_connection(engine)
        with Progress(
            TextColumn("writing demo days"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("days", total=None)
            summary = fill_demo_data(
                engine,
                settings,
                weeks=weeks,
                per_day=per_day,
                seed=seed,
                append=append,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        if summary.skipped_reason:
            out.print(
                f"demo data not written: {escape(summary.skipped_reason)} (use --append to add)"
            )
            return
        out.print(
            f"wrote {summary.conversations} conversations, {summary.feedback} feedback rows and "
            f"{summary.evaluations} evaluations from {summary.first_day} to {summary.last_day} "
            f"into {describe(engine)}"
        )


@app.command()
def generate(
    week: Annotated[
        str | None,
        typer.Option(
            help="Any date (YYYY-MM-DD) in the week wanted; default: last full week. "
            "The week in progress gives a week-to-date report."
        ),
    ] = None,
    lang: Annotated[
        Language | None, typer.Option(help="Report language; default: REPORT_LANGUAGE.")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder of the PDF; default: REPORT_DIR.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the numbers as JSON; write no file.")
    ] = False,
    as_csv: Annotated[
        bool,
        typer.Option(
            "--csv",
            help="Also write the report's tables as CSV beside the PDF: daily, by model, "
            "lowest-scored and disliked conversations.",
        ),
    ] = False,
    segment: Annotated[
        str | None,
        typer.Option(
            "--segment",
            help="The report of one segment only (a value of SCHEMA_FILE's segment column).",
        ),
    ] = None,
) -> None:
    """Build the PDF report of a week (and the JSON of its numbers beside it).

    The week in progress gives a week-to-date report, marked partial and compared with the
    same span of the week before (weekly_report_YYYY_MM_DD_partial.pdf). With --segment, the
    report of that segment only (weekly_report_YYYY_MM_DD_segment_NAME.pdf).

    Example: aiops-report generate --week 2026-11-18 --lang en --csv --segment shop-bot
    """
    from aiops_report.data.db import make_engine
    from aiops_report.data.periods import format_instant
    from aiops_report.jobs import generate_report, report_numbers, report_warnings, requested_week

    with reported_errors():
        settings = settings_from_env()
        period = requested_week(settings, week)
        engine = make_engine(settings)
        if as_json:
            numbers = report_numbers(engine, settings, period, segment=segment)
            typer.echo(json.dumps(numbers.to_dict(), ensure_ascii=False, indent=2, default=str))
            warn_of_unread_feedback(numbers)
            show_warnings(report_warnings(engine, settings, datetime.now(settings.report_zone)))
            return
        with showing_steps():
            report = generate_report(
                engine,
                settings,
                period,
                language=lang,
                out_dir=out_dir,
                csv=as_csv,
                segment=segment,
            )
        warn_of_unread_feedback(report.numbers)
        show_warnings(report.warnings)
        if period.through is not None:
            err.print(
                f"note: week to date, until {format_instant(period.through)}, compared with "
                "the same span of the week before"
            )
        if report.numbers.is_empty:
            err.print(f"note: no conversations, feedback or evaluations in {period.start} week")
        if settings.slack_bot_token is None:
            err.print("not uploaded to Slack: SLACK_BOT_TOKEN is not set")
        else:
            err.print("not uploaded: `aiops-report send PATH` uploads it")
        typer.echo(report.path)
        for path in report.tables:
            typer.echo(path)


def warn_of_unread_feedback(numbers: ReportNumbers) -> None:
    """Say so when feedback rows exist but none is a like or a dislike: the words may differ."""
    current = numbers.current
    if current.feedback_total and not current.likes + current.dislikes:
        err.print(
            f"[yellow]warning:[/yellow] none of the week's {current.feedback_total} feedback "
            "rows is a like or a dislike; `aiops-report doctor` shows the values found, and "
            "SCHEMA_FILE's like = [...] and dislike = [...] say which count"
        )


def show_warnings(findings: list[Finding]) -> None:
    """Each warning on stderr, one line each."""
    for finding in findings:
        err.print(f"[yellow]warning:[/yellow] {escape(finding.line('en'))}")


@app.command()
def send(
    path: Annotated[Path, typer.Argument(help="The PDF to upload (its .json twin is read).")],
) -> None:
    """Upload a report PDF to SLACK_CHANNEL, with its headline numbers as the message.

    Example: aiops-report send reports/weekly_report_2026_11_23.pdf
    """
    from aiops_report.slack_jobs import send_report

    with reported_errors():
        settings = settings_from_env()
        delivery = send_report(settings, path)
        out.print(f"uploaded {path.name} to channel {delivery.channel_id} ({delivery.file_id})")


@app.command("run-weekly")
def run_weekly_command(
    week: Annotated[
        str | None,
        typer.Option(help="Any date (YYYY-MM-DD) in the week; default: last full week."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            help="Build and deliver even if the week was delivered, or its report is known to "
            "be wrong (no feedback word fits, scores off the scale, no conversation in the week)."
        ),
    ] = False,
) -> None:
    """Build and deliver a week's report once: safe to call from cron as often as you like.

    Only complete weeks are delivered: a week still in progress is refused (exit 1), and
    `generate --week` makes its week-to-date report. A report known to be wrong is refused
    too, naming the SCHEMA_FILE key to fix (exit 1, nothing sent or recorded); --force sends it.

    Example: aiops-report run-weekly   # in crontab: 0 9 * * 1 (REPORT_TIMEZONE)
    """
    from aiops_report.data.db import make_engine
    from aiops_report.data.periods import parse_week
    from aiops_report.jobs import run_weekly

    with reported_errors():
        settings = settings_from_env()
        period = parse_week(week, settings.report_zone) if week else None
        with showing_steps():
            outcome = run_weekly(make_engine(settings), settings, period=period, force=force)
        out.print(escape(outcome.message))


@app.command()
def doctor(
    strict: Annotated[
        bool, typer.Option(help="Exit 1 on a warning too: a deployment's pre-check.")
    ] = False,
) -> None:
    """Check the database, its tables, the report font and Slack; say what is wrong.

    Exits 1 when a line is an error (with --strict, a warning too).

    Example: aiops-report doctor --strict
    """
    from aiops_report.data.db import make_engine
    from aiops_report.doctor import all_findings

    with reported_errors():
        settings = settings_from_env()
        findings = all_findings(make_engine(settings), settings)
    marks = {
        "ok": "[green]ok[/green]   ",
        "warn": "[yellow]warn[/yellow] ",
        "error": "[red]error[/red]",
    }
    for finding in findings:
        out.print(f"{marks[finding.level]} {escape(finding.line('en'))}")
    failing = {"error", "warn"} if strict else {"error"}
    if any(f.level in failing for f in findings):
        raise typer.Exit(1)


@app.command("forget-totals")
def forget_totals(
    since: Annotated[
        str, typer.Option(help="The first day (YYYY-MM-DD) whose kept totals are forgotten.")
    ],
) -> None:
    """Forget the kept per-day totals (and the themes' terms kept with them) from a day on:
    after rows of past days were changed in place (a comment edited). Rows added or deleted
    since are noticed without it.

    Reports and the dashboard then read those days from the tables again (and keep them anew).

    Example: aiops-report forget-totals --since 2026-11-01
    """
    from aiops_report.data.db import make_engine, state_engine
    from aiops_report.data.periods import parse_day
    from aiops_report.data.rollups import DailyTotalsStore

    with reported_errors():
        first = parse_day(since, "--since")
        settings = settings_from_env()
        forgotten = DailyTotalsStore(state_engine(make_engine(settings), settings)).forget(first)
        out.print(f"forgot the kept totals of {forgotten} day(s) from {first} on")


@app.command()
def dashboard(
    host: Annotated[
        str, typer.Option(help="Address to listen on (127.0.0.1 when ADMIN_PASSWORD is not set).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8501,
) -> None:
    """Start the admin dashboard and keep it running until Ctrl-C.

    Example: ADMIN_PASSWORD=change-me aiops-report dashboard --host 0.0.0.0 --port 8501
    """
    with reported_errors():
        require("dashboard", "aiops-report dashboard")
        settings = settings_from_env()
    from aiops_report.faces.dashboard.server import listen_address, run_dashboard

    address = listen_address(settings, host)
    if address != host:
        err.print(
            f"[yellow]warning:[/yellow] ADMIN_PASSWORD is not set: listening on {address} only"
        )
    out.print(f"dashboard: http://{address}:{port}")
    raise typer.Exit(run_dashboard(settings, host, port))


def log_to_stderr() -> None:
    """INFO lines with a time stamp on stderr, for the long-running commands."""
    from aiops_report.redact import HideCredentials

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:  # every library's records end here
        handler.addFilter(HideCredentials())
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per job run otherwise


@app.command()
def schedule() -> None:
    """Run the weekly scheduler in the foreground until SIGTERM or Ctrl-C.

    Runs run-weekly on SCHEDULE in REPORT_TIMEZONE, checks the database and Slack 15 minutes
    before each run, and alerts the channel if the week is not delivered within SCHEDULE_GRACE.

    Example: SCHEDULE="0 9 * * 1" SCHEDULE_GRACE=6h aiops-report schedule
    """
    from aiops_report.data.db import make_engine
    from aiops_report.faces.scheduler import run_scheduler

    with reported_errors():
        settings = settings_from_env()
        log_to_stderr()
        run_scheduler(make_engine(settings), settings)


@app.command()
def watch(
    once: Annotated[
        bool, typer.Option(help="Judge the rules once, post what fires, and exit (for cron).")
    ] = False,
    day: Annotated[
        str | None,
        typer.Option(help="Judge this day (YYYY-MM-DD; today: so far) instead; implies --once."),
    ] = None,
) -> None:
    """Judge the alert rules (ALERTS_FILE, or the built-in anomaly rules) on the last complete
    day and on today so far, and send each alert that fires once to SLACK_CHANNEL, or to each
    destination of DELIVERY_FILE's routes marked `alerts = true` (a segment's route: the
    alerts of its segment).

    Without --once it keeps running and judges them on WATCH_SCHEDULE (default: hourly at
    minute 5) until SIGTERM or Ctrl-C; `schedule` runs the same watch beside the weekly job.

    Example: ALERTS_FILE=alerts.toml aiops-report watch --once
    """
    from aiops_report.data.db import make_engine
    from aiops_report.data.periods import parse_day
    from aiops_report.faces.scheduler import run_watcher
    from aiops_report.watch import watch as watch_job

    with reported_errors():
        settings = settings_from_env()
        wanted = parse_day(day, "--day") if day else None
        engine = make_engine(settings)
        if not once and wanted is None:
            log_to_stderr()
            run_watcher(engine, settings)
            return
        outcome = watch_job(engine, settings, day=wanted)
    judged = ", ".join(
        f"{p.start} (until {p.through:%H:%M})" if p.through else str(p.start) for p in outcome.days
    )
    out.print(f"judged {escape(judged or 'no day')}: {len(outcome.alerts)} alert(s) fire")
    posted = {id(alert) for alert, _ in outcome.posted}
    for alert in outcome.alerts:
        where = "posted" if id(alert) in posted else "already posted or not posted"
        segment = f" [{alert.segment}]" if alert.segment is not None else ""
        out.print(
            f"alert {escape(alert.rule.name)!r}{escape(segment)}: "
            f"{alert.rule.metric} of {alert.day} ({where})"
        )
    for line in outcome.restated:
        out.print(escape(line))
    for problem in outcome.problems:
        err.print(f"[red]error:[/red] {escape(problem)}")
    if outcome.problems:
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port to listen on.")] = 8000,
) -> None:
    """Run the HTTP service: GET /healthz, POST /trigger/weekly, POST /slack/events.

    Example: TRIGGER_TOKEN=change-me aiops-report serve --host 0.0.0.0 --port 8000
    """
    with reported_errors():
        require("service", "aiops-report serve")
        settings = settings_from_env()
        from aiops_report.faces.service import serve as run_service

        log_to_stderr()
        run_service(settings, host, port)
