"""The report's tables as CSV: daily numbers, by model, by segment, the lowest-scored and the
disliked conversations, from the numbers the report was built from (no query of their own).

Each file is UTF-8 with a byte order mark, so that spreadsheet programs read Hangul right;
a text cell that a spreadsheet would take for a formula (=, +, -, @) is prefixed with `'`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from aiops_report.analysis.insight_parts import ModelStats, SegmentStats
from aiops_report.analysis.metrics import ConversationExcerpt, DailyMetrics, ReportNumbers

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_tables(numbers: ReportNumbers) -> dict[str, str]:
    """Each table's name (daily, by_model, by_segment, lowest_scored, disliked) and its CSV
    text; by_model only when the conversations have a model column, by_segment only in the
    report of everything when SCHEMA_FILE maps a segment column."""
    tables = {"daily": _csv(DailyMetrics, [asdict(day) for day in numbers.daily])}
    by_model = numbers.insights.by_model if numbers.insights else None
    if by_model is not None:
        tables["by_model"] = _csv(ModelStats, [asdict(model) for model in by_model])
    by_segment = numbers.insights.by_segment if numbers.insights else None
    if by_segment is not None:
        tables["by_segment"] = _csv(SegmentStats, [asdict(part) for part in by_segment])
    zone = numbers.period.zone
    worst = {"lowest_scored": numbers.lowest_scored, "disliked": numbers.disliked}
    for name, excerpts in worst.items():
        rows = [
            {**asdict(e), "created_at": e.created_at.astimezone(zone).isoformat()} for e in excerpts
        ]
        tables[name] = _csv(ConversationExcerpt, rows)
    return tables


def write_csv_tables(numbers: ReportNumbers, pdf_path: Path) -> list[Path]:
    """Write the tables beside the report's PDF as <its name>_<table>.csv; return their paths."""
    written = []
    for name, text in csv_tables(numbers).items():
        path = pdf_path.with_name(f"{pdf_path.stem}_{name}.csv")
        path.write_text(text, encoding="utf-8-sig")
        written.append(path)
    return written


def _csv(row_type: type, rows: list[dict[str, Any]]) -> str:
    columns = [field.name for field in fields(row_type)]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: _cell(row[name]) for name in columns})
    return out.getvalue()


def _cell(value: Any) -> Any:
    """A value as a CSV cell: None empty, a formula-like text made inert."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
