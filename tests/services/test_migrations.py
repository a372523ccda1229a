"""Migrations: every revision upgrades, downgrades and upgrades again; models and migrations never drift."""

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

from bot import migrate
from services.models import Base
from tests.conftest import pg_admin, postgres_url


def revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'stairway.db'}"
        return
    name = f"kb_stairway_{id(request)}"
    pg_admin(f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
    yield postgres_url(name)
    pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_there_is_at_least_one_revision():
    assert revisions()[0] == "0001"


def test_stairway(empty_url):
    previous = "base"
    for revision in revisions():
        migrate.upgrade(empty_url, revision)
        migrate.downgrade(empty_url, previous)
        migrate.upgrade(empty_url, revision)
        previous = revision


def _diff(url: str) -> list:
    async def compare():
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
        await engine.dispose()
        return diff

    return asyncio.run(compare())


def test_models_and_migrations_do_not_drift(empty_url):
    migrate.upgrade(empty_url)
    assert _diff(empty_url) == []
