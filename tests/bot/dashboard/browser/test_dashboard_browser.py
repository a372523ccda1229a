"""The dashboard in a real browser (Chromium through Playwright): signing in with a link, signing out, the
simulator and the review queue's keys — with the pages' own scripts running under the Content-Security-Policy."""

import re

from playwright.async_api import Page, expect
from sqlalchemy import select

from services.models import RT, ReportStatus, Role, StageReport
from tests.bot.dashboard.running import Dashboard
from tests.handlers.flows.ketua_setup import FEB_10
from tests.handlers.flows.pendamping import RT_1, make_report
from tests.images import jpeg


async def _sign_in(page: Page, dashboard: Dashboard, nama: str) -> None:
    link = await dashboard.link_for(await dashboard.person(nama))
    await page.goto(dashboard.base_url + link)


async def test_a_link_signs_in_and_the_overview_shows_the_name(page: Page, dashboard: Dashboard) -> None:
    await _sign_in(page, dashboard, "Dewi Lubis")
    await expect(page).to_have_url(dashboard.base_url + "/")
    await expect(page.locator("header .who")).to_contain_text("Dewi Lubis")
    await expect(page.locator("h1")).to_have_text("Ringkasan")


async def test_signing_out_ends_the_session(page: Page, dashboard: Dashboard) -> None:
    await _sign_in(page, dashboard, "Ani Admin")
    await page.get_by_role("button", name="Keluar").click()
    await expect(page).to_have_url(dashboard.base_url + "/masuk")
    await page.goto(dashboard.base_url + "/simulator")
    await expect(page).to_have_url(dashboard.base_url + "/masuk")  # the old cookie opens nothing


async def test_chatting_in_the_simulator(page: Page, dashboard: Dashboard) -> None:
    await _sign_in(page, dashboard, "Dewi Lubis")
    await page.get_by_role("link", name="Simulator").click()
    await page.get_by_role("button", name="Mulai latihan").click()
    await expect(page.locator(".sim-who")).to_contain_text("Ketua RT Latihan")
    message = page.locator("#teks")
    await expect(message).to_be_focused()  # simulator.js ran (a script from 'self', allowed by the CSP)
    await message.fill("/kk")
    await message.press("Enter")
    await expect(page.locator(".sim-bot").last).to_contain_text("berapa KK")
    await page.locator("#teks").fill("45")
    await page.locator("#teks").press("Enter")
    await page.locator(".sim-bot").last.get_by_role("button", name="Simpan").click()
    await expect(page.locator(".sim-bot").last).to_contain_text(re.compile("45 KK"))
    async with dashboard.app.db.unit_of_work() as session:
        training = await session.scalar(select(RT).where(RT.latihan.is_(True)))
    assert training.jumlah_kk == 45


async def test_a_photo_chosen_in_the_file_picker_reaches_the_report(page: Page, dashboard: Dashboard, tmp_path) -> None:
    dashboard.app.clock = lambda: FEB_10  # Kelompok A's sosialisasi (January) is overdue: it can be reported
    await _sign_in(page, dashboard, "Dewi Lubis")
    await page.goto(dashboard.base_url + "/simulator")
    await page.get_by_role("button", name="Mulai latihan").click()
    await page.locator("#teks").fill("/lapor")
    await page.locator("#teks").press("Enter")
    await page.locator(".sim-bot").last.get_by_role("button", name="Sosialisasi").click()
    await page.locator(".sim-bot").last.get_by_role("button", name="Kemarin").click()
    photo = tmp_path / "rapat.jpg"
    photo.write_bytes(jpeg(3))
    await page.locator("input[type=file]").set_input_files(photo)
    await page.get_by_role("button", name="Kirim berkas").click()
    await expect(page.locator(".sim-mine").last).to_contain_text("rapat.jpg")
    await expect(page.locator(".sim-bot").last).to_contain_text("Sudah diterima: 1 foto.")
    await page.locator(".sim-bot").last.get_by_role("button", name="Selesai kirim").click()
    await page.locator(".sim-bot").last.get_by_role("button", name="Kirim", exact=True).click()
    await expect(page.locator(".sim-bot").last).to_contain_text("sudah terkirim")


async def test_the_review_queue_approves_with_the_a_key(page: Page, dashboard: Dashboard) -> None:
    budi = await dashboard.add_person("Budi", Role.KETUA_RT, RT_1)
    report_id = await make_report(dashboard.app, RT_1, "rembuk_warga", budi, minutes_ago=30, photos=1)
    await _sign_in(page, dashboard, "Dewi Lubis")
    await page.get_by_role("link", name="Periksa").click()
    # The overview names stages too: wait for the review page itself, its deferred tinjauan.js run, before a key.
    await expect(page).to_have_url(re.compile(r"/tinjauan"))
    await page.wait_for_load_state("domcontentloaded")
    await expect(page.locator("main")).to_contain_text("Rembuk Warga")
    await page.keyboard.press("k")  # tinjauan.js: the send-back reason, typed keys are text there
    await expect(page.locator("#alasan")).to_be_focused()
    await page.keyboard.type("a")
    await expect(page.locator("#alasan")).to_have_value("a")
    await page.locator("h1").click()  # out of the field: now "a" approves
    await page.keyboard.press("a")
    await expect(page.locator(".notice")).to_contain_text("Disetujui: RT 001 Kel. Simpang IV Sipin")
    async with dashboard.app.db.unit_of_work() as session:
        assert (await session.get(StageReport, report_id)).status == ReportStatus.DISETUJUI
