"""`/laporan`: what the RT has reported — stage, date, status, photos — and what was sent back and why."""

from datetime import UTC, datetime

from sqlalchemy import select

from services.models import ReportStatus, Role, StageReport
from tests.handlers.flows.pendamping import make_report, person_of, text_of

RT1 = "15.71.01.1001-001"
RT2 = "15.71.01.1001-002"


async def test_the_rts_reports_stage_by_stage_with_what_was_sent_back_and_why(world):
    ketua = await world.chat(Role.KETUA_RT, RT1)
    treasurer = await world.chat(Role.BENDAHARA, RT1)
    budi, siti = await person_of(world, ketua), await person_of(world, treasurer)
    rembuk_1 = await make_report(world, RT1, "rembuk_warga", budi, status=ReportStatus.DIKEMBALIKAN, photos=2)
    await make_report(world, RT1, "sosialisasi", budi, status=ReportStatus.DISETUJUI, photos=3, minutes_ago=90)
    await make_report(world, RT1, "rembuk_warga", budi, photos=4, documents=1, minutes_ago=10)
    await make_report(world, RT1, "pembentukan_pokja", budi, status=ReportStatus.DIKEMBALIKAN, photos=1, minutes_ago=5)
    await make_report(world, RT1, "pencairan_dana", siti, status=ReportStatus.DISETUJUI, answers={"jumlah": 70_000_000})
    await make_report(world, RT2, "sosialisasi", budi, photos=9)  # another RT: never shown
    async with world.db.unit_of_work() as session:
        for report in await session.scalars(select(StageReport).where(StageReport.status == "dikembalikan")):
            report.review_reason = "Foto daftar hadir tidak terbaca." if report.id == rembuk_1 else "SK belum ada."
            report.reviewed_at = datetime(2026, 3, 1, 3, tzinfo=UTC)

    text = text_of(await ketua.send("/laporan"))
    assert text.splitlines() == [
        "Laporan RT 001 Kel. Simpang IV Sipin:",
        "• Sosialisasi — 20 Februari 2026 — ✅ disetujui — 3 foto",
        "• Rembuk Warga — 20 Februari 2026 — ↩️ dikembalikan — 2 foto",
        "   Alasan: Foto daftar hadir tidak terbaca.",
        "   Sudah dikirim ulang.",
        "• Rembuk Warga — 20 Februari 2026 — 🕓 menunggu tinjauan — 4 foto, 1 dokumen",
        "• Pembentukan Pokja — 20 Februari 2026 — ↩️ dikembalikan — 1 foto",
        "   Alasan: SK belum ada.",
        "   Perbaiki lalu kirim lagi dengan /lapor.",
        "• Pencairan Dana — 20 Februari 2026 — ✅ disetujui — 1 foto — Rp70.000.000",
    ]
    # The treasurer sees the same.
    assert text_of(await treasurer.send("/laporan")) == text


async def test_nothing_reported_yet_says_where_to_look(world):
    ketua = await world.chat(Role.KETUA_RT, RT2)
    text = text_of(await ketua.send("/laporan"))
    assert text == (
        "RT 002 Kel. Simpang IV Sipin belum melaporkan tahap apa pun. Kirim /jadwal untuk melihat apa yang perlu "
        "dilaporkan."
    )
