"""Which RTs a person may see: the whole city for an admin, the assigned set for a pendamping, one RT otherwise.

Every pendamping and admin conversation asks this module first, so the rule lives in one place.

Training RTs (`rt.latihan`, the dashboard's simulator) are nobody's real work: never in a pendamping's or admin's
list, never in the city. A training Ketua RT or Bendahara still has their own RT (they are test persons of it).
"""

from sqlalchemy import ColumnElement, and_, false, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.models import RT, Person, Role

REVIEWER_ROLES = (Role.PENDAMPING, Role.ADMIN)


def may_see(person: Person, rt: RT) -> bool:
    if person.role == Role.ADMIN:
        return True
    if person.role == Role.PENDAMPING:
        return rt.pendamping_id == person.id
    return person.rt_id is not None and person.rt_id == rt.id


def may_review(person: Person, rt: RT) -> bool:
    """Reviewing (approve / send back) is for the RT's own pendamping and for admins."""
    return person.role in REVIEWER_ROLES and may_see(person, rt)


def visible_rts(person: Person) -> ColumnElement[bool]:
    """The RTs of `rts_for` as a condition on the `rt` table, for queries over many RTs at once (the dashboard's
    lists): `may_see`, less the training RTs for a pendamping or admin."""
    if person.role == Role.ADMIN:
        return real_rt()
    if person.role == Role.PENDAMPING:
        return and_(RT.pendamping_id == person.id, real_rt())
    if person.rt_id is None:
        return false()
    return RT.id == person.rt_id


async def rts_for(session: AsyncSession, person: Person) -> list[RT]:
    """The RTs this person may see, ordered by code, with their kelurahan loaded."""
    if person.role not in REVIEWER_ROLES and person.rt_id is None:
        return []
    query = select(RT).options(selectinload(RT.kelurahan)).where(visible_rts(person)).order_by(RT.kode)
    return list(await session.scalars(query))


async def all_rts(session: AsyncSession) -> list[RT]:
    """Every real RT of the city (no training RT)."""
    query = select(RT).where(real_rt()).options(selectinload(RT.kelurahan)).order_by(RT.kode)
    return list(await session.scalars(query))


def real_rt() -> ColumnElement[bool]:
    """The condition every list or count of RTs needs: not a training RT."""
    return RT.latihan.is_(False)
