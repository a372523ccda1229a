"""The RT list in a real browser (Chromium through Playwright): the filter form, the overview's numbers leading to
exactly their RTs, and the XLSX export of a filtered list saved from a download and opened with openpyxl.

The city is tests/services/dashboard_town.py joined to the dashboard's small roster: five RTs, two kecamatan."""

import re

import openpyxl
import pytest
from playwright.async_api import Page, expect

from tests.bot.dashboard.running import Dashboard
from tests.services.dashboard_town import RT1, RT2, RT3, RT4, Town, build

ROWS = "table.rt-list tbody tr"


@pytest.fixture
async def town(dashboard: Dashboard, program) -> Town:
    return await build(dashboard.app.db, program, dashboard.app.settings.media_dir)


async def _sign_in_as_admin(page: Page, dashboard: Dashboard) -> None:
    link = await dashboard.link_for(await dashboard.person("Ani Admin"))
    await page.goto(dashboard.base_url + link)
    await expect(page.locator("h1")).to_have_text("Ringkasan")


async def _listed(page: Page) -> list[str]:
    """The RT names in the list's rows, in order (the first cell's link)."""
    return await page.locator(ROWS).locator("td:first-child > a").all_inner_texts()


async def _filter(page: Page, **chosen: str) -> None:
    form = page.locator("form.filters")
    for name, value in chosen.items():
        await form.locator(f'select[name="{name}"]').select_option(value)
    async with page.expect_navigation():
        await form.get_by_role("button", name="Tampilkan", exact=True).click()


async def test_the_filter_form_shows_exactly_the_chosen_rts(page: Page, dashboard: Dashboard, town: Town) -> None:
    await _sign_in_as_admin(page, dashboard)
    await page.get_by_role("link", name="Daftar RT", exact=True).click()
    await expect(page.locator(ROWS)).to_have_count(5)  # the whole city (training RTs are never listed)

    await _filter(page, kecamatan="15.71.02", kelompok="B")
    await expect(page).to_have_url(re.compile(r"/rt\?.*kecamatan=15\.71\.02.*kelompok=B"))
    await expect(page.locator(ROWS)).to_have_count(2)
    assert await _listed(page) == ["RT 001 Kel. Pasir Putih", "RT 002 Kel. Pasir Putih"]
    await expect(page.locator("main")).to_contain_text("2 RT · halaman 1 dari 1")
    # The form keeps what was chosen.
    await expect(page.locator('select[name="kecamatan"]')).to_have_value("15.71.02")

    # A stage status: only RT 1 has its rembuk warga approved.
    await _filter(page, kecamatan="", kelompok="A", stage="rembuk_warga", status="selesai")
    await expect(page.locator(ROWS)).to_have_count(1)
    assert await _listed(page) == ["RT 001 Kel. Simpang IV Sipin"]
    await expect(page.locator("main")).to_contain_text("1 RT · halaman 1 dari 1")

    # Nothing matches: the list says so.
    await _filter(page, kelompok="B", stage="rembuk_warga", status="selesai")
    await expect(page.locator(ROWS)).to_have_count(0)
    await expect(page.locator("main")).to_contain_text("0 RT · halaman")


async def test_an_overview_number_leads_to_that_many_rts(page: Page, dashboard: Dashboard, town: Town) -> None:
    await _sign_in_as_admin(page, dashboard)
    row = page.get_by_role("row", name=re.compile("RT yang Ketua RT-nya belum terdaftar"))
    number = row.get_by_role("link")
    shown = int(await number.inner_text())
    assert shown == 2  # RT 2 of Pasir Putih (the town's) and RT 003 of the small roster have no Ketua RT
    async with page.expect_navigation():
        await number.click()
    await expect(page).to_have_url(re.compile(r"/rt\?"))
    await expect(page.locator(ROWS)).to_have_count(shown)
    assert sorted(await _listed(page)) == ["RT 002 Kel. Pasir Putih", "RT 003 Kel. Buluran Kenali"]
    await expect(page.locator("main")).to_contain_text(f"{shown} RT · halaman 1 dari 1")


async def test_the_xlsx_export_of_a_filtered_list(page: Page, dashboard: Dashboard, town: Town, tmp_path) -> None:
    await _sign_in_as_admin(page, dashboard)
    await page.goto(dashboard.base_url + "/rt")
    await _filter(page, kelompok="A")
    listed = await _listed(page)
    assert listed == ["RT 001 Kel. Simpang IV Sipin", "RT 002 Kel. Simpang IV Sipin"]
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Unduh XLSX", exact=True).click()
    download = await downloading.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    book = openpyxl.load_workbook(saved, read_only=True)
    rows = list(book.active.values)
    book.close()  # a read-only workbook keeps its file open until closed
    assert rows[0][0] == "Kode RT"
    assert [row[0] for row in rows[1:]] == [RT1, RT2]  # the filtered list, not the city
    assert not {RT3, RT4} & {row[0] for row in rows}
