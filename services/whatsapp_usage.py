"""Templates sent per month and template: every template costs the city money (PLATFORM_LIMITS.md), so each one the
Graph API accepts is counted here by the sender, and `kampung-bahagia whatsapp usage` prints the counts.

The month is the program's (WIB), like every date the bot shows; Meta's invoice may cut a month seven hours apart.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.models import WhatsAppTemplateSend
from services.wib import WIB

_INSERT = {"postgresql": pg_insert, "sqlite": sqlite_insert}


@dataclass(frozen=True)
class MonthlyUsage:
    month: str  # "2026-05"
    template: str
    count: int


def month_of(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("naive datetime: the month of a send needs its time zone")
    return at.astimezone(WIB).strftime("%Y-%m")


async def increment(session: AsyncSession, template: str, at: datetime, by: int = 1) -> None:
    """Count `by` sends of this template at this moment. One statement that adds on conflict: two senders
    counting at once never lose one (no read-then-write)."""
    if by < 1:
        raise ValueError(f"count at least one send, not {by}")
    connection = await session.connection()
    insert = _INSERT[connection.dialect.name](WhatsAppTemplateSend).values(
        month=month_of(at), template=template, count=by
    )
    table = WhatsAppTemplateSend.__table__
    await connection.execute(
        insert.on_conflict_do_update(
            index_elements=["month", "template"], set_={"count": table.c.count + insert.excluded.count}
        )
    )


async def usage(session: AsyncSession) -> list[MonthlyUsage]:
    """Every month and template with a count, oldest month first."""
    rows = await session.execute(
        select(WhatsAppTemplateSend.month, WhatsAppTemplateSend.template, WhatsAppTemplateSend.count).order_by(
            WhatsAppTemplateSend.month, WhatsAppTemplateSend.template
        )
    )
    return [MonthlyUsage(month, template, count) for month, template, count in rows]
