"""City-wide allocation totals by tier, Kelompok and kecamatan."""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.assignments import real_rt
from services.models import RT, Kecamatan, Kelurahan
from services.program import Program


@dataclass
class Total:
    rts: int = 0
    rupiah: int = 0


@dataclass
class BudgetTotals:
    by_tier: dict[str, Total] = field(default_factory=lambda: defaultdict(Total))
    by_kelompok: dict[str, Total] = field(default_factory=lambda: defaultdict(Total))
    by_kecamatan: dict[str, Total] = field(default_factory=lambda: defaultdict(Total))
    overall: Total = field(default_factory=Total)
    # RTs whose KK count is not registered yet: they have no allocation until it is.
    unregistered: int = 0


async def budget_totals(session: AsyncSession, program: Program) -> BudgetTotals:
    totals = BudgetTotals()
    for tier in program.tiers:
        totals.by_tier[tier.nama] = Total()
    rows = await session.execute(
        select(RT.jumlah_kk, RT.kelompok, Kecamatan.nama)
        .join(Kelurahan, RT.kelurahan_kode == Kelurahan.kode)
        .join(Kecamatan, Kelurahan.kecamatan_kode == Kecamatan.kode)
        .where(real_rt())
    )
    for jumlah_kk, kelompok, kecamatan in rows:
        if jumlah_kk is None:
            totals.unregistered += 1
            continue
        tier = program.tier_for(jumlah_kk)
        for bucket in (
            totals.by_tier[tier.nama],
            totals.by_kelompok[kelompok],
            totals.by_kecamatan[kecamatan],
            totals.overall,
        ):
            bucket.rts += 1
            bucket.rupiah += tier.alokasi
    return totals
