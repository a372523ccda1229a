"""The send lease of one channel account as the worker process sees it (the rule: services/send_lease.py).

Timings: a lease of 6 s renewed every 2 s. A renewal that does not succeed within 2 s (the database away, the lease
taken over after a long pause of this process) counts as lost at once, while at least 2 s of the lease are left:
the worker stops claiming before anyone else may start. A holder killed with SIGKILL is replaced once its lease has
run out and a standby's next look comes: within 6 + 2 s.
"""

import asyncio
import contextlib
import logging
from datetime import timedelta

from services import send_lease
from services.db import Database
from services.models import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=6)
RENEW_EVERY = 2.0
# After a clean stop the next holder waits this long: the platform counts its limits over one-second windows.
HANDOVER = timedelta(seconds=1.1)


class AccountLease:
    def __init__(
        self,
        db: Database,
        account: str,
        holder: str,
        *,
        db_lock: asyncio.Lock | None = None,
        lease: timedelta = LEASE,
        renew_every: float = RENEW_EVERY,
    ) -> None:
        self.db = db
        self.account = account
        self.holder = holder
        self.db_lock = db_lock or asyncio.Lock()
        self.lease = lease
        self.renew_every = renew_every

    async def take(self) -> bool:
        """One attempt to take or renew the lease; False when another holds it or the database did not answer
        in time (waiting longer would eat into the lease we may still believe we hold)."""
        try:
            async with asyncio.timeout(self.renew_every):
                async with self.db_lock, self.db.unit_of_work() as session:
                    return await send_lease.take(session, self.account, self.holder, utcnow(), self.lease)
        except Exception as error:
            log.warning("send lease of %s: worker %s could not renew it (%r)", self.account, self.holder, error)
            return False

    async def keep(self, stop: asyncio.Event, until: asyncio.Event, finished: asyncio.Event) -> bool:
        """Renew the lease until `finished` (the worker has stopped). Sets `until` (stop sending) at `stop` or as
        soon as a renewal fails. Returns whether the lease is still ours."""
        relay = asyncio.create_task(_relay(stop, until))
        try:
            while not finished.is_set():
                await _wait(finished, self.renew_every)
                if finished.is_set():
                    break
                if not await self.take():
                    log.info("send lease of %s lost by worker %s: it stops sending", self.account, self.holder)
                    until.set()
                    return False
            return True
        finally:
            relay.cancel()

    async def release(self) -> None:
        try:
            async with self.db_lock, self.db.unit_of_work() as session:
                await send_lease.release(session, self.account, self.holder, utcnow(), HANDOVER)
        except Exception:  # it runs out by itself
            log.exception("send lease of %s: could not give it up", self.account)
            return
        log.info("send lease of %s given up by worker %s", self.account, self.holder)


async def _relay(source: asyncio.Event, target: asyncio.Event) -> None:
    await source.wait()
    target.set()


async def _wait(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)
