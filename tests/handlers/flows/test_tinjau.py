"""/tinjau end to end through the engine, on SQLite and PostgreSQL."""

from sqlalchemy import select

from handlers.flow import action_choice_id
from handlers.messages import Expect, Incoming, Kind, MediaItem
from services.models import AuditLog, ConversationState, OutboxMessage, ReportStatus, Role
from tests.handlers.chat import outbox_for
from tests.handlers.flows.pendamping import (
    RT_1,
    RT_3,
    counts,
    first_media_id,
    make_report,
    pendamping,
    person_of,
    press_notification,
    registered,
    report,
    send_sticker,
    text_of,
)

EMPTY = "Tidak ada laporan yang menunggu diperiksa."


async def setup(world):
    """Budi (Ketua RT 1) with two waiting reports; Dewi is his pendamping."""
    ketua = await registered(world, Role.KETUA_RT, RT_1, "Budi")
    budi = await person_of(world, ketua)
    older = await make_report(
        world,
        RT_1,
        "rembuk_warga",
        budi,
        minutes_ago=120,
        photos=2,
        answers={"jumlah_hadir": 45, "jumlah_kk_hadir": 30},
    )
    newer = await make_report(world, RT_1, "pembentukan_pokja", budi, minutes_ago=30)
    dewi = await pendamping(world)
    return ketua, budi, dewi, older, newer


async def test_empty_queue_says_so(world):
    dewi = await pendamping(world)
    replies = await dewi.send("/tinjau")
    assert EMPTY in text_of(replies)
    assert dewi.last.choices == ()


async def test_card_shows_the_oldest_report_with_answers_and_photos(world):
    _ketua, _budi, dewi, _older, _newer = await setup(world)
    replies = await dewi.send("/tinjau")
    card = replies[-1]
    assert card.text.startswith("📋 Laporan untuk diperiksa: RT 001 Kel. Simpang IV Sipin (Kelompok A)")
    for line in (
        "Tahap: Rembuk Warga",
        "Tanggal kegiatan: 20 Februari 2026",
        "Dikirim oleh Budi (Ketua RT) pada 15 Maret 2026 08.00 WIB",
        "Jumlah warga yang hadir: 45",
        "Jumlah KK yang hadir: 30",
        "Bukti: 2 foto",
        "Laporan yang menunggu diperiksa: 2",
    ):
        assert line in card.text
    assert [c.label for c in card.choices] == ["Setujui", "Kembalikan", "Lewati"]
    assert all(len(c.id.encode()) <= 40 for c in card.choices)
    assert card.expect == Expect.CHOICE
    assert len(card.attachments) == 2
    assert all(kind == "photo" and path.endswith(".jpg") for path, kind in card.attachments)
    assert "dipakai RT lain" not in card.text


async def test_reused_photo_is_flagged(world):
    ketua_3 = await registered(world, Role.KETUA_RT, RT_3)
    other = await make_report(world, RT_3, "sosialisasi", await person_of(world, ketua_3))
    ketua = await registered(world, Role.KETUA_RT, RT_1)
    await make_report(
        world, RT_1, "sosialisasi", await person_of(world, ketua), reuse_of=await first_media_id(world, other)
    )
    dewi = await pendamping(world)
    replies = await dewi.send("/tinjau")
    assert "⚠️ Foto 1: foto ini juga dipakai RT lain." in replies[-1].text


async def test_approve_tells_the_ketua_and_shows_the_next_report(world):
    ketua, _budi, dewi, older, newer = await setup(world)
    await dewi.send("/tinjau")
    replies = await dewi.press_label("Setujui")
    text = text_of(replies)
    assert "✅ Disetujui: RT 001 Kel. Simpang IV Sipin (Kelompok A) — Rembuk Warga." in text
    assert "Budi sudah diberi tahu." in text
    assert "Tahap: Pembentukan Pokja" in replies[-1].text
    decided = await report(world, older)
    dewi_person = await person_of(world, dewi)
    assert decided.status == ReportStatus.DISETUJUI and decided.reviewed_by_id == dewi_person.id
    assert (await report(world, newer)).status == ReportStatus.MENUNGGU_TINJAUAN
    [notice] = await outbox_for(world.engine, ketua.user_id)
    assert (
        "Laporan Rembuk Warga (RT 001 Kel. Simpang IV Sipin) sudah disetujui oleh Dewi Lubis"
        in (notice.payload["text"])
    )
    assert "/jadwal" in notice.payload["text"]
    async with world.db.unit_of_work() as session:
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "report.disetujui"))
        assert audit.entity_id == str(older) and audit.person_id == dewi_person.id

    replies = await dewi.press_label("Setujui")
    assert EMPTY in text_of(replies)
    assert (await report(world, newer)).status == ReportStatus.DISETUJUI


