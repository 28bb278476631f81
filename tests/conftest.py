"""Fixtures: one test body runs on SQLite, on the real PostgreSQL and MariaDB servers, and on
ClickHouse (its engine inside the process, chdb: no server to start).

Server URLs come from AIOPS_TEST_POSTGRES_URL / AIOPS_TEST_MARIADB_URL; each test run works in
its own database on them (`aiops_test_<pid>`, dropped at the end), so that two runs never
share tables. A server that cannot be reached skips its tests locally, and fails them when CI
(or AIOPS_REQUIRE_DATABASES) is set: in CI a skipped database test is a failed test.

ClickHouse runs in one folder for the whole run (chdb opens one folder per process at a
time), each test in a database of its own; ClickHouse is only read by the report, so its
tests keep the ledger and the kept totals in a SQLite file (STATE_DATABASE_URL).
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from aiops_report.data.config import Settings, load_settings
from aiops_report.data.db import make_engine
from slack_server import slack_server_fixture  # noqa: F401  (the `slack_server` fixture)

SERVER_URLS = {
    kind: make_url(os.environ.get(variable, default))
    .set(database=f"aiops_test_{os.getpid()}")
    .render_as_string(hide_password=False)
    for kind, variable, default in [
        ("postgresql", "AIOPS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432"),
        ("mariadb", "AIOPS_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306"),
    ]
}
DATABASES = ["sqlite", *SERVER_URLS, "clickhouse"]
_CLICKHOUSE_DATABASES = itertools.count(1)
REQUIRE_DATABASES = bool(os.environ.get("CI") or os.environ.get("AIOPS_REQUIRE_DATABASES"))
SETTINGS_VARIABLES = [name.upper() for name in Settings.model_fields]


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting leaks in from the developer's environment or a `.env` file."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def administer(url: str, statement: str) -> None:
    """Run one statement on the server of `url`, outside the test database."""
    parsed = make_url(url)
    admin_db = "postgres" if parsed.get_backend_name() == "postgresql" else "mysql"
    admin = sa.create_engine(parsed.set(database=admin_db), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(statement))
    finally:
        admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def drop_test_databases() -> Iterator[None]:
    """Drop this run's databases on the servers when the run ends."""
    yield
    for kind, url in SERVER_URLS.items():
        name = make_url(url).database
        force = " WITH (FORCE)" if kind == "postgresql" else ""
        quote = '"' if kind == "postgresql" else "`"
        # A server that is gone has made its tests fail or skip already.
        with contextlib.suppress(sa.exc.OperationalError):
            administer(url, f"DROP DATABASE IF EXISTS {quote}{name}{quote}{force}")


ENSURED: set[str] = set()  # the servers whose test database this run has made sure of


def ensure_database(url: str) -> None:
    """Create the server's test database when it does not exist yet (once per run: the
    database is then emptied between tests, never created again)."""
    if url in ENSURED:
        return
    parsed = make_url(url)
    name = parsed.database
    admin_db = "postgres" if parsed.get_backend_name() == "postgresql" else "mysql"
    admin = sa.create_engine(parsed.set(database=admin_db), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if parsed.get_backend_name() == "postgresql":
                exists = conn.execute(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
                ).first()
                if not exists:
                    conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            else:
                conn.execute(
                    sa.text(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
                )
    finally:
        admin.dispose()
    ENSURED.add(url)


def empty_database(url: str) -> None:
    """Drop every table (and view) of the test database, in one or two statements: no
    reflection (a test's setup on a server took 0.4 s with it, 0.1 s on PostgreSQL without)."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                # As PostgreSQL 15 makes it: owned by the database's owner, usable by all.
                conn.execute(sa.text("CREATE SCHEMA public AUTHORIZATION pg_database_owner"))
                conn.execute(sa.text("GRANT USAGE ON SCHEMA public TO PUBLIC"))
                return
            found = conn.execute(
                sa.text(
                    "SELECT table_name, table_type FROM information_schema.tables "
                    "WHERE table_schema = DATABASE()"
                )
            ).all()
            views = [f"`{name}`" for name, kind in found if kind == "VIEW"]
            tables = [f"`{name}`" for name, kind in found if kind != "VIEW"]
            if views:
                conn.execute(sa.text(f"DROP VIEW {', '.join(views)}"))
            if tables:
                conn.execute(sa.text("SET FOREIGN_KEY_CHECKS = 0"))
                conn.execute(sa.text(f"DROP TABLE {', '.join(tables)}"))
    finally:
        engine.dispose()


def server_url(kind: str) -> str:
    """The URL of an empty test database on the server `kind`, or skip / fail."""
    url = SERVER_URLS[kind]
    try:
        ensure_database(url)
        empty_database(url)
    except sa.exc.OperationalError as exc:
        message = f"{kind} test server unreachable at {make_url(url).host}: {exc.orig}"
        if REQUIRE_DATABASES:
            pytest.fail(message)
        pytest.skip(message)
    return url


def sqlite_url(path: Path) -> str:
    """The URL of the SQLite database in `path`, made an empty database when it is missing."""
    path.touch()  # an empty file is an empty SQLite database
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def clickhouse_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the run's ClickHouse engine (chdb)."""
    pytest.importorskip("chdb", reason="ClickHouse needs the clickhouse extra")
    return tmp_path_factory.mktemp("clickhouse")


def clickhouse_url(folder: Path, database: str = "default") -> str:
    """The in-process ClickHouse URL of `database` in `folder`."""
    return f"clickhousedb:///{database}?interface=chdb&path={folder}"


@pytest.fixture
def clickhouse_db(clickhouse_folder: Path) -> Iterator[str]:
    """The URL of an empty ClickHouse database of this test (dropped after it)."""
    name = f"aiops_test_{next(_CLICKHOUSE_DATABASES)}"
    admin = sa.create_engine(clickhouse_url(clickhouse_folder))
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        yield clickhouse_url(clickhouse_folder, name)
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
    finally:
        admin.dispose()


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty database of each kind (on ClickHouse, with STATE_DATABASE_URL set)."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "test.db")
    if request.param == "clickhouse":
        monkeypatch.setenv("STATE_DATABASE_URL", sqlite_url(tmp_path / "state.db"))
        return str(request.getfixturevalue("clickhouse_db"))
    return server_url(request.param)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return load_settings(database_url=db_url, report_dir=tmp_path / "reports")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    yield engine
    engine.dispose()
