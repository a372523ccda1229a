"""The aiogram `Bot` for our settings: the real Bot API, or another server (`TELEGRAM_API_URL`, e.g. a fake)."""

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.settings import Settings


def make_bot(token: str, api_url: str | None = None, *, timeout: float = 60.0) -> Bot:
    session = AiohttpSession(timeout=timeout)
    if api_url:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_url), timeout=timeout)
    return Bot(token, session=session)


def bot_from_settings(settings: Settings) -> Bot:
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    return make_bot(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_url)
