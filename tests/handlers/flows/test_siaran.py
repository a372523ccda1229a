"""/siaran end to end through the engine, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from handlers.messages import Expect, Incoming, Kind, MediaItem
from services.models import Broadcast, ChannelIdentity, OutboxMessage, Person, ReportStatus, Role, utcnow
from services.whatsapp_quota import DAY
from tests.handlers.chat import outbox_for
from tests.handlers.flows.pendamping import (
    NOW,
    RT_1,
    RT_2,
    RT_3,
    counts,
    make_report,
    pendamping,
    person_of,
    registered,
    rt_id,
    send_sticker,
    text_of,
)
from tests.people import load_rts

ASK_TEXT = "Ketik pesan untuk"
PREVIEW = "Pratinjau: ini pesan yang akan diterima Ketua RT."


async def test_pendamping_broadcasts_to_all_her_rts(world):
    ketua_1 = await registered(world, Role.KETUA_RT, RT_1, "Budi")
    ketua_3 = await registered(world, Role.KETUA_RT, RT_3, "Joko")
    dewi = await pendamping(world)
    replies = await dewi.send("/siaran")
    assert [c.label for c in replies[-1].choices] == ["Semua RT dampingan", "Hanya Kelompok A", "RT yang terlambat"]
    replies = await dewi.press_label("Semua RT dampingan")
    assert "Ketik pesan untuk semua RT dampingan (paling banyak 1000 huruf)" in replies[-1].text
    assert replies[-1].expect == Expect.TEXT
    message = "Rapat Pokja hari Sabtu jam 09.00 di balai RW. Mohon hadir 🙏"
    replies = await dewi.send(f"  {message}  ")
    preview = replies[-1]
    assert PREVIEW in preview.text
    assert f"📢 Pesan dari pendamping, Dewi Lubis:\n\n{message}" in preview.text
    assert "Untuk: semua RT dampingan. Penerima: 1 Ketua RT di 1 RT." in preview.text
    assert "Belum terdaftar: 1 RT" in preview.text
    assert [c.label for c in preview.choices] == ["Kirim", "Ubah teks", "Batal"]
    assert (await counts(world))["Broadcast"] == (await counts(world))["OutboxMessage"] == 0

    replies = await dewi.press_label("Kirim")
    assert text_of(replies) == "Pesan dijadwalkan untuk 1 penerima. Laporan pengiriman akan dikirim ke sini."
    async with world.db.unit_of_work() as session:
        broadcast = await session.scalar(select(Broadcast))
        assert broadcast.text == message
        assert broadcast.total == 1
        assert broadcast.audience == {"scope": "assigned", "rts": 2, "unregistered_rts": 1}
        assert broadcast.created_by_id == (await person_of(world, dewi)).id
    [queued] = await outbox_for(world.engine, ketua_1.user_id)
    budi = await person_of(world, ketua_1)
    assert queued.dedupe_key == f"broadcast:{broadcast.id}:{budi.id}"
    assert queued.broadcast_id == broadcast.id and queued.status == "pending"
    assert queued.payload["text"] == f"📢 Pesan dari pendamping, Dewi Lubis:\n\n{message}"
    # Rudi's RT is not Dewi's: its Ketua RT gets nothing.
    assert await outbox_for(world.engine, ketua_3.user_id) == []


async def test_recipient_reads_it_in_their_own_language(world):
    ketua = await registered(world, Role.KETUA_RT, RT_1)
    await ketua.send("/bahasa")
    await ketua.press("lang:en")
    dewi = await pendamping(world)
    await dewi.send("/siaran")
    await dewi.press_label("Semua RT dampingan")
    await dewi.send("Rapat Sabtu")
    await dewi.press_label("Kirim")
    [queued] = await outbox_for(world.engine, ketua.user_id)
    assert queued.payload["text"] == "📢 Message from your pendamping Dewi Lubis:\n\nRapat Sabtu"


async def test_bad_text_is_refused_and_nothing_is_written(world):
    await registered(world, Role.KETUA_RT, RT_1)
    dewi = await pendamping(world)
    await dewi.send("/siaran")
    await dewi.press_label("Semua RT dampingan")
    before = await counts(world)
    for bad, reason in (
        ("   ", "Pesannya kosong"),
        ("x" * 1001, "Pesannya terlalu panjang (1001 huruf)"),
        ("x" * 5000, "Pesannya terlalu panjang"),
    ):
        replies = await dewi.send(bad)
        assert reason in text_of(replies)
        assert ASK_TEXT in replies[-1].text
    photo = Incoming(dewi.channel, dewi.user_id, Kind.MEDIA, media=(MediaItem("photo", "f1"),))
    assert "Ketik pesannya sebagai teks" in text_of(await dewi.deliver(photo))
    assert "Ketik pesannya sebagai teks" in text_of(await send_sticker(dewi))
    location = Incoming(dewi.channel, dewi.user_id, Kind.LOCATION, latitude=-1.6, longitude=103.6)
    assert "Ketik pesannya sebagai teks" in text_of(await dewi.deliver(location))
    assert await counts(world) == before
    # 1,000 characters exactly is fine.
    replies = await dewi.send("y" * 1000)
    assert PREVIEW in replies[-1].text


async def test_audience_step_refuses_typing_and_groups_nobody_can_receive(world):
    dewi = await pendamping(world)
    await dewi.send("/siaran")
    for text in ("semua", "'; DROP TABLE broadcast; --", "😀"):
        replies = await dewi.send(text)
        assert "Siapa penerimanya? Tekan salah satu tombol." in text_of(replies)
    # No Ketua RT of Dewi's RTs is registered yet.
    replies = await dewi.press_label("Semua RT dampingan")
    assert "Belum ada Ketua RT dari 2 RT ini yang terdaftar" in text_of(replies)
    # A button not offered to a pendamping (the city) is refused.
    replies = await dewi.press("city")
    assert "Siapa penerimanya? Tekan salah satu tombol." in text_of(replies)
    assert (await counts(world))["Broadcast"] == 0


async def test_behind_schedule_only_takes_late_rts(world):
    ketua_1 = await registered(world, Role.KETUA_RT, RT_1)
    ketua_2 = await registered(world, Role.KETUA_RT, RT_2)
    dewi = await pendamping(world)
    world.engine.clock = lambda: datetime(2026, 1, 10, 3, 0, tzinfo=UTC)  # nothing is late in January
    await dewi.send("/siaran")
    replies = await dewi.press_label("RT yang terlambat")
    assert "Tidak ada RT yang terlambat" in text_of(replies)
    # In February, Sosialisasi (January) is late for RT 1; RT 2 reported it and it was approved.
    world.engine.clock = lambda: datetime(2026, 2, 10, 3, 0, tzinfo=UTC)
    await make_report(world, RT_2, "sosialisasi", await person_of(world, ketua_2), status=ReportStatus.DISETUJUI)
    replies = await dewi.press_label("RT yang terlambat")
    assert "RT yang terlambat" in replies[-1].text
    replies = await dewi.send("Sosialisasi belum dilaporkan, mohon segera /lapor")
    assert "Penerima: 1 Ketua RT di 1 RT." in replies[-1].text
    await dewi.press_label("Kirim")
    assert len(await outbox_for(world.engine, ketua_1.user_id)) == 1
    assert await outbox_for(world.engine, ketua_2.user_id) == []


async def test_edit_and_cancel(world):
    await registered(world, Role.KETUA_RT, RT_1)
    dewi = await pendamping(world)
    await dewi.send("/siaran")
    await dewi.press_label("Semua RT dampingan")
    await dewi.send("Teks pertama")
    replies = await dewi.press_label("Ubah teks")
    assert ASK_TEXT in replies[-1].text
    replies = await dewi.send("Teks kedua")
    assert "Teks kedua" in replies[-1].text and "Teks pertama" not in replies[-1].text
    replies = await dewi.send("kirim")
    assert "Tekan Kirim, Ubah teks, atau Batal." in text_of(replies)
    replies = await dewi.press_label("Batal")
    assert "Dibatalkan. Tidak ada pesan yang dikirim." in text_of(replies)
    assert (await counts(world))["Broadcast"] == (await counts(world))["OutboxMessage"] == 0


async def test_old_send_button_does_not_send_twice(world):
    await registered(world, Role.KETUA_RT, RT_1)
    dewi = await pendamping(world)
    await dewi.send("/siaran")
    await dewi.press_label("Semua RT dampingan")
    replies = await dewi.send("Sekali saja")
    send = next(c for c in replies[-1].choices if c.label == "Kirim")
    await dewi.press(send.id, replies[-1].token)
    await dewi.press(send.id, replies[-1].token)
    async with world.db.unit_of_work() as session:
        assert len(list(await session.scalars(select(Broadcast)))) == 1
        assert len(list(await session.scalars(select(OutboxMessage)))) == 1


async def test_admin_chooses_the_whole_city_or_one_kelompok(world):
    ketua_1 = await registered(world, Role.KETUA_RT, RT_1)
    ketua_3 = await registered(world, Role.KETUA_RT, RT_3)
    admin = await registered(world, Role.ADMIN, nama="Sari")
    replies = await admin.send("/siaran")
    assert [c.label for c in replies[-1].choices] == [
        "Semua RT di kota",
        "Hanya Kelompok A",
        "Hanya Kelompok B",
        "RT yang terlambat",
    ]
    await admin.press_label("Hanya Kelompok B")
    replies = await admin.send("Sosialisasi Kelompok B dimulai Agustus.")
    assert "📢 Pesan dari DPMPPA Kota Jambi (Sari):" in replies[-1].text
    assert "Untuk: RT Kelompok B. Penerima: 1 Ketua RT di 1 RT." in replies[-1].text
    await admin.press_label("Kirim")
    assert len(await outbox_for(world.engine, ketua_3.user_id)) == 1
    assert await outbox_for(world.engine, ketua_1.user_id) == []

    await admin.send("/siaran")
    await admin.press_label("Semua RT di kota")
    replies = await admin.send("Terima kasih semuanya.")
    assert "Penerima: 2 Ketua RT di 2 RT." in replies[-1].text and "Belum terdaftar: 1 RT" in replies[-1].text
    replies = await admin.press_label("Kirim")
    assert "Pesan dijadwalkan untuk 2 penerima." in text_of(replies)
    async with world.db.unit_of_work() as session:
        city = await session.scalar(select(Broadcast).order_by(Broadcast.id.desc()))
        assert city.audience["scope"] == "city" and city.total == 2


async def _whatsapp_ketua(world, rt_kode: str, number: str, last_inbound_at: datetime | None) -> int:
    """A Ketua RT reached on WhatsApp only (registered earlier, as the WhatsApp channel does)."""
    async with world.db.unit_of_work() as session:
        person = Person(nama=f"Ketua {number}", role=Role.KETUA_RT, rt_id=await rt_id(world, rt_kode))
        session.add(person)
        await session.flush()
        session.add(
            ChannelIdentity(
                person_id=person.id, channel="whatsapp", external_id=number, last_inbound_at=last_inbound_at
            )
        )
        return person.id


async def test_the_sender_is_told_what_goes_now_and_what_waits_for_whatsapps_quota(world):
    budi = await registered(world, Role.KETUA_RT, RT_1, "Budi")  # a channel without a quota: now
    active = await _whatsapp_ketua(world, RT_2, "62811", NOW - timedelta(hours=2))  # in the window: now, free
    await load_rts(world.db, world.program, [(n, "A", "Dewi Lubis") for n in (4, 5, 6)])
    silent = [
        await _whatsapp_ketua(world, f"15.71.01.1001-00{n}", f"6282{n}", NOW - timedelta(days=3)) for n in (4, 5, 6)
    ]
    world.engine.settings = {"whatsapp_daily_limit": 2}
    dewi = await pendamping(world)
    await dewi.send("/siaran")
    await dewi.press_label("Semua RT dampingan")
    preview = (await dewi.send("Rapat Sabtu"))[-1]
    assert (
        "Siaran ini untuk 5 orang: 2 terkirim sekarang (Telegram dan WhatsApp yang aktif 24 jam terakhir), "
        "3 lewat templat WhatsApp selama 2 hari berikutnya (batas 2 per hari).\nKirim pesan ini?"
    ) in preview.text
    assert (await counts(world))["OutboxMessage"] == 0  # told before anything is queued

    await dewi.press_label("Kirim")
    async with world.db.unit_of_work() as session:
        rows = {r.person_id: r for r in await session.scalars(select(OutboxMessage))}
    day_two = NOW + DAY
    assert [rows[p].next_attempt_at for p in silent].count(day_two) == 1
    # The rest at once (the worker's real clock; the conversation's clock is fixed in March).
    going_now = [p for p in [(await person_of(world, budi)).id, active, *silent] if rows[p].next_attempt_at != day_two]
    assert len(going_now) == 4 and all(rows[p].next_attempt_at <= utcnow() for p in going_now)


async def test_when_everyone_goes_now_no_whatsapp_days_are_mentioned(world):
    await registered(world, Role.KETUA_RT, RT_1, "Budi")
    await _whatsapp_ketua(world, RT_2, "62811", NOW - timedelta(hours=2))
    dewi = await pendamping(world)
    await dewi.send("/siaran")
    await dewi.press_label("Semua RT dampingan")
    preview = (await dewi.send("Rapat Sabtu"))[-1]
    assert "Siaran ini untuk 2 orang, semuanya terkirim sekarang." in preview.text
    assert "templat" not in preview.text
