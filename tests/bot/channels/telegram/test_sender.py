from pathlib import Path

from aiogram import Bot

from bot.channels.base import Sender
from bot.channels.telegram.client import make_bot
from bot.channels.telegram.sender import PHOTO_MAX_BYTES, TelegramSender
from handlers.messages import Choice, Expect, Reply
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramServer

CHAT = 4242


async def test_text_with_keyboard_reaches_the_chat(server: FakeTelegramServer, bot: Bot, tmp_path: Path) -> None:
    result = await TelegramSender(bot, tmp_path).send(
        str(CHAT), Reply("Jumlah <KK>?", (Choice("ya", "Ya"),), Expect.CHOICE, 3)
    )
    assert result.ok
    [sent] = server.sent_messages(CHAT)
    assert sent["text"] == "Jumlah &lt;KK&gt;?" and sent["parse_mode"] == "HTML"
    assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "3:ya"


async def test_attachments_are_uploaded_from_media_dir(server: FakeTelegramServer, bot: Bot, tmp_path: Path) -> None:
    (tmp_path / "ab").mkdir()
    (tmp_path / "ab" / "foto.jpg").write_bytes(b"\xff\xd8jpeg")
    (tmp_path / "ab" / "nota.pdf").write_bytes(b"%PDF")
    reply = Reply(
        "Laporan", attachments=(("ab/foto.jpg", "photo"), ("ab/nota.pdf", "document"), ("ab/gone.jpg", "photo"))
    )
    assert (await TelegramSender(bot, tmp_path).send(str(CHAT), reply)).ok
    sent = server.sent_messages(CHAT)
    assert [s["_method"] for s in sent] == ["sendPhoto", "sendDocument", "sendMessage"]
    assert sent[0]["photo"]["content"] == b"\xff\xd8jpeg"


async def test_what_telegram_cannot_show_as_a_photo_goes_as_a_document(
    server: FakeTelegramServer, bot: Bot, tmp_path: Path
) -> None:
    """A review card: evidence may be a HEIC or a 15 MB image sent as a file; the card and its buttons still come."""
    (tmp_path / "heic.heic").write_bytes(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 100)
    (tmp_path / "big.jpg").write_bytes(b"\xff\xd8" + b"\x00" * (PHOTO_MAX_BYTES + 1))
    (tmp_path / "odd.jpg").write_bytes(b"GIF89a not what its name says")
    photos = tuple((name, "photo") for name in ("heic.heic", "big.jpg", "odd.jpg"))
    reply = Reply("Laporan Rembuk Warga", (Choice("ok", "Setujui"),), Expect.CHOICE, 5, photos)
    assert (await TelegramSender(bot, tmp_path).send(str(CHAT), reply)).ok
    sent = server.sent_messages(CHAT)
    assert [s["_method"] for s in sent] == ["sendDocument"] * 3 + ["sendMessage"]
    assert sent[-1]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Setujui"
    refused = [c for c in server.calls if c.error_code]
    assert [(c.method, c.error_code) for c in refused] == [("sendPhoto", 400)]  # only odd.jpg was tried as a photo


async def test_a_file_telegram_refuses_outright_does_not_hold_back_the_text(
    server: FakeTelegramServer, bot: Bot, tmp_path: Path
) -> None:
    (tmp_path / "nota.pdf").write_bytes(b"%PDF")
    server.fail_next("sendDocument", 1, 400, description="Bad Request: file must be non-empty")
    reply = Reply("Nota belanja", attachments=(("nota.pdf", "document"),))
    assert (await TelegramSender(bot, tmp_path).send(str(CHAT), reply)).ok
    assert [s["_method"] for s in server.sent_messages(CHAT)] == ["sendMessage"]


async def test_a_blocked_chat_stops_at_the_first_attachment(
    server: FakeTelegramServer, bot: Bot, tmp_path: Path
) -> None:
    (tmp_path / "foto.jpg").write_bytes(b"\xff\xd8jpeg")
    server.block_chat(CHAT)
    result = await TelegramSender(bot, tmp_path).send(str(CHAT), Reply("x", attachments=(("foto.jpg", "photo"),)))
    assert result.unreachable
    assert len([c for c in server.calls if c.method == "sendPhoto"]) == 1


async def test_flood_control_is_reported_not_waited(server: FakeTelegramServer, bot: Bot, tmp_path: Path) -> None:
    server.fail_next("sendMessage", 1, 429, retry_after=7)
    result = await TelegramSender(bot, tmp_path).send(str(CHAT), Reply("halo"))
    assert not result.ok and result.retry_after == 7 and result.retryable


async def test_blocked_and_unknown_chats_are_unreachable(server: FakeTelegramServer, bot: Bot, tmp_path: Path) -> None:
    sender = TelegramSender(bot, tmp_path)
    server.block_chat(CHAT)
    assert (await sender.send(str(CHAT), Reply("halo"))).unreachable
    server.fail_next("sendMessage", 1, 400, description="Bad Request: chat not found")
    assert (await sender.send("777", Reply("halo"))).unreachable


async def test_server_and_other_errors_are_retryable(server: FakeTelegramServer, bot: Bot, tmp_path: Path) -> None:
    sender = TelegramSender(bot, tmp_path)
    server.fail_next("sendMessage", 1, 500, description="Internal Server Error")
    result = await sender.send(str(CHAT), Reply("halo"))
    assert result.retryable and result.error.startswith("transient")


async def test_network_error_is_retryable(tmp_path: Path) -> None:
    from bot.channels.telegram.client import make_bot

    bot = make_bot("1:X", "http://127.0.0.1:9", timeout=2)  # nothing listens on port 9
    try:
        result = await TelegramSender(bot, tmp_path).send(str(CHAT), Reply("halo"))
    finally:
        await bot.session.close()
    assert result.retryable and result.error.startswith("transient")


async def test_a_stored_file_goes_alone(server: FakeTelegramServer, bot: Bot, tmp_path: Path) -> None:
    (tmp_path / "ab").mkdir()
    (tmp_path / "ab" / "nota.pdf").write_bytes(b"%PDF")
    assert (await TelegramSender(bot, tmp_path).send_file(str(CHAT), "ab/nota.pdf", "document")).ok
    assert [s["_method"] for s in server.sent_messages(CHAT)] == ["sendDocument"]  # no words with it


async def test_is_a_sender_and_asks_whether_telegram_answers(server: FakeTelegramServer, tmp_path: Path) -> None:
    sender = TelegramSender(make_bot(DEFAULT_TOKEN, server.base_url), tmp_path)
    assert isinstance(sender, Sender)
    assert await sender.alive()
    await sender.close()
    assert sender.bot.session._session is None or sender.bot.session._session.closed
