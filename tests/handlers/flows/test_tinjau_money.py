"""/tinjau: the review card of a report about money shows rupiah, the RT's allocation and any mismatch."""

from services.models import Role
from tests.handlers.flows.pendamping import RT_1, RT_2, make_report, pendamping, person_of, registered


async def _card_of(world, rt_kode: str, stage: str, answers: dict, role: Role = Role.BENDAHARA) -> str:
    sender = await registered(world, role, rt_kode, "Sari")
    await make_report(world, rt_kode, stage, await person_of(world, sender), answers=answers)
    dewi = await pendamping(world)
    return (await dewi.send("/tinjau"))[-1].text


async def test_funds_received_as_allocated(world):
    card = await _card_of(world, RT_1, "pencairan_dana", {"jumlah": 70_000_000})
    assert "Jumlah diterima: Rp70.000.000" in card
    assert "Alokasi RT ini: Rp70.000.000 (87 KK)" in card
    assert "⚠️" not in card
    assert "Dikirim oleh Sari (Bendahara Pokja)" in card


async def test_funds_below_the_allocation_are_flagged(world):
    card = await _card_of(world, RT_1, "pencairan_dana", {"jumlah": 65_000_000})
    assert "Jumlah diterima: Rp65.000.000" in card
    assert "⚠️ Kurang Rp5.000.000 dari alokasi. Mohon periksa." in card


async def test_funds_above_the_allocation_are_flagged(world):
    card = await _card_of(world, RT_1, "pencairan_dana", {"jumlah": 100_000_000})
    assert "⚠️ Lebih Rp30.000.000 dari alokasi. Mohon periksa." in card


async def test_swadaya_in_rupiah_and_an_rt_without_kk_count(world):
    card = await _card_of(
        world, RT_2, "pemetaan_swadaya", {"swadaya_rupiah": 1_500_000, "swadaya_barang": "-"}, Role.KETUA_RT
    )
    assert "Swadaya uang: Rp1.500.000" in card
    assert "Alokasi RT ini: belum diketahui (jumlah KK belum terdaftar)." in card
    assert "Dikirim oleh Sari (Ketua RT)" in card


async def test_a_report_without_money_shows_no_allocation(world):
    card = await _card_of(world, RT_1, "rembuk_warga", {"jumlah_hadir": 45}, Role.KETUA_RT)
    assert "Alokasi" not in card
