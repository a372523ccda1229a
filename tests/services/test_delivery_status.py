"""Delivery statuses on outbox rows: only ever forward, whatever order they come in; a failure after acceptance is
told to the caller once."""

from datetime import UTC, datetime, timedelta

from services.db import Database
from services.delivery_status import error_text, record_status
from services.models import OutboxMessage

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
WAMID = "wamid.OUT000000000001"


async def a_row(db: Database, wamid: str = WAMID, channel: str = "whatsapp") -> int:
    async with db.unit_of_work() as session:
        row = OutboxMessage(
            channel=channel,
            external_id="6281234567890",
            payload={"text": "Halo"},
            status="sent",
            sent_at=T0,
            platform_message_id=wamid,
        )
        session.add(row)
        await session.flush()
        return row.id


async def feed(db: Database, *statuses: tuple[str, int], errors=()) -> list:
    results = []
    for status, minutes in statuses:
        async with db.unit_of_work() as session:
            results.append(
                await record_status(session, "whatsapp", WAMID, status, T0 + timedelta(minutes=minutes), errors)
            )
    return results


async def row_of(db: Database, row_id: int) -> OutboxMessage:
    async with db.sessions() as session:
        return await session.get(OutboxMessage, row_id)


async def test_sent_delivered_read_in_order(db: Database) -> None:
    row_id = await a_row(db)
    await feed(db, ("sent", 0), ("delivered", 1), ("read", 5))
    row = await row_of(db, row_id)
    assert row.delivery_status == "read"
    assert row.sent_at == T0  # "sent" keeps the time the worker recorded
    assert (row.delivered_at, row.read_at) == (T0 + timedelta(minutes=1), T0 + timedelta(minutes=5))


async def test_read_overtaking_delivered_is_never_undone(db: Database) -> None:
    row_id = await a_row(db)
    results = await feed(db, ("read", 5), ("delivered", 1), ("sent", 0), ("read", 6))
    row = await row_of(db, row_id)
    assert row.delivery_status == "read"
    assert row.read_at == T0 + timedelta(minutes=5)
    # The read said it was delivered (at the latest then); the late delivered has nothing to add.
    assert row.delivered_at == T0 + timedelta(minutes=5)
    assert [r.changed for r in results] == [True, False, False, False]


async def test_sent_sets_sent_at_only_when_missing(db: Database) -> None:
    row_id = await a_row(db)
    async with db.unit_of_work() as session:
        row = await session.get(OutboxMessage, row_id)
        row.sent_at = None
    await feed(db, ("sent", 2))
    row = await row_of(db, row_id)
    assert row.sent_at == T0 + timedelta(minutes=2) and row.delivery_status is None


async def test_failed_after_acceptance_is_recorded_and_told_once(db: Database) -> None:
    row_id = await a_row(db)
    errors = [(131047, "Re-engagement message")]
    first, again, late = await feed(db, ("failed", 1), ("failed", 2), ("delivered", 3), errors=errors)
    assert first.newly_failed and (first.code, first.title) == (131047, "Re-engagement message")
    assert first.row.id == row_id
    assert not again.newly_failed and not late.newly_failed
    row = await row_of(db, row_id)
    assert row.delivery_status == "failed" and row.error == "131047 Re-engagement message"
    assert row.delivered_at is None  # a delivered after the failure policy acted does not undo it


async def test_a_row_sent_again_after_its_failure_records_the_new_message(db: Database) -> None:
    row_id = await a_row(db)
    await feed(db, ("failed", 1), errors=[(131047, "Re-engagement message")])
    async with db.unit_of_work() as session:
        row = await session.get(OutboxMessage, row_id)
        # The failure policy queued it again (as a template); it went out with a new message id, error cleared.
        row.status, row.platform_message_id, row.error, row.sent_at = "sent", "wamid.AGAIN", None, T0
    async with db.unit_of_work() as session:
        late = await record_status(session, "whatsapp", WAMID, "delivered", T0)
        assert late.row is None  # the first message is not this row's any more
        result = await record_status(session, "whatsapp", "wamid.AGAIN", "read", T0 + timedelta(minutes=9))
        assert result.changed and not result.newly_failed
    row = await row_of(db, row_id)
    assert (row.delivery_status, row.read_at) == ("read", T0 + timedelta(minutes=9))


async def test_a_row_sent_again_that_fails_again_is_told_again(db: Database) -> None:
    row_id = await a_row(db)
    await feed(db, ("failed", 1), errors=[(131047, "Re-engagement message")])
    async with db.unit_of_work() as session:
        row = await session.get(OutboxMessage, row_id)
        row.status, row.platform_message_id, row.error = "sent", "wamid.AGAIN", None
    async with db.unit_of_work() as session:
        again = await record_status(session, "whatsapp", "wamid.AGAIN", "failed", T0, [(131026, "Undeliverable")])
    assert again.newly_failed and again.code == 131026  # the policy hears of the second failure too
    assert (await row_of(db, row_id)).error == "131026 Undeliverable"


async def test_failed_after_delivered_changes_nothing(db: Database) -> None:
    row_id = await a_row(db)
    _delivered, failed = await feed(db, ("delivered", 1), ("failed", 2), errors=[(131026, "Undeliverable")])
    assert not failed.newly_failed
    assert (await row_of(db, row_id)).delivery_status == "delivered"


async def test_unknown_message_or_status_is_harmless(db: Database) -> None:
    row_id = await a_row(db)
    other = await a_row(db, "wamid.OTHER", channel="telegram")
    async with db.unit_of_work() as session:
        assert (await record_status(session, "whatsapp", "wamid.NOPE", "read", T0)).row is None
        assert (await record_status(session, "whatsapp", "wamid.OTHER", "read", T0)).row is None  # other channel
        result = await record_status(session, "whatsapp", WAMID, "deleted", T0)
        assert result.row.id == row_id and not result.changed
    assert (await row_of(db, other)).delivery_status is None


def test_error_text() -> None:
    assert error_text([(131026, "Message undeliverable"), (None, "second")]) == "131026 Message undeliverable; second"
    assert error_text([]) is None
    assert len(error_text([(1, "x" * 900)])) == 500
