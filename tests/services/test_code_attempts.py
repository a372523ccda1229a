"""Wrong invitation codes: the lock per chat, the ceiling across all chats, and its one warning."""

import asyncio
import logging
from datetime import timedelta

from services import code_attempts
from services.db import Database
from services.models import CodeAttempt, utcnow


async def _seed(db: Database, count: int, now) -> None:
    async with db.unit_of_work() as session:
        for n in range(count):
            session.add(
                CodeAttempt(
                    channel="telegram", user_id=f"g{n % 50}", at=now - timedelta(minutes=59) + n * timedelta(seconds=1)
                )
            )


async def test_the_chat_lock_counts_only_that_chat_and_only_the_last_hour(db: Database):
    now = utcnow()
    async with db.unit_of_work() as session:
        for minutes in (70, 50, 40, 30, 20):  # the one 70 minutes ago no longer counts
            session.add(CodeAttempt(channel="telegram", user_id="42", at=now - timedelta(minutes=minutes)))
        session.add(CodeAttempt(channel="whatsapp", user_id="42", at=now))
    async with db.unit_of_work() as session:
        assert await code_attempts.chat_locked_until(session, "telegram", "42", now) is None
        await code_attempts.record_wrong(session, "telegram", "42", now)
    async with db.unit_of_work() as session:
        assert await code_attempts.chat_locked_until(session, "telegram", "42", now) == now + timedelta(hours=1)
        assert await code_attempts.chat_locked_until(session, "whatsapp", "42", now) is None


async def test_simultaneous_wrong_codes_reach_the_ceiling_with_exactly_one_warning(db: Database, caplog):
    now = utcnow()
    ceiling = code_attempts.MAX_WRONG_PER_HOUR
    await _seed(db, ceiling - 10, now)

    async def guess(n: int) -> None:
        async with db.unit_of_work() as session:
            await code_attempts.record_wrong(session, "telegram", f"attacker{n}", now)

    with caplog.at_level(logging.WARNING, logger="services.code_attempts"):
        await asyncio.gather(*(guess(n) for n in range(20)))
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    async with db.unit_of_work() as session:
        # The oldest counted attempts age out first: with 510 counted, 11 must go before codes are checked again.
        freed = await code_attempts.all_locked_until(session, now)
        assert freed == now - timedelta(minutes=59) + timedelta(seconds=10) + timedelta(hours=1)
        assert await code_attempts.all_locked_until(session, freed + timedelta(seconds=1)) is None
