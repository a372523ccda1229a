"""Inbound bookkeeping shared by every channel: each update acted on once, and albums gathered in the database.

Both live in the database, not in process memory, so several web workers (or a restart) never act twice.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.models import AlbumItem, ProcessedUpdate, utcnow


def _claim_statement(insert):  # the dialect's insert() construct
    return (
        insert(ProcessedUpdate)
        .values(channel=bindparam("channel"), update_id=bindparam("update_id"), processed_at=bindparam("at"))
        .on_conflict_do_nothing(index_elements=["channel", "update_id"])
    )


# Built once: every message runs one, and building the statement cost more than executing it (bench/updates.py).
_CLAIM = {"postgresql": _claim_statement(pg_insert), "sqlite": _claim_statement(sqlite_insert)}


async def claim_update(session: AsyncSession, channel: str, update_id: str | int, now: datetime | None = None) -> bool:
    """True the first time this update id is seen: the primary key makes the insert the lock, on any database.

    Call it in the unit of work that acts on the update: if that work is rolled back (a crash, a failure), so is
    the claim, and the update redelivered by the platform is handled then.
    """
    connection = await session.connection()  # Core, not the ORM's bulk insert: one row, and its rowcount
    statement = _CLAIM[connection.dialect.name]
    result = await connection.execute(
        statement, {"channel": channel, "update_id": str(update_id), "at": now or utcnow()}
    )
    return result.rowcount == 1


async def handled_among(session: AsyncSession, channel: str, update_ids: list[str | int]) -> set[str]:
    """Which of these update ids were handled already (a whole getUpdates batch in one read).

    Only a cheap early filter: the claim that counts is `claim_update`, in the unit of work that does the work.
    """
    if not update_ids:
        return set()
    rows = await session.scalars(
        select(ProcessedUpdate.update_id).where(
            ProcessedUpdate.channel == channel, ProcessedUpdate.update_id.in_([str(i) for i in update_ids])
        )
    )
    return set(rows)


async def add_album_item(
    session: AsyncSession,
    channel: str,
    media_group_id: str,
    user_id: str,
    item: dict,
    now: datetime | None = None,
) -> None:
    session.add(
        AlbumItem(
            channel=channel, media_group_id=media_group_id, user_id=user_id, item=item, received_at=now or utcnow()
        )
    )
    await session.flush()


async def quiet_albums(session: AsyncSession, channel: str, quiet_since: datetime) -> list[str]:
    """Albums not yet flushed whose last photo arrived before `quiet_since` (no sibling is coming any more)."""
    rows = await session.execute(
        select(AlbumItem.media_group_id)
        .where(AlbumItem.channel == channel, AlbumItem.flushed_at.is_(None))
        .group_by(AlbumItem.media_group_id)
        .having(func.max(AlbumItem.received_at) < quiet_since)
    )
    return [row[0] for row in rows]


async def waiting_album(session: AsyncSession, channel: str, media_group_id: str) -> list[AlbumItem]:
    """The album's items not yet handled, in arrival order (read only: the handling claims them)."""
    items = await session.scalars(
        select(AlbumItem)
        .where(
            AlbumItem.channel == channel,
            AlbumItem.media_group_id == media_group_id,
            AlbumItem.flushed_at.is_(None),
        )
        .order_by(AlbumItem.id)
    )
    return list(items)


async def albums_waiting_for(session: AsyncSession, channel: str, user_ids: Iterable[str]) -> set[str]:
    """Which of these people have an album still gathering: their next message must wait for it."""
    users = list(set(user_ids))
    if not users:
        return set()
    rows = await session.scalars(
        select(AlbumItem.user_id)
        .where(AlbumItem.channel == channel, AlbumItem.flushed_at.is_(None), AlbumItem.user_id.in_(users))
        .distinct()
    )
    return set(rows)


async def waiting_albums_of(session: AsyncSession, channel: str, user_id: str) -> list[str]:
    rows = await session.scalars(
        select(AlbumItem.media_group_id)
        .where(AlbumItem.channel == channel, AlbumItem.flushed_at.is_(None), AlbumItem.user_id == user_id)
        .group_by(AlbumItem.media_group_id)
        .order_by(func.min(AlbumItem.id))
    )
    return list(rows)


async def claim_album_items(
    session: AsyncSession, channel: str, item_ids: Iterable[int], now: datetime | None = None
) -> bool:
    """Mark these album items handled, in the unit of work that handles them; False when another worker did.

    The conditional UPDATE is atomic: on PostgreSQL a concurrent claimer waits for the first to commit and then
    finds none left with `flushed_at IS NULL`.
    """
    ids = list(item_ids)
    result = await session.execute(
        update(AlbumItem)
        .where(AlbumItem.channel == channel, AlbumItem.id.in_(ids), AlbumItem.flushed_at.is_(None))
        .values(flushed_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == len(ids)


async def prune(session: AsyncSession, older_than: timedelta, now: datetime | None = None) -> None:
    """Forget update ids and flushed albums older than any redelivery could be (Telegram keeps updates 24 h)."""
    before = (now or utcnow()) - older_than
    await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before))
    await session.execute(delete(AlbumItem).where(AlbumItem.flushed_at.is_not(None), AlbumItem.flushed_at < before))
