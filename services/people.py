"""People and their channel identities."""

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import numbers
from services.models import ChannelIdentity, Person, Role, utcnow
from services.visible_text import visible_name


def normalize_phone(text: str) -> str | None:
    """An Indonesian mobile number in E.164 (`+62812...`), or None when the text is not one."""
    digits = re.sub(r"[\s\-().]", "", numbers.ascii_digits(text.strip()))
    if digits.startswith("+"):
        digits = digits[1:]
    if not (digits.isascii() and digits.isdigit()):
        return None
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    if not digits.startswith("62") or not 10 <= len(digits) <= 15:
        return None
    return "+" + digits


async def identity_person(session: AsyncSession, channel: str, external_id: str) -> Person | None:
    return await session.scalar(
        select(Person)
        .join(ChannelIdentity, ChannelIdentity.person_id == Person.id)
        .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
    )


async def identity_with_person(
    session: AsyncSession, channel: str, external_id: str
) -> tuple[ChannelIdentity | None, Person | None]:
    """The identity and its person in one round trip (the engine needs both for every message)."""
    row = (
        await session.execute(
            select(ChannelIdentity, Person)
            .join(Person, ChannelIdentity.person_id == Person.id)
            .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
        )
    ).first()
    return (row[0], row[1]) if row else (None, None)


async def bind_identity(
    session: AsyncSession, person: Person, *, channel: str, external_id: str, now: datetime | None = None
) -> ChannelIdentity:
    identity = await session.scalar(
        select(ChannelIdentity).where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
    )
    if identity is None:
        identity = ChannelIdentity(
            person_id=person.id, channel=channel, external_id=external_id, created_at=now or utcnow()
        )
        session.add(identity)
    else:
        identity.person_id = person.id
    await session.flush()
    return identity


async def find_or_create_pendamping(session: AsyncSession, reference: str) -> Person:
    """A pendamping named in the roster by phone number or by name (case-insensitive)."""
    phone = normalize_phone(reference)
    if phone:
        person = await session.scalar(select(Person).where(Person.role == Role.PENDAMPING, Person.phone == phone))
    else:
        person = await session.scalar(
            select(Person).where(Person.role == Role.PENDAMPING, func.lower(Person.nama) == reference.strip().lower())
        )
    if person is None:
        person = Person(nama="" if phone else visible_name(reference) or "", phone=phone, role=Role.PENDAMPING)
        session.add(person)
        await session.flush()
    return person


async def mark_unreachable(
    session: AsyncSession, channel: str, external_id: str, reason: str, now: datetime | None = None
) -> bool:
    """The platform says this identity cannot be reached (blocked the bot…); True when an identity was marked."""
    identity = await session.scalar(
        select(ChannelIdentity).where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
    )
    if identity is None:
        return False
    identity.unreachable_at = now or utcnow()
    identity.unreachable_reason = reason[:200]
    await session.flush()
    return True
