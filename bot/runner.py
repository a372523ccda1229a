"""The single-machine service: migrations, demo data on the embedded default, then every part until stopped."""

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select

from bot import heap, migrate
from bot.bootstrap import App, bootstrap
from bot.settings import Settings
from services import roster, wilayah
from services.demo import demo_roster
from services.models import RT

log = logging.getLogger("kampung_bahagia")

STOP_GRACE_SECONDS = 10

# A part of the running service (a channel, the scheduler, the delivery worker): runs until cancelled.
Part = Callable[[App, asyncio.Event], Awaitable[None]]


async def prepare(app: App, say: Callable[[str], None], texts: "RunTexts") -> None:
    """Reference data always; the demo roster only on the embedded default with an empty database."""
    async with app.db.unit_of_work() as session:
        await wilayah.ensure_wilayah(session)
        has_rts = await session.scalar(select(func.count()).select_from(RT))
        if has_rts == 0 and app.settings.is_embedded_default:
            table = demo_roster()
            rows = roster.validate_rows(table, await roster.known_kelurahan(session), app.program)
            summary = await roster.import_rows(session, rows, actor="run:demo")
            say(texts.demo_loaded(summary.created))
        elif has_rts == 0:
            say(texts.empty_roster())


class RunTexts:
    """What `run` tells the operator; the CLI fills it with translated sentences (keeps this module text-free)."""

    def demo_loaded(self, count: int) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def empty_roster(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


def _report_early_end(task: asyncio.Task, stop: asyncio.Event) -> None:
    if stop.is_set() or task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.error("a part of the service stopped with an error", exc_info=error)
    else:
        log.warning("a part of the service ended before the service was stopped")


async def serve(settings: Settings, parts: list[Part], say: Callable[[str], None], texts: RunTexts) -> None:
    migrate_in_thread = asyncio.to_thread(migrate.upgrade, settings.database_url)
    await migrate_in_thread
    app = bootstrap(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    settling = heap.settle_soon(loop)
    try:
        await prepare(app, say, texts)
        tasks = [asyncio.create_task(part(app, stop)) for part in parts]
        for task in tasks:
            task.add_done_callback(lambda t: _report_early_end(t, stop))
        await stop.wait()
        # Parts finish on `stop` by themselves (the worker hands back what it claimed, records what it sent);
        # only one that does not within the grace period is cancelled.
        _done, stuck = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS) if tasks else (set(), set())
        for task in stuck:
            log.warning("a part did not stop within %s s; cancelling it", STOP_GRACE_SECONDS)
            task.cancel()
        await asyncio.gather(*stuck, return_exceptions=True)
    finally:
        settling.cancel()
        await app.close()
