"""services/rt_table.py on SQLite and PostgreSQL: scope, filters, sorting, paging, money and answers per RT."""

from pathlib import Path

import pytest

from services.models import RT, Person, Role
from services.rt_filter import RTFilter, Sort
from services.rt_table import iter_rt_rows, rt_row, rt_rows
from services.schedule import StageStatus
from tests.services.dashboard_town import RT1, RT2, RT3, RT4, TODAY, build


@pytest.fixture
async def town(db, program, tmp_path: Path):
    return await build(db, program, tmp_path / "media")


async def kodes(db, program, viewer, f=RTFilter(), sort=Sort()):
    async with db.unit_of_work() as session:
        page = await rt_rows(session, program, viewer, f, TODAY, sort, per_page=100)
    return [row.kode for row in page.rows]


async def test_admin_sees_the_city_a_pendamping_their_rts_a_ketua_nothing(db, program, town):
    assert await kodes(db, program, town.admin) == [RT1, RT2, RT3, RT4]
    assert await kodes(db, program, town.dewi) == [RT1, RT2]
    assert await kodes(db, program, town.rudi) == [RT3, RT4]
    assert await kodes(db, program, town.ketua_1) == []
    # A pendamping asking for another pendamping's RTs gets none of them.
    assert await kodes(db, program, town.dewi, RTFilter(pendamping_id=town.rudi.id)) == []
    async with db.unit_of_work() as session:
        assert await rt_row(session, program, town.dewi, town.rts[RT3].id, TODAY) is None
        assert (await rt_row(session, program, town.rudi, town.rts[RT3].id, TODAY)).kode == RT3
        stranger = Person(nama="Baru", role=Role.PENDAMPING)
        session.add(stranger)
        await session.flush()
        assert (await rt_rows(session, program, stranger, RTFilter(), TODAY)).total == 0


async def test_a_training_rt_is_never_listed(db, program, town):
    async with db.unit_of_work() as session:
        (await session.get(RT, town.rts[RT4].id)).latihan = True
    assert await kodes(db, program, town.admin) == [RT1, RT2, RT3]
    assert await kodes(db, program, town.rudi) == [RT3]
    async with db.unit_of_work() as session:
        assert await rt_row(session, program, town.admin, town.rts[RT4].id, TODAY) is None


async def test_a_row_has_the_rts_stages_money_seats_and_answers(db, program, town):
    async with db.unit_of_work() as session:
        one = await rt_row(session, program, town.admin, town.rts[RT1].id, TODAY)
        two = await rt_row(session, program, town.admin, town.rts[RT2].id, TODAY)
        three = await rt_row(session, program, town.admin, town.rts[RT3].id, TODAY)
    assert (one.kelurahan, one.kecamatan, one.kelompok, one.jumlah_kk, one.pilot) == (
        "Simpang IV Sipin", "Telanaipura", "A", 87, True,
    )  # fmt: skip
    assert one.pendamping == "Dewi Lubis"
    # The newer sosialisasi report (approved) counts, not the older one sent back.
    assert [one.state(k).status for k in ("sosialisasi", "rembuk_warga", "pemetaan_swadaya", "proposal")] == [
        StageStatus.SELESAI, StageStatus.SELESAI, StageStatus.MENUNGGU_TINJAUAN, StageStatus.JATUH_TEMPO,
    ]  # fmt: skip
    # Cancelled receipts and receipts whose report was sent back do not count; neither does cancelled spending.
    assert (one.allocation, one.received, one.spent, one.balance) == (70_000_000, 70_000_000, 10_000_000, 60_000_000)
    assert not one.fund_mismatch
    assert (one.hadir, one.kk_hadir, one.swadaya_rupiah, one.swadaya_barang) == (150, 60, 2_000_000, "semen 10 sak")
    assert one.kk_share == pytest.approx(60 / 87)
    assert (one.ketua_registered, one.bendahara_registered, one.unreachable) == (True, True, 0)
    assert (two.allocation, two.received, two.fund_mismatch, two.kk_share) == (None, 50_000_000, True, None)
    assert (two.ketua_registered, two.bendahara_registered) == (True, False)
    assert two.state("sosialisasi").status == StageStatus.DIKEMBALIKAN and two.state("sosialisasi").late
    assert (three.ketua_registered, three.bendahara_registered, three.unreachable) == (True, False, 1)
    assert three.received == 0 and not three.fund_mismatch


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (RTFilter(kecamatan="15.71.02"), [RT3, RT4]),
        (RTFilter(kelurahan="15.71.01.1001"), [RT1, RT2]),
        (RTFilter(kelompok="B"), [RT3, RT4]),
        (RTFilter(pilot=True), [RT1]),
        (RTFilter(pilot=False), [RT2, RT3, RT4]),
        (RTFilter(registered=False), [RT4]),
        (RTFilter(bendahara_registered=False), [RT2, RT3, RT4]),
        (RTFilter(seats_complete=True), [RT1]),
        (RTFilter(fund_mismatch=True), [RT2]),
        (RTFilter(unreachable=True), [RT3]),
        (RTFilter(stage="sosialisasi", status="selesai"), [RT1]),
        (RTFilter(stage="sosialisasi", status="dikembalikan"), [RT2]),
        (RTFilter(stage="sosialisasi", status="overdue"), [RT2]),
        (RTFilter(stage="sosialisasi", status="not_started"), [RT3, RT4]),
        (RTFilter(status="menunggu_tinjauan"), [RT1, RT2]),
        (RTFilter(q="1002-00"), [RT3, RT4]),
        (RTFilter(q="%"), []),
    ],
)
async def test_filters(db, program, town, f, expected):
    assert await kodes(db, program, town.admin, f) == expected


