"""/jadwal end to end through the engine, on SQLite and PostgreSQL."""

from datetime import UTC, datetime

import pytest

from services.models import ReportStatus, Role
from tests.handlers.flows.ketua_setup import APR_15, FEB_10, RT_A, RT_B, at, ketua, seed_reports, text_of


async def test_nothing_reported_in_february(world):
    at(world, FEB_10)
    chat = await ketua(world, RT_A)
    replies = await chat.send("/jadwal")
    assert len(replies) == 1
    text = replies[0].text
    assert text.startswith("Jadwal RT 001 Kel. Simpang IV Sipin, Kelompok A:")
    assert "⚠️ Sosialisasi — Januari 2026" in text
    assert "🔔 Rembuk Warga — Februari 2026" in text
    assert "🔔 Penyusunan Rencana Kerja — Februari 2026" in text
    assert "🗓️ Penyusunan Proposal — Maret 2026" in text
    assert "🗓️ Pelaksanaan Kegiatan — April–Mei 2026" in text
    assert "🗓️ Laporan Pertanggungjawaban (LPJ) — Juni 2026" in text
    assert "Kirim /lapor untuk melaporkan Sosialisasi." in text
    assert "✅ selesai" in text  # the legend


async def test_every_status_has_its_symbol(world):
    at(world, FEB_10)
    await seed_reports(world, RT_A, ["sosialisasi"], ReportStatus.DISETUJUI)
    await seed_reports(world, RT_A, ["rembuk_warga"], ReportStatus.MENUNGGU_TINJAUAN)
    await seed_reports(world, RT_A, ["pembentukan_pokja"], ReportStatus.DIKEMBALIKAN, reason="Foto buram")
    chat = await ketua(world, RT_A)
    text = (await chat.send("/jadwal"))[0].text
    assert "✅ Sosialisasi — Januari 2026" in text
    assert "⏳ Rembuk Warga — Februari 2026" in text
    assert "↩️ Pembentukan Pokja — Februari 2026" in text
    assert "🔔 Pemetaan Potensi dan Swadaya — Februari 2026" in text
    assert "Kirim /lapor untuk melaporkan Pembentukan Pokja." in text


async def test_kelompok_b_in_february_is_all_upcoming(world):
    at(world, FEB_10)
    chat = await ketua(world, RT_B)
    text = (await chat.send("/jadwal"))[0].text
    assert "Kelompok B" in text
    assert "🗓️ Sosialisasi — Agustus 2026" in text
    assert "🗓️ Pencairan Dana — Oktober–November 2026" in text
    assert "⚠️" not in text.split("\n\n")[0] and "🔔" not in text.split("\n\n")[0]
    assert "Berikutnya: Sosialisasi pada Agustus 2026." in text


async def test_waiting_for_the_bendahara_is_explained(world):
    at(world, APR_15)
    stages = ["sosialisasi", "rembuk_warga", "pembentukan_pokja", "pemetaan_swadaya", "rencana_kerja", "proposal"]
    await seed_reports(world, RT_A, stages)
    chat = await ketua(world, RT_A)
    text = (await chat.send("/jadwal"))[0].text
    assert "🔔 Pencairan Dana — April 2026" in text
    assert "Pelaksanaan Kegiatan bisa dilaporkan setelah Bendahara Pokja melaporkan Pencairan Dana." in text


async def test_all_reported(world):
    at(world, datetime(2026, 7, 1, 3, 0, tzinfo=UTC))
    await seed_reports(world, RT_A, [s.kode for s in world.program.stages])
    chat = await ketua(world, RT_A)
    text = (await chat.send("/jadwal"))[0].text
    assert "Semua tahap sudah dilaporkan. Terima kasih, Bapak/Ibu." in text
    assert "⚠️" not in text.split("\n\n")[0]


async def test_waiting_for_review_is_mentioned_with_what_comes_next(world):
    at(world, datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    stages = ["sosialisasi", "rembuk_warga", "pembentukan_pokja", "pemetaan_swadaya", "rencana_kerja"]
    await seed_reports(world, RT_A, stages)
    await seed_reports(world, RT_A, ["proposal"], ReportStatus.MENUNGGU_TINJAUAN)
    chat = await ketua(world, RT_A)
    text = (await chat.send("/jadwal"))[0].text
    assert "Sedang diperiksa pendamping: Penyusunan Proposal." in text
    assert "Berikutnya: Pelaksanaan Kegiatan pada April 2026." in text


@pytest.mark.parametrize("role", [Role.BENDAHARA, Role.PENDAMPING])
async def test_only_the_ketua_rt_uses_jadwal(world, role):
    chat = await world.chat(role, RT_A if role == Role.BENDAHARA else None)
    replies = await chat.send("/jadwal")
    assert "Jadwal RT" not in text_of(replies)
