""" "Ubah atau hapus yang lalu" in /belanja and /dana, end to end through the engine, on SQLite and PostgreSQL."""

from datetime import timedelta

from sqlalchemy import select, update

from services.models import AuditLog, FundReceipt, ReportStatus, Spending, StageReport
from tests.handlers.chat import outbox_for
from tests.handlers.flows.bendahara import NOW, PHOTO, RT_87_KK, bendahara, pendamping_of, text_of
from tests.images import jpeg

OFFER = "Ubah atau hapus yang lalu"
NOTA = jpeg(2000)  # not the proof of transfer: the same file twice would be asked about first


async def spent(chat, amount="1,5 juta", what="20 sak semen untuk jalan setapak", photo=NOTA):
    """One spending saved through /belanja, dated yesterday (14 Oktober 2026)."""
    await chat.send("/belanja")
    await chat.send(amount)
    await chat.send(what)
    await chat.press_label("Penataan")
    await chat.press_label("Kemarin")
    await chat.send_media(("nota.jpg", photo, "image/jpeg"))
    await chat.press_label("Simpan")


async def received(chat, amount="70.000.000"):
    await chat.send("/dana")
    await chat.send(amount)
    await chat.press_label("Hari ini")
    await chat.send_media(("bukti.jpg", PHOTO, "image/jpeg"))
    await chat.press_label("Simpan")


async def one(world, model, *where):
    async with world.db.unit_of_work() as session:
        return await session.scalar(select(model).where(*where).order_by(model.id.desc()))


async def test_a_spending_amount_is_corrected_logged_and_told_to_the_pendamping(world):
    dewi = await pendamping_of(world, RT_87_KK)
    chat = await bendahara(world)
    await received(chat)
    await spent(chat)
    replies = await chat.send("/belanja")
    assert OFFER in [c.label for c in replies[-1].choices]
    replies = await chat.press_label(OFFER)
    assert "Catatan 30 hari terakhir" in text_of(replies)
    assert [c.label for c in replies[-1].choices] == [
        "14 Oktober 2026 · Rp1.500.000 · 20 sak semen untuk jalan setapak"
    ]
    replies = await chat.press_label("Oktober 2026")
    labels = [c.label for c in replies[-1].choices]
    assert labels == ["Ubah jumlah", "Ubah tanggal", "Ubah keperluan", "Hapus catatan ini"]
    await chat.press_label("Ubah jumlah")
    replies = await chat.send("1,2 jt")
    assert "Sebelum: 14 Oktober 2026 · Rp1.500.000" in text_of(replies)
    assert "Sesudah: 14 Oktober 2026 · Rp1.200.000" in text_of(replies)
    replies = await chat.press_label("Simpan")
    assert "Diubah: 14 Oktober 2026 · Rp1.200.000" in text_of(replies)
    assert "Saldo sekarang Rp68.800.000." in text_of(replies)

    spending = await one(world, Spending)
    assert spending.amount == 1_200_000 and spending.cancelled_at is None
    audit = await one(world, AuditLog, AuditLog.action == "funds.spending.correct")
    assert audit.detail["before"]["amount"] == 1_500_000 and audit.detail["after"]["amount"] == 1_200_000
    told = (await outbox_for(world.engine, dewi.user_id))[-1].payload["text"]
    assert "Bendahara Pokja mengubah catatan belanja" in told and "Sesudah: 14 Oktober 2026 · Rp1.200.000" in told
    replies = await chat.send("/saldo")
    assert "Belanja: Rp1.200.000" in text_of(replies)


