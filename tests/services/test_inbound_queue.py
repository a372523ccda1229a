"""Stored webhook updates: one row per update id, claimed head-first per person, leases that run out."""

from datetime import timedelta

from services import inbound_queue
from services.inbound_queue import Received
from services.models import utcnow

LEASE = timedelta(seconds=30)


def received(update_id: str, person: str) -> Received:
    return Received(update_id, person, {"id": update_id, "from": person})


async def test_a_redelivered_update_is_one_row(db):
    async with db.unit_of_work() as session:
        assert await inbound_queue.store(session, "whatsapp", [received("m1", "a"), received("m2", "a")]) == 2
    async with db.unit_of_work() as session:
        assert await inbound_queue.store(session, "whatsapp", [received("m1", "a")]) == 0
        assert await inbound_queue.store(session, "telegram", [received("m1", "a")]) == 1  # another channel's id
        assert await inbound_queue.waiting(session, "whatsapp") == 2


async def test_only_the_head_of_each_line_is_claimed_and_the_next_after_it_is_done(db):
    async with db.unit_of_work() as session:
        await inbound_queue.store(
            session, "whatsapp", [received("a1", "a"), received("b1", "b"), received("a2", "a"), received("b2", "b")]
        )
    async with db.unit_of_work() as session:
        first = await inbound_queue.claim(session, "whatsapp", worker="w1", lease=LEASE, limit=10)
    assert [(s.update_id, s.payload["id"]) for s in first] == [("a1", "a1"), ("b1", "b1")]
    async with db.unit_of_work() as session:  # another drain finds nothing: both heads are held
        assert await inbound_queue.claim(session, "whatsapp", worker="w2", lease=LEASE, limit=10) == []
        assert await inbound_queue.finish(session, first[0].id, "w1")
    async with db.unit_of_work() as session:
        [nxt] = await inbound_queue.claim(session, "whatsapp", worker="w2", lease=LEASE, limit=10)
    assert nxt.update_id == "a2"
    async with db.unit_of_work() as session:
        assert not await inbound_queue.finish(session, first[1].id, "w2")  # not w2's claim
        assert await inbound_queue.finish(session, first[1].id, "w1")
        [b2] = await inbound_queue.claim(session, "whatsapp", worker="w1", lease=LEASE, limit=10, person="b")
    assert b2.update_id == "b2"


async def test_a_claim_whose_worker_died_is_taken_up_again_when_its_lease_runs_out(db):
    async with db.unit_of_work() as session:
        await inbound_queue.store(session, "telegram", [received("1", "a")])
    now = utcnow()
    async with db.unit_of_work() as session:
        [row] = await inbound_queue.claim(session, "telegram", worker="dead", lease=LEASE, limit=5, now=now)
    async with db.unit_of_work() as session:
        assert await inbound_queue.claim(session, "telegram", worker="w", lease=LEASE, limit=5, now=now) == []
        later = now + LEASE + timedelta(seconds=1)
        [again] = await inbound_queue.claim(session, "telegram", worker="w", lease=LEASE, limit=5, now=later)
    assert (again.id, again.attempts) == (row.id, 2)
    async with db.unit_of_work() as session:
        assert not await inbound_queue.finish(session, row.id, "dead")  # the dead worker's late finish is refused
        assert await inbound_queue.finish(session, row.id, "w")


async def test_renewed_claims_are_kept_and_released_ones_are_free_at_once(db):
    async with db.unit_of_work() as session:
        await inbound_queue.store(session, "telegram", [received("1", "a"), received("2", "b")])
    now = utcnow()
    async with db.unit_of_work() as session:
        rows = await inbound_queue.claim(session, "telegram", worker="w", lease=LEASE, limit=5, now=now)
        await inbound_queue.renew(session, [rows[0].id], "w", LEASE, now + LEASE)
        await inbound_queue.release(session, [rows[1].id], "w")
    later = now + LEASE + timedelta(seconds=1)
    async with db.unit_of_work() as session:
        [free] = await inbound_queue.claim(session, "telegram", worker="x", lease=LEASE, limit=5, now=later)
    assert (free.update_id, free.attempts) == ("2", 1)


async def test_done_rows_are_pruned(db):
    async with db.unit_of_work() as session:
        await inbound_queue.store(session, "telegram", [received("1", "a"), received("2", "b")])
        [row, _] = await inbound_queue.claim(session, "telegram", worker="w", lease=LEASE, limit=5)
        await inbound_queue.finish(session, row.id, "w")
    async with db.unit_of_work() as session:
        assert await inbound_queue.prune(session, utcnow() + timedelta(seconds=1)) == 1
        assert await inbound_queue.waiting(session, "telegram") == 1
