"""services/whatsapp_usage.py on SQLite and PostgreSQL: counted per WIB month and template, never losing a count
when senders count at the same moment."""

import asyncio
from datetime import UTC, datetime

import pytest

from services import whatsapp_usage
from services.db import Database
from services.whatsapp_usage import MonthlyUsage


async def test_counts_add_up_per_month_and_template(db: Database) -> None:
    async with db.unit_of_work() as session:
        assert await whatsapp_usage.usage(session) == []
        await whatsapp_usage.increment(session, "kb_pengingat_bulanan", datetime(2026, 5, 1, 3, 0, tzinfo=UTC))
        await whatsapp_usage.increment(session, "kb_pengingat_bulanan", datetime(2026, 5, 20, 3, 0, tzinfo=UTC), by=249)
        # 30 April 18:00 UTC is 1 May 01:00 WIB: the program's month.
        await whatsapp_usage.increment(session, "kb_pemberitahuan", datetime(2026, 4, 30, 18, 0, tzinfo=UTC))
        await whatsapp_usage.increment(session, "kb_pemberitahuan", datetime(2026, 4, 30, 16, 0, tzinfo=UTC))
    async with db.unit_of_work() as session:
        assert await whatsapp_usage.usage(session) == [
            MonthlyUsage("2026-04", "kb_pemberitahuan", 1),
            MonthlyUsage("2026-05", "kb_pemberitahuan", 1),
            MonthlyUsage("2026-05", "kb_pengingat_bulanan", 250),
        ]


async def test_senders_counting_at_once_lose_nothing(db: Database) -> None:
    at = datetime(2026, 6, 10, 2, 0, tzinfo=UTC)

    async def one_send() -> None:
        async with db.unit_of_work() as session:
            await whatsapp_usage.increment(session, "kb_pengingat_susulan", at)

    await asyncio.gather(*(one_send() for _ in range(20)))
    async with db.unit_of_work() as session:
        assert await whatsapp_usage.usage(session) == [MonthlyUsage("2026-06", "kb_pengingat_susulan", 20)]


async def test_a_rolled_back_send_is_not_counted(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.unit_of_work() as session:
            await whatsapp_usage.increment(session, "kb_buka_percakapan", datetime(2026, 6, 1, tzinfo=UTC))
            raise RuntimeError("the send failed after counting")
    async with db.unit_of_work() as session:
        assert await whatsapp_usage.usage(session) == []


def test_nonsense_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        whatsapp_usage.month_of(datetime(2026, 6, 1))
    with pytest.raises(ValueError, match="at least one"):
        asyncio.run(whatsapp_usage.increment(None, "x", datetime(2026, 6, 1, tzinfo=UTC), by=0))  # type: ignore[arg-type]
