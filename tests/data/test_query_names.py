"""The names a statement gives its own parts (CTEs, aliases, subqueries) never collide with a
team's table: every one goes through ChatbotTables.query_name, and tables named like each of
them (bare, as they once were, and prefixed, as they are now) give the same numbers."""

from __future__ import annotations

import ast
import contextlib
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import _anonymous_label
from sqlalchemy.sql.selectable import AliasedReturnsRows, Lateral

import aiops_report
from aiops_report.data.config import Settings
from aiops_report.data.conversations import Search, search
from aiops_report.data.periods import Period
from aiops_report.data.tables import reflect_tables
from aiops_report.jobs import report_numbers
from chatbot_tables import STYLES, Rows, create_tables, insert

SEOUL = ZoneInfo("Asia/Seoul")
WEEK = Period.week_of(date(2026, 11, 16), SEOUL)
CATALOGS = {"pg_catalog", "information_schema"}
NAMING_CALLS = {"cte", "alias", "subquery", "lateral"}
SOURCE = Path(aiops_report.__file__).parent


def test_every_cte_alias_and_subquery_of_the_code_is_named_by_query_name() -> None:
    unnamed = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in NAMING_CALLS
            ):
                continue
            [name, *_] = [*node.args, None]
            named = (
                isinstance(name, ast.Call)
                and isinstance(name.func, ast.Attribute)
                and name.func.attr == "query_name"
            )
            if not named:
                unnamed.append(f"{path.relative_to(SOURCE)}:{node.lineno} .{node.func.attr}()")
    assert unnamed == []


def team_rows(seed: int = 3) -> Rows:
    """Conversations of two weeks with bots and texts; feedback with comments and scores
    with reasons hours later."""
    rng = random.Random(seed)
    rows = Rows()
    start = WEEK.previous.start_at - timedelta(days=1)
    for cid in range(1, 241):
        created = start + timedelta(minutes=rng.randrange(16 * 24 * 60))
        rows.conversations.append(
            {
                "id": cid,
                "user_id": f"u{rng.randrange(20)}",
                "user_message": f"질문 {cid}",
                "ai_response": f"답변 {cid}",
                "bot": rng.choice(["shop", "help", None]),
                "model": rng.choice(["gpt-4o-mini", "llama-3"]),
                "latency_ms": rng.randrange(100, 3000),
                "prompt_tokens": rng.randrange(10, 500),
                "completion_tokens": rng.randrange(5, 300),
                "created_at": created,
            }
        )
        if rng.random() < 0.6:
            rows.feedback.append(
                {
                    "id": len(rows.feedback) + 1,
                    "conversation_id": cid,
                    "feedback": rng.choice(["like", "dislike"]),
                    "comment": rng.choice(["배송이 느려요", "환불 문의", None]),
                    "created_at": created + timedelta(minutes=rng.randrange(1, 600)),
                }
            )
        if rng.random() < 0.7:
            rows.evaluations.append(
                {
                    "id": len(rows.evaluations) + 1,
                    "conversation_id": cid,
                    "score": rng.choice([None, *range(11)]),
                    "reason": rng.choice(["답이 틀림", "너무 김", None]),
                    "created_at": created + timedelta(minutes=rng.randrange(1, 600)),
                }
            )
    return rows


def named(settings: Settings, tmp_path: Path, names: tuple[str, str, str]) -> Settings:
    schema_file = tmp_path / "schema.toml"
    schema_file.write_text('[conversations]\nsegment = "bot"\n', encoding="utf-8")
    conversations, feedback, evaluations = names
    return settings.model_copy(
        update={
            "schema_file": schema_file,
            "conversation_table": conversations,
            "feedback_table": feedback,
            "evaluation_table": evaluations,
        }
    )


def everything_read(engine: Engine, settings: Settings) -> dict[str, Any]:
    """The report of everything and of a segment, and a conversation search: every statement
    that names parts of its own."""
    tables = reflect_tables(engine, settings)
    found = search(engine, tables, WEEK, Search(score=(0, 5), feedback="dislike"))
    return {
        "whole": report_numbers(engine, settings, WEEK, analyse_texts=False).to_dict(),
        "segment": report_numbers(
            engine, settings, WEEK, analyse_texts=False, segment="shop"
        ).to_dict(),
        "search": (found.total, [row.conversation_id for row in found.rows]),
    }


@contextlib.contextmanager
def query_names(engine: Engine) -> Iterator[set[str]]:
    """Collect the names of the CTEs, aliases and subqueries of every statement run (an
    anonymous one as "anon")."""
    names: set[str] = set()

    def collect(conn: Any, clause: Any, *args: Any) -> None:
        elements = list(visitors.iterate(clause))
        if any(isinstance(e, sa.Table) and e.schema in CATALOGS for e in elements):
            return  # SQLAlchemy's reflection, of the catalog's tables only
        # A LATERAL holds its SELECT as an anonymous subquery that is never rendered by name.
        inside_lateral = {id(e.element) for e in elements if isinstance(e, Lateral)}
        for element in elements:
            if isinstance(element, AliasedReturnsRows) and id(element) not in inside_lateral:
                anonymous = isinstance(element.name, _anonymous_label)
                names.add("anon" if anonymous else str(element.name))

    sa.event.listen(engine, "before_execute", collect)
    try:
        yield names
    finally:
        sa.event.remove(engine, "before_execute", collect)


def load(engine: Engine, settings: Settings, rows: Rows) -> None:
    style = STYLES[engine.dialect.name][-1]
    create_tables(engine, settings, style=style, minimal=False, segment="bot")
    insert(engine, settings, rows, style=style)


def test_tables_named_like_every_query_name_read_the_same_numbers(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = team_rows()
    default = ("conversation_log", "feedback_log", "conversation_evaluation")
    plain = named(settings, tmp_path, default)
    load(engine, plain, rows)
    with query_names(engine) as used:
        expected = everything_read(engine, plain)
    assert "anon" not in used  # SQLAlchemy's anon_1, anon_2... are names too
    assert expected["whole"]["current"]["feedback_total"] > 0
    assert expected["segment"]["current"]["conversations"] > 0
    assert expected["search"][0] > 0
    assert {"aiops_thumbs_and_scores", "aiops_scores", "aiops_rated"} <= used
    # Each name as it is now, and bare (the CTE `thumbs` read itself from a table `thumbs`).
    candidates = sorted(used | {name.removeprefix("aiops_") for name in used})
    groups = [tuple(candidates[i : i + 3]) for i in range(0, len(candidates), 3)]
    for group in groups:
        names = (*group, *[f"t_{n}" for n in range(3 - len(group))])
        drop_all(engine)
        mapped = named(settings, tmp_path, names)  # type: ignore[arg-type]
        load(engine, mapped, rows)
        assert everything_read(engine, mapped) == expected, names


def drop_all(engine: Engine) -> None:
    metadata = sa.MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)
