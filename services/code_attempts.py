"""Wrong invitation codes: a lock per chat, and a ceiling across all chats against guessing from many accounts.

A code is 8 characters from 26 (about 2 × 10^11 codes) and at most a few thousand are alive at once (1,583 RTs,
a Ketua RT and a Bendahara each, plus pendamping), so one guess hits with odds of about 1 in 6 × 10^7. The lock per
chat (5 an hour) stops one account; an attacker with a hundred accounts is stopped by the ceiling.
"""

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.models import CodeAttempt

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=1)
MAX_WRONG_PER_CHAT = 5
# Wrong codes per hour across all chats. Honest mistakes stay far below it: even a registration morning for a whole
# kecamatan (about 150 RTs, so 300 people typing codes from paper) with a typo from every second person makes about
# 150. At the ceiling, a whole year of guessing finds a live code with odds of about 7 % (500 × 24 × 365 guesses ×
# 3,500 live codes ÷ 2 × 10^11); without it, thousands of accounts could try millions an hour. Reaching it pauses
# code checking for everyone for under an hour, which is why it is set well above any real registration day.
MAX_WRONG_PER_HOUR = 500
# PostgreSQL: recording a wrong code takes this transaction-level lock, so concurrent ones are counted one after the
# other and exactly one of them sees the count reach the ceiling (and logs it). SQLite serialises writes anyway.
_ADVISORY_LOCK = 0x4B42_C0DE


async def chat_locked_until(session: AsyncSession, channel: str, user_id: str, now: datetime) -> datetime | None:
    """When this chat may try again after MAX_WRONG_PER_CHAT wrong codes within the hour; None when it may now."""
    count, latest = (
        await session.execute(
            select(func.count(), func.max(CodeAttempt.at)).where(
                CodeAttempt.channel == channel, CodeAttempt.user_id == user_id, CodeAttempt.at > now - WINDOW
            )
        )
    ).one()
    return latest + WINDOW if count >= MAX_WRONG_PER_CHAT else None


async def all_locked_until(session: AsyncSession, now: datetime) -> datetime | None:
    """While the ceiling is reached: when the count falls below it again (the oldest counted attempt ages out)."""
    since = now - WINDOW
    count = await session.scalar(select(func.count()).select_from(CodeAttempt).where(CodeAttempt.at > since))
    if count < MAX_WRONG_PER_HOUR:
        return None
    freeing = await session.scalar(
        select(CodeAttempt.at)
        .where(CodeAttempt.at > since)
        .order_by(CodeAttempt.at, CodeAttempt.id)
        .offset(count - MAX_WRONG_PER_HOUR)
        .limit(1)
    )
    return freeing + WINDOW


async def record_wrong(session: AsyncSession, channel: str, user_id: str, now: datetime) -> None:
    """Count a wrong code; the one that makes the hour's count reach the ceiling logs a WARNING (once)."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
    session.add(CodeAttempt(channel=channel, user_id=user_id, at=now))
    await session.flush()
    count = await session.scalar(select(func.count()).select_from(CodeAttempt).where(CodeAttempt.at > now - WINDOW))
    if count == MAX_WRONG_PER_HOUR:
        log.warning(
            "%d wrong invitation codes in the last hour across all chats: code checking is paused for everyone "
            "until the count falls (last from %s:%s). Someone may be guessing codes.",
            count,
            channel,
            user_id,
        )
