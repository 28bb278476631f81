"""Tables in a schema of their own: PostgreSQL's `chat` schema (MySQL: another database), read
through a user that may only SELECT them and has no search_path set for them, the project's
own tables in STATE_DATABASE_URL; the numbers equal hand-written SQL. A decoy table of the same
name in the default schema is never read. The URL's own options are kept; a mapped table that
is not found never suggests `init-db`."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine, make_url
from typer.testing import CliRunner

from aiops_report.faces.cli import app
from conftest import administer

SEOUL = ZoneInfo("Asia/Seoul")
WEEK_START = datetime(2026, 11, 16, tzinfo=SEOUL)  # the report of --week 2026-11-16
READER = f"aiops_chat_reader_{os.getpid()}"
LIKE, DISLIKE = "좋아요", "싫어요"


def run(*args: str, **env: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), env=env)


@dataclass
class Chat:
    """The team's database: its schema, the URL of the SELECT-only user, and the
    SCHEMA_FILE that maps its tables."""

    schema: str
    reader_url: str
    schema_file: Path


def team_tables(schema: str | None) -> tuple[sa.MetaData, sa.Table, sa.Table, sa.Table]:
    """messages (timestamptz on PostgreSQL), reactions (Korean words), judgements (0–100,
    naive times written in Seoul)."""
    metadata = sa.MetaData(schema=schema)
    aware = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    messages = sa.Table(
        "messages",
        metadata,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("bot", sa.String(20)),
        sa.Column("is_internal", sa.Boolean, nullable=False),
        sa.Column("created_at", aware, nullable=False),
        mysql_charset="utf8mb4",
    )
    reactions = sa.Table(
        "reactions",
        metadata,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("message_id", sa.BigInteger),
        sa.Column("reaction", sa.String(20)),
        sa.Column("created_at", aware, nullable=False),
        mysql_charset="utf8mb4",
    )
    judgements = sa.Table(
        "judgements",
        metadata,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("message_id", sa.BigInteger),
        sa.Column("score", sa.Numeric(5, 1)),
        sa.Column("judged_at", sa.DateTime, nullable=False),
        mysql_charset="utf8mb4",
    )
    return metadata, messages, reactions, judgements


def fill(engine: Engine, schema: str | None, seed: int, count: int = 300) -> None:
    """Three weeks around the reported one; on MySQL the aware times are written in UTC
    (the session's zone)."""
    metadata, messages, reactions, judgements = team_tables(schema)
    metadata.create_all(engine)
    rng = random.Random(seed)
    naive = engine.dialect.name != "postgresql"

    def aware(instant: datetime) -> datetime:
        return instant.astimezone(ZoneInfo("UTC")).replace(tzinfo=None) if naive else instant

    rows: dict[str, list[dict[str, Any]]] = {"m": [], "r": [], "j": []}
    start = WEEK_START - timedelta(days=8)
    for mid in range(1, count + 1):
        created = start + timedelta(minutes=rng.randrange(23 * 24 * 60))
        rows["m"].append(
            {
                "id": mid,
                "bot": rng.choice(["kakao", "line", None]),
                "is_internal": rng.random() < 0.2,
                "created_at": aware(created),
            }
        )
        for _ in range(rng.choice([0, 1, 2])):
            rated = created + timedelta(minutes=rng.randrange(1, 2 * 24 * 60))
            reaction = rng.choice([LIKE, LIKE, DISLIKE, "신고"])
            rows["r"].append(
                {"id": len(rows["r"]) + 1, "message_id": mid, "reaction": reaction}
                | {"created_at": aware(rated)}
            )
        if rng.random() < 0.8:
            judged = created + timedelta(minutes=rng.randrange(1, 24 * 60))
            score = rng.choice([None, *[x / 2 for x in range(0, 201, 7)]])
            rows["j"].append(
                {"id": len(rows["j"]) + 1, "message_id": mid, "score": score}
                | {"judged_at": judged.astimezone(SEOUL).replace(tzinfo=None)}
            )
    with engine.begin() as conn:
        for table, key in ((messages, "m"), (reactions, "r"), (judgements, "j")):
            conn.execute(sa.insert(table), rows[key])


SCHEMA_FILE = """\
[conversations]
table = "{schema}.messages"
segment = "bot"
where = "NOT is_internal"

[feedback]
schema = "{schema}"
table = "reactions"
conversation_id = "message_id"
feedback = "reaction"
like = ["좋아요"]
dislike = ["싫어요"]

[evaluations]
table = "{schema}.judgements"
conversation_id = "message_id"
created_at = "judged_at"
timezone = "Asia/Seoul"
score_range = [0, 100]
"""


@pytest.fixture
def chat(db_url: str, engine: Engine, tmp_path: Path) -> Iterator[Chat]:
    """The team's tables in a schema of their own (MySQL: a database), decoys of the same
    names in the default one, and a user that may only read the team's."""
    url = make_url(db_url)
    postgresql = url.get_backend_name() == "postgresql"
    schema = "chat" if postgresql else f"aiops_chat_{os.getpid()}"
    if postgresql:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS chat CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA chat"))
        setup = [
            f"DROP ROLE IF EXISTS {READER}",
            f"CREATE ROLE {READER} LOGIN",
            f"GRANT CONNECT ON DATABASE {url.database} TO {READER}",
        ]
        grants = [
            f"GRANT USAGE ON SCHEMA chat TO {READER}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA chat TO {READER}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER}",  # the decoys too
        ]
    else:
        administer(db_url, f"DROP DATABASE IF EXISTS {schema}")
        administer(db_url, f"CREATE DATABASE {schema} CHARACTER SET utf8mb4")
        setup = [f"DROP USER IF EXISTS '{READER}'@'%'", f"CREATE USER '{READER}'@'%'"]
        grants = [
            f"GRANT SELECT ON {schema}.* TO '{READER}'@'%'",
            f"GRANT SELECT ON {url.database}.* TO '{READER}'@'%'",  # the decoys too
        ]
    fill(engine, schema, seed=1)
    fill(engine, None, seed=2, count=100)  # decoys: the same names, the default schema
    for statement in setup:
        administer(db_url, statement)
    with engine.begin() as conn:
        for statement in grants:
            conn.execute(sa.text(statement))
    schema_file = tmp_path / "schema.toml"
    schema_file.write_text(SCHEMA_FILE.format(schema=schema), encoding="utf-8")
    reader = url.set(username=READER, password=None).render_as_string(hide_password=False)
    yield Chat(schema, reader, schema_file)
    if postgresql:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP OWNED BY {READER}"))
            conn.execute(sa.text("DROP SCHEMA chat CASCADE"))
        administer(db_url, f"DROP ROLE {READER}")
    else:
        administer(db_url, f"DROP USER '{READER}'@'%'")
        administer(db_url, f"DROP DATABASE {schema}")


def unquoted(text: str) -> str:
    return text.replace("`", "").replace('"', "")


def sql_truth(engine: Engine, schema: str) -> dict[str, Any]:
    """The week's numbers, whole and per bot, by hand-written SQL."""
    postgresql = engine.dialect.name == "postgresql"
    if postgresql:
        start, end = "'2026-11-16 00:00+09'", "'2026-11-23 00:00+09'"
    else:  # aware times were written in UTC
        start, end = "'2026-11-15 15:00'", "'2026-11-22 15:00'"
    not_internal = "NOT m.is_internal"
    queries = {
        "conversations": f"""
            SELECT m.bot, COUNT(*) FROM {schema}.messages m
            WHERE m.created_at >= {start} AND m.created_at < {end} AND {not_internal}
            GROUP BY m.bot""",
        "feedback": f"""
            SELECT m.bot, COUNT(*),
                   SUM(CASE WHEN r.reaction = '{LIKE}' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN r.reaction = '{DISLIKE}' THEN 1 ELSE 0 END)
            FROM {schema}.reactions r
            LEFT JOIN {schema}.messages m ON m.id = r.message_id AND {not_internal}
            WHERE r.created_at >= {start} AND r.created_at < {end}
            GROUP BY m.bot""",
        "evaluations": f"""
            SELECT m.bot, COUNT(j.score), SUM(j.score)
            FROM {schema}.judgements j
            LEFT JOIN {schema}.messages m ON m.id = j.message_id AND {not_internal}
            WHERE j.judged_at >= '2026-11-16 00:00' AND j.judged_at < '2026-11-23 00:00'
            GROUP BY m.bot""",
    }
    by_bot: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for name, query in queries.items():
            for bot, *values in conn.execute(sa.text(query)):
                row = by_bot.setdefault(bot or "(unknown)", {})
                if name == "conversations":
                    row["conversations"] = values[0]
                elif name == "feedback":
                    row["feedback_total"], row["likes"], row["dislikes"] = map(int, values)
                else:
                    row["evaluations"], row["score_sum"] = int(values[0]), float(values[1] or 0)
    whole = {
        name: sum(row.get(name, 0) for row in by_bot.values())
        for name in ("conversations", "feedback_total", "likes", "dislikes", "evaluations")
    }
    whole["avg_score"] = sum(r.get("score_sum", 0) for r in by_bot.values()) / whole["evaluations"]
    return {"whole": whole, "by_bot": by_bot}


@pytest.mark.parametrize("db_url", ["postgresql", "mariadb"], indirect=True)
def test_a_schema_of_its_own_read_by_a_select_only_user_gives_the_numbers_of_sql(
    chat: Chat, engine: Engine, tmp_path: Path
) -> None:
    env = {
        "DATABASE_URL": chat.reader_url,
        "STATE_DATABASE_URL": f"sqlite:///{tmp_path / 'state.db'}",
        "SCHEMA_FILE": str(chat.schema_file),
    }

    result = run("generate", "--week", "2026-11-16", "--json", **env)
    again = run("generate", "--week", "2026-11-16", "--json", **env)  # from kept totals

    assert result.exit_code == 0, result.output
    assert json.loads(again.stdout) == json.loads(result.stdout)
    document = json.loads(result.stdout)
    truth = sql_truth(engine, chat.schema)
    current = document["current"]
    for name, value in truth["whole"].items():
        assert current[name] == pytest.approx(value), name
    assert current["conversations"] > 0 and current["dislikes"] > 0
    by_segment = {row["segment"]: row for row in document["by_segment"]}
    for bot, expected in truth["by_bot"].items():
        for name in ("conversations", "feedback_total", "likes", "dislikes", "evaluations"):
            assert by_segment[bot][name] == expected.get(name, 0), (bot, name)
    lines = run("doctor", **env).output.splitlines()
    said = f"ok    table {chat.schema}.messages (conversations)"
    assert any(line.startswith(said) for line in lines)
    index = f"ON {chat.schema}.judgements (judged_at);"  # where its index goes, its schema
    assert any("judgements: no index" in line and index in unquoted(line) for line in lines)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_urls_own_search_path_is_kept_beside_the_projects_options(
    chat: Chat, engine: Engine, tmp_path: Path
) -> None:
    unqualified = chat.schema_file.read_text(encoding="utf-8").replace('"chat.', '"')
    unqualified = unqualified.replace('schema = "chat"\n', "")
    chat.schema_file.write_text(unqualified, encoding="utf-8")
    env = {
        "STATE_DATABASE_URL": f"sqlite:///{tmp_path / 'state.db'}",
        "SCHEMA_FILE": str(chat.schema_file),
    }

    through_chat = run(
        "generate",
        "--week",
        "2026-11-16",
        "--json",
        DATABASE_URL=f"{chat.reader_url}?options=-csearch_path%3Dchat",
        **env,
    )
    through_public = run(
        "generate", "--week", "2026-11-16", "--json", DATABASE_URL=chat.reader_url, **env
    )

    assert through_chat.exit_code == 0, through_chat.output
    current = json.loads(through_chat.stdout)["current"]
    assert current["conversations"] == sql_truth(engine, "chat")["whole"]["conversations"]
    decoy = json.loads(through_public.stdout)["current"]  # public's decoys: other numbers
    assert decoy["conversations"] != current["conversations"]


@pytest.mark.parametrize("db_url", ["postgresql", "mariadb"], indirect=True)
def test_a_mapped_table_not_found_names_where_it_is_and_never_suggests_init_db(
    chat: Chat, engine: Engine, tmp_path: Path
) -> None:
    mapping = chat.schema_file.read_text(encoding="utf-8")
    chat.schema_file.write_text(mapping.replace(f"{chat.schema}.judgements", "judges"))
    reader = READER if engine.dialect.name == "postgresql" else f"'{READER}'@'%'"
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {chat.schema}.judges (id INT)"))
        conn.execute(sa.text(f"GRANT SELECT ON {chat.schema}.judges TO {reader}"))

    result = run("doctor", DATABASE_URL=chat.reader_url, SCHEMA_FILE=str(chat.schema_file))

    [line] = [line for line in result.output.splitlines() if "judges" in line]
    assert "init-db" not in result.output
    assert f"it exists as {chat.schema}.judges" in line
    assert f'write SCHEMA_FILE [evaluations] table = "{chat.schema}.judges"' in line


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_init_db_is_suggested_only_for_a_default_table_nobody_named(
    db_url: str, tmp_path: Path
) -> None:
    schema_file = tmp_path / "schema.toml"
    schema_file.write_text('[conversations]\ntable = "chat_turns"\n', encoding="utf-8")

    mapped = run("generate", DATABASE_URL=db_url, SCHEMA_FILE=str(schema_file))
    default = run("generate", DATABASE_URL=db_url)

    [line] = mapped.output.strip().splitlines()
    assert line.startswith("error: table 'chat_turns' does not exist in sqlite:///")
    assert "init-db" not in line and "SCHEMA_FILE [conversations] table" in line
    [line] = default.output.strip().splitlines()
    assert "table 'conversation_log' does not exist" in line
    assert "`aiops-report init-db` creates it" in line
