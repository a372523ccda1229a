"""Roster import: all rows validated, all or nothing, re-import updates by RT code. SQLite and PostgreSQL."""

import openpyxl
import pytest
from sqlalchemy import func, select

from services import roster, wilayah
from services.models import RT, JumlahKKHistory, Kecamatan, Kelurahan, Person, Role
from services.problems import ProblemError

HEADER = "kode_kelurahan,rt,kelompok,jumlah_kk,pilot_2025,pendamping"


async def import_csv(db, program, tmp_path, lines: list[str]) -> roster.ImportSummary:
    path = tmp_path / "roster.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    async with db.unit_of_work() as session:
        await wilayah.ensure_wilayah(session)
        rows = roster.validate_rows(roster.read_table(path), await roster.known_kelurahan(session), program)
        return await roster.import_rows(session, rows, actor="test")


async def count(db, model) -> int:
    async with db.unit_of_work() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_wilayah_has_11_kecamatan_and_68_kelurahan(db):
    async with db.unit_of_work() as session:
        assert await wilayah.ensure_wilayah(session) == 68
        assert await wilayah.ensure_wilayah(session) == 0
    assert await count(db, Kecamatan) == 11
    assert await count(db, Kelurahan) == 68


async def test_import_creates_rts_with_codes_and_history(db, program, tmp_path):
    summary = await import_csv(
        db,
        program,
        tmp_path,
        ["15.71.01.1001,3,A,87,ya,Dewi Lubis", "15.71.01.1001,4,b,,tidak,0812-7300-1234"],
    )
    assert (summary.created, summary.updated) == (2, 0)
    async with db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == "15.71.01.1001-003"))
        assert (rt.kelompok, rt.jumlah_kk, rt.pilot_2025) == ("A", 87, True)
        other = await session.scalar(select(RT).where(RT.kode == "15.71.01.1001-004"))
        assert (other.kelompok, other.jumlah_kk) == ("B", None)
        pendamping = await session.get(Person, other.pendamping_id)
        assert (pendamping.role, pendamping.phone) == (Role.PENDAMPING, "+6281273001234")
        history = list(await session.scalars(select(JumlahKKHistory)))
        assert [(h.old, h.new, h.source) for h in history] == [(None, 87, "roster")]


async def test_bad_rows_are_all_listed_and_nothing_is_imported(db, program, tmp_path):
    lines = [
        "15.71.01.1001,1,A,80,ya,Dewi",
        "15.71.99.9999,2,A,80,tidak,Dewi",  # unknown kelurahan
        "15.71.01.1001,0,A,80,tidak,Dewi",  # RT 0
        "15.71.01.1001,5,C,80,tidak,Dewi",  # kelompok C
        "15.71.01.1001,6,A,seratus,tidak,Dewi",  # KK in words
        "15.71.01.1001,1,B,90,tidak,Dewi",  # duplicate of row 2
        "15.71.01.1001,²,A,80,tidak,Dewi",  # a digit int() refuses
        "15.71.01.1001,9,A,8²,tidak,Dewi",
    ]
    with pytest.raises(ProblemError) as caught:
        await import_csv(db, program, tmp_path, lines)
    found = [(p.where, p.code) for p in caught.value.problems]
    assert found == [
        ("3", "roster_unknown_kelurahan"),
        ("4", "roster_bad_rt"),
        ("5", "roster_bad_kelompok"),
        ("6", "roster_bad_kk"),
        ("7", "roster_duplicate_rt"),
        ("8", "roster_bad_rt"),
        ("9", "roster_bad_kk"),
    ]
    assert await count(db, RT) == 0
    assert await count(db, Person) == 0


async def test_reimport_updates_by_code_and_never_duplicates(db, program, tmp_path):
    await import_csv(db, program, tmp_path, ["15.71.01.1001,1,A,80,tidak,Dewi", "15.71.01.1001,2,A,50,tidak,Dewi"])
    summary = await import_csv(
        db, program, tmp_path, ["15.71.01.1001,1,B,120,ya,Dewi", "15.71.01.1001,2,A,,tidak,Dewi"]
    )
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 1)
    assert await count(db, RT) == 2
    assert await count(db, Person) == 1
    async with db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == "15.71.01.1001-001"))
        assert (rt.kelompok, rt.jumlah_kk, rt.pilot_2025) == ("B", 120, True)
        kept = await session.scalar(select(RT).where(RT.kode == "15.71.01.1001-002"))
        assert kept.jumlah_kk == 50  # an empty cell never wipes a registered count
        history = [(h.old, h.new) for h in await session.scalars(select(JumlahKKHistory).order_by(JumlahKKHistory.id))]
        assert history == [(None, 80), (None, 50), (80, 120)]


async def test_xlsx_roster(db, program, tmp_path):
    path = tmp_path / "roster.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(["15.71.02.1002", 7, "A", 61, "tidak", None])
    sheet.append([None] * 6)
    sheet.append(["15.71.02.1002", 8.0, "B", 100.0, "ya", "Rudi"])
    workbook.save(path)
    async with db.unit_of_work() as session:
        await wilayah.ensure_wilayah(session)
        rows = roster.validate_rows(roster.read_table(path), await roster.known_kelurahan(session), program)
        await roster.import_rows(session, rows, actor="test")
    async with db.unit_of_work() as session:
        codes = {rt.kode: rt.jumlah_kk for rt in await session.scalars(select(RT))}
    assert codes == {"15.71.02.1002-007": 61, "15.71.02.1002-008": 100}


def test_missing_columns_and_wrong_format(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("kode_kelurahan,rt\n15.71.01.1001,1\n")
    with pytest.raises(ProblemError) as caught:
        roster.read_table(path)
    assert caught.value.problems[0].code == "roster_missing_columns"
    with pytest.raises(ProblemError) as wrong:
        roster.read_table(tmp_path / "roster.ods")
    assert wrong.value.problems[0].code == "roster_bad_format"


def test_semicolon_csv_from_indonesian_excel(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(HEADER.replace(",", ";") + "\n15.71.01.1001;1;A;80;ya;Dewi\n", encoding="utf-8-sig")
    assert roster.read_table(path)[0]["kelompok"] == "A"
