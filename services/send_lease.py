"""One worker process at a time sends as a channel account: a lease row per account, taken and renewed atomically.

The platform's limits (Telegram's 30 messages a second per bot, WhatsApp's throughput and daily quota per number)
belong to the account, not to a process. With several `worker` processes, the one holding the account's lease sends
at the account's full pace; the others stand by and take the lease over once it has run out (its holder died or
lost the database). No new server: the row lives in the application's database, SQLite or PostgreSQL.

Both statements decide atomically on either database: the UPDATE only matches a lease that is ours or has run out
(PostgreSQL re-checks the condition on the row a concurrent UPDATE just committed; SQLite has one writer), and the
first INSERT of an account lets exactly one of two racing workers in (ON CONFLICT DO NOTHING). Times are the
application's clock, like the outbox's claims: the worker machines' clocks must agree (NTP) to well within a lease.
"""

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import insert_ignoring_conflicts
from services.models import ChannelLease


async def take(session: AsyncSession, account: str, holder: str, now: datetime, lease: timedelta) -> bool:
    """Take the account's lease, or renew it when `holder` has it already; False while another holds a valid one."""
    renewed = await session.scalar(
        update(ChannelLease)
        .where(
            ChannelLease.account == account,
            (ChannelLease.holder == holder) | (ChannelLease.expires_at < now),
        )
        .values(holder=holder, expires_at=now + lease)
        .returning(ChannelLease.account)
    )
    if renewed is not None:
        return True
    first = await session.scalar(
        insert_ignoring_conflicts(session, ChannelLease)
        .values(account=account, holder=holder, expires_at=now + lease)
        .returning(ChannelLease.account)
    )
    return first is not None


async def release(session: AsyncSession, account: str, holder: str, now: datetime, handover: timedelta) -> None:
    """Give the lease up (a clean stop): another may take it once `handover` has passed — long enough for the
    platform to forget the last second of our sends, so the next holder's first burst does not add to them."""
    await session.execute(
        update(ChannelLease)
        .where(ChannelLease.account == account, ChannelLease.holder == holder)
        .values(expires_at=now + handover)
    )


async def holder_of(session: AsyncSession, account: str, now: datetime) -> str | None:
    """Who sends as the account now (None: nobody, or a lease that has run out)."""
    return await session.scalar(
        select(ChannelLease.holder).where(ChannelLease.account == account, ChannelLease.expires_at >= now)
    )
