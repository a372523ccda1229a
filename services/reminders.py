"""Who is reminded of what on a date, and the claim that makes each reminder go out exactly once.

Slots come from the program file (`pengingat.bulanan`, `pengingat.susulan`, WIB). For a slot, each Ketua RT hears
the stages of their RT that remind "ketua_rt", each bendahara those that remind "bendahara", and on the monthly
slot each pendamping gets one digest of their RTs, most urgent first. Nobody hears anything before their
Kelompok's window opens, nor when nothing is due. After the window, what is still overdue keeps being reminded
until it is reported or the program year ends: an LPJ missing in September must still be chased.

Exactly once: a reminder is a ReminderClaim row, unique on (person, kind, period), inserted with ON CONFLICT DO
NOTHING in the same transaction as its outbox row. Re-runs, restarts and a second scheduler find the claim and
skip. Catch-up: someone who joined (bound a channel) after the latest slot gets that slot's reminder, marked as
a catch-up, at the clock's next check — under the same claim, so never twice.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import delivery
from services.assignments import real_rt
from services.db import insert_ignoring_conflicts
from services.models import RT, ChannelIdentity, OutboxMessage, Person, ReminderClaim, Role, utcnow
from services.program import Program
from services.schedule import StageState, StageStatus, month_of, stage_states_for_rts, urgency
from services.wib import WIB

BULANAN = "bulanan"
SUSULAN = "susulan"
RT_ROLES = (Role.KETUA_RT, Role.BENDAHARA)


@dataclass(frozen=True)
class Slot:
    kind: str  # bulanan | susulan
    at: datetime  # aware

    @property
    def day(self) -> date:
        return self.at.astimezone(WIB).date()

    @property
    def period(self) -> str:
        return self.day.strftime("%Y-%m")


def _slot(kind: str, month: date, hari: int, jam: time) -> Slot:
    return Slot(kind, datetime.combine(month.replace(day=hari), jam, tzinfo=WIB))


def slots_of_month(program: Program, month: date) -> list[Slot]:
    month = month_of(month)
    slots = [
        _slot(BULANAN, month, program.pengingat_bulanan.hari, program.pengingat_bulanan.jam),
        _slot(SUSULAN, month, program.pengingat_susulan.hari, program.pengingat_susulan.jam),
    ]
    return sorted(slots, key=lambda s: s.at)


def latest_slot(program: Program, now: datetime) -> Slot:
    """The newest slot at or before `now`."""
    month = month_of(now.astimezone(WIB).date())
    previous = month_of(month - timedelta(days=1))
    candidates = [s for s in slots_of_month(program, previous) + slots_of_month(program, month) if s.at <= now]
    return candidates[-1]


def slot_for_day(program: Program, day: date) -> Slot:
    """The slot an admin means by a date: the latest one of that day's month on or before it (else the first)."""
    slots = slots_of_month(program, day)
    on_or_before = [s for s in slots if s.day <= day]
    return on_or_before[-1] if on_or_before else slots[0]


def within_grace(program: Program, slot: Slot, now: datetime) -> bool:
    return timedelta(0) <= now - slot.at <= timedelta(days=program.tenggang_hari)


@dataclass(frozen=True)
class Agenda:
    """What one RT has to do (or is waiting for), from one audience's point of view."""

    rt_id: int
    rt_kode: str
    kelompok: str
    opening: tuple[StageState, ...] = ()  # due, and this is its first month
    due: tuple[StageState, ...] = ()  # due, already open before this month
    overdue: tuple[StageState, ...] = ()
    sent_back: tuple[StageState, ...] = ()
    waiting: tuple[StageState, ...] = ()  # reported, waiting for the pendamping's review
    urgency: tuple[int, ...] = ()

    @property
    def actionable(self) -> bool:
        return bool(self.opening or self.due or self.overdue or self.sent_back)


def agenda_of(rt: RT, states: list[StageState], month: date, role: str | None) -> Agenda:
    """`role` None: every stage (the pendamping's view)."""
    mine = [s for s in states if role is None or role in s.stage.ingatkan]
    due = [s for s in mine if s.status == StageStatus.JATUH_TEMPO]
    return Agenda(
        rt.id,
        rt.kode,
        rt.kelompok,
        opening=tuple(s for s in due if s.months[0] == month),
        due=tuple(s for s in due if s.months[0] != month),
        overdue=tuple(s for s in mine if s.late),
        sent_back=tuple(s for s in mine if s.status == StageStatus.DIKEMBALIKAN and not s.late),
        waiting=tuple(s for s in mine if s.status == StageStatus.MENUNGGU_TINJAUAN),
        urgency=(*urgency(mine), -sum(1 for s in mine if s.status == StageStatus.MENUNGGU_TINJAUAN)),
    )


@dataclass(frozen=True)
class Reminder:
    person_id: int
    nama: str
    role: str
    locale: str
    slot: Slot
    today: date
    agendas: tuple[Agenda, ...]
    catch_up: bool = False
    # Pendamping digest only: codes of their RTs (in the window) whose Ketua RT has not registered yet.
    unregistered: tuple[str, ...] = ()
    identity: ChannelIdentity | None = None
    claimed: bool = False

    @property
    def kind(self) -> str:
        return self.slot.kind

    @property
    def period(self) -> str:
        return self.slot.period

    @property
    def dedupe_key(self) -> str:
        return f"reminder:{self.kind}:{self.period}:{self.person_id}"

    @property
    def states(self) -> tuple[StageState, ...]:
        """Every stage the reminder speaks of: what its urgency is judged on (services.whatsapp_quota)."""
        return tuple(s for a in self.agendas for s in (*a.overdue, *a.opening, *a.due, *a.sent_back, *a.waiting))


