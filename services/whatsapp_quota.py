"""Planning reminders and broadcasts against WhatsApp's daily quota (PLATFORM_LIMITS.md, issue 11 part 5).

WhatsApp lets a business start conversations (templates, sent outside a person's 24-hour window) with at most
`limit` distinct people per moving 24 hours. Everything else is free: Telegram (and the console) has no quota, and
a WhatsApp person who wrote to us in the last 24 hours can be answered free-form. So a plan sends the free ones now
and spreads the template ones over the following days, most urgent first: an RT with an overdue stage, then one
with a stage due this month, then the rest.

A "day" of the plan starts a full window (plus a margin) after the previous one: the previous day's templates take
a while to go out, and each holds its slot for 24 hours from its own send. Slots already held when the plan is made
(templates sent in the last 24 hours, WhatsApp rows still waiting that will need a template) count too, in whichever
moving window they fall. The delivery worker enforces the quota again at send time; this plan only makes what is
queued fit, and lets the sender be told honestly when it will arrive.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from functools import cached_property

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.models import ChannelIdentity, OutboxMessage
from services.schedule import StageState, StageStatus
from services.whatsapp_window import WINDOW, inside_window

WHATSAPP = "whatsapp"
# Meta's starting tier; the setting WHATSAPP_DAILY_LIMIT overrides it (bot/settings.py).
DEFAULT_DAILY_LIMIT = 250
# Between two days of a plan: one window, plus time for the previous day's batch to leave (each template holds its
# slot 24 h from its own send, not from the day's start).
DAY_MARGIN = timedelta(hours=1)
DAY = WINDOW + DAY_MARGIN
# Outbox rows not finished yet: they may still need a template.
_WAITING = ("pending", "sending")


class Urgency(IntEnum):
    """Most urgent first when sorted."""

    OVERDUE = 0  # a stage whose last month has passed
    DUE = 1  # a stage due (or sent back) this month
    LATER = 2  # nothing to do now


def urgency_of(states: Iterable[StageState]) -> Urgency:
    """From the stage states services.schedule computed (the same ones /jadwal and the reminders show)."""
    states = list(states)
    if any(s.late for s in states):
        return Urgency.OVERDUE
    if any(s.status in (StageStatus.JATUH_TEMPO, StageStatus.DIKEMBALIKAN) for s in states):
        return Urgency.DUE
    return Urgency.LATER


class Lane(StrEnum):
    TELEGRAM = "telegram"  # Telegram, or any other channel without a quota (the console): now
    WINDOW = "whatsapp_window"  # WhatsApp, inside the person's 24-hour window: now, free
    TEMPLATE = "whatsapp_template"  # WhatsApp outside it: a template, one quota slot, on the day planned


@dataclass(frozen=True)
class Recipient:
    person_id: int
    channel: str
    external_id: str
    last_inbound_at: datetime | None = None
    urgency: Urgency = Urgency.LATER

    @classmethod
    def of(cls, identity: ChannelIdentity, urgency: Urgency = Urgency.LATER) -> "Recipient":
        """`identity`: the one the person is reached through (services.delivery.preferred_identities, which
        prefers Telegram: a person with both channels costs no quota)."""
        return cls(identity.person_id, identity.channel, identity.external_id, identity.last_inbound_at, urgency)


@dataclass(frozen=True)
class Booking:
    """A quota slot held by someone else's message: a template sent, or one waiting to be sent, at `at`."""

    at: datetime
    external_id: str


@dataclass(frozen=True)
class Assignment:
    recipient: Recipient
    lane: Lane
    day: int  # 0: the day the plan starts
    not_before: datetime


@dataclass(frozen=True)
class Day:
    index: int
    start: datetime
    telegram: int = 0
    window: int = 0
    template: int = 0
    overdue: int = 0  # of this day's recipients, those with an overdue stage

    @property
    def total(self) -> int:
        return self.telegram + self.window + self.template


@dataclass(frozen=True)
class QuotaPlan:
    start: datetime
    limit: int
    assignments: tuple[Assignment, ...]
    days: tuple[Day, ...]

    def not_before(self, person_id: int) -> datetime | None:
        """When this person's message may go, if on a later day; None: now (the row's usual default)."""
        return self.later_by_person.get(person_id)

    @cached_property
    def later_by_person(self) -> dict[int, datetime]:
        return {a.recipient.person_id: a.not_before for a in self.assignments if a.day > 0}

    @property
    def total(self) -> int:
        return len(self.assignments)

    @property
    def now(self) -> int:
        """Free messages, all sent at once: Telegram and WhatsApp inside the window."""
        return sum(1 for a in self.assignments if a.lane != Lane.TEMPLATE)

    @property
    def templates(self) -> int:
        return sum(1 for a in self.assignments if a.lane == Lane.TEMPLATE)

    @property
    def later(self) -> int:
        """Templates that wait for a later day."""
        return sum(1 for a in self.assignments if a.lane == Lane.TEMPLATE and a.day > 0)

    @property
    def template_days(self) -> int:
        """Over how many days, from today, the templates go out (0: none; 1: all today). A day already full from
        earlier plans still counts: the sender waits through it."""
        return max((a.day + 1 for a in self.assignments if a.lane == Lane.TEMPLATE), default=0)

    @property
    def overdue(self) -> int:
        return sum(1 for a in self.assignments if a.recipient.urgency == Urgency.OVERDUE)


