"""The outbox: every message to someone other than the sender goes here, in the same transaction as the change
that caused it, and the delivery worker sends it. The one module that queues rows and says who is reached through
which channel; services/delivery.py is the worker's side (claims, outcomes, progress).

Statuses: pending → sending (claimed: the send is about to start or is running) → sent | failed | unreachable.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import insert_ignoring_conflicts
from services.models import ChannelIdentity, OutboxMessage, utcnow

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
UNREACHABLE = "unreachable"
DONE = (SENT, FAILED, UNREACHABLE)

# Where a person has several channels, the first reachable one in this order is used (Telegram has no quota).
CHANNEL_PREFERENCE = ("telegram", "whatsapp", "console")


async def preferred_identities(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, ChannelIdentity]:
    """The identity each person is reached through, in one query: a reachable one before one that blocked the bot,
    then by CHANNEL_PREFERENCE, then the oldest."""
    ids = list(set(person_ids))
    by_person: dict[int, list[ChannelIdentity]] = {}
    if ids:
        for identity in await session.scalars(select(ChannelIdentity).where(ChannelIdentity.person_id.in_(ids))):
            by_person.setdefault(identity.person_id, []).append(identity)

    def rank(identity: ChannelIdentity) -> tuple[bool, int, int]:
        order = CHANNEL_PREFERENCE.index(identity.channel) if identity.channel in CHANNEL_PREFERENCE else 99
        return (identity.unreachable_at is not None, order, identity.id)

    return {person_id: min(identities, key=rank) for person_id, identities in by_person.items()}


async def preferred_identity(session: AsyncSession, person_id: int) -> ChannelIdentity | None:
    return (await preferred_identities(session, [person_id])).get(person_id)


async def enqueue_once(
    session: AsyncSession,
    identity: ChannelIdentity,
    payload: dict,
    *,
    dedupe_key: str,
    broadcast_id: int | None = None,
    now: datetime | None = None,
    not_before: datetime | None = None,
) -> int | None:
    """Queue one message unless its dedupe key is already queued; returns the new row id, or None. The unique key
    decides, so two processes queueing the same message at the same moment still make one row.

    `not_before`: not sent before then (a WhatsApp template planned for a later day, services.whatsapp_quota)."""
    statement = (
        insert_ignoring_conflicts(session, OutboxMessage)
        .values(
            dedupe_key=dedupe_key,
            channel=identity.channel,
            external_id=identity.external_id,
            person_id=identity.person_id,
            broadcast_id=broadcast_id,
            payload=payload,
            status=PENDING,
            attempts=0,
            next_attempt_at=not_before or now or utcnow(),
            created_at=now or utcnow(),
        )
        .returning(OutboxMessage.id)
    )
    return await session.scalar(statement)


async def enqueue_for_person(
    session: AsyncSession,
    person_id: int,
    payload: dict,
    *,
    dedupe_key: str | None = None,
    broadcast_id: int | None = None,
    not_before: datetime | None = None,
) -> int:
    """Queue one message to a person through their preferred channel; returns 1, or 0 when they have no channel
    yet (nothing can reach them) or a message with this dedupe key is queued already."""
    identity = await preferred_identity(session, person_id)
    if identity is None:
        return 0
    if dedupe_key is not None:
        queued = await enqueue_once(
            session, identity, payload, dedupe_key=dedupe_key, broadcast_id=broadcast_id, not_before=not_before
        )
        return 0 if queued is None else 1
    message = OutboxMessage(
        channel=identity.channel,
        external_id=identity.external_id,
        person_id=person_id,
        broadcast_id=broadcast_id,
        payload=payload,
    )
    if not_before is not None:
        message.next_attempt_at = not_before
    session.add(message)
    return 1


def enqueue_to(
    session: AsyncSession,
    channel: str,
    external_id: str,
    payload: dict,
    *,
    person_id: int | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Queue one message to this very chat (an answer the channel could not send right away)."""
    message = OutboxMessage(channel=channel, external_id=external_id, person_id=person_id, payload=payload)
    if not_before is not None:
        message.next_attempt_at = not_before
    session.add(message)
    return message
