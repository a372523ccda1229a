"""The Telegram channel end to end over real HTTP: fake Bot API server → our polling loop → engine → database
→ replies, with the faults Telegram really produces."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from bot.channels.telegram import polling
from services.models import (
    RT,
    ChannelIdentity,
    FundReceipt,
    Media,
    ProcessedUpdate,
    Role,
)
from tests.bot.channels.telegram.conftest import Telegram, texts
from tests.handlers.flows.bendahara import ready_for_funds
from tests.handlers.flows.ketua_setup import add_reports
from tests.images import jpeg

RT1 = "15.71.01.1001-001"
RT2 = "15.71.01.1001-002"  # every stage before the funds approved by the tests that need it
APRIL_10 = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)  # 10:00 WIB, Kelompok A's funds month
CHAT = 81001


async def register(tg: Telegram, chat: int, role: Role = Role.KETUA_RT, rt: str | None = RT1) -> list[dict]:
    code = await tg.invite(role, rt)
    return await tg.say(chat, f"/start {code}")


async def test_deep_link_registers_and_sets_the_role_commands(telegram: Telegram) -> None:
    sent = await register(telegram, CHAT)
    assert "Pendaftaran berhasil" in texts(sent)
    scoped = [c for c in telegram.server.calls if c.method == "setMyCommands" and c.params.get("scope")]
    assert scoped and scoped[-1].params["scope"] == {"type": "chat", "chat_id": CHAT}
    commands = {c["command"]: c["description"] for c in scoped[-1].params["commands"]}
    assert "kk" in commands and "dana" not in commands
    assert commands["kk"] != "register the number of KK"  # the person's language, Indonesian by default


async def test_kk_with_keyboard_confirmation(telegram: Telegram) -> None:
    await register(telegram, CHAT)
    await telegram.say(CHAT, "/kk")
    sent = await telegram.say(CHAT, "95")
    keyboard = sent[-1]["reply_markup"]["inline_keyboard"]
    assert any("Simpan" in button["text"] for row in keyboard for button in row)
    mark = telegram.mark()
    sent = await telegram.press(CHAT, "Simpan")
    assert "95 KK" in texts(sent)
    answered = [c for c in telegram.server.calls[mark:] if c.method == "answerCallbackQuery"]
    assert len(answered) == 1
    async with telegram.app.db.unit_of_work() as session:
        assert await session.scalar(select(RT.jumlah_kk).where(RT.kode == RT1)) == 95


async def test_old_button_is_answered_and_explained(telegram: Telegram) -> None:
    await register(telegram, CHAT)
    await telegram.say(CHAT, "/kk")
    await telegram.say(CHAT, "95")
    await telegram.say(CHAT, "/batal")
    mark = telegram.mark()
    sent = await telegram.press(CHAT, "Simpan")  # the keyboard of a question that is over
    assert any(c.method == "answerCallbackQuery" for c in telegram.server.calls[mark:])
    assert "Tombol itu dari pertanyaan sebelumnya" in texts(sent)
    async with telegram.app.db.unit_of_work() as session:
        assert await session.scalar(select(RT.jumlah_kk).where(RT.kode == RT1)) == 87  # unchanged


async def test_a_redelivered_update_is_handled_once(telegram: Telegram) -> None:
    update = telegram.server.message_update(CHAT, "/bantuan")
    update["update_id"] = 900
    telegram.server.push_update(dict(update))
    sent = await telegram.push(dict(update))  # same update id again
    assert len(sent) == 1
    async with telegram.app.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 1


async def test_unsupported_messages_get_an_answer(telegram: Telegram) -> None:
    sticker = {"file_id": "stk", "file_unique_id": "s", "width": 512, "height": 512, "is_animated": False,
               "is_video": False, "type": "regular"}  # fmt: skip
    sent = await telegram.push(telegram.server.message_update(CHAT, sticker=sticker))
    assert sent and sent[0]["text"]


async def test_file_over_20_mb_is_refused_before_download(telegram: Telegram) -> None:
    await register(telegram, CHAT)
    big = {"file_id": "big", "file_unique_id": "b", "file_name": "rembuk.mp4", "mime_type": "video/mp4",
           "file_size": 25 * 1024 * 1024}  # fmt: skip
    sent = await telegram.push(telegram.server.message_update(CHAT, document=big))
    assert "terlalu besar" in texts(sent) and "20 MB" in texts(sent)
    assert not [c for c in telegram.server.calls if c.method == "getFile"]
    async with telegram.app.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(Media)) == 0


async def test_flood_control_is_waited_out(telegram: Telegram) -> None:
    telegram.server.fail_next("sendMessage", 1, 429, retry_after=1)
    sent = await telegram.say(CHAT, "/bantuan")
    assert len(sent) == 1 and telegram.server.count_429 == 1


async def test_blocked_person_becomes_unreachable(telegram: Telegram) -> None:
    await register(telegram, CHAT)
    telegram.server.block_chat(CHAT)
    await telegram.say(CHAT, "/bantuan")
    async with telegram.app.db.unit_of_work() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == str(CHAT)))
        assert identity.unreachable_at is not None
    telegram.server.unblock_chat(CHAT)
    await telegram.say(CHAT, "/bantuan")  # writing again proves they are back
    async with telegram.app.db.unit_of_work() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == str(CHAT)))
        assert identity.unreachable_at is None


async def test_blocking_the_bot_is_noticed_from_my_chat_member(telegram: Telegram) -> None:
    await register(telegram, CHAT)
    member = {"user": telegram.server.bot_user, "status": "kicked", "until_date": 0}
    update = telegram.server.push_update(
        {
            "my_chat_member": {
                "chat": {"id": CHAT, "type": "private", "first_name": "Warga"},
                "from": {"id": CHAT, "is_bot": False, "first_name": "Warga"},
                "date": 1767225600,
                "old_chat_member": {**member, "status": "member"},
                "new_chat_member": member,
            }
        }
    )
    await telegram.handled(update["update_id"])  # nothing is sent back, so wait for the offset, not for quiet
    async with telegram.app.db.unit_of_work() as session:
        identity = await session.scalar(select(ChannelIdentity))
        assert identity.unreachable_reason == "blocked the bot"


@contextlib.asynccontextmanager
async def table_away(tg: Telegram, table: str) -> AsyncIterator[None]:
    """The table is gone while inside (renamed from a connection of its own): every query on it fails for real."""
    async with tg.app.db.engine.begin() as connection:
        await connection.execute(text(f"ALTER TABLE {table} RENAME TO {table}_away"))
    try:
        yield
    finally:
        async with tg.app.db.engine.begin() as connection:
            await connection.execute(text(f"ALTER TABLE {table}_away RENAME TO {table}"))


async def test_failures_never_stop_the_loop(
    telegram: Telegram, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(polling, "BACKOFF", 0.05)
    telegram.server.fail_next("getUpdates", 2, 502, description="Bad Gateway")
    update = telegram.server.message_update(CHAT, "/bantuan")
    with caplog.at_level(logging.ERROR):
        async with table_away(telegram, "conversation_state"):
            sent = await telegram.push(update)
    assert any(f"update {update['update_id']} " in r.getMessage() for r in caplog.records if r.exc_info)
    assert "coba lagi" in texts(sent).lower()  # told it failed, in Indonesian
    assert len(await telegram.say(CHAT, "/bantuan")) == 1  # the loop goes on


async def test_people_are_served_side_by_side_each_in_order(telegram: Telegram) -> None:
    for chat in range(82001, 82011):
        for command in ("/bantuan", "/menu"):
            last = telegram.server.push_update(telegram.server.message_update(chat, command))
    await telegram.handled(last["update_id"], timeout=15)
    await telegram.settle()
    for chat in range(82001, 82011):
        sent = telegram.server.sent_messages(chat)
        assert len(sent) == 2
        assert sent[1]["text"] == telegram.server.sent_messages(82001)[1]["text"]  # /menu answered second


async def test_album_becomes_one_message(telegram: Telegram) -> None:
    for i in range(3):
        telegram.server.add_file(f"photo-{i}", jpeg(i))
        telegram.server.push_update(telegram.server.photo_update(CHAT, f"photo-{i}", media_group_id="album-1"))
    await asyncio.sleep(0.6)
    await telegram.settle()
    # Unregistered sender: the engine answers the album once (not three times).
    assert len(telegram.server.sent_messages(CHAT)) == 1


async def ketua_at_the_photos_of_rembuk_warga(tg: Telegram) -> None:
    """A registered Ketua RT in /lapor rembuk warga, its questions answered: the bot now asks for photos."""
    tg.processor.engine.clock = lambda: datetime(2026, 2, 10, 3, 0, tzinfo=UTC)  # Kelompok A's rembuk warga month
    await add_reports(tg.app.db, RT1, ["sosialisasi"])
    await register(tg, CHAT)
    await tg.say(CHAT, "/lapor")
    await tg.press(CHAT, "Rembuk Warga")
    await tg.press(CHAT, "Hari ini")
    await tg.say(CHAT, "45")
    await tg.say(CHAT, "30")


async def test_a_button_pressed_right_after_an_album_is_handled_after_it(telegram: Telegram) -> None:
    """The chair sends three photos and at once presses "Selesai kirim": the photos count, no "not enough yet"."""
    tg = telegram
    tg.processor.album_quiet = timedelta(seconds=30)  # the album alone would wait long: only the press flushes it
    await ketua_at_the_photos_of_rembuk_warga(tg)
    done = tg.button_press(CHAT, "Selesai")
    for i in range(3):
        tg.server.add_file(f"album-{i}", jpeg(i))
        tg.server.push_update(tg.server.photo_update(CHAT, f"album-{i}", media_group_id="rembuk-2"))
    sent = await tg.push(done)
    assert "Sudah diterima: 3 foto." in sent[0]["text"]
    assert "Belum cukup" not in texts(sent) and "Kirim laporan ini" in texts(sent)


async def test_one_photo_too_large_in_an_album_keeps_the_others(telegram: Telegram) -> None:
    tg = telegram
    await ketua_at_the_photos_of_rembuk_warga(tg)
    before = len(tg.server.sent_messages(CHAT))
    for i in range(3):
        tg.server.add_file(f"foto-{i}", jpeg(i))
        update = tg.server.photo_update(CHAT, f"foto-{i}", media_group_id="rembuk-3")
        if i == 1:
            update["message"]["photo"][0]["file_size"] = 25 * 1024 * 1024  # what Telegram says of a huge one
        tg.server.push_update(update)
    await tg.wait_for(lambda c: c.params.get("chat_id") == CHAT and "Sudah diterima" in (c.params.get("text") or ""))
    await tg.settle(quiet=0.1)
    sent = tg.server.sent_messages(CHAT)[before:]
    assert "foto ke-2" in texts(sent) and "lebih dari 20 MB" in texts(sent)
    assert "Sudah diterima: 2 foto." in texts(sent)


async def test_a_batch_that_could_not_be_checked_comes_again(
    telegram: Telegram, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(polling, "BACKOFF", 0.05)
    update = telegram.server.message_update(CHAT, "/bantuan")
    with caplog.at_level(logging.ERROR):
        async with table_away(telegram, "processed_update"):
            telegram.server.push_update(update)
            await telegram.wait_for(lambda _call: any("not handled" in r.getMessage() for r in caplog.records))
            assert telegram.server.sent_messages(CHAT) == []  # nothing answered while it cannot be checked
    await telegram.handled(update["update_id"])
    await telegram.settle(quiet=0.05)
    assert len(telegram.server.sent_messages(CHAT)) == 1  # handled once, after the retry


async def test_an_update_cut_off_midway_is_handled_when_telegram_sends_it_again(telegram: Telegram) -> None:
    """The process dies while it downloads the transfer proof being saved: the work is rolled back together with
    the update's claim, and the next process, given the same update again by Telegram, saves it and answers."""
    tg, bendahara = telegram, 81077
    await dana_until_the_proof(tg, bendahara)
    tg.server.add_file("bukti", jpeg(100))
    await tg.push(tg.server.photo_update(bendahara, "bukti"))
    stalled = tg.server.hold("getFile")  # the proof is downloaded when the treasurer saves
    save = tg.server.push_update(tg.button_press(bendahara, "Simpan"))
    await asyncio.wait_for(stalled.arrived.wait(), 5)
    await tg.kill_polling()  # the crash, mid-download
    stalled.release()
    assert await _count(tg, FundReceipt) == 0

    tg.start_polling()  # the process comes back
    tg.processor.engine.clock = lambda: APRIL_10
    await tg.handled(save["update_id"])
    await tg.settle(quiet=0.1)
    assert "Rp70.000.000" in texts(tg.server.sent_messages(bendahara)[-2:])
    assert await _count(tg, FundReceipt) == 1 and await _count(tg, Media) == 1
    async with tg.app.db.unit_of_work() as session:
        claims = select(func.count()).select_from(ProcessedUpdate)
        assert await session.scalar(claims.where(ProcessedUpdate.update_id == str(save["update_id"]))) == 1


