"""Tinjauan, the review queue of the dashboard, and the report page's Contoh mark — over real HTTP against the web
app served by uvicorn, on SQLite and PostgreSQL. A decision here must be the chat's: the same status, audit row
and notice to the sender (handlers/review_decision.py is shared with /tinjau)."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from services import web_sessions
from services.models import AuditLog, ChannelIdentity, Media, OutboxMessage, Person, ReportStatus, Role, StageReport
from services.problems import ProblemError
from tests.bot.dashboard.running import Dashboard, csrf_of
from tests.handlers.flows.pendamping import RT_1, RT_3, make_report

APPROVED_TEXT = (
    "✅ Laporan Rembuk Warga (RT 001 Kel. Simpang IV Sipin) sudah disetujui oleh Dewi Lubis (Pendamping). "
    "Terima kasih, Bapak/Ibu.\nKirim /jadwal untuk melihat tahap berikutnya."
)
EMPTY = "Tidak ada laporan yang menunggu diperiksa."


async def ketua(dashboard: Dashboard, nama: str = "Budi", rt_kode: str = RT_1, role: Role = Role.KETUA_RT) -> Person:
    """A person of the RT who can be reached in the bot (a Telegram chat), as /start leaves them."""
    person = await dashboard.add_person(nama, role, rt_kode)
    async with dashboard.app.db.unit_of_work() as session:
        session.add(ChannelIdentity(person_id=person.id, channel="telegram", external_id=f"tg-{person.id}"))
    return person


async def two_reports(dashboard: Dashboard) -> tuple[Person, int, int]:
    budi = await ketua(dashboard)
    older = await make_report(
        dashboard.app, RT_1, "rembuk_warga", budi, minutes_ago=120, photos=2, answers={"jumlah_hadir": 45}
    )
    newer = await make_report(dashboard.app, RT_1, "pembentukan_pokja", budi, minutes_ago=30)
    return budi, older, newer


async def state(dashboard: Dashboard, report_id: int) -> tuple:
    """What a decision changes: the report's status and review, its outbox rows and audit rows."""
    async with dashboard.app.db.unit_of_work() as session:
        report = await session.get(StageReport, report_id)
        outbox = await session.scalar(select(func.count()).select_from(OutboxMessage))
        audit = await session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.entity_id == str(report_id))
        )
        return report.status, report.reviewed_by_id, report.review_reason, report.contoh_at, outbox, audit


async def outbox_of(dashboard: Dashboard, person: Person) -> list[OutboxMessage]:
    async with dashboard.app.db.unit_of_work() as session:
        return list(await session.scalars(select(OutboxMessage).where(OutboxMessage.person_id == person.id)))


async def test_without_a_session_the_pages_send_to_sign_in_and_posts_are_refused(dashboard: Dashboard) -> None:
    _budi, older, _newer = await two_reports(dashboard)
    browser = dashboard.browser()
    for path in ("/tinjauan", f"/tinjauan/{older}", f"/laporan/{older}"):
        response = await browser.get(path)
        assert (response.status_code, response.headers["location"]) == (303, "/masuk"), path
    before = await state(dashboard, older)
    assert (await browser.post(f"/tinjauan/{older}/setujui", data={"csrf": "x"})).status_code == 401
    assert (await browser.post(f"/laporan/{older}/contoh", data={"csrf": "x"})).status_code == 401
    assert await state(dashboard, older) == before


async def test_a_ketua_rt_cannot_sign_in(dashboard: Dashboard) -> None:
    budi = await ketua(dashboard)
    async with dashboard.app.db.unit_of_work() as session:
        with pytest.raises(ProblemError) as refused:
            await web_sessions.issue_link(session, budi, dashboard.app.pepper, now=dashboard.app.clock(), actor="t")
    assert refused.value.problems[0].code == "web_not_allowed"


