"""SQLite for the async engine without a thread hop per call: each sqlite3 call runs on the event loop itself.

Why: aiosqlite runs every call (cursor, execute, fetch, close, commit, rollback) on its own thread and wakes the
loop for each; that costs ~1 ms of loop time per unit of work, several times the work itself, and made the
database the bottleneck of the Telegram hot path (bench/updates.py). SQLite calls on a local file take
microseconds, so running them in place is cheaper than handing them off.

The one call that could block the loop is waiting for another connection's write lock. So these connections have
`busy_timeout = 0`: SQLite answers SQLITE_BUSY at once, and the call is retried after an asyncio sleep — the loop
keeps serving everyone, and the transaction holding the lock (in this process or another) can finish. That is
what SQLite's own busy handler does, minus the blocking. SQLITE_BUSY_SNAPSHOT (a stale read snapshot wanting to
write) is not retried, as SQLite's busy handler does not retry it either.

SQLAlchemy's aiosqlite dialect stays (same URLs, same SQL); only the connection it wraps is ours
(`install(engine)`). Long statements still occupy the loop while they run: keep heavy reporting on PostgreSQL or
in a process of its own.
"""

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection
from sqlalchemy.ext.asyncio import AsyncEngine

# As long as SQLite's own busy_timeout used to be: past this a write lock is not coming, and the caller fails.
BUSY_WAIT = 10.0
FIRST_PAUSE = 0.001
LONGEST_PAUSE = 0.02

T = TypeVar("T")


def busy(error: sqlite3.OperationalError) -> bool:
    # Plain SQLITE_BUSY only: extended codes such as SQLITE_BUSY_SNAPSHOT do not clear by waiting.
    return getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY


async def when_free(call: Callable[..., T], *args: Any) -> T:
    """Run a sqlite3 call; while another connection holds the lock, wait without blocking the loop and retry."""
    pause = FIRST_PAUSE
    deadline: float | None = None
    while True:
        try:
            return call(*args)
        except sqlite3.OperationalError as error:
            if not busy(error):
                raise
            now = asyncio.get_running_loop().time()
            deadline = deadline if deadline is not None else now + BUSY_WAIT
            if now >= deadline:
                raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)


class InlineCursor:
    """The async cursor SQLAlchemy's adapter expects, over a plain sqlite3 cursor."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.raw = cursor

    async def __aenter__(self) -> "InlineCursor":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self.raw.close()

    @property
    def description(self) -> Any:
        return self.raw.description

    @property
    def rowcount(self) -> int:
        return self.raw.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self.raw.lastrowid

    @property
    def arraysize(self) -> int:
        return self.raw.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self.raw.arraysize = value

    async def execute(self, operation: str, parameters: Sequence[Any] | dict | None = None) -> "InlineCursor":
        await when_free(self.raw.execute, operation, () if parameters is None else parameters)
        return self

    async def executemany(self, operation: str, seq_of_parameters: Any) -> "InlineCursor":
        await when_free(self.raw.executemany, operation, seq_of_parameters)
        return self

    async def fetchone(self) -> Any:
        return self.raw.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self.raw.fetchmany(self.raw.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self.raw.fetchall()

    async def close(self) -> None:
        self.raw.close()

    def __aiter__(self) -> "InlineCursor":
        return self

    async def __anext__(self) -> Any:
        row = self.raw.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row


class InlineConnection:
    """The async connection SQLAlchemy's aiosqlite adapter wraps, running sqlite3 in place."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw
        self.closed = False

    @property
    def _connection(self) -> sqlite3.Connection | None:
        # SQLAlchemy's adapter checks aiosqlite's `_connection` before commit and rollback (None once closed).
        return None if self.closed else self.raw

    def cursor(self) -> InlineCursor:
        return InlineCursor(self.raw.cursor())

    async def commit(self) -> None:
        await when_free(self.raw.commit)

    async def rollback(self) -> None:
        await when_free(self.raw.rollback)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self.raw.create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        self.closed = True
        self.raw.close()

    @property
    def isolation_level(self) -> str | None:
        return self.raw.isolation_level


class InlineAdaptedConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    @property
    def isolation_level(self) -> str | None:
        return self._connection.raw.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        # The aiosqlite adapter posts this to aiosqlite's thread; here there is none.
        self._connection.raw.isolation_level = value


def install(engine: AsyncEngine) -> None:
    """Make the engine's new connections inline ones (the engine must use the sqlite+aiosqlite dialect)."""

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect, _record, cargs, cparams):
        options = {key: value for key, value in cparams.items() if key != "async_creator_fn"}
        # The pool may close a connection from another thread (garbage collection at exit).
        options["check_same_thread"] = False
        options["timeout"] = 0  # busy: answer at once, `when_free` waits (see the module docstring)
        raw = sqlite3.connect(*cargs, **options)
        return InlineAdaptedConnection(dialect.dbapi, InlineConnection(raw))
