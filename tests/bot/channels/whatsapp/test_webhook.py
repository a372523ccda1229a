"""`/webhook/whatsapp` on the real web app served by uvicorn, with the drain and the delivery worker running behind
it (tests/bot/channels/whatsapp/running.py): Meta's handshake, the signature guard, the 1 MB limit, and a message
delivered twice answered once. Real HTTP on 127.0.0.1, on SQLite and PostgreSQL."""

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.channels.whatsapp.webhook import PATH
from services.db import Database
from services.models import InboundUpdate
from services.program import Program
from tests.bot.channels.whatsapp.running import VERIFY_TOKEN, WhatsAppBot, running_whatsapp, texts
from tests.bot.test_processes import free_port
from tests.fakes.whatsapp_api import DEFAULT_APP_SECRET, DEFAULT_PHONE_NUMBER_ID, DEFAULT_TOKEN, FakeWhatsAppServer
from tests.handlers.conftest import load_roster

WA = "6281234500001"


@pytest.fixture
async def bot(database_url: str, program: Program, pepper: bytes, tmp_path: Path) -> AsyncIterator[WhatsAppBot]:
    async with (
        FakeWhatsAppServer() as fake,
        running_whatsapp(database_url, program, pepper, tmp_path, fake) as running,
    ):
        await load_roster(running.db, program)
        yield running


async def stored(bot: WhatsAppBot) -> int:
    async with bot.db.sessions() as session:
        return await session.scalar(select(func.count()).select_from(InboundUpdate))


def handshake(**params: str) -> dict[str, str]:
    return {f"hub.{key}": value for key, value in params.items()}


async def test_the_handshake_answers_the_challenge_only_to_our_token(bot: WhatsAppBot) -> None:
    async with httpx.AsyncClient() as http:
        right = await http.get(bot.url, params=handshake(mode="subscribe", verify_token=VERIFY_TOKEN, challenge="42"))
        assert (right.status_code, right.text) == (200, "42")
        for wrong in (
            handshake(mode="subscribe", verify_token="not-ours", challenge="42"),
            handshake(mode="unsubscribe", verify_token=VERIFY_TOKEN, challenge="42"),
            handshake(challenge="42"),
        ):
            response = await http.get(bot.url, params=wrong)
            assert response.status_code == 403 and "42" not in response.text


async def test_a_post_without_signature_is_401_with_a_wrong_one_403_and_nothing_is_stored(bot: WhatsAppBot) -> None:
    payload = bot.fake.text_webhook(WA, "halo")
    assert await bot.post(payload, signature=None) == 401
    assert await bot.post(payload, signature="wrong") == 403
    assert await bot.post(payload, signature="sha256=") == 403
    assert await bot.post(payload, signature="md5=abc") == 403
    assert await stored(bot) == 0
    assert bot.fake.sent(WA) == []


async def test_a_signed_post_is_stored_answered_200_and_the_person_answered(bot: WhatsAppBot) -> None:
    answer = await bot.deliver(WA, bot.fake.text_webhook(WA, "halo"))
    assert await stored(bot) == 1
    assert "kode undangan" in texts(answer).lower()  # an unknown number is asked for its invitation code


async def test_a_body_over_one_megabyte_is_413_signed_or_not(bot: WhatsAppBot) -> None:
    body = json.dumps(bot.fake.text_webhook(WA, "x" * (1024 * 1024))).encode()
    assert len(body) > 1024 * 1024

    async def chunks():  # sent without Content-Length: the limit holds for what is read, not what is announced
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    async with httpx.AsyncClient() as http:
        for sized in (True, False):
            for signature in (bot.fake.signature(body), bot.fake.signature(body, "not-the-app-secret")):
                headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
                response = await http.post(bot.url, content=body if sized else chunks(), headers=headers)
                assert response.status_code == 413
    assert await stored(bot) == 0
    assert bot.fake.sent(WA) == []