async def test_the_queue_shows_the_oldest_report_in_full(dashboard: Dashboard) -> None:
    _budi, older, _newer = await two_reports(dashboard)
    async with dashboard.app.db.unit_of_work() as session:
        photo = await session.scalar(select(Media).where(Media.report_id == older).order_by(Media.id))
        photo.exif_taken_at = datetime(2026, 2, 20, 2, 30, tzinfo=UTC)
        photo.exif_latitude, photo.exif_longitude = -1.6101, 103.6131
    browser = await dashboard.signed_in(await dashboard.person("Dewi Lubis"))
    page = await browser.get("/tinjauan")
    assert page.status_code == 200
    for text in (
        "RT 001 Kel. Simpang IV Sipin (Kelompok A)",
        "Tahap: Rembuk Warga",
        "Tanggal kegiatan: 20 Februari 2026",
        "Dikirim oleh Budi (Ketua RT)",
        "Jumlah warga yang hadir: 45",
        "Laporan ke-1 dari 2 yang menunggu diperiksa",
        "Diambil pada 20 Februari 2026 09.30 WIB",
        "Diambil di -1.61010, 103.61310",
        f'<a href="/media/{photo.id}" target="_blank" rel="noopener"><img src="/media/{photo.id}?thumb=1"',
        "<kbd>a</kbd>",
        '<script src="/static/tinjauan.js" defer></script>',
    ):
        assert text in page.text, text
    assert "dipakai RT lain" not in page.text
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), "an inline script would be blocked by the CSP"
    script = await browser.get("/static/tinjauan.js")
    assert script.status_code == 200 and "form-setujui" in script.text and "alasan" in script.text
    for name in ('id="form-setujui"', 'id="alasan"', 'id="berikutnya"'):
        assert name in page.text, name


async def test_a_reused_photo_is_flagged_and_money_is_shown_as_in_the_chat(dashboard: Dashboard) -> None:
    rudi_rt = await ketua(dashboard, "Rina", RT_3)
    other = await make_report(dashboard.app, RT_3, "sosialisasi", rudi_rt)
    async with dashboard.app.db.unit_of_work() as session:
        reused = await session.scalar(select(Media.id).where(Media.report_id == other))
    budi = await ketua(dashboard)
    flagged = await make_report(dashboard.app, RT_1, "sosialisasi", budi, reuse_of=reused)
    sari = await ketua(dashboard, "Sari", RT_1, Role.BENDAHARA)
    money = await make_report(dashboard.app, RT_1, "pencairan_dana", sari, answers={"jumlah": 65_000_000})
    browser = await dashboard.signed_in(await dashboard.person("Dewi Lubis"))
    page = (await browser.get(f"/tinjauan/{flagged}")).text
    assert "⚠️ Foto 1: foto ini juga dipakai RT lain." in page
    page = (await browser.get(f"/tinjauan/{money}")).text
    for text in (
        "Jumlah diterima: Rp65.000.000",
        "Alokasi RT ini: Rp70.000.000 (87 KK)",
        "⚠️ Kurang Rp5.000.000 dari alokasi. Mohon periksa.",
    ):
        assert text in page, text


async def test_the_queue_is_oldest_first_and_skipping_goes_round(dashboard: Dashboard) -> None:
    budi = await ketua(dashboard)
    newest = await make_report(dashboard.app, RT_1, "sosialisasi", budi, minutes_ago=10)
    oldest = await make_report(dashboard.app, RT_1, "rembuk_warga", budi, minutes_ago=300)
    middle = await make_report(dashboard.app, RT_1, "pembentukan_pokja", budi, minutes_ago=60)
    browser = await dashboard.signed_in(await dashboard.person("Dewi Lubis"))
    shown, page = [], (await browser.get("/tinjauan")).text
    for _ in range(4):
        shown.append(int(re.search(r'action="/tinjauan/(\d+)/setujui"', page).group(1)))
        following = re.search(r'id="berikutnya" href="/tinjauan/(\d+)"', page).group(1)
        page = (await browser.get(f"/tinjauan/{following}")).text
    assert shown == [oldest, middle, newest, oldest]
    assert "Laporan ke-2 dari 3 yang menunggu diperiksa" in (await browser.get(f"/tinjauan/{middle}")).text


