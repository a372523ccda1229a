"""The send lease as a worker process keeps it (bot/delivery/lease.py): renewed while the worker runs, lost at once
when another has taken it over, kept through a clean stop until the worker has finished, then given up."""

import asyncio
from datetime import timedelta

from sqlalchemy import update

from bot.delivery.lease import HANDOVER, AccountLease
from services import send_lease
from services.db import Database
from services.models import ChannelLease, utcnow

ACCOUNT = "telegram:123456"


def lease_of(db: Database, holder: str) -> AccountLease:
    return AccountLease(db, ACCOUNT, holder, lease=timedelta(seconds=1), renew_every=0.1)


async def holder(db: Database) -> str | None:
    async with db.unit_of_work() as session:
        return await send_lease.holder_of(session, ACCOUNT, utcnow())


async def test_renewed_while_the_worker_runs_and_lost_when_taken_over(db: Database) -> None:
    mine, other = lease_of(db, "a"), lease_of(db, "b")
    assert await mine.take()
    stop, until, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()
    keeper = asyncio.create_task(mine.keep(stop, until, finished))
    await asyncio.sleep(1.5)  # longer than the lease: only renewals keep it
    assert await holder(db) == "a"
    assert not await other.take()
    assert not until.is_set()

    async with db.unit_of_work() as session:  # as if this process had stalled and b had taken the lease over
        await session.execute(update(ChannelLease).values(holder="b", expires_at=utcnow() + timedelta(seconds=30)))
    async with asyncio.timeout(1):
        await until.wait()  # the worker is told to stop at the next renewal
    finished.set()
    assert await keeper is False
    assert await holder(db) == "b"


async def test_kept_through_a_clean_stop_then_given_up(db: Database) -> None:
    mine, other = lease_of(db, "a"), lease_of(db, "b")
    assert await mine.take()
    stop, until, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()
    keeper = asyncio.create_task(mine.keep(stop, until, finished))
    stop.set()
    await asyncio.wait_for(until.wait(), 1)  # the worker stops claiming…
    await asyncio.sleep(1.5)  # …and while its last sends finish, the lease is still renewed
    assert await holder(db) == "a"
    finished.set()
    assert await keeper is True
    await mine.release()
    assert not await other.take()  # the platform's last second of our sends passes first
    await asyncio.sleep(HANDOVER.total_seconds() + 0.1)
    assert await other.take()
