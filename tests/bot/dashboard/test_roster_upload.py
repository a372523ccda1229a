"""Uploading the RT roster on the dashboard: the CLI's validation and import over real HTTP (uvicorn), on SQLite
and PostgreSQL — every bad row listed with its number, nothing imported on any error, admins only, CSRF."""

import io

import openpyxl
from sqlalchemy import func, select

from handlers.dashboard.roster import MAX_UPLOAD_BYTES
from services.models import RT, AuditLog
from tests.bot.dashboard.running import Dashboard, csrf_of

HEADER = "kode_kelurahan,rt,kelompok,jumlah_kk,pilot_2025,pendamping\n"


async def _rts(dashboard: Dashboard) -> dict[str, RT]:
    async with dashboard.app.db.unit_of_work() as session:
        return {rt.kode: rt for rt in await session.scalars(select(RT))}


async def _admin(dashboard: Dashboard):
    browser = await dashboard.signed_in(await dashboard.person("Ani Admin"))
    form = await browser.get("/roster")
    assert form.status_code == 200
    return browser, csrf_of(form.text)


async def test_the_form_shows_the_columns_and_an_example(dashboard: Dashboard) -> None:
    browser, _csrf = await _admin(dashboard)
    page = (await browser.get("/roster")).text
    assert "kode_kelurahan" in page and "pilot_2025" in page and "15.71.01.1001,1,A,87,ya,Dewi Lubis" in page
    assert 'enctype="multipart/form-data"' in page and "5 MB" in page


async def test_a_good_csv_is_imported_with_the_counts(dashboard: Dashboard) -> None:
    browser, csrf = await _admin(dashboard)
    csv = HEADER + (
        "15.71.01.1001,1,A,87,ya,Dewi Lubis\n"  # unchanged
        "15.71.01.1001,2,B,,tidak,Dewi Lubis\n"  # kelompok A -> B: updated
        "15.71.01.1002,4,B,65,tidak,Rudi Saputra\n"  # new
    )
    response = await browser.post(
        "/roster", data={"csrf": csrf}, files={"berkas": ("roster.csv", csv.encode(), "text/csv")}
    )
    assert response.status_code == 200, response.text
    assert "3 RT: 1 baru, 1 diperbarui, 1 tidak berubah." in response.text
    rts = await _rts(dashboard)
    assert rts["15.71.01.1002-004"].jumlah_kk == 65 and rts["15.71.01.1001-002"].kelompok == "B"
    async with dashboard.app.db.unit_of_work() as session:
        actors = set(await session.scalars(select(AuditLog.actor).where(AuditLog.action == "roster.import")))
    assert any(actor.startswith("web:") for actor in actors)


async def test_an_xlsx_is_imported(dashboard: Dashboard) -> None:
    browser, csrf = await _admin(dashboard)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["kode_kelurahan", "rt", "kelompok", "jumlah_kk", "pilot_2025", "pendamping"])
    sheet.append(["15.71.01.1002", 7, "A", 140, "ya", "Rudi Saputra"])  # numbers as Excel stores them
    buffer = io.BytesIO()
    workbook.save(buffer)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = await browser.post(
        "/roster", data={"csrf": csrf}, files={"berkas": ("Daftar RT.xlsx", buffer.getvalue(), xlsx)}
    )
    assert response.status_code == 200, response.text
    assert "1 RT: 1 baru, 0 diperbarui, 0 tidak berubah." in response.text
    rt = (await _rts(dashboard))["15.71.01.1002-007"]
    assert (rt.jumlah_kk, rt.kelompok, rt.pilot_2025) == (140, "A", True)


async def test_two_bad_rows_are_both_listed_and_nothing_is_imported(dashboard: Dashboard) -> None:
    browser, csrf = await _admin(dashboard)
    before = await _rts(dashboard)
    csv = HEADER + (
        "15.71.01.1002,4,B,65,tidak,Rudi Saputra\n"  # row 2: fine, and must not be imported either
        "99.99.99.9999,5,A,10,tidak,\n"  # row 3: unknown kelurahan
        "15.71.01.1001,2,B,,tidak,Dewi Lubis\n"  # row 4: fine
        "15.71.01.1001,6,C,10,tidak,\n"  # row 5: kelompok C
    )
    response = await browser.post(
        "/roster", data={"csrf": csrf}, files={"berkas": ("roster.csv", csv.encode(), "text/csv")}
    )
    assert response.status_code == 400
    assert "tidak ada yang diimpor" in response.text.lower()
    assert "baris 3: kode_kelurahan &#39;99.99.99.9999&#39;" in response.text
    assert "baris 5: kelompok &#39;C&#39;" in response.text
    assert "baris 2" not in response.text and "baris 4" not in response.text
    after = await _rts(dashboard)
    assert set(after) == set(before) and after["15.71.01.1001-002"].kelompok == "A"


async def test_a_file_that_is_not_a_roster_is_refused_with_a_reason(dashboard: Dashboard) -> None:
    browser, csrf = await _admin(dashboard)
    wrong_columns = await browser.post(
        "/roster", data={"csrf": csrf}, files={"berkas": ("x.csv", b"nama,alamat\nA,B\n", "text/csv")}
    )
    assert wrong_columns.status_code == 400 and "kode_kelurahan" in wrong_columns.text
    not_xlsx = await browser.post(
        "/roster", data={"csrf": csrf}, files={"berkas": ("x.xlsx", b"not a workbook", "application/octet-stream")}
    )
    assert not_xlsx.status_code == 400 and "tidak bisa dibaca" in not_xlsx.text
    pdf = await browser.post(
        "/roster", data={"csrf": csrf}, files={"berkas": ("x.pdf", b"%PDF-1.4", "application/pdf")}
    )
    assert pdf.status_code == 400 and ".pdf" in pdf.text


async def test_a_file_over_the_limit_is_refused_with_the_limit(dashboard: Dashboard) -> None:
    browser, csrf = await _admin(dashboard)
    big = (HEADER + "15.71.01.1002,4,B,65,tidak,Rudi Saputra\n").encode() + b" " * MAX_UPLOAD_BYTES
    before = await _rts(dashboard)
    response = await browser.post("/roster", data={"csrf": csrf}, files={"berkas": ("roster.csv", big, "text/csv")})
    assert response.status_code == 413 and "5 MB" in response.text
    assert set(await _rts(dashboard)) == set(before)


async def test_a_pendamping_is_refused(dashboard: Dashboard) -> None:
    browser = await dashboard.signed_in(await dashboard.person("Dewi Lubis"))
    assert (await browser.get("/roster")).status_code == 403
    csrf = csrf_of((await browser.get("/")).text)
    csv = HEADER + "15.71.01.1002,4,B,65,tidak,Rudi Saputra\n"
    response = await browser.post(
        "/roster", data={"csrf": csrf}, files={"berkas": ("roster.csv", csv.encode(), "text/csv")}
    )
    assert response.status_code == 403
    assert "15.71.01.1002-004" not in await _rts(dashboard)


async def test_without_the_csrf_token_nothing_is_imported(dashboard: Dashboard) -> None:
    browser, _csrf = await _admin(dashboard)
    csv = HEADER + "15.71.01.1002,4,B,65,tidak,Rudi Saputra\n"
    for data in ({}, {"csrf": "x" * 43}):
        response = await browser.post("/roster", data=data, files={"berkas": ("roster.csv", csv.encode(), "text/csv")})
        assert response.status_code == 403
    assert "15.71.01.1002-004" not in await _rts(dashboard)
    async with dashboard.app.db.unit_of_work() as session:
        imports = await session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "roster.import")
        )
    assert imports == 1  # the test roster's own import only
