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


def _part_ended(task: asyncio.Task, stop: asyncio.Event, one_ends_all: bool) -> None:
    if stop.is_set() or task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.error("a part of the service stopped with an error", exc_info=error)
    else:
        log.warning("a part of the service ended before the service was stopped")
    if one_ends_all:
        stop.set()


async def run_parts(app: App, parts: list[Part], *, one_ends_all: bool) -> None:
    """Run the parts until SIGINT/SIGTERM, then give them STOP_GRACE_SECONDS to finish; the one lifecycle of
    `run` and of the separate `web` / `worker` / `clock` processes.

    `one_ends_all`: a separate process has one job, so a part that ends early ends the process (with its error,
    for systemd to restart it); in `run` the other parts carry on and the early end is logged.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    settling = heap.settle_soon(loop)
    try:
        tasks = [asyncio.create_task(part(app, stop)) for part in parts]
        for task in tasks:
            task.add_done_callback(lambda t: _part_ended(t, stop, one_ends_all))
        await stop.wait()
        # Parts finish on `stop` by themselves (the worker hands back what it claimed, records what it sent);
        # only one that does not within the grace period is cancelled.
        _done, stuck = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS) if tasks else (set(), set())
        for task in stuck:
            log.warning("a part did not stop within %s s; cancelling it", STOP_GRACE_SECONDS)
            task.cancel()
        await asyncio.gather(*stuck, return_exceptions=True)
        failed = [t.exception() for t in tasks if t.done() and not t.cancelled() and t.exception() is not None]
        if one_ends_all and failed:
            raise failed[0]
    finally:
        settling.cancel()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def serve(settings: Settings, parts: list[Part], say: Callable[[str], None], texts: RunTexts) -> None:
    migrate_in_thread = asyncio.to_thread(migrate.upgrade, settings.database_url)
    await migrate_in_thread
    app = bootstrap(settings)
    try:
        await prepare(app, say, texts)
        await run_parts(app, parts, one_ends_all=False)
    finally:
        await app.close()
