"""Answers recorded with their work (services/outbox.py `record_answers`) and the direct path's marks on them
(services/direct_answers.py), on both databases."""

from datetime import timedelta

from sqlalchemy import select, update

from services import direct_answers, outbox
from services.db import Database
from services.delivery import claim_batch
from services.models import OutboxMessage, utcnow
from services.outbox import ANSWER, ANSWERING, BEHIND, PENDING, SENDING, SENT, UNCERTAIN_SINCE

CHAT = "4242"
HOLDER = direct_answers.holder_name("test-host:1:abc")
GRACE = timedelta(seconds=30)


async def record(db: Database, *texts: str, chat: str = CHAT, now=None) -> outbox.Recorded:
    async with db.unit_of_work() as session:
        payloads = [{"text": text, "choices": [], "attachments": []} for text in texts]
        return await outbox.record_answers(
            session, "telegram", chat, payloads, person_id=None, holder=HOLDER, grace=GRACE, now=now
        )


async def all_rows(db: Database) -> list[OutboxMessage]:
    async with db.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_an_answer_is_recorded_answering_in_order_for_the_direct_path(db: Database) -> None:
    recorded = await record(db, "satu", "dua")
    assert recorded.direct and len(recorded.ids) == 2
    rows = await all_rows(db)
    assert [row.id for row in rows] == list(recorded.ids)  # in the order of the replies
    assert [row.payload["text"] for row in rows] == ["satu", "dua"]
    assert {row.status for row in rows} == {ANSWERING}
    assert all(row.payload[ANSWER] is True and row.claimed_by == HOLDER for row in rows)
    assert all(row.broadcast_id is None and row.dedupe_key is None for row in rows)  # never in a broadcast's counts


async def test_the_worker_leaves_an_answering_row_alone(db: Database) -> None:
    await record(db, "satu")
    async with db.unit_of_work() as session:
        later = utcnow() + GRACE * 2  # even long after its grace: only `recover` hands it to the worker
        claimed = await claim_batch(
            session, channel="telegram", worker="w", limit=10, lease=timedelta(seconds=9), now=later
        )
    assert claimed == []


async def test_an_answer_made_while_an_earlier_one_waits_is_queued_behind_it(db: Database) -> None:
    first = await record(db, "satu")
    second = await record(db, "dua")
    assert first.direct and not second.direct  # the first is not sent yet: the second may not overtake it
    rows = await all_rows(db)
    assert [row.status for row in rows] == [ANSWERING, PENDING]
    other = await record(db, "tiga", chat="999")
    assert other.direct  # another chat is not held up
    async with db.unit_of_work() as session:
        assert await direct_answers.start(session, first.ids, HOLDER, utcnow(), GRACE) == set(first.ids)
        await direct_answers.sent(session, first.ids, utcnow())
    async with db.sessions() as session:
        assert await outbox.earlier_unsent(session, "telegram", CHAT)  # the queued one
        assert not await outbox.earlier_unsent(session, "telegram", CHAT, before=second.ids[0])


async def test_an_unknown_fate_answer_does_not_hold_the_next_one_back(db: Database) -> None:
    async with db.unit_of_work() as session:
        payload = {"text": "x", ANSWER: True, UNCERTAIN_SINCE: utcnow().isoformat()}
        first = outbox.enqueue_to(session, "telegram", CHAT, payload)
        await session.flush()
        outbox.enqueue_to(session, "telegram", CHAT, {"text": "y", ANSWER: True, BEHIND: first.id})
        outbox.enqueue_to(session, "telegram", CHAT, {"text": "a notification"})  # not an answer
    assert (await record(db, "baru")).direct  # it goes directly, and sets them aside (bot/delivery/uncertain.py)


async def test_a_send_that_started_and_went_is_marked_sent_in_one_update(db: Database) -> None:
    recorded = await record(db, "satu", "dua")
    async with db.unit_of_work() as session:
        assert await direct_answers.start(session, recorded.ids, HOLDER, utcnow(), GRACE) == set(recorded.ids)
    assert {(row.status, row.claimed_by) for row in await all_rows(db)} == {(SENDING, HOLDER)}
    async with db.unit_of_work() as session:
        await direct_answers.sent(session, recorded.ids, utcnow())
    rows = await all_rows(db)
    assert {(row.status, row.claimed_by) for row in rows} == {(SENT, None)}
    assert all(row.sent_at is not None for row in rows)


async def test_a_row_the_worker_took_over_is_not_started_again(db: Database) -> None:
    made = utcnow() - GRACE * 2
    recorded = await record(db, "satu", now=made)
    async with db.unit_of_work() as session:
        assert await direct_answers.recover(session, "telegram", utcnow()) == (1, 0)
    async with db.unit_of_work() as session:
        assert await direct_answers.start(session, recorded.ids, HOLDER, utcnow(), GRACE) == set()
    assert [row.status for row in await all_rows(db)] == [PENDING]


