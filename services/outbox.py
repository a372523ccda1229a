"""The outbox: every message to someone other than the sender goes here, in the same transaction as the change
that caused it, and the delivery worker sends it."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.models import ChannelIdentity, OutboxMessage

# Where a person has several channels, the first reachable one in this order is used (Telegram has no quota).
CHANNEL_PREFERENCE = ("telegram", "whatsapp", "console")


async def preferred_identity(session: AsyncSession, person_id: int) -> ChannelIdentity | None:
    identities = list(await session.scalars(select(ChannelIdentity).where(ChannelIdentity.person_id == person_id)))
    reachable = [i for i in identities if i.unreachable_at is None] or identities
    reachable.sort(key=lambda i: CHANNEL_PREFERENCE.index(i.channel) if i.channel in CHANNEL_PREFERENCE else 99)
    return reachable[0] if reachable else None


async def enqueue_for_person(
    session: AsyncSession,
    person_id: int,
    payload: dict,
    *,
    dedupe_key: str | None = None,
    broadcast_id: int | None = None,
    not_before: datetime | None = None,
) -> int:
    """Queue one message; returns 1, or 0 when the person has no channel yet (nothing can reach them).

    `not_before`: not sent before then (a WhatsApp template planned for a later day, services.whatsapp_quota)."""
    identity = await preferred_identity(session, person_id)
    if identity is None:
        return 0
    if dedupe_key is not None:
        exists = await session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
        if exists:
            return 0
    message = OutboxMessage(
        dedupe_key=dedupe_key,
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
