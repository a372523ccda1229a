"""Fetching the bytes of a Telegram file: getFile, then download. Bots can download at most 20 MB.

Whatever goes wrong ends as `MediaUnavailable` with a plain description. Never the underlying error: the download
URL holds the bot token (`…/file/bot<TOKEN>/…`), and aiohttp's error for a non-2xx answer quotes it.
"""

import asyncio
import io
import logging

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiohttp import ClientError, ClientResponseError

from handlers.context import MediaFetcher, MediaTooLarge, MediaUnavailable
from handlers.messages import Incoming, MediaItem

log = logging.getLogger(__name__)

MAX_DOWNLOAD_MB = 20
MAX_DOWNLOAD = MAX_DOWNLOAD_MB * 1024 * 1024
ATTEMPTS = 3
# Up to 20 MB from Telegram's data centre: generous, and per attempt.
DOWNLOAD_TIMEOUT = 120


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
        problem = "not tried"
        for attempt in range(ATTEMPTS):
            try:
                return await _download(bot, item)
            except MediaTooLarge:
                raise
            except TelegramRetryAfter as error:
                problem, wait = "Telegram asked to slow down", float(error.retry_after)
            except (TelegramNetworkError, TelegramServerError, TimeoutError) as error:
                problem, wait = _describe(error), backoff * 2**attempt
            except ClientResponseError as error:
                problem = f"the download was answered with HTTP {error.status}"
                if error.status < 500:  # the file is gone or refused: asking again gives the same answer
                    break
                wait = backoff * 2**attempt
            except (TelegramAPIError, ClientError) as error:
                problem = _describe(error)
                break
            if attempt < ATTEMPTS - 1:
                log.info("download of %s failed (%s), retrying", item.ref, problem)
                await asyncio.sleep(wait)
        # The flow asks the person for the file again without logging: the operator hears of it here, once.
        log.warning("Telegram did not hand over file %s: %s", item.ref, problem)
        # `from None`: the error it replaces (and its traceback, if anyone logs this one) quotes the download URL.
        raise MediaUnavailable(f"Telegram did not hand over file {item.ref}: {problem}") from None

    return fetch


def _describe(error: Exception) -> str:
    """The kind of failure, without its text (which may quote the URL)."""
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, TelegramAPIError):
        return f"{type(error).__name__} from {error.method.__api_method__ if error.method else 'the Bot API'}"
    return type(error).__name__


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
    await bot.download_file(file.file_path, destination=buffer, timeout=DOWNLOAD_TIMEOUT)
    content = buffer.getvalue()
    if len(content) > MAX_DOWNLOAD:
        raise FileTooLarge(item.ref)
    return content
