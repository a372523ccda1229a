"""services/overview.py on SQLite and PostgreSQL: the numbers, and each number's filter listing exactly its RTs."""

from pathlib import Path

import pytest

from services import roster, wilayah
from services.demo import demo_roster
from services.models import Person, Role
from services.overview import Count, overview
from services.rt_table import IN_THREAD_FROM, RTRow, rt_rows
from tests.services.dashboard_town import RT2, TODAY, build

# For a sum, the row value it adds up; any other Count is a count of the RTs its filter lists.
SUMS = {
    "allocation": lambda r: r.allocation,
    "received": lambda r: r.received,
    "spent": lambda r: r.spent,
    "balance": lambda r: r.balance,
    "hadir": lambda r: r.hadir,
    "kk_hadir": lambda r: r.kk_hadir,
    "jumlah_kk": lambda r: r.jumlah_kk if r.kk_hadir is not None else None,
    "swadaya_rupiah": lambda r: r.swadaya_rupiah,
    "unreachable_people": lambda r: r.unreachable,
}


def counts(value, name=""):
    """Every Count in the overview with the name of the field holding it."""
    if isinstance(value, Count):
        yield name, value
    elif isinstance(value, dict):
        for item in value.values():
            yield from counts(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from counts(item, name)
    elif hasattr(value, "__dataclass_fields__"):
        for key in value.__dataclass_fields__:
            yield from counts(getattr(value, key), key)


@pytest.fixture
async def town(db, program, tmp_path: Path):
    return await build(db, program, tmp_path / "media")


async def listed(db, program, viewer, f) -> list[RTRow]:
    async with db.unit_of_work() as session:
        return (await rt_rows(session, program, viewer, f, TODAY, per_page=500)).rows


@pytest.mark.parametrize("who", ["admin", "dewi", "rudi"])
async def test_every_number_links_to_exactly_its_rts(db, program, town, who):
    viewer = getattr(town, who)
    async with db.unit_of_work() as session:
        seen = await overview(session, program, viewer, TODAY)
    checked = 0
    for name, count in counts(seen):
        rows = await listed(db, program, viewer, count.filter)
        if name in SUMS:
            assert count.value == sum(SUMS[name](r) or 0 for r in rows), (name, count)
        else:
            assert count.value == len(rows), (name, count)
        checked += 1
    assert checked > 200


async def test_the_numbers_of_the_city(db, program, town):
    async with db.unit_of_work() as session:
        seen = await overview(session, program, town.admin, TODAY)
        dewi = await overview(session, program, town.dewi, TODAY)
        ketua = await overview(session, program, town.ketua_1, TODAY)
    assert seen.rts.value == 4 and dewi.rts.value == 2 and ketua.rts.value == 0
    sosialisasi = seen.progress.stages["sosialisasi"]
    assert {bucket: c.value for bucket, c in sosialisasi.items()} == {
        "selesai": 1, "menunggu_tinjauan": 0, "dikembalikan": 1, "terlambat": 0, "not_started": 2,
    }  # fmt: skip
    assert [(p.name, p.rts.value) for p in seen.by_kelompok] == [("A", 2), ("B", 2)]
    assert [(p.name, p.rts.value) for p in seen.by_kecamatan] == [("Telanaipura", 2), ("Jambi Selatan", 2)]
    # Cancelled receipts and the one whose report was sent back are left out: 70 + 50 million.
    funds = seen.funds
    assert (funds.received.value, funds.spent.value, funds.balance.value) == (120_000_000, 10_000_000, 110_000_000)
    assert funds.allocation.value == 70_000_000 + 100_000_000 + 50_000_000
    assert (funds.mismatch.value, funds.no_allocation.value) == (1, 1)
    assert [(f.name, f.received.value) for f in seen.funds_by_kecamatan] == [
        ("Telanaipura", 120_000_000), ("Jambi Selatan", 0),
    ]  # fmt: skip
    assert (seen.participation.hadir.value, seen.participation.kk_hadir.value) == (150, 60)
    assert (seen.participation.jumlah_kk.value, seen.participation.swadaya_rupiah.value) == (87, 2_000_000)
    assert (seen.missing_ketua.value, seen.missing_bendahara.value, seen.missing_any.value) == (1, 3, 3)
    assert (seen.unreachable_people.value, seen.unreachable_rts.value) == (1, 1)
    assert dewi.unreachable_people.value == 0 and dewi.funds.received.value == 120_000_000
    assert [r.kode for r in await listed(db, program, town.admin, seen.funds.mismatch.filter)] == [RT2]


async def test_a_city_big_enough_to_be_computed_in_a_worker_thread(db, program):
    # Over IN_THREAD_FROM RTs both the rows and the overview are computed in a thread: same numbers as the list.
    async with db.unit_of_work() as session:
        await wilayah.ensure_wilayah(session)
        rows = roster.validate_rows(
            demo_roster(rts=IN_THREAD_FROM + 30), await roster.known_kelurahan(session), program
        )
        await roster.import_rows(session, rows, actor="test")
        admin = Person(nama="Admin", role=Role.ADMIN)
        session.add(admin)
    async with db.unit_of_work() as session:
        seen = await overview(session, program, admin, TODAY)
        assert seen.rts.value == IN_THREAD_FROM + 30
        for count in seen.progress.stages["sosialisasi"].values():
            assert (await rt_rows(session, program, admin, count.filter, TODAY)).total == count.value
        assert sum(p.rts.value for p in seen.by_kecamatan) == IN_THREAD_FROM + 30
