"""The delivery worker as a part of the running service (`kampung-bahagia worker`, `kampung-bahagia run`)."""

import asyncio
import logging
from datetime import timedelta

from bot.bootstrap import App
from bot.channels import registry
from bot.channels.base import Sender
from bot.delivery.progress import ProgressReporter
from bot.delivery.worker import ChannelWorker, WorkerConfig, worker_id

log = logging.getLogger(__name__)


def senders(app: App) -> list[tuple[Sender, WorkerConfig]]:
    """Every channel this process can deliver to, with its limits (bot/channels/registry.py)."""
    return registry.senders(app)


async def deliver(app: App, stop: asyncio.Event, channels: list[tuple[Sender, WorkerConfig]]) -> None:
    """Run one worker per channel and the broadcast reporter until `stop`."""
    lock = asyncio.Lock()
    reporter = ProgressReporter(app.db, lock)
    name = worker_id()
    workers = [
        ChannelWorker(app.db, sender, config, name=name, db_lock=lock, on_broadcast=reporter.touched)
        for sender, config in channels
    ]
    tasks = [asyncio.create_task(w.run(stop)) for w in workers] + [asyncio.create_task(reporter.run(stop))]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sender, _config in channels:
            await sender.close()


def make_part(lease: timedelta | None = None):
    """A runner Part; `lease` overrides how long a claimed message is held before another run may take it."""

    async def part(app: App, stop: asyncio.Event) -> None:
        channels = senders(app)
        if lease is not None:
            channels = [(s, WorkerConfig(**{**c.__dict__, "lease": lease})) for s, c in channels]
        if not channels:
            log.warning("delivery worker: no channel configured (set TELEGRAM_BOT_TOKEN); outbox not delivered")
            await stop.wait()
            return
        await deliver(app, stop, channels)

    return part


part = make_part()
