"""The outbox seen from the delivery worker: claim rows atomically under a lease, record how each send ended,
and count a broadcast's progress.

Statuses: pending → sending (claimed: the send is about to start or is running) → sent | failed | unreachable.
A row is claimed just before it is sent, so a `sending` row whose lease ran out belongs to a worker that died
mid-send: it is sent again (at least once), and flagged as possibly delivered twice. That window — the platform
accepted the message but the worker died before writing `sent` — is the one duplicate the design cannot rule out;
the worker keeps it to the milliseconds between the platform's answer and the commit.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import String, case, cast, delete, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import delivery_status
from services.models import Broadcast, OutboxMessage, Person, utcnow
from services.outbox import BEHIND, DIRECT, FAILED, PENDING, SENDING, SENT, UNCERTAIN_SINCE, UNREACHABLE
from services.outbox import enqueue_once as enqueue_once
from services.outbox import preferred_identities as preferred_identities

# UNCERTAIN_SINCE and BEHIND, the payload marks of a message whose fate is unknown, are defined in services/outbox.py
# (imported above; bot/ reads them from here).
IN_DOUBT = "in doubt: the previous worker stopped during the send; it may have been delivered twice"

SUPERSEDED = "not sent: its first attempt may have arrived, and a newer message went to this chat after it"


@dataclass(frozen=True)
class Claimed:
    id: int
    channel: str
    external_id: str
    person_id: int | None
    broadcast_id: int | None
    payload: dict
    attempts: int
    # Claimed again after a worker died mid-send: it may already have been delivered once.
    in_doubt: bool


async def claim_batch(
    session: AsyncSession, *, channel: str, worker: str, limit: int, lease: timedelta, now: datetime
) -> list[Claimed]:
    """Atomically take up to `limit` rows to send now: due pending rows, and rows whose lease has expired.

    PostgreSQL: FOR UPDATE SKIP LOCKED lets several workers claim side by side. SQLite: the UPDATE takes the
    single write lock, so the select-and-mark is atomic there too. Notifications go before broadcast rows, so a
    big broadcast never holds up a person's answer (nor its own progress reports).
    """
    due = (OutboxMessage.status == PENDING) & (OutboxMessage.next_attempt_at <= now)
    # A direct answer's send is not taken over blindly: services/direct_answers.py `recover` hands it back first.
    expired = (
        (OutboxMessage.status == SENDING)
        & (OutboxMessage.claimed_until < now)
        & ~OutboxMessage.claimed_by.startswith(DIRECT, autoescape=True)
    )
    candidates = (
        select(OutboxMessage.id)
        .where(OutboxMessage.channel == channel, due | expired)
        .order_by(OutboxMessage.broadcast_id.is_not(None), OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates.scalar_subquery()))
        .values(
            status=SENDING,
            claimed_by=worker,
            claimed_until=now + lease,
            attempts=OutboxMessage.attempts + 1,
            error=case((OutboxMessage.status == SENDING, literal(IN_DOUBT)), else_=OutboxMessage.error),
        )
        .returning(
            OutboxMessage.id,
            OutboxMessage.channel,
            OutboxMessage.external_id,
            OutboxMessage.person_id,
            OutboxMessage.broadcast_id,
            OutboxMessage.payload,
            OutboxMessage.attempts,
            OutboxMessage.error,
        )
    )
    rows = (await session.execute(statement)).all()
    claimed = [Claimed(*row[:7], in_doubt=row[7] == IN_DOUBT) for row in rows]
    return sorted(claimed, key=lambda c: (c.broadcast_id is not None, c.id))


def _mine(row_id: int, worker: str):
    return (OutboxMessage.id == row_id) & (OutboxMessage.claimed_by == worker) & (OutboxMessage.status == SENDING)


async def mark_sent(session: AsyncSession, row_id: int, now: datetime) -> None:
    # Unconditional: whoever holds the claim now, the message did go out.
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status=SENT, sent_at=now, claimed_by=None, claimed_until=None)
    )


async def mark_retry(
    session: AsyncSession,
    row_id: int,
    worker: str,
    *,
    at: datetime,
    error: str | None,
    count_attempt: bool = True,
    payload: dict | None = None,
) -> None:
    """Back to pending until `at`. A platform's "slow down" is not the message's fault: it costs no attempt."""
    values: dict = {"status": PENDING, "next_attempt_at": at, "claimed_by": None, "claimed_until": None}
    if error is not None:
        values["error"] = error[:500]
    if not count_attempt:
        values["attempts"] = OutboxMessage.attempts - 1
    if payload is not None:
        values["payload"] = payload
    await session.execute(update(OutboxMessage).where(_mine(row_id, worker)).values(**values))


async def mark_failed(session: AsyncSession, row_id: int, worker: str, error: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(_mine(row_id, worker))
        .values(status=FAILED, error=error[:500], claimed_by=None, claimed_until=None)
    )


async def mark_unreachable(session: AsyncSession, row_id: int, worker: str, reason: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(_mine(row_id, worker))
        .values(status=UNREACHABLE, error=reason[:500], claimed_by=None, claimed_until=None)
    )


async def release(session: AsyncSession, row_ids: Sequence[int], worker: str, at: datetime) -> None:
    """Give back claimed rows that were not sent (a chat's own limit, a pause): no attempt is counted."""
    if not row_ids:
        return
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(row_ids), OutboxMessage.claimed_by == worker, OutboxMessage.status == SENDING)
        .values(
            status=PENDING,
            next_attempt_at=at,
            claimed_by=None,
            claimed_until=None,
            attempts=OutboxMessage.attempts - 1,
        )
    )


