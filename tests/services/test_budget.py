"""Allocation totals."""

from services.budget import budget_totals
from tests.handlers.conftest import load_roster


async def test_totals_by_tier_kelompok_and_kecamatan(db, program):
    await load_roster(db, program)  # 87 KK (A), unregistered (A), 120 KK (B)
    async with db.unit_of_work() as session:
        totals = await budget_totals(session, program)
    assert totals.unregistered == 1
    assert (totals.overall.rts, totals.overall.rupiah) == (2, 170_000_000)
    assert totals.by_tier["sedang"].rupiah == 70_000_000
    assert totals.by_tier["besar"].rupiah == 100_000_000
    assert totals.by_tier["kecil"].rts == 0
    assert totals.by_kelompok["A"].rupiah == 70_000_000
    assert totals.by_kecamatan["Telanaipura"].rupiah == 170_000_000
