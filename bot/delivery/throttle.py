"""One channel's pace: overall messages per second, messages per second to one chat, and the pause a 429 asks for.

The overall limiter's burst is half a second's worth, not a whole second like the platform's bucket: the spare
half second absorbs network jitter, so a message sent on time never arrives "too early" and earns a 429 (whose
retry_after of at least one second would cost far more than the burst saves).
"""

import asyncio

from aiolimiter import AsyncLimiter

# A chat's next message waits this much longer than the limit strictly needs, for the same jitter reason.
CHAT_MARGIN = 1.1
PRUNE_AT = 5000


class Throttle:
    def __init__(self, per_second: float, per_chat_per_second: float) -> None:
        burst = max(1.0, per_second / 2)
        self.overall = AsyncLimiter(burst, burst / per_second)
        self.chat_period = CHAT_MARGIN / per_chat_per_second
        self._chats: dict[str, AsyncLimiter] = {}
        self._paused_until = 0.0
        self._unpaused = asyncio.Event()
        self._unpaused.set()

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    # ---- the platform's "slow down" -------------------------------------------------------------------------
    def pause(self, seconds: float) -> None:
        until = self._now() + seconds
        if until > self._paused_until:
            self._paused_until = until
            self._unpaused.clear()
            asyncio.get_running_loop().call_at(until, self._maybe_resume)

    def _maybe_resume(self) -> None:
        if self._now() >= self._paused_until:
            self._unpaused.set()

    @property
    def paused(self) -> bool:
        return not self._unpaused.is_set()

    def pause_left(self) -> float:
        return max(0.0, self._paused_until - self._now())

    async def wait_unpaused(self) -> None:
        await self._unpaused.wait()

    # ---- overall ----------------------------------------------------------------------------------------
    async def acquire(self, most: int) -> int:
        """Wait for one sending slot, then take any others free right now; returns how many (1..most)."""
        await self.overall.acquire()
        taken = 1
        while taken < most and self.overall.has_capacity():
            await self.overall.acquire()
            taken += 1
        return taken

    # ---- per chat ---------------------------------------------------------------------------------------
    async def take_chat(self, chat: str) -> bool:
        """True (and the chat's slot is used) when a message may go to this chat now; never waits."""
        limiter = self._chats.get(chat)
        if limiter is None:
            if len(self._chats) >= PRUNE_AT:
                self._prune()
            limiter = self._chats[chat] = AsyncLimiter(1, self.chat_period)
        if not limiter.has_capacity():
            return False
        await limiter.acquire()  # has capacity: returns without waiting
        return True

    def _prune(self) -> None:
        # A chat whose limiter is empty again behaves exactly like a new one: forget it.
        for chat in [chat for chat, limiter in self._chats.items() if limiter.has_capacity()]:
            del self._chats[chat]
