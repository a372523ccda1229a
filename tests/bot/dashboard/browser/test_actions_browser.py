"""What a click on the dashboard does beyond the page, in a real browser (Chromium through Playwright): an approval
reaching the Ketua RT's Telegram chat through the delivery worker, invitations printed to a PDF whose codes redeem,
and a roster file with a bad row refused with that row's number."""

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select

from services import invitations
from services.models import RT, ReportStatus, Role, StageReport
from services.program import Program
from tests.bot.dashboard.running import Dashboard, running
from tests.fakes.telegram_api import FakeTelegramServer
from tests.handlers.flows.pendamping import RT_1, make_report
from tests.people import add_person

BUDI_CHAT = 7_001
# A page object of a PDF (its page tree is "/Type /Pages"): Chromium writes one per printed page.
PDF_PAGE = re.compile(rb"/Type\s*/Page\b(?!s)")


async def _sign_in(page: Page, dashboard: Dashboard, nama: str) -> None:
    link = await dashboard.link_for(await dashboard.person(nama))
    await page.goto(dashboard.base_url + link)
    await expect(page.locator("h1")).to_have_text("Ringkasan")


async def _rt(dashboard: Dashboard, kode: str) -> RT:
    async with dashboard.app.db.unit_of_work() as session:
        return await session.scalar(select(RT).where(RT.kode == kode))


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer() as server:
        yield server


@pytest.fixture
async def delivering(
    database_url: str, tmp_path: Path, program: Program, pepper: bytes, telegram: FakeTelegramServer
) -> AsyncIterator[Dashboard]:
    """The dashboard with the delivery worker sending as the bot through the fake Telegram server."""
    async with running(database_url, tmp_path, program, pepper, telegram=telegram) as served:
        yield served


async def test_an_approval_in_the_browser_reaches_the_ketua_rts_chat(
    page: Page, delivering: Dashboard, telegram: FakeTelegramServer
) -> None:
    budi = await add_person(
        delivering.app.db, Role.KETUA_RT, rt=await _rt(delivering, RT_1), chat=BUDI_CHAT, nama="Budi"
    )
    report_id = await make_report(delivering.app, RT_1, "rembuk_warga", budi, minutes_ago=30, photos=1)
    await _sign_in(page, delivering, "Dewi Lubis")
    await page.get_by_role("link", name="Periksa", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/tinjauan"))
    await expect(page.locator("main")).to_contain_text("Rembuk Warga")
    assert telegram.sent_messages(BUDI_CHAT) == []  # nothing told before the decision
    await page.get_by_role("button", name="Setujui", exact=True).click()
    await expect(page.locator(".notice")).to_contain_text("Disetujui: RT 001 Kel. Simpang IV Sipin")
    await expect(page.locator(".notice")).to_contain_text("Budi sudah diberi tahu.")
    sent = await telegram.wait_for(
        lambda call: call.method == "sendMessage" and str(call.params.get("chat_id")) == str(BUDI_CHAT), timeout=10
    )
    assert "disetujui oleh Dewi Lubis" in sent.params["text"]
    assert "Rembuk Warga" in sent.params["text"] and "RT 001 Kel. Simpang IV Sipin" in sent.params["text"]
    async with delivering.app.db.unit_of_work() as session:
        assert (await session.get(StageReport, report_id)).status == ReportStatus.DISETUJUI


async def test_printed_invitations_make_a_pdf_page_per_rt_whose_codes_redeem(
    page: Page, dashboard: Dashboard, tmp_path: Path
) -> None:
    await _sign_in(page, dashboard, "Ani Admin")
    await page.goto(dashboard.base_url + "/undangan")
    row = page.get_by_role("row", name=re.compile("Simpang IV Sipin"))
    async with page.expect_navigation():
        await row.get_by_role("button", name="Buat kode dan cetak", exact=True).click()
    await expect(page.locator("section.invitation")).to_have_count(2)
    codes = await page.locator("section.invitation p.code").all_inner_texts()
    headings = await page.locator("section.invitation h2").all_inner_texts()
    assert [h.endswith(f"Ketua RT 00{n} Kel. Simpang IV Sipin") for n, h in enumerate(headings, 1)] == [True, True]

    await page.emulate_media(media="print")
    await expect(page.locator("section.no-print")).to_be_hidden()  # the instructions are not printed
    pdf = tmp_path / "undangan.pdf"
    await page.pdf(path=pdf, format="A4")
    assert len(PDF_PAGE.findall(pdf.read_bytes())) == 2  # one page per RT, nothing spilling over

    async with dashboard.app.db.unit_of_work() as session:
        redeemed = [
            await invitations.redeem_invitation(
                session, dashboard.app.pepper, code, channel="telegram", external_id=str(8_000 + n)
            )
            for n, code in enumerate(codes)
        ]
        kodes = [(await session.get(RT, person.rt_id)).kode for person in redeemed]
    assert kodes == ["15.71.01.1001-001", "15.71.01.1001-002"]
    assert all(person.role == Role.KETUA_RT for person in redeemed)


async def test_a_roster_with_a_bad_row_lists_its_number_and_imports_nothing(
    page: Page, dashboard: Dashboard, tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "kode_kelurahan,rt,kelompok,jumlah_kk,pilot_2025,pendamping\n"
        "15.71.01.1002,4,B,65,tidak,Rudi Saputra\n"  # row 2: fine, yet not imported
        "15.71.01.1001,6,C,10,tidak,\n"  # row 3: kelompok C
    )
    async with dashboard.app.db.unit_of_work() as session:
        before = set(await session.scalars(select(RT.kode)))
    await _sign_in(page, dashboard, "Ani Admin")
    await page.goto(dashboard.base_url + "/roster")
    await page.get_by_label(re.compile("^Berkas")).set_input_files(roster)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Unggah dan impor", exact=True).click()
    problem = page.locator("main")
    await expect(problem).to_contain_text(re.compile("tidak ada yang diimpor", re.IGNORECASE))
    await expect(problem).to_contain_text("baris 3: kelompok 'C'")
    await expect(problem).not_to_contain_text("baris 2")
    async with dashboard.app.db.unit_of_work() as session:
        assert set(await session.scalars(select(RT.kode))) == before
    assert "15.71.01.1002-004" not in before
