"""Reminder runs as the clock and the CLI do them: restarts, grace window, catch-ups, two schedulers, texts."""

import asyncio
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from handlers import reminders
from services import delivery, delivery_status
from services.db import Database
from services.models import Broadcast, ChannelIdentity, OutboxMessage, Person, ReminderClaim, utcnow
from services.program import Program
from services.reminders import BULANAN, WIB, Agenda, Reminder, Slot
from services.schedule import StageState, StageStatus
from services.whatsapp_quota import DAY
from tests.handlers.test_message_length import ONE_SCREEN
from tests.people import Town, add_person, build_town


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


@pytest.fixture
async def town(db: Database, program: Program) -> Town:
    return await build_town(db, program)


async def _outbox(db: Database) -> list[OutboxMessage]:
    async with db.unit_of_work() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_restart_before_the_slot_sends_nothing_after_it_sends_once(db: Database, program: Program, town: Town):
    assert (await reminders.run_due(db, program, at("2026-04-01T07:59"))).count("queued") == 0
    first = await reminders.run_due(db, program, at("2026-04-01T08:01"))
    assert first.count("queued") == 3  # Ketua RT and bendahara of RT A, Dewi's digest
    again = await reminders.run_due(db, program, at("2026-04-01T08:06"))
    assert again.count("queued") == 0 and again.count("already") == 3
    assert len(await _outbox(db)) == 3


async def test_down_across_the_slot_sends_once_within_the_grace(db: Database, program: Program, town: Town):
    assert (await reminders.run_due(db, program, at("2026-04-03T08:00"))).count("queued") == 3
    assert (await reminders.run_due(db, program, at("2026-04-03T09:00"))).count("queued") == 0
    assert len(await _outbox(db)) == 3


async def test_down_past_the_grace_skips_the_slot(db: Database, program: Program, town: Town):
    result = await reminders.run_due(db, program, at("2026-04-04T08:01"))
    assert result.count("queued") == 0 and await _outbox(db) == []


async def test_late_registration_gets_one_catch_up(db: Database, program: Program, town: Town):
    await reminders.run_due(db, program, at("2026-04-01T08:00"))
    newcomer = await add_person(db, "ketua_rt", rt=town.rt_late, chat=33, joined=at("2026-04-10T09:30"))
    result = await reminders.run_due(db, program, at("2026-04-10T09:35"))  # long past the grace: catch-up only
    assert [(p.reminder.person_id, p.outcome) for p in result.items] == [(newcomer.id, "queued")]
    assert (await reminders.run_due(db, program, at("2026-04-10T09:40"))).items[0].outcome == "already"
    texts = [m.payload["text"] for m in await _outbox(db) if m.person_id == newcomer.id]
    welcome = "Selamat bergabung! Yang perlu dikerjakan RT 003 Kel. Simpang IV Sipin sekarang:"
    assert len(texts) == 1 and texts[0].startswith(welcome)
    nudge = await reminders.run_due(db, program, at("2026-04-20T08:00"))
    assert newcomer.id in {p.reminder.person_id for p in nudge.items if p.outcome == "queued"}


async def test_two_schedulers_at_once_claim_each_reminder_once(db: Database, program: Program, town: Town):
    other = Database(db.url)
    try:
        results = await asyncio.gather(
            reminders.run_due(db, program, at("2026-04-01T08:00")),
            reminders.run_due(other, program, at("2026-04-01T08:00")),
        )
    finally:
        await other.dispose()
    assert sorted(r.count("queued") for r in results) in ([0, 3], [1, 2])  # interleaving may split the work
    assert sum(r.count("queued") for r in results) == 3
    async with db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(ReminderClaim)) == 3
    assert len(await _outbox(db)) == 3


async def test_dry_run_lists_without_writing_and_rt_filter(db: Database, program: Program, town: Town):
    slot = reminders.service.slot_for_day(program, date(2026, 4, 1))
    result = await reminders.run_slot(db, program, slot, date(2026, 4, 1), dry_run=True, rt_kode=town.rt_a.kode)
    assert {p.reminder.person_id: p.outcome for p in result.items} == {
        town.ketua_a.id: "dry_run",
        town.bendahara_a.id: "dry_run",
        town.dewi.id: "dry_run",
    }
    assert await _outbox(db) == []