async def sent_after(session: AsyncSession, channel: str, external_id: str, since: datetime) -> bool:
    """Has anything gone out to this chat through the outbox after `since`?"""
    newer = select(OutboxMessage.id).where(
        OutboxMessage.channel == channel,
        OutboxMessage.external_id == external_id,
        OutboxMessage.status == SENT,
        OutboxMessage.sent_at > since,
    )
    return await session.scalar(newer.limit(1)) is not None


async def status_of(session: AsyncSession, row_id: int) -> str | None:
    return await session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == row_id))


async def chats_with_uncertain(session: AsyncSession, channel: str) -> set[str]:
    """The chats that have unknown-fate messages (or the rest of their answers) waiting: usually none."""
    marked = OutboxMessage.payload[UNCERTAIN_SINCE].as_string().is_not(None) | OutboxMessage.payload[
        BEHIND
    ].as_string().is_not(None)
    statement = select(OutboxMessage.external_id).where(
        OutboxMessage.status == PENDING, OutboxMessage.channel == channel, marked
    )
    return set(await session.scalars(statement.distinct()))


async def supersede_uncertain(session: AsyncSession, channel: str, external_id: str, reason: str = SUPERSEDED) -> int:
    """A newer message reached this chat: its waiting unknown-fate messages (and what waits behind them) are stale.
    Returns how many were set aside. One indexed read when there are none, which is nearly always."""
    waiting = (
        await session.execute(
            select(OutboxMessage.id, OutboxMessage.payload).where(
                OutboxMessage.status == PENDING,
                OutboxMessage.channel == channel,
                OutboxMessage.external_id == external_id,
            )
        )
    ).all()
    stale = [row_id for row_id, payload in waiting if UNCERTAIN_SINCE in payload or BEHIND in payload]
    if stale:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(stale), OutboxMessage.status == PENDING)
            .values(status=FAILED, error=reason[:500])
        )
    return len(stale)


@dataclass(frozen=True)
class Progress:
    broadcast_id: int
    total: int
    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    # Failure reasons with their counts, most frequent first.
    reasons: tuple[tuple[str, int], ...] = field(default=())
    # What the platform said afterwards about the messages it accepted (WhatsApp's statuses; Telegram says
    # nothing): reached the phone (read ones included), read, failed after all.
    delivered: int = 0
    read: int = 0
    failed_after: int = 0

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.unreachable

    @property
    def finished(self) -> bool:
        return self.total > 0 and self.done >= self.total


