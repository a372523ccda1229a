"""The single-machine service: migrations, demo data on the embedded default, then every part until stopped."""

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select

from bot import migrate
from bot.bootstrap import App, bootstrap
from bot.settings import Settings
from services import roster, wilayah
from services.demo import demo_roster
from services.models import RT

log = logging.getLogger("kampung_bahagia")

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


async def serve(settings: Settings, parts: list[Part], say: Callable[[str], None], texts: RunTexts) -> None:
    migrate_in_thread = asyncio.to_thread(migrate.upgrade, settings.database_url)
    await migrate_in_thread
    app = bootstrap(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await prepare(app, say, texts)
        tasks = [asyncio.create_task(part(app, stop)) for part in parts]
        await stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await app.close()
