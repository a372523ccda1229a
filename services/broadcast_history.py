"""What went out to many people at once — broadcasts and the scheduled reminders — and how far each got, per
channel, for the dashboard's Siaran page.

Each outbox row counts once, under the furthest thing known of it: queued (waiting or being sent), sent (the
platform took it), delivered (it reached the phone), read, or failed (refused, unreachable, or failed after it was
accepted — services/delivery_status.py). Telegram never says delivered or read, so its messages stay at sent.

Who sees what (services/assignments.py decides which RTs): an admin sees every broadcast and every reminder; a
pendamping the broadcasts they sent (which only ever reach their RTs) and the reminders of the people of their RTs
and their own, counted over those people only.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services import delivery_status
from services.assignments import rts_for
from services.models import RT, Broadcast, OutboxMessage, Person, ReminderClaim, Role
from services.outbox import FAILED, PENDING, SENDING, UNREACHABLE

QUEUED, SENT, DELIVERED, READ = "queued", "sent", "delivered", "read"
STATES = (QUEUED, SENT, DELIVERED, READ, FAILED)
PER_PAGE = 20


def _state() -> ColumnElement[str]:
    return case(
        (OutboxMessage.status.in_((PENDING, SENDING)), literal(QUEUED)),
        (OutboxMessage.status.in_((FAILED, UNREACHABLE)), literal(FAILED)),
        (OutboxMessage.delivery_status == delivery_status.READ, literal(READ)),
        (OutboxMessage.delivery_status == delivery_status.DELIVERED, literal(DELIVERED)),
        (OutboxMessage.delivery_status == delivery_status.FAILED, literal(FAILED)),
        else_=literal(SENT),
    )


@dataclass(frozen=True)
class Report:
    """Messages by channel and state: {"telegram": {"sent": 3, "read": 1}, ...}; absent means zero."""

    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, state: str, channel: str | None = None) -> int:
        channels = [channel] if channel else list(self.by_channel)
        return sum(self.by_channel.get(c, {}).get(state, 0) for c in channels)

    def channel_total(self, channel: str) -> int:
        return sum(self.by_channel.get(channel, {}).values())

    @property
    def total(self) -> int:
        return sum(self.channel_total(c) for c in self.by_channel)


async def report(session: AsyncSession, *conditions: ColumnElement[bool]) -> Report:
    state = _state()
    rows = await session.execute(
        select(OutboxMessage.channel, state, func.count()).where(*conditions).group_by(OutboxMessage.channel, state)
    )
    by_channel: dict[str, dict[str, int]] = {}
    for channel, name, count in rows:
        by_channel.setdefault(channel, {})[name] = count
    return Report(dict(sorted(by_channel.items())))


@dataclass(frozen=True)
class Entry:
    """One line of the history: a broadcast, or one reminder slot (kind + month) as a whole."""

    at: datetime
    report: Report
    broadcast: Broadcast | None = None
    sender: Person | None = None
    reminder_kind: str | None = None  # bulanan | susulan
    period: str | None = None  # "2026-02"


@dataclass(frozen=True)
class HistoryPage:
    entries: list[Entry]
    page: int
    pages: int


def _sees_all(viewer: Person) -> bool:
    return viewer.role == Role.ADMIN


async def _reminder_people(session: AsyncSession, viewer: Person) -> ColumnElement[bool] | None:
    """Which claims' people a pendamping may count (None: every claim, for an admin)."""
    if _sees_all(viewer):
        return None
    rt_ids = [rt.id for rt in await rts_for(session, viewer)]
    of_their_rts = select(Person.id).where(Person.rt_id.in_(rt_ids))
    return or_(ReminderClaim.person_id == viewer.id, ReminderClaim.person_id.in_(of_their_rts))


def visible_broadcasts(viewer: Person) -> ColumnElement[bool]:
    return literal(True) if _sees_all(viewer) else Broadcast.created_by_id == viewer.id


