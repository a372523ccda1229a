"""/lapor end to end through the engine, on SQLite and PostgreSQL."""

from datetime import date

import pytest

from handlers.engine import Engine
from handlers.flow import action_choice_id
from handlers.messages import Expect, Incoming, Kind, MediaItem
from services.models import AuditLog, ConversationState, Media, ReportStatus, Role, StageReport
from tests.handlers.chat import Chat, outbox_for
from tests.handlers.flows.ketua_setup import (
    APR_15,
    FEB_10,
    PDF,
    RT_A,
    RT_B,
    at,
    count,
    ketua,
    pendamping,
    photo,
    rows,
    seed_reports,
    send_sticker,
    text_of,
)

BEFORE_RENCANA = ["sosialisasi", "rembuk_warga", "pembentukan_pokja", "pemetaan_swadaya"]
ASK_DATE = "Kapan {stage} dilaksanakan?"


async def nothing_saved(world, seeded: int = 0) -> None:
    """No report (beyond the `seeded` ones), no media row and no file on disk."""
    assert await count(world, StageReport) == seeded
    assert await count(world, Media) == 0
    assert not world.media_root.exists() or not any(p.is_file() for p in world.media_root.rglob("*"))


async def rembuk_warga_until_media(world) -> Chat:
    at(world, FEB_10)
    await seed_reports(world, RT_A, ["sosialisasi"])
    chat = await ketua(world, RT_A)
    await chat.send("/lapor")
    await chat.press("s:rembuk_warga")
    await chat.press("today")
    await chat.send("45")
    await chat.send("30 ")
    return chat


async def test_sosialisasi_with_one_photo_is_saved_on_send_and_the_pendamping_is_asked_to_review(world):
    at(world, FEB_10)
    dewi = await pendamping(world, RT_A)
    chat = await ketua(world, RT_A)
    replies = await chat.send("/lapor")
    assert "Tahap mana yang akan dilaporkan?" in text_of(replies)
    # Only the overdue sosialisasi: rembuk warga waits for it.
    assert [(c.id, c.label) for c in replies[-1].choices] == [("s:sosialisasi", "⚠️ Sosialisasi")]
    replies = await chat.press("s:sosialisasi")
    assert ASK_DATE.format(stage="Sosialisasi") in text_of(replies)
    assert [c.label for c in replies[-1].choices] == ["Hari ini", "Kemarin"]
    replies = await chat.press("yesterday")
    assert "Sekarang kirim bukti Sosialisasi: paling sedikit 1 foto." in text_of(replies)
    assert replies[-1].expect == Expect.MEDIA and [c.label for c in replies[-1].choices] == ["Selesai kirim"]
    replies = await chat.send_media(photo(1))
    assert "Sudah diterima: 1 foto." in text_of(replies)
    assert "Sudah cukup." in text_of(replies)
    replies = await chat.press("done")
    summary = text_of(replies)
    assert "Tahap: Sosialisasi" in summary and "Tanggal: 9 Februari 2026" in summary
    # No location was sent: the summary has no line for it (a missing location is not worth a line).
    assert "Bukti: 1 foto" in summary and "Lokasi" not in summary
    assert [c.label for c in replies[-1].choices] == [
        "Kirim",
        "Ubah tanggal",
        "Ganti foto",
        "Tambah foto atau dokumen",
        "Batal",
    ]
    await nothing_saved(world)

    replies = await chat.press("send")
    sent = "Terima kasih, Bapak/Ibu. Laporan Sosialisasi sudah terkirim dan menunggu diperiksa pendamping."
    assert sent in text_of(replies)
    assert "Kirim /lapor untuk melaporkan Rembuk Warga." in text_of(replies)

    [report] = await rows(world, StageReport)
    assert (report.stage_key, report.status, report.happened_on) == (
        "sosialisasi",
        ReportStatus.MENUNGGU_TINJAUAN,
        date(2026, 2, 9),
    )
    [media] = await rows(world, Media)
    assert (media.report_id, media.stage_key, media.rt_id, media.kind) == (
        report.id,
        "sosialisasi",
        report.rt_id,
        "photo",
    )
    assert media.uploaded_by_id == report.submitted_by_id and media.channel_file_id == "foto1.jpg"
    assert (world.media_root / media.path).read_bytes() == photo(1)[1]
    assert await rows(world, AuditLog, AuditLog.action == "report.submit")

    [message] = await outbox_for(world.engine, dewi.user_id)
    assert "Laporan baru dari RT 001 Kel. Simpang IV Sipin (15.71.01.1001-001): Sosialisasi" in message.payload["text"]
    assert message.payload["choices"] == [{"id": action_choice_id("tinjau", report.id), "label": "Periksa"}]


