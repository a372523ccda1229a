"""Who can be reached in an RT: its registered Ketua RT (and which seats are registered), the people who blocked the
bot, and those whose WhatsApp number the platform could not deliver to lately."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.models import ChannelIdentity, Person, Role
from services.models.people import SEAT_ROLES


async def registered_ketua(session: AsyncSession, rt_ids: Iterable[int]) -> dict[int, list[Person]]:
    """Active Ketua RT persons with at least one channel identity, by RT id (RTs without one are absent)."""
    ids = list(rt_ids)
    result: dict[int, list[Person]] = defaultdict(list)
    if not ids:
        return result
    has_identity = exists().where(ChannelIdentity.person_id == Person.id)
    rows = await session.scalars(
        select(Person)
        .where(Person.role == Role.KETUA_RT, Person.active.is_(True), Person.rt_id.in_(ids), has_identity)
        .order_by(Person.id)
    )
    for person in rows:
        result[person.rt_id].append(person)
    return result


def _registered_seats() -> Select:
    """(rt_id, role) of every seat an active person has registered to (bound a channel to)."""
    has_identity = exists().where(ChannelIdentity.person_id == Person.id)
    return select(Person.rt_id, Person.role).where(Person.role.in_(SEAT_ROLES), Person.active.is_(True), has_identity)


async def registered_seats(session: AsyncSession, rt_scope: Select) -> set[tuple[int, str]]:
    """(rt_id, role) of the registered seats of the RTs `rt_scope` selects (a select of RT ids): the dashboard's
    set-based form of unregistered_seats, for the whole city at once."""
    return {
        (rt_id, role) for rt_id, role in await session.execute(_registered_seats().where(Person.rt_id.in_(rt_scope)))
    }


async def unregistered_seats(session: AsyncSession, rt_ids: Iterable[int]) -> dict[int, list[str]]:
    """The seats (ketua_rt, bendahara) of these RTs that no active person has registered to (bound a channel to),
    by RT id, in seat order; RTs with both seats registered are absent."""
    ids = list(rt_ids)
    if not ids:
        return {}
    rows = await session.execute(_registered_seats().where(Person.rt_id.in_(ids)))
    registered = {(rt_id, role) for rt_id, role in rows}
    missing = {rt_id: [role for role in SEAT_ROLES if (rt_id, role) not in registered] for rt_id in ids}
    return {rt_id: roles for rt_id, roles in missing.items() if roles}


@dataclass(frozen=True)
class Unreachable:
    person: Person
    identity: ChannelIdentity


# Blocked (unreachable) or, failing that, undeliverable: the two lists /rt shows as "cannot be reached".
_BLOCKED = ChannelIdentity.unreachable_at.is_not(None)
_UNDELIVERABLE = ChannelIdentity.undeliverable_at.is_not(None) & ChannelIdentity.unreachable_at.is_(None)


async def cut_off_counts(session: AsyncSession, rt_scope: Select) -> dict[int, int]:
    """How many entries `unreachable` and `undeliverable` together list for each RT `rt_scope` selects (a select
    of RT ids); RTs with none are absent. Set-based, for the whole city at once."""
    rows = await session.execute(
        select(Person.rt_id, func.count())
        .join(ChannelIdentity, ChannelIdentity.person_id == Person.id)
        .where(Person.rt_id.in_(rt_scope), or_(_BLOCKED, _UNDELIVERABLE))
        .group_by(Person.rt_id)
    )
    return {rt_id: int(count) for rt_id, count in rows}


async def unreachable(session: AsyncSession, rt_ids: Iterable[int]) -> list[Unreachable]:
    """People of these RTs (Ketua RT, bendahara) with an identity the platform reported as blocked."""
    ids = list(rt_ids)
    if not ids:
        return []
    rows = await session.execute(
        select(Person, ChannelIdentity)
        .join(ChannelIdentity, ChannelIdentity.person_id == Person.id)
        .where(Person.rt_id.in_(ids), _BLOCKED)
        .order_by(ChannelIdentity.unreachable_at.desc(), ChannelIdentity.id)
    )
    return [Unreachable(person, identity) for person, identity in rows]


async def undeliverable(session: AsyncSession, rt_ids: Iterable[int]) -> list[Unreachable]:
    """People of these RTs whose identity the platform could not deliver to lately (WhatsApp 131026 / 131049):
    the bot keeps trying, but the pendamping should reach them another way meanwhile."""
    ids = list(rt_ids)
    if not ids:
        return []
    rows = await session.execute(
        select(Person, ChannelIdentity)
        .join(ChannelIdentity, ChannelIdentity.person_id == Person.id)
        .where(Person.rt_id.in_(ids), _UNDELIVERABLE)  # a blocked one is listed as blocked only
        .order_by(ChannelIdentity.undeliverable_at.desc(), ChannelIdentity.id)
    )
    return [Unreachable(person, identity) for person, identity in rows]
