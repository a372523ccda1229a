"""Who hears what across the whole 2026 programme year, and the claim that makes each reminder go out once."""

import asyncio
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from services import reminders
from services.db import Database
from services.models import OutboxMessage, ReminderClaim, ReportStatus
from services.program import Program
from tests.people import Town, add_person, build_town, report

WIB = reminders.WIB


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


@pytest.fixture
async def town(db: Database, program: Program) -> Town:
    return await build_town(db, program)


async def _plan(db: Database, program: Program, day: date, **kwargs) -> dict[int, reminders.Reminder]:
    slot = reminders.slot_for_day(program, day)
    async with db.unit_of_work() as session:
        return {r.person_id: r for r in await reminders.plan(session, program, slot, day, **kwargs)}


def _codes(states) -> list[str]:
    return [s.stage.kode for s in states]


async def test_a_whole_year_each_kelompok_hears_from_its_window_to_the_year_end(
    db: Database, program: Program, town: Town
):
    heard: dict[str, list[str]] = {"ketua_a": [], "bendahara_a": [], "ketua_b": [], "bendahara_b": [], "dewi": []}
    for month in range(1, 13):
        for day in (1, 20):
            plan = await _plan(db, program, date(2026, month, day))
            for name in heard:
                if getattr(town, name).id in plan:
                    heard[name].append(f"{month:02d}-{day:02d}")
    months = lambda *ms: [f"{m:02d}-{d:02d}" for m in ms for d in (1, 20)]  # noqa: E731
    # Nothing is ever reported here: after July Kelompok A is still chased for everything overdue.
    assert heard["ketua_a"] == months(*range(1, 13))
    assert heard["ketua_b"] == months(8, 9, 10, 11, 12)  # nothing in March, nothing before August
    assert heard["bendahara_a"] == months(*range(4, 13))  # funds (April) and LPJ (June), then overdue
    assert heard["bendahara_b"] == months(10, 11, 12)
    assert heard["dewi"] == [f"{m:02d}-01" for m in range(1, 13)]  # the digest, on the 1st only
    # January 2027: both windows are over.
    assert await _plan(db, program, date(2027, 1, 1)) == {}


async def test_content_follows_the_timeline_and_real_status(db: Database, program: Program, town: Town):
    jan = (await _plan(db, program, date(2026, 1, 1)))[town.ketua_a.id].agendas[0]
    assert _codes(jan.opening) == ["sosialisasi"] and not jan.overdue
    await report(db, town.rt_a, "sosialisasi", by=town.ketua_a)
    feb = (await _plan(db, program, date(2026, 2, 1)))[town.ketua_a.id].agendas[0]
    assert _codes(feb.opening) == ["rembuk_warga", "pembentukan_pokja", "pemetaan_swadaya", "rencana_kerja"]
    assert not feb.overdue
    await report(db, town.rt_a, "rembuk_warga", ReportStatus.DIKEMBALIKAN, by=town.ketua_a)
    await report(db, town.rt_a, "pembentukan_pokja", ReportStatus.MENUNGGU_TINJAUAN, by=town.ketua_a)
    feb20 = (await _plan(db, program, date(2026, 2, 20)))[town.ketua_a.id].agendas[0]
    assert _codes(feb20.sent_back) == ["rembuk_warga"] and _codes(feb20.waiting) == ["pembentukan_pokja"]
    mar = await _plan(db, program, date(2026, 3, 1))
    agenda = mar[town.ketua_a.id].agendas[0]
    assert _codes(agenda.opening) == ["proposal"]
    assert _codes(agenda.overdue) == ["rembuk_warga", "pemetaan_swadaya", "rencana_kerja"]
    assert town.ketua_b.id not in mar and town.bendahara_a.id not in mar
    june = (await _plan(db, program, date(2026, 6, 1)))[town.bendahara_a.id].agendas[0]
    assert _codes(june.opening) == ["lpj"] and _codes(june.overdue) == ["pencairan_dana"]
    sept = await _plan(db, program, date(2026, 9, 1))
    assert _codes(sept[town.ketua_b.id].agendas[0].overdue) == ["sosialisasi"]
    # Past Kelompok A's window: only what is overdue, and the LPJ is still chased.
    late_a = sept[town.ketua_a.id].agendas[0]
    assert not (late_a.opening or late_a.due) and "lpj" in _codes(late_a.overdue)
    assert "lpj" in _codes(sept[town.bendahara_a.id].agendas[0].overdue)


