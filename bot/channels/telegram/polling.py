"""Long polling with our own getUpdates loop: simple to make robust, and the offset is confirmed only after
a batch is handled. A crash means Telegram sends the batch again: updates whose work committed were claimed in the
same transaction and are dropped; the one cut off midway was rolled back with its claim and is handled now."""

import asyncio
import contextlib
import logging

from aiogram import Bot
from aiogram.exceptions import (
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from bot.channels.telegram.processor import TelegramProcessor

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
MAX_BACKOFF = 30.0
BACKOFF = 0.5


async def poll(bot: Bot, processor: TelegramProcessor, stop: asyncio.Event, *, timeout: int = 25) -> None:
    """Fetch and handle updates until `stop` is set. Only a wrong token ends it early (nothing would work)."""
    offset: int | None = None
    failures = 0
    while not stop.is_set():
        try:
            updates = await bot.get_updates(
                offset=offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES, request_timeout=timeout + 15
            )
        except TelegramUnauthorizedError:
            log.error("Telegram refused the bot token; long polling stopped")
            return
        except TelegramRetryAfter as error:
            await _sleep(stop, error.retry_after)
            continue
        except TelegramConflictError as error:
            # A webhook is set or another copy is polling: say so, keep trying slowly.
            log.error("getUpdates conflict: %s", error)
            failures += 1
            await _sleep(stop, min(MAX_BACKOFF, 2.0**failures))
            continue
        except (TelegramNetworkError, TelegramServerError) as error:
            failures += 1
            log.warning("getUpdates failed (%s), attempt %d", error, failures)
            await _sleep(stop, min(MAX_BACKOFF, BACKOFF * 2.0**failures))
            continue
        except Exception:
            failures += 1
            log.exception("getUpdates failed unexpectedly")
            await _sleep(stop, min(MAX_BACKOFF, BACKOFF * 2.0**failures))
            continue
        if updates:
            try:
                await processor.process_batch(updates)
            except Exception:
                # Not confirmed: the same batch comes again, and the claim skips whatever was already done.
                failures += 1
                log.exception("telegram updates %s..%s not handled", updates[0].update_id, updates[-1].update_id)
                await _sleep(stop, min(MAX_BACKOFF, BACKOFF * 2.0**failures))
                continue
            offset = updates[-1].update_id + 1
        failures = 0


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