async def test_rembuk_warga_with_an_album_of_three_photos(world):
    chat = await rembuk_warga_until_media(world)
    replies = await chat.send_media(photo(1), photo(2), photo(3))
    assert len(replies) == 1  # one answer for the whole album
    assert "Sudah diterima: 3 foto." in replies[0].text
    replies = await chat.press("done")
    summary = text_of(replies)
    assert "Jumlah warga yang hadir: 45" in summary and "Jumlah KK yang hadir: 30" in summary
    assert "Bukti: 3 foto" in summary
    await nothing_saved(world, seeded=1)
    await chat.press("send")
    report = (await rows(world, StageReport, StageReport.stage_key == "rembuk_warga"))[0]
    assert report.answers == {"jumlah_hadir": 45, "jumlah_kk_hadir": 30}
    assert await count(world, Media, Media.report_id == report.id) == 3


async def test_done_too_early_says_how_many_are_missing(world):
    chat = await rembuk_warga_until_media(world)
    replies = await chat.press("done")
    assert "Belum cukup. Masih perlu: 2 foto lagi." in text_of(replies)
    replies = await chat.send_media(photo(1))
    assert "Sudah diterima: 1 foto.\nMasih perlu: 1 foto lagi." in text_of(replies)
    replies = await chat.send("selesai")
    assert "Belum cukup. Masih perlu: 1 foto lagi." in text_of(replies)
    await chat.send_media(photo(1))  # the same photo again counts once
    replies = await chat.press("done")
    assert "Belum cukup" in text_of(replies)


async def test_a_pdf_for_a_photos_only_stage_is_refused_and_not_kept(world):
    chat = await rembuk_warga_until_media(world)
    replies = await chat.send_media(PDF, kind="document")
    assert "tahap ini memerlukan foto, bukan dokumen" in text_of(replies)
    replies = await chat.send_media(photo(1))
    assert "Sudah diterima: 1 foto.\nMasih perlu: 1 foto lagi." in text_of(replies)  # the PDF did not count


async def test_media_is_checked_before_anything_is_downloaded(world):
    chat = await rembuk_warga_until_media(world)
    too_big = MediaItem("photo", "huge.jpg", "image/jpeg", 25 * 1024 * 1024, "huge.jpg")
    video = MediaItem("photo", "clip.mp4", "video/mp4", 1000, "clip.mp4")
    archive = MediaItem("document", "data.zip", "application/zip", 1000, "data.zip")
    # None of these bytes exist in the chat: fetching any of them would fail the test.
    replies = await chat.deliver(Incoming("test", chat.user_id, Kind.MEDIA, media=(too_big, video, archive)))
    text = text_of(replies)
    assert "huge.jpg lebih dari 20 MB." in text
    assert "clip.mp4 bukan foto." in text
    assert "data.zip tidak bisa dipakai. Mohon kirim dokumen sebagai PDF atau foto kertasnya." in text
    assert replies[-1].expect == Expect.MEDIA
    # A mixed album keeps the good photos and names the bad file.
    chat.files["ok.jpg"] = photo(7)[1]
    good = MediaItem("photo", "ok.jpg", "image/jpeg", len(photo(7)[1]), "ok.jpg")
    replies = await chat.deliver(Incoming("test", chat.user_id, Kind.MEDIA, media=(good, video)))
    assert "clip.mp4 bukan foto." in text_of(replies)
    assert "Sudah diterima: 1 foto." in text_of(replies)


async def test_other_input_at_the_media_step_is_refused(world):
    chat = await rembuk_warga_until_media(world)
    replies = await send_sticker(chat)
    assert "tidak bisa dipakai sebagai bukti" in text_of(replies)
    replies = await chat.send("ini fotonya")
    assert "Mohon kirim foto atau PDF di sini" in text_of(replies)
    replies = await chat.send("x" * 5000)
    assert "Mohon kirim foto atau PDF di sini" in text_of(replies)
    assert replies[-1].expect == Expect.MEDIA