async def test_a_file_found_too_large_only_at_saving_is_asked_again(telegram: Telegram) -> None:
    """The photo's size was not in the update; getFile tells it at "Simpan": a clear answer, not a "sorry" loop."""
    tg, bendahara = telegram, 81078
    await dana_until_the_proof(tg, bendahara)
    tg.server.add_file("besar", b"\xff\xd8" + b"\x00" * (20 * 1024 * 1024))
    update = tg.server.photo_update(bendahara, "besar")
    for size in update["message"]["photo"]:
        del size["file_size"]
    await tg.push(update)
    sent = await tg.press(bendahara, "Simpan")
    assert "lebih dari 20 MB" in texts(sent)
    assert "Maaf" not in texts(sent)
    assert await _count(tg, FundReceipt) == 0 and await _count(tg, Media) == 0


async def dana_until_the_proof(tg: Telegram, bendahara: int) -> None:
    """A registered treasurer in /dana on 10 April (Kelompok A's funds month), amount and date given."""
    tg.processor.engine.clock = lambda: APRIL_10
    await ready_for_funds(tg.app.db, tg.app.program, RT2)
    await register(tg, bendahara, Role.BENDAHARA, RT2)
    await tg.say(bendahara, "/dana")
    await tg.say(bendahara, "70.000.000")
    await tg.press(bendahara, "Hari ini")


async def _count(tg: Telegram, model: type) -> int:
    async with tg.app.db.unit_of_work() as session:
        return await session.scalar(select(func.count()).select_from(model))
