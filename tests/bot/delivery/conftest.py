"""The real delivery worker and TelegramSender against the fake Bot API server, on both databases."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.channels.telegram.client import make_bot
from bot.channels.telegram.sender import TelegramSender
from bot.delivery.progress import ProgressReporter
from bot.delivery.worker import ChannelWorker, WorkerConfig
from services.db import Database
from services.models import OutboxMessage
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramServer

FAST = WorkerConfig(per_second=500, per_chat_per_second=50, poll_interval=0.05, backoff=0.05)


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer() as fake:
        yield fake


@pytest.fixture
async def sender(server: FakeTelegramServer, tmp_path: Path) -> AsyncIterator[TelegramSender]:
    bot = make_bot(DEFAULT_TOKEN, server.base_url, timeout=10)
    yield TelegramSender(bot, tmp_path / "media")
    await bot.session.close()


async def unfinished(db: Database) -> int:
    async with db.unit_of_work() as session:
        return await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status.in_(("pending", "sending")))
        )


async def run_until_done(
    db: Database, sender, config: WorkerConfig = FAST, *, timeout: float = 30, settle: float = 0.3
) -> ChannelWorker:
    """Run a worker (and the broadcast reporter) until the outbox is empty and stays empty for `settle` s."""
    stop = asyncio.Event()
    lock = asyncio.Lock()
    reporter = ProgressReporter(db, lock, interval=0.05)
    worker = ChannelWorker(db, sender, config, db_lock=lock, on_broadcast=reporter.touched)
    tasks = asyncio.gather(worker.run(stop), reporter.run(stop))
    try:
        async with asyncio.timeout(timeout):
            quiet_since = None
            while True:
                await asyncio.sleep(0.05)
                if await unfinished(db):
                    quiet_since = None
                    continue
                loop_time = asyncio.get_running_loop().time()
                quiet_since = quiet_since or loop_time
                if loop_time - quiet_since >= settle:
                    break
    finally:
        stop.set()
        await tasks
    return worker


def deliveries(server: FakeTelegramServer) -> Counter:
    return Counter(call["chat_id"] for call in server.sent_messages())
