"""Shared fixtures: every database test runs on SQLite and on PostgreSQL, each test on a fresh migrated database.

Migrations run once per database kind per session into a template (a file for SQLite, a template database for
PostgreSQL); each test gets a copy, which is far faster than migrating again and just as isolated.

Which PostgreSQL is decided once at session start (tests/postgres.py): TEST_POSTGRES_URL if it answers, else a
throwaway cluster from the installed server programs, else the PostgreSQL half is skipped (a failure under
REQUIRE_POSTGRES=1, as in CI). Every PostgreSQL URL a test uses comes from the `postgres_admin_url` fixture.
"""

import asyncio
import itertools
import os
import shutil
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot import migrate
from services.db import Database
from services.program import Program, load_program
from tests import postgres

DATABASE_KINDS = ("sqlite", "postgresql")
_counter = itertools.count()
_PID = os.getpid()
_plan: postgres.Plan | None = None  # decided in pytest_sessionstart
_cluster: postgres.Cluster | None = None


def pytest_sessionstart(session: pytest.Session) -> None:
    global _plan
    postgres.sweep_leftovers()
    try:
        _, _plan = postgres.plan_from_environment()
    except postgres.PostgresRequired as error:
        raise pytest.UsageError(str(error)) from None


def _skipped_for_postgres(report: pytest.TestReport) -> bool:
    longrepr = report.longrepr
    return isinstance(_plan, postgres.Skip) and isinstance(longrepr, tuple) and _plan.reason in longrepr[2]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # One place for every test skipped for want of PostgreSQL, so `-ra` folds them into one line, not one per test.
    report = yield
    if report.skipped and _skipped_for_postgres(report):
        report.longrepr = (__file__, None, report.longrepr[2])
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if isinstance(_plan, postgres.Skip):
        count = sum(map(_skipped_for_postgres, terminalreporter.stats.get("skipped", [])))
        terminalreporter.write_line(
            f"PostgreSQL half skipped ({count} tests), {_plan.reason.removeprefix('no PostgreSQL: ')}; "
            f"to run it, {postgres.HOW_TO_ENABLE}.",
            yellow=True,
            bold=True,
        )
    elif _cluster is not None:
        terminalreporter.write_line(f"PostgreSQL: a throwaway cluster from {_cluster.programs} on port {_cluster.port}")


@pytest.fixture(scope="session")
def postgres_admin_url(request: pytest.FixtureRequest) -> str:
    """The URL of the `postgres` database on the server the tests create their databases on."""
    global _cluster
    match _plan:
        case postgres.UseServer(url):
            return url
        case postgres.StartCluster(programs):
            _cluster = postgres.start_cluster(programs)
            request.addfinalizer(_cluster.stop)
            return _cluster.url
        case postgres.Skip(reason):
            pytest.skip(reason)
    raise AssertionError(_plan)


def postgres_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


async def _pg_admin(admin_url: str, *statements: str) -> None:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def pg_admin(admin_url: str, *statements: str) -> None:
    asyncio.run(_pg_admin(admin_url, *statements))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url: str) -> Iterator[str]:
    name = f"kb_template_{_PID}"
    pg_admin(postgres_admin_url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
    migrate.upgrade(postgres_url(postgres_admin_url, name))
    yield name
    pg_admin(postgres_admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=DATABASE_KINDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"kb_test_{_PID}_{next(_counter)}"
    pg_admin(admin_url, f"CREATE DATABASE {name} TEMPLATE {template}")
    yield postgres_url(admin_url, name)
    pg_admin(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# Background writes a test may leave running when it ends: an inbound processor's write-behind "sent" marks
# (bot/channels/answer_marks.py). Disposing the database under one would let it open a connection nobody closes.
_WRITE_BEHIND = ("AnswerMarks._write",)


async def settle_write_behind(timeout: float = 5.0) -> None:
    """Wait for the test's write-behind tasks to finish, as a clean stop (`flush`) would."""
    pending = [
        task
        for task in asyncio.all_tasks()
        if not task.done() and getattr(task.get_coro(), "__qualname__", "") in _WRITE_BEHIND
    ]
    if pending:
        await asyncio.wait(pending, timeout=timeout)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await settle_write_behind()
    await database.dispose()


@pytest.fixture(scope="session")
def program() -> Program:
    return load_program()


PEPPER = b"test-pepper"


@pytest.fixture
def pepper() -> bytes:
    return PEPPER