async def broadcast_progress(session: AsyncSession, broadcast_id: int) -> Progress:
    by_status = select(OutboxMessage.status, func.count()).where(OutboxMessage.broadcast_id == broadcast_id)
    counts = Counter(dict((await session.execute(by_status.group_by(OutboxMessage.status))).all()))
    reasons = (
        await session.execute(
            select(OutboxMessage.error, func.count())
            .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status == FAILED)
            .group_by(OutboxMessage.error)
            .order_by(func.count().desc())
        )
    ).all()
    by_delivery = (
        select(OutboxMessage.delivery_status, func.count())
        .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.delivery_status.is_not(None))
        .group_by(OutboxMessage.delivery_status)
    )
    after = Counter(dict((await session.execute(by_delivery)).all()))
    return Progress(
        broadcast_id,
        total=sum(counts.values()),
        sent=counts[SENT],
        failed=counts[FAILED],
        unreachable=counts[UNREACHABLE],
        reasons=tuple((reason or "?", count) for reason, count in reasons),
        delivered=after[delivery_status.DELIVERED] + after[delivery_status.READ],
        read=after[delivery_status.READ],
        failed_after=after[delivery_status.FAILED],
    )


def _unsent(person_id: int, key_prefix: str):
    return (
        (OutboxMessage.person_id == person_id)
        & OutboxMessage.dedupe_key.startswith(key_prefix, autoescape=True)
        & OutboxMessage.status.in_((PENDING, SENDING))
    )


async def has_unsent(session: AsyncSession, person_id: int, key_prefix: str) -> bool:
    """Is a message to this person whose dedupe key starts with `key_prefix` still waiting to go out?"""
    return await session.scalar(select(func.count()).where(_unsent(person_id, key_prefix))) > 0


async def drop_unsent(session: AsyncSession, person_id: int, key_prefix: str) -> None:
    """Forget waiting messages that newer news made pointless (a progress update once the report is out)."""
    await session.execute(delete(OutboxMessage).where(_unsent(person_id, key_prefix), OutboxMessage.status == PENDING))


async def unfinished_broadcasts(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(Broadcast.id).where(Broadcast.finished_at.is_(None))))


# WhatsApp says "delivered", "read" or "failed" minutes to hours after a send, mostly after the final report went
# out: one later report with those counts, this long after the end, and not for a broadcast older than `WITHIN`
# (a worker that was down for days does not wake its senders with old news).
FOLLOW_UP_AFTER = timedelta(hours=1)
FOLLOW_UP_WITHIN = timedelta(days=2)


def follow_up_key(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}:report:later"


async def broadcasts_to_follow_up(session: AsyncSession, now: datetime) -> list[int]:
    """Finished broadcasts the platform said something about (delivered, read, failed), not yet followed up."""
    on_whatsapp = select(OutboxMessage.id).where(
        OutboxMessage.broadcast_id == Broadcast.id,
        OutboxMessage.delivery_status.in_(delivery_status.LATER_NEWS),
    )
    key = literal("broadcast:") + cast(Broadcast.id, String) + literal(":report:later")  # follow_up_key in SQL
    followed_up = select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)
    query = select(Broadcast.id).where(
        Broadcast.finished_at <= now - FOLLOW_UP_AFTER,
        Broadcast.finished_at >= now - FOLLOW_UP_WITHIN,
        Broadcast.created_by_id.is_not(None),
        on_whatsapp.exists(),
        ~followed_up.exists(),
    )
    return list(await session.scalars(query.order_by(Broadcast.id)))


async def queue_broadcast(
    session: AsyncSession,
    *,
    text: str,
    recipients: Sequence[Person],
    payload: dict,
    created_by: str,
    created_by_id: int | None = None,
    audience: dict | None = None,
    now: datetime | None = None,
    not_before: Mapping[int, datetime] | None = None,
) -> tuple[Broadcast, int]:
    """One Broadcast row and one outbox row per reachable recipient (the CLI's bulk path).

    `not_before`: person id → earliest send (the quota plan's later days)."""
    now = now or utcnow()
    broadcast = Broadcast(
        created_by=created_by, created_by_id=created_by_id, text=text, audience=audience or {}, created_at=now
    )
    session.add(broadcast)
    await session.flush()
    identities = await preferred_identities(session, [p.id for p in recipients])
    queued = 0
    for person in recipients:
        identity = identities.get(person.id)
        if identity is not None:
            key = f"broadcast:{broadcast.id}:{person.id}"
            later = (not_before or {}).get(person.id)
            row_id = await enqueue_once(
                session, identity, payload, dedupe_key=key, broadcast_id=broadcast.id, now=now, not_before=later
            )
            queued += row_id is not None
    broadcast.total = queued
    await session.flush()
    return broadcast, queued
