"""/dana end to end through the engine, on SQLite and PostgreSQL."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from handlers.flow import action_choice_id
from handlers.messages import Expect, Incoming, Kind, MediaItem
from services import funds
from services.models import RT, AuditLog, ConversationState, FundReceipt, Media, ReportStatus, Role, StageReport
from tests.handlers.chat import outbox_for
from tests.handlers.flows.bendahara import (
    PDF,
    PHOTO,
    RT_87_KK,
    RT_NO_KK,
    TODAY,
    belanja_until_the_receipt,
    bendahara,
    count,
    counts,
    pendamping_of,
    send_sticker,
    text_of,
)

ASK_AMOUNT = "Berapa dana yang sudah masuk ke rekening Pokja?"
ASK_DATE = "Tanggal berapa dananya masuk?"
ASK_PROOF = "Kirim satu foto bukti transfer"
SUMMARY = "Periksa dulu sebelum disimpan"


async def to_summary(chat, amount="70.000.000", day="17 Agustus 2026", proof=("bukti.jpg", PHOTO, "image/jpeg")):
    await chat.send("/dana")
    await chat.send(amount)
    await chat.send(day)
    return await chat.send_media(proof)


async def test_matching_amount_saves_receipt_report_and_proof_and_asks_the_pendamping_to_review(world):
    pendamping = await pendamping_of(world, RT_87_KK)
    admin = await world.chat(Role.ADMIN)
    chat = await bendahara(world)
    replies = await chat.send("/dana")
    assert ASK_AMOUNT in text_of(replies) and replies[-1].expect == Expect.NUMBER
    replies = await chat.send("70.000.000")
    assert "berbeda" not in text_of(replies)
    assert ASK_DATE in text_of(replies)
    assert [c.label for c in replies[-1].choices] == ["Hari ini", "Kemarin"]
    await chat.press_label("Hari ini")
    replies = await chat.send_media(("bukti.jpg", PHOTO, "image/jpeg"))
    summary = text_of(replies)
    assert "Dana masuk: Rp70.000.000" in summary
    assert "Tanggal: 15 Oktober 2026" in summary
    assert "Alokasi RT: Rp70.000.000" in summary
    assert replies[-1].expect == Expect.CHOICE
    replies = await chat.press_label("Simpan")
    assert "Dana masuk Rp70.000.000 pada 15 Oktober 2026 sudah disimpan" in text_of(replies)

    async with world.db.unit_of_work() as session:
        receipt = await session.scalar(select(FundReceipt))
        report = await session.scalar(select(StageReport).where(StageReport.stage_key == "pencairan_dana"))
        media = await session.scalar(select(Media))
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "funds.receive"))
    assert (receipt.amount, receipt.expected_amount, receipt.received_on) == (70_000_000, 70_000_000, TODAY)
    assert receipt.proof_media_id == media.id
    assert (report.stage_key, report.status, report.answers) == (
        "pencairan_dana",
        "menunggu_tinjauan",
        {"jumlah": 70_000_000},
    )
    assert report.happened_on == TODAY and report.rt_id == receipt.rt_id
    assert (media.report_id, media.kind, media.mime_type, media.stage_key) == (
        report.id,
        "photo",
        "image/jpeg",
        "pencairan_dana",
    )
    assert media.channel_file_id == "bukti.jpg" and media.rt_id == receipt.rt_id
    assert (world.media_root / media.path).read_bytes() == PHOTO
    assert audit.detail["amount"] == 70_000_000

    [to_pendamping] = await outbox_for(world.engine, pendamping.user_id)
    assert "Bendahara Pokja mencatat dana masuk Rp70.000.000" in to_pendamping.payload["text"]
    assert "Perhatian" not in to_pendamping.payload["text"]
    assert to_pendamping.payload["choices"] == [{"id": action_choice_id("tinjau", report.id), "label": "Periksa"}]
    # The amount matches: nothing to alert the admins about.
    assert await outbox_for(world.engine, admin.user_id) == []


@pytest.mark.parametrize("typed", ["70.000.000", "Rp 70.000.000", "70jt", "70 juta", "Rp 70 jt", "Rp70.000.000,-"])
async def test_every_usual_spelling_of_seventy_million(world, typed):
    chat = await bendahara(world)
    replies = await to_summary(chat, amount=typed)
    assert "Dana masuk: Rp70.000.000" in text_of(replies)
    assert "berbeda" not in text_of(replies)
    await chat.press_label("Simpan")
    async with world.db.unit_of_work() as session:
        assert (await session.scalar(select(FundReceipt.amount))) == 70_000_000


async def test_mismatch_is_said_and_may_still_be_saved_and_alerts_pendamping_and_every_admin(world):
    pendamping = await pendamping_of(world, RT_87_KK)
    admins = [await world.chat(Role.ADMIN), await world.chat(Role.ADMIN)]
    chat = await bendahara(world)
    await chat.send("/dana")
    replies = await chat.send("65 juta")
    assert "Jumlah ini berbeda dari alokasi RT, Rp70.000.000 (selisih Rp5.000.000)." in text_of(replies)
    assert ASK_DATE in text_of(replies)
    await chat.send("17/8/2026")
    replies = await chat.send_media(("bukti.jpg", PHOTO, "image/jpeg"))
    assert "selisih Rp5.000.000" in text_of(replies)
    await chat.press_label("Simpan")

    async with world.db.unit_of_work() as session:
        receipt = await session.scalar(select(FundReceipt))
        report = await session.scalar(select(StageReport).where(StageReport.stage_key == "pencairan_dana"))
    assert (receipt.amount, receipt.expected_amount, receipt.received_on) == (65_000_000, 70_000_000, date(2026, 8, 17))
    [to_pendamping] = await outbox_for(world.engine, pendamping.user_id)
    assert "berbeda dari alokasi RT, Rp70.000.000 (selisih Rp5.000.000)" in to_pendamping.payload["text"]
    assert to_pendamping.payload["choices"][0]["id"] == f"act:tinjau:{report.id}"
    for admin in admins:
        [alert] = await outbox_for(world.engine, admin.user_id)
        assert "RT 001 Kel. Simpang IV Sipin" in alert.payload["text"]
        assert "selisih Rp5.000.000" in alert.payload["text"]


async def test_more_than_the_allocation_is_a_mismatch_too(world):
    admin = await world.chat(Role.ADMIN)
    chat = await bendahara(world)
    await chat.send("/dana")
    replies = await chat.send("Rp 75.000.000")
    assert "(selisih Rp5.000.000)" in text_of(replies)
    await chat.press_label("Hari ini")
    await chat.send_media(("bukti.jpg", PHOTO, "image/jpeg"))
    await chat.press_label("Simpan")
    assert len(await outbox_for(world.engine, admin.user_id)) == 1


async def test_unknown_allocation_is_said_and_alerts_likewise(world):
    pendamping = await pendamping_of(world, RT_NO_KK)
    admin = await world.chat(Role.ADMIN)
    chat = await bendahara(world, RT_NO_KK)
    await chat.send("/dana")
    replies = await chat.send("50 juta")
    assert "alokasinya belum diketahui" in text_of(replies)
    await chat.press_label("Kemarin")
    await chat.send_media(("bukti.jpg", PHOTO, "image/jpeg"))
    await chat.press_label("Simpan")
    async with world.db.unit_of_work() as session:
        receipt = await session.scalar(select(FundReceipt))
    assert (receipt.expected_amount, receipt.received_on) == (None, TODAY - timedelta(days=1))
    [to_pendamping] = await outbox_for(world.engine, pendamping.user_id)
    assert "belum diketahui" in to_pendamping.payload["text"]
    [alert] = await outbox_for(world.engine, admin.user_id)
    assert "belum diketahui" in alert.payload["text"]


async def test_nothing_is_fetched_or_saved_before_confirm(world):
    await pendamping_of(world, RT_87_KK)
    chat = await bendahara(world)
    fetched = []

    async def counting_fetch(item):
        fetched.append(item.ref)
        return chat.files[item.ref]

    chat.fetch = counting_fetch
    replies = await to_summary(chat)
    assert SUMMARY in text_of(replies)
    assert fetched == []
    assert await counts(world) == {"FundReceipt": 0, "Spending": 0, "StageReport": 0, "Media": 0, "OutboxMessage": 0}
    await chat.press_label("Simpan")
    assert fetched == ["bukti.jpg"]
    assert (await counts(world))["FundReceipt"] == 1


async def test_batal_mid_flow_leaves_no_rows(world):
    chat = await bendahara(world)
    await to_summary(chat)
    replies = await chat.send("/batal")
    assert "Dibatalkan" in text_of(replies)
    assert await counts(world) == {"FundReceipt": 0, "Spending": 0, "StageReport": 0, "Media": 0, "OutboxMessage": 0}
    async with world.db.unit_of_work() as session:
        state = await session.scalar(select(ConversationState).where(ConversationState.user_id == chat.user_id))
    assert state.flow is None and state.data == {}


async def test_cancel_button_saves_nothing(world):
    chat = await bendahara(world)
    await to_summary(chat)
    replies = await chat.press_label("Batal")
    assert "tidak ada yang disimpan" in text_of(replies)
    assert (await counts(world))["FundReceipt"] == 0


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "tujuh puluh juta",
        "-70.000.000",
        "0",
        "Rp0",
        "😀💰",
        "x" * 5000,
        "'; DROP TABLE fund_receipt; --",
        "99999999999999999999999",
    ],
)
async def test_bad_amount_asks_the_same_question_again(world, typed):
    chat = await bendahara(world)
    await chat.send("/dana")
    replies = await chat.send(typed)
    assert len(replies) == 2 and ASK_AMOUNT in replies[-1].text
    assert ASK_DATE not in text_of(replies)
    replies = await chat.send("70 juta")
    assert ASK_DATE in text_of(replies)


async def test_photo_or_sticker_where_a_number_is_expected_asks_again(world):
    chat = await bendahara(world)
    await chat.send("/dana")
    replies = await chat.send_media(("bukti.jpg", PHOTO, "image/jpeg"))
    assert "Di sini perlu jumlah uang" in replies[0].text and ASK_AMOUNT in replies[-1].text
    replies = await send_sticker(chat)
    assert ASK_AMOUNT in replies[-1].text
    replies = await chat.deliver(Incoming(chat.channel, chat.user_id, Kind.LOCATION, latitude=-1.6, longitude=103.6))
    assert ASK_AMOUNT in replies[-1].text
    assert (await counts(world))["Media"] == 0


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("17 Agustus 2026", date(2026, 8, 17)),
        ("17/8/2026", date(2026, 8, 17)),
        ("17-08-2026", date(2026, 8, 17)),
        ("hari ini", TODAY),
        ("kemarin", TODAY - timedelta(days=1)),
    ],
)
async def test_typed_dates(world, typed, expected):
    chat = await bendahara(world)
    await to_summary(chat, day=typed)
    await chat.press_label("Simpan")
    async with world.db.unit_of_work() as session:
        assert (await session.scalar(select(FundReceipt.received_on))) == expected


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("16/10/2026", "belum tiba"),
        ("17/8/2025", "sebelum program 2026"),
        ("31/2/2026", "tidak ada"),
        ("besok lusa", "tidak bisa dibaca"),
    ],
)
async def test_bad_dates_ask_again(world, typed, reason):
    chat = await bendahara(world)
    await chat.send("/dana")
    await chat.send("70 juta")
    replies = await chat.send(typed)
    assert reason in replies[0].text and ASK_DATE in replies[-1].text


async def test_pdf_document_is_a_valid_proof(world):
    chat = await bendahara(world)
    await chat.send("/dana")
    await chat.send("70jt")
    await chat.press_label("Hari ini")
    replies = await chat.send_media(("rekening.pdf", PDF, "application/pdf"), kind="document")
    assert SUMMARY in text_of(replies)
    await chat.press_label("Simpan")
    async with world.db.unit_of_work() as session:
        media = await session.scalar(select(Media))
    assert (media.kind, media.mime_type, media.original_name) == ("document", "application/pdf", "rekening.pdf")


@pytest.mark.parametrize(
    ("items", "kind", "reason"),
    [
        ((("a.zip", b"PK", "application/zip"),), "document", "tidak bisa dipakai"),
        ((("a.jpg", b"x", "application/octet-stream"),), "photo", "tidak bisa dipakai"),
        ((("a.jpg", PHOTO, "image/jpeg"), ("b.jpg", PHOTO, "image/jpeg")), "photo", "satu foto saja"),
    ],
)
async def test_unusable_proof_asks_again(world, items, kind, reason):
    chat = await bendahara(world)
    await chat.send("/dana")
    await chat.send("70jt")
    await chat.press_label("Hari ini")
    replies = await chat.send_media(*items, kind=kind)
    assert reason in replies[0].text and ASK_PROOF in replies[-1].text


async def test_proof_over_20_mb_is_refused_before_fetching(world):
    chat = await bendahara(world)
    await chat.send("/dana")
    await chat.send("70jt")
    await chat.press_label("Hari ini")
    big = Incoming(chat.channel, chat.user_id, Kind.MEDIA, media=(_item("big.jpg", 21 * 1024 * 1024),))
    replies = await chat.deliver(big)
    assert "lebih dari 20 MB" in replies[0].text and ASK_PROOF in replies[-1].text


async def test_proof_that_turns_out_too_large_when_fetched_is_asked_again(world):
    chat = await bendahara(world)
    # The channel said nothing about the size; the download shows it is too big.
    await chat.send("/dana")
    await chat.send("70jt")
    await chat.press_label("Hari ini")
    chat.files["big.jpg"] = b"x" * (20 * 1024 * 1024 + 1)
    await chat.deliver(Incoming(chat.channel, chat.user_id, Kind.MEDIA, media=(_item("big.jpg", None),)))
    replies = await chat.press_label("Simpan")
    assert "lebih dari 20 MB" in replies[0].text and ASK_PROOF in replies[-1].text
    assert await counts(world) == {"FundReceipt": 0, "Spending": 0, "StageReport": 0, "Media": 0, "OutboxMessage": 0}


async def test_text_where_save_or_cancel_is_expected_asks_again(world):
    chat = await bendahara(world)
    await to_summary(chat)
    replies = await chat.send("mungkin")
    assert "Tekan Simpan atau Batal" in replies[0].text and SUMMARY in replies[-1].text
    replies = await chat.send("ya")
    assert "sudah disimpan" in text_of(replies)


async def test_second_confirmation_waits_for_the_review_of_the_first(world):
    chat = await bendahara(world)
    await to_summary(chat, amount="35 juta")
    await chat.press_label("Simpan")
    replies = await chat.send("/dana")
    assert "menunggu diperiksa pendamping" in text_of(replies)
    assert await count(world, FundReceipt) == 1


async def _decide(world, status: ReportStatus) -> None:
    async with world.db.unit_of_work() as session:
        report = await session.scalar(select(StageReport).where(StageReport.stage_key == "pencairan_dana"))
        report.status = status


async def test_redoing_a_sent_back_confirmation_replaces_it_in_the_balance(world):
    chat = await bendahara(world)
    await to_summary(chat, amount="70 juta")
    await chat.press_label("Simpan")
    await _decide(world, ReportStatus.DIKEMBALIKAN)
    await to_summary(chat, amount="70 juta")
    await chat.press_label("Simpan")
    async with world.db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == RT_87_KK))
        assert await funds.total_received(session, rt.id) == 70_000_000
    replies = await chat.send("/saldo")
    assert "Rp70.000.000" in text_of(replies) and "Rp140.000.000" not in text_of(replies)


async def test_approved_funds_are_not_reopened(world):
    chat = await bendahara(world)
    await to_summary(chat, amount="70 juta")
    await chat.press_label("Simpan")
    await _decide(world, ReportStatus.DISETUJUI)
    replies = await chat.send("/dana")
    assert "sudah dicatat dan disetujui" in text_of(replies)
    assert await count(world, FundReceipt) == 1


async def test_funds_wait_for_the_proposal(world):
    chat = await bendahara(world, ready=False)
    replies = await chat.send("/dana")
    assert "/lapor" in text_of(replies) and "proposal" in text_of(replies)
    assert await count(world, FundReceipt) == 0


async def test_ketua_rt_cannot_use_dana(world):
    ketua = await world.chat(Role.KETUA_RT, RT_87_KK)
    replies = await ketua.send("/dana")
    assert "/dana bukan untuk peran Bapak/Ibu" in text_of(replies)


def _item(ref, size):
    return MediaItem(kind="photo", ref=ref, mime_type="image/jpeg", size=size, file_name=ref)


async def test_a_proof_already_kept_as_a_receipt_is_asked_about_before_saving(world):
    chat = await bendahara(world)
    await belanja_until_the_receipt(chat)
    await chat.send_media(("nota.jpg", PHOTO, "image/jpeg"))
    await chat.press_label("Simpan")
    await to_summary(chat)  # the very same photo sent as the proof of transfer
    replies = await chat.press_label("Simpan")
    assert "Bukti transfer ini sama dengan bukti belanja Rp1.500.000 pada 14 Oktober 2026." in text_of(replies)
    assert await count(world, FundReceipt) == 0
    replies = await chat.press_label("Tetap simpan")
    assert "Dana masuk Rp70.000.000 pada 17 Agustus 2026 sudah disimpan" in text_of(replies)
    assert await count(world, FundReceipt) == 1


async def test_a_proof_whose_content_is_no_photo_is_asked_again_and_nothing_is_saved(world):
    chat = await bendahara(world)
    await chat.send("/dana")
    await chat.send("70.000.000")
    await chat.send("17 Agustus 2026")
    await chat.send_media(("bukti.pdf", b"<html><script>alert(1)</script>", "application/pdf"), kind="document")
    replies = await chat.press_label("Simpan")
    assert "bukti.pdf bukan foto atau PDF." in replies[0].text and ASK_PROOF in replies[-1].text
    assert await counts(world) == {"FundReceipt": 0, "Spending": 0, "StageReport": 0, "Media": 0, "OutboxMessage": 0}
