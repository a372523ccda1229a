"""Shared fixtures: every database test runs on SQLite and on PostgreSQL, each test on a fresh migrated database.

Migrations run once per database kind per session into a template (a file for SQLite, a template database for
PostgreSQL); each test gets a copy, which is far faster than migrating again and just as isolated.
"""

import asyncio
import itertools
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot import migrate
from services.db import Database
from services.program import Program, load_program

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
DATABASE_KINDS = ("sqlite", "postgresql")
_counter = itertools.count()
_PID = os.getpid()


def postgres_url(name: str) -> str:
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


async def _pg_admin(*statements: str) -> None:
    engine = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def pg_admin(*statements: str) -> None:
    asyncio.run(_pg_admin(*statements))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    name = f"kb_template_{_PID}"
    pg_admin(f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
    migrate.upgrade(postgres_url(name))
    yield name
    pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=DATABASE_KINDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    name = f"kb_test_{_PID}_{next(_counter)}"
    pg_admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield postgres_url(name)
    pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def program() -> Program:
    return load_program()


PEPPER = b"test-pepper"


@pytest.fixture
def pepper() -> bytes:
    return PEPPER
