"""Test data for reminders and delivery: RTs from a small roster, people with channel identities, stage reports.

Written straight to the database (no conversation), with explicit dates, so a test can stand anywhere in 2026.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from services import roster, wilayah
from services.db import Database
from services.models import RT, ChannelIdentity, Person, ReportStatus, StageReport
from services.program import Program

KELURAHAN = "15.71.01.1001"
WIB_2025 = datetime.fromisoformat("2025-12-01T08:00:00+07:00")


async def load_rts(db: Database, program: Program, rows: list[tuple[int, str, str]]) -> dict[str, RT]:
    """rows: (nomor, kelompok, pendamping name). Returns RTs by code."""
    table = [
        {
            "kode_kelurahan": KELURAHAN,
            "rt": str(n),
            "kelompok": k,
            "jumlah_kk": "80",
            "pilot_2025": "tidak",
            "pendamping": p,
        }
        for n, k, p in rows
    ]
    async with db.unit_of_work() as session:
        await wilayah.ensure_wilayah(session)
        valid = roster.validate_rows(table, await roster.known_kelurahan(session), program)
        await roster.import_rows(session, valid, actor="test")
        return {rt.kode: rt for rt in await session.scalars(select(RT))}


async def add_person(
    db: Database,
    role: str,
    *,
    rt: RT | None = None,
    chat: int | None = None,
    joined: datetime = WIB_2025,
    person_id: int | None = None,
    nama: str = "Warga",
    channel: str = "telegram",
) -> Person:
    """A person (or, with person_id, an existing one) reachable on `chat` since `joined`."""
    async with db.unit_of_work() as session:
        person = await session.get(Person, person_id) if person_id else None
        if person is None:
            person = Person(nama=nama, role=role, rt_id=rt.id if rt else None, created_at=joined)
            session.add(person)
            await session.flush()
        if rt is not None and role == "ketua_rt":
            row = await session.get(RT, rt.id)
            row.registered_at = row.registered_at or joined
        if chat is not None:
            session.add(ChannelIdentity(person_id=person.id, channel=channel, external_id=str(chat), created_at=joined))
        return person


async def pendamping_of(db: Database, rt: RT) -> Person:
    async with db.unit_of_work() as session:
        return await session.get(Person, (await session.get(RT, rt.id)).pendamping_id)


async def report(db: Database, rt: RT, stage: str, status: str = ReportStatus.DISETUJUI, *, by: Person) -> None:
    async with db.unit_of_work() as session:
        session.add(
            StageReport(
                rt_id=rt.id, stage_key=stage, status=status, happened_on=date(2026, 1, 5), submitted_by_id=by.id
            )
        )


@dataclass
class Town:
    rt_a: RT
    rt_b: RT
    rt_late: RT  # Kelompok A, no Ketua RT registered
    ketua_a: Person
    bendahara_a: Person
    ketua_b: Person
    bendahara_b: Person
    dewi: Person  # pendamping of all three


async def build_town(db: Database, program: Program) -> Town:
    """RT 1 (A) and RT 2 (B) with Ketua RT and bendahara; RT 3 (A) unregistered; Dewi is pendamping of all."""
    rts = await load_rts(db, program, [(1, "A", "Dewi"), (2, "B", "Dewi"), (3, "A", "Dewi")])
    rt_a, rt_b, rt_late = (rts[f"15.71.01.1001-00{n}"] for n in (1, 2, 3))
    dewi = await pendamping_of(db, rt_a)
    await add_person(db, "pendamping", person_id=dewi.id, chat=9)
    return Town(
        rt_a,
        rt_b,
        rt_late,
        await add_person(db, "ketua_rt", rt=rt_a, chat=1),
        await add_person(db, "bendahara", rt=rt_a, chat=2),
        await add_person(db, "ketua_rt", rt=rt_b, chat=3),
        await add_person(db, "bendahara", rt=rt_b, chat=4),
        dewi,
    )
