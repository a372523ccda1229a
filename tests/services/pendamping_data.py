"""Shared data for the review and broadcast service tests: the handlers' three-RT roster, people, reports."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from services.models import RT, ChannelIdentity, Person, Role, StageReport
from tests.handlers.conftest import load_roster

NOW = datetime(2026, 3, 15, 3, 0, tzinfo=UTC)
TODAY = date(2026, 3, 15)


@dataclass
class People:
    dewi: Person  # pendamping of RT 1 and RT 2
    rudi: Person  # pendamping of RT 3
    admin: Person
    ketua_1: Person
    ketua_3: Person
    bendahara_1: Person
    rts: dict[int, RT]  # by nomor


async def setup(db, program) -> None:
    await load_roster(db, program)
    async with db.unit_of_work() as session:
        rts = {rt.nomor: rt for rt in await session.scalars(select(RT))}
        for nama, role, nomor in (
            ("Sari", Role.ADMIN, None),
            ("Budi", Role.KETUA_RT, 1),
            ("Joko", Role.KETUA_RT, 3),
            ("Ani", Role.BENDAHARA, 1),
        ):
            person = Person(nama=nama, role=role, rt_id=rts[nomor].id if nomor else None)
            session.add(person)
            await session.flush()
            session.add(ChannelIdentity(person_id=person.id, channel="test", external_id=f"id-{nama}"))


async def people(session) -> People:
    by_name = {p.nama: p for p in await session.scalars(select(Person))}
    rts = {rt.nomor: rt for rt in await session.scalars(select(RT))}
    return People(
        by_name["Dewi Lubis"],
        by_name["Rudi Saputra"],
        by_name["Sari"],
        by_name["Budi"],
        by_name["Joko"],
        by_name["Ani"],
        rts,
    )


def new_report(rt: RT, stage_key: str, by: Person, minute: int = 0, status: str = "menunggu_tinjauan") -> StageReport:
    return StageReport(
        rt_id=rt.id,
        stage_key=stage_key,
        status=status,
        happened_on=date(2026, 2, 20),
        submitted_by_id=by.id,
        submitted_at=datetime(2026, 3, 1, 1, minute, tzinfo=UTC),
    )
