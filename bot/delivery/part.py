"""The delivery worker as a part of the running service (`kampung-bahagia worker`, `kampung-bahagia run`)."""

import asyncio
import contextlib
import logging
from datetime import timedelta

from bot.bootstrap import App
from bot.channels import registry
from bot.channels.base import Sender
from bot.delivery.lease import AccountLease
from bot.delivery.progress import ProgressReporter
from bot.delivery.worker import ChannelWorker, WorkerConfig, worker_id

log = logging.getLogger(__name__)


def senders(app: App) -> list[tuple[Sender, WorkerConfig]]:
    """Every channel this process can deliver to, with its limits (bot/channels/registry.py)."""
    return registry.senders(app)


async def deliver(app: App, stop: asyncio.Event, channels: list[tuple[Sender, WorkerConfig]]) -> None:
    """For each channel account: send as it while this process holds its lease, stand by while another does (see
    bot/delivery/lease.py). The broadcast reporter runs in every worker process: its reports are idempotent."""
    lock = asyncio.Lock()
    reporter = ProgressReporter(app.db, lock)
    name = worker_id()
    tasks = [
        asyncio.create_task(serve_account(app, stop, sender, config, name, lock, reporter))
        for sender, config in channels
    ] + [asyncio.create_task(reporter.run(stop))]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sender, _config in channels:
            await sender.close()


async def serve_account(
    app: App,
    stop: asyncio.Event,
    sender: Sender,
    config: WorkerConfig,
    name: str,
    lock: asyncio.Lock,
    reporter: ProgressReporter,
) -> None:
    """Stand by until this process holds the account's send lease, then run its ChannelWorker until `stop` or the
    lease is lost (then stand by again)."""
    lease = AccountLease(app.db, config.account or sender.channel, name, db_lock=lock)
    standing_by = False
    while not stop.is_set():
        if not await lease.take():
            if not standing_by:
                log.info("send lease of %s held by another worker; worker %s stands by", lease.account, name)
                standing_by = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), lease.renew_every)
            continue
        standing_by = False
        log.info("send lease of %s taken by worker %s: it sends", lease.account, name)
        until, finished = asyncio.Event(), asyncio.Event()
        worker = ChannelWorker(app.db, sender, config, name=name, db_lock=lock, on_broadcast=reporter.touched)
        keeper = asyncio.create_task(lease.keep(stop, until, finished))
        try:
            await worker.run(until)  # returns once its claimed rows are sent or handed back
        finally:
            finished.set()
            held = await keeper
        if held:
            await lease.release()


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
