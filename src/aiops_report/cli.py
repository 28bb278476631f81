"""The `aiops-report` command: each command parses its input, calls the library, prints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from aiops_report.config import Settings, load_settings
from aiops_report.db import check_connection, create_schema, describe, make_engine
from aiops_report.demo import fill_demo_data
from aiops_report.doctor import database_findings
from aiops_report.errors import AiopsReportError
from aiops_report.jobs import default_week, report_numbers
from aiops_report.metrics import ReportNumbers
from aiops_report.periods import parse_week

app = typer.Typer(
    help="Weekly operations reports of an AI chatbot, from its own database tables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Language(StrEnum):
    ko = "ko"
    en = "en"


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn the library's errors into one line on stderr and exit code 1."""
    try:
        yield
    except AiopsReportError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None


def settings_from_env() -> Settings:
    return load_settings()


@app.command("init-db")
def init_db() -> None:
    """Create the chatbot tables and their indexes where they do not exist yet.

    Safe to run twice: an existing table is never dropped or altered.

    Example: DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/chatbot aiops-report init-db
    """
    with reported_errors():
        settings = settings_from_env()
        engine = make_engine(settings)
        check_connection(engine)
        for table, created in create_schema(engine, settings).items():
            out.print(f"{table}: {'created' if created else 'already exists, left as it is'}")


@app.command("demo-data")
def demo_data(
    weeks: Annotated[int, typer.Option(min=2, help="Complete weeks of history to write.")] = 8,
    per_day: Annotated[int, typer.Option(min=1, help="Conversations on an average day.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same rows.")] = 7,
    append: Annotated[
        bool, typer.Option(help="Write even when the conversation table already has rows.")
    ] = False,
) -> None:
    """Fill the database with realistic Korean demo conversations (the last week dips).

    Example: aiops-report demo-data --weeks 8 --per-day 300
    """
    with reported_errors():
        settings = settings_from_env()
        engine = make_engine(settings)
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
            out.print(f"demo data not written: {summary.skipped_reason} (use --append to add)")
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
        typer.Option(help="Any date (YYYY-MM-DD) in the week wanted; default: last full week."),
    ] = None,
    lang: Annotated[
        Language | None, typer.Option(help="Report language; default: REPORT_LANGUAGE.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the numbers as JSON instead.")
    ] = False,
) -> None:
    """Compute the numbers of a week and print them.

    Example: aiops-report generate --week 2026-11-18 --json
    """
    with reported_errors():
        settings = settings_from_env()
        period = parse_week(week, settings.report_zone) if week else default_week(settings)
        numbers = report_numbers(make_engine(settings), settings, period)
        if as_json:
            typer.echo(json.dumps(numbers.to_dict(), ensure_ascii=False, indent=2))
        else:
            print_numbers(numbers)


@app.command()
def doctor() -> None:
    """Check the database and its tables, and say what is missing, one line each.

    Example: aiops-report doctor
    """
    with reported_errors():
        settings = settings_from_env()
        findings = database_findings(make_engine(settings), settings)
    marks = {
        "ok": "[green]ok[/green]   ",
        "warn": "[yellow]warn[/yellow] ",
        "error": "[red]error[/red]",
    }
    for finding in findings:
        out.print(f"{marks[finding.level]} {finding.message}")
    if any(f.level == "error" for f in findings):
        raise typer.Exit(1)


def print_numbers(numbers: ReportNumbers) -> None:
    period = numbers.period
    table = Table(title=f"{period.start} – {period.end} ({period.zone.key}), end excluded")
    for column in ("metric", "this period", "previous", "change"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for name, change in numbers.change.items():
        table.add_row(
            name,
            show(getattr(numbers.current, name)),
            show(getattr(numbers.previous, name)),
            show(change.absolute),
        )
    out.print(table)


def show(value: float | None) -> str:
    """A number for a person: '–' for None, never 0."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    return f"{value:,}"