async def test_filters_round_trip_through_the_url_and_bad_values_are_dropped(program):
    f = RTFilter(kecamatan="15.71.02", kelompok="B", stage="rembuk_warga", status="overdue", pilot=False, q="1002")
    assert RTFilter.from_query(f.to_query(), program) == f
    bad = {
        "kecamatan": "x'; drop", "kelompok": "C", "stage": "nope", "status": "soon", "pilot": "maybe",
        "pendamping_id": "12a", "q": "a" * 40, "other": "1",
    }  # fmt: skip
    assert RTFilter.from_query(bad, program) == RTFilter()
    assert RTFilter.from_query({"registered": "0", "pendamping_id": "7"}) == RTFilter(registered=False, pendamping_id=7)
    assert Sort.from_query("-balance") == Sort("balance", True)
    assert Sort.from_query("-password") == Sort()


async def test_sorting_and_paging(db, program, town):
    assert await kodes(db, program, town.admin, sort=Sort("kode", True)) == [RT4, RT3, RT2, RT1]
    # No KK count: last whichever the direction.
    assert await kodes(db, program, town.admin, sort=Sort("jumlah_kk")) == [RT4, RT1, RT3, RT2]
    assert await kodes(db, program, town.admin, sort=Sort("jumlah_kk", True)) == [RT3, RT1, RT4, RT2]
    assert (await kodes(db, program, town.admin, sort=Sort("balance", True)))[:2] == [RT1, RT2]
    assert (await kodes(db, program, town.admin, sort=Sort("progress", True)))[0] == RT1
    async with db.unit_of_work() as session:
        page = await rt_rows(session, program, town.admin, RTFilter(), TODAY, Sort(), page=2, per_page=3)
        beyond = await rt_rows(session, program, town.admin, RTFilter(), TODAY, Sort(), page=9, per_page=3)
        batches = [
            [row.kode for row in batch]
            async for batch in iter_rt_rows(session, program, town.admin, RTFilter(), TODAY, Sort(), batch=3)
        ]
    assert ([r.kode for r in page.rows], page.total, page.page, page.pages) == ([RT4], 4, 2, 2)
    assert beyond.page == 2
    assert batches == [[RT1, RT2, RT3], [RT4]]


@pytest.mark.parametrize("sort", ["kode", "-kode", "kelurahan", "-kelurahan", "kelompok", "-kelompok", "jumlah_kk",
                                  "-jumlah_kk"])  # fmt: skip
async def test_a_page_cut_by_the_database_is_the_same_as_one_cut_after_computing(db, program, town, sort):
    # rt_rows pages in the database for these sorts; iter_rt_rows always computes every row, then sorts.
    async with db.unit_of_work() as session:
        paged = [
            row.kode
            for number in (1, 2)
            for row in (
                await rt_rows(
                    session, program, town.admin, RTFilter(), TODAY, Sort.from_query(sort), page=number, per_page=2
                )
            ).rows
        ]
        computed = [
            row.kode
            async for batch in iter_rt_rows(session, program, town.admin, RTFilter(), TODAY, Sort.from_query(sort))
            for row in batch
        ]
    assert paged == computed
