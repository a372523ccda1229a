"""The clock: cron slots in WIB from the program file, a check at start-up, and the database deciding."""

import asyncio
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from bot import scheduler
from bot.bootstrap import App
from bot.program_clock import program_clock
from bot.settings import Settings
from services.db import Database
from services.models import OutboxMessage, ReminderClaim, utcnow
from services.program import Program
from services.reminders import WIB
from tests.people import build_town


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def _app(db: Database | None, program: Program) -> App:
    settings = Settings(database_url=db.url) if db else Settings()
    return App(settings=settings, program=program, db=db, pepper=b"x")


async def _claims(db: Database) -> int:
    async with db.unit_of_work() as session:
        return await session.scalar(select(func.count()).select_from(ReminderClaim))


def test_cron_slots_come_from_the_program_file_in_wib(program: Program):
    sched = scheduler.build_scheduler(_app(None, program), scheduler.ReminderClock(None))
    jobs = {job.id: job for job in sched.get_jobs()}
    assert set(jobs) == {"pengingat_bulanan", "pengingat_susulan", "periksa_pengingat", "sapu_media"}
    now = at("2026-03-25T12:00")
    assert jobs["pengingat_bulanan"].trigger.get_next_fire_time(None, now) == at("2026-04-01T08:00")
    assert jobs["pengingat_susulan"].trigger.get_next_fire_time(None, now) == at("2026-04-20T08:00")
    assert jobs["periksa_pengingat"].trigger.interval == timedelta(minutes=5)
    assert jobs["sapu_media"].trigger.get_next_fire_time(None, now) == at("2026-03-26T03:00")  # daily, WIB


async def _run_part(app: App, seconds: float) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.part(app, stop))
    await asyncio.sleep(seconds)
    stop.set()
    await task


@pytest.mark.parametrize(
    ("started", "expected"),
    [
        ("2026-04-01T07:59", 0),  # before the slot: nothing yet (the cron job will send)
        ("2026-04-01T08:01", 3),  # just after it: the start-up check sends
        ("2026-04-03T07:00", 3),  # down for two days: still within the 3-day grace
        ("2026-04-04T09:00", 0),  # down too long: that slot is skipped
    ],
)
async def test_a_start_up_check_sends_the_latest_slot_within_the_grace(db, program, started, expected):
    await build_town(db, program)
    with time_machine.travel(at(started), tick=True):
        await _run_part(_app(db, program), 0.5)
        await _run_part(_app(db, program), 0.5)  # a restart sends nothing more
    assert await _claims(db) == expected


async def test_the_cron_job_fires_at_eight_wib(db, program):
    await build_town(db, program)
    with time_machine.travel(at("2026-04-01T07:59:59"), tick=True):
        stop = asyncio.Event()
        task = asyncio.create_task(scheduler.part(_app(db, program), stop))
        await asyncio.sleep(0.5)
        assert await _claims(db) == 0
        async with asyncio.timeout(5):
            while await _claims(db) < 3:
                await asyncio.sleep(0.1)
        stop.set()
        await task
    assert await _claims(db) == 3


async def test_two_clocks_at_once_send_each_reminder_once(db, program):
    await build_town(db, program)
    other = Database(db.url)
    stop = asyncio.Event()
    clocks: list[asyncio.Task] = []
    try:
        with time_machine.travel(at("2026-04-01T08:00:30"), tick=True):
            clocks = [asyncio.create_task(scheduler.part(_app(each, program), stop)) for each in (db, other)]
            # Wait for the work rather than a fixed time: on a loaded machine the start-up check can be slow.
            async with asyncio.timeout(15):
                while await _claims(db) < 3:
                    await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)  # time for a second sending, were the claim not exclusive
    finally:
        stop.set()
        await asyncio.gather(*clocks)
        await other.dispose()
    assert await _claims(db) == 3


async def test_stopping_lets_a_run_in_progress_finish(db, program):
    await build_town(db, program)
    app = _app(db, program)
    clock = scheduler.ReminderClock(app)
    stop = asyncio.Event()
    with time_machine.travel(at("2026-04-01T08:00:30"), tick=True):
        task = asyncio.create_task(scheduler.part(app, stop, clock))
        async with asyncio.timeout(5):
            while not clock.idle().locked():  # the start-up check is running
                await asyncio.sleep(0.001)
        stop.set()
        await task
    assert await _claims(db) == 3  # finished, not cancelled halfway


async def test_a_training_session_gets_the_reminders_of_its_simulated_day(db, program):
    """A workshop in March rehearsing 1 April: the reminders are due, and the worker (real time) may send them now."""
    await build_town(db, program)
    with time_machine.travel(at("2026-03-15T09:00"), tick=True):
        app = _app(db, program)
        app.clock = program_clock(at("2026-04-01T08:01"))  # SIMULATED_START
        await _run_part(app, 0.5)
        async with db.unit_of_work() as session:
            queued = list(await session.scalars(select(OutboxMessage)))
        assert await _claims(db) == 3 and len(queued) == 3
        assert all(row.next_attempt_at <= utcnow() for row in queued)