async def test_send_back_asks_a_reason_and_refuses_bad_ones(world):
    ketua, _budi, dewi, older, _newer = await setup(world)
    await dewi.send("/tinjau")
    replies = await dewi.press_label("Kembalikan")
    assert "Apa yang harus diperbaiki?" in replies[-1].text and replies[-1].expect == Expect.TEXT
    before = await counts(world)
    for bad, reason in (
        ("   ", "Alasannya kosong"),
        ("x" * 501, "Alasannya terlalu panjang (501 huruf)"),
        ("x" * 5000, "Alasannya terlalu panjang"),
    ):
        replies = await dewi.send(bad)
        assert reason in text_of(replies)
        assert "Apa yang harus diperbaiki?" in replies[-1].text
    media = Incoming(dewi.channel, dewi.user_id, Kind.MEDIA, media=(MediaItem("photo", "f1"),))
    assert "Ketik alasannya" in text_of(await dewi.deliver(media))
    assert "Ketik alasannya" in text_of(await send_sticker(dewi))
    assert await counts(world) == before
    assert (await report(world, older)).status == ReportStatus.MENUNGGU_TINJAUAN

    reason = "Foto kurang jelas 📷; mohon kirim foto daftar hadir'); DROP TABLE stage_report;--"
    replies = await dewi.send(reason)
    text = text_of(replies)
    assert "↩️ Dikembalikan dengan alasan tadi: RT 001 Kel. Simpang IV Sipin (Kelompok A) — Rembuk Warga." in text
    assert "Tahap: Pembentukan Pokja" in replies[-1].text
    decided = await report(world, older)
    assert decided.status == ReportStatus.DIKEMBALIKAN and decided.review_reason == reason
    [notice] = await outbox_for(world.engine, ketua.user_id)
    assert f"Alasan: {reason}" in notice.payload["text"]
    assert "kirim laporannya lagi dengan /lapor" in notice.payload["text"]


async def test_the_parts_to_fix_are_marked_before_the_reason(world):
    ketua, _budi, dewi, older, _newer = await setup(world)
    await dewi.send("/tinjau")
    replies = await dewi.press_label("Kembalikan")
    labels = [c.label for c in replies[-1].choices]
    assert labels == ["Perbaiki: tanggal", "Perbaiki: isian", "Perbaiki: foto", "Kembali ke laporan"]
    await dewi.press(f"fix:{older}:foto")
    await dewi.press(f"fix:{older}:isian")
    replies = await dewi.press(f"fix:{older}:isian")  # pressed again: unmarked
    labels = [c.label for c in replies[-1].choices]
    assert labels == ["Perbaiki: tanggal", "Perbaiki: isian", "✅ Perbaiki: foto", "Kembali ke laporan"]
    await dewi.send("Foto daftar hadir buram")
    decided = await report(world, older)
    assert (decided.review_reason, decided.review_fix) == ("Foto daftar hadir buram", ["foto"])
    [notice] = await outbox_for(world.engine, ketua.user_id)
    assert "Yang perlu diperbaiki: foto." in notice.payload["text"]


async def test_a_stage_without_questions_offers_no_answers_to_fix(world):
    _ketua, budi, dewi, _older, _newer = await setup(world)
    oldest = await make_report(world, RT_1, "sosialisasi", budi, minutes_ago=300)
    await dewi.send("/tinjau")
    replies = await dewi.press_label("Kembalikan")
    assert [c.label for c in replies[-1].choices] == ["Perbaiki: tanggal", "Perbaiki: foto", "Kembali ke laporan"]
    await dewi.send("Tanggalnya salah")
    assert (await report(world, oldest)).review_fix is None


async def test_a_stage_of_the_bendahara_offers_no_parts_to_fix(world):
    _ketua, budi, dewi, _older, _newer = await setup(world)
    await make_report(world, RT_1, "pencairan_dana", budi, minutes_ago=300)
    await dewi.send("/tinjau")
    replies = await dewi.press_label("Kembalikan")
    assert [c.label for c in replies[-1].choices] == ["Kembali ke laporan"]


async def test_back_to_the_report_from_the_reason(world):
    _ketua, _budi, dewi, older, _newer = await setup(world)
    await dewi.send("/tinjau")
    await dewi.press_label("Kembalikan")
    replies = await dewi.press_label("Kembali ke laporan")
    assert "Tahap: Rembuk Warga" in replies[-1].text
    assert (await report(world, older)).status == ReportStatus.MENUNGGU_TINJAUAN


