"""The Telegram part of `kampung-bahagia run`: long polling, or the webhook served by uvicorn, plus the album
flusher. Everything built from the `App`, so tests run the very same wiring against a fake Bot API server."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import uvicorn
from aiogram import Bot

from bot.bootstrap import App
from bot.channels.telegram.client import bot_from_settings
from bot.channels.telegram.commands import set_default_commands
from bot.channels.telegram.polling import poll
from bot.channels.telegram.processor import TelegramProcessor
from bot.channels.telegram.sender import TelegramSender
from bot.channels.telegram.webhook import register_webhook, webhook_secret
from services import inbound

log = logging.getLogger(__name__)

FLUSH_EVERY = 0.5
PRUNE_EVERY = timedelta(hours=1)
KEEP_UPDATE_IDS = timedelta(days=2)


def build_processor(app: App, bot: Bot) -> TelegramProcessor:
    return TelegramProcessor(bot, app.engine(), TelegramSender(bot, app.settings.media_dir))


async def album_flusher(processor: TelegramProcessor, stop: asyncio.Event, every: float = FLUSH_EVERY) -> None:
    """Gathers albums and forgets old update ids; a failure is logged and the loop goes on."""
    since_prune = PRUNE_EVERY
    while not stop.is_set():
        try:
            await processor.flush_albums()
            since_prune += timedelta(seconds=every)
            if since_prune >= PRUNE_EVERY:
                async with processor.db.unit_of_work() as session:
                    await inbound.prune(session, KEEP_UPDATE_IDS)
                since_prune = timedelta(0)
        except Exception:
            log.exception("album flusher failed; continuing")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


@contextlib.asynccontextmanager
async def running(app: App) -> AsyncIterator[tuple[Bot, TelegramProcessor]]:
    bot = bot_from_settings(app.settings)
    try:
        yield bot, build_processor(app, bot)
    finally:
        await bot.session.close()


async def part(app: App, stop: asyncio.Event) -> None:
    """Runs until `stop` is set or the task is cancelled."""
    async with running(app) as (bot, processor):
        flusher = asyncio.create_task(album_flusher(processor, stop))
        try:
            try:
                await set_default_commands(bot)
            except Exception:
                log.exception("could not set the default command list")  # not worth stopping for
            if app.settings.telegram_webhook_url:
                await serve_webhook(app, bot, processor, stop)
            else:
                await bot.delete_webhook(drop_pending_updates=False)
                await poll(bot, processor, stop)
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher


async def _register_until_done(bot: Bot, url: str, secret: str, stop: asyncio.Event) -> None:
    """setWebhook, retried while Telegram is unreachable: the web app already serves, so nothing is lost."""
    wait = 1.0
    while not stop.is_set():
        try:
            await register_webhook(bot, url, secret)
            return
        except Exception:
            log.exception("setWebhook failed; trying again in %.0f s", wait)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
        wait = min(60.0, wait * 2)


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the runner owns SIGINT/SIGTERM and sets `stop`; uvicorn must not take them over


async def serve_webhook(app: App, bot: Bot, processor: TelegramProcessor, stop: asyncio.Event) -> None:
    from bot.web import create_web_app  # the web app imports channels; imported late to keep this module light

    secret = webhook_secret(app.settings)
    web = create_web_app(app, telegram=processor, telegram_secret=secret)
    config = uvicorn.Config(
        web, host=app.settings.web_host, port=app.settings.web_port, log_level="warning", lifespan="off"
    )
    server = _QuietServer(config)
    serving = asyncio.create_task(server.serve())
    try:
        await _register_until_done(bot, app.settings.telegram_webhook_url, secret, stop)
        await stop.wait()
    finally:
        server.should_exit = True
        await serving
