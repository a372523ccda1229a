"""/belanja end to end through the engine, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.messages import Expect
from services.models import RT, AuditLog, FundReceipt, Media, Person, Role, Spending
from tests.handlers.flows.bendahara import (
    PDF,
    PHOTO,
    RT_87_KK,
    RT_120_KK,
    TODAY,
    belanja_until_the_receipt,
    bendahara,
    counts,
    send_sticker,
    text_of,
)

ASK_AMOUNT = "Berapa jumlah belanjanya?"
ASK_WHAT = "Untuk apa?"
ASK_BIDANG = "Untuk bidang kegiatan yang mana?"
ASK_DATE = "Tanggal berapa dibeli atau dibayar?"
ASK_RECEIPT = "Kirim satu foto nota atau kuitansi"
SUMMARY = "Periksa dulu sebelum disimpan"
NO_FUNDS = "belum ada dana masuk yang tercatat"
NOTHING = {"FundReceipt": 0, "Spending": 0, "StageReport": 0, "Media": 0, "OutboxMessage": 0}


async def receive(world, rt_kode: str, amount: int) -> None:
    """Funds already confirmed (the /dana flow has its own tests)."""
    async with world.db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == rt_kode))
        person = await session.scalar(select(Person).where(Person.rt_id == rt.id, Person.role == Role.BENDAHARA))
        session.add(FundReceipt(rt_id=rt.id, amount=amount, received_on=TODAY, recorded_by_id=person.id))


async def to_summary(chat, amount="1,5 juta", what="20 sak semen untuk jalan setapak", bidang="Penataan"):
    await belanja_until_the_receipt(chat, amount, what, bidang)
    return await chat.send_media(("nota.jpg", PHOTO, "image/jpeg"))


async def test_spending_is_recorded_with_its_receipt(world):
    chat = await bendahara(world)
    await receive(world, RT_87_KK, 70_000_000)
    replies = await chat.send("/belanja")
    assert NO_FUNDS not in text_of(replies)
    assert ASK_AMOUNT in text_of(replies) and replies[-1].expect == Expect.NUMBER
    replies = await chat.send("1,5 juta")
    assert ASK_WHAT in text_of(replies)
    replies = await chat.send("  20 sak semen   untuk jalan setapak ")
    assert ASK_BIDANG in text_of(replies)
    assert [c.id for c in replies[-1].choices] == list(world.program.bidang)
    assert [c.label for c in replies[-1].choices] == list(world.program.bidang.values())
    replies = await chat.press_label("Penataan lingkungan")
    assert ASK_DATE in text_of(replies)
    await chat.press_label("Kemarin")
    replies = await chat.send_media(("nota.jpg", PHOTO, "image/jpeg"))
    summary = text_of(replies)
    for line in (
        "Jumlah belanja: Rp1.500.000",
        "Untuk: 20 sak semen untuk jalan setapak",
        "Bidang: Penataan lingkungan",
        "Tanggal: 14 Oktober 2026",
        "Nota: sudah diterima",
    ):
        assert line in summary
    assert "Perhatian" not in summary
    replies = await chat.press_label("Simpan")
    assert "Belanja Rp1.500.000 pada 14 Oktober 2026 sudah disimpan." in text_of(replies)
    assert "Saldo sekarang Rp68.500.000." in text_of(replies)

    async with world.db.unit_of_work() as session:
        spending = await session.scalar(select(Spending))
        media = await session.scalar(select(Media))
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "funds.spend"))
    assert (spending.amount, spending.description, spending.bidang) == (
        1_500_000,
        "20 sak semen untuk jalan setapak",
        "penataan_lingkungan",
    )
    assert spending.spent_on == TODAY - timedelta(days=1)
    assert spending.receipt_media_id == media.id and media.report_id is None and media.rt_id == spending.rt_id
    assert (world.media_root / media.path).read_bytes() == PHOTO
    assert audit.detail["bidang"] == "penataan_lingkungan"


async def test_without_funds_received_it_warns_but_still_saves(world):
    chat = await bendahara(world)
    replies = await chat.send("/belanja")
    assert NO_FUNDS in text_of(replies).lower() and ASK_AMOUNT in text_of(replies)
    await chat.send("250rb")
    await chat.send("Konsumsi rapat warga")
    await chat.press_label("sosial")
    await chat.send("17 Agustus 2026")
    replies = await chat.send_media(("nota.pdf", PDF, "application/pdf"), kind="document")
    assert NO_FUNDS in text_of(replies).lower()
    replies = await chat.press_label("Simpan")
    assert "Perhatian: belanja lebih besar Rp250.000 daripada dana masuk." in text_of(replies)
    async with world.db.unit_of_work() as session:
        spending = await session.scalar(select(Spending))
    assert (spending.amount, spending.bidang) == (250_000, "sosial_kemasyarakatan")


async def test_spending_past_the_funds_is_warned_in_the_summary(world):
    chat = await bendahara(world)
    await receive(world, RT_87_KK, 1_000_000)
    replies = await to_summary(chat, amount="1.500.000")
    assert "Perhatian: setelah ini, belanja lebih besar Rp500.000 daripada dana masuk." in text_of(replies)


@pytest.mark.parametrize("typed", ["1.500.000", "Rp 1.500.000", "1,5jt", "1,5 juta", "Rp 1500 rb", "1500000"])
async def test_amount_spellings(world, typed):
    chat = await bendahara(world)
    replies = await to_summary(chat, amount=typed)
    assert "Jumlah belanja: Rp1.500.000" in text_of(replies)


@pytest.mark.parametrize("typed", ["0", "-50.000", "lima puluh ribu", "", "🙂"])
async def test_zero_negative_or_words_are_refused(world, typed):
    chat = await bendahara(world)
    await chat.send("/belanja")
    replies = await chat.send(typed)
    assert len(replies) == 2 and ASK_AMOUNT in replies[-1].text


async def test_photo_where_a_number_is_expected_asks_again(world):
    chat = await bendahara(world)
    await chat.send("/belanja")
    replies = await chat.send_media(("nota.jpg", PHOTO, "image/jpeg"))
    assert ASK_AMOUNT in replies[-1].text
    assert (await counts(world))["Media"] == 0


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "Tulis dengan kata-kata"),
        ("🙂🙂🙂", "Tulis dengan kata-kata"),
        ("ab", "Tulis dengan kata-kata"),
        ("x" * 201, "Terlalu panjang (201 huruf). Tulis paling banyak 200 huruf"),
    ],
)
async def test_bad_description_asks_again(world, typed, reason):
    chat = await bendahara(world)
    await chat.send("/belanja")
    await chat.send("100rb")
    replies = await chat.send(typed)
    assert reason in replies[0].text and ASK_WHAT in replies[-1].text


async def test_description_of_exactly_200_characters_is_kept(world):
    chat = await bendahara(world)
    replies = await to_summary(chat, what="a" * 200)
    assert "Untuk: " + "a" * 200 in text_of(replies)


async def test_sticker_where_a_description_is_expected_asks_again(world):
    chat = await bendahara(world)
    await chat.send("/belanja")
    await chat.send("100rb")
    replies = await send_sticker(chat)
    assert ASK_WHAT in replies[-1].text


async def test_bidang_by_typed_number_or_name(world):
    chat = await bendahara(world)
    await chat.send("/belanja")
    await chat.send("100rb")
    await chat.send("Bibit cabai")
    replies = await chat.send("semen")
    assert "Tekan salah satu tombol bidang" in replies[0].text and ASK_BIDANG in replies[-1].text
    replies = await chat.send("4")
    assert ASK_DATE in text_of(replies)
    await chat.press_label("Hari ini")
    replies = await chat.send_media(("nota.jpg", PHOTO, "image/jpeg"))
    assert "Bidang: Pengembangan ekonomi rumah tangga" in text_of(replies)
    await chat.send("/batal")
    await chat.send("/belanja")
    await chat.send("100rb")
    await chat.send("Bibit cabai")
    replies = await chat.send("penguatan sosial kemasyarakatan")
    assert ASK_DATE in text_of(replies)


async def test_receipt_step_wants_one_photo_or_pdf(world):
    chat = await bendahara(world)
    await belanja_until_the_receipt(chat, "100rb", "Bibit cabai", "ekonomi", "Hari ini")
    replies = await chat.send("ini notanya")
    assert "Mohon kirim foto atau PDF" in replies[0].text and ASK_RECEIPT in replies[-1].text
    replies = await chat.send_media(("a.docx", b"PK", "application/msword"), kind="document")
    assert "tidak bisa dipakai" in replies[0].text and ASK_RECEIPT in replies[-1].text


async def test_nothing_is_saved_before_confirm_and_batal_leaves_no_rows(world):
    chat = await bendahara(world)
    replies = await to_summary(chat)
    assert SUMMARY in text_of(replies)
    assert await counts(world) == NOTHING
    replies = await chat.send("/batal")
    assert "Dibatalkan" in text_of(replies)
    assert await counts(world) == NOTHING


async def test_cancel_button_saves_nothing(world):
    chat = await bendahara(world)
    await to_summary(chat)
    replies = await chat.press_label("Batal")
    assert "tidak ada yang disimpan" in text_of(replies)
    assert await counts(world) == NOTHING


async def test_spending_goes_to_the_treasurers_own_rt(world):
    chat = await bendahara(world, RT_120_KK)
    await to_summary(chat)
    await chat.press_label("Simpan")
    async with world.db.unit_of_work() as session:
        spending = await session.scalar(select(Spending))
        rt = await session.get(RT, spending.rt_id)
    assert rt.kode == RT_120_KK


async def test_ketua_rt_cannot_use_belanja(world):
    ketua = await world.chat(Role.KETUA_RT, RT_87_KK)
    replies = await ketua.send("/belanja")
    assert "/belanja bukan untuk peran Bapak/Ibu" in text_of(replies)


async def test_the_same_receipt_again_is_asked_about_and_cancel_keeps_one(world):
    chat = await bendahara(world)
    await receive(world, RT_87_KK, 70_000_000)
    await to_summary(chat)
    await chat.press_label("Simpan")
    await to_summary(chat)  # the same purchase entered again, with the same nota
    replies = await chat.press_label("Simpan")
    asked = text_of(replies)
    assert "Nota ini sama dengan bukti belanja Rp1.500.000 pada 14 Oktober 2026." in asked
    assert "Tetap simpan?" in asked
    assert [c.label for c in replies[-1].choices] == ["Tetap simpan", "Batal"]
    assert (await counts(world))["Spending"] == 1  # nothing saved while asking
    replies = await chat.press_label("Batal")
    assert "tidak ada yang disimpan" in text_of(replies)
    assert (await counts(world))["Spending"] == 1 and (await counts(world))["Media"] == 1
    async with world.db.unit_of_work() as session:
        from services import funds

        assert await funds.total_spent(session, (await session.scalar(select(Spending))).rt_id) == 1_500_000


async def test_the_same_receipt_is_kept_when_the_treasurer_says_so(world):
    chat = await bendahara(world)
    await to_summary(chat)
    await chat.press_label("Simpan")
    await to_summary(chat, amount="250rb", what="Pasir dari nota yang sama")  # one nota, two bidang
    await chat.press_label("Simpan")
    replies = await chat.press_label("Tetap simpan")
    assert "Belanja Rp250.000" in text_of(replies)
    assert (await counts(world))["Spending"] == 2


async def test_the_same_receipt_for_another_rt_is_not_asked_about(world):
    first, other = await bendahara(world), await bendahara(world, RT_120_KK)
    await to_summary(first)
    await first.press_label("Simpan")
    await to_summary(other)
    replies = await other.press_label("Simpan")
    assert "sudah disimpan" in text_of(replies) and "Tetap simpan" not in text_of(replies)


async def test_a_receipt_whose_content_is_no_photo_is_asked_again_by_name(world):
    chat = await bendahara(world)
    await belanja_until_the_receipt(chat, "100rb", "Bibit cabai", "ekonomi", "Hari ini")
    await chat.send_media(("nota.jpg", b"#!/bin/sh\necho pwned\n", "image/jpeg"), kind="document")
    replies = await chat.press_label("Simpan")
    assert "nota.jpg bukan foto atau PDF. Mohon kirim foto (JPG, PNG, HEIC) atau PDF" in replies[0].text
    assert ASK_RECEIPT in replies[-1].text
    assert await counts(world) == NOTHING
    await chat.send_media(("nota2.jpg", PHOTO, "image/jpeg"))
    replies = await chat.press_label("Simpan")
    assert "Belanja Rp100.000" in text_of(replies)


async def test_a_receipt_the_platform_will_not_hand_over_is_asked_again(world):
    from handlers.context import MediaUnavailable

    chat = await bendahara(world)
    await to_summary(chat)

    async def unavailable(item):
        raise MediaUnavailable("the file link expired")

    chat.fetch = unavailable
    replies = await chat.press_label("Simpan")
    assert replies[0].text == "nota.jpg gagal diunduh. Mohon kirim lagi foto atau PDF itu."
    assert ASK_RECEIPT in replies[-1].text
    assert await counts(world) == NOTHING
