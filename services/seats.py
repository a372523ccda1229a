"""Seats: an RT has one Ketua RT and one Bendahara Pokja at a time (the partial unique index uq_person_active_seat).

Checked before a holder is made, so the person hears who holds the seat; and enforced by the database, so two codes
for the same seat redeemed at the same moment cannot both win: the loser's insert fails and is told the same.
"""

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.models import RT, Person
from services.models.people import SEAT_ROLES
from services.problems import ProblemError

INDEX = "uq_person_active_seat"
# How each database names the violated index in its error: PostgreSQL by name, SQLite by its columns.
_CONFLICT_MARKS = (INDEX, "person.rt_id, person.role")


def is_seat(role: str, rt_id: int | None) -> bool:
    return rt_id is not None and role in SEAT_ROLES


def held_rt_ids(role: str) -> Select:
    """The ids of RTs whose seat of this role has an active holder (a subquery: `RT.id.not_in(held_rt_ids(...))`)."""
    return select(Person.rt_id).where(Person.role == role, Person.active.is_(True), Person.rt_id.is_not(None))


async def holder(session: AsyncSession, rt_id: int | None, role: str) -> Person | None:
    """The active person in this seat, or None (also for roles that are not seats)."""
    if not is_seat(role, rt_id):
        return None
    return await session.scalar(
        select(Person).where(Person.rt_id == rt_id, Person.role == role, Person.active.is_(True)).order_by(Person.id)
    )


async def taken_problem(session: AsyncSession, rt_id: int, role: str, current: Person | None) -> ProblemError:
    """`seat_taken` with who holds the seat (role, name, RT) so the person can be told whom it concerns."""
    rt = await session.get(RT, rt_id)
    return ProblemError.one(
        "seat_taken",
        role=role,
        rt=rt.kode if rt else str(rt_id),
        rt_id=rt_id,
        nama=current.nama if current else "",
        person_id=current.id if current else None,
        sejak=current.created_at if current else None,
    )


async def check_free(session: AsyncSession, rt_id: int | None, role: str) -> None:
    """Raise `seat_taken` when another active person holds this seat."""
    current = await holder(session, rt_id, role)
    if current is not None:
        raise await taken_problem(session, rt_id, role, current)


def is_conflict(error: IntegrityError) -> bool:
    """Whether the insert failed on the one-holder-per-seat index (and not on another constraint)."""
    text = str(error.orig)
    return any(mark in text for mark in _CONFLICT_MARKS)


async def make_room(session: AsyncSession, rt_id: int, role: str, replaces_person_id: int | None) -> Person | None:
    """Free the seat for a new holder: the holder a `--ganti` code names is deactivated and returned.

    Raises `seat_taken` when someone else holds the seat (a plain code, or the seat changed hands since the code was
    made). The deactivation is conditional, so of two replacement codes redeemed at once only one hands over; the
    other's new holder is then refused by the seat index.
    """
    current = await holder(session, rt_id, role)
    if current is None:
        return None
    if replaces_person_id is None or current.id != replaces_person_id:
        raise await taken_problem(session, rt_id, role, current)
    result = await session.execute(
        update(Person)
        .where(Person.id == current.id, Person.active.is_(True))
        .values(active=False)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise await taken_problem(session, rt_id, role, current)
    await session.refresh(current)
    return current