async def test_handing_back_keeps_what_was_done(db: Database) -> None:
    recorded = await record(db, "satu", "dua")
    async with db.unit_of_work() as session:
        await direct_answers.start(session, recorded.ids, HOLDER, utcnow(), GRACE)
    later = utcnow() + timedelta(seconds=7)
    async with db.unit_of_work() as session:
        rows = list(zip(recorded.ids, [{"text": "satu", "_parts_done": 1, ANSWER: True}, {"text": "dua"}], strict=True))
        await direct_answers.hand_over(session, rows, HOLDER, later, "transient: flood")
    rows = await all_rows(db)
    assert [row.status for row in rows] == [PENDING, PENDING]
    assert rows[0].payload["_parts_done"] == 1 and rows[0].next_attempt_at == later
    assert rows[0].error == "transient: flood" and rows[0].claimed_by is None


async def test_recover_sends_the_untried_plainly_and_the_started_as_unknown_fate(db: Database) -> None:
    long_ago = utcnow() - GRACE * 3
    untried = await record(db, "never tried", now=long_ago)
    started = await record(db, "started", chat="555", now=long_ago)
    fresh = await record(db, "still within its grace", chat="556")
    began = long_ago + timedelta(seconds=1)
    async with db.unit_of_work() as session:
        await direct_answers.start(session, started.ids, HOLDER, began, GRACE)
    async with db.unit_of_work() as session:
        assert await direct_answers.recover(session, "telegram", utcnow()) == (1, 1)
    by_id = {row.id: row for row in await all_rows(db)}
    plain, unknown, young = by_id[untried.ids[0]], by_id[started.ids[0]], by_id[fresh.ids[0]]
    assert plain.status == PENDING and UNCERTAIN_SINCE not in plain.payload
    assert unknown.status == PENDING and unknown.payload[UNCERTAIN_SINCE] == began.isoformat()
    assert young.status == ANSWERING  # its process may well be sending it right now
    async with db.unit_of_work() as session:
        assert await direct_answers.recover(session, "telegram", utcnow()) == (0, 0)  # once


async def test_the_rest_of_a_started_answer_shares_the_fate_of_its_first_part(db: Database) -> None:
    recorded = await record(db, "satu", "dua", now=utcnow() - GRACE * 3)
    async with db.unit_of_work() as session:
        await direct_answers.start(session, recorded.ids, HOLDER, utcnow() - GRACE * 2, GRACE)
    async with db.unit_of_work() as session:
        assert await direct_answers.recover(session, "telegram", utcnow()) == (0, 2)
    first, rest = await all_rows(db)
    assert UNCERTAIN_SINCE in first.payload and BEHIND not in first.payload
    assert rest.payload[BEHIND] == first.id and UNCERTAIN_SINCE not in rest.payload


async def test_a_direct_send_past_its_grace_is_not_claimed_blindly(db: Database) -> None:
    recorded = await record(db, "satu")
    async with db.unit_of_work() as session:
        await direct_answers.start(session, recorded.ids, HOLDER, utcnow() - GRACE * 2, GRACE)
        claimed = await claim_batch(
            session, channel="telegram", worker="w", limit=10, lease=timedelta(seconds=9), now=utcnow()
        )
    assert claimed == []  # `recover` first makes it a message whose fate is unknown


async def test_give_up_marks_failed_or_unreachable(db: Database) -> None:
    one, two = await record(db, "satu"), await record(db, "dua", chat="777")
    async with db.unit_of_work() as session:
        await direct_answers.give_up(session, one.ids, unreachable=False, error="Bad Request")
        await direct_answers.give_up(session, two.ids, unreachable=True, error="blocked")
    assert [(row.status, row.error) for row in await all_rows(db)] == [
        ("failed", "Bad Request"),
        ("unreachable", "blocked"),
    ]


async def test_old_answers_that_are_done_are_pruned_and_nothing_else(db: Database) -> None:
    old = utcnow() - timedelta(days=3)
    done = await record(db, "lama", now=old)
    await record(db, "lama, belum terkirim", chat="1", now=old)
    fresh = await record(db, "baru", chat="2")
    async with db.unit_of_work() as session:
        await direct_answers.sent(session, [*done.ids, *fresh.ids], utcnow())
        outbox.enqueue_to(session, "telegram", CHAT, {"text": "a notification"}).created_at = old
        await session.flush()
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.payload["text"].as_string() == "a notification")
            .values(status=SENT)
        )
    async with db.unit_of_work() as session:
        assert await outbox.prune_answers(session, timedelta(days=2)) == 1
    assert sorted(row.payload["text"] for row in await all_rows(db)) == [
        "a notification",
        "baru",
        "lama, belum terkirim",
    ]
