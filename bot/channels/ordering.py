"""One lock per person: their messages are handled in the order they sent them, others' in parallel."""

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
