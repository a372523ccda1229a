"""Webhooks answered at once, for every channel: the route stores what arrived (services/inbound_queue.py) and
answers 200; this drain takes the stored updates up, each person's in arrival order, people side by side, and
feeds them to the channel's `InboundProcessor`.

Why not do the work in the request: the platform waits for the answer (Meta retries a webhook that is slow, and
both platforms slow down a bot that answers late), and a crash in the middle of the work would lose a message the
platform already considers delivered. Here a crash after the 200 leaves the row waiting; the next drain (this
process restarted, or another one) takes it up once its lease has run out.

A drain wakes at once when its own process stored something (`wake()`), and looks every `poll` seconds for rows
other processes stored or left behind. While it works on rows it renews their leases, so a long download is not
taken over by another drain.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from bot.channels.inbound import Arrival, InboundProcessor, TryLater
from bot.delivery.worker import worker_id
from bot.settings import Settings
from services import inbound_queue
from services.inbound_queue import MAX_ATTEMPTS, Received, Stored
from services.models import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
POLL = 1.0
MAX_IN_FLIGHT = 4  # Settings.inbound_concurrency says why so few
PRUNE_EVERY = timedelta(hours=1)
KEEP_DONE = timedelta(days=2)
# An update that came before what it is about is taken up again this many times at most, then handled as it is.
LATER_ATTEMPTS = 3


class StoredInbound:
    """The stored-webhook path of one channel: `accept` for the route, `run` for the drain."""

    def __init__(
        self,
        processor: InboundProcessor,
        decode: Callable[[dict], Any],
        *,
        lease: timedelta = LEASE,
        poll: float = POLL,
        max_in_flight: int = MAX_IN_FLIGHT,
        name: str | None = None,
    ) -> None:
        self.processor = processor
        self.channel = processor.channel
        self.db = processor.db
        # The stored JSON → what the adapter's `arrival` reads (Telegram: an aiogram Update; WhatsApp: the dict).
        self.decode = decode
        self.lease = lease
        self.poll = poll
        self.max_in_flight = max_in_flight
        self.name = name or worker_id()
        self._wake = asyncio.Event()
        self._in_flight: dict[int, asyncio.Task] = {}  # row id → its task
        self._stopping = False
        self.handled = 0  # rows finished by this drain (the benchmark and tests read it)

    @classmethod
    def configured(
        cls, processor: InboundProcessor, decode: Callable[[dict], Any], settings: Settings
    ) -> "StoredInbound":
        """As the deployment's settings say (lease, how many people at once)."""
        lease = timedelta(seconds=settings.inbound_lease_seconds)
        return cls(processor, decode, lease=lease, max_in_flight=settings.inbound_concurrency)

    # ---- the route's side -------------------------------------------------------------------------------------
    async def accept(self, items: Sequence[Received]) -> int:
        """Store what arrived (one unit of work) and wake the drain; how many were new. Raises when the database
        cannot take it: the route then answers 503 and the platform delivers it again."""
        async with self.db.unit_of_work() as session:
            added = await inbound_queue.store(session, self.channel, items)
        if added:
            self._wake.set()
        return added

    def wake(self) -> None:
        self._wake.set()

    # ---- the drain --------------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        renewer = asyncio.create_task(self._renew_leases(stop))
        loop = asyncio.get_running_loop()
        pruned_at = None
        try:
            while not stop.is_set():
                try:
                    started = await self._claim_and_start()
                    if pruned_at is None or loop.time() - pruned_at >= PRUNE_EVERY.total_seconds():
                        await self._prune()
                        pruned_at = loop.time()
                except Exception:
                    log.exception("%s: taking up stored updates failed; trying again shortly", self.channel)
                    started = 0
                if started == 0 or len(self._in_flight) >= self.max_in_flight:
                    await self._sleep(stop)
        finally:
            self._stopping = True
            await self._finish_in_flight()
            await self.processor.marks.flush()  # the last answers' sent marks (bot/channels/answer_marks.py)
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer

    async def drain_once(self) -> int:
        """Take up and handle everything claimable now, to the end of every line (tests, the benchmark); returns
        how many rows were finished."""
        before = self.handled
        while await self._claim_and_start():
            await asyncio.gather(*set(self._in_flight.values()), return_exceptions=True)
        return self.handled - before

    async def _claim_and_start(self) -> int:
        room = self.max_in_flight - len(self._in_flight)
        if room <= 0:
            return 0
        self._wake.clear()
        async with self.db.unit_of_work() as session:
            rows = await inbound_queue.claim(session, self.channel, worker=self.name, lease=self.lease, limit=room)
        for row in rows:
            self._start(row)
        return len(rows)

    def _start(self, row: Stored) -> None:
        task = asyncio.create_task(self._line(row))
        self._in_flight[row.id] = task

    async def _line(self, row: Stored) -> None:
        """This person's updates, one after the other, while more of theirs wait (claimed one by one)."""
        person = row.person
        try:
            while row is not None:
                await self._handle(row)
                del self._in_flight[row.id]
                if self._stopping:
                    return
                async with self.db.unit_of_work() as session:
                    more = await inbound_queue.claim(
                        session, self.channel, worker=self.name, lease=self.lease, limit=1, person=person
                    )
                row = more[0] if more else None
                if row is not None:
                    self._in_flight[row.id] = asyncio.current_task()
        except Exception:
            # The database went away between two rows: the claimed one waits for its lease to run out.
            log.exception("%s: the line of %s stopped; the rest waits for the next look", self.channel, person)
            if row is not None:
                self._in_flight.pop(row.id, None)
        finally:
            self._wake.set()  # a slot is free: look again at once

    async def _handle(self, row: Stored) -> None:
        if row.attempts > MAX_ATTEMPTS:
            log.error(
                "%s update %s was taken up %s times without finishing; set aside",
                self.channel,
                row.update_id,
                row.attempts - 1,
            )
        else:
            arrival = self._arrival(row)
            if arrival is not None:
                try:
                    await self.processor.process_arrival(arrival)
                except TryLater as later:
                    if row.attempts < LATER_ATTEMPTS:
                        async with self.db.unit_of_work() as session:
                            await inbound_queue.defer(session, row.id, self.name, utcnow() + later.after)
                        log.info("%s update %s: %s; again in %s", self.channel, row.update_id, later, later.after)
                        return
                    log.info("%s update %s: %s, still; left as it is", self.channel, row.update_id, later)
        async with self.db.unit_of_work() as session:
            finished = await inbound_queue.finish(session, row.id, self.name)
        self.handled += 1
        if not finished:
            log.warning("%s update %s: the claim had run out before it was finished", self.channel, row.update_id)

    def _arrival(self, row: Stored) -> Arrival | None:
        try:
            return self.processor.adapter.arrival(self.decode(row.payload))
        except Exception:  # stored, but unreadable now (a newer version reads it differently): not retried forever
            log.exception("%s update %s could not be read back", self.channel, row.update_id)
            return None

    async def _renew_leases(self, stop: asyncio.Event) -> None:
        every = self.lease.total_seconds() / 3
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            if self._in_flight:
                try:
                    async with self.db.unit_of_work() as session:
                        await inbound_queue.renew(session, list(self._in_flight), self.name, self.lease, utcnow())
                except Exception:
                    log.exception("%s: renewing the claims failed", self.channel)

    async def _sleep(self, stop: asyncio.Event) -> None:
        waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waits, timeout=self.poll, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    async def _finish_in_flight(self) -> None:
        """On a stop: what has started finishes (a person's answer is not cut off midway) within the runner's grace."""
        if self._in_flight:
            await asyncio.gather(*set(self._in_flight.values()), return_exceptions=True)

    async def _prune(self) -> None:
        async with self.db.unit_of_work() as session:
            await inbound_queue.prune(session, utcnow() - KEEP_DONE)
