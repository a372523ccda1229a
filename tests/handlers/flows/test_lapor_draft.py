"""/lapor drafts: a report left unfinished comes back for 7 days; one sent back starts from the report sent before."""

from datetime import timedelta

from sqlalchemy import select

from services.models import Media, ReportDraft, ReportStatus, StageReport
from tests.handlers.chat import Chat
from tests.handlers.flows.ketua_setup import (
    FEB_10,
    RT_A,
    at,
    count,
    ketua,
    pendamping,
    photo,
    rows,
    seed_reports,
    text_of,
)


async def rembuk_warga_left_at_media(world) -> Chat:
    """Date and both answers given, two photos sent, then /batal."""
    at(world, FEB_10)
    await seed_reports(world, RT_A, ["sosialisasi"])
    chat = await ketua(world, RT_A)
    await chat.send("/lapor")
    await chat.press("s:rembuk_warga")
    await chat.press("yesterday")
    await chat.send("45")
    await chat.send("30")
    await chat.send_media(photo(1), photo(2))
    replies = await chat.send("/batal")
    assert "Laporan Rembuk Warga belum dikirim. Laporan disimpan sebagai draf selama 7 hari" in text_of(replies)
    return chat


async def test_a_draft_is_offered_and_continues_where_it_was_left(world):
    chat = await rembuk_warga_left_at_media(world)
    await chat.send("/lapor")
    replies = await chat.press("s:rembuk_warga")
    assert text_of(replies) == (
        "Ada draf laporan Rembuk Warga dari 10 Februari 2026 (tanggal, 2 jawaban, 2 foto sudah diisi). "
        "Lanjutkan draf atau isi dari awal?"
    )
    assert [c.label for c in replies[-1].choices] == ["Lanjutkan draf", "Isi dari awal"]
    replies = await chat.press("draft:continue")
    assert "Sudah diterima: 2 foto." in text_of(replies)
    await chat.send_media(photo(3))
    replies = await chat.press("done")
    assert "Tanggal: 9 Februari 2026" in text_of(replies) and "Jumlah KK yang hadir: 30" in text_of(replies)
    replies = await chat.press("send")
    assert "sudah terkirim dan menunggu diperiksa pendamping." in text_of(replies)
    [report] = await rows(world, StageReport, StageReport.stage_key == "rembuk_warga")
    assert report.answers == {"jumlah_hadir": 45, "jumlah_kk_hadir": 30}
    assert await count(world, Media, Media.report_id == report.id) == 3
    assert await count(world, ReportDraft) == 0  # sent: the draft is gone


async def test_start_over_forgets_the_draft(world):
    chat = await rembuk_warga_left_at_media(world)
    await chat.send("/lapor")
    await chat.press("s:rembuk_warga")
    replies = await chat.send("isi dari awal")
    assert "Kapan Rembuk Warga dilaksanakan?" in text_of(replies)
    assert await count(world, ReportDraft) == 0


async def test_a_draft_older_than_seven_days_is_not_offered_and_is_pruned(world):
    chat = await rembuk_warga_left_at_media(world)
    at(world, FEB_10 + timedelta(days=7, minutes=1))
    chat.engine = world.engine
    await chat.send("/lapor")
    replies = await chat.press("s:rembuk_warga")
    assert "Kapan Rembuk Warga dilaksanakan?" in text_of(replies)
    assert await count(world, ReportDraft) == 0


async def test_a_draft_six_days_old_is_still_offered(world):
    chat = await rembuk_warga_left_at_media(world)
    at(world, FEB_10 + timedelta(days=6))
    chat.engine = world.engine
    await chat.send("/lapor")
    replies = await chat.press("s:rembuk_warga")
    assert "Ada draf laporan Rembuk Warga" in text_of(replies)


async def test_cancel_before_anything_is_filled_keeps_no_draft(world):
    at(world, FEB_10)
    await seed_reports(world, RT_A, ["sosialisasi"])
    chat = await ketua(world, RT_A)
    await chat.send("/lapor")
    await chat.press("s:rembuk_warga")
    replies = await chat.send("/batal")
    assert replies[0].text == "Dibatalkan. Tidak ada yang disimpan."
    assert await count(world, ReportDraft) == 0


async def sent_back_sosialisasi(world, fix: tuple[str, ...] = ()) -> Chat:
    """Sosialisasi reported with one photo, then sent back by the pendamping through /tinjau (marking `fix`)."""
    at(world, FEB_10)
    dewi = await pendamping(world, RT_A)
    chat = await ketua(world, RT_A)
    await chat.send("/lapor")
    await chat.press("s:sosialisasi")
    await chat.press("yesterday")
    await chat.send_media(photo(1))
    await chat.press("done")
    await chat.press("send")
    [report] = await rows(world, StageReport)
    await dewi.send("/tinjau")
    await dewi.press(f"back:{report.id}")
    for part in fix:
        await dewi.press(f"fix:{report.id}:{part}")
    replies = await dewi.send("Foto kurang jelas, mohon foto ulang")
    assert "Dikembalikan" in text_of(replies) or "dikembalikan" in text_of(replies)
    return chat