async def test_approving_tells_the_sender_as_the_bot_does_and_shows_the_next_report(dashboard: Dashboard) -> None:
    budi, older, newer = await two_reports(dashboard)
    dewi = await dashboard.person("Dewi Lubis")
    browser = await dashboard.signed_in(dewi)
    page = await browser.get("/tinjauan")
    response = await browser.post(f"/tinjauan/{older}/setujui", data={"csrf": csrf_of(page.text)})
    assert response.status_code == 200
    assert "✅ Disetujui: RT 001 Kel. Simpang IV Sipin (Kelompok A) — Rembuk Warga." in response.text
    assert "Budi sudah diberi tahu." in response.text
    assert "Tahap: Pembentukan Pokja" in response.text and f'action="/tinjauan/{newer}/setujui"' in response.text
    assert "Laporan ke-1 dari 1 yang menunggu diperiksa" in response.text
    assert f'action="/laporan/{older}/contoh"' in response.text  # the approved one can be marked as an example
    status, reviewed_by, _reason, _contoh, _outbox, _audit = await state(dashboard, older)
    assert (status, reviewed_by) == (ReportStatus.DISETUJUI, dewi.id)
    [notice] = await outbox_of(dashboard, budi)
    assert notice.payload["text"] == APPROVED_TEXT
    assert notice.payload["purpose"] == "pemberitahuan" and notice.external_id == f"tg-{budi.id}"
    async with dashboard.app.db.unit_of_work() as session:
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "report.disetujui"))
    assert (audit.entity_id, audit.person_id, audit.actor) == (str(older), dewi.id, f"web:{dewi.id}")
    done = await browser.post(f"/tinjauan/{newer}/setujui", data={"csrf": csrf_of(page.text)})
    assert EMPTY in done.text and "Pembentukan Pokja" in done.text


async def test_approving_the_funds_tells_the_ketua_too(dashboard: Dashboard) -> None:
    budi = await ketua(dashboard)
    sari = await ketua(dashboard, "Sari", RT_1, Role.BENDAHARA)
    money = await make_report(dashboard.app, RT_1, "pencairan_dana", sari, answers={"jumlah": 70_000_000})
    browser = await dashboard.signed_in(await dashboard.person("Dewi Lubis"))
    page = await browser.get(f"/tinjauan/{money}")
    await browser.post(f"/tinjauan/{money}/setujui", data={"csrf": csrf_of(page.text)})
    [to_sari] = await outbox_of(dashboard, sari)
    [to_budi] = await outbox_of(dashboard, budi)
    assert "Pencairan Dana" in to_sari.payload["text"]
    assert "✅ Dana RT 001 Kel. Simpang IV Sipin sudah dikonfirmasi diterima: Rp70.000.000" in to_budi.payload["text"]


async def test_sending_back_without_a_reason_changes_nothing(dashboard: Dashboard) -> None:
    _budi, older, _newer = await two_reports(dashboard)
    browser = await dashboard.signed_in(await dashboard.person("Dewi Lubis"))
    page = await browser.get("/tinjauan")
    before = await state(dashboard, older)
    for reason in ("", "   "):
        response = await browser.post(
            f"/tinjauan/{older}/kembalikan", data={"csrf": csrf_of(page.text), "alasan": reason, "perbaiki": "foto"}
        )
        assert response.status_code == 400
        assert "Alasannya kosong. Tulis apa yang harus diperbaiki." in response.text
        assert 'value="foto" checked' in response.text  # what was ticked stays ticked
    too_long = await browser.post(
        f"/tinjauan/{older}/kembalikan", data={"csrf": csrf_of(page.text), "alasan": "x" * 501}
    )
    assert too_long.status_code == 400 and "(501 huruf)" in too_long.text
    assert await state(dashboard, older) == before


