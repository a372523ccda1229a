"""Updates a webhook received, kept until the conversations have handled them: the webhook answers the platform
as soon as one insert is committed, and a drain (bot/channels/stored.py) does the work after, from here.

- Stored once: (channel, update_id) is unique, so the platform's redelivery of the same update is one row.
- In order per person: only the *head* of a person's line can be claimed (their oldest row not done), so two
  processes never work on one person at once and a person's messages are handled in the order they arrived.
- A crash loses nothing: a claim is a lease; a row whose worker died is claimed again when the lease runs out
  (the engine's `processed_update` claim keeps a message that was already acted on from being acted on twice).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.models import InboundUpdate, utcnow

# A row taken up this many times without being finished crashed its worker each time: set aside (logged by the
# drain), so one poisonous update cannot stop everyone behind it.
MAX_ATTEMPTS = 5

_INSERT = {"postgresql": pg_insert, "sqlite": sqlite_insert}


@dataclass(frozen=True)
class Received:
    """One update as the webhook hands it over."""

    update_id: str
    person: str
    payload: dict


@dataclass(frozen=True)
class Stored:
    id: int
    update_id: str
    person: str
    payload: dict
    attempts: int


async def store(session: AsyncSession, channel: str, items: Sequence[Received], now: datetime | None = None) -> int:
    """Keep what arrived (one statement); returns how many were new. A redelivered update id adds nothing."""
    if not items:
        return 0
    connection = await session.connection()
    at = now or utcnow()
    rows = [
        {
            "channel": channel,
            "update_id": i.update_id,
            "person": i.person,
            "payload": i.payload,
            "received_at": at,
            "attempts": 0,
        }
        for i in items
    ]
    statement = (
        _INSERT[connection.dialect.name](InboundUpdate)
        .values(rows)  # one multi-row INSERT: the request's one statement
        .on_conflict_do_nothing(index_elements=["channel", "update_id"])
        .returning(InboundUpdate.id)
    )
    return len((await connection.execute(statement)).all())


def _heads(channel: str, now: datetime, person: str | None):
    """Rows that may be claimed now: not done, not held by a live claim, and the oldest of their person."""
    earlier = aliased(InboundUpdate)
    waiting_before = (
        select(earlier.id)
        .where(
            earlier.channel == InboundUpdate.channel,
            earlier.person == InboundUpdate.person,
            earlier.id < InboundUpdate.id,
            earlier.done_at.is_(None),
        )
        .exists()
    )
    free = InboundUpdate.claimed_until.is_(None) | (InboundUpdate.claimed_until < now)
    query = select(InboundUpdate.id).where(
        InboundUpdate.channel == channel, InboundUpdate.done_at.is_(None), free, ~waiting_before
    )
    if person is not None:
        query = query.where(InboundUpdate.person == person)
    return query


async def claim(
    session: AsyncSession,
    channel: str,
    *,
    worker: str,
    lease: timedelta,
    limit: int,
    now: datetime | None = None,
    person: str | None = None,
) -> list[Stored]:
    """Take up to `limit` heads of people's lines (one per person), oldest first; `person`: only theirs.

    PostgreSQL: FOR UPDATE SKIP LOCKED lets several drains claim side by side; a head another drain is claiming
    is skipped, and the row behind it is no head while it is not done. SQLite: the UPDATE holds the one write lock.
    """
    now = now or utcnow()
    candidates = _heads(channel, now, person).order_by(InboundUpdate.id).limit(limit).with_for_update(skip_locked=True)
    statement = (
        update(InboundUpdate)
        .where(InboundUpdate.id.in_(candidates.scalar_subquery()))
        .values(claimed_by=worker, claimed_until=now + lease, attempts=InboundUpdate.attempts + 1)
        .returning(
            InboundUpdate.id,
            InboundUpdate.update_id,
            InboundUpdate.person,
            InboundUpdate.payload,
            InboundUpdate.attempts,
        )
    )
    rows = (await session.execute(statement)).all()
    return sorted((Stored(*row) for row in rows), key=lambda s: s.id)


async def finish(session: AsyncSession, row_id: int, worker: str, now: datetime | None = None) -> bool:
    """Mark a claimed row done; False when it was no longer ours (the lease ran out and another drain took it)."""
    result = await session.execute(
        update(InboundUpdate)
        .where(InboundUpdate.id == row_id, InboundUpdate.claimed_by == worker, InboundUpdate.done_at.is_(None))
        .values(done_at=now or utcnow(), claimed_until=None)
    )
    return result.rowcount == 1


async def renew(session: AsyncSession, row_ids: Iterable[int], worker: str, lease: timedelta, now: datetime) -> None:
    """Extend this drain's claims that are still at work (a large download, a slow platform)."""
    ids = list(row_ids)
    if ids:
        await session.execute(
            update(InboundUpdate)
            .where(InboundUpdate.id.in_(ids), InboundUpdate.claimed_by == worker, InboundUpdate.done_at.is_(None))
            .values(claimed_until=now + lease)
        )


async def defer(session: AsyncSession, row_id: int, worker: str, until: datetime) -> None:
    """Keep a claimed row, not done, out of every drain's reach until `until` (it came before what it is about)."""
    await session.execute(
        update(InboundUpdate)
        .where(InboundUpdate.id == row_id, InboundUpdate.claimed_by == worker, InboundUpdate.done_at.is_(None))
        .values(claimed_until=until)
    )


async def release(session: AsyncSession, row_ids: Iterable[int], worker: str) -> None:
    """Hand back claims not started (a clean stop): claimable again at once, the attempt not counted."""
    ids = list(row_ids)
    if ids:
        await session.execute(
            update(InboundUpdate)
            .where(InboundUpdate.id.in_(ids), InboundUpdate.claimed_by == worker, InboundUpdate.done_at.is_(None))
            .values(claimed_until=None, claimed_by=None, attempts=InboundUpdate.attempts - 1)
        )


async def waiting(session: AsyncSession, channel: str) -> int:
    """How many updates are not done yet (a health number for operators and the benchmark)."""
    return await session.scalar(
        select(func.count())
        .select_from(InboundUpdate)
        .where(InboundUpdate.channel == channel, InboundUpdate.done_at.is_(None))
    )


async def prune(session: AsyncSession, before: datetime) -> int:
    """Forget rows done before `before` (their update ids stay in `processed_update` as long as that keeps them)."""
    result = await session.execute(
        delete(InboundUpdate).where(InboundUpdate.done_at.is_not(None), InboundUpdate.done_at < before)
    )
    return result.rowcount