async def just_sent(session: AsyncSession, sender: Person, text: str, since: datetime) -> Broadcast | None:
    """The same text this person already broadcast since `since` (a double click, a form posted again), if any.

    The sender's row is locked first (PostgreSQL): of two identical posts at the same moment, the second waits for
    the first to commit and then finds its broadcast. SQLite runs one writer at a time anyway.
    """
    await session.execute(select(Person.id).where(Person.id == sender.id).with_for_update())
    return await session.scalar(
        select(Broadcast)
        .where(Broadcast.created_by_id == sender.id, Broadcast.text == text, Broadcast.created_at >= since)
        .order_by(Broadcast.id.desc())
        .limit(1)
    )


async def may_see_broadcast(session: AsyncSession, viewer: Person, broadcast_id: int) -> Broadcast | None:
    """The broadcast, if this person may see it (else None, as for one that does not exist)."""
    return await session.scalar(select(Broadcast).where(Broadcast.id == broadcast_id, visible_broadcasts(viewer)))


async def history(session: AsyncSession, viewer: Person, *, page: int = 1, per_page: int = PER_PAGE) -> HistoryPage:
    """Newest first. The list is merged from both kinds by time; only the page's entries are counted."""
    broadcasts = (
        await session.execute(
            select(Broadcast.id, Broadcast.created_at).where(visible_broadcasts(viewer)).order_by(Broadcast.id.desc())
        )
    ).all()
    people = await _reminder_people(session, viewer)
    slots = select(ReminderClaim.kind, ReminderClaim.period, func.min(ReminderClaim.claimed_at))
    if people is not None:
        slots = slots.where(people)
    slot_rows = (await session.execute(slots.group_by(ReminderClaim.kind, ReminderClaim.period))).all()
    merged = [(at, ("broadcast", id_)) for id_, at in broadcasts] + [
        (at, ("reminder", (kind, period))) for kind, period, at in slot_rows
    ]
    merged.sort(key=lambda item: item[0], reverse=True)
    pages = max(1, -(-len(merged) // per_page))
    page = min(max(1, page), pages)
    entries = []
    for at, (what, key) in merged[(page - 1) * per_page : page * per_page]:
        if what == "broadcast":
            entries.append(await broadcast_entry(session, key))
        else:
            entries.append(await _reminder_entry(session, key[0], key[1], at, people))
    return HistoryPage(entries, page, pages)


async def broadcast_entry(session: AsyncSession, broadcast_id: int) -> Entry:
    broadcast = await session.get(Broadcast, broadcast_id)
    sender = await session.get(Person, broadcast.created_by_id) if broadcast.created_by_id else None
    counted = await report(session, OutboxMessage.broadcast_id == broadcast_id)
    return Entry(broadcast.created_at, counted, broadcast=broadcast, sender=sender)


async def _reminder_entry(
    session: AsyncSession, kind: str, period: str, at: datetime, people: ColumnElement[bool] | None
) -> Entry:
    claims = select(ReminderClaim.outbox_id).where(
        ReminderClaim.kind == kind, ReminderClaim.period == period, ReminderClaim.outbox_id.is_not(None)
    )
    if people is not None:
        claims = claims.where(people)
    counted = await report(session, OutboxMessage.id.in_(claims))
    return Entry(at, counted, reminder_kind=kind, period=period)


@dataclass(frozen=True)
class Recipient:
    """One recipient of a broadcast, for its detail page."""

    nama: str
    rt_kode: str | None
    channel: str
    state: str
    error: str | None


async def recipients(session: AsyncSession, broadcast_id: int) -> list[Recipient]:
    """Everyone the broadcast was queued for, by RT code, with their message's state."""
    rows = await session.execute(
        select(Person.nama, RT.kode, OutboxMessage.channel, _state(), OutboxMessage.error)
        .join(Person, OutboxMessage.person_id == Person.id)
        .outerjoin(RT, Person.rt_id == RT.id)
        .where(OutboxMessage.broadcast_id == broadcast_id)
        .order_by(RT.kode, Person.nama, OutboxMessage.id)
    )
    return [Recipient(nama or "", kode, channel, state, error) for nama, kode, channel, state, error in rows]
