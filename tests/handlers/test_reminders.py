"""Reminder runs as the clock and the CLI do them: restarts, grace window, catch-ups, two schedulers, texts."""

import asyncio
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from handlers import reminders
from services.db import Database
from services.models import ChannelIdentity, OutboxMessage, Person, ReminderClaim, utcnow
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
