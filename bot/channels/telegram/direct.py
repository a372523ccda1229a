"""Answering the person who just wrote: wait out 429s, retry network errors a few times, note blocked chats.

Unlike the outbox worker this path waits in place, because the person is looking at the chat right now.
"""

import asyncio
import logging
from collections.abc import Sequence

from bot.channels.base import SendResult
from bot.channels.telegram.sender import TRANSIENT, TelegramSender
from handlers.messages import Reply
from services import people
from services.db import Database

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Waiting longer than this for one answer is worse than leaving it to the person to ask again.
MAX_RETRY_AFTER = 60.0
BACKOFF_BASE = 0.5


async def direct_send(
    sender: TelegramSender, external_id: str, replies: Sequence[Reply], db: Database | None = None
) -> SendResult:
    """Send every reply in order; stops at the first one that cannot be delivered and returns its result."""
    result = SendResult(ok=True)
    for reply in replies:
        result = await _send_one(sender, external_id, reply)
        if result.unreachable and db is not None:
            async with db.unit_of_work() as session:
                await people.mark_unreachable(session, sender.channel, external_id, result.error or "unreachable")
        if not result.ok:
            log.warning("reply to %s not delivered: %s", external_id, result.error)
            return result
    return result


async def _send_one(sender: TelegramSender, external_id: str, reply: Reply) -> SendResult:
    done = 0
    result = SendResult(ok=False, error="not sent")
    for attempt in range(MAX_ATTEMPTS):
        result, done = await sender.send_from(external_id, reply, done)
        if result.ok or result.unreachable:
            return result
        if result.retry_after is not None:
            if result.retry_after > MAX_RETRY_AFTER:
                return result
            await asyncio.sleep(result.retry_after)
        elif (result.error or "").startswith(TRANSIENT):
            await asyncio.sleep(BACKOFF_BASE * 2**attempt)
        else:
            return result  # a bad request stays bad: retrying would only repeat it
    return result