async def test_location_is_kept_with_the_report(world):
    chat = await rembuk_warga_until_media(world)
    incoming = Incoming("test", chat.user_id, Kind.LOCATION, latitude=-1.61, longitude=103.61)
    replies = await chat.deliver(incoming)
    assert "Lokasi diterima, terima kasih." in text_of(replies)
    await chat.send_media(photo(1), photo(2))
    replies = await chat.press("done")
    assert "Lokasi: dikirim" in text_of(replies)
    await chat.press("send")
    [report] = await rows(world, StageReport, StageReport.stage_key == "rembuk_warga")
    assert (report.latitude, report.longitude) == (-1.61, 103.61)


async def test_prerequisite_is_enforced(world):
    at(world, FEB_10)
    chat = await ketua(world, RT_A)
    await chat.send("/lapor")
    replies = await chat.press("s:rembuk_warga", token=chat.last.token)
    assert "Rembuk Warga bisa dilaporkan setelah Sosialisasi." in text_of(replies)
    assert replies[-1].choices[0].id == "s:sosialisasi"
    replies = await chat.press("s:proposal", token=chat.last.token)
    assert "Penyusunan Proposal belum waktunya: mulai pada Maret 2026." in text_of(replies)
    replies = await chat.press("s:pencairan_dana", token=chat.last.token)
    assert "Pencairan Dana dilaporkan oleh Bendahara Pokja." in text_of(replies)
    replies = await chat.press("s:tidak_ada", token=chat.last.token)
    assert "Tekan salah satu tombol tahap." in text_of(replies)
    await nothing_saved(world)


async def test_an_already_reported_stage_is_refused(world):
    at(world, FEB_10)
    await seed_reports(world, RT_A, ["sosialisasi"], ReportStatus.MENUNGGU_TINJAUAN)
    chat = await ketua(world, RT_A)
    await chat.send("/lapor")
    replies = await chat.press("s:sosialisasi", token=chat.last.token)
    assert "Sosialisasi sudah dilaporkan." in text_of(replies)


async def test_nothing_to_report_explains_what_is_next_and_when(world):
    at(world, FEB_10)
    chat = await ketua(world, RT_B)
    replies = await chat.send("/lapor")
    assert "Belum ada tahap yang bisa dilaporkan sekarang." in text_of(replies)
    assert "Berikutnya: Sosialisasi pada Agustus 2026." in text_of(replies)
    async with world.db.unit_of_work() as session:
        assert (await session.get(ConversationState, ("test", chat.user_id))).flow is None


async def test_blocked_by_the_bendahara_is_explained(world):
    at(world, APR_15)
    await seed_reports(world, RT_A, [*BEFORE_RENCANA, "rencana_kerja", "proposal"])
    chat = await ketua(world, RT_A)
    replies = await chat.send("/lapor")
    assert "Pelaksanaan Kegiatan bisa dilaporkan setelah Bendahara Pokja melaporkan Pencairan Dana." in text_of(replies)


async def test_document_stage_with_a_pdf(world):
    at(world, FEB_10)
    await seed_reports(world, RT_A, BEFORE_RENCANA)
    chat = await ketua(world, RT_A)
    replies = await chat.send("/lapor")
    assert [c.id for c in replies[-1].choices] == ["s:rencana_kerja"]
    await chat.press("s:rencana_kerja")
    replies = await chat.send("9/2/2026")
    assert "Sekarang kirim bukti Penyusunan Rencana Kerja: foto atau berkas PDF Rencana Kerja." in text_of(replies)
    replies = await chat.send_media(PDF, kind="document")
    assert "Sudah diterima: 1 dokumen." in text_of(replies)
    await chat.press("done")
    await chat.press("send")
    [report] = await rows(world, StageReport, StageReport.stage_key == "rencana_kerja")
    [media] = await rows(world, Media)
    assert (media.kind, media.mime_type, media.original_name) == ("document", "application/pdf", "rencana.pdf")
    assert media.report_id == report.id and report.happened_on == date(2026, 2, 9)