async def test_texts_are_indonesian_and_in_each_persons_language(db: Database, program: Program, town: Town):
    async with db.unit_of_work() as session:
        (await session.get(Person, town.bendahara_a.id)).locale = "en"
    await reminders.run_due(db, program, at("2026-04-01T08:00"))
    by_person = {m.person_id: m.payload["text"] for m in await _outbox(db)}
    ketua = by_person[town.ketua_a.id]
    assert ketua.startswith("Pengingat Kampung Bahagia April 2026 untuk RT 001 Kel. Simpang IV Sipin:")
    assert "• Pencairan Dana — lapor paling lambat 30 April 2026" in ketua
    assert "• Sosialisasi — Januari 2026" in ketua
    assert ketua.endswith("Kirim /lapor untuk melaporkan tahap dengan foto, atau /jadwal untuk melihat jadwal lengkap.")
    assert by_person[town.bendahara_a.id].startswith("Kampung Bahagia reminder for April 2026")
    digest = by_person[town.dewi.id]
    assert digest.startswith("Ringkasan April 2026: 2 RT dampingan perlu perhatian")
    assert "belum punya Ketua RT yang terdaftar: RT 003 Kel. Simpang IV Sipin" in digest


async def test_an_lpj_missing_in_september_is_still_chased(db: Database, program: Program, town: Town):
    await reminders.run_due(db, program, at("2026-09-01T08:00"))
    by_person = {m.person_id: m.payload["text"] for m in await _outbox(db)}
    ketua = by_person[town.ketua_a.id]  # Kelompok A's window ended in July
    overdue = ketua.split("Terlambat:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert "• Laporan Pertanggungjawaban (LPJ) — Juni 2026" in overdue
    assert "Mulai bulan ini" not in ketua
    digest = by_person[town.dewi.id]
    # The Kelompok A RTs, everything overdue, come before RT 2 of Kelompok B (one stage late, others due).
    lines = digest.splitlines()
    assert lines.index(next(x for x in lines if "RT 001 Kel. Simpang IV Sipin" in x)) < lines.index(
        next(x for x in lines if "RT 002 Kel. Simpang IV Sipin" in x)
    )


async def test_a_person_without_a_channel_is_listed_not_claimed(db: Database, program: Program, town: Town):
    async with db.unit_of_work() as session:
        # RT 3 has no Bendahara yet (one per RT): this one registered without a phone.
        session.add(Person(nama="Tanpa HP", role="bendahara", rt_id=town.rt_late.id))
    result = await reminders.run_due(db, program, at("2026-04-01T08:00"))
    assert result.count("no_channel") == 1 and result.count("queued") == 3


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
            return await reminders.report_broadcast_progress(session, broadcast_id)

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
        assert await reminders.report_broadcast_progress(session, broadcast_id) == "finished"
    [report] = await _reports(db, town)
    assert report.splitlines()[1] == "Di WhatsApp: sampai ke HP 38, dibaca 12, gagal 2."
    assert reminders.progress_reply("Rapat", progress).text.splitlines() == [
        "Siaran “Rapat”: terkirim 40/40.",
        "Di WhatsApp: sampai ke HP 38, dibaca 12, gagal 2.",
    ]
    # Telegram says none of it: no such line, and no zero parts ever.
    assert "\n" not in reminders.progress_reply("Rapat", delivery.Progress(1, 40, sent=40)).text
    only_read = delivery.Progress(1, 40, sent=40, delivered=3, read=3)
    assert reminders.after_delivery_line(only_read) == "Di WhatsApp: sampai ke HP 3, dibaca 3."


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
        assert await reminders.report_broadcast_progress(session, broadcast_id, ended) == "finished"
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
        assert await reminders.report_broadcast_follow_up(session, broadcast_id, ended + timedelta(hours=1))
        assert not await reminders.report_broadcast_follow_up(session, broadcast_id, ended + timedelta(hours=1))
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
        assert await reminders.report_broadcast_progress(session, broadcast_id, ended) == "finished"
        await delivery_status.record_status(session, "whatsapp", "wamid.OLD", "read", ended)
    async with db.unit_of_work() as session:
        assert await delivery.broadcasts_to_follow_up(session, ended + timedelta(days=3)) == []
        assert await delivery.broadcasts_to_follow_up(session, ended + timedelta(days=1)) == [broadcast_id]


async def test_the_final_report_replaces_an_update_still_waiting(db: Database, program, town: Town):
    broadcast_id, rows = await _broadcast(db, town, 20)
    await _finish(db, rows[:10], "sent")
    async with db.unit_of_work() as session:
        assert await reminders.report_broadcast_progress(session, broadcast_id) == "progress"
    await _finish(db, rows[10:], "sent")
    async with db.unit_of_work() as session:
        assert await reminders.report_broadcast_progress(session, broadcast_id) == "finished"
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
            return await reminders.report_broadcast_progress(session, broadcast_id)

    async with db.unit_of_work() as first:
        assert await reminders.report_broadcast_progress(first, broadcast_id) == "finished"
        second = asyncio.create_task(check())
        await asyncio.sleep(0.5)
        assert not second.done()  # waits for the first to commit
    assert await second is None  # then sees the broadcast finished
    assert len(await _reports(db, town)) == 1


async def test_a_small_broadcast_gets_only_the_final_report(db: Database, program, town: Town):
    broadcast_id, rows = await _broadcast(db, town, 3)
    await _finish(db, rows[:2], "sent")
    async with db.unit_of_work() as session:
        assert await reminders.report_broadcast_progress(session, broadcast_id) is None
    await _finish(db, rows[2:], "sent")
    async with db.unit_of_work() as session:
        assert await reminders.report_broadcast_progress(session, broadcast_id) == "finished"
    assert await _reports(db, town) == [
        "Siaran “Rapat koordinasi hari Sabtu jam 09.00…” selesai: terkirim ke 3 dari 3 penerima."
    ]
    async with db.unit_of_work() as session:  # Telegram says nothing after a send: no later report
        assert await delivery.broadcasts_to_follow_up(session, utcnow() + timedelta(hours=2)) == []


async def _on_whatsapp_only(db: Database, person: Person, number: str) -> None:
    async with db.unit_of_work() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.person_id == person.id))
        identity.channel, identity.external_id = "whatsapp", number


