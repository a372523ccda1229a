"""The database side of WhatsApp delivery, on SQLite and PostgreSQL: the moving 24-hour quota, an error arriving
after Meta accepted a message, and waiting messages made due when the person writes."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from services import whatsapp_delivery
from services.db import Database
from services.models import ChannelIdentity, OutboxMessage, Person
from services.whatsapp_delivery import TEMPLATE_ONLY, WAITING_SINCE, failed_after_accept, quota_wait

NOW = datetime(2026, 5, 10, 3, 0, tzinfo=UTC)


async def sent(db: Database, wa: str, at: datetime, template: str | None = "kb_pemberitahuan", **values) -> int:
    async with db.unit_of_work() as session:
        row = OutboxMessage(
            channel="whatsapp",
            external_id=wa,
            payload={"text": "x"},
            status=values.pop("status", "sent"),
            attempts=values.pop("attempts", 1),
            next_attempt_at=at,
            sent_at=at,
            created_at=at,
            template=template,
            **values,
        )
        session.add(row)
        await session.flush()
        return row.id


async def wait(db: Database, wa: str, limit: int, **kw) -> timedelta | None:
    async with db.unit_of_work() as session:
        return await quota_wait(session, wa, limit, NOW, **kw)


async def test_the_quota_counts_distinct_people_reached_by_template_in_24_hours(db: Database) -> None:
    await sent(db, "a", NOW - timedelta(hours=20))
    await sent(db, "a", NOW - timedelta(hours=1))  # the same person twice: one slot
    await sent(db, "b", NOW - timedelta(hours=10))
    await sent(db, "c", NOW - timedelta(hours=30))  # outside the moving 24 h
    await sent(db, "d", NOW - timedelta(hours=2), template=None)  # free-form: costs no slot
    assert await wait(db, "new", 3) is None
    # Full at 2: the slot frees when the person reached longest ago (b, 10 h ago) leaves the 24 h.
    assert await wait(db, "new", 2) == timedelta(hours=14)
    assert await wait(db, "a", 2) is None  # already reached: nothing more to pay
    assert await wait(db, "new", 3, in_flight=frozenset({"x"})) == timedelta(hours=14)
    async with db.unit_of_work() as session:
        assert await whatsapp_delivery.reached_today(session, NOW) == 2


async def row_of(db: Database, row_id: int) -> OutboxMessage:
    async with db.unit_of_work() as session:
        return await session.get(OutboxMessage, row_id)


async def whatsapp_person(db: Database, wa: str) -> None:
    async with db.unit_of_work() as session:
        person = Person(nama="Budi", role="pendamping")
        session.add(person)
        await session.flush()
        session.add(ChannelIdentity(person_id=person.id, channel="whatsapp", external_id=wa))


async def after_accept(db: Database, row_id: int, code: int | None, title: str = "Error"):
    async with db.unit_of_work() as session:
        row = await session.get(OutboxMessage, row_id)
        return await failed_after_accept(session, row, code, title, NOW)


async def test_131047_after_accept_queues_it_again_as_a_template(db: Database) -> None:
    row_id = await sent(db, "a", NOW - timedelta(minutes=1), template=None, platform_message_id="wamid.1")
    outcome = await after_accept(db, row_id, 131047, "Re-engagement message")
    row = await row_of(db, row_id)
    assert (outcome.action, row.status, row.next_attempt_at) == ("template", "pending", NOW)
    assert row.payload[TEMPLATE_ONLY] == NOW.isoformat() and row.sent_at is None


async def test_131026_after_accept_marks_the_number_and_retries_in_an_hour(db: Database) -> None:
    await whatsapp_person(db, "a")
    row_id = await sent(db, "a", NOW - timedelta(minutes=1))
    outcome = await after_accept(db, row_id, 131026, "Message undeliverable")
    row = await row_of(db, row_id)
    assert (outcome.action, row.status, row.next_attempt_at) == ("retry", "pending", NOW + timedelta(hours=1))
    async with db.unit_of_work() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == "a"))
    assert identity.undeliverable_at == NOW and "131026" in identity.undeliverable_reason


async def test_131049_after_the_last_attempt_is_failed(db: Database) -> None:
    row_id = await sent(db, "a", NOW, attempts=5)
    assert (await after_accept(db, row_id, 131049)).action == "failed"
    assert (await row_of(db, row_id)).status == "failed"


async def test_pair_rate_after_accept_retries_soon_and_other_codes_fail(db: Database) -> None:
    again = await sent(db, "a", NOW)
    assert (await after_accept(db, again, 131056)).at == NOW + timedelta(seconds=30)
    broken = await sent(db, "b", NOW)
    assert (await after_accept(db, broken, 131053, "Media upload error")).action == "failed"
    row = await row_of(db, broken)
    assert (row.status, row.error) == ("failed", "WhatsApp 131053: Media upload error")


async def test_a_message_from_the_person_makes_their_waiting_messages_due(db: Database) -> None:
    later = NOW + timedelta(hours=1)
    waiting = await sent(db, "a", later, template=None, status="pending")
    other = await sent(db, "a", later, template=None, status="pending")
    async with db.unit_of_work() as session:
        row = await session.get(OutboxMessage, waiting)
        row.payload = {"text": "x", WAITING_SINCE: NOW.isoformat()}
    async with db.unit_of_work() as session:
        assert await whatsapp_delivery.window_opened(session, "a", NOW) == 1
    assert (await row_of(db, waiting)).next_attempt_at == NOW
    assert (await row_of(db, other)).next_attempt_at == later
