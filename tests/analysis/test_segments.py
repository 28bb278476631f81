"""Segments (SCHEMA_FILE's `segment` column): a segment's report counts only its rows, its
feedback and evaluations following their conversation; the report of everything has a table
by segment that sums to it. Checked against plain Python on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pypdf
import pytest
from sqlalchemy.engine import Engine

from aiops_report.analysis.insight_parts import UNKNOWN_MODEL
from aiops_report.analysis.metrics import ReportNumbers
from aiops_report.data.config import Settings
from aiops_report.data.periods import Period
from aiops_report.errors import ConfigError, InvalidInput
from aiops_report.jobs import generate_report, report_numbers
from aiops_report.report.insight_section import PDF_SEGMENTS
from chatbot_tables import STYLES, Rows, create_tables, insert, reference

SEOUL = ZoneInfo("Asia/Seoul")
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)
BOTS = ["shop-bot", "help-bot", "Shop-Bot", None]  # case counts: "Shop-Bot" is another bot
HEADLINE = ("conversations", "feedback_total", "likes", "dislikes", "evaluations")


def segment_rows(seed: int = 7) -> Rows:
    """Conversations of both weeks and the days around them, each of a bot or of none; their
    feedback and scores hours later, a few with no conversation at all."""
    rng = random.Random(seed)
    rows = Rows()
    start = WEEK.previous.start_at - timedelta(days=1)
    hours = int((WEEK.end_at - start).total_seconds() // 3600) + 24
    fid = eid = 0
    for cid in range(1, 401):
        created = start + timedelta(hours=rng.randrange(hours), minutes=rng.randrange(60))
        rows.conversations.append(
            {
                "id": cid,
                "user_id": f"u{rng.randrange(30)}",
                "bot": rng.choice(BOTS),
                "model": rng.choice(["gpt-4o-mini", "llama-3"]),
                "latency_ms": rng.randrange(100, 3000),
                "prompt_tokens": rng.randrange(10, 500),
                "completion_tokens": rng.randrange(5, 300),
                "created_at": created,
            }
        )
        for _ in range(rng.choice([0, 1, 1, 2])):
            fid += 1
            rows.feedback.append(
                {
                    "id": fid,
                    "conversation_id": cid,
                    "feedback": rng.choice(["like", "dislike", " Like ", "meh"]),
                    "created_at": created + timedelta(minutes=rng.randrange(1, 30 * 60)),
                }
            )
        if rng.random() < 0.7:
            eid += 1
            rows.evaluations.append(
                {
                    "id": eid,
                    "conversation_id": cid,
                    "score": rng.choice([None, *range(11)]),
                    "created_at": created + timedelta(minutes=rng.randrange(1, 20 * 60)),
                }
            )
    for _ in range(5):  # feedback that names no conversation: in no segment
        fid += 1
        rows.feedback.append(
            {
                "id": fid,
                "conversation_id": None,
                "feedback": "dislike",
                "created_at": WEEK.start_at + timedelta(hours=rng.randrange(24 * 7)),
            }
        )
    return rows


def of_segment(rows: Rows, segment: str) -> Rows:
    """The rows of `segment`, in plain Python: its conversations, and what follows them."""
    ids = {c["id"] for c in rows.conversations if c["bot"] == segment}
    return Rows(
        [c for c in rows.conversations if c["id"] in ids],
        [f for f in rows.feedback if f["conversation_id"] in ids],
        [e for e in rows.evaluations if e["conversation_id"] in ids],
    )


@pytest.fixture
def segmented(settings: Settings, tmp_path: Path) -> Settings:
    schema_file = tmp_path / "schema.toml"
    schema_file.write_text('[conversations]\nsegment = "bot"\n', encoding="utf-8")
    return settings.model_copy(update={"schema_file": schema_file})


def load(engine: Engine, settings: Settings, rows: Rows) -> str:
    style = STYLES[engine.dialect.name][-1]
    create_tables(engine, settings, style=style, minimal=False, segment="bot")
    insert(engine, settings, rows, style=style)
    return style


def assert_matches(numbers: ReportNumbers, expected: dict[str, Any]) -> None:
    for which in ("current", "previous"):
        got = vars(getattr(numbers, which))
        for name, value in expected[which].items():
            assert got[name] == pytest.approx(value), (which, name)
    for day in numbers.daily:
        for name, value in expected["daily"][day.date].items():
            assert getattr(day, name) == pytest.approx(value), (day.date, name)


@pytest.mark.parametrize("segment", ["shop-bot", "Shop-Bot"])
def test_a_segments_report_counts_only_its_segment(
    engine: Engine, segmented: Settings, segment: str
) -> None:
    rows = segment_rows()
    style = load(engine, segmented, rows)
    whole = report_numbers(engine, segmented, WEEK)  # keeps the days' totals of everything

    numbers = report_numbers(engine, segmented, WEEK, segment=segment)

    expected = reference(
        of_segment(rows, segment), WEEK, style=style, db_zone=segmented.db_zone, minimal=False
    )
    assert 0 < numbers.current.conversations < whole.current.conversations
    assert numbers.current.feedback_total > 0 and numbers.current.evaluations > 0
    assert_matches(numbers, expected)
    assert numbers.segment == segment
    in_segment = {c["id"] for c in rows.conversations if c["bot"] == segment}
    worst = numbers.lowest_scored + numbers.disliked
    assert worst and all(e.conversation_id in in_segment for e in worst)
    # The whole report is unchanged by the segment's totals kept beside it.
    assert report_numbers(engine, segmented, WEEK).current == whole.current
    assert whole.segment is None
    assert numbers.insights is not None and numbers.insights.by_segment is None


def test_the_table_by_segment_sums_to_the_whole(engine: Engine, segmented: Settings) -> None:
    rows = segment_rows(seed=11)
    load(engine, segmented, rows)

    numbers = report_numbers(engine, segmented, WEEK)

    assert numbers.insights is not None and numbers.insights.by_segment is not None
    by_segment = {s.segment: s for s in numbers.insights.by_segment}
    assert set(by_segment) == {"shop-bot", "help-bot", "Shop-Bot", UNKNOWN_MODEL}
    for name in HEADLINE:
        parts = sum(getattr(s, name) for s in by_segment.values())
        assert parts == getattr(numbers.current, name), name
    shop = report_numbers(engine, segmented, WEEK, segment="shop-bot")
    for name in (*HEADLINE, "unique_users", "satisfaction_rate", "avg_score"):
        assert getattr(by_segment["shop-bot"], name) == pytest.approx(
            getattr(shop.current, name)
        ), name


def test_a_segments_report_names_it_in_its_file_and_json(
    engine: Engine, segmented: Settings, tmp_path: Path
) -> None:
    load(engine, segmented, segment_rows())

    report = generate_report(engine, segmented, WEEK, segment="shop/bot ✓", out_dir=tmp_path)
    plain = generate_report(engine, segmented, WEEK, segment="shop-bot", out_dir=tmp_path)

    assert report.path.name.startswith("weekly_report_2026_11_23_segment_shop-bot-")
    assert plain.path.name == "weekly_report_2026_11_23_segment_shop-bot.pdf"
    document = json.loads(plain.path.with_suffix(".json").read_text(encoding="utf-8"))
    assert document["segment"] == "shop-bot"
    assert ReportNumbers.from_dict(document).segment == "shop-bot"
    assert report.numbers.current.conversations == 0  # no such bot: an empty report
    first_page = pypdf.PdfReader(plain.path).pages[0].extract_text()
    assert "shop-bot" in first_page.splitlines()[0]


def test_the_pdf_of_everything_has_the_table_by_segment(
    engine: Engine, segmented: Settings, tmp_path: Path
) -> None:
    load(engine, segmented, segment_rows())

    report = generate_report(engine, segmented, WEEK, language="en", out_dir=tmp_path)

    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(report.path).pages)
    assert "By segment" in text
    assert all(name in text for name in ("shop-bot", "help-bot", "Shop-Bot", UNKNOWN_MODEL))


def test_a_segment_needs_a_segment_column(engine: Engine, settings: Settings) -> None:
    load(engine, settings, Rows())

    with pytest.raises(ConfigError, match=r'SCHEMA_FILE \[conversations\] segment = "<column>"'):
        report_numbers(engine, settings, WEEK, segment="shop-bot")
    numbers = report_numbers(engine, settings, WEEK)
    assert numbers.insights is not None and numbers.insights.by_segment is None


def test_a_segment_must_fit_its_column(engine: Engine, tmp_path: Path, settings: Settings) -> None:
    schema_file = tmp_path / "schema.toml"
    schema_file.write_text('[conversations]\nsegment = "latency_ms"\n', encoding="utf-8")
    by_latency = settings.model_copy(update={"schema_file": schema_file})
    load(engine, settings, Rows())

    with pytest.raises(InvalidInput, match=r"cannot be a value of conversation_log\.latency_ms"):
        report_numbers(engine, by_latency, WEEK, segment="shop-bot")


def test_feedback_follows_its_conversation_across_days(engine: Engine, segmented: Settings) -> None:
    """A like given the day after a conversation of the week before counts in its segment."""
    late = datetime(2026, 11, 15, 23, 30, tzinfo=SEOUL)
    rows = Rows(
        [{"id": 1, "bot": "shop-bot", "created_at": late}],
        [
            {
                "id": 1,
                "conversation_id": 1,
                "feedback": "like",
                "created_at": late + timedelta(hours=2),
            }
        ],
        [{"id": 1, "conversation_id": 1, "score": 9.0, "created_at": late + timedelta(days=1)}],
    )
    load(engine, segmented, rows)

    numbers = report_numbers(engine, segmented, WEEK, segment="shop-bot")

    assert (numbers.current.conversations, numbers.previous.conversations) == (0, 1)
    assert (numbers.current.likes, numbers.current.evaluations) == (1, 1)
    assert numbers.current.avg_score == 9.0


def test_the_pdf_shows_the_largest_segments_and_one_row_of_the_others(
    engine: Engine, segmented: Settings, tmp_path: Path
) -> None:
    rows = segment_rows()
    for conversation in rows.conversations:  # each conversation a segment of its own, nearly
        conversation["bot"] = f"bot-{conversation['id'] % 300:03d}"
    load(engine, segmented, rows)

    report = generate_report(engine, segmented, WEEK, language="en", out_dir=tmp_path, csv=True)

    assert report.numbers.insights is not None and report.numbers.insights.by_segment
    segments = report.numbers.insights.by_segment
    assert len(segments) > PDF_SEGMENTS
    pages = pypdf.PdfReader(report.path).pages
    text = "\n".join(page.extract_text() for page in pages)
    bots = [s.segment for s in segments if s.segment.startswith("bot-")]
    largest = {s.segment for s in segments[:PDF_SEGMENTS] if s.segment.startswith("bot-")}
    assert {bot for bot in bots if bot in text.split()} == largest
    others = segments[PDF_SEGMENTS:]
    lines = text.splitlines()
    at = lines.index(f"{len(others):,} other segments")
    assert lines[at + 1].strip() == f"{sum(s.conversations for s in others):,}"  # its cells
    assert lines[at + 2].strip() == f"{sum(s.feedback_total for s in others):,}"
    [by_segment] = [path for path in report.tables if path.name.endswith("_by_segment.csv")]
    assert len(by_segment.read_text(encoding="utf-8").splitlines()) == len(segments) + 1
    document = json.loads(report.path.with_suffix(".json").read_text(encoding="utf-8"))
    assert len(document["by_segment"]) == len(segments)
