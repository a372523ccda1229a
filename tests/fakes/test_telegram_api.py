"""Drives the fake Bot API with aiogram's real Bot so the fake stays wire-compatible with it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import BotCommand, BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from .telegram_api import DEFAULT_TOKEN, FakeTelegramServer

CHAT = 5550001


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer(max_poll_timeout=0.5) as srv:
        yield srv


@pytest.fixture
async def bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    bot = Bot(DEFAULT_TOKEN, session=session)
    yield bot
    await bot.session.close()


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.is_bot
    assert me.username == "kampung_bahagia_bot"


async def test_wrong_token_is_unauthorized(server: FakeTelegramServer) -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    other = Bot("999:WRONG", session=session)
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await other.get_me()
    finally:
        await other.session.close()


async def test_send_message_is_recorded_with_decoded_params(server: FakeTelegramServer, bot: Bot) -> None:
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Ya", callback_data="yes")]])
    first = await bot.send_message(CHAT, "123", reply_markup=markup)  # numeric text must stay a string
    second = await bot.send_message(CHAT, "kedua")
    assert second.message_id == first.message_id + 1
    assert first.reply_markup is not None
    assert first.reply_markup.inline_keyboard[0][0].callback_data == "yes"

    sent = server.sent_messages(CHAT)
    assert [m["text"] for m in sent] == ["123", "kedua"]
    assert sent[0]["chat_id"] == CHAT
    assert sent[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"
    assert [m["text"] for m in server.chat_log(CHAT)] == ["123", "kedua"]
    assert server.sent_messages(CHAT + 1) == []


async def test_edit_message_text_and_not_modified(server: FakeTelegramServer, bot: Bot) -> None:
    msg = await bot.send_message(CHAT, "lama")
    edited = await bot.edit_message_text(text="baru", chat_id=CHAT, message_id=msg.message_id)
    assert not isinstance(edited, bool)
    assert edited.text == "baru"
    with pytest.raises(TelegramBadRequest, match="not modified"):
        await bot.edit_message_text(text="baru", chat_id=CHAT, message_id=msg.message_id)
    with pytest.raises(TelegramBadRequest, match="not found"):
        await bot.edit_message_text(text="x", chat_id=CHAT, message_id=999)


async def test_get_updates_offset_semantics(server: FakeTelegramServer, bot: Bot) -> None:
    u1 = server.push_update(server.message_update(CHAT, "/start"))
    u2 = server.push_update(server.callback_update(CHAT, "menu:1", message_id=1))
    assert u2["update_id"] == u1["update_id"] + 1

    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [u1["update_id"], u2["update_id"]]
    assert updates[0].message is not None and updates[0].message.text == "/start"
    assert updates[1].callback_query is not None and updates[1].callback_query.data == "menu:1"

    # Unconfirmed updates are redelivered; offset = last + 1 confirms them.
    assert len(await bot.get_updates()) == 2
    assert await bot.get_updates(offset=u2["update_id"] + 1) == []
    assert await bot.get_updates() == []


async def test_get_updates_long_poll_wakes_on_push(server: FakeTelegramServer, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    server.push_update(server.message_update(CHAT, "halo"))
    updates = await asyncio.wait_for(poll, 1)
    assert updates[0].message is not None and updates[0].message.text == "halo"


async def test_get_updates_timeout_is_capped(bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=30) == []
    assert loop.time() - started < 2  # fixture caps long-polls at 0.5 s


async def test_get_file_and_download(server: FakeTelegramServer, bot: Bot) -> None:
    content = b"\x89PNG fake image bytes"
    server.add_file("photo-abc", content, "photos/abc.png")
    server.push_update(server.photo_update(CHAT, "photo-abc", media_group_id="g1", caption="foto"))
    (update,) = await bot.get_updates()
    assert update.message is not None and update.message.photo is not None
    assert update.message.media_group_id == "g1"

    file = await bot.get_file(update.message.photo[-1].file_id)
    assert file.file_path == "photos/abc.png"
    assert file.file_size == len(content)
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == content

    with pytest.raises(TelegramBadRequest):
        await bot.get_file("missing")


async def test_send_photo_upload_is_downloadable(server: FakeTelegramServer, bot: Bot) -> None:
    msg = await bot.send_photo(CHAT, BufferedInputFile(b"\xff\xd8jpegdata", "rekap.jpg"), caption="rekap")
    assert msg.photo is not None and msg.caption == "rekap"
    (sent,) = server.sent_messages(CHAT)
    assert sent["photo"]["content"] == b"\xff\xd8jpegdata"
    file = await bot.get_file(msg.photo[-1].file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == b"\xff\xd8jpegdata"


async def test_fail_next_429_raises_retry_after(server: FakeTelegramServer, bot: Bot) -> None:
    server.fail_next("sendMessage", count=1, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as exc_info:
        await bot.send_message(CHAT, "satu")
    assert exc_info.value.retry_after == 3
    assert server.count_429 == 1
    await bot.send_message(CHAT, "dua")  # only the next call fails
    assert [m["text"] for m in server.sent_messages()] == ["dua"]
    assert server.calls[-2].error_code == 429


async def test_enforce_rate_per_chat(server: FakeTelegramServer, bot: Bot) -> None:
    server.enforce_rate(per_second=100, per_chat_per_second=1)
    await bot.send_message(CHAT, "a")
    await bot.send_message(CHAT + 1, "other chat is independent")
    with pytest.raises(TelegramRetryAfter) as exc_info:
        await bot.send_message(CHAT, "b")
    assert exc_info.value.retry_after >= 1
    assert server.count_429 == 1


async def test_enforce_rate_global(server: FakeTelegramServer, bot: Bot) -> None:
    server.enforce_rate(per_second=3)
    results = await asyncio.gather(*(bot.send_message(CHAT + i, "x") for i in range(5)), return_exceptions=True)
    assert sum(isinstance(r, TelegramRetryAfter) for r in results) == 2
    assert server.count_429 == 2
    server.enforce_rate(None)
    await bot.send_message(CHAT, "unlimited again")


async def test_blocked_chat_raises_forbidden(server: FakeTelegramServer, bot: Bot) -> None:
    server.block_chat(CHAT)
    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await bot.send_message(CHAT, "halo")
    await bot.send_message(CHAT + 1, "halo")
    server.unblock_chat(CHAT)
    await bot.send_message(CHAT, "halo")


async def test_commands_webhook_and_unknown_methods(server: FakeTelegramServer, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Mulai")])
    assert server.commands[""] == [{"command": "start", "description": "Mulai"}]
    assert await bot.delete_my_commands()
    assert await bot.answer_callback_query("42", text="ok")
    assert await bot.send_chat_action(CHAT, "typing")  # not modelled: ok, but recorded
    assert server.calls[-1].method == "sendChatAction"

    assert await bot.set_webhook("https://example.invalid/hook")
    assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
    with pytest.raises(TelegramConflictError):
        await bot.get_updates()
    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""


async def test_wait_for_sees_later_calls(server: FakeTelegramServer, bot: Bot) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(CHAT, "nanti")

    task = asyncio.create_task(later())
    call = await server.wait_for(lambda c: c.params.get("text") == "nanti", timeout=2)
    assert call.method == "sendMessage"
    await task
    with pytest.raises(TimeoutError):
        await server.wait_for("sendDocument", timeout=0.05)


async def test_control_api(server: FakeTelegramServer, bot: Bot) -> None:
    async with aiohttp.ClientSession() as http:
        resp = await http.post(f"{server.base_url}/_fake/updates", json=[{"chat_id": CHAT, "text": "hai"}])
        assert (await resp.json())["update_ids"] == [1]
        (update,) = await bot.get_updates()
        assert update.message is not None and update.message.text == "hai"
        stats = await (await http.get(f"{server.base_url}/_fake/stats")).json()
        assert stats["calls"]["getUpdates"] == 1


async def test_explicit_update_ids_and_stop_releases_long_poll() -> None:
    server = await FakeTelegramServer(max_poll_timeout=30).start()
    server.push_update({"update_id": 100, **server.message_update(CHAT, "a")})
    assert server.push_update(server.message_update(CHAT, "b"))["update_id"] == 101

    url = f"{server.base_url}/bot{DEFAULT_TOKEN}/getUpdates"
    async with aiohttp.ClientSession() as http:
        poll = asyncio.create_task(http.post(url, json={"offset": 102, "timeout": 30}))
        await asyncio.sleep(0.05)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await server.stop()
        resp = await asyncio.wait_for(poll, 5)
        assert (await resp.json())["result"] == []
        resp.release()
        assert loop.time() - started < 2


async def test_hold_keeps_a_method_waiting_until_released(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_file("f1", b"held content")
    hold = server.hold("getFile")
    call = asyncio.ensure_future(bot.get_file("f1"))
    await asyncio.wait_for(hold.arrived.wait(), 5)
    await asyncio.sleep(0.1)
    assert not call.done()  # still waiting
    assert [c.method for c in server.calls if c.method == "getFile"] == []
    hold.release()
    assert (await asyncio.wait_for(call, 5)).file_id == "f1"
    assert (await bot.get_file("f1")).file_id == "f1"  # released holds are gone


async def test_send_photo_refuses_what_telegram_cannot_make_a_photo_of(server: FakeTelegramServer, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(CHAT, BufferedInputFile(b"%PDF-1.4", "nota.pdf"))
    assert server.sent_messages(CHAT) == []


async def test_a_stall_answers_nothing_until_resumed_and_does_what_its_mode_says() -> None:
    import asyncio

    import aiohttp

    from tests.fakes.telegram_api import DOES_IT_AT_ONCE, DOES_IT_LATER, DROPS_IT, FakeTelegramServer

    for mode, done_before, done_after in ((DOES_IT_AT_ONCE, 1, 1), (DOES_IT_LATER, 0, 1), (DROPS_IT, 0, 0)):
        async with FakeTelegramServer() as fake, aiohttp.ClientSession() as http:
            stall = fake.stall(mode)
            url = f"{fake.base_url}/bot{fake.token}/sendMessage"
            with pytest.raises(asyncio.TimeoutError):
                await http.post(url, json={"chat_id": 1, "text": "x"}, timeout=aiohttp.ClientTimeout(total=0.3))
            assert stall.held == 1 and len(fake.sent_messages(1)) == done_before
            await asyncio.sleep(0.2)  # the server notices the client has gone
            fake.resume()
            await asyncio.sleep(0.1)
            assert len(fake.sent_messages(1)) == done_after, mode
            async with http.post(url, json={"chat_id": 1, "text": "y"}) as response:
                assert response.status == 200  # answering again


async def test_a_download_can_be_made_to_fail_while_getfile_still_answers() -> None:
    import aiohttp

    from tests.fakes.telegram_api import FakeTelegramServer

    async with FakeTelegramServer() as fake, aiohttp.ClientSession() as http:
        fake.add_file("f", b"data", "documents/f.pdf")
        fake.fail_download("f", 404)
        async with http.get(f"{fake.base_url}/bot{fake.token}/getFile?file_id=f") as response:
            assert (await response.json())["ok"]
        async with http.get(f"{fake.base_url}/file/bot{fake.token}/documents/f.pdf") as response:
            assert response.status == 404
