"""Answers are outbox rows written with their work (issue 14, "No reply lost, none doubled, in order"), end to end.

Real processes (`kampung-bahagia run`: long polling, the delivery worker), the real database (both kinds), the fake
Bot API over real HTTP.

- A crash after the commit and before the send: the armed fault point (bot/faults.py, `KB_FAULT`) kills the process
  with SIGKILL right there, so "between the commit and the send" is certain, not left to timing. After a restart
  the answer arrives exactly once: Telegram delivers the update again (its offset was never confirmed), the claim
  made with the work drops it, and the worker sends the row the dead process left.
- Order: an answer handed to the outbox (a flood wait too long to wait out in place) is not overtaken by the next
  answer of the same person, which is queued behind it instead of going out directly.
"""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from services.db import Database
from services.models import OutboxMessage, ProcessedUpdate
from services.outbox import ANSWER, ANSWERING, SENT
from tests.bot.test_processes import free_port
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramServer

CHAT = 7171
CLI = Path(sys.executable).parent / "kampung-bahagia"
GRACE = 1.0  # REPLY_GRACE_SECONDS: how long the worker leaves an answer to the process that made it


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer(max_poll_timeout=0.5) as server:
        yield server


def environment(database_url: str, tmp_path: Path, fake: FakeTelegramServer, **extra: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WHATSAPP_", "KB_FAULT"))},
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "MEDIA_DIR": str(tmp_path / "media"),
        "SECRET_KEY": "reply-outbox-test-key",
        "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_API_URL": fake.base_url,
        "WEB_PORT": str(free_port()),
        "REPLY_GRACE_SECONDS": str(GRACE),
        **extra,
    }


async def start(env: dict[str, str], fake: FakeTelegramServer, name: str) -> subprocess.Popen:
    log = Path(env["DATA_DIR"]).parent / f"{name}.log"  # kept for reading when the test fails
    calls = len(fake.calls)
    with log.open("w") as output:
        process = subprocess.Popen([str(CLI), "run"], env=env, stdout=output, stderr=subprocess.STDOUT)
    await fake.wait_for("getUpdates", timeout=40, after=calls)  # migrated, polling
    return process


async def ended(process: subprocess.Popen, timeout: float) -> int:
    """Its exit code, waited for without blocking the loop the fake server answers on."""
    async with asyncio.timeout(timeout):
        while process.poll() is None:
            await asyncio.sleep(0.05)
    return process.returncode


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def answers_to(fake: FakeTelegramServer) -> list[str]:
    return [call.params["text"] for call in fake.calls if call.method == "sendMessage" and call.error_code is None]


async def rows(database_url: str) -> list[OutboxMessage]:
    db = Database(database_url)
    try:
        async with db.sessions() as session:
            return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    finally:
        await db.dispose()


async def test_an_answer_killed_between_commit_and_send_arrives_once_after_a_restart(
    database_url: str, tmp_path: Path, fake: FakeTelegramServer
) -> None:
    env = environment(database_url, tmp_path, fake)
    process = await start({**env, "KB_FAULT": "after_commit_before_send"}, fake, "armed")
    try:
        fake.push_update(fake.message_update(CHAT, "halo"))
        assert await ended(process, 30) == -signal.SIGKILL  # it died at the fault point
    finally:
        stop(process)
    assert answers_to(fake) == []  # killed before anything was sent
    left = await rows(database_url)
    assert [(row.status, row.external_id, row.payload.get(ANSWER)) for row in left] == [(ANSWERING, str(CHAT), True)]
    db = Database(database_url)
    try:
        async with db.sessions() as session:
            assert await session.scalar(select(ProcessedUpdate.update_id)) == "1"  # committed with the work
    finally:
        await db.dispose()

    process = await start(env, fake, "restarted")
    try:
        await fake.wait_for(lambda c: c.method == "sendMessage" and c.params.get("chat_id") == CHAT, timeout=30)
        await fake.wait_for(lambda c: c.method == "getUpdates", timeout=10, after=len(fake.calls))
        await fake.wait_for(lambda c: c.method == "getUpdates", timeout=10, after=len(fake.calls))
        sent = answers_to(fake)
    finally:
        stop(process)
    assert len(sent) == 1  # exactly once: the redelivered update was dropped by its claim, the row sent once
    assert "kode undangan" in sent[0].lower()  # the answer to "halo" from a stranger: asked for their code
    assert [row.status for row in await rows(database_url)] == [SENT]


async def test_an_answer_handed_to_the_outbox_is_not_overtaken_by_the_next_one(
    database_url: str, tmp_path: Path, fake: FakeTelegramServer
) -> None:
    env = environment(database_url, tmp_path, fake)
    process = await start(env, fake, "order")
    try:
        # Longer than the direct path waits in place (5 s): the first answer goes to the outbox for 6 s.
        fake.fail_next("sendMessage", error_code=429, retry_after=6)
        fake.push_update(fake.message_update(CHAT, "halo"))
        async with asyncio.timeout(20):  # (wait_for sees only calls that succeeded)
            while not any(c.method == "sendMessage" and c.error_code == 429 for c in fake.calls):
                await asyncio.sleep(0.05)
        fake.push_update(fake.message_update(CHAT, "/bahasa"))
        await fake.wait_for(lambda c: c.method == "sendMessage" and c.error_code is None, timeout=20)
        await fake.wait_for(
            lambda c: c.method == "sendMessage" and c.error_code is None, timeout=20, after=len(fake.calls)
        )
        sent = answers_to(fake)
    finally:
        stop(process)
    assert len(sent) == 2
    first, second = sent
    assert "kode undangan" in first.lower()  # "halo": its answer waited 6 s in the outbox …
    assert "bahasa" in second.lower()  # … and the answer to /bahasa, made later, went after it
    assert [row.status for row in await rows(database_url)] == [SENT, SENT]
