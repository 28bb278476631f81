"""The split of a change read from real tables: the same `explain` on SQLite, PostgreSQL and
MariaDB as plain Python computes from the rows, ratings of conversations from weeks before
following their conversation, rows of no conversation in the group None."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from aiops_report.analysis.explain import GroupTotals, rating_totals, score_totals, split_change
from aiops_report.data.config import Settings
from aiops_report.data.periods import Period
from aiops_report.errors import MissingColumn
from aiops_report.faces.cli import app
from aiops_report.jobs import report_numbers
from chatbot_tables import Rows, insert, normalized_feedback
from explain_rows import create

SEOUL = ZoneInfo("Asia/Seoul")
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)
MODELS = ["gpt-4.1", "gpt-4.1-nano", "Gpt-4.1", None]  # case counts: another model
CHANNELS = ["web", "kakao", None]
VERSIONS = [3, 4, None]  # an integer column: its groups are "3" and "4"


@pytest.fixture
def dimensioned(settings: Settings, tmp_path: Path) -> Settings:
    schema_file = tmp_path / "schema.toml"
    schema_file.write_text(
        '[conversations]\nsegment = "bot"\ndimensions = ["prompt_version", "channel"]\n',
        encoding="utf-8",
    )
    return settings.model_copy(update={"schema_file": schema_file})


def planted_rows(seed: int) -> Rows:
    """Conversations from six weeks before the week to its end; their feedback and scores up
    to five weeks later (many given in the week of a conversation of weeks before); some name
    no conversation, or one that does not exist."""
    rng = random.Random(seed)
    rows = Rows()
    start = WEEK.start_at - timedelta(weeks=6)
    hours = int((WEEK.end_at - start).total_seconds() // 3600)
    fid = eid = 0
    for cid in range(1, 601):
        created = start + timedelta(hours=rng.randrange(hours), minutes=rng.randrange(60))
        model = rng.choice(MODELS)
        rows.conversations.append(
            {
                "id": cid,
                "model": model,
                "bot": rng.choice(["shop", "help", None]),
                "channel": rng.choice(CHANNELS),
                "prompt_version": rng.choice(VERSIONS),
                "created_at": created,
            }
        )
        good = 0.8 if model == "gpt-4.1" else 0.5
        for _ in range(rng.choice([1, 1, 2, 3])):
            fid += 1
            rows.feedback.append(
                {
                    "id": fid,
                    "conversation_id": cid,
                    "feedback": rng.choice(["like", " Like "])
                    if rng.random() < good
                    else "dislike",
                    "created_at": created + timedelta(hours=rng.randrange(1, 24 * 35)),
                }
            )
            eid += 1
            rows.evaluations.append(
                {
                    "id": eid,
                    "conversation_id": cid,
                    # Halves add up exactly in floats: the sums are the same on every database.
                    "score": rng.choice([None, *[v / 2 for v in range(21)]]),
                    "created_at": created + timedelta(hours=rng.randrange(1, 24 * 35)),
                }
            )
    for orphan in (None, 99_999):  # no conversation named, and one that does not exist
        for _ in range(6):
            fid += 1
            eid += 1
            when = WEEK.start_at + timedelta(hours=rng.randrange(24 * 7))
            rows.feedback.append(
                {"id": fid, "conversation_id": orphan, "feedback": "dislike", "created_at": when}
            )
            rows.evaluations.append(
                {"id": eid, "conversation_id": orphan, "score": 1.5, "created_at": when}
            )
    return rows


def expected_groups(
    rows: Rows, period: Period, column: str
) -> tuple[dict[Any, GroupTotals], dict[Any, GroupTotals]]:
    """Plain Python: the period's thumbs and scores by their conversation's `column`."""
    of = {c["id"]: c[column] for c in rows.conversations}

    def group(row: dict[str, Any]) -> str | None:
        value = of.get(row["conversation_id"])
        return None if value is None else str(value)

    def within(row: dict[str, Any]) -> bool:
        return period.start_at <= row["created_at"] < period.end_at

    thumbs: dict[Any, list[int]] = {}
    for row in filter(within, rows.feedback):
        kind = normalized_feedback(row["feedback"])
        counts = thumbs.setdefault(group(row), [0, 0])
        counts[kind == "dislike"] += 1
    scores: dict[Any, list[float]] = {}
    for row in filter(within, rows.evaluations):
        if row["score"] is not None:
            scores.setdefault(group(row), []).append(row["score"])
    return (
        {g: rating_totals(likes, dislikes) for g, (likes, dislikes) in thumbs.items()},
        {g: score_totals(len(v), sum(v), sum(x * x for x in v)) for g, v in scores.items()},
    )


def test_the_same_split_as_plain_python_on_every_database(
    engine: Engine, dimensioned: Settings
) -> None:
    rows = planted_rows(seed=5)
    create(engine, dimensioned)
    insert(engine, dimensioned, rows, style="naive")
    # The week's ratings include many of conversations created weeks before it.
    created = {c["id"]: c["created_at"] for c in rows.conversations}
    old = [
        f
        for f in rows.feedback
        if WEEK.start_at <= f["created_at"] < WEEK.end_at
        and created.get(f["conversation_id"], WEEK.start_at) < WEEK.start_at - timedelta(weeks=2)
    ]
    assert len(old) > 50

    numbers = report_numbers(engine, dimensioned, WEEK, analyse_texts=False)

    insights = numbers.insights
    assert insights is not None and insights.explain is not None
    for metric, which in (("satisfaction_rate", 0), ("avg_score", 1)):
        splits = insights.explain[metric]
        assert list(splits) == ["model", "segment", "prompt_version", "channel"]
        for dimension, column in (
            ("model", "model"),
            ("segment", "bot"),
            ("prompt_version", "prompt_version"),
            ("channel", "channel"),
        ):
            previous = expected_groups(rows, WEEK.previous, column)[which]
            current = expected_groups(rows, WEEK, column)[which]
            expected = split_change(metric, dimension, previous, current)
            assert expected is not None
            assert splits[dimension] == expected.as_floats(), (metric, dimension)
        # The groups hold every row the whole figure counts: it is the report's own.
        split = splits["model"]
        assert float(split.current) == pytest.approx(getattr(numbers.current, metric), abs=1e-6)
        assert float(split.previous) == pytest.approx(getattr(numbers.previous, metric), abs=1e-6)
        assert None in {g.group for g in split.groups}  # no conversation, or no model
    models = {g.group for g in insights.explain["satisfaction_rate"]["model"].groups}
    assert {"gpt-4.1", "Gpt-4.1", "gpt-4.1-nano"} <= models
    versions = {g.group for g in insights.explain["avg_score"]["prompt_version"].groups}
    assert versions == {"3", "4", None}


def test_generate_json_holds_the_split(
    engine: Engine, dimensioned: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    create(engine, dimensioned)
    insert(engine, dimensioned, planted_rows(seed=9), style="naive")
    monkeypatch.setenv("DATABASE_URL", dimensioned.database_url)
    monkeypatch.setenv("SCHEMA_FILE", str(dimensioned.schema_file))

    result = CliRunner().invoke(app, ["generate", "--week", "2026-11-16", "--json"])

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    split = document["explain"]["satisfaction_rate"]["channel"]
    assert set(split) == {
        "previous",
        "current",
        "change",
        "mix",
        "rate",
        "simpson",
        "rate_z",
        "rate_p_value",
        "groups",
    }
    assert split["mix"] + split["rate"] == pytest.approx(split["change"], abs=1e-12)
    assert split["current"] == pytest.approx(document["current"]["satisfaction_rate"], abs=1e-12)
    assert {g["group"] for g in split["groups"]} == {"web", "kakao", None}
    assert set(split["groups"][0]) == {
        "group",
        "share_previous",
        "share_current",
        "value_previous",
        "value_current",
        "mix",
        "rate",
    }
    assert set(document["explain"]) == {"satisfaction_rate", "avg_score"}


def test_a_dimension_that_is_no_column_is_one_line(engine: Engine, settings: Settings) -> None:
    create(engine, settings)
    schema_file = Path(str(settings.report_dir)).parent / "wrong.toml"
    schema_file.write_text('[conversations]\ndimensions = ["chanel"]\n', encoding="utf-8")
    wrong = settings.model_copy(update={"schema_file": schema_file})

    with pytest.raises(MissingColumn, match=r"dimensions names 'chanel', but table"):
        report_numbers(engine, wrong, WEEK)


def test_the_docs_example_of_dimensions_loads() -> None:
    from aiops_report.data.mapping import load_mapping

    example = Path(__file__).parents[2] / "docs" / "examples" / "dimensions.toml"
    mapping = load_mapping(example)

    assert mapping.dimensions == ("prompt_version", "channel")
    assert mapping.table("conversations").columns["segment"] == "bot"
