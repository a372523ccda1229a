"""Telegram as a configured channel (bot/channels/registry.py): on when TELEGRAM_BOT_TOKEN is set."""

import hashlib

from bot.bootstrap import App
from bot.channels.registry import ChannelType, register
from bot.channels.telegram.sender import CHANNEL, TelegramSender
from bot.delivery.worker import WorkerConfig


def configured(app: App) -> bool:
    return app.settings.telegram_bot_token is not None


def sender(app: App) -> TelegramSender:
    from bot.channels.telegram.client import bot_from_settings

    return TelegramSender(bot_from_settings(app.settings), app.settings.media_dir)


def limits(app: App) -> WorkerConfig:
    settings = app.settings
    return WorkerConfig(
        per_second=settings.telegram_rate_per_second,
        per_chat_per_second=settings.telegram_rate_per_chat_per_second,
        account=account(settings.telegram_bot_token.get_secret_value()),
    )


def account(token: str) -> str:
    """The bot's send-lease account: its numeric id, the public part of the token before the colon (a hash of a
    token without one: the secret part never goes into the database)."""
    bot_id, colon, _secret = token.partition(":")
    if not colon or not bot_id.isdigit():
        bot_id = hashlib.sha256(token.encode()).hexdigest()[:16]
    return f"{CHANNEL}:{bot_id}"


def runtime(app: App):
    from bot.channels.telegram.runtime import TelegramRuntime

    return TelegramRuntime(app)


TELEGRAM = register(
    ChannelType(code="TG", channel=CHANNEL, configured=configured, sender=sender, limits=limits, runtime=runtime)
)
