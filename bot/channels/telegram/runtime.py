"""The Telegram part of `kampung-bahagia run`: long polling, or the webhook served by uvicorn, plus the album
flusher. Everything built from the `App`, so tests run the very same wiring against a fake Bot API server."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta

import uvicorn
from aiogram import Bot
from aiogram.exceptions import TelegramUnauthorizedError

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
                # A webhook left from another deployment would make every getUpdates fail with a conflict.
                delete = lambda: bot.delete_webhook(drop_pending_updates=False)  # noqa: E731
                if await _until_done(delete, "deleteWebhook", stop):
                    await poll(bot, processor, stop)
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher


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
        url = app.settings.telegram_webhook_url
        await _until_done(lambda: register_webhook(bot, url, secret), "setWebhook", stop)
        await stop.wait()
    finally:
        server.should_exit = True
        await serving
