import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest
from aiogram import Bot
from sqlalchemy import select

from bot.channels import direct
from bot.channels.direct import direct_send
from bot.channels.telegram.sender import TelegramSender
from bot.delivery.worker import ChannelWorker, WorkerConfig
from handlers.messages import Choice, Expect, Reply
from services.db import Database
from services.models import ChannelIdentity, OutboxMessage, Person, Role, utcnow
from tests.fakes.telegram_api import FakeTelegramServer

CHAT = 5151


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(direct, "BACKOFF_BASE", 0.01)


async def test_waits_out_flood_control_and_resumes(server: FakeTelegramServer, bot: Bot, tmp_path: Path) -> None:
    sender = TelegramSender(bot, tmp_path)
    server.fail_next("sendMessage", 2, 429, retry_after=1)
    result = await direct_send(sender, str(CHAT), [Reply("satu"), Reply("dua")])
    assert result.ok
    assert [m["text"] for m in server.sent_messages(CHAT)] == ["satu", "dua"]
    assert server.count_429 == 2


async def test_retry_resumes_without_duplicates(server: FakeTelegramServer, bot: Bot, tmp_path: Path) -> None:
    (tmp_path / "foto.jpg").write_bytes(b"\xff\xd8jpeg")
    server.fail_next("sendMessage", 1, 502, description="Bad Gateway")  # the photo goes, its text fails once
    result = await direct_send(
        TelegramSender(bot, tmp_path), str(CHAT), [Reply("Foto", attachments=(("foto.jpg", "photo"),))]
    )
    assert result.ok
    assert [m["_method"] for m in server.sent_messages(CHAT)] == ["sendPhoto", "sendMessage"]


async def test_gives_up_after_bounded_network_retries(tmp_path: Path) -> None:
    from bot.channels.telegram.client import make_bot

    bot = make_bot("1:X", "http://127.0.0.1:9", timeout=1)
    try:
        result = await direct_send(TelegramSender(bot, tmp_path), str(CHAT), [Reply("halo")])
    finally:
        await bot.session.close()
    assert not result.ok and result.retryable


async def test_blocked_person_is_marked_unreachable(
    server: FakeTelegramServer, bot: Bot, tmp_path: Path, db: Database
) -> None:
    async with db.unit_of_work() as session:
        person = Person(nama="Pak RT", role=Role.KETUA_RT)
        session.add(person)
        await session.flush()
        session.add(ChannelIdentity(person_id=person.id, channel="telegram", external_id=str(CHAT)))
    server.block_chat(CHAT)
    result = await direct_send(TelegramSender(bot, tmp_path), str(CHAT), [Reply("halo"), Reply("lagi")], db)
    assert result.unreachable
    assert len([c for c in server.calls if c.method == "sendMessage"]) == 1  # no retry, nothing after it
    async with db.unit_of_work() as session:
        identity = await session.scalar(select(ChannelIdentity))
        assert identity.unreachable_at is not None and "blocked" in identity.unreachable_reason


async def test_a_long_flood_wait_hands_the_rest_of_the_answer_to_the_outbox(
    server: FakeTelegramServer, bot: Bot, tmp_path: Path, db: Database
) -> None:
    """Telegram asks for more than a few seconds: the loop is not held up, and the worker sends it later."""
    (tmp_path / "foto.jpg").write_bytes(b"\xff\xd8jpeg")
    sender = TelegramSender(bot, tmp_path)
    server.fail_next("sendMessage", 1, 429, retry_after=6)  # the photo goes, its text is refused
    question = Reply("Kirim laporan ini?", (Choice("send", "Kirim"),), Expect.CHOICE, 7, (("foto.jpg", "photo"),))
    started = time.monotonic()
    result = await direct_send(sender, str(CHAT), [question, Reply("Ketik /batal untuk berhenti.")], db)
    assert time.monotonic() - started < direct.MAX_WAIT_HERE
    assert not result.ok and result.retry_after == 6
    async with db.unit_of_work() as session:
        queued = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [row.payload.get("_parts_done", 0) for row in queued] == [1, 0]  # the photo is not sent twice
    assert all(row.next_attempt_at > utcnow() + timedelta(seconds=5) for row in queued)

    stop = asyncio.Event()
    worker = asyncio.create_task(ChannelWorker(db, sender, WorkerConfig(poll_interval=0.1)).run(stop))
    try:
        await server.wait_for(lambda c: c.params.get("text") == "Ketik /batal untuk berhenti.", timeout=15)
    finally:
        stop.set()
        await asyncio.wait_for(worker, 10)
    sent = server.sent_messages(CHAT)
    assert [m["_method"] for m in sent] == ["sendPhoto", "sendMessage", "sendMessage"]
    assert sent[1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "7:send"  # still this question's


async def test_a_bad_request_is_not_handed_to_the_outbox(
    server: FakeTelegramServer, bot: Bot, tmp_path: Path, db: Database
) -> None:
    server.fail_next("sendMessage", 1, 400, description="Bad Request: can't parse entities")
    result = await direct_send(TelegramSender(bot, tmp_path), str(CHAT), [Reply("satu"), Reply("dua")], db)
    assert not result.ok
    async with db.unit_of_work() as session:
        assert list(await session.scalars(select(OutboxMessage))) == []  # retrying would only repeat it
