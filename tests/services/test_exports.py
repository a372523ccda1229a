"""services/exports.py on SQLite and PostgreSQL: CSV and XLSX of the RT table, the evidence pack ZIP."""

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from services.exports import evidence_pack, table_csv, table_xlsx
from services.rt_filter import RTFilter, Sort
from tests.services.dashboard_town import RT1, RT2, RT3, RT4, TODAY, build

LABELS = {"kode": "Kode RT", "received": "Dana diterima", "yes": "ya", "no": "tidak", "selesai": "Selesai",
          "summary_file": "ringkasan", "sheet_rt": "RT"}  # fmt: skip


@pytest.fixture
async def town(db, program, tmp_path: Path):
    return await build(db, program, tmp_path / "media")


async def test_csv_has_the_callers_header_and_one_line_per_rt(db, program, town):
    async with db.unit_of_work() as session:
        chunks = [c async for c in table_csv(session, program, town.dewi, RTFilter(), TODAY, Sort(), LABELS)]
    text = b"".join(chunks).decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    head = lines[0]
    assert head[0] == "Kode RT" and "Sosialisasi" in head and "Dana diterima" in head
    assert [line[0] for line in lines[1:]] == [RT1, RT2]  # Dewi's RTs only
    one = dict(zip(head, lines[1], strict=True))
    assert (one["Dana diterima"], one["Sosialisasi"], one["pilot"]) == ("70000000", "Selesai", "ya")


async def test_xlsx_opens_with_the_filtered_rows(db, program, town, tmp_path):
    async with db.unit_of_work() as session:
        path = await table_xlsx(
            session, program, town.admin, RTFilter(kecamatan="15.71.02"), TODAY, Sort("kode", True), LABELS,
            folder=tmp_path,
        )  # fmt: skip
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book.active.values)
    book.close()  # a read-only workbook keeps its file open until closed
    path.unlink()
    assert rows[0][0] == "Kode RT" and [r[0] for r in rows[1:]] == [RT4, RT3]
    assert dict(zip(rows[0], rows[1], strict=True))["jumlah_kk"] == 45


async def test_evidence_pack_of_an_rt_has_its_files_in_stage_folders(db, program, town, tmp_path):
    async with db.unit_of_work() as session:
        path = await evidence_pack(session, program, town.store, town.dewi, TODAY, LABELS, rt_id=town.rts[RT1].id,
                                   folder=tmp_path)  # fmt: skip
        refused = await evidence_pack(session, program, town.store, town.rudi, TODAY, LABELS, rt_id=town.rts[RT1].id)
        ketua = await evidence_pack(session, program, town.store, town.ketua_1, TODAY, LABELS, rt_id=town.rts[RT1].id)
    assert refused is None and ketua is None
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        photos = sorted(n for n in names if n.startswith("sosialisasi/"))
        assert "ringkasan.xlsx" in names and len(photos) == 2
        assert sorted(archive.read(n) for n in photos) == sorted(town.photos.values())
        summary = openpyxl.load_workbook(io.BytesIO(archive.read("ringkasan.xlsx")), read_only=True)
    assert summary.sheetnames == ["RT", "sheet_reports", "sheet_funds", "sheet_spending", "sheet_files"]
    funds = list(summary["sheet_funds"].values)
    # Three receipts listed; only the 70 million one counts.
    assert sorted((r[1], r[4]) for r in funds[1:]) == [(3_000_000, "tidak"), (5_000_000, "tidak"), (70_000_000, "ya")]
    assert len(list(summary["sheet_files"].values)) == 3


async def test_evidence_pack_of_a_kelurahan_has_a_folder_per_rt_the_viewer_may_see(db, program, town, tmp_path):
    async with db.unit_of_work() as session:
        path = await evidence_pack(session, program, town.store, town.admin, TODAY, LABELS, kelurahan="15.71.01.1001",
                                   folder=tmp_path)  # fmt: skip
        other = await evidence_pack(session, program, town.store, town.rudi, TODAY, LABELS, kelurahan="15.71.01.1001")
    assert other is None
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        summary = openpyxl.load_workbook(io.BytesIO(archive.read("ringkasan.xlsx")), read_only=True)
    assert sorted(n.rsplit("/", 1)[0] for n in names if "/" in n) == [f"{RT1}/sosialisasi"] * 2
    assert [r[0] for r in list(summary["RT"].values)[1:]] == [RT1, RT2]
