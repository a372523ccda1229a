"""Keeps each broadcast's sender informed: progress every 10%, a final report, and an hour later what WhatsApp said
since (delivered, read, failed), all queued through the outbox.

Broadcasts the worker just touched are checked every second; every unfinished one is checked now and then too, so
a report is never lost to a restart (the outbox dedupe keys make every check safe to repeat).
"""

import asyncio
import contextlib
import logging

from handlers.broadcast_reports import report_broadcast_follow_up, report_broadcast_progress
from services import delivery
from services.db import Database
from services.models import utcnow

log = logging.getLogger(__name__)


class ProgressReporter:
    def __init__(
        self, db: Database, db_lock: asyncio.Lock, *, interval: float = 1.0, sweep_every: float = 15.0
    ) -> None:
        self.db = db
        self.db_lock = db_lock
        self.interval = interval
        self.sweep_every = sweep_every
        self._touched: set[int] = set()

    def touched(self, broadcast_id: int) -> None:
        self._touched.add(broadcast_id)

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        next_sweep = loop.time()
        while not stop.is_set():
            ids, self._touched = self._touched, set()
            if loop.time() >= next_sweep:
                ids |= await self._unfinished()
                await self.follow_up()
                next_sweep = loop.time() + self.sweep_every
            for broadcast_id in sorted(ids):
                await self.check(broadcast_id)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
        for broadcast_id in sorted(self._touched):  # the last outcomes before a clean stop
            await self.check(broadcast_id)

    async def _unfinished(self) -> set[int]:
        try:
            async with self.db.unit_of_work() as session:
                return set(await delivery.unfinished_broadcasts(session))
        except Exception:  # the database away for a moment: the next sweep finds them
            log.exception("looking for unfinished broadcasts failed")
            return set()

    async def check(self, broadcast_id: int) -> None:
        try:
            async with self.db_lock, self.db.unit_of_work() as session:
                await report_broadcast_progress(session, broadcast_id)
        except Exception:  # next round will try again; a report is late, never lost
            log.exception("progress of broadcast %s", broadcast_id)

    async def follow_up(self) -> None:
        """The later reports that are due (one unit of work each: one failing does not hold the others back)."""
        try:
            async with self.db.unit_of_work() as session:
                due = await delivery.broadcasts_to_follow_up(session, utcnow())
        except Exception:
            log.exception("looking for broadcasts to follow up failed")
            return
        for broadcast_id in due:
            try:
                async with self.db_lock, self.db.unit_of_work() as session:
                    await report_broadcast_follow_up(session, broadcast_id)
            except Exception:
                log.exception("later report of broadcast %s", broadcast_id)
