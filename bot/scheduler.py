"""The clock: APScheduler 3 triggers in WIB; the database, not the scheduler, decides what is sent.

Two cron jobs fire at the program file's slots (`pengingat.bulanan`, `pengingat.susulan`). A check at start-up and
every few minutes runs the latest slot again if it is within the grace window — so a slot missed while the process
was down is still sent once when it comes back — and sends catch-ups to people who joined after the latest slot.
Every job does the same idempotent thing (`handlers.reminders.run_due`): reminder claims make repeats harmless,
so a restart, an overlap of the cron job and the check, or even a second clock never send a reminder twice.

A daily job at 03:00 WIB sweeps MEDIA_DIR of temporary and unreferenced files a day old (services/media_sweep.py).

Jobs live in memory only (no APScheduler job store): the program file is their single source, and APScheduler 3
must never share a job store between processes.
"""

import asyncio
import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.bootstrap import App
from handlers.reminders import RunResult, run_due
from services.media import MediaStore
from services.media_sweep import SweepResult, sweep
from services.models import utcnow

log = logging.getLogger(__name__)
CHECK_EVERY = timedelta(minutes=5)
SWEEP_AT_HOUR = 3  # WIB: the quietest hour


async def sweep_media(app: App, *, dry_run: bool = False) -> SweepResult:
    """The clock's daily job and `kampung-bahagia media sweep`. File ages are real time, never SIMULATED_START."""
    async with app.db.unit_of_work() as session:
        return await sweep(session, MediaStore(app.settings.media_dir), utcnow(), dry_run=dry_run)


class ReminderClock:
    def __init__(self, app: App) -> None:
        self.app = app
        self._running = asyncio.Lock()  # the cron job and the check may fire together: run one after the other

    def idle(self) -> asyncio.Lock:
        return self._running

    async def tick(self) -> RunResult | None:
        async with self._running:
            try:
                result = await run_due(
                    self.app.db, self.app.program, self.app.clock(), self.app.settings.whatsapp_daily_limit
                )
            except Exception:  # the next check tries again; claims keep it exactly-once
                log.exception("reminder run failed")
                return None
        counts = dict(result.counts)
        if counts.get("queued") or counts.get("no_channel"):
            log.info("reminders %s %s: %s", result.slot.kind, result.slot.period, counts)
        return result


def build_scheduler(app: App, clock: ReminderClock, *, check_every: timedelta = CHECK_EVERY) -> AsyncIOScheduler:
    zone = ZoneInfo(app.settings.time_zone)
    scheduler = AsyncIOScheduler(timezone=zone)
    common = {"coalesce": True, "max_instances": 1, "replace_existing": True}
    for kind, slot in (("bulanan", app.program.pengingat_bulanan), ("susulan", app.program.pengingat_susulan)):
        trigger = CronTrigger(day=slot.hari, hour=slot.jam.hour, minute=slot.jam.minute, timezone=zone)
        # A late firing is still right (the run is idempotent and grace-checked): never skip it as "misfired".
        scheduler.add_job(clock.tick, trigger, id=f"pengingat_{kind}", misfire_grace_time=None, **common)
    scheduler.add_job(
        clock.tick,
        IntervalTrigger(seconds=check_every.total_seconds(), timezone=zone),
        id="periksa_pengingat",
        next_run_time=utcnow().astimezone(zone),  # at start-up
        misfire_grace_time=None,
        **common,
    )
    scheduler.add_job(
        _sweep_job(app),
        CronTrigger(hour=SWEEP_AT_HOUR, minute=0, timezone=zone),
        id="sapu_media",
        misfire_grace_time=None,
        **common,
    )
    return scheduler


def _sweep_job(app: App):
    async def job() -> None:
        try:
            await sweep_media(app)
        except Exception:  # tomorrow's run tries again; nothing is lost by waiting
            log.exception("media sweep failed")

    return job


async def part(app: App, stop: asyncio.Event, clock: ReminderClock | None = None) -> None:
    """The clock as a part of the running service (`kampung-bahagia clock`, `kampung-bahagia run`)."""
    clock = clock or ReminderClock(app)
    scheduler = build_scheduler(app, clock)
    scheduler.start()
    try:
        await stop.wait()
    finally:
        # A run in progress finishes first (its claims commit with their messages): APScheduler's shutdown would
        # cancel it midway. Paused, the scheduler starts nothing new; a run still waiting for the lock is cancelled
        # before it did anything.
        scheduler.pause()
        async with clock.idle():
            scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # APScheduler shuts down on the loop's next turn