async def test_sending_back_with_a_reason_and_parts_to_fix(dashboard: Dashboard) -> None:
    budi, older, _newer = await two_reports(dashboard)
    dewi = await dashboard.person("Dewi Lubis")
    browser = await dashboard.signed_in(dewi)
    page = await browser.get("/tinjauan")
    for part in ("tanggal", "isian", "foto"):
        assert f'name="perbaiki" value="{part}"' in page.text
    response = await browser.post(
        f"/tinjauan/{older}/kembalikan",
        data={"csrf": csrf_of(page.text), "alasan": "  Foto daftar hadir buram.  ", "perbaiki": ["foto", "tanggal"]},
    )
    assert response.status_code == 200
    assert "↩️ Dikembalikan dengan alasan tadi: RT 001 Kel. Simpang IV Sipin (Kelompok A) — Rembuk Warga." in (
        response.text
    )
    async with dashboard.app.db.unit_of_work() as session:
        report = await session.get(StageReport, older)
    assert (report.status, report.review_reason, report.review_fix, report.reviewed_by_id) == (
        ReportStatus.DIKEMBALIKAN,
        "Foto daftar hadir buram.",
        ["tanggal", "foto"],
        dewi.id,
    )
    [notice] = await outbox_of(dashboard, budi)
    assert notice.payload["text"] == (
        "↩️ Laporan Rembuk Warga (RT 001 Kel. Simpang IV Sipin) dikembalikan oleh Dewi Lubis (Pendamping) untuk "
        "diperbaiki.\nAlasan: Foto daftar hadir buram.\nYang perlu diperbaiki: tanggal, foto.\n"
        "Mohon perbaiki, lalu kirim laporannya lagi dengan /lapor."
    )


async def test_without_the_csrf_token_nothing_is_decided(dashboard: Dashboard) -> None:
    _budi, older, _newer = await two_reports(dashboard)
    browser = await dashboard.signed_in(await dashboard.person("Dewi Lubis"))
    before = await state(dashboard, older)
    for data in ({}, {"csrf": "x" * 43}):
        assert (await browser.post(f"/tinjauan/{older}/setujui", data=data)).status_code == 403
        assert (await browser.post(f"/tinjauan/{older}/kembalikan", data={**data, "alasan": "x"})).status_code == 403
    assert await state(dashboard, older) == before


async def test_a_pendamping_of_other_rts_sees_and_decides_nothing(dashboard: Dashboard) -> None:
    _budi, older, _newer = await two_reports(dashboard)
    browser = await dashboard.signed_in(await dashboard.person("Rudi Saputra"))
    queue = await browser.get("/tinjauan")
    assert EMPTY in queue.text and "Simpang IV Sipin" not in queue.text
    for path in (f"/tinjauan/{older}", f"/laporan/{older}"):
        refused = await browser.get(path)
        assert refused.status_code == 403 and "Rembuk Warga" not in refused.text, path
    before = await state(dashboard, older)
    csrf = csrf_of(queue.text)
    assert (await browser.post(f"/tinjauan/{older}/setujui", data={"csrf": csrf})).status_code == 403
    sent_back = await browser.post(f"/tinjauan/{older}/kembalikan", data={"csrf": csrf, "alasan": "Tidak jelas."})
    assert sent_back.status_code == 403
    assert await state(dashboard, older) == before


async def test_an_unknown_report_is_not_found(dashboard: Dashboard) -> None:
    browser = await dashboard.signed_in(await dashboard.person("Dewi Lubis"))
    page = await browser.get("/tinjauan")
    assert (await browser.get("/tinjauan/999")).status_code == 404
    assert (await browser.get("/laporan/999")).status_code == 404
    assert (await browser.post("/tinjauan/999/setujui", data={"csrf": csrf_of(page.text)})).status_code == 404


