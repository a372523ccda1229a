"""The worker's side of answers recorded with their work: what a dead process left is sent once, by the right rule,
and a chat's answers go out in the order they were made. Real worker, fake Bot API, both databases."""

from datetime import timedelta

from sqlalchemy import select, update

from bot.delivery.worker import WorkerConfig
from services import direct_answers, outbox
from services.db import Database
from services.models import OutboxMessage, utcnow
from tests.bot.delivery.conftest import FAST, run_until_done
from tests.fakes.telegram_api import FakeTelegramServer

CHAT = "8181"
HOLDER = direct_answers.holder_name("dead-host:1:abc")
GRACE = timedelta(seconds=30)


async def record(db: Database, *texts: str, made=None) -> tuple[int, ...]:
    async with db.unit_of_work() as session:
        payloads = [{"text": text, "choices": [], "attachments": []} for text in texts]
        recorded = await outbox.record_answers(
            session, "telegram", CHAT, payloads, person_id=None, holder=HOLDER, grace=GRACE, now=made
        )
    return recorded.ids


async def statuses(db: Database) -> list[str]:
    async with db.sessions() as session:
        return list(await session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


async def test_answers_a_dead_process_never_sent_are_sent_once_in_order(
    db: Database, server: FakeTelegramServer, sender
) -> None:
    await record(db, "satu", "dua", made=utcnow() - GRACE * 2)  # its process died between commit and send
    await run_until_done(db, sender)
    await run_until_done(db, sender)  # a second run (a restart) sends nothing again
    assert [m["text"] for m in server.sent_messages(int(CHAT))] == ["satu", "dua"]
    assert await statuses(db) == ["sent", "sent"]


async def test_answers_within_their_grace_are_left_to_their_process(
    db: Database, server: FakeTelegramServer, sender
) -> None:
    await record(db, "satu")
    await run_until_done(db, sender, settle=0.5)
    assert server.sent_messages(int(CHAT)) == []
    assert await statuses(db) == ["answering"]


async def test_an_answer_whose_send_had_started_goes_by_the_unknown_fate_rule(
    db: Database, server: FakeTelegramServer, sender
) -> None:
    ids = await record(db, "satu", made=utcnow() - GRACE * 3)
    async with db.unit_of_work() as session:  # its send started, then the process died: it may be in the chat
        await direct_answers.start(session, ids, HOLDER, utcnow() - GRACE * 2, GRACE)
    config = WorkerConfig(**{**FAST.__dict__, "uncertain_wait": timedelta(seconds=0.3)})
    worker = await run_until_done(db, sender, config)
    assert worker.stats["recovered"] == 1 and worker.stats["in_doubt"] == 0  # not claimed blindly as in doubt
    assert [m["text"] for m in server.sent_messages(int(CHAT))] == ["satu"]  # nothing newer: once more, once
    async with db.sessions() as session:
        row = await session.scalar(select(OutboxMessage))
    assert row.status == "sent" and outbox.UNCERTAIN_SINCE in row.payload


async def test_a_later_answer_waits_for_an_earlier_one_of_its_chat(
    db: Database, server: FakeTelegramServer, sender
) -> None:
    first = await record(db, "satu")
    second = await record(db, "dua")  # queued behind "satu", due at once
    async with db.unit_of_work() as session:  # "satu" was handed back, due in a moment (a flood wait)
        due = utcnow() + timedelta(seconds=0.8)
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == first[0])
            .values(status="pending", claimed_by=None, claimed_until=None, next_attempt_at=due)
        )
    assert second[0] > first[0]
    await run_until_done(db, sender, settle=0.5)
    assert [m["text"] for m in server.sent_messages(int(CHAT))] == ["satu", "dua"]  # not overtaken
