"""What a broadcast's sender sees (handlers/broadcast_reports.py): progress every 10%, the final report, the later
report of WhatsApp's statuses; once each whoever checks."""

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from handlers import broadcast_reports as reports
from services import delivery, delivery_status
from services.db import Database
from services.models import Broadcast, OutboxMessage, utcnow
from services.program import Program
from services.reminders import WIB
from tests.people import Town, add_person, build_town


@pytest.fixture
async def town(db: Database, program: Program) -> Town:
    return await build_town(db, program)


async def _outbox(db: Database) -> list[OutboxMessage]:
    async with db.unit_of_work() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def _broadcast(db: Database, town: Town, recipients: int) -> tuple[int, list[int]]:
    # Pendamping: many recipients, and an RT has only one Ketua RT.
    people = [await add_person(db, "pendamping", chat=500 + n) for n in range(recipients)]
    async with db.unit_of_work() as session:
        broadcast, _count = await delivery.queue_broadcast(
            session,
            text="Rapat koordinasi hari Sabtu jam 09.00 di kantor kelurahan, mohon hadir tepat waktu.",
            recipients=people,
            payload={"text": "x"},
            created_by="test",
            created_by_id=town.dewi.id,
        )
        rows = list(await session.scalars(select(OutboxMessage.id).where(OutboxMessage.broadcast_id == broadcast.id)))
    return broadcast.id, rows


async def _finish(db: Database, rows: list[int], status: str, error: str | None = None) -> None:
    async with db.unit_of_work() as session:
        for row_id in rows:
            message = await session.get(OutboxMessage, row_id)
            message.status, message.error = status, error


async def _reports(db: Database, town: Town) -> list[str]:
    return [m.payload["text"] for m in await _outbox(db) if m.person_id == town.dewi.id]


async def test_broadcast_sender_sees_progress_every_ten_percent_then_a_report(db: Database, program, town: Town):
    broadcast_id, rows = await _broadcast(db, town, 40)

    async def check() -> str | None:
        async with db.unit_of_work() as session:
            return await reports.report_broadcast_progress(session, broadcast_id)

    assert await check() is None
    await _finish(db, rows[:3], "sent")
    assert await check() is None  # 7%: nothing to say yet
    await _finish(db, rows[3:13], "sent")
    assert await check() == "progress"
    assert await check() is None  # 32% again: once per step, whoever asks
    await _finish(db, rows[13:17], "sent")
    assert await check() is None  # 42%, but the 30% update has not gone out yet: skip, do not pile up
    await _finish(db, [m.id for m in await _outbox(db) if m.person_id == town.dewi.id], "sent")
    assert await check() == "progress"  # 42% → the 40% update
    await _finish(db, rows[17:37], "sent")
    await _finish(db, rows[37:38], "unreachable", "Forbidden: bot was blocked by the user")
    await _finish(db, rows[38:], "failed", "Bad Request: message is too long")
    assert await check() == "finished"
    assert await check() is None
    texts = await _reports(db, town)
    assert texts[0] == "Siaran “Rapat koordinasi hari Sabtu jam 09.00…”: terkirim 13/40."
    # The 40% update was still waiting when the broadcast finished: the final report replaced it.
    assert len(texts) == 2
    assert texts[1].splitlines() == [
        "Siaran “Rapat koordinasi hari Sabtu jam 09.00…” selesai: terkirim ke 37 dari 40 penerima.",
        "Tidak terkirim (2), dengan alasannya:",
        "• Bad Request: message is too long (2)",
        "1 penerima memblokir bot atau sudah tidak memakai Telegram. Mohon hubungi mereka dengan cara lain "
        "(telepon atau kunjungan).",
    ]
    async with db.unit_of_work() as session:
        assert (await session.get(Broadcast, broadcast_id)).finished_at is not None


async def test_whatsapp_statuses_reach_the_report(db: Database, program, town: Town):
    """WhatsApp says later what became of each message it took: reached the phone, read, failed after all."""
    broadcast_id, rows = await _broadcast(db, town, 40)
    await _finish(db, rows, "sent")
    async with db.unit_of_work() as session:
        for n, row_id in enumerate(rows):
            message = await session.get(OutboxMessage, row_id)
            message.channel = "whatsapp"
            message.platform_message_id = f"wamid.OUT{n}"
    at_ = datetime(2026, 4, 1, 2, 0, tzinfo=WIB)
    async with db.unit_of_work() as session:
        for n in range(38):
            await delivery_status.record_status(session, "whatsapp", f"wamid.OUT{n}", "delivered", at_)
        for n in range(12):
            await delivery_status.record_status(session, "whatsapp", f"wamid.OUT{n}", "read", at_)
        for n in (38, 39):
            await delivery_status.record_status(session, "whatsapp", f"wamid.OUT{n}", "failed", at_, [(131026, "x")])
    async with db.unit_of_work() as session:
        progress = await delivery.broadcast_progress(session, broadcast_id)
        assert (progress.delivered, progress.read, progress.failed_after) == (38, 12, 2)
        assert await reports.report_broadcast_progress(session, broadcast_id) == "finished"
    [report] = await _reports(db, town)
    assert report.splitlines()[1] == "Di WhatsApp: sampai ke HP 38, dibaca 12, gagal 2."
    assert reports.progress_reply("Rapat", progress).text.splitlines() == [
        "Siaran “Rapat”: terkirim 40/40.",
        "Di WhatsApp: sampai ke HP 38, dibaca 12, gagal 2.",
    ]
    # Telegram says none of it: no such line, and no zero parts ever.
    assert "\n" not in reports.progress_reply("Rapat", delivery.Progress(1, 40, sent=40)).text
    only_read = delivery.Progress(1, 40, sent=40, delivered=3, read=3)
    assert reports.after_delivery_line(only_read) == "Di WhatsApp: sampai ke HP 3, dibaca 3."