async def test_the_same_message_delivered_twice_is_answered_once(bot: WhatsAppBot) -> None:
    payload = bot.fake.text_webhook(WA, "halo")
    first = await bot.deliver(WA, payload)
    assert first
    again = await bot.deliver(WA, payload)  # Meta's redelivery: 200, and nothing more
    assert again == []
    assert await stored(bot) == 1
    # Even after the first was handled long ago, a third delivery is still the same message.
    assert await bot.deliver(WA, payload) == []


# ---- the real `kampung-bahagia web` process ------------------------------------------------------------------------
CLI = Path(sys.executable).parent / "kampung-bahagia"


def web_environment(database_url: str, tmp_path: Path, fake: FakeWhatsAppServer, port: int) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WHATSAPP_", "DATABASE_", "WEB_"))},
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "MEDIA_DIR": str(tmp_path / "media"),
        "SECRET_KEY": "wa-crash-test-key",
        "WHATSAPP_ACCESS_TOKEN": DEFAULT_TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": DEFAULT_PHONE_NUMBER_ID,
        "WHATSAPP_APP_SECRET": DEFAULT_APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_API_URL": fake.api_url,
        "WEB_PORT": str(port),
        "INBOUND_LEASE_SECONDS": "2",
    }


async def start_web(env: dict[str, str], name: str) -> subprocess.Popen:
    log = Path(env["DATA_DIR"]).parent / f"web-{name}.log"  # kept for reading when the test fails
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        process = subprocess.Popen([str(CLI), "web"], env=env, stdout=output, stderr=subprocess.STDOUT)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{env['WEB_PORT']}") as http, asyncio.timeout(60):
        while True:  # migrated and serving
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/healthz")).status_code == 200:
                    return process
            assert process.poll() is None, log.read_text()
            await asyncio.sleep(0.1)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_the_web_process_killed_after_answering_200_still_answers_once_after_restart(
    database_url: str, tmp_path: Path
) -> None:
    """`kampung-bahagia web` with WhatsApp on: a signed message answered 200, the process SIGKILLed while the drain is
    mid-work (held there by a lock the test takes on `processed_update`, which the engine's unit of work needs:
    PostgreSQL only, since SQLite's one write lock would also stop the webhook's own insert). After a restart the
    message is answered, once."""
    port = free_port()
    async with FakeWhatsAppServer() as fake:
        env = web_environment(database_url, tmp_path, fake, port)
        process = await start_web(env, "first")
        locker = create_async_engine(database_url)
        db = Database(database_url)
        try:
            async with locker.connect() as lock:
                await lock.execute(text("BEGIN"))
                await lock.execute(text("LOCK TABLE processed_update IN ACCESS EXCLUSIVE MODE"))
                status, _ = await fake.post_webhook(f"http://127.0.0.1:{port}{PATH}", fake.text_webhook(WA, "halo"))
                assert status == 200
                async with asyncio.timeout(10):  # the drain took it up and waits in the engine's unit of work
                    while True:
                        async with db.sessions() as session:
                            if await session.scalar(select(InboundUpdate.claimed_by)):
                                break
                        await asyncio.sleep(0.05)
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
                await lock.execute(text("ROLLBACK"))
            assert fake.sent(WA) == []  # killed before anything was answered

            process = await start_web(env, "second")
            await fake.wait_for_sent(1, timeout=20, to=WA)
            async with asyncio.timeout(10):
                while True:  # finished once the answer is out
                    async with db.sessions() as session:
                        row = await session.scalar(select(InboundUpdate))
                    if row.done_at is not None:
                        break
                    await asyncio.sleep(0.05)
            assert row.attempts == 2  # the dead process's claim, then the new one's
            await asyncio.sleep(0.5)
            answer = [texts([body]) for body in fake.sent(WA)]
            assert "kode undangan" in "\n".join(answer).lower()  # an unknown number is asked for its code
            assert len(answer) == len(set(answer)) == 1  # the one answer (the welcome), nothing twice
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                process.communicate(timeout=20)
            await db.dispose()
            await locker.dispose()
