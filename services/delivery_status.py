"""What the platform says later about a message it accepted: it reached the phone, was read, or failed after all.

WhatsApp sends `sent`, `delivered`, `read` and `failed` statuses to the webhook, each naming the message by the id
its send call returned (stored on the outbox row as `platform_message_id`). They may come out of order (a `read`
overtaking its `delivered`) and more than once, so a status only ever moves a row forward: never from read back to
delivered. A failure after the send call was accepted is returned to the caller, who applies the same policy as to
a failed send (a template instead, back off, mark undeliverable): this module only records.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.models import OutboxMessage

log = logging.getLogger(__name__)

SENT, DELIVERED, READ, FAILED = "sent", "delivered", "read", "failed"
# What a platform says after a send that the final report of a broadcast may have missed.
LATER_NEWS = (DELIVERED, READ, FAILED)
MAX_ERROR = 500


@dataclass(frozen=True)
class StatusRecorded:
    """What one status did. `newly_failed`: this status turned an accepted message into a failed one — the moment
    for the failure policy (`code`/`title`: the platform's first error)."""

    row: OutboxMessage | None  # None: no outbox row has this message id (sent by another install, or pruned)
    changed: bool = False
    newly_failed: bool = False
    code: int | None = None
    title: str | None = None


def error_text(errors: Sequence[tuple[int | None, str | None]]) -> str | None:
    """ "131047 Re-engagement message; …" — the caller has redacted the titles (they are stored and shown)."""
    parts = [" ".join(str(part) for part in (code, title) if part not in (None, "")) for code, title in errors]
    text = "; ".join(part for part in parts if part)
    return text[:MAX_ERROR] or None


async def find_row(session: AsyncSession, channel: str, message_id: str) -> OutboxMessage | None:
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.channel == channel, OutboxMessage.platform_message_id == message_id)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
        .with_for_update()
    )
    return await session.scalar(query)


async def record_status(
    session: AsyncSession,
    channel: str,
    message_id: str,
    status: str,
    at: datetime,
    errors: Sequence[tuple[int | None, str | None]] = (),
) -> StatusRecorded:
    """Record one status on the outbox row of `message_id` (in the caller's unit of work)."""
    row = await find_row(session, channel, message_id)
    if row is None:
        log.info("%s status %s for unknown message %s", channel, status, message_id)
        return StatusRecorded(None)
    before = (row.delivery_status, row.sent_at, row.delivered_at, row.read_at, row.error)
    failed_now = False
    if row.delivery_status == FAILED and row.status == SENT and row.error is None:
        # The failure was of an earlier send: the policy queued the row again and it went out anew (its new
        # message id found it here, and a send clears the error). This status is about the new message.
        row.delivery_status, row.delivered_at, row.read_at = None, None, None
    if row.delivery_status == FAILED:
        # The failure policy has acted on it already (a template sent instead, a retry queued): a late delivered
        # or read of the message that failed must not undo that.
        log.info("%s status %s for message %s that already failed: kept failed", channel, status, message_id)
    elif status == SENT:
        row.sent_at = row.sent_at or at
    elif status == DELIVERED:
        row.delivered_at = row.delivered_at or at
        if row.delivery_status != READ:  # a read that overtook its delivered stays read
            row.delivery_status = DELIVERED
    elif status == READ:
        row.delivered_at = row.delivered_at or at  # read implies it was delivered, even if that status was lost
        row.read_at = row.read_at or at
        row.delivery_status = READ
    elif status == FAILED:
        if row.delivery_status in (DELIVERED, READ):
            # It reached the phone: a failure reported after that changes nothing the person saw.
            log.warning("%s message %s failed after being %s: kept", channel, message_id, row.delivery_status)
        else:
            row.delivery_status = FAILED
            row.error = error_text(errors) or "failed after it was accepted"
            failed_now = True
    else:
        log.info("%s status %r for message %s not recorded", channel, status, message_id)
    changed = before != (row.delivery_status, row.sent_at, row.delivered_at, row.read_at, row.error)
    code, title = errors[0] if errors else (None, None)
    return StatusRecorded(row, changed, failed_now, code if failed_now else None, title if failed_now else None)
