"""Migrations: every revision upgrades, downgrades and upgrades again; models and migrations never drift."""

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
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
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"kb_stairway_{id(request)}"
    pg_admin(admin_url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
    yield postgres_url(admin_url, name)
    pg_admin(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


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


def _run(url: str, *statements: str) -> list:
    async def go():
        engine = create_async_engine(url)
        rows = []
        try:
            async with engine.begin() as connection:
                for statement in statements:
                    result = await connection.execute(text(statement))
                    rows = list(result) if result.returns_rows else rows
        finally:
            await engine.dispose()
        return rows

    return asyncio.run(go())


def test_one_holder_per_seat_keeps_the_newest_of_existing_doubles(empty_url):
    """A live database with two active Ketua RT for one RT: 0003 keeps the newest, deactivates the older, logs why."""
    migrate.upgrade(empty_url, "0002")
    _run(
        empty_url,
        "INSERT INTO kecamatan (kode, nama) VALUES ('15.71.01', 'Kota Baru')",
        "INSERT INTO kelurahan (kode, nama, kecamatan_kode) VALUES ('15.71.01.1001', 'Simpang IV Sipin', '15.71.01')",
        "INSERT INTO rt (id, kode, kelurahan_kode, nomor, kelompok, pilot_2025, created_at) VALUES "
        "(1, '15.71.01.1001-001', '15.71.01.1001', 1, 'A', false, '2026-01-01 00:00:00'),"
        "(2, '15.71.01.1001-002', '15.71.01.1001', 2, 'A', false, '2026-01-01 00:00:00')",
        # RT 1: three Ketua RT (the 12:00 one is the newest), two Bendahara, one already inactive Ketua RT.
        # RT 2: one of each, untouched.
        "INSERT INTO person (id, nama, role, rt_id, locale, active, created_at) VALUES "
        "(1, 'Lama', 'ketua_rt', 1, 'id', true, '2026-02-01 10:00:00'),"
        "(2, 'Baru', 'ketua_rt', 1, 'id', true, '2026-02-01 12:00:00'),"
        "(3, 'Tengah', 'ketua_rt', 1, 'id', true, '2026-02-01 11:00:00'),"
        "(4, 'Bendahara A', 'bendahara', 1, 'id', true, '2026-02-02 10:00:00'),"
        "(5, 'Bendahara B', 'bendahara', 1, 'id', true, '2026-02-02 10:00:00'),"
        "(6, 'Mantan', 'ketua_rt', 1, 'id', false, '2026-03-01 10:00:00'),"
        "(7, 'Ketua Dua', 'ketua_rt', 2, 'id', true, '2026-02-01 10:00:00'),"
        "(8, 'Bendahara Dua', 'bendahara', 2, 'id', true, '2026-02-01 10:00:00'),"
        "(9, 'Pendamping', 'pendamping', NULL, 'id', true, '2026-02-01 10:00:00'),"
        "(10, 'Pendamping 2', 'pendamping', NULL, 'id', true, '2026-02-01 10:00:00')",
    )
    migrate.upgrade(empty_url)
    active = _run(empty_url, "SELECT id FROM person WHERE active ORDER BY id")
    # Same created_at: the higher id (registered later) stays.
    assert [row[0] for row in active] == [2, 5, 7, 8, 9, 10]
    audit = _run(empty_url, "SELECT entity_id, actor, action FROM audit_log ORDER BY entity_id")
    assert audit == [
        ("1", "migration:0003", "person.deactivate"),
        ("3", "migration:0003", "person.deactivate"),
        ("4", "migration:0003", "person.deactivate"),
    ]
    # From now on the database itself refuses a second active holder.
    with pytest.raises(IntegrityError, match=r"uq_person_active_seat|person\.rt_id, person\.role"):
        _run(
            empty_url,
            "INSERT INTO person (id, nama, role, rt_id, locale, active, created_at) "
            "VALUES (11, 'Kedua', 'ketua_rt', 2, 'id', true, '2026-04-01 10:00:00')",
        )
    # An inactive one, or a second pendamping, is fine.
    _run(
        empty_url,
        "INSERT INTO person (id, nama, role, rt_id, locale, active, created_at) "
        "VALUES (12, 'Mantan 2', 'ketua_rt', 2, 'id', false, '2026-04-01 10:00:00')",
    )
    assert _diff(empty_url) == []