async def test_whatsapp_reminders_are_spread_over_the_quota_most_urgent_first(db: Database, program, town: Town):
    slot_at = at("2026-04-01T08:00")
    # Both channels: Telegram, no quota.
    await add_person(db, "ketua_rt", person_id=town.ketua_a.id, chat=6281001, channel="whatsapp")
    await _on_whatsapp_only(db, town.dewi, "6281009")  # digest with late stages: overdue
    await _on_whatsapp_only(db, town.bendahara_a, "6281002")  # Pencairan Dana due this month
    newcomer = await add_person(db, "ketua_rt", rt=town.rt_late, chat=6281003, channel="whatsapp")  # overdue

    dry = await reminders.run_slot(
        db,
        program,
        reminders.service.slot_for_day(program, date(2026, 4, 1)),
        date(2026, 4, 1),
        now=slot_at,
        dry_run=True,
        daily_limit=1,
    )
    assert await _outbox(db) == []
    assert [(d.telegram, d.window, d.template, d.overdue) for d in dry.quota.days] == [
        (1, 0, 1, 2),  # Ketua RT A on Telegram (late Sosialisasi) and Dewi's digest
        (0, 0, 1, 1),  # the newcomer, overdue too
        (0, 0, 1, 0),  # the bendahara
    ]

    result = await reminders.run_due(db, program, slot_at, daily_limit=1)
    assert result.count("queued") == 4
    rows = {m.person_id: m for m in await _outbox(db)}
    assert rows[town.ketua_a.id].channel == "telegram"
    assert rows[town.dewi.id].next_attempt_at <= utcnow()
    assert rows[newcomer.id].next_attempt_at == slot_at + DAY
    assert rows[town.bendahara_a.id].next_attempt_at == slot_at + 2 * DAY
    assert [(d.template, d.overdue) for d in result.quota.days] == [(1, 2), (1, 1), (1, 0)]


def _reminder(program: Program, role: str, agendas: tuple[Agenda, ...]) -> Reminder:
    return Reminder(1, "Budi", role, "id", Slot(BULANAN, at("2026-09-01T08:00")), date(2026, 9, 1), agendas)


def test_a_ketua_rt_reminder_with_every_stage_late_fits_on_one_screen(program: Program):
    late = tuple(StageState(s, StageStatus.TERLAMBAT, s.months("A"), late=True) for s in program.stages)
    agenda = Agenda(1, "15.71.01.1001-001", "A", overdue=late)
    text = reminders.render(_reminder(program, "ketua_rt", (agenda,))).text
    assert text.startswith("Pengingat Kampung Bahagia September 2026 untuk RT 001 Kel. Simpang IV Sipin:")
    assert len(text) <= ONE_SCREEN, text


def test_the_digest_counts_only_what_is_there(program: Program):
    stages = program.stages
    agenda = Agenda(
        1,
        "15.71.01.1001-001",
        "A",
        sent_back=(StageState(stages[1], StageStatus.DIKEMBALIKAN, stages[1].months("A")),),
        waiting=(StageState(stages[2], StageStatus.MENUNGGU_TINJAUAN, stages[2].months("A")),),
    )
    text = reminders.render(_reminder(program, "pendamping", (agenda,))).text
    assert "• RT 001 Kel. Simpang IV Sipin: 1 dikembalikan, 1 menunggu diperiksa" in text
    assert "0 " not in text.replace("2026", "")
