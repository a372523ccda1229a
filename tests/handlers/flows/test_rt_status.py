"""/rt end to end through the engine, on SQLite and PostgreSQL (clock: 15 Maret 2026)."""

from sqlalchemy import select

from services import whatsapp_delivery
from services.models import RT, ChannelIdentity, ReportStatus, Role
from tests.handlers.flows.pendamping import (
    NOW,
    RT_1,
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


def labels(chat) -> list[str]:
    return [c.label for c in chat.last.choices]


async def test_summary_fits_one_screen_counts_by_reason_and_leaves_out_zeros(world):
    ketua = await registered(world, Role.KETUA_RT, RT_1, "Budi")
    budi = await person_of(world, ketua)
    await make_report(world, RT_1, "sosialisasi", budi, status=ReportStatus.DISETUJUI)
    await make_report(world, RT_1, "rembuk_warga", budi)
    dewi = await pendamping(world)

    [summary] = await dewi.send("/rt")
    assert summary.text.splitlines() == [
        "RT dampingan: 2.",
        "Perlu perhatian: 2 RT.",
        "⚠️ terlambat: 2 RT",
        "⏳ laporan menunggu diperiksa: 1 (kirim /tinjau)",
        # RT 1 has no Bendahara Pokja yet, RT 2 neither a Ketua RT nor a Bendahara Pokja.
        "👤 Ketua RT atau Bendahara Pokja belum terdaftar: 2 RT",
        "",
        "Tekan tombol untuk melihat daftarnya.",
    ]
    assert len(summary.text) < 700
    assert "dikembalikan" not in summary.text and "tidak bisa dihubungi" not in summary.text
    assert labels(dewi) == ["Terlambat (2)", "Perlu diperiksa (1)", "Belum terdaftar (2)", "Semua RT (2)"]

    [late] = await dewi.press_label("Terlambat")
    lines = late.text.splitlines()
    assert lines[0] == "RT yang terlambat, paling mendesak di atas:"
    # RT 2 has five late stages, RT 1 three (Rembuk Warga waits for review, so it is not late).
    assert lines[1] == LINE_RT_2
    assert lines[2].startswith("RT 001 Kel. Simpang IV Sipin (Kelompok A) — ⚠️ 3 terlambat: Pembentukan Pokja")
    # Rudi's RT is never shown to Dewi.
    assert "1002" not in late.text and "Buluran Kenali" not in late.text
    assert labels(dewi) == ["Ringkasan"]

    await dewi.press_label("Ringkasan")
    [review] = await dewi.press_label("Perlu diperiksa")
    assert review.text.splitlines()[-1] == "Kirim /tinjau untuk memeriksanya."
    [again] = await dewi.press_label("Ringkasan")
    assert again.text == summary.text


async def test_nothing_to_do_is_said_plainly(world):
    # Rudi's only RT is in Kelompok B (starts in August); its Ketua RT and Bendahara Pokja registered.
    await registered(world, Role.KETUA_RT, "15.71.01.1002-003")
    await registered(world, Role.BENDAHARA, "15.71.01.1002-003")
    rudi = await pendamping(world, "Rudi Saputra")
    [summary] = await rudi.send("/rt")
    assert summary.text == "RT dampingan: 1.\nSaat ini tidak ada yang perlu ditindaklanjuti. 👍"
    [everything] = await rudi.press_label("Semua RT (1)")
    assert "RT 003 Kel. Buluran Kenali (Kelompok B) — berikutnya: Sosialisasi (Agustus 2026)" in everything.text


async def _add_rts(world, count: int) -> None:
    async with world.db.unit_of_work() as session:
        dewi_id = await session.scalar(select(RT.pendamping_id).where(RT.kode == RT_1))
        for nomor in range(10, 10 + count):
            session.add(
                RT(
                    kode=f"15.71.01.1001-{nomor:03d}",
                    kelurahan_kode="15.71.01.1001",
                    nomor=nomor,
                    kelompok="A",
                    pendamping_id=dewi_id,
                )
            )


async def test_a_long_list_is_paged_ten_at_a_time(world):
    await _add_rts(world, 40)
    dewi = await pendamping(world)
    [summary] = await dewi.send("/rt")
    assert summary.text.startswith("RT dampingan: 42.\nPerlu perhatian: 42 RT.")

    def rt_lines(reply) -> list[str]:
        return [line for line in reply.text.splitlines() if line.startswith("RT 0") and " — " in line]

    [first] = await dewi.press_label("Semua RT (42)")
    assert first.text.startswith("Semua RT, paling mendesak di atas:\n")
    assert first.text.endswith("\n\nHalaman 1 dari 5.")
    assert len(rt_lines(first)) == 10
    assert labels(dewi) == ["Berikutnya", "Ringkasan"]
    [second] = await dewi.press_label("Berikutnya")
    assert "Halaman 2 dari 5." in second.text and labels(dewi) == ["Sebelumnya", "Berikutnya", "Ringkasan"]
    assert not set(rt_lines(first)) & set(rt_lines(second))
    for _page in range(3):
        [last] = await dewi.press_label("Berikutnya")
    assert "Halaman 5 dari 5." in last.text and len(rt_lines(last)) == 2
    assert labels(dewi) == ["Sebelumnya", "Ringkasan"]
    [fourth] = await dewi.press_label("Sebelumnya")
    assert "Halaman 4 dari 5." in fourth.text


async def test_people_the_bot_cannot_reach_are_one_list(world):
    ketua = await registered(world, Role.KETUA_RT, RT_1, "Budi")
    bendahara = await registered(world, Role.BENDAHARA, RT_1, "Sari")
    async with world.db.unit_of_work() as session:
        blocked = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == ketua.user_id))
        blocked.unreachable_at = NOW
        blocked.unreachable_reason = "bot was blocked by the user"
        silent = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == bendahara.user_id))
        silent.channel = "whatsapp"
        await session.flush()
        # What the delivery policy does on Meta's 131026 (bot/channels/whatsapp/delivery.py).
        assert await whatsapp_delivery.mark_undeliverable(session, bendahara.user_id, "WhatsApp 131026", NOW)
    dewi = await pendamping(world)
    [summary] = await dewi.send("/rt")
    assert "📵 tidak bisa dihubungi bot: 2 orang" in summary.text
    [people] = await dewi.press_label("Tak terhubung (2)")
    assert people.text.splitlines()[1:3] == [
        "RT 001 Kel. Simpang IV Sipin (Kelompok A): Budi (Ketua RT) — memblokir bot sejak 15 Maret 2026",
        "RT 001 Kel. Simpang IV Sipin (Kelompok A): Sari (Bendahara Pokja) — "
        "pesan WhatsApp tidak sampai sejak 15 Maret 2026",
    ]
    assert "mohon hubungi mereka langsung" in people.text
    async with world.db.unit_of_work() as session:
        await whatsapp_delivery.clear_undeliverable(session, bendahara.user_id)  # a later delivery went through
    assert "📵 tidak bisa dihubungi bot: 1 orang" in text_of(await dewi.send("/rt"))


