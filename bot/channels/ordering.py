"""Per-person ordering, for every channel: one lock per person, so their messages are handled in the order they sent
them, and a bounded number of people handled at once, others' messages side by side."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class KeyedLocks:
    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:  # asyncio.Lock wakes waiters first come, first served
                yield
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:  # forget idle people so the dict does not grow forever
                del self._users[key], self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)


# People handled at once. On SQLite the calls run in place on the loop (services/sqlite_inline), so more people
# at once mostly overlaps their network calls: 16 measured better than 4 in bench/updates.py. PostgreSQL takes many.
CONCURRENCY = {"sqlite": 16, "postgresql": 32}


class Lanes:
    """A person's lock, then a slot: a burst from one person (a 10-photo album by webhook) waits in line without
    holding slots that other people could use."""

    def __init__(self, dialect: str) -> None:
        self.locks = KeyedLocks()
        self.slots = asyncio.Semaphore(CONCURRENCY.get(dialect, 8))

    @asynccontextmanager
    async def hold(self, person: str) -> AsyncIterator[None]:
        async with self.locks.hold(person), self.slots:
            yield
