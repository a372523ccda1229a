"""Fetching the bytes of a Telegram file: getFile, then download. Bots can download at most 20 MB."""

import asyncio
import io
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError, TelegramRetryAfter, TelegramServerError

from handlers.context import MediaFetcher, MediaTooLarge
from handlers.messages import Incoming, MediaItem

log = logging.getLogger(__name__)

MAX_DOWNLOAD_MB = 20
MAX_DOWNLOAD = MAX_DOWNLOAD_MB * 1024 * 1024
ATTEMPTS = 3


class FileTooLarge(MediaTooLarge):
    """getFile refuses files over 20 MB: checked before any download so nothing half-arrives."""


def item_too_large(item: MediaItem) -> bool:
    return item.size is not None and item.size > MAX_DOWNLOAD


def too_large(incoming: Incoming) -> bool:
    return any(item_too_large(item) for item in incoming.media)


def telegram_fetcher(bot: Bot, backoff: float = 0.5) -> MediaFetcher:
    async def fetch(item: MediaItem) -> bytes:
        if item.size is not None and item.size > MAX_DOWNLOAD:
            raise FileTooLarge(item.ref)
        for attempt in range(ATTEMPTS):
            try:
                return await _download(bot, item)
            except TelegramRetryAfter as error:
                if attempt == ATTEMPTS - 1:
                    raise
                await asyncio.sleep(error.retry_after)
            except (TelegramNetworkError, TelegramServerError):
                if attempt == ATTEMPTS - 1:
                    raise
                log.info("download of %s failed, retrying", item.ref)
                await asyncio.sleep(backoff * 2**attempt)
        raise AssertionError("unreachable")

    return fetch


async def _download(bot: Bot, item: MediaItem) -> bytes:
    try:
        file = await bot.get_file(item.ref)
    except TelegramBadRequest as error:
        if "too big" in str(error).lower():  # Telegram's own answer for a file over 20 MB
            raise FileTooLarge(item.ref) from error
        raise
    if file.file_size is not None and file.file_size > MAX_DOWNLOAD:
        raise FileTooLarge(item.ref)
    buffer = io.BytesIO()
    await bot.download_file(file.file_path, destination=buffer, timeout=120)
    content = buffer.getvalue()
    if len(content) > MAX_DOWNLOAD:
        raise FileTooLarge(item.ref)
    return content
