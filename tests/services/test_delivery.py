import asyncio
from datetime import timedelta

from sqlalchemy import select

from services import delivery
from services.db import Database
from services.models import Broadcast, ChannelIdentity, OutboxMessage, utcnow
from services.program import Program
from tests.people import add_person, load_rts

LEASE = timedelta(seconds=30)


async def _people(db: Database, program: Program, count: int) -> list[ChannelIdentity]:
    await load_rts(db, program, [(1, "A", "Dewi")])
    # Pendamping: many recipients, and an RT has only one Ketua RT.
    people = [await add_person(db, "pendamping", chat=1000 + i) for i in range(count)]
    async with db.unit_of_work() as session:
        identities = await delivery.preferred_identities(session, [p.id for p in people])
    return [identities[p.id] for p in people]


async def _queue(db: Database, identities, *, broadcast_id=None, prefix="m", now=None) -> list[int]:
    async with db.unit_of_work() as session:
        return [
            await delivery.enqueue_once(
                session, i, {"text": f"hi {n}"}, dedupe_key=f"{prefix}:{n}", broadcast_id=broadcast_id, now=now
            )
            for n, i in enumerate(identities)
        ]


async def _claim(db: Database, worker="w1", limit=100, now=None):
    async with db.unit_of_work() as session:
        return await delivery.claim_batch(
            session, channel="telegram", worker=worker, limit=limit, lease=LEASE, now=now or utcnow()
        )


async def test_a_dedupe_key_is_queued_once(db: Database, program: Program) -> None:
    identities = await _people(db, program, 1)
    first = await _queue(db, identities)
    again = await _queue(db, identities)
    assert first[0] is not None and again == [None]


async def test_claim_takes_due_rows_once_notifications_before_broadcasts(db: Database, program: Program) -> None:
    identities = await _people(db, program, 3)
    async with db.unit_of_work() as session:
        broadcast = Broadcast(created_by="test", text="x")
        session.add(broadcast)
        await session.flush()
        broadcast_id = broadcast.id
    await _queue(db, identities, broadcast_id=broadcast_id, prefix="b")
    later = await _queue(db, identities[:1], prefix="later", now=utcnow() + timedelta(minutes=5))
    direct = await _queue(db, identities[:1], prefix="direct")
    claimed = await _claim(db, limit=2)
    assert claimed[0].id == direct[0]  # the notification jumps the broadcast queue
    assert all(c.id != later[0] for c in claimed)
    rest = await _claim(db, worker="w2")
    assert len(rest) == 2 and not {c.id for c in rest} & {c.id for c in claimed}
    assert await _claim(db, worker="w3") == []
    # Five minutes later the delayed row is due (and the others' 30-second leases have run out).
    late = await _claim(db, now=utcnow() + timedelta(minutes=6))
    assert later[0] in [c.id for c in late] and [c.in_doubt for c in late].count(False) == 1


async def test_an_expired_lease_is_claimed_again_and_flagged_in_doubt(db: Database, program: Program) -> None:
    identities = await _people(db, program, 2)
    await _queue(db, identities)
    first = await _claim(db, worker="dead")
    assert [c.in_doubt for c in first] == [False, False]
    assert await _claim(db, worker="w2", now=utcnow() + LEASE - timedelta(seconds=1)) == []
    again = await _claim(db, worker="w2", now=utcnow() + LEASE + timedelta(seconds=1))
    assert [c.id for c in again] == [c.id for c in first]
    assert all(c.in_doubt and c.attempts == 2 for c in again)
    async with db.unit_of_work() as session:
        # The dead worker's late answer cannot undo the new owner's claim…
        await delivery.mark_failed(session, first[0].id, "dead", "boom")
        # …but a message that went out is sent, whoever reports it.
        await delivery.mark_sent(session, first[1].id, utcnow())
    async with db.unit_of_work() as session:
        rows = {r.id: r for r in await session.scalars(select(OutboxMessage))}
    assert rows[first[0].id].status == "sending" and rows[first[0].id].claimed_by == "w2"
    assert rows[first[1].id].status == "sent"


async def test_concurrent_claims_never_overlap(db: Database, program: Program) -> None:
    identities = await _people(db, program, 60)
    await _queue(db, identities)

    async def drain(worker: str) -> list[int]:
        taken = []
        while batch := await _claim(db, worker=worker, limit=7):
            taken += [c.id for c in batch]
            await asyncio.sleep(0)
        return taken

    results = await asyncio.gather(*(drain(f"w{i}") for i in range(4)))
    everything = [row for taken in results for row in taken]
    assert len(everything) == len(set(everything)) == 60


async def test_outcomes_and_broadcast_progress(db: Database, program: Program) -> None:
    identities = await _people(db, program, 5)
    async with db.unit_of_work() as session:
        persons = [i.person_id for i in identities]
        from services.models import Person

        people = [await session.get(Person, p) for p in persons]
        broadcast, queued = await delivery.queue_broadcast(
            session, text="Rapat", recipients=people, payload={"text": "Rapat"}, created_by="test"
        )
    assert queued == 5 and broadcast.total == 5
    claimed = await _claim(db)
    now = utcnow()
    async with db.unit_of_work() as session:
        await delivery.mark_sent(session, claimed[0].id, now)
        await delivery.mark_sent(session, claimed[1].id, now)
        await delivery.mark_unreachable(session, claimed[2].id, "w1", "Forbidden: bot was blocked by the user")
        await delivery.mark_failed(session, claimed[3].id, "w1", "Bad Request: message is too long")
        await delivery.mark_retry(session, claimed[4].id, "w1", at=now, error="429", count_attempt=False)
    async with db.unit_of_work() as session:
        progress = await delivery.broadcast_progress(session, broadcast.id)
        assert (progress.total, progress.sent, progress.unreachable, progress.failed) == (5, 2, 1, 1)
        assert progress.reasons == (("Bad Request: message is too long", 1),)
        assert not progress.finished
        assert await delivery.unfinished_broadcasts(session) == [broadcast.id]
        retried = await session.get(OutboxMessage, claimed[4].id)
        assert retried.status == "pending" and retried.attempts == 0  # a 429 costs no attempt
    again = await _claim(db)
    async with db.unit_of_work() as session:
        await delivery.release(session, [again[0].id], "w1", utcnow() + timedelta(seconds=1))
        assert (await session.get(OutboxMessage, again[0].id)).status == "pending"


async def test_preferred_identity_skips_blocked_and_prefers_telegram(db: Database, program: Program) -> None:
    rts = await load_rts(db, program, [(1, "A", "Dewi")])
    rt = next(iter(rts.values()))
    person = await add_person(db, "ketua_rt", rt=rt, chat=5, channel="whatsapp")
    await add_person(db, "ketua_rt", person_id=person.id, chat=6, channel="telegram")
    async with db.unit_of_work() as session:
        assert (await delivery.preferred_identities(session, [person.id]))[person.id].channel == "telegram"
        telegram = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.channel == "telegram"))
        telegram.unreachable_at = utcnow()
    async with db.unit_of_work() as session:
        assert (await delivery.preferred_identities(session, [person.id]))[person.id].channel == "whatsapp"
