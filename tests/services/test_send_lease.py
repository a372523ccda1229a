"""The send lease of a channel account (services/send_lease.py) on both databases: taken, renewed, not stolen while
valid, taken over once run out, given up with a handover; and exactly one winner when workers race for it."""

import asyncio
from datetime import timedelta

from services import send_lease
from services.db import Database
from services.models import utcnow

ACCOUNT = "telegram:123456"
LEASE = timedelta(seconds=6)
HANDOVER = timedelta(seconds=1)


async def take(db: Database, holder: str, now, account: str = ACCOUNT) -> bool:
    async with db.unit_of_work() as session:
        return await send_lease.take(session, account, holder, now, LEASE)


async def holder(db: Database, now) -> str | None:
    async with db.unit_of_work() as session:
        return await send_lease.holder_of(session, ACCOUNT, now)


async def test_the_first_taker_holds_it_and_renews_it(db: Database) -> None:
    now = utcnow()
    assert await take(db, "a", now)
    assert await holder(db, now) == "a"
    assert await take(db, "a", now + timedelta(seconds=5))  # renewed before it ran out…
    assert await holder(db, now + timedelta(seconds=10)) == "a"  # …so it runs until 5 + 6 s


async def test_not_stolen_while_valid(db: Database) -> None:
    now = utcnow()
    assert await take(db, "a", now)
    assert not await take(db, "b", now + timedelta(seconds=1))
    assert not await take(db, "b", now + LEASE)  # the last instant is still a's
    assert await holder(db, now + LEASE) == "a"


async def test_taken_over_once_run_out_and_the_old_holder_cannot_renew(db: Database) -> None:
    now = utcnow()
    assert await take(db, "a", now)
    later = now + LEASE + timedelta(milliseconds=1)
    assert await holder(db, later) is None
    assert await take(db, "b", later)
    assert await holder(db, later) == "b"
    assert not await take(db, "a", later + timedelta(seconds=1))  # a's late renewal finds b's lease


async def test_accounts_are_separate(db: Database) -> None:
    now = utcnow()
    assert await take(db, "a", now)
    assert await take(db, "b", now, account="whatsapp:1098765")
    assert not await take(db, "a", now, account="whatsapp:1098765")


async def test_given_up_it_is_free_after_the_handover(db: Database) -> None:
    now = utcnow()
    assert await take(db, "a", now)
    async with db.unit_of_work() as session:
        await send_lease.release(session, ACCOUNT, "b", now, HANDOVER)  # not b's to give up: nothing happens
    assert not await take(db, "b", now + HANDOVER + timedelta(milliseconds=1))
    async with db.unit_of_work() as session:
        await send_lease.release(session, ACCOUNT, "a", now, HANDOVER)
    assert not await take(db, "b", now + timedelta(milliseconds=500))
    assert await take(db, "b", now + HANDOVER + timedelta(milliseconds=1))


async def test_racing_workers_one_wins(db: Database) -> None:
    """Ten workers at once, first on a fresh account (the INSERT race), then on a lease that has run out (the
    UPDATE race): each time exactly one holds it."""
    now = utcnow()
    first = await asyncio.gather(*(take(db, f"w{n}", now) for n in range(10)))
    assert first.count(True) == 1
    later = now + LEASE + timedelta(seconds=1)
    second = await asyncio.gather(*(take(db, f"v{n}", later) for n in range(10)))
    assert second.count(True) == 1
    assert await holder(db, later) == f"v{second.index(True)}"