async def test_a_photo_of_the_paper_counts_as_the_document(world):
    at(world, FEB_10)
    await seed_reports(world, RT_A, BEFORE_RENCANA)
    chat = await ketua(world, RT_A)
    await chat.send("/lapor")
    await chat.press("s:rencana_kerja")
    await chat.press("today")
    replies = await chat.send_media(photo(4))
    assert "Sudah diterima: 1 dokumen." in text_of(replies)
    await chat.press("done")
    await chat.press("send")
    [media] = await rows(world, Media)
    assert media.kind == "document"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("besok", "Tanggal itu tidak bisa dibaca."),
        ("31/2/2026", "Tanggal itu tidak ada di kalender."),
        ("20/2/2026", "Tanggal itu belum tiba."),
        ("17 Agustus 2025", "sebelum program 2026 dimulai"),
        ("", "Tekan Hari ini atau Kemarin, atau ketik tanggalnya, misalnya 7/2/2026."),
        ("'; DELETE FROM stage_report; --", "Tanggal itu tidak bisa dibaca."),
    ],
)
async def test_refused_dates(world, typed, reason):
    at(world, FEB_10)
    chat = await ketua(world, RT_A)
    await chat.send("/lapor")
    await chat.press("s:sosialisasi")
    replies = await chat.send(typed)
    assert reason in text_of(replies)
    assert ASK_DATE.format(stage="Sosialisasi") in replies[-1].text


async def test_typed_dates_are_understood(world):
    at(world, FEB_10)
    chat = await ketua(world, RT_A)
    await chat.send("/lapor")
    await chat.press("s:sosialisasi")
    replies = await chat.send("5 Feb")
    assert "paling sedikit 1 foto" in text_of(replies)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("-3", "Angkanya tidak boleh minus."),
        ("empat puluh", "Itu bukan angka."),
        ("4,5", "Ketik angka tanpa koma."),
        ("45 ekor", "Itu bukan angka."),  # a count's own unit is read ("45 orang"), not any word
        ("   ", "Pesannya kosong."),
    ],
)
async def test_refused_numbers_in_the_questions(world, typed, reason):
    at(world, FEB_10)
    await seed_reports(world, RT_A, ["sosialisasi"])
    chat = await ketua(world, RT_A)
    await chat.send("/lapor")
    await chat.press("s:rembuk_warga")
    replies = await chat.press("today")
    assert "Pertanyaan 1 dari 2: Jumlah warga yang hadir" in text_of(replies)
    replies = await chat.send(typed)
    assert reason in text_of(replies)
    assert "Pertanyaan 1 dari 2" in replies[-1].text


async def test_text_and_amount_questions(world):
    at(world, FEB_10)
    await seed_reports(world, RT_A, ["sosialisasi", "rembuk_warga"])
    chat = await ketua(world, RT_A)
    await chat.send("/lapor")
    await chat.press("s:pemetaan_swadaya")
    replies = await chat.press("today")
    assert "Swadaya uang" in text_of(replies)
    replies = await chat.send("banyak")
    assert "Jumlah uang itu tidak bisa dibaca." in text_of(replies)
    replies = await chat.send("-500.000")
    assert "Jumlah uang tidak boleh minus." in text_of(replies)
    replies = await chat.send_media(photo(1))
    assert "tidak perlu foto atau berkas" in text_of(replies)
    replies = await chat.send("1,5 juta")
    assert "Pertanyaan 2 dari 2" in text_of(replies)
    replies = await chat.send("x" * 201)
    assert "Terlalu panjang (201 huruf)" in text_of(replies)
    await chat.send("  Semen 10 sak,   tenaga kerja bakti ")
    await chat.send_media(photo(1))
    replies = await chat.press("done")
    assert "Swadaya uang: Rp1.500.000" in text_of(replies)
    await chat.press("send")
    [report] = await rows(world, StageReport, StageReport.stage_key == "pemetaan_swadaya")
    assert report.answers == {"swadaya_rupiah": 1_500_000, "swadaya_barang": "Semen 10 sak, tenaga kerja bakti"}


