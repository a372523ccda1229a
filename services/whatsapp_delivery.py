"""The database side of WhatsApp delivery: the daily template quota, what a sent row records, the undeliverable mark,
messages waiting for the person to reopen their window, and an error that arrives after Meta accepted a message.

The quota (PLATFORM_LIMITS.md): at most `WHATSAPP_DAILY_LIMIT` distinct people reached by a template in any moving
24 hours. Read from the outbox itself — every template that went out is a `sent` row with its `template` name (an
opener is a row of its own) — so every worker and process counts the same thing, and a restart forgets nothing.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import whatsapp_usage
from services.models import ChannelIdentity, OutboxMessage, utcnow
from services.whatsapp_window import WINDOW

CHANNEL = "whatsapp"
SENT, PENDING, FAILED = "sent", "pending", "failed"
# Payload mark of a message waiting for the person to answer the opener (ISO time the opener went).
WAITING_SINCE = "_opener_at"
# Payload mark of a message that must go as a template unless the person writes after this ISO time: Meta said
# 131047 after accepting a free-form send (a `failed` status), so its clock disagrees with ours.
TEMPLATE_ONLY = "_template_only"
# Meta's codes the delivery policy acts on (the rest of the 4xx is a malformed request: failed, never retried).
OUTSIDE_WINDOW = 131047
THROUGHPUT = 130429
PAIR_RATE = 131056
UNDELIVERABLE = (131026, 131049)
# After a `failed` status: how soon each kind is tried again.
PAIR_RATE_WAIT = timedelta(seconds=30)
THROUGHPUT_WAIT = timedelta(seconds=5)
UNDELIVERABLE_WAIT = timedelta(hours=1)
MAX_ATTEMPTS = 5


# ---- the quota --------------------------------------------------------------------------------------------
def _reached_since(since: datetime):
    return (
        select(OutboxMessage.external_id, func.max(OutboxMessage.sent_at).label("last"))
        .where(
            OutboxMessage.channel == CHANNEL,
            OutboxMessage.status == SENT,
            OutboxMessage.template.is_not(None),
            OutboxMessage.sent_at > since,
        )
        .group_by(OutboxMessage.external_id)
    )


async def quota_wait(
    session: AsyncSession, external_id: str, limit: int, now: datetime, *, in_flight: frozenset[str] = frozenset()
) -> timedelta | None:
    """None when a template may go to this person now; else how long until a slot of the moving 24 h frees.

    A person already reached within 24 h costs nothing more. `in_flight`: people a template is on its way to right
    now in this process (not yet recorded), counted as reached.
    """
    reached = dict((await session.execute(_reached_since(now - WINDOW))).all())
    if external_id in reached or external_id in in_flight:
        return None
    taken = len(reached) + len(in_flight - reached.keys())
    if taken < limit:
        return None
    # The (taken - limit + 1)-th person to leave the 24 h frees the slot this one needs.
    leaving = sorted(reached.values())
    index = min(taken - limit, len(leaving) - 1)
    if index < 0:
        return timedelta(minutes=1)  # every slot is held by sends in flight: look again shortly
    return max(leaving[index] + WINDOW - now, timedelta(seconds=1))


async def reached_today(session: AsyncSession, now: datetime) -> int:
    """Distinct people reached by a template in the last 24 hours."""
    return len((await session.execute(_reached_since(now - WINDOW))).all())


# ---- what a sent row records ------------------------------------------------------------------------------
async def record_sent(
    session: AsyncSession, row_id: int, external_id: str, message_id: str | None, template: str | None, now: datetime
) -> None:
    """The row went out (as `template`, or free-form): its wamid for the statuses, the template counted, and the
    person no longer marked undeliverable."""
    values: dict = {"status": SENT, "sent_at": now, "claimed_by": None, "claimed_until": None, "error": None}
    values["platform_message_id"] = message_id
    values["template"] = template
    # A row sent again after a `failed` status starts over: its new message's statuses are the ones that count.
    values.update(delivery_status=None, delivered_at=None, read_at=None)
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values))
    if template is not None:
        await whatsapp_usage.increment(session, template, now)
    await clear_undeliverable(session, external_id)


async def record_opener(
    session: AsyncSession,
    external_id: str,
    person_id: int | None,
    template: str,
    text: str,
    message_id: str | None,
    now: datetime,
) -> int:
    """The "please reply" opener that went out for waiting messages: a sent row of its own (so the quota, the
    statuses and the usage count see it), returned by id."""
    row = OutboxMessage(
        channel=CHANNEL,
        external_id=external_id,
        person_id=person_id,
        payload={"text": text, "purpose": "buka_percakapan"},
        status=SENT,
        attempts=1,
        next_attempt_at=now,
        sent_at=now,
        created_at=now,
        platform_message_id=message_id,
        template=template,
    )
    session.add(row)
    await session.flush()
    await whatsapp_usage.increment(session, template, now)
    return row.id


async def opener_sent_since(session: AsyncSession, external_id: str, template: str, since: datetime) -> bool:
    """Did an opener already go to this person since then? (One is enough for all their waiting messages.)"""
    found = select(OutboxMessage.id).where(
        OutboxMessage.channel == CHANNEL,
        OutboxMessage.external_id == external_id,
        OutboxMessage.template == template,
        OutboxMessage.status == SENT,
        OutboxMessage.sent_at > since,
    )
    return await session.scalar(found.limit(1)) is not None


async def wait_for_window(
    session: AsyncSession, row_id: int, worker: str, payload: dict, at: datetime, error: str | None = None
) -> None:
    """Back to pending until `at`, marked as waiting for the person's answer; no attempt counted."""
    values: dict = {
        "status": PENDING,
        "next_attempt_at": at,
        "claimed_by": None,
        "claimed_until": None,
        "attempts": OutboxMessage.attempts - 1,
        "payload": payload,
    }
    if error is not None:
        values["error"] = error[:500]
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.claimed_by == worker, OutboxMessage.status == "sending")
        .values(**values)
    )


