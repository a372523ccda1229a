import pytest
from aiogram import Bot

from bot.channels.telegram.media import MAX_DOWNLOAD, FileTooLarge, telegram_fetcher, too_large
from handlers.messages import Incoming, Kind, MediaItem
from tests.fakes.telegram_api import FakeTelegramServer


async def test_downloads_the_file_bytes(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_file("doc-1", b"%PDF-1.4 rencana", "documents/rencana.pdf")
    fetch = telegram_fetcher(bot)
    assert await fetch(MediaItem("document", "doc-1", "application/pdf")) == b"%PDF-1.4 rencana"
    assert [c.method for c in server.calls] == ["getFile"]  # the download itself is a plain file GET


async def test_a_failing_getfile_is_retried_a_few_times(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_file("p", b"\xff\xd8photo")
    server.fail_next("getFile", 2, 502, description="Bad Gateway")
    assert await telegram_fetcher(bot, backoff=0.01)(MediaItem("photo", "p")) == b"\xff\xd8photo"


async def test_too_large_is_refused_without_any_call(server: FakeTelegramServer, bot: Bot) -> None:
    with pytest.raises(FileTooLarge):
        await telegram_fetcher(bot)(MediaItem("document", "big", size=MAX_DOWNLOAD + 1))
    assert server.calls == []


async def test_size_learned_from_getfile_is_checked_before_downloading(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_file("big", b"x" * (MAX_DOWNLOAD + 1))
    with pytest.raises(FileTooLarge):
        await telegram_fetcher(bot)(MediaItem("document", "big"))  # the update did not say its size


def test_too_large_looks_at_every_item() -> None:
    small, big = MediaItem("photo", "a", size=10), MediaItem("document", "b", size=MAX_DOWNLOAD + 1)
    assert too_large(Incoming("telegram", "1", Kind.MEDIA, media=(small, big)))
    assert not too_large(Incoming("telegram", "1", Kind.MEDIA, media=(small, MediaItem("photo", "c"))))


async def test_telegrams_own_too_big_answer_is_too_large(server: FakeTelegramServer, bot: Bot) -> None:
    server.add_file("huge", b"x")
    server.fail_next("getFile", 1, 400, description="Bad Request: file is too big")
    with pytest.raises(FileTooLarge):
        await telegram_fetcher(bot)(MediaItem("document", "huge"))
