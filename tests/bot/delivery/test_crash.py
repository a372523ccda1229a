"""Kill the worker process (SIGKILL) in the middle of a broadcast, start it again: nobody is lost, nobody gets it
twice — except, possibly, the messages the dead worker had in flight (the documented window)."""

import asyncio
import os
import random
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from services import delivery
from services.db import Database
from services.models import OutboxMessage
from services.program import Program
from tests.bot.delivery.conftest import deliveries, unfinished
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramServer
from tests.people import add_person, build_town

EXECUTABLE = Path(sys.executable).parent / "kampung-bahagia"
RECIPIENTS = 120
CHATS = 1000
LEASE = 2


async def start_worker(tmp_path: Path, database_url: str, server: FakeTelegramServer) -> asyncio.subprocess.Process:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TELEGRAM_")}
    env |= {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "DATA_DIR": str(tmp_path / "data"),
        "MEDIA_DIR": str(tmp_path / "media"),
        "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_API_URL": server.base_url,
        "TELEGRAM_RATE_PER_SECOND": "30",
    }
    return await asyncio.create_subprocess_exec(
        str(EXECUTABLE),
        "worker",
        "--lease-seconds",
        str(LEASE),
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.slow
async def test_sigkill_mid_broadcast_then_restart_delivers_each_once(
    db: Database, program: Program, database_url: str, tmp_path: Path
) -> None:
    await build_town(db, program)
    # Pendamping: many recipients, and an RT has only one Ketua RT.
    people = [await add_person(db, "pendamping", chat=CHATS + n) for n in range(RECIPIENTS)]
    async with db.unit_of_work() as session:
        await delivery.queue_broadcast(
            session, text="Rapat", recipients=people, payload={"text": "Rapat"}, created_by="test"
        )
    async with FakeTelegramServer() as server:
        server.enforce_rate(30, 1)
        worker = await start_worker(tmp_path, database_url, server)
        # A random moment once sending is under way (≈4 s of sending at 30/s).
        await server.wait_for("sendMessage", timeout=30)
        await asyncio.sleep(random.uniform(0.2, 2.5))
        worker.send_signal(signal.SIGKILL)
        await worker.wait()
        async with db.unit_of_work() as session:
            in_flight = set(
                await session.scalars(select(OutboxMessage.external_id).where(OutboxMessage.status == "sending"))
            )
        before = sum(deliveries(server).values())
        assert 0 < before < RECIPIENTS

        worker = await start_worker(tmp_path, database_url, server)
        try:
            async with asyncio.timeout(60):
                while await unfinished(db):
                    await asyncio.sleep(0.2)
        finally:
            worker.send_signal(signal.SIGTERM)
            _out, err = await worker.communicate()
        assert worker.returncode == 0, err.decode()[-2000:]

    counts = deliveries(server)
    lost = [CHATS + n for n in range(RECIPIENTS) if counts[CHATS + n] == 0]
    twice = {str(chat) for chat, count in counts.items() if count > 1}
    assert lost == []
    assert max(counts.values()) <= 2
    # Only a message the killed worker had in flight can have reached Telegram twice.
    assert twice <= in_flight, (twice, in_flight)
    assert server.count_429 == 0
