"""The overview, the RT list, an RT's page and the exports over real HTTP (uvicorn on 127.0.0.1), on SQLite and
PostgreSQL: who gets what (anonymous, a Ketua RT, another RT's pendamping, the RT's pendamping, an admin), and that
the pages and files show the data of services/rt_table.py."""

import asyncio
import csv
import html
import io
import re
import zipfile

import openpyxl
import pytest
from sqlalchemy import select, update

from services import web_sessions
from services.models import Media, Person, Role
from services.problems import ProblemError
from tests.bot.dashboard.running import Dashboard
from tests.services.dashboard_town import RT1, RT2, RT3, Town, build

PAGES = ("/", "/rt", "/rt?kelompok=A", "/rt/ekspor.csv", "/rt/ekspor.xlsx")


@pytest.fixture
async def town(dashboard: Dashboard, program) -> Town:
    # The town's roster joins the dashboard's small one (same Dewi Lubis and Rudi Saputra, two more RTs).
    return await build(dashboard.app.db, program, dashboard.app.settings.media_dir)


def rt_paths(town: Town, kode: str) -> tuple[str, str]:
    return f"/rt/{town.rts[kode].id}", f"/rt/{town.rts[kode].id}/bukti.zip"


async def test_without_a_session_everything_sends_to_sign_in(dashboard: Dashboard, town: Town) -> None:
    browser = dashboard.browser()
    for path in (*PAGES, *rt_paths(town, RT1), "/kelurahan/15.71.01.1001/bukti.zip"):
        response = await browser.get(path)
        assert (response.status_code, response.headers.get("location")) == (303, "/masuk"), path


async def test_a_ketua_rt_gets_no_dashboard(dashboard: Dashboard, town: Town) -> None:
    async with dashboard.app.db.unit_of_work() as session:
        ketua = await session.get(Person, town.ketua_1.id)
        with pytest.raises(ProblemError) as refused:
            await web_sessions.issue_link(session, ketua, dashboard.app.pepper, now=dashboard.app.clock(), actor="t")
    assert refused.value.problems[0].code == "web_not_allowed"
    # A pendamping who becomes a Ketua RT loses the session at the next request: nothing of any RT is shown.
    browser = await dashboard.signed_in(town.rudi)
    assert (await browser.get("/rt")).status_code == 200
    async with dashboard.app.db.unit_of_work() as session:
        await session.execute(update(Person).where(Person.id == town.rudi.id).values(role=Role.KETUA_RT))
    for path in (*PAGES, *rt_paths(town, RT3)):
        response = await browser.get(path)
        assert response.status_code == 303 and "RT 001" not in response.text, path


async def test_another_rts_pendamping_is_refused(dashboard: Dashboard, town: Town) -> None:
    browser = await dashboard.signed_in(town.rudi)
    page, pack = rt_paths(town, RT1)
    assert (await browser.get(page)).status_code == 403
    assert (await browser.get(pack)).status_code == 403
    assert (await browser.get("/kelurahan/15.71.01.1001/bukti.zip")).status_code == 403
    assert (await browser.get("/rt/999999")).status_code == 404
    assert (await browser.get("/kelurahan/99.99/bukti.zip")).status_code == 404
    listed = (await browser.get("/rt")).text
    assert "Kel. Pasir Putih" in listed and "Simpang IV Sipin" not in listed  # nor in the form's kelurahan
    # Asking for Dewi's RTs by filter shows none of them.
    dewi_filter = (await browser.get(f"/rt?pendamping_id={town.dewi.id}")).text
    assert "Simpang IV Sipin" not in dewi_filter.split("<tbody>")[-1]
    exported = (await browser.get("/rt/ekspor.csv")).content.decode("utf-8-sig")
    assert RT3 in exported and RT1 not in exported
    async with dashboard.app.db.unit_of_work() as session:
        photo = await session.scalar(select(Media.id).where(Media.rt_id == town.rts[RT1].id))
    assert (await browser.get(f"/media/{photo}")).status_code == 403


async def test_the_rts_pendamping_sees_its_page_and_its_evidence(dashboard: Dashboard, town: Town) -> None:
    browser = await dashboard.signed_in(town.dewi)
    page_path, pack_path = rt_paths(town, RT1)
    page = await browser.get(page_path)
    assert page.status_code == 200
    text = html.unescape(page.text)
    async with dashboard.app.db.unit_of_work() as session:
        photos = list(await session.scalars(select(Media).where(Media.rt_id == town.rts[RT1].id).order_by(Media.id)))
    for expected in (
        "RT 001 Kel. Simpang IV Sipin",
        "Rembuk Warga",
        "Jumlah warga yang hadir: 150",
        "Rp70.000.000",
        "Rp10.000.000",
        f'<a href="/media/{photos[0].id}" target="_blank" rel="noopener"><img src="/media/{photos[0].id}?thumb=1"',
    ):
        assert expected in text, expected
    full = await browser.get(f"/media/{photos[0].id}")
    assert full.status_code == 200 and full.content == town.photos[photos[0].path]
    pack = await browser.get(pack_path)
    assert pack.status_code == 200 and pack.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(pack.content)) as archive:
        names = archive.namelist()
        stored = sorted(archive.read(n) for n in names if n.startswith("sosialisasi/"))
    assert stored == sorted(town.photos.values())
    assert "ringkasan.xlsx" in names
    # The temp file is deleted once sent (just after the response, so give it a moment).
    for _ in range(100):
        if not list((dashboard.app.settings.data_dir / "tmp").iterdir()):
            break
        await asyncio.sleep(0.02)
    assert not list((dashboard.app.settings.data_dir / "tmp").iterdir())


async def test_an_admin_follows_an_overview_number_to_exactly_its_rts(dashboard: Dashboard, town: Town) -> None:
    browser = await dashboard.signed_in(await dashboard.person("Ani Admin"))
    overview = await browser.get("/")
    assert overview.status_code == 200
    assert "<svg" in overview.text and "<script" not in overview.text
    links = re.findall(r'<a href="(/rt\?[^"]+)"[^>]*>([\d.]+)</a>', overview.text)
    assert len(links) > 100
    for href, shown in links[:: max(1, len(links) // 12)]:
        listed = await browser.get(html.unescape(href))
        total = re.search(r"(\d+) RT · halaman", listed.text)
        count = int(total.group(1)) if total else 0
        assert count == int(shown.replace(".", "")), href
    mismatch = html.unescape(re.search(r'href="(/rt\?fund_mismatch=1)"', overview.text).group(1))
    assert RT2 in (await browser.get(mismatch.replace("/rt?", "/rt/ekspor.csv?"))).text


async def test_the_exports_of_the_filtered_list(dashboard: Dashboard, town: Town) -> None:
    browser = await dashboard.signed_in(await dashboard.person("Ani Admin"))
    response = await browser.get("/rt/ekspor.csv?kecamatan=15.71.02&sort=-kode")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][0] == "Kode RT" and [line[0] for line in lines[1:]] == ["15.71.02.1002-002", RT3]
    response = await browser.get("/rt/ekspor.xlsx?kelurahan=15.71.01.1001")
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active.values)
    assert [row[0] for row in rows[1:]] == [RT1, RT2]
    pack = await browser.get("/kelurahan/15.71.01.1001/bukti.zip")
    with zipfile.ZipFile(io.BytesIO(pack.content)) as archive:
        assert sorted({n.split("/")[0] for n in archive.namelist() if "/" in n}) == [RT1]