async def window_opened(session: AsyncSession, external_id: str, now: datetime | None = None) -> int:
    """The person wrote to us: their messages waiting for the window are due now (instead of at the next look).
    Returns how many. To be called by the inbound side whenever a WhatsApp message arrives."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.channel == CHANNEL,
            OutboxMessage.external_id == external_id,
            OutboxMessage.status == PENDING,
            OutboxMessage.payload[WAITING_SINCE].as_string().is_not(None),
        )
        .values(next_attempt_at=now or utcnow())
    )
    return result.rowcount or 0


# ---- the undeliverable mark (131026 / 131049), shown in /rt ---------------------------------------------------
async def mark_undeliverable(session: AsyncSession, external_id: str, reason: str, now: datetime) -> bool:
    result = await session.execute(
        update(ChannelIdentity)
        .where(ChannelIdentity.channel == CHANNEL, ChannelIdentity.external_id == external_id)
        .values(undeliverable_at=now, undeliverable_reason=reason[:200])
    )
    return bool(result.rowcount)


async def clear_undeliverable(session: AsyncSession, external_id: str) -> None:
    await session.execute(
        update(ChannelIdentity)
        .where(
            ChannelIdentity.channel == CHANNEL,
            ChannelIdentity.external_id == external_id,
            ChannelIdentity.undeliverable_at.is_not(None),
        )
        .values(undeliverable_at=None, undeliverable_reason=None)
    )


# ---- an error after Meta accepted the message ----------------------------------------------------------------
@dataclass(frozen=True)
class AfterAccept:
    action: str  # "template" | "retry" | "failed"
    at: datetime | None = None  # when it is tried again


def error_text(code: int | None, title: str | None) -> str:
    return f"WhatsApp {code}: {title or 'error'}"


async def failed_after_accept(
    session: AsyncSession, row: OutboxMessage, code: int | None, title: str | None, now: datetime | None = None
) -> AfterAccept:
    """A `failed` status arrived for a message the Graph API had accepted (`row` found by its wamid): the same
    handling as when the send call itself answers that error (bot/channels/whatsapp/delivery.py).

    - 131047 (outside the window after all): queued again at once as a template (`TEMPLATE_ONLY`);
    - 131026 / 131049 (undeliverable, or held back by Meta): the identity is marked (shown in /rt), and the row is
      queued again in an hour, within `MAX_ATTEMPTS` attempts;
    - 131056 (too many to this person) and 130429 (throughput): queued again a little later;
    - anything else: the row is failed with the error (never retried: it would only fail again).

    The caller (the status recording of the webhook) sets `delivery_status` itself; this only decides what happens
    to the message. Nothing is committed here: it runs in the caller's unit of work.
    """
    now = now or utcnow()
    reason = error_text(code, title)
    if code == OUTSIDE_WINDOW:
        payload = {**(row.payload or {}), TEMPLATE_ONLY: now.isoformat()}
        _requeue(row, payload, now, reason)
        return AfterAccept("template", now)
    if code in UNDELIVERABLE:
        await mark_undeliverable(session, row.external_id, reason, now)
        if row.attempts >= MAX_ATTEMPTS:
            row.status, row.error = FAILED, reason
            return AfterAccept("failed")
        at = now + UNDELIVERABLE_WAIT
        _requeue(row, row.payload, at, reason)
        return AfterAccept("retry", at)
    if code in (PAIR_RATE, THROUGHPUT):
        at = now + (PAIR_RATE_WAIT if code == PAIR_RATE else THROUGHPUT_WAIT)
        _requeue(row, row.payload, at, reason)
        return AfterAccept("retry", at)
    row.status, row.error = FAILED, reason
    return AfterAccept("failed")


def _requeue(row: OutboxMessage, payload: dict, at: datetime, reason: str) -> None:
    row.status, row.next_attempt_at, row.error = PENDING, at, reason
    row.payload = dict(payload or {})
    row.claimed_by = row.claimed_until = None
    row.sent_at = None
