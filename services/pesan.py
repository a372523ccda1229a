"""Messages between an RT and its pendamping: written with `/hubungi`, answered with "Balas", kept in `pesan`."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.models import Person, Pesan, utcnow
from services.problems import ProblemError
from services.visible_text import visible

# About what one phone screen shows; longer thoughts are better said on the phone.
MAX_TEXT = 1000


def check_text(text: str) -> str:
    """The text as it will be sent; raises pesan_empty / pesan_too_long."""
    cleaned = visible(text or "").strip()
    if not cleaned:
        raise ProblemError.one("pesan_empty")
    if len(cleaned) > MAX_TEXT:
        raise ProblemError.one("pesan_too_long", length=len(cleaned), maximum=MAX_TEXT)
    return cleaned


async def send(
    session: AsyncSession,
    *,
    rt_id: int,
    sender: Person,
    recipient: Person,
    text: str,
    reply_to: Pesan | None = None,
    now: datetime | None = None,
) -> Pesan:
    """Keep the message (the caller queues its delivery in the same unit of work)."""
    pesan = Pesan(
        rt_id=rt_id,
        from_person_id=sender.id,
        to_person_id=recipient.id,
        text=check_text(text),
        reply_to_id=reply_to.id if reply_to else None,
        sent_at=now or utcnow(),
    )
    session.add(pesan)
    await session.flush()
    return pesan


async def to_answer(session: AsyncSession, person: Person, pesan_id: int) -> Pesan:
    """The message `person` wants to answer; only its recipient may. Raises pesan_not_found / pesan_not_yours."""
    pesan = await session.get(Pesan, pesan_id)
    if pesan is None:
        raise ProblemError.one("pesan_not_found", id=pesan_id)
    if pesan.to_person_id != person.id:
        raise ProblemError.one("pesan_not_yours", id=pesan_id)
    return pesan
