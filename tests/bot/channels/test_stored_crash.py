"""The web process killed with SIGKILL right after it answered a webhook 200, before the conversation work was
done: after a restart the message is still answered, once.

Real processes (`kampung-bahagia web`), a real PostgreSQL, real HTTP, the fake Bot API. "Before the work was done"
is made certain, not left to timing: the test holds a lock on `processed_update`, which the engine's unit of work
needs to claim the message, so the killed process is caught mid-work with its transaction open. (PostgreSQL only:
SQLite has one write lock for the whole file, which the webhook's own insert needs.)
"""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.channels.telegram.webhook import PATH, SECRET_HEADER
from services.db import Database
from services.models import InboundUpdate
from tests.bot.test_processes import free_port
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramServer

SECRET = "crash-test-secret"
CHAT = 7070
CLI = Path(sys.executable).parent / "kampung-bahagia"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer() as server:
        yield server


def environment(database_url: str, tmp_path: Path, fake: FakeTelegramServer, port: int) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WHATSAPP_"))},
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "MEDIA_DIR": str(tmp_path / "media"),
        "SECRET_KEY": "crash-test-key",
        "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_API_URL": fake.base_url,
        "TELEGRAM_WEBHOOK_URL": "https://bot.example.id/webhook/telegram",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "WEB_PORT": str(port),
        "INBOUND_LEASE_SECONDS": "2",
    }


async def start_web(env: dict[str, str], fake: FakeTelegramServer, calls_before: int) -> subprocess.Popen:
    log = Path(env["DATA_DIR"]).parent / f"web-{calls_before}.log"  # kept for reading when the test fails
    with log.open("w") as output:
        process = subprocess.Popen([str(CLI), "web"], env=env, stdout=output, stderr=subprocess.STDOUT)
    await fake.wait_for("setWebhook", timeout=30, after=calls_before)  # migrated, serving, webhook set
    return process


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_message_answered_200_survives_a_sigkill_before_its_work(
    database_url: str, tmp_path: Path, fake: FakeTelegramServer
) -> None:
    port = free_port()
    env = environment(database_url, tmp_path, fake, port)
    process = await start_web(env, fake, 0)
    locker = create_async_engine(database_url)
    db = Database(database_url)
    try:
        async with locker.connect() as lock:
            await lock.execute(text("BEGIN"))
            await lock.execute(text("LOCK TABLE processed_update IN ACCESS EXCLUSIVE MODE"))
            update = {"update_id": 1, **fake.message_update(CHAT, "halo")}
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                response = await http.post(PATH, json=update, headers={SECRET_HEADER: SECRET})
            assert response.status_code == 200
            claimed = None
            async with asyncio.timeout(10):  # the drain took it up and is stuck in the engine's unit of work
                while claimed is None:
                    async with db.sessions() as session:
                        claimed = await session.scalar(
                            select(InboundUpdate.claimed_by).where(InboundUpdate.claimed_by.is_not(None))
                        )
                    await asyncio.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            await lock.execute(text("ROLLBACK"))
        assert fake.sent_messages(CHAT) == []  # killed before anything was answered

        calls = len(fake.calls)
        process = await start_web(env, fake, calls)
        answer = await fake.wait_for(
            lambda call: call.method == "sendMessage" and call.params.get("chat_id") == CHAT, timeout=20, after=calls
        )
        assert "kode undangan" in answer.params["text"].lower()  # an unknown person is asked for their code
        async with asyncio.timeout(10):
            row = None
            while row is None or row.done_at is None:  # finished once the answer is out
                await asyncio.sleep(0.05)
                async with db.sessions() as session:
                    row = await session.scalar(select(InboundUpdate))
        assert row.attempts == 2  # the dead process's claim, then the new one's
        await asyncio.sleep(0.5)
        texts = [m["text"] for m in fake.sent_messages(CHAT)]
        assert len(texts) == len(set(texts)) == 1  # the one answer (the welcome), nothing twice
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=20)
        await db.dispose()
        await locker.dispose()
