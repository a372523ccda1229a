"""Telegram as a configured channel (bot/channels/registry.py): on when TELEGRAM_BOT_TOKEN is set."""

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
    )


def runtime(app: App):
    from bot.channels.telegram.runtime import TelegramRuntime

    return TelegramRuntime(app)


TELEGRAM = register(
    ChannelType(code="TG", channel=CHANNEL, configured=configured, sender=sender, limits=limits, runtime=runtime)
)
