"""Engine and unit of work. One `Database` per process; every service call takes an `AsyncSession`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from services import sqlite_inline
from services.private_paths import private_file, sqlite_file


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets the worker read while the bot writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # No waiting inside SQLite: it would block the event loop. `sqlite_inline` waits for the lock instead.
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        if (path := sqlite_file(url)) is not None:
            # Made owner-only before SQLite creates it: its -wal and -shm files take the database file's mode.
            private_file(path)
        # The pool's rollback at check-in stays on (SQLite too): a task cancelled mid-transaction (shutdown, a
        # timeout) may return its connection without ending the transaction, and on SQLite that open transaction
        # would keep holding the write lock against every other connection.
        self.engine = create_async_engine(url, echo=echo)
        if self.is_sqlite:
            sqlite_inline.install(self.engine)
            _configure_sqlite(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A session whose work is committed together at the end, or rolled back entirely on error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def insert_ignoring_conflicts(session: AsyncSession, model: type):
    """INSERT … ON CONFLICT DO NOTHING: a unique key decides atomically, even between concurrent transactions."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model).on_conflict_do_nothing()
