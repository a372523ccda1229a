"""/lapor's summary: change one answer, the date or one photo without starting over, then back to the summary."""

from services.models import Media, StageReport
from tests.handlers.chat import Chat
from tests.handlers.flows.ketua_setup import (
    FEB_10,
    RT_A,
    at,
    count,
    ketua,
    photo,
    rows,
    seed_reports,
    send_sticker,
    text_of,
)


async def rembuk_warga_summary(world) -> Chat:
    at(world, FEB_10)
    await seed_reports(world, RT_A, ["sosialisasi"])
    chat = await ketua(world, RT_A)
    await chat.send("/lapor")
    await chat.press("s:rembuk_warga")
    await chat.press("today")
    await chat.send("45")
    await chat.send("30")
    await chat.send_media(photo(1), photo(2), photo(3))
    replies = await chat.press("done")
    assert [c.label for c in replies[-1].choices] == [
        "Kirim",
        "Ubah tanggal",
        "Ubah: Jumlah warga yang hadir",
        "Ubah: Jumlah KK yang hadir",
        "Ganti foto",
        "Tambah foto atau dokumen",
        "Batal",
    ]
    return chat


async def test_change_one_answer_returns_to_the_summary(world):
    chat = await rembuk_warga_summary(world)
    replies = await chat.press("edit:field:1")
    assert "Pertanyaan 2 dari 2: Jumlah KK yang hadir" in text_of(replies)
    replies = await chat.send("28")
    summary = text_of(replies)
    assert "Jumlah warga yang hadir: 45" in summary and "Jumlah KK yang hadir: 28" in summary
    assert "Bukti: 3 foto" in summary
    await chat.press("send")
    [report] = await rows(world, StageReport, StageReport.stage_key == "rembuk_warga")
    assert report.answers == {"jumlah_hadir": 45, "jumlah_kk_hadir": 28}


async def test_change_the_date_returns_to_the_summary(world):
    chat = await rembuk_warga_summary(world)
    replies = await chat.press_label("Ubah tanggal")
    assert "Kapan Rembuk Warga dilaksanakan?" in text_of(replies)
    replies = await chat.send("kemarin")
    assert "Tanggal: 9 Februari 2026" in text_of(replies) and "Jumlah KK yang hadir: 30" in text_of(replies)


async def test_a_wrong_new_answer_is_asked_again_and_still_returns_to_the_summary(world):
    chat = await rembuk_warga_summary(world)
    await chat.press("edit:field:0")
    replies = await chat.send("banyak")
    assert "Pertanyaan 1 dari 2" in text_of(replies)
    replies = await chat.send("50")
    assert "Mohon periksa laporannya:" in text_of(replies) and "Jumlah warga yang hadir: 50" in text_of(replies)


async def test_replace_one_photo_keeps_the_others(world):
    chat = await rembuk_warga_summary(world)
    replies = await chat.press_label("Ganti foto")
    assert [c.label for c in replies[-1].choices] == [
        "foto1.jpg",
        "foto2.jpg",
        "foto3.jpg",
        "Tambah foto atau dokumen",
        "Kembali ke ringkasan",
    ]
    await chat.press("w:1")
    replies = await send_sticker(chat)
    assert "Mohon kirim satu foto atau dokumen" in text_of(replies)
    replies = await chat.send_media(photo(8))
    assert "Sudah diganti." in text_of(replies) and "Bukti: 3 foto" in text_of(replies)
    await chat.press("send")
    [report] = await rows(world, StageReport, StageReport.stage_key == "rembuk_warga")
    kept = {m.channel_file_id for m in await rows(world, Media, Media.report_id == report.id)}
    assert kept == {"foto1.jpg", "foto8.jpg", "foto3.jpg"}


async def test_back_from_replacing_changes_nothing(world):
    chat = await rembuk_warga_summary(world)
    await chat.press_label("Ganti foto")
    replies = await chat.press("back")
    assert "Bukti: 3 foto" in text_of(replies)
    await chat.press_label("Ganti foto")
    await chat.press("w:0")
    replies = await chat.press("back")
    assert "Bukti: 3 foto" in text_of(replies)


async def test_send_more_goes_to_the_evidence_and_back(world):
    chat = await rembuk_warga_summary(world)
    await chat.press_label("Tambah foto")
    await chat.send_media(photo(4))
    replies = await chat.press("done")
    assert "Bukti: 4 foto" in text_of(replies)
    await chat.press("send")
    assert await count(world, Media) == 4