def plan(recipients: Sequence[Recipient], start: datetime, limit: int, booked: Sequence[Booking] = ()) -> QuotaPlan:
    """Each recipient's lane, day and earliest send time.

    Pure: `booked` is what the caller read from the outbox (`booked_slots`)."""
    if limit < 1:
        raise ValueError(f"a daily limit of at least 1, not {limit}")
    assignments: list[Assignment] = []
    waiting: list[Recipient] = []
    for recipient in recipients:
        if recipient.channel != WHATSAPP:
            assignments.append(Assignment(recipient, Lane.TELEGRAM, 0, start))
        elif inside_window(recipient.last_inbound_at, start):
            assignments.append(Assignment(recipient, Lane.WINDOW, 0, start))
        else:
            waiting.append(recipient)
    waiting.sort(key=lambda r: (r.urgency, r.person_id))
    events = [(b.at, b.external_id) for b in booked]
    day = 0
    while waiting:
        at = start + day * DAY
        room = max(0, limit - _busiest_window(events, at))
        taken, waiting = waiting[:room], waiting[room:]
        for recipient in taken:
            assignments.append(Assignment(recipient, Lane.TEMPLATE, day, at))
            events.append((at, recipient.external_id))
        day += 1
    return QuotaPlan(start, limit, tuple(assignments), _days(assignments, start))


def _busiest_window(events: list[tuple[datetime, str]], at: datetime) -> int:
    """The most distinct people in any moving 24 h that contains `at`: a slot taken at `at` falls in every one.

    Sliding such a window later only gains an event when its end passes one: the busiest starts as early as it can
    or just after an event lies 24 h ahead. A sweep over those starts, counting people, not messages."""
    near = sorted((t, who) for t, who in events if at - WINDOW < t < at + WINDOW)
    tick = timedelta(microseconds=1)
    starts = sorted({at - WINDOW + tick, *(t - WINDOW + tick for t, _ in near if t > at)})
    inside: Counter = Counter()
    added = removed = busiest = 0
    for begin in starts:
        while added < len(near) and near[added][0] < begin + WINDOW:
            inside[near[added][1]] += 1
            added += 1
        while removed < added and near[removed][0] < begin:
            who = near[removed][1]
            inside[who] -= 1
            if not inside[who]:
                del inside[who]
            removed += 1
        busiest = max(busiest, len(inside))
    return busiest


def _days(assignments: list[Assignment], start: datetime) -> tuple[Day, ...]:
    if not assignments:
        return ()
    last = max(a.day for a in assignments)
    days = []
    for index in range(last + 1):
        mine = [a for a in assignments if a.day == index]
        lanes = Counter(a.lane for a in mine)
        days.append(
            Day(
                index,
                start + index * DAY,
                telegram=lanes[Lane.TELEGRAM],
                window=lanes[Lane.WINDOW],
                template=lanes[Lane.TEMPLATE],
                overdue=sum(1 for a in mine if a.recipient.urgency == Urgency.OVERDUE),
            )
        )
    return tuple(days)


async def booked_slots(session: AsyncSession, start: datetime) -> list[Booking]:
    """Slots other messages hold: templates sent in the 24 h before `start`, and WhatsApp rows still waiting whose
    person will be outside the window when they go (they will need a template)."""
    sent = await session.execute(
        select(OutboxMessage.sent_at, OutboxMessage.external_id).where(
            OutboxMessage.channel == WHATSAPP,
            OutboxMessage.template.is_not(None),
            OutboxMessage.sent_at > start - WINDOW,
        )
    )
    bookings = [Booking(at, who) for at, who in sent.all()]
    waiting = await session.execute(
        select(OutboxMessage.next_attempt_at, OutboxMessage.external_id, ChannelIdentity.last_inbound_at)
        .outerjoin(
            ChannelIdentity,
            and_(
                ChannelIdentity.channel == OutboxMessage.channel,
                ChannelIdentity.external_id == OutboxMessage.external_id,
            ),
        )
        .where(OutboxMessage.channel == WHATSAPP, OutboxMessage.status.in_(_WAITING))
    )
    for at, who, last_inbound_at in waiting.all():
        when = max(at, start)
        if not inside_window(last_inbound_at, when):
            bookings.append(Booking(when, who))
    return bookings


async def plan_with_bookings(
    session: AsyncSession, recipients: Sequence[Recipient], start: datetime, limit: int
) -> QuotaPlan:
    """`plan` against what the outbox already holds."""
    if not any(r.channel == WHATSAPP for r in recipients):
        return plan(recipients, start, limit)  # nothing to weigh against the quota: no need to read the outbox
    return plan(recipients, start, limit, await booked_slots(session, start))
