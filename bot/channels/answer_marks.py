"""The direct path's two marks on an answer's outbox rows — "its send starts", "it went" (services/direct_answers.py)
— written for many people at once: one transaction carries every mark asked for while the previous one was being
written (a group commit).

Why: written one by one, the marks are two more write transactions per message, and SQLite has one writer: the
answers of sixteen people at once would queue on it. Batched, a busy moment costs one transaction for all of them.

- The start mark is awaited: it must be in the database before the send, or a crash could not tell "never tried"
  from "may have left".
- The sent mark is not: the lane moves on, and the mark goes with the next transaction (usually the next answer's
  start mark). Nothing waits for it — a chat's next answer is not held back by a `sending` row of the direct path
  (services/outbox.py `blocks_order`) — and `flush` writes what is left on a clean stop. A crash in the moment
  between a send and its mark leaves the row `sending`: the worker then treats it as a message whose fate is unknown
  (bot/delivery/uncertain.py), the same one-transaction hole the worker has between the platform's answer and its
  own commit.
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta

from services import direct_answers
from services.db import Database
from services.models import utcnow

log = logging.getLogger(__name__)

RETRY = 0.5  # seconds before marks that could not be written are tried again


class AnswerMarks:
    def __init__(self, db: Database, holder: str, grace: timedelta) -> None:
        self.db = db
        self.holder = holder  # services/direct_answers.py holder_name
        self.grace = grace
        self._starts: list[tuple[Sequence[int], asyncio.Future]] = []
        self._sents: list[tuple[Sequence[int], asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    async def start(self, ids: Sequence[int]) -> bool:
        """True when every row is still this process's to send (else the worker took it over: send nothing)."""
        return await self._ask(self._starts, ids)

    def sent(self, ids: Sequence[int]) -> asyncio.Future:
        """Recorded soon, with the next transaction; the future tells when (tests and `flush` wait for it)."""
        return self._queue(self._sents, ids)

    async def flush(self, timeout: float = 5.0) -> None:
        """Every mark asked for is written (a clean stop), or `timeout` has passed (the database is away)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self._writer is not None and not self._writer.done():
                    await asyncio.shield(self._writer)

    async def _ask(self, queue: list, ids: Sequence[int]):
        return await self._queue(queue, ids)

    def _queue(self, queue: list, ids: Sequence[int]) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        queue.append((ids, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return future

    async def _write(self) -> None:
        while self._starts or self._sents:
            starts, self._starts = self._starts, []
            sents, self._sents = self._sents, []
            try:
                async with self.db.unit_of_work() as session:
                    now = utcnow()
                    await direct_answers.sent(session, [row for ids, _ in sents for row in ids], now)
                    wanted = [row for ids, _ in starts for row in ids]
                    started = await direct_answers.start(session, wanted, self.holder, now, self.grace)
            except Exception as error:  # each waiting send fails as its own write would have
                for _ids, future in starts:
                    if not future.done():
                        future.set_exception(error)
                # What went must be recorded as gone (else the worker would see unknown-fate messages): again soon.
                log.exception("answer marks not written (%d sent ones are tried again)", len(sents))
                self._sents[:0] = sents
                await asyncio.sleep(RETRY)
                continue
            for ids, future in starts:
                if not future.done():
                    future.set_result(all(row in started for row in ids))
            for _ids, future in sents:
                if not future.done():
                    future.set_result(None)