async def test_a_cancelled_spending_no_longer_counts_in_saldo(world):
    dewi = await pendamping_of(world, RT_87_KK)
    chat = await bendahara(world)
    await received(chat)
    await spent(chat)
    await chat.send("/belanja")
    await chat.press_label(OFFER)
    await chat.send("1")  # typed, as on a channel without buttons
    await chat.press_label("Hapus")
    replies = await chat.press_label("Ya, hapus")
    assert "Dihapus: 14 Oktober 2026 · Rp1.500.000" in text_of(replies)
    assert "Saldo sekarang Rp70.000.000." in text_of(replies)

    spending = await one(world, Spending)
    assert spending.cancelled_at is not None and spending.cancelled_by_id is not None
    assert await one(world, AuditLog, AuditLog.action == "funds.spending.cancel") is not None
    told = (await outbox_for(world.engine, dewi.user_id))[-1].payload["text"]
    assert "Bendahara Pokja menghapus catatan belanja" in told
    saldo = text_of(await chat.send("/saldo"))
    assert "Belanja: Rp0" in saldo and "20 sak semen" not in saldo
    # Nothing is left to correct, so the button is gone; the same nota can be entered again without a warning.
    replies = await chat.send("/belanja")
    assert OFFER not in [c.label for c in replies[-1].choices]
    await chat.send("1,5 juta")
    await chat.send("20 sak semen")
    await chat.press_label("Penataan")
    await chat.press_label("Kemarin")
    replies = await chat.send_media(("nota.jpg", NOTA, "image/jpeg"))
    assert "Periksa dulu sebelum disimpan" in text_of(replies)


async def test_saying_no_changes_nothing(world):
    chat = await bendahara(world)
    await spent(chat)
    await chat.send("/belanja")
    await chat.press_label(OFFER)
    await chat.press_label("Oktober 2026")
    await chat.press_label("Ubah keperluan")
    await chat.send("25 sak semen")
    replies = await chat.press_label("Batal")
    assert "Baik, tidak ada yang diubah." in text_of(replies)
    assert (await one(world, Spending)).description == "20 sak semen untuk jalan setapak"


async def test_entries_older_than_30_days_are_not_offered(world):
    chat = await bendahara(world)
    await spent(chat)
    async with world.db.unit_of_work() as session:
        await session.execute(update(Spending).values(recorded_at=NOW - timedelta(days=31)))
    replies = await chat.send("/belanja")
    assert replies[-1].choices == ()


async def test_a_corrected_funds_receipt_goes_back_to_the_pendamping_for_review(world):
    dewi = await pendamping_of(world, RT_87_KK)
    chat = await bendahara(world)
    await received(chat, "7.000.000")
    # Funds are waiting for review: /dana says so, and offers the entry for correction at once.
    replies = await chat.send("/dana")
    assert "menunggu" in text_of(replies).lower()
    assert [c.label for c in replies[-1].choices] == ["15 Oktober 2026 · Rp7.000.000"]
    await chat.press_label("Oktober 2026")
    assert [c.label for c in chat.history[-1].choices] == ["Ubah jumlah", "Ubah tanggal", "Hapus catatan ini"]
    await chat.press_label("Ubah jumlah")
    await chat.send("70 juta")
    await chat.press_label("Simpan")

    receipt = await one(world, FundReceipt)
    report = await one(world, StageReport, StageReport.id == receipt.report_id)
    assert receipt.amount == 70_000_000 and report.answers["jumlah"] == 70_000_000
    assert report.status == ReportStatus.MENUNGGU_TINJAUAN
    told = (await outbox_for(world.engine, dewi.user_id))[-1].payload
    assert "mengubah catatan dana masuk" in told["text"]
    assert told["choices"] == [{"id": f"act:tinjau:{report.id}", "label": "Periksa"}]


async def test_a_cancelled_funds_receipt_opens_dana_again(world):
    chat = await bendahara(world)
    await received(chat)
    await chat.send("/dana")
    await chat.press_label("Oktober 2026")
    await chat.press_label("Hapus")
    replies = await chat.press_label("Ya, hapus")
    assert "Saldo sekarang Rp0." in text_of(replies)
    assert (await one(world, FundReceipt)).cancelled_at is not None
    replies = await chat.send("/dana")
    assert "Berapa dana yang sudah masuk ke rekening Pokja?" in text_of(replies)
    await chat.send("/batal")
    assert "Dana masuk: Rp0" in text_of(await chat.send("/saldo"))
