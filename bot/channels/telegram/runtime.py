"""Telegram's inbound side of `kampung-bahagia run` / `web`: long polling, or the webhook (its route served by the
web app, bot/web.py), plus the album flusher. Everything built from the `App`, so tests run the very same wiring
against a fake Bot API server."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramUnauthorizedError
from aiogram.types import Update

from bot.bootstrap import App
from bot.channels.inbound import album_flusher
from bot.channels.stored import StoredInbound
from bot.channels.telegram.client import bot_from_settings
from bot.channels.telegram.commands import set_default_commands
from bot.channels.telegram.polling import poll
from bot.channels.telegram.processor import TelegramProcessor
from bot.channels.telegram.sender import TelegramSender
from bot.channels.telegram.webhook import register_webhook, webhook_router, webhook_secret

log = logging.getLogger(__name__)


def build_processor(app: App, bot: Bot) -> TelegramProcessor:
    """Answers recorded in the outbox with their work (bot/channels/inbound.py), left to this process for the grace
    the settings give."""
    grace = timedelta(seconds=app.settings.reply_grace_seconds)
    return TelegramProcessor(bot, app.engine(), TelegramSender(bot, app.settings.media_dir), grace=grace)


def build_inbound(app: App, bot: Bot) -> StoredInbound:
    """The webhook's path: updates stored by the route, handled by the drain."""
    return StoredInbound.configured(build_processor(app, bot), Update.model_validate, app.settings)


class TelegramRuntime:
    """Telegram's inbound side in a running process (bot/channels/registry.py `ChannelRuntime`): long polling, or
    the webhook's route served by the process's web server (bot/web.py); the album flusher in both modes."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.bot = bot_from_settings(app.settings)
        self.processor = build_processor(app, self.bot)
        self.webhook_url = app.settings.telegram_webhook_url
        self.secret = webhook_secret(app.settings) if self.webhook_url else None
        self.inbound = (
            StoredInbound.configured(self.processor, Update.model_validate, app.settings) if self.secret else None
        )
        self.router = webhook_router(self.inbound, self.secret) if self.inbound else None

    async def run(self, stop: asyncio.Event) -> None:
        """Runs until `stop` is set or the task is cancelled; closes the bot's connections on leaving."""
        flusher = asyncio.create_task(album_flusher(self.processor, stop))
        try:
            try:
                await set_default_commands(self.bot)
            except Exception:
                log.exception("could not set the default command list")  # not worth stopping for
            if self.inbound is not None:
                # The drain first: updates stored before a restart are answered while the webhook is set again.
                drain = asyncio.create_task(self.inbound.run(stop))
                secret, url = self.secret, self.webhook_url
                await _until_done(lambda: register_webhook(self.bot, url, secret), "setWebhook", stop)
                await drain
            else:
                # A webhook left from another deployment would make every getUpdates fail with a conflict.
                delete = lambda: self.bot.delete_webhook(drop_pending_updates=False)  # noqa: E731
                if await _until_done(delete, "deleteWebhook", stop):
                    await poll(self.bot, self.processor, stop)
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            await self.processor.marks.flush()  # the last answers' sent marks (bot/channels/answer_marks.py)
            await self.bot.session.close()


async def _until_done(call: Callable[[], Awaitable[object]], what: str, stop: asyncio.Event) -> bool:
    """The call, retried while Telegram is unreachable (a hiccup at start-up must not leave the channel off).
    False when stopped first, or when Telegram refuses the token: then nothing would ever work."""
    wait = 1.0
    while not stop.is_set():
        try:
            await call()
            return True
        except TelegramUnauthorizedError:
            log.error("Telegram refused the bot token (%s); the Telegram channel is off", what)
            return False
        except Exception:
            log.exception("%s failed; trying again in %.0f s", what, wait)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
        wait = min(60.0, wait * 2)
    return False