@dataclass
class _People:
    by_rt: dict[int, list[Person]] = field(default_factory=dict)
    pendamping: dict[int, Person] = field(default_factory=dict)


async def plan(
    session: AsyncSession, program: Program, slot: Slot, today: date, *, rt_kode: str | None = None
) -> list[Reminder]:
    """Every reminder of `slot` with its content as of `today`, ordered by person id (the claim order)."""
    month = month_of(today)
    active = reminded_kelompok(program, month)
    # A training RT's test persons are reached in the simulator only, and never chased (services/training.py).
    query = select(RT).where(RT.kelompok.in_(active), real_rt()).order_by(RT.kode)
    if rt_kode:
        query = query.where(RT.kode == rt_kode.strip())
    rts = list(await session.scalars(query))
    if not rts:
        return []
    states = await stage_states_for_rts(session, program, rts, today)
    people = await _people(session, rts, with_pendamping=slot.kind == BULANAN)
    reminders: list[Reminder] = []
    for rt in rts:
        for person in people.by_rt.get(rt.id, []):
            agenda = agenda_of(rt, states[rt.id], month, person.role)
            if agenda.actionable:
                reminders.append(_reminder(person, slot, today, (agenda,)))
    for person_id, person in people.pendamping.items():
        theirs = [rt for rt in rts if rt.pendamping_id == person_id]
        agendas = [agenda_of(rt, states[rt.id], month, None) for rt in theirs]
        agendas = sorted((a for a in agendas if a.actionable or a.waiting), key=lambda a: (a.urgency, a.rt_kode))
        unregistered = tuple(rt.kode for rt in theirs if rt.registered_at is None)
        if agendas or unregistered:
            reminders.append(_reminder(person, slot, today, tuple(agendas), unregistered))
    return await _with_delivery_facts(session, slot, sorted(reminders, key=lambda r: r.person_id))


def reminded_kelompok(program: Program, month: date) -> list[str]:
    """The Kelompok whose RTs may hear of their stages in `month`: from the window's first month to the program
    year's end. Past the window every stage's months are over, so only what is overdue (or waiting) is said."""
    year_end = date(program.tahun, 12, 1)
    return [k for k, w in program.kelompok.items() if w.mulai <= month <= max(w.selesai, year_end)]


def _reminder(person: Person, slot: Slot, today: date, agendas: tuple[Agenda, ...], unregistered=()) -> Reminder:
    return Reminder(person.id, person.nama, person.role, person.locale, slot, today, agendas, unregistered=unregistered)


async def _people(session: AsyncSession, rts: list[RT], *, with_pendamping: bool) -> _People:
    result = _People()
    rt_ids = [rt.id for rt in rts]
    rows = await session.scalars(
        select(Person)
        .where(Person.rt_id.in_(rt_ids), Person.role.in_(RT_ROLES), Person.active.is_(True))
        .order_by(Person.id)
    )
    for person in rows:
        result.by_rt.setdefault(person.rt_id, []).append(person)
    pendamping_ids = {rt.pendamping_id for rt in rts if rt.pendamping_id}
    if with_pendamping and pendamping_ids:
        rows = await session.scalars(
            select(Person).where(Person.id.in_(pendamping_ids), Person.role == Role.PENDAMPING, Person.active.is_(True))
        )
        result.pendamping = {p.id: p for p in rows}
    return result


async def _with_delivery_facts(session: AsyncSession, slot: Slot, reminders: list[Reminder]) -> list[Reminder]:
    """Add each person's channel, whether the slot was already claimed, and whether they joined after it."""
    ids = [r.person_id for r in reminders]
    if not ids:
        return []
    identities = await delivery.preferred_identities(session, ids)
    joined = dict(
        (
            await session.execute(
                select(ChannelIdentity.person_id, func.min(ChannelIdentity.created_at))
                .where(ChannelIdentity.person_id.in_(ids))
                .group_by(ChannelIdentity.person_id)
            )
        ).all()
    )
    claimed = set(
        await session.scalars(
            select(ReminderClaim.person_id).where(
                ReminderClaim.person_id.in_(ids), ReminderClaim.kind == slot.kind, ReminderClaim.period == slot.period
            )
        )
    )
    return [
        replace(
            r,
            identity=identities.get(r.person_id),
            claimed=r.person_id in claimed,
            catch_up=joined.get(r.person_id) is not None and joined[r.person_id] > slot.at,
        )
        for r in reminders
    ]


async def claim(
    session: AsyncSession,
    reminder: Reminder,
    payload: dict,
    now: datetime | None = None,
    *,
    not_before: datetime | None = None,
) -> bool:
    """Claim the reminder and queue its message in this transaction; False when it was claimed before.

    `not_before`: the message waits until then (a WhatsApp template planned for a later day).

    The claim is inserted first and decides: on PostgreSQL a concurrent claimer waits for this transaction and
    then finds the row. Callers claim in person-id order, so two runs never wait on each other in a cycle.
    """
    if reminder.identity is None:
        return False
    now = now or utcnow()
    claim_id = await session.scalar(
        insert_ignoring_conflicts(session, ReminderClaim)
        .values(person_id=reminder.person_id, kind=reminder.kind, period=reminder.period, claimed_at=now)
        .returning(ReminderClaim.id)
    )
    if claim_id is None:
        return False
    outbox_id = await delivery.enqueue_once(
        session, reminder.identity, payload, dedupe_key=reminder.dedupe_key, now=now, not_before=not_before
    )
    if outbox_id is None:
        # The message exists already (a claim deleted by hand?): keep the claim pointing at it.
        outbox_id = await session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == reminder.dedupe_key)
        )
    await session.execute(update(ReminderClaim).where(ReminderClaim.id == claim_id).values(outbox_id=outbox_id))
    return True
