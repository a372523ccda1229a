"""The worker's progress reporter: the later report of a broadcast whose WhatsApp statuses came after its end."""

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.delivery.progress import ProgressReporter
from services import delivery, delivery_status
from services.db import Database
from services.models import Broadcast, OutboxMessage, utcnow
from tests.people import add_person, build_town


async def test_the_sweep_sends_the_later_report_once(db: Database, program) -> None:
    town = await build_town(db, program)
    recipient = await add_person(db, "pendamping", chat=777)
    async with db.unit_of_work() as session:
        broadcast, _count = await delivery.queue_broadcast(
            session,
            text="Rapat Sabtu",
            recipients=[recipient],
            payload={"text": "x"},
            created_by="test",
            created_by_id=town.dewi.id,
        )
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.broadcast_id == broadcast.id))
        row.status, row.channel, row.platform_message_id = delivery.SENT, "whatsapp", "wamid.SWEEP"
        (await session.get(Broadcast, broadcast.id)).finished_at = utcnow() - timedelta(hours=2)
    async with db.unit_of_work() as session:
        await delivery_status.record_status(session, "whatsapp", "wamid.SWEEP", "read", utcnow())
    reporter = ProgressReporter(db, asyncio.Lock())
    await reporter.follow_up()
    await reporter.follow_up()  # the next sweep finds nothing more to say
    async with db.unit_of_work() as session:
        later = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.dedupe_key == delivery.follow_up_key(broadcast.id))
            )
        )
    assert [m.person_id for m in later] == [town.dewi.id]
    assert later[0].payload["text"].splitlines()[1] == "Di WhatsApp: sampai ke HP 1, dibaca 1."
