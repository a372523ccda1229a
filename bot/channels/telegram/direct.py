"""Answering the person who just wrote: wait out short 429s, retry network errors a few times, note blocked chats,
and hand to the outbox what still cannot go.

Unlike the outbox worker this path waits in place (briefly), because the person is looking at the chat right now.
"""

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

from bot.channels.base import SendResult
from bot.channels.telegram.sender import TRANSIENT, TelegramSender
from handlers.messages import Reply
from handlers.payload import payload_of
from services import outbox, people
from services.db import Database
from services.models import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# The person is looking at the chat, so a short flood wait is waited out here. A longer one (Telegram's flood ban
# for the bot) would hold up this person's next messages and, in polling, everyone's: the outbox takes it over.
MAX_WAIT_HERE = 5.0
BACKOFF_BASE = 0.5


async def direct_send(
    sender: TelegramSender, external_id: str, replies: Sequence[Reply], db: Database | None = None
) -> SendResult:
    """Send every reply in order; stops at the first one that cannot be delivered and returns its result.

    With a database, what could not be sent for a passing reason (flood control, a network that stays down) is
    handed to the outbox, from the part that did not go: the delivery worker sends it when Telegram lets it.
    """
    result = SendResult(ok=True)
    for index, reply in enumerate(replies):
        result, done = await _send_one(sender, external_id, reply)
        if result.ok:
            continue
        if result.unreachable and db is not None:
            async with db.unit_of_work() as session:
                await people.mark_unreachable(session, sender.channel, external_id, result.error or "unreachable")
        passing = result.retry_after is not None or (result.error or "").startswith(TRANSIENT)
        if passing and db is not None:  # a bad request stays bad: the outbox would only repeat it
            await _hand_over(db, sender.channel, external_id, replies[index:], done, result.retry_after)
            log.info("reply to %s handed to the outbox: %s", external_id, result.error)
        else:
            log.warning("reply to %s not delivered: %s", external_id, result.error)
        return result
    return result


async def _send_one(sender: TelegramSender, external_id: str, reply: Reply) -> tuple[SendResult, int]:
    """The result and how many of the reply's calls went out."""
    done = 0
    result = SendResult(ok=False, error="not sent")
    for attempt in range(MAX_ATTEMPTS):
        result, done = await sender.send_from(external_id, reply, done)
        if result.ok or result.unreachable:
            return result, done
        if result.retry_after is not None:
            if result.retry_after > MAX_WAIT_HERE:
                return result, done
            await asyncio.sleep(result.retry_after)
        elif (result.error or "").startswith(TRANSIENT):
            await asyncio.sleep(BACKOFF_BASE * 2**attempt)
        else:
            return result, done  # a bad request stays bad: retrying would only repeat it
    return result, done


async def _hand_over(
    db: Database, channel: str, external_id: str, replies: Sequence[Reply], done: int, retry_after: float | None
) -> None:
    not_before = utcnow() + timedelta(seconds=retry_after or 0)
    async with db.unit_of_work() as session:
        person = await people.identity_person(session, channel, external_id)
        for position, reply in enumerate(replies):
            outbox.enqueue_to(
                session,
                channel,
                external_id,
                payload_of(reply, done if position == 0 else 0),
                person_id=person.id if person else None,
                not_before=not_before,
            )
