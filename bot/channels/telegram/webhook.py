"""The webhook's guard and setup: Telegram echoes our secret in a header; anything else is not Telegram."""

import hmac
import logging

from aiogram import Bot

from bot.channels.telegram.polling import ALLOWED_UPDATES
from bot.settings import Settings

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PATH = "/webhook/telegram"


def webhook_secret(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_SECRET, else one generated once and kept in DATA_DIR (URL-safe: allowed by Telegram)."""
    return settings.secret("telegram_webhook_secret", settings.telegram_webhook_secret)


def secret_matches(expected: str, given: str | None) -> bool:
    if not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


async def register_webhook(bot: Bot, url: str, secret: str) -> None:
    await bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
    log.info("Telegram webhook set to %s", url)