async def test_skip_keeps_the_report_in_the_queue(world):
    _ketua, _budi, dewi, older, _newer = await setup(world)
    await dewi.send("/tinjau")
    replies = await dewi.press_label("Lewati")
    assert "Dilewati" in text_of(replies) and "Tahap: Pembentukan Pokja" in replies[-1].text
    replies = await dewi.press_label("Lewati")
    assert "1 laporan yang dilewati masih menunggu" not in text_of(replies)
    assert "2 laporan yang dilewati masih menunggu" in text_of(replies)
    assert (await report(world, older)).status == ReportStatus.MENUNGGU_TINJAUAN
    replies = await dewi.send("/tinjau")
    assert "Tahap: Rembuk Warga" in replies[-1].text


async def test_unexpected_input_on_the_card_changes_nothing(world):
    _ketua, _budi, dewi, older, newer = await setup(world)
    replies = await dewi.send("/tinjau")
    old_card = replies[-1]
    before = await counts(world)
    for text in ("oke", "", "😀", "'; DROP TABLE stage_report; --", "x" * 5000):
        replies = await dewi.send(text)
        assert "Tekan Setujui, Kembalikan, atau Lewati." in text_of(replies)
        assert "Tahap: Rembuk Warga" in replies[-1].text
    await send_sticker(dewi)
    assert await counts(world) == before
    # Typing the button's word works like pressing it.
    replies = await dewi.send("Lewati")
    assert "Tahap: Pembentukan Pokja" in replies[-1].text
    # A button of the previous card must not act on the report shown now.
    replies = await dewi.press(old_card.choices[0].id, old_card.token)
    assert "Tombol itu milik laporan lain" in text_of(replies)
    assert (await report(world, older)).status == ReportStatus.MENUNGGU_TINJAUAN
    assert (await report(world, newer)).status == ReportStatus.MENUNGGU_TINJAUAN


async def test_report_decided_meanwhile_by_someone_else(world):
    _ketua, _budi, dewi, older, _newer = await setup(world)
    admin = await registered(world, Role.ADMIN, nama="Sari")
    await admin.send("/tinjau")
    await dewi.send("/tinjau")
    await dewi.press_label("Setujui")
    replies = await admin.press_label("Kembalikan")
    assert "Laporan ini sudah diperiksa: disetujui oleh Dewi Lubis (Pendamping) pada 15 Maret 2026." in text_of(replies)
    assert "Tahap: Pembentukan Pokja" in replies[-1].text
    decided = await report(world, older)
    assert decided.status == ReportStatus.DISETUJUI and decided.review_reason is None


async def test_bendahara_gets_the_decision_on_pencairan_dana(world):
    bendahara = await registered(world, Role.BENDAHARA, RT_1, "Ani")
    await make_report(world, RT_1, "pencairan_dana", await person_of(world, bendahara))
    dewi = await pendamping(world)
    await dewi.send("/tinjau")
    await dewi.press_label("Kembalikan")
    await dewi.send("Nominal di foto tidak terbaca")
    [notice] = await outbox_for(world.engine, bendahara.user_id)
    assert "Laporan Pencairan Dana" in notice.payload["text"]
    assert "Alasan: Nominal di foto tidak terbaca" in notice.payload["text"]
    assert "kirim lagi dengan /dana" in notice.payload["text"]


async def test_notification_button_opens_that_report(world):
    _ketua, _budi, dewi, _older, newer = await setup(world)
    replies = await press_notification(dewi, action_choice_id("tinjau", newer))
    card = replies[-1]
    assert "Tahap: Pembentukan Pokja" in card.text and card.choices
    await dewi.press(card.choices[0].id, card.token)
    assert (await report(world, newer)).status == ReportStatus.DISETUJUI
    # Pressing the same notification again: already reviewed, and by whom.
    replies = await press_notification(dewi, action_choice_id("tinjau", newer))
    assert "Laporan ini sudah diperiksa: disetujui oleh Dewi Lubis (Pendamping)" in text_of(replies)
    replies = await press_notification(dewi, action_choice_id("tinjau", "abc"))
    assert "Tombol itu sudah tidak berlaku." in text_of(replies)
    replies = await press_notification(dewi, action_choice_id("tinjau", 99999))
    assert "Laporan ini sudah tidak ada." in text_of(replies)


async def test_rudi_only_reviews_his_own_rts(world):
    _ketua, _budi, _dewi, older, _newer = await setup(world)
    rudi = await pendamping(world, "Rudi Saputra")
    assert EMPTY in text_of(await rudi.send("/tinjau"))
    replies = await press_notification(rudi, action_choice_id("tinjau", older))
    assert "Laporan ini dari RT yang bukan dampingan Bapak/Ibu. Tidak ada yang diubah." in text_of(replies)
    assert (await report(world, older)).status == ReportStatus.MENUNGGU_TINJAUAN
    async with world.db.unit_of_work() as session:
        state = await session.get(ConversationState, (rudi.channel, rudi.user_id))
        assert state.flow is None
        assert await session.scalar(select(OutboxMessage)) is None
