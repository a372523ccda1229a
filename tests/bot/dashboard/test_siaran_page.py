"""Siaran on the dashboard over real HTTP, on SQLite and PostgreSQL: the history with each broadcast's delivery
counts per channel and status, reminders beside them, and the form that previews (recipients, quota plan) and then
queues outbox rows for the viewer's own RTs only, behind the CSRF check."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from services.models import RT, Broadcast, ChannelIdentity, OutboxMessage, Person, ReminderClaim, Role
from tests.bot.dashboard.running import Dashboard, csrf_of


async def _registered_ketua(dashboard: Dashboard, nama: str, rt_kode: str, chat_id: str) -> Person:
    """A Ketua RT who registered in Telegram (a channel identity: a broadcast can reach them)."""
    person = await dashboard.add_person(nama, Role.KETUA_RT, rt_kode)
    async with dashboard.app.db.unit_of_work() as session:
        session.add(ChannelIdentity(person_id=person.id, channel="telegram", external_id=chat_id))
    return person


async def _outbox(dashboard: Dashboard) -> list[OutboxMessage]:
    async with dashboard.app.db.unit_of_work() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_the_history_shows_each_broadcast_with_its_counts_per_channel_and_status(dashboard: Dashboard) -> None:
    dewi = await dashboard.person("Dewi Lubis")
    ketua = await _registered_ketua(dashboard, "Pak Ketua", "15.71.01.1001-001", "7001")
    rows = [  # channel, status, delivery_status
        ("telegram", "pending", None),
        ("telegram", "sent", None),
        ("telegram", "unreachable", None),
        ("whatsapp", "sent", "delivered"),
        ("whatsapp", "sent", "read"),
        ("whatsapp", "sent", "read"),
        ("whatsapp", "sent", "failed"),
        ("whatsapp", "failed", None),
    ]
    async with dashboard.app.db.unit_of_work() as session:
        broadcast = Broadcast(
            created_by_id=dewi.id, created_by="test", text="Rapat warga Sabtu pagi", audience={"scope": "assigned"}
        )
        session.add(broadcast)
        await session.flush()
        for number, (channel, status, after) in enumerate(rows):
            session.add(
                OutboxMessage(
                    channel=channel,
                    external_id=str(number),
                    person_id=ketua.id,
                    broadcast_id=broadcast.id,
                    payload={"text": "x"},
                    status=status,
                    delivery_status=after,
                )
            )
        reminder = OutboxMessage(channel="telegram", external_id="7001", person_id=ketua.id, payload={}, status="sent")
        session.add(reminder)
        await session.flush()
        session.add(ReminderClaim(person_id=ketua.id, kind="bulanan", period="2026-02", outbox_id=reminder.id))
        broadcast_id = broadcast.id

    for nama in ("Dewi Lubis", "Ani Admin"):
        page = (await (await dashboard.signed_in(await dashboard.person(nama))).get("/siaran")).text
        assert "Rapat warga Sabtu pagi" in page and f'href="/siaran/{broadcast_id}"' in page
        assert "Telegram: 1 masuk antrean, 1 terkirim, 1 gagal" in page
        assert "WhatsApp: 1 terkirim, 1 sampai di HP, 2 dibaca, 2 gagal" not in page  # each row counts once
        assert "WhatsApp: 1 sampai di HP, 2 dibaca, 2 gagal" in page
        assert "Pengingat bulanan, Februari 2026" in page and "Telegram: 1 terkirim" in page
        assert "Dewi Lubis · Pendamping" in page

    browser = await dashboard.signed_in(dewi)
    detail = (await browser.get(f"/siaran/{broadcast_id}")).text
    assert '<td class="num" data-state="read">2</td>' in detail
    assert '<td class="num" data-state="queued">1</td>' in detail and "Pak Ketua" in detail

    rudi = await dashboard.signed_in(await dashboard.person("Rudi Saputra"))
    theirs = (await rudi.get("/siaran")).text
    assert "Rapat warga Sabtu pagi" not in theirs and "Pengingat bulanan" not in theirs  # not their RTs
    assert (await rudi.get(f"/siaran/{broadcast_id}")).status_code == 404


async def test_the_form_previews_then_queues_only_for_the_viewers_rts(dashboard: Dashboard) -> None:
    mine = await _registered_ketua(dashboard, "Pak Ketua Satu", "15.71.01.1001-001", "7001")
    await _registered_ketua(dashboard, "Bu Ketua Tiga", "15.71.01.1002-003", "7003")  # Rudi's RT
    browser = await dashboard.signed_in(await dashboard.person("Dewi Lubis"))
    form = await browser.get("/siaran")
    assert 'value="all"' in form.text and 'value="city"' not in form.text
    csrf = csrf_of(form.text)

    preview = await browser.post("/siaran/pratinjau", data={"csrf": csrf, "penerima": "all", "teks": " Rapat Sabtu "})
    assert preview.status_code == 200
    assert "📢 Pesan dari pendamping, Dewi Lubis:" in preview.text
    assert "Untuk: semua RT dampingan. Penerima: 1 Ketua RT di 1 RT." in preview.text
    assert "Belum terdaftar: 1 RT" in preview.text
    assert "Siaran ini untuk 1 orang, semuanya terkirim sekarang." in preview.text
    assert await _outbox(dashboard) == []  # nothing before the second post

    sent = await browser.post(
        "/siaran/kirim", data={"csrf": csrf_of(preview.text), "penerima": "all", "teks": "Rapat Sabtu", "aksi": "kirim"}
    )
    assert sent.status_code == 303
    queued = await _outbox(dashboard)
    assert [(row.person_id, row.external_id) for row in queued] == [(mine.id, "7001")]
    assert "Rapat Sabtu" in queued[0].payload["text"]
    detail = await browser.get(sent.headers["location"])
    assert "Pesan dijadwalkan untuk 1 penerima." in detail.text

    # The same form posted again (a double click, "back" and send): the same broadcast, nothing queued twice.
    twice = await browser.post(
        "/siaran/kirim", data={"csrf": csrf, "penerima": "all", "teks": "Rapat Sabtu", "aksi": "kirim"}
    )
    assert (
        twice.status_code == 303 and twice.headers["location"].split("?")[0] == sent.headers["location"].split("?")[0]
    )
    assert "sudah dikirim pada" in (await browser.get(twice.headers["location"])).text
    assert len(await _outbox(dashboard)) == 1

    # A pendamping cannot post the city (or any group not offered to them): nothing more is queued.
    city = await browser.post("/siaran/pratinjau", data={"csrf": csrf, "penerima": "city", "teks": "Halo"})
    sneaky = await browser.post(
        "/siaran/kirim", data={"csrf": csrf, "penerima": "city", "teks": "Halo", "aksi": "kirim"}
    )
    assert city.status_code == sneaky.status_code == 400
    assert len(await _outbox(dashboard)) == 1


async def test_the_admin_reaches_the_whole_city(dashboard: Dashboard) -> None:
    await _registered_ketua(dashboard, "Pak Ketua Satu", "15.71.01.1001-001", "7001")
    await _registered_ketua(dashboard, "Bu Ketua Tiga", "15.71.01.1002-003", "7003")
    browser = await dashboard.signed_in(await dashboard.person("Ani Admin"))
    csrf = csrf_of((await browser.get("/siaran")).text)
    sent = await browser.post(
        "/siaran/kirim", data={"csrf": csrf, "penerima": "city", "teks": "Selamat pagi", "aksi": "kirim"}
    )
    assert sent.status_code == 303
    assert sorted(row.external_id for row in await _outbox(dashboard)) == ["7001", "7003"]


async def test_the_chats_limits_and_words(dashboard: Dashboard) -> None:
    await _registered_ketua(dashboard, "Pak Ketua Satu", "15.71.01.1001-001", "7001")
    browser = await dashboard.signed_in(await dashboard.person("Dewi Lubis"))
    csrf = csrf_of((await browser.get("/siaran")).text)
    long = await browser.post("/siaran/pratinjau", data={"csrf": csrf, "penerima": "all", "teks": "x" * 1001})
    assert long.status_code == 400 and "Pesannya terlalu panjang (1001 huruf)" in long.text
    # A browser sends line breaks as CRLF: counted as the chat counts them, so 1,000 characters fit.
    lines = await browser.post(
        "/siaran/pratinjau", data={"csrf": csrf, "penerima": "all", "teks": ("x" * 99 + "\r\n") * 10}
    )
    assert lines.status_code == 200 and "Kirim pesan ini?" in lines.text
    empty = await browser.post("/siaran/pratinjau", data={"csrf": csrf, "penerima": "all", "teks": "   "})
    assert empty.status_code == 400 and "Pesannya kosong." in empty.text
    not_offered = await browser.post("/siaran/pratinjau", data={"csrf": csrf, "penerima": "kel:B", "teks": "Halo"})
    assert not_offered.status_code == 400 and "Tekan salah satu tombol." in not_offered.text  # Dewi's RTs are all A
    rudi = await dashboard.signed_in(await dashboard.person("Rudi Saputra"))  # his one RT has no Ketua RT yet
    nobody = await rudi.post(
        "/siaran/pratinjau", data={"csrf": csrf_of((await rudi.get("/siaran")).text), "penerima": "all", "teks": "Halo"}
    )
    assert nobody.status_code == 400 and "Belum ada Ketua RT dari 1 RT ini yang terdaftar" in nobody.text
    again = await browser.post(
        "/siaran/kirim", data={"csrf": csrf, "penerima": "all", "teks": "Rapat Minggu", "aksi": "ubah"}
    )
    assert again.status_code == 200 and ">Rapat Minggu</textarea>" in again.text
    cancelled = await browser.post(
        "/siaran/kirim", data={"csrf": csrf, "penerima": "all", "teks": "Rapat Minggu", "aksi": "batal"}
    )
    assert "Dibatalkan. Tidak ada pesan yang dikirim." in cancelled.text
    assert await _outbox(dashboard) == []


async def test_without_the_csrf_token_nothing_is_sent(dashboard: Dashboard) -> None:
    await _registered_ketua(dashboard, "Pak Ketua Satu", "15.71.01.1001-001", "7001")
    browser = await dashboard.signed_in(await dashboard.person("Dewi Lubis"))
    data = {"penerima": "all", "teks": "Rapat Sabtu", "aksi": "kirim"}
    assert (await browser.post("/siaran/pratinjau", data=data)).status_code == 403
    assert (await browser.post("/siaran/kirim", data=data)).status_code == 403
    assert (await browser.post("/siaran/kirim", data={**data, "csrf": "x" * 43})).status_code == 403
    assert await _outbox(dashboard) == []
    async with dashboard.app.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0
        assert await session.scalar(select(func.count()).select_from(RT)) == 3


async def test_the_history_is_paginated_newest_first(dashboard: Dashboard) -> None:
    dewi = await dashboard.person("Dewi Lubis")
    start = dashboard.app.clock() - timedelta(days=30)
    async with dashboard.app.db.unit_of_work() as session:
        for number in range(1, 26):
            session.add(
                Broadcast(
                    created_by_id=dewi.id,
                    created_by="test",
                    text=f"Pesan nomor {number:02d}",
                    audience={"scope": "assigned"},
                    created_at=start + timedelta(hours=number),
                )
            )
    browser = await dashboard.signed_in(dewi)
    first = (await browser.get("/siaran")).text
    second = (await browser.get("/siaran?halaman=2")).text
    shown = re.compile(r"Pesan nomor (\d\d)")
    assert shown.findall(first) == [f"{n:02d}" for n in range(25, 5, -1)] and "Halaman 1 dari 2" in first
    assert shown.findall(second) == ["05", "04", "03", "02", "01"] and 'href="/siaran?halaman=1"' in second
    assert shown.findall((await browser.get("/siaran?halaman=x")).text) == shown.findall(first)
