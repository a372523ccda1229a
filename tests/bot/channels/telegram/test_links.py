"""The bot's username for invitation links: given, asked from Telegram, or none (codes still work typed)."""

from pathlib import Path

from pydantic import SecretStr

from bot.channels.telegram.links import bot_username, deep_link
from tests.bot.channels.telegram.conftest import settings_for
from tests.fakes.telegram_api import FakeTelegramServer


def test_a_deep_link_carries_the_code() -> None:
    assert deep_link("kb_jambi_bot", "K7MP2Q9X") == "https://t.me/kb_jambi_bot?start=K7MP2Q9X"


async def test_asked_from_telegram_when_not_given(server: FakeTelegramServer, tmp_path: Path) -> None:
    assert await bot_username(settings_for("sqlite://", tmp_path, server)) == "kampung_bahagia_bot"
    assert [c.method for c in server.calls] == ["getMe"]


async def test_given_is_used_without_asking(server: FakeTelegramServer, tmp_path: Path) -> None:
    settings = settings_for("sqlite://", tmp_path, server, telegram_bot_username="@kb_jambi_bot")
    assert await bot_username(settings) == "kb_jambi_bot"
    assert server.calls == []


async def test_none_when_telegram_cannot_be_asked(server: FakeTelegramServer, tmp_path: Path) -> None:
    server.fail_next("getMe", 1, 500, description="Internal Server Error")
    assert await bot_username(settings_for("sqlite://", tmp_path, server)) is None
    without_telegram = settings_for("sqlite://", tmp_path, server).model_copy(update={"telegram_bot_token": None})
    assert await bot_username(without_telegram) is None


async def test_a_malformed_token_gives_no_link_and_no_error(server: FakeTelegramServer, tmp_path: Path) -> None:
    settings = settings_for("sqlite://", tmp_path, server, telegram_bot_username=None)
    broken = settings.model_copy(update={"telegram_bot_token": SecretStr("isi-token-di-sini")})
    assert await bot_username(broken) is None