async def test_pelaksanaan_asks_progress_with_buttons(world):
    at(world, APR_15)
    await seed_reports(world, RT_A, [*BEFORE_RENCANA, "rencana_kerja", "proposal", "pencairan_dana"])
    chat = await ketua(world, RT_A)
    replies = await chat.send("/lapor")
    assert [c.id for c in replies[-1].choices] == ["s:pelaksanaan"]
    await chat.press("s:pelaksanaan")
    replies = await chat.press("today")
    assert "Kemajuan pekerjaan" in text_of(replies)
    assert [c.label for c in replies[-1].choices] == ["0%", "50%", "100%"]
    replies = await chat.send("setengah")
    assert "Tekan salah satu tombol: 0%, 50%, 100%." in text_of(replies)
    replies = await chat.press("p:3:1")  # a button of another question (same step, same version)
    assert "Tombol itu dari pertanyaan sebelumnya" in text_of(replies) and "Kemajuan pekerjaan" in text_of(replies)
    replies = await chat.press("p:0:1")
    assert "paling sedikit 2 foto" in text_of(replies)
    await chat.send_media(photo(1), photo(2))
    await chat.press("done")
    await chat.press("send")
    [report] = await rows(world, StageReport, StageReport.stage_key == "pelaksanaan")
    assert report.answers == {"progres": "50%"}


async def test_typed_progress_is_understood(world):
    at(world, APR_15)
    await seed_reports(world, RT_A, [*BEFORE_RENCANA, "rencana_kerja", "proposal", "pencairan_dana"])
    chat = await ketua(world, RT_A)
    await chat.send("/lapor")
    await chat.press("s:pelaksanaan")
    await chat.press("today")
    replies = await chat.send("100")
    assert "paling sedikit 2 foto" in text_of(replies)


async def test_a_stage_sent_back_can_be_reported_again(world):
    at(world, FEB_10)
    await seed_reports(world, RT_A, ["sosialisasi"], ReportStatus.DIKEMBALIKAN, reason="Foto kurang jelas")
    chat = await ketua(world, RT_A)
    replies = await chat.send("/lapor")
    assert [c.label for c in replies[-1].choices] == ["↩️ Sosialisasi"]
    replies = await chat.press("s:sosialisasi")
    # Straight to the summary of the report sent before (this one had no photo), with the reason.
    assert "Pendamping mengembalikan tahap ini: Foto kurang jelas" in text_of(replies)
    # No evidence yet: no zero-count line.
    assert "Tanggal: 20 Januari 2026" in text_of(replies) and "Bukti" not in text_of(replies)
    await chat.press("edit:add")
    await chat.send_media(photo(9))
    await chat.press("done")
    await chat.press("send")
    reports = await rows(world, StageReport, StageReport.stage_key == "sosialisasi")
    assert [r.status for r in reports] == [ReportStatus.DIKEMBALIKAN, ReportStatus.MENUNGGU_TINJAUAN]


async def test_cancel_and_batal_leave_no_rows(world):
    chat = await rembuk_warga_until_media(world)
    await chat.send_media(photo(1), photo(2), photo(3))
    await chat.press("done")
    replies = await chat.send("/batal")
    assert "Laporan Rembuk Warga belum dikirim. Laporan disimpan sebagai draf selama 7 hari" in text_of(replies)
    await nothing_saved(world, seeded=1)

    await chat.send("/lapor")
    await chat.press("s:rembuk_warga")
    await chat.press("draft:new")
    await chat.press("today")
    await chat.send("45")
    await chat.send("30")
    await chat.send_media(photo(1), photo(2))
    await chat.press("done")
    replies = await chat.send("lanjut")
    assert "Tekan Kirim atau Batal." in text_of(replies)
    replies = await chat.press("cancel")
    assert "Laporan Rembuk Warga belum dikirim." in text_of(replies)
    await nothing_saved(world, seeded=1)


async def test_restart_in_the_middle_continues_on_a_new_engine(world):
    chat = await rembuk_warga_until_media(world)
    await chat.send_media(photo(1), photo(2))
    old = world.engine
    restarted = Chat(
        Engine(old.db, old.program, old.pepper, old.media, old.flows, clock=old.clock),
        chat.user_id,
        files=chat.files,
        history=list(chat.history),
    )
    replies = await restarted.send_media(photo(3))
    assert "Sudah diterima: 3 foto." in text_of(replies)
    await restarted.press("done")
    replies = await restarted.press("send")
    assert "sudah terkirim dan menunggu diperiksa" in text_of(replies)
    assert await count(world, Media) == 3


