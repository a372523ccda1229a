"""SQLite run in place on the event loop: waiting for another connection's write lock never blocks the loop."""

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from services import sqlite_inline
from services.db import Database


@pytest.fixture
async def sqlite_db(tmp_path: Path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    async with database.unit_of_work() as session:
        await session.execute(text("CREATE TABLE catatan (isi TEXT NOT NULL)"))
    yield database
    await database.dispose()


def other_writer(database: Database) -> sqlite3.Connection:
    """Another connection (as another process would have) holding the write lock until it commits."""
    holder = sqlite3.connect(database.engine.url.database, timeout=0)
    holder.execute("INSERT INTO catatan VALUES ('dari proses lain')")
    return holder


async def count_ticks(until: asyncio.Future) -> int:
    ticks = 0
    while not until.done():
        await asyncio.sleep(0.005)
        ticks += 1
    return ticks


async def rows(database: Database) -> list[str]:
    async with database.unit_of_work() as session:
        return list(await session.scalars(text("SELECT isi FROM catatan ORDER BY isi")))


async def test_connections_run_in_place(sqlite_db: Database) -> None:
    async with sqlite_db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert isinstance(raw.driver_connection, sqlite_inline.InlineConnection)


async def test_a_write_waits_for_the_lock_while_the_loop_keeps_going(sqlite_db: Database) -> None:
    holder = other_writer(sqlite_db)

    async def write() -> None:
        async with sqlite_db.unit_of_work() as session:
            await session.execute(text("INSERT INTO catatan VALUES ('dari bot')"))

    writing = asyncio.ensure_future(write())
    ticking = asyncio.ensure_future(count_ticks(writing))
    await asyncio.sleep(0.3)
    assert not writing.done()  # still waiting for the lock...
    holder.commit()  # ...which the other connection now releases
    holder.close()
    await writing
    assert await ticking >= 20  # the loop ran other work the whole time (0.3 s / 5 ms ≈ 60)
    assert await rows(sqlite_db) == ["dari bot", "dari proses lain"]


async def test_a_lock_never_released_fails_after_the_wait_and_saves_nothing(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_inline, "BUSY_WAIT", 0.3)
    holder = other_writer(sqlite_db)
    try:

        async def write() -> None:
            async with sqlite_db.unit_of_work() as session:
                await session.execute(text("INSERT INTO catatan VALUES ('pertama')"))
                await session.execute(text("INSERT INTO catatan VALUES ('kedua')"))

        writing = asyncio.ensure_future(write())
        ticking = asyncio.ensure_future(count_ticks(writing))
        with pytest.raises(Exception, match="database is locked"):
            await writing
        assert await ticking >= 20
    finally:
        holder.rollback()
        holder.close()
    assert await rows(sqlite_db) == []


async def test_a_stale_snapshot_is_not_retried(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.db"
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (x)")
    setup.commit()
    reader = sqlite3.connect(path, timeout=0, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM t").fetchone()  # the snapshot is taken here
    setup.execute("INSERT INTO t VALUES (1)")
    setup.commit()
    started = asyncio.get_running_loop().time()
    with pytest.raises(sqlite3.OperationalError) as raised:
        await sqlite_inline.when_free(reader.execute, "INSERT INTO t VALUES (2)")
    assert raised.value.sqlite_errorcode == sqlite3.SQLITE_BUSY_SNAPSHOT
    assert asyncio.get_running_loop().time() - started < 1.0  # not waited out: it would never succeed
    reader.close()
    setup.close()


async def test_concurrent_units_of_work_all_commit(sqlite_db: Database) -> None:
    async def write(n: int) -> None:
        async with sqlite_db.unit_of_work() as session:
            await session.execute(text("INSERT INTO catatan VALUES (:isi)"), {"isi": f"{n:03d}"})
            await asyncio.sleep(0.01)  # hold the write lock across a real suspension
            await session.execute(text("INSERT INTO catatan VALUES (:isi)"), {"isi": f"{n:03d}b"})

    await asyncio.gather(*(write(n) for n in range(20)))
    assert len(await rows(sqlite_db)) == 40