async def test_a_sent_back_report_starts_at_the_summary_with_the_reason_and_its_photo(world):
    chat = await sent_back_sosialisasi(world)
    await chat.send("/lapor")
    replies = await chat.press("s:sosialisasi")
    summary = text_of(replies)
    assert "Pendamping mengembalikan tahap ini: Foto kurang jelas, mohon foto ulang" in summary
    assert "Tanggal: 9 Februari 2026" in summary and "Bukti: 1 foto" in summary
    # Replace the unclear photo, then send: the new report holds the new photo only.
    await chat.press_label("Ganti foto")
    replies = await chat.press("w:0")
    assert "Kirim foto atau dokumen baru sebagai pengganti foto1.jpg." in text_of(replies)
    replies = await chat.send_media(photo(7))
    assert "Sudah diganti." in text_of(replies) and "Bukti: 1 foto" in text_of(replies)
    replies = await chat.press("send")
    assert "sudah terkirim dan menunggu diperiksa pendamping." in text_of(replies)
    old, new = await rows(world, StageReport)
    assert (old.status, new.status) == (ReportStatus.DIKEMBALIKAN, ReportStatus.MENUNGGU_TINJAUAN)
    [media] = await rows(world, Media, Media.report_id == new.id)
    assert (world.media_root / media.path).read_bytes() == photo(7)[1]


async def test_a_sent_back_report_can_be_sent_again_with_its_kept_photo(world):
    chat = await sent_back_sosialisasi(world)
    await chat.send("/lapor")
    await chat.press("s:sosialisasi")
    chat.files.clear()  # the channel's copy is not needed: the photo is in the media store
    replies = await chat.press("send")
    assert "sudah terkirim dan menunggu diperiksa pendamping." in text_of(replies)
    _old, new = await rows(world, StageReport)
    [media] = await rows(world, Media, Media.report_id == new.id)
    assert (world.media_root / media.path).read_bytes() == photo(1)[1]
    assert new.happened_on.isoformat() == "2026-02-09"


async def test_a_draft_of_a_sent_back_stage_shows_the_reason(world):
    chat = await sent_back_sosialisasi(world)
    await chat.send("/lapor")
    await chat.press("s:sosialisasi")
    await chat.send("/batal")
    await chat.send("/lapor")
    await chat.press("s:sosialisasi")
    replies = await chat.press("draft:continue")
    assert "Pendamping mengembalikan tahap ini: Foto kurang jelas" in text_of(replies)
    async with world.db.unit_of_work() as session:
        assert (await session.scalar(select(ReportDraft))).step == "confirm"


async def test_only_the_parts_the_pendamping_marked_are_asked_again(world):
    chat = await sent_back_sosialisasi(world, fix=("foto", "tanggal"))
    await chat.send("/lapor")
    replies = await chat.press("s:sosialisasi")
    assert replies[0].text == (
        "Pendamping mengembalikan tahap ini: Foto kurang jelas, mohon foto ulang\n"
        "Mohon perbaiki: tanggal, foto. Bagian lain tetap seperti laporan sebelumnya."
    )
    assert "Kapan Sosialisasi dilaksanakan?" in replies[-1].text
    assert "mengembalikan" not in replies[-1].text  # said once
    replies = await chat.send("8/2/2026")
    assert "Mana yang ingin diganti?" in replies[-1].text
    await chat.press("w:0")
    replies = await chat.send_media(photo(5))
    summary = text_of(replies)
    assert "Sudah diganti." in summary and "Tanggal: 8 Februari 2026" in summary and "Bukti: 1 foto" in summary
    await chat.press("send")
    _old, new = await rows(world, StageReport)
    assert new.happened_on.isoformat() == "2026-02-08"
    [media] = await rows(world, Media, Media.report_id == new.id)
    assert (world.media_root / media.path).read_bytes() == photo(5)[1]


async def test_answers_to_fix_are_all_asked_then_the_summary(world):
    at(world, FEB_10)
    await seed_reports(world, RT_A, ["sosialisasi"])
    dewi = await pendamping(world, RT_A)
    chat = await ketua(world, RT_A)
    await chat.send("/lapor")
    await chat.press("s:rembuk_warga")
    await chat.press("today")
    await chat.send("45")
    await chat.send("30")
    await chat.send_media(photo(1), photo(2), photo(3))
    await chat.press("done")
    await chat.press("send")
    [report] = await rows(world, StageReport, StageReport.stage_key == "rembuk_warga")
    await dewi.send("/tinjau")
    await dewi.press(f"back:{report.id}")
    await dewi.press(f"fix:{report.id}:isian")
    await dewi.send("Jumlah hadir tidak sesuai daftar hadir")

    await chat.send("/lapor")
    replies = await chat.press("s:rembuk_warga")
    assert "Mohon perbaiki: isian." in text_of(replies) and "Pertanyaan 1 dari 2" in replies[-1].text
    await chat.send("50")
    replies = await chat.send("33")
    summary = text_of(replies)
    assert "Jumlah warga yang hadir: 50" in summary and "Jumlah KK yang hadir: 33" in summary
    assert "Bukti: 3 foto" in summary
    await chat.press("send")
    new = (await rows(world, StageReport, StageReport.stage_key == "rembuk_warga"))[-1]
    assert new.answers == {"jumlah_hadir": 50, "jumlah_kk_hadir": 33}
    assert await count(world, Media, Media.report_id == new.id) == 3