async def test_pressing_send_twice_saves_one_report(world):
    chat = await rembuk_warga_until_media(world)
    await chat.send_media(photo(1), photo(2))
    await chat.press("done")
    await chat.press("send")
    replies = await chat.press("send", token=chat.history[-2].token)
    assert "sudah terkirim dan menunggu diperiksa" not in text_of(replies)
    assert await count(world, StageReport, StageReport.stage_key == "rembuk_warga") == 1


async def test_a_failed_download_saves_nothing_and_asks_again(world):
    chat = await rembuk_warga_until_media(world)
    await chat.send_media(photo(1), photo(2))
    await chat.press("done")
    del chat.files["foto2.jpg"]  # the platform lost the file
    replies = await chat.press("send")
    assert "Kirim laporan ini ke pendamping?" in replies[-1].text
    await nothing_saved(world, seeded=1)


@pytest.mark.parametrize("role", [Role.BENDAHARA, Role.PENDAMPING])
async def test_only_the_ketua_rt_reports(world, role):
    at(world, FEB_10)
    chat = await world.chat(role, RT_A if role == Role.BENDAHARA else None)
    replies = await chat.send("/lapor")
    assert "Tahap mana" not in text_of(replies)


async def test_files_whose_content_is_no_photo_are_dropped_by_name_and_nothing_is_saved(world):
    chat = await rembuk_warga_until_media(world)
    await chat.send_media(photo(1), photo(2))
    # A "photo" without a name (as Telegram sends them) that is a script, and an empty photo sent as a file.
    chat.files.update({"script": b"#!/bin/sh\necho pwned\n", "kosong.jpg": b""})
    fake = MediaItem("photo", "script", "image/jpeg", None, None)
    empty = MediaItem("document", "kosong.jpg", "image/jpeg", None, "kosong.jpg")
    await chat.deliver(Incoming("test", chat.user_id, Kind.MEDIA, media=(fake, empty)))
    await chat.press("done")
    replies = await chat.press("send")
    text = text_of(replies)
    assert "Foto ke-3 tidak bisa dibuka sebagai foto. Mohon kirim foto (JPG, PNG, HEIC)" in text
    assert "kosong.jpg kosong." in text
    assert "Sudah diterima: 2 foto." in text and replies[-1].expect == Expect.MEDIA
    assert await count(world, StageReport) == 1 and await count(world, Media) == 0  # only the seeded sosialisasi
    await chat.press("done")
    replies = await chat.press("send")
    assert "sudah terkirim dan menunggu diperiksa" in text_of(replies)
    assert await count(world, Media) == 2


async def test_a_file_the_platform_will_not_hand_over_is_asked_for_again(world):
    from handlers.context import MediaUnavailable

    chat = await rembuk_warga_until_media(world)
    await chat.send_media(photo(1), photo(2))
    await chat.press("done")
    served = chat.fetch

    async def second_one_gone(item):
        if item.ref == photo(2)[0]:
            raise MediaUnavailable("expired")
        return await served(item)

    chat.fetch = second_one_gone
    replies = await chat.press("send")
    assert "foto2.jpg gagal diunduh. Mohon kirim lagi foto atau PDF itu." in text_of(replies)
    assert "Masih perlu: 1 foto lagi." in text_of(replies)
    assert await count(world, StageReport) == 1 and await count(world, Media) == 0  # only the seeded sosialisasi


async def test_the_date_example_is_computed_from_today_and_accepted_when_typed(world):
    at(world, FEB_10)
    chat = await ketua(world, RT_A)
    await chat.send("/lapor")
    replies = await chat.press("s:sosialisasi")
    assert "misalnya 7/2/2026." in text_of(replies)
    replies = await chat.send("tanggal")
    assert "Ketik seperti 7/2/2026 atau 7 Februari 2026." in text_of(replies)
    replies = await chat.send("7/2/2026")
    assert "Sekarang kirim bukti Sosialisasi" in text_of(replies)
