"""Deep links that register in one tap: `https://t.me/<bot>?start=<code>` opens the chat and sends /start <code>."""

import logging

from bot.channels.telegram.client import bot_from_settings
from bot.settings import Settings

log = logging.getLogger(__name__)


def deep_link(username: str, code: str) -> str:
    return f"https://t.me/{username}?start={code}"


async def bot_username(settings: Settings) -> str | None:
    """TELEGRAM_BOT_USERNAME, else the bot's own answer to getMe; None without Telegram or when it cannot be asked
    (the codes still work typed: a link is a convenience, never a reason to fail)."""
    if settings.telegram_bot_username:
        return settings.telegram_bot_username.lstrip("@")
    if settings.telegram_bot_token is None:
        return None
    bot = None
    try:
        bot = bot_from_settings(settings)  # inside: a malformed token is refused right here
        return (await bot.get_me(request_timeout=10)).username
    except Exception as error:
        log.warning("could not ask Telegram for the bot's username (%s); invitations without links", error)
        return None
    finally:
        if bot is not None:
            await bot.session.close()