async def test_a_report_decided_meanwhile_says_who_decided_it(dashboard: Dashboard) -> None:
    budi, older, _newer = await two_reports(dashboard)
    dewi = await dashboard.signed_in(await dashboard.person("Dewi Lubis"))
    admin = await dashboard.signed_in(await dashboard.person("Ani Admin"))
    dewi_page = await dewi.get(f"/tinjauan/{older}")
    admin_page = await admin.get(f"/tinjauan/{older}")
    await admin.post(f"/tinjauan/{older}/setujui", data={"csrf": csrf_of(admin_page.text)})
    before = await state(dashboard, older)
    late = await dewi.post(
        f"/tinjauan/{older}/kembalikan", data={"csrf": csrf_of(dewi_page.text), "alasan": "Foto buram."}
    )
    assert late.status_code == 409
    assert "Laporan ini sudah diperiksa: disetujui oleh Ani Admin (Admin DPMPPA) pada" in late.text
    assert await state(dashboard, older) == before
    assert len(await outbox_of(dashboard, budi)) == 1


async def test_an_approved_report_can_be_marked_as_an_example_and_unmarked(dashboard: Dashboard) -> None:
    _budi, older, newer = await two_reports(dashboard)
    dewi = await dashboard.person("Dewi Lubis")
    browser = await dashboard.signed_in(dewi)
    page = await browser.get(f"/tinjauan/{older}")
    csrf = csrf_of(page.text)
    waiting = await browser.post(f"/laporan/{newer}/contoh", data={"csrf": csrf, "aksi": "tandai"})
    assert waiting.status_code == 409 and "Hanya laporan yang sudah disetujui" in waiting.text
    await browser.post(f"/tinjauan/{older}/setujui", data={"csrf": csrf})
    assert (await browser.post(f"/laporan/{older}/contoh", data={"aksi": "tandai"})).status_code == 403
    marked = await browser.post(f"/laporan/{older}/contoh", data={"csrf": csrf, "aksi": "tandai"})
    assert (marked.status_code, marked.headers["location"]) == (303, f"/laporan/{older}")
    report_page = await browser.get(f"/laporan/{older}")
    assert "Ditandai sebagai contoh oleh Dewi Lubis pada" in report_page.text
    assert "Hapus dari contoh" in report_page.text
    async with dashboard.app.db.unit_of_work() as session:
        report = await session.get(StageReport, older)
        assert report.contoh_at is not None and report.contoh_by_id == dewi.id
        actions = list(await session.scalars(select(AuditLog.action).where(AuditLog.entity_id == str(older))))
    assert actions.count("report.contoh") == 1
    # Another pendamping may not touch it.
    rudi = await dashboard.signed_in(await dashboard.person("Rudi Saputra"))
    rudi_csrf = csrf_of((await rudi.get("/tinjauan")).text)
    assert (await rudi.post(f"/laporan/{older}/contoh", data={"csrf": rudi_csrf, "aksi": "hapus"})).status_code == 403
    unmarked = await browser.post(f"/laporan/{older}/contoh", data={"csrf": csrf, "aksi": "hapus"})
    assert unmarked.status_code == 303
    async with dashboard.app.db.unit_of_work() as session:
        report = await session.get(StageReport, older)
        assert (report.contoh_at, report.contoh_by_id) == (None, None)
    assert "Tandai sebagai contoh untuk RT lain" in (await browser.get(f"/laporan/{older}")).text


async def test_the_report_page_is_read_only_for_a_waiting_report(dashboard: Dashboard) -> None:
    _budi, older, _newer = await two_reports(dashboard)
    browser = await dashboard.signed_in(await dashboard.person("Ani Admin"))
    page = await browser.get(f"/laporan/{older}")
    assert page.status_code == 200 and "Tahap: Rembuk Warga" in page.text
    assert "/setujui" not in page.text and "/contoh" not in page.text.replace("/contoh di bot", "")
    async with dashboard.app.db.unit_of_work() as session:
        await session.execute(update(StageReport).values(status=ReportStatus.DISETUJUI))
    assert "Tandai sebagai contoh untuk RT lain" in (await browser.get(f"/laporan/{older}")).text