async def test_admin_sees_the_city(world):
    await registered(world, Role.KETUA_RT, RT_1)
    admin = await registered(world, Role.ADMIN)
    [summary] = await admin.send("/rt")
    assert summary.text.startswith("Kota Jambi: 3 RT (Kelompok A: 2, Kelompok B: 1).\nPerlu perhatian: 3 RT.")
    assert "⚠️ terlambat: 2 RT" in summary.text
    assert "👤 Ketua RT atau Bendahara Pokja belum terdaftar: 3 RT" in summary.text
    [everything] = await admin.press_label("Semua RT")
    assert "RT 003 Kel. Buluran Kenali (Kelompok B)" in everything.text


async def test_pendamping_without_rts_is_told_whom_to_ask(world):
    chat = await registered(world, Role.PENDAMPING)
    replies = await chat.send("/rt")
    assert "Belum ada RT dampingan untuk akun ini. Silakan hubungi admin DPMPPA." in text_of(replies)


async def test_a_list_button_still_works_in_the_middle_of_another_flow(world):
    dewi = await pendamping(world)
    await dewi.send("/rt")
    summary_choices = dewi.last.choices
    await dewi.send("/siaran")
    question = dewi.last.text
    replies = await dewi.press(next(c.id for c in summary_choices if c.label.startswith("Terlambat")))
    assert replies[0].text.startswith("RT yang terlambat")
    assert replies[-1].text == question  # the open question is asked again, the flow kept