async def test_past_the_window_a_fully_reported_rt_hears_nothing(db: Database, program: Program, town: Town):
    for stage in program.stages:
        await report(db, town.rt_a, stage.kode, by=town.ketua_a)
    sept = await _plan(db, program, date(2026, 9, 1))
    assert town.ketua_a.id not in sept and town.bendahara_a.id not in sept
    # Dewi's digest keeps the Kelompok A RT still overdue (no Ketua RT registered), not the finished one.
    assert town.rt_a.kode not in [a.rt_kode for a in sept[town.dewi.id].agendas]
    assert town.rt_late.kode in [a.rt_kode for a in sept[town.dewi.id].agendas]
    assert await _plan(db, program, date(2027, 1, 1)) == {}  # the program year is over


async def test_pendamping_digest_after_the_window_puts_overdue_first(db: Database, program: Program, town: Town):
    for stage in program.stages[:-1]:
        await report(db, town.rt_a, stage.kode, by=town.ketua_a)
    digest = (await _plan(db, program, date(2026, 9, 1)))[town.dewi.id]
    # RT 3 (nothing reported) before RT 1 (only the LPJ overdue); RT 2 (Kelompok B) is due in September.
    codes = [a.rt_kode for a in digest.agendas]
    assert codes.index(town.rt_late.kode) < codes.index(town.rt_a.kode)
    assert _codes(next(a for a in digest.agendas if a.rt_kode == town.rt_a.kode).overdue) == ["lpj"]


async def test_only_waiting_for_review_is_nothing_due(db: Database, program: Program, town: Town):
    await report(db, town.rt_a, "sosialisasi", ReportStatus.MENUNGGU_TINJAUAN, by=town.ketua_a)
    plan = await _plan(db, program, date(2026, 1, 20))
    assert town.ketua_a.id not in plan


async def test_pendamping_digest_is_ordered_by_urgency(db: Database, program: Program, town: Town):
    await report(db, town.rt_a, "sosialisasi", by=town.ketua_a)
    digest = (await _plan(db, program, date(2026, 2, 1)))[town.dewi.id]
    assert [a.rt_kode for a in digest.agendas] == [town.rt_late.kode, town.rt_a.kode]  # one late stage first
    assert digest.unregistered == (town.rt_late.kode,)
    assert digest.kind == "bulanan" and digest.period == "2026-02"


async def test_rt_filter(db: Database, program: Program, town: Town):
    plan = await _plan(db, program, date(2026, 4, 1), rt_kode=town.rt_a.kode)
    assert set(plan) == {town.ketua_a.id, town.bendahara_a.id, town.dewi.id}
    assert [a.rt_kode for a in plan[town.dewi.id].agendas] == [town.rt_a.kode]


async def test_late_joiners_are_catch_ups(db: Database, program: Program, town: Town):
    late = await add_person(db, "ketua_rt", rt=town.rt_late, chat=33, joined=at("2026-03-05T10:00"))
    plan = await _plan(db, program, date(2026, 3, 5))
    assert plan[late.id].catch_up and plan[late.id].slot.at == at("2026-03-01T08:00")
    assert not plan[town.ketua_a.id].catch_up


def test_slots_in_wib(program: Program):
    assert reminders.latest_slot(program, at("2026-04-01T07:59")).at == at("2026-03-20T08:00")
    slot = reminders.latest_slot(program, at("2026-04-01T08:01"))
    assert (slot.kind, slot.period, slot.at) == ("bulanan", "2026-04", at("2026-04-01T08:00"))
    assert reminders.latest_slot(program, at("2026-04-25T00:00")).kind == "susulan"
    assert reminders.within_grace(program, slot, at("2026-04-03T08:01"))
    assert not reminders.within_grace(program, slot, at("2026-04-04T08:01"))
    assert reminders.latest_slot(program, at("2026-01-01T01:00")).at == at("2025-12-20T08:00")
    assert reminders.slot_for_day(program, date(2026, 4, 19)).kind == "bulanan"
    assert reminders.slot_for_day(program, date(2026, 4, 20)).kind == "susulan"


async def test_a_claim_is_taken_once_even_concurrently(db: Database, program: Program, town: Town):
    other = Database(db.url)
    try:
        plans = [await _plan(d, program, date(2026, 4, 1)) for d in (db, other)]

        async def claim_all(database: Database, plan) -> int:
            async with database.unit_of_work() as session:
                return sum([await reminders.claim(session, r, {"text": "x"}) for r in plan.values()])

        counts = await asyncio.gather(claim_all(db, plans[0]), claim_all(other, plans[1]))
    finally:
        await other.dispose()
    assert sorted(counts) == [0, 3]  # Ketua RT and bendahara of RT A, and Dewi's digest
    async with db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(ReminderClaim)) == 3
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
        claims = list(await session.scalars(select(ReminderClaim)))
        assert all(c.outbox_id for c in claims)
    plan = await _plan(db, program, date(2026, 4, 2))
    assert all(r.claimed for r in plan.values())
