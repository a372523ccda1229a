"""Broadcasts from a pendamping or an admin to the Ketua RT of a chosen set of RTs.

Choosing the audience and queueing are separate: the conversation shows a preview first. Queueing writes one
Broadcast row and one outbox row per recipient in the caller's unit of work; the delivery worker sends them.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services import audit, delivery, outbox
from services.assignments import REVIEWER_ROLES, all_rts, rts_for
from services.contacts import registered_ketua
from services.models import RT, Broadcast, Person, Role, utcnow
from services.problems import ProblemError
from services.program import KELOMPOK, Program
from services.schedule import stage_states_for_rts
from services.whatsapp_quota import DEFAULT_DAILY_LIMIT, QuotaPlan, Recipient, Urgency, plan_with_bookings, urgency_of

MAX_TEXT = 1000
# assigned: every RT the sender may see; kelompok: those of one Kelompok; behind: those with a late stage;
# city: every RT of the city (admin only).
SCOPES = ("assigned", "kelompok", "behind", "city")


@dataclass(frozen=True)
class Audience:
    scope: str
    kelompok: str | None
    rts: list[RT]
    # Registered Ketua RT of those RTs (each has a channel identity).
    recipients: list[Person]
    # RTs of the audience whose Ketua RT has not registered yet: nobody there can receive the message.
    unregistered_rts: int
    # Recipient's person id → how urgent their RT is (who gets WhatsApp's daily quota first).
    urgencies: dict[int, Urgency] = field(default_factory=dict)

    def describe(self) -> dict:
        """The audience as stored on the Broadcast row."""
        spec: dict = {"scope": self.scope, "rts": len(self.rts), "unregistered_rts": self.unregistered_rts}
        if self.kelompok:
            spec["kelompok"] = self.kelompok
        return spec


def check_text(text: str) -> str:
    """The message as it will be sent; raises broadcast_text_empty / broadcast_text_too_long."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise ProblemError.one("broadcast_text_empty")
    if len(cleaned) > MAX_TEXT:
        raise ProblemError.one("broadcast_text_too_long", length=len(cleaned), maximum=MAX_TEXT)
    return cleaned


def check_scope(sender: Person, scope: str, kelompok: str | None) -> None:
    if sender.role not in REVIEWER_ROLES:
        raise ProblemError.one("broadcast_forbidden")
    if scope not in SCOPES or (scope == "kelompok" and kelompok not in KELOMPOK):
        raise ProblemError.one("broadcast_bad_scope", scope=scope)
    if scope == "city" and sender.role != Role.ADMIN:
        raise ProblemError.one("broadcast_forbidden")


async def select_audience(
    session: AsyncSession,
    program: Program,
    sender: Person,
    scope: str,
    *,
    kelompok: str | None = None,
    today: date,
) -> Audience:
    check_scope(sender, scope, kelompok)
    rts = await (all_rts(session) if scope == "city" else rts_for(session, sender))
    if scope == "kelompok":
        rts = [rt for rt in rts if rt.kelompok == kelompok]
    states = await stage_states_for_rts(session, program, rts, today)
    if scope == "behind":
        rts = [rt for rt in rts if any(s.late for s in states[rt.id])]
    ketua = await registered_ketua(session, [rt.id for rt in rts])
    recipients = [person for rt in rts for person in ketua.get(rt.id, [])]
    unregistered = sum(1 for rt in rts if rt.id not in ketua)
    urgencies = {p.id: urgency_of(states[p.rt_id]) for p in recipients}
    return Audience(scope, kelompok if scope == "kelompok" else None, rts, recipients, unregistered, urgencies)


async def delivery_plan(
    session: AsyncSession, audience: Audience, now: datetime, daily_limit: int = DEFAULT_DAILY_LIMIT
) -> QuotaPlan:
    """When each recipient's message can go: free channels now, WhatsApp templates within the daily quota."""
    recipients = await quota_recipients(session, audience.recipients, audience.urgencies)
    return await plan_with_bookings(session, recipients, _real(now), daily_limit)


async def quota_recipients(
    session: AsyncSession, people: Sequence[Person], urgencies: Mapping[int, Urgency]
) -> list[Recipient]:
    """Each person as reached through their preferred identity (Telegram before WhatsApp); nobody without one."""
    identities = await delivery.preferred_identities(session, [p.id for p in people])
    return [Recipient.of(identities[p.id], urgencies.get(p.id, Urgency.LATER)) for p in people if p.id in identities]


def _real(now: datetime) -> datetime:
    # A training session's simulated future (SIMULATED_START) decides what is due, not when the worker, which runs
    # on real time, may send: the plan starts no later than the real clock (as services.reminders' claims do).
    return min(now, utcnow())


async def create_broadcast(
    session: AsyncSession,
    sender: Person,
    audience: Audience,
    text: str,
    payload_for: Callable[[Person], dict],
    *,
    actor: str,
    now: datetime | None = None,
    daily_limit: int = DEFAULT_DAILY_LIMIT,
) -> tuple[Broadcast, int]:
    """Queue the message for every recipient; returns the Broadcast and how many messages were queued.

    `payload_for` renders the outbox payload for one recipient (in their language: that is the caller's job).
    WhatsApp recipients outside their window beyond the day's quota wait for their day (`delivery_plan`).
    """
    cleaned = check_text(text)
    if not audience.recipients:
        raise ProblemError.one("broadcast_no_recipients")
    broadcast = Broadcast(
        created_by_id=sender.id,
        created_by=actor,
        text=cleaned,
        audience=audience.describe(),
        total=0,
        created_at=now or utcnow(),
    )
    session.add(broadcast)
    await session.flush()
    plan = await delivery_plan(session, audience, now or utcnow(), daily_limit)
    queued = 0
    for person in audience.recipients:
        queued += await outbox.enqueue_for_person(
            session,
            person.id,
            payload_for(person),
            dedupe_key=f"broadcast:{broadcast.id}:{person.id}",
            broadcast_id=broadcast.id,
            not_before=plan.not_before(person.id),
        )
    broadcast.total = queued
    audit.record(
        session,
        actor=actor,
        action="broadcast.create",
        entity="broadcast",
        entity_id=broadcast.id,
        person_id=sender.id,
        total=queued,
        **audience.describe(),
    )
    await session.flush()
    return broadcast, queued
