"""/rt end to end through the engine, on SQLite and PostgreSQL (clock: 15 Maret 2026)."""

from sqlalchemy import select

from services import whatsapp_delivery
from services.models import RT, ChannelIdentity, ReportStatus, Role
from tests.handlers.flows.pendamping import (
    NOW,
    RT_1,
    RT_3,
    make_report,
    pendamping,
    person_of,
    registered,
    text_of,
)

LINE_RT_2 = (
    "RT 002 Kel. Simpang IV Sipin (Kelompok A) — ⚠️ 5 terlambat: Sosialisasi, Rembuk Warga +3 lainnya; "
    "🔔 bulan ini: Penyusunan Proposal"
)


async def test_pendamping_sees_own_rts_most_urgent_first(world):
    ketua = await registered(world, Role.KETUA_RT, RT_1, "Budi")
    budi = await person_of(world, ketua)
    await make_report(world, RT_1, "sosialisasi", budi, status=ReportStatus.DISETUJUI)
    await make_report(world, RT_1, "rembuk_warga", budi)
    dewi = await pendamping(world)

    replies = await dewi.send("/rt")
    text = text_of(replies)
    assert "RT dampingan: 2. 2 terlambat, 1 menunggu diperiksa." in text
    assert "Kirim /tinjau untuk memeriksanya." in text
    lines = replies[0].text.splitlines()
    # RT 2 has five late stages, RT 1 three (Rembuk Warga waits for review, so it is not late).
    assert lines.index(LINE_RT_2) < next(i for i, line in enumerate(lines) if line.startswith("RT 001"))
    assert (
        "RT 001 Kel. Simpang IV Sipin (Kelompok A) — "
        "⚠️ 3 terlambat: Pembentukan Pokja, Pemetaan Potensi dan Swadaya +1 lainnya; "
        "⏳ 1 menunggu diperiksa; 🔔 bulan ini: Penyusunan Proposal"
    ) in lines
    # Rudi's RT is never shown to Dewi.
    assert "1002" not in text and "Buluran Kenali" not in text
    # RT 2's Ketua RT has not registered: listed separately.
    assert "Ketua RT belum terdaftar (1 RT)" in replies[1].text
    assert "RT 002 Kel. Simpang IV Sipin (Kelompok A)" in replies[1].text
    assert dewi.last.choices == ()


async def test_kelompok_b_shows_what_comes_next(world):
    await registered(world, Role.KETUA_RT, RT_3)
    rudi = await pendamping(world, "Rudi Saputra")
    replies = await rudi.send("/rt")
    assert "RT 003 Kel. Buluran Kenali (Kelompok B) — berikutnya: Sosialisasi (Agustus 2026)" in text_of(replies)
    assert "belum terdaftar" not in text_of(replies)


async def test_people_who_blocked_the_bot_are_listed(world):
    ketua = await registered(world, Role.KETUA_RT, RT_1, "Budi")
    async with world.db.unit_of_work() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == ketua.user_id))
        identity.unreachable_at = NOW
        identity.unreachable_reason = "bot was blocked by the user"
    dewi = await pendamping(world)
    replies = await dewi.send("/rt")
    blocked = replies[-1].text
    assert "memblokir bot dan tidak menerima pesan" in blocked
    assert "RT 001 Kel. Simpang IV Sipin (Kelompok A): Budi (Ketua RT) — memblokir bot sejak 15 Maret 2026" in blocked


async def test_numbers_whatsapp_could_not_deliver_to_are_listed_until_a_delivery(world):
    ketua = await registered(world, Role.KETUA_RT, RT_1, "Budi")
    async with world.db.unit_of_work() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == ketua.user_id))
        identity.channel = "whatsapp"
        await session.flush()
        # What the delivery policy does on Meta's 131026 (bot/channels/whatsapp/delivery.py).
        assert await whatsapp_delivery.mark_undeliverable(session, ketua.user_id, "WhatsApp 131026: undeliverable", NOW)
    dewi = await pendamping(world)
    listed = text_of(await dewi.send("/rt"))
    assert "Pesan WhatsApp dari bot tidak sampai ke orang berikut" in listed
    undelivered = "Simpang IV Sipin (Kelompok A): Budi (Ketua RT) — pesan WhatsApp tidak sampai sejak 15 Maret 2026"
    assert undelivered in listed
    async with world.db.unit_of_work() as session:
        await whatsapp_delivery.clear_undeliverable(session, ketua.user_id)  # a later delivery went through
    assert "tidak sampai" not in text_of(await dewi.send("/rt"))


async def test_long_list_shows_thirty_and_counts_the_rest(world):
    async with world.db.unit_of_work() as session:
        dewi_id = await session.scalar(select(RT.pendamping_id).where(RT.kode == RT_1))
        for nomor in range(10, 50):
            session.add(
                RT(
                    kode=f"15.71.01.1001-{nomor:03d}",
                    kelurahan_kode="15.71.01.1001",
                    nomor=nomor,
                    kelompok="A",
                    pendamping_id=dewi_id,
                )
            )
    dewi = await pendamping(world)
    replies = await dewi.send("/rt")
    lines = text_of(replies).splitlines()
    assert "RT dampingan: 42. 42 terlambat." in lines[0]
    assert sum(1 for line in lines if line.startswith("RT 0") and " — " in line) == 30
    # 30 of 42 RTs by urgency, and 30 of the 42 RTs whose Ketua RT has not registered.
    assert lines.count("…dan 12 lainnya.") == 2
    assert all(len(r.text) <= 4096 for r in replies)


async def test_admin_sees_city_wide_counts(world):
    await registered(world, Role.KETUA_RT, RT_1)
    admin = await registered(world, Role.ADMIN)
    replies = await admin.send("/rt")
    text = text_of(replies)
    assert "Kota Jambi: 3 RT (Kelompok A: 2, Kelompok B: 1)." in text
    assert "Ketua RT sudah terdaftar: 1 RT; belum terdaftar: 2 RT." in text
    assert "Terlambat: 2 RT." in text
    assert "RT 003 Kel. Buluran Kenali (Kelompok B)" in text
    # The city list is counted, not listed, for an admin.
    assert "Ingatkan mereka" not in text


async def test_pendamping_without_rts_is_told_whom_to_ask(world):
    chat = await registered(world, Role.PENDAMPING)
    replies = await chat.send("/rt")
    assert "Belum ada RT dampingan untuk akun ini" in text_of(replies)
