"""Invitation codes: short, typeable on a phone, single-use, expiring, stored only as a keyed hash."""

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from services import audit, seats
from services.models import RT, ChannelIdentity, Invitation, Person, Role, utcnow
from services.problems import ProblemError

# No 0/O, 1/I/L, 5/S, 8/B: nothing a tired eye or a small screen can confuse.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY234679"
CODE_LENGTH = 8
DEFAULT_VALIDITY = timedelta(days=30)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(typed: str) -> str:
    """What the person typed, forgiving case, spaces and dashes: ` abcd-efgh ` → `ABCDEFGH`."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def display_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def hash_code(code: str, pepper: bytes) -> str:
    return hmac.new(pepper, normalize_code(code).encode(), hashlib.sha256).hexdigest()


def looks_like_code(text: str) -> bool:
    code = normalize_code(text)
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


@dataclass(frozen=True)
class IssuedInvitation:
    """The only moment the plain code exists: returned once to whoever prints or sends it."""

    invitation: Invitation
    code: str
    rt_kode: str | None


async def create_invitation(
    session: AsyncSession,
    pepper: bytes,
    *,
    role: Role,
    created_by: str,
    rt: RT | None = None,
    rts: list[RT] | None = None,
    person: Person | None = None,
    nama: str | None = None,
    replaces: Person | None = None,
    validity: timedelta = DEFAULT_VALIDITY,
    now: datetime | None = None,
) -> IssuedInvitation:
    """`replaces`: the current holder of the seat, who loses it when this code is redeemed (`--ganti`)."""
    now = now or utcnow()
    if role in (Role.KETUA_RT, Role.BENDAHARA) and rt is None:
        raise ProblemError.one("invite_needs_rt", role=role.value)
    code = new_code()
    invitation = Invitation(
        code_hash=hash_code(code, pepper),
        code_hint=code[-2:],
        role=role.value,
        rt_id=rt.id if rt else None,
        rt_ids=[r.id for r in rts or []],
        person_id=person.id if person else None,
        nama=nama or (person.nama if person else None),
        replaces_person_id=replaces.id if replaces else None,
        created_by=created_by,
        created_at=now,
        expires_at=now + validity,
    )
    session.add(invitation)
    await session.flush()
    audit.record(
        session,
        actor=created_by,
        action="invitation.create",
        entity="invitation",
        entity_id=invitation.id,
        role=role.value,
        rt=rt.kode if rt else None,
        replaces_person_id=replaces.id if replaces else None,
        replaces_nama=replaces.nama if replaces else None,
    )
    return IssuedInvitation(invitation, code, rt.kode if rt else None)


@dataclass(frozen=True)
class SeatBatch:
    """Codes made for many RTs at once: one per RT whose seat is free, and the RTs skipped because it is held."""

    issued: list[IssuedInvitation]
    skipped: list[RT]


async def create_for_free_seats(
    session: AsyncSession,
    pepper: bytes,
    rts: list[RT],
    *,
    role: Role,
    created_by: str,
    validity: timedelta = DEFAULT_VALIDITY,
    now: datetime | None = None,
    progress: Callable[[], None] | None = None,
) -> SeatBatch:
    """One invitation per RT for its `role` seat (ketua_rt or bendahara), in the order given (`invite create
    --all-rts`, the dashboard's printable invitations). An RT whose seat has an active holder is skipped: a code
    for it could never be redeemed."""
    if role not in (Role.KETUA_RT, Role.BENDAHARA):
        raise ProblemError.one("invite_needs_rt", role=role.value)
    held = set(await session.scalars(seats.held_rt_ids(role.value)))
    issued = []
    for rt in rts:
        if rt.id in held:
            continue
        issued.append(
            await create_invitation(
                session, pepper, role=role, created_by=created_by, rt=rt, validity=validity, now=now
            )
        )
        if progress:
            progress()
    return SeatBatch(issued, [rt for rt in rts if rt.id in held])


async def reissue_for_seat(
    session: AsyncSession, pepper: bytes, *, rt: RT, role: Role, created_by: str, now: datetime | None = None
) -> tuple[IssuedInvitation, int]:
    """A fresh code for an RT's seat nobody has registered to, and how many unused codes for it were revoked.

    One usable code per seat: a code passed on earlier (and perhaps lost) stops working. A seat held by a person who
    never bound a channel (entered by an admin) gets a code for that person, so redeeming it registers them.
    Raises `seat_taken` when the seat's holder has registered.
    """
    now = now or utcnow()
    current = await seats.holder(session, rt.id, role.value)
    bound = select(ChannelIdentity.id).where(ChannelIdentity.person_id == (current.id if current else None)).limit(1)
    if current is not None and await session.scalar(bound) is not None:
        raise await seats.taken_problem(session, rt.id, role.value, current)
    unused = await session.scalars(
        select(Invitation).where(
            Invitation.rt_id == rt.id,
            Invitation.role == role.value,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
    )
    revoked = 0
    for old in list(unused):
        await revoke_invitation(session, old.id, actor=created_by, now=now)
        revoked += 1
    issued = await create_invitation(session, pepper, role=role, created_by=created_by, rt=rt, person=current, now=now)
    return issued, revoked


async def find_invitation(session: AsyncSession, pepper: bytes, code: str) -> Invitation | None:
    return await session.scalar(select(Invitation).where(Invitation.code_hash == hash_code(code, pepper)))


def invitation_state(invitation: Invitation, now: datetime | None = None) -> str:
    """active | used | revoked | expired."""
    now = now or utcnow()
    if invitation.revoked_at:
        return "revoked"
    if invitation.used_at:
        return "used"
    if invitation.expires_at <= now:
        return "expired"
    return "active"


async def revoke_invitation(
    session: AsyncSession, invitation_id: int, *, actor: str, now: datetime | None = None
) -> Invitation:
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None:
        raise ProblemError.one("invite_not_found", id=invitation_id)
    now = now or utcnow()
    if invitation_state(invitation, now) != "active":
        raise ProblemError.one("invite_not_active", id=invitation_id, state=invitation_state(invitation, now))
    invitation.revoked_at = now
    audit.record(session, actor=actor, action="invitation.revoke", entity="invitation", entity_id=invitation.id)
    return invitation


@dataclass(frozen=True)
class Redeemed:
    person: Person
    # The seat holder a `--ganti` code replaced (now inactive), to be told; None for every other code.
    replaced: Person | None = None


async def redeem_invitation(
    session: AsyncSession,
    pepper: bytes,
    code: str,
    *,
    channel: str,
    external_id: str,
    now: datetime | None = None,
) -> Person:
    """`redeem`, for callers that only need the person."""
    redeemed = await redeem(session, pepper, code, channel=channel, external_id=external_id, now=now)
    return redeemed.person


async def redeem(
    session: AsyncSession,
    pepper: bytes,
    code: str,
    *,
    channel: str,
    external_id: str,
    now: datetime | None = None,
) -> Redeemed:
    """Bind a channel identity to the invited person (creating the person when the code names none).

    A `--ganti` code hands the seat over: its holder is deactivated (they lose access) and returned as `replaced`,
    and the audit log records `seat.handover` (who left, who came, on whose invitation).

    Raises ProblemError invite_unknown / invite_used / invite_revoked / invite_expired, invite_just_used (another
    chat redeemed it at the same moment), or seat_taken (the RT already has an active holder of this role); the
    caller's transaction must then be rolled back (it is, when the error leaves the unit of work or a savepoint):
    a failed redemption leaves nothing written.
    """
    from services.people import bind_identity  # local: people imports nothing from here, keep it one-way

    # Codes expire in real time (they were issued in real time): a training session's simulated future must not
    # make today's codes look expired.
    now = min(now or utcnow(), utcnow())
    invitation = await find_invitation(session, pepper, code)
    if invitation is None:
        raise ProblemError.one("invite_unknown")
    state = invitation_state(invitation, now)
    if state != "active":
        raise ProblemError.one(f"invite_{state}")
    creates_holder = invitation.person_id is None and seats.is_seat(invitation.role, invitation.rt_id)
    replaced = None
    if creates_holder:
        replaced = await seats.make_room(session, invitation.rt_id, invitation.role, invitation.replaces_person_id)
    await _claim(session, invitation, now)
    person = await session.get(Person, invitation.person_id) if invitation.person_id else None
    if person is None:
        person = await _new_person(session, invitation, now)
    if invitation.role == Role.PENDAMPING and invitation.rt_ids:
        for rt in await session.scalars(select(RT).where(RT.id.in_(invitation.rt_ids))):
            rt.pendamping_id = person.id
    if invitation.rt_id is not None:
        rt = await session.get(RT, invitation.rt_id)
        if rt is not None and rt.registered_at is None and invitation.role == Role.KETUA_RT:
            rt.registered_at = now
    await bind_identity(session, person, channel=channel, external_id=external_id, now=now)
    invitation.used_by_person_id = person.id
    audit.record(
        session,
        actor=f"{channel}:{external_id}",
        action="invitation.redeem",
        entity="invitation",
        entity_id=invitation.id,
        person_id=person.id,
    )
    if replaced is not None:
        audit.record(
            session,
            actor=f"{channel}:{external_id}",
            action="seat.handover",
            entity="person",
            entity_id=replaced.id,
            person_id=person.id,
            role=invitation.role,
            rt_id=invitation.rt_id,
            replaced_person_id=replaced.id,
            replaced_nama=replaced.nama,
            new_person_id=person.id,
            invitation_id=invitation.id,
            invited_by=invitation.created_by,
        )
    return Redeemed(person, replaced)


async def _claim(session: AsyncSession, invitation: Invitation, now: datetime) -> None:
    """Mark the code used in one conditional statement, so exactly one of many simultaneous redemptions wins.

    A plain read then a later write let every chat that read "unused" register (on PostgreSQL eight chats sending
    one code at once made up to eight people). Here the row is changed only while it is still unused, unrevoked and
    unexpired; a second transaction waits for the first one's row lock and then finds nothing to change.
    """
    claimed = await session.scalar(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(used_at=now)
        .returning(Invitation.id)
        .execution_options(synchronize_session=False)
    )
    if claimed is None:
        revoked = await session.scalar(select(Invitation.revoked_at).where(Invitation.id == invitation.id))
        raise ProblemError.one("invite_revoked" if revoked is not None else "invite_just_used")
    set_committed_value(invitation, "used_at", now)  # already written: the loaded row just learns it


async def _new_person(session: AsyncSession, invitation: Invitation, now: datetime) -> Person:
    person = Person(nama=invitation.nama or "", role=invitation.role, rt_id=invitation.rt_id, created_at=now)
    try:
        # A savepoint of its own: when the seat index refuses the insert, the transaction stays usable to ask who
        # holds the seat (PostgreSQL refuses every statement after an error outside a savepoint).
        async with session.begin_nested():
            session.add(person)
            await session.flush()
    except IntegrityError as error:
        if not seats.is_conflict(error):
            raise
        # Another code for the same seat was redeemed at the same moment and committed first.
        current = await seats.holder(session, invitation.rt_id, invitation.role)
        raise await seats.taken_problem(session, invitation.rt_id, invitation.role, current) from None
    return person