async def test_statuses_after_the_final_report_come_in_a_later_report_once(db: Database, program, town: Town):
    """The final report goes out a second after the last send; "delivered" and "read" come minutes to hours
    later. An hour after the end, the sender gets those counts once."""
    broadcast_id, rows = await _broadcast(db, town, 40)
    await _finish(db, rows, "sent")
    async with db.unit_of_work() as session:
        for n, row_id in enumerate(rows):
            message = await session.get(OutboxMessage, row_id)
            message.channel, message.platform_message_id = "whatsapp", f"wamid.LATE{n}"
    ended = datetime(2026, 4, 1, 2, 0, tzinfo=WIB)
    async with db.unit_of_work() as session:
        assert await reports.report_broadcast_progress(session, broadcast_id, ended) == "finished"
    assert "Di WhatsApp" not in (await _reports(db, town))[0]  # nothing was known yet
    async with db.unit_of_work() as session:
        for n in range(30):
            await delivery_status.record_status(session, "whatsapp", f"wamid.LATE{n}", "delivered", ended)
        for n in range(9):
            await delivery_status.record_status(session, "whatsapp", f"wamid.LATE{n}", "read", ended)
        await delivery_status.record_status(session, "whatsapp", "wamid.LATE39", "failed", ended, [(131026, "x")])

    async def due(at: datetime) -> list[int]:
        async with db.unit_of_work() as session:
            return await delivery.broadcasts_to_follow_up(session, at)

    assert await due(ended + timedelta(minutes=59)) == []
    assert await due(ended + timedelta(hours=1, minutes=1)) == [broadcast_id]
    async with db.unit_of_work() as session:
        assert await reports.report_broadcast_follow_up(session, broadcast_id, ended + timedelta(hours=1))
        assert not await reports.report_broadcast_follow_up(session, broadcast_id, ended + timedelta(hours=1))
    assert await due(ended + timedelta(hours=2)) == []
    later = (await _reports(db, town))[-1]
    assert later.splitlines() == [
        "Siaran “Rapat koordinasi hari Sabtu jam 09.00…”, satu jam setelah selesai:",
        "Di WhatsApp: sampai ke HP 30, dibaca 9, gagal 1.",
    ]
    assert len(await _reports(db, town)) == 2  # the final report and the later one


async def test_old_broadcasts_are_not_followed_up(db: Database, program, town: Town):
    broadcast_id, rows = await _broadcast(db, town, 3)
    await _finish(db, rows, "sent")
    ended = datetime(2026, 4, 1, 2, 0, tzinfo=WIB)
    async with db.unit_of_work() as session:
        message = await session.get(OutboxMessage, rows[0])
        message.channel, message.platform_message_id = "whatsapp", "wamid.OLD"
        assert await reports.report_broadcast_progress(session, broadcast_id, ended) == "finished"
        await delivery_status.record_status(session, "whatsapp", "wamid.OLD", "read", ended)
    async with db.unit_of_work() as session:
        assert await delivery.broadcasts_to_follow_up(session, ended + timedelta(days=3)) == []
        assert await delivery.broadcasts_to_follow_up(session, ended + timedelta(days=1)) == [broadcast_id]


async def test_the_final_report_replaces_an_update_still_waiting(db: Database, program, town: Town):
    broadcast_id, rows = await _broadcast(db, town, 20)
    await _finish(db, rows[:10], "sent")
    async with db.unit_of_work() as session:
        assert await reports.report_broadcast_progress(session, broadcast_id) == "progress"
    await _finish(db, rows[10:], "sent")
    async with db.unit_of_work() as session:
        assert await reports.report_broadcast_progress(session, broadcast_id) == "finished"
    assert [t.split(":")[0] for t in await _reports(db, town)] == [
        "Siaran “Rapat koordinasi hari Sabtu jam 09.00…” selesai"
    ]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_second_worker_checking_meanwhile_waits_and_finds_it_finished(db: Database, program, town: Town):
    """Every worker process checks broadcasts: one check waits for another's to commit (the broadcast row is locked),
    so it never works from what the other is changing (e.g. a progress report queued after the final one)."""
    broadcast_id, rows = await _broadcast(db, town, 20)
    await _finish(db, rows, "sent")

    async def check() -> str | None:
        async with db.unit_of_work() as session:
            return await reports.report_broadcast_progress(session, broadcast_id)

    async with db.unit_of_work() as first:
        assert await reports.report_broadcast_progress(first, broadcast_id) == "finished"
        second = asyncio.create_task(check())
        await asyncio.sleep(0.5)
        assert not second.done()  # waits for the first to commit
    assert await second is None  # then sees the broadcast finished
    assert len(await _reports(db, town)) == 1


async def test_a_small_broadcast_gets_only_the_final_report(db: Database, program, town: Town):
    broadcast_id, rows = await _broadcast(db, town, 3)
    await _finish(db, rows[:2], "sent")
    async with db.unit_of_work() as session:
        assert await reports.report_broadcast_progress(session, broadcast_id) is None
    await _finish(db, rows[2:], "sent")
    async with db.unit_of_work() as session:
        assert await reports.report_broadcast_progress(session, broadcast_id) == "finished"
    assert await _reports(db, town) == [
        "Siaran “Rapat koordinasi hari Sabtu jam 09.00…” selesai: terkirim ke 3 dari 3 penerima."
    ]
    async with db.unit_of_work() as session:  # Telegram says nothing after a send: no later report
        assert await delivery.broadcasts_to_follow_up(session, utcnow() + timedelta(hours=2)) == []
