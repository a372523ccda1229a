"""Reading RTs and changing their KK count (always with history and audit)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services import audit
from services.models import RT, JumlahKKHistory, Kelurahan, Person, utcnow
from services.problems import ProblemError
from services.program import Program


async def get_rt(session: AsyncSession, kode: str) -> RT:
    rt = await session.scalar(
        select(RT).where(RT.kode == kode.strip()).options(selectinload(RT.kelurahan).selectinload(Kelurahan.kecamatan))
    )
    if rt is None:
        raise ProblemError.one("rt_not_found", kode=kode)
    return rt


def validate_jumlah_kk(program: Program, value: int) -> None:
    if value <= 0:
        raise ProblemError.one("kk_not_positive", value=value)
    if value > program.kk_maksimum:
        raise ProblemError.one("kk_too_large", value=value, maksimum=program.kk_maksimum)


async def set_jumlah_kk(
    session: AsyncSession,
    program: Program,
    rt: RT,
    value: int,
    *,
    actor: str,
    person: Person | None = None,
    source: str = "bot",
    now: datetime | None = None,
) -> JumlahKKHistory | None:
    """Record a new KK count; returns the history row, or None when the count did not change."""
    validate_jumlah_kk(program, value)
    if rt.jumlah_kk == value:
        return None
    history = JumlahKKHistory(
        rt_id=rt.id,
        old=rt.jumlah_kk,
        new=value,
        changed_by_id=person.id if person else None,
        source=source,
        changed_at=now or utcnow(),
    )
    session.add(history)
    audit.record(
        session,
        actor=actor,
        action="rt.jumlah_kk",
        entity="rt",
        entity_id=rt.kode,
        person_id=person.id if person else None,
        old=rt.jumlah_kk,
        new=value,
    )
    rt.jumlah_kk = value
    await session.flush()
    return history


async def kk_history(session: AsyncSession, rt: RT) -> list[JumlahKKHistory]:
    return list(
        await session.scalars(
            select(JumlahKKHistory).where(JumlahKKHistory.rt_id == rt.id).order_by(JumlahKKHistory.id)
        )
    )


@dataclass(frozen=True)
class RTSummary:
    kode: str
    nomor: int
    kelurahan: str
    kecamatan: str
    kelompok: str
    jumlah_kk: int | None
    tier: str | None
    alokasi: int | None
    pilot_2025: bool
    pendamping: str | None


async def rt_summary(session: AsyncSession, program: Program, rt: RT) -> RTSummary:
    pendamping = await session.get(Person, rt.pendamping_id) if rt.pendamping_id else None
    kelurahan = await session.get(Kelurahan, rt.kelurahan_kode, options=[selectinload(Kelurahan.kecamatan)])
    tier = program.tier_for(rt.jumlah_kk) if rt.jumlah_kk else None
    return RTSummary(
        kode=rt.kode,
        nomor=rt.nomor,
        kelurahan=kelurahan.nama,
        kecamatan=kelurahan.kecamatan.nama,
        kelompok=rt.kelompok,
        jumlah_kk=rt.jumlah_kk,
        tier=tier.nama if tier else None,
        alokasi=tier.alokasi if tier else None,
        pilot_2025=rt.pilot_2025,
        pendamping=(pendamping.nama or pendamping.phone) if pendamping else None,
    )
