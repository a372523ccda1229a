"""Exports of the dashboard: the RT table as CSV or XLSX, and the evidence pack (ZIP) of one RT or one kelurahan.

Every word a person reads (column headers, sheet names, statuses, yes/no) comes from the caller as `labels`: a
service holds no user text. A label missing from the mapping shows as its key, so an export never fails for one.
Nothing is built whole in memory: the CSV is a stream of chunks, the XLSX a write-only workbook saved to a temp
file, the ZIP written file by file to a temp file. The caller streams the file and deletes it.
Scope is the RT table's (services/rt_table.py): only RTs the viewer may see ever reach a file.
"""

import asyncio
import csv
import io
import tempfile
import zipfile
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.media import MediaStore
from services.models import FundReceipt, Media, Person, ReportStatus, Spending, StageReport
from services.program import Program
from services.rt_filter import RTFilter, Sort
from services.rt_table import RTRow, iter_rt_rows, rt_row

# The table's columns in order; a stage's column (its status) follows `pendamping`, one per stage of the program.
COLUMNS = (
    "kode",
    "kecamatan",
    "kelurahan",
    "nomor",
    "kelompok",
    "jumlah_kk",
    "pilot",
    "pendamping",
    "ketua_registered",
    "bendahara_registered",
    "progress",
    "allocation",
    "received",
    "spent",
    "balance",
    "fund_mismatch",
    "hadir",
    "kk_hadir",
    "kk_share",
    "swadaya_rupiah",
    "swadaya_barang",
)
# Folder of spending receipts in an evidence pack (they belong to no stage).
SPENDING_FOLDER = "belanja"
YES, NO, LATE = "yes", "no", "late"  # label keys


def _label(labels: Mapping[str, str], key: str) -> str:
    return labels.get(key, key)


def table_header(program: Program, labels: Mapping[str, str]) -> list[str]:
    """Column headers: labels by column key; a stage's column is headed by its name in the program file."""
    head = [_label(labels, key) for key in COLUMNS]
    at = COLUMNS.index("pendamping") + 1
    return head[:at] + [stage.nama for stage in program.stages] + head[at:]


def table_values(row: RTRow, labels: Mapping[str, str]) -> list:
    """One row's cells: numbers as numbers (rupiah in whole rupiah, shares 0..1), flags and statuses as labels."""

    def flag(value: bool) -> str:
        return _label(labels, YES if value else NO)

    def status(state) -> str:
        text = _label(labels, state.status)
        return f"{text} ({_label(labels, LATE)})" if state.late and state.status != "terlambat" else text

    cells = [
        row.kode,
        row.kecamatan,
        row.kelurahan,
        row.nomor,
        row.kelompok,
        row.jumlah_kk,
        flag(row.pilot),
        row.pendamping or "",
        flag(row.ketua_registered),
        flag(row.bendahara_registered),
        round(row.progress, 4),
        row.allocation,
        row.received,
        row.spent,
        row.balance,
        flag(row.fund_mismatch),
        row.hadir,
        row.kk_hadir,
        None if row.kk_share is None else round(row.kk_share, 4),
        row.swadaya_rupiah,
        row.swadaya_barang or "",
    ]
    at = COLUMNS.index("pendamping") + 1
    return cells[:at] + [status(s) for s in row.states] + cells[at:]


async def table_csv(
    session: AsyncSession,
    program: Program,
    viewer: Person,
    filter: RTFilter,
    today: date,
    sort: Sort,
    labels: Mapping[str, str],
) -> AsyncIterator[bytes]:
    """The RT table as UTF-8 CSV (with a byte-order mark, so spreadsheet programs read it as UTF-8), in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return data

    buffer.write("\ufeff")
    writer.writerow(table_header(program, labels))
    yield flush()
    async for batch in iter_rt_rows(session, program, viewer, filter, today, sort):
        writer.writerows(["" if v is None else v for v in table_values(row, labels)] for row in batch)
        yield flush()


def _temp_file(suffix: str, folder: Path | None) -> Path:
    with tempfile.NamedTemporaryFile(suffix=suffix, dir=folder, delete=False) as file:
        return Path(file.name)


async def table_xlsx(
    session: AsyncSession,
    program: Program,
    viewer: Person,
    filter: RTFilter,
    today: date,
    sort: Sort,
    labels: Mapping[str, str],
    *,
    folder: Path | None = None,
) -> Path:
    """The RT table as an XLSX file (a temp file in `folder`; the caller deletes it), one sheet."""
    import openpyxl  # imported here: only exports need it, and it is slow to import

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(_label(labels, "sheet_rt")[:31])
    sheet.append(table_header(program, labels))

    def append(batch: list[RTRow]) -> None:
        for row in batch:
            sheet.append(table_values(row, labels))

    # openpyxl is slow (about a second for the whole city): its work goes to a thread, a batch at a time, so the
    # event loop keeps serving other requests meanwhile. One thread at a time touches the workbook.
    async for batch in iter_rt_rows(session, program, viewer, filter, today, sort):
        await asyncio.to_thread(append, batch)
    path = _temp_file(".xlsx", folder)
    await asyncio.to_thread(workbook.save, path)
    return path


# --- the evidence pack -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackFile:
    arcname: str  # path inside the ZIP
    source: Path  # absolute path under MEDIA_DIR
    media: Media
    rt: str


def _extension(media: Media) -> str:
    return PurePosixPath(media.path).suffix


async def _pack_contents(
    session: AsyncSession, store: MediaStore, rows: list[RTRow], prefix: Callable[[RTRow], str]
) -> tuple[list[PackFile], list[StageReport], list[FundReceipt], list[Spending]]:
    by_id = {row.id: row for row in rows}
    ids = list(by_id)
    reports = list(
        await session.scalars(
            select(StageReport).where(StageReport.rt_id.in_(ids)).order_by(StageReport.rt_id, StageReport.id)
        )
    )
    receipts = list(
        await session.scalars(select(FundReceipt).where(FundReceipt.rt_id.in_(ids)).order_by(FundReceipt.id))
    )
    spending = list(await session.scalars(select(Spending).where(Spending.rt_id.in_(ids)).order_by(Spending.id)))
    spending_of = {s.receipt_media_id: s for s in spending if s.receipt_media_id is not None}
    report_stage = {r.id: r.stage_key for r in reports}
    media = await session.scalars(
        select(Media)
        .where(
            Media.rt_id.in_(ids),
            or_(
                Media.report_id.is_not(None),
                Media.id.in_(select(Spending.receipt_media_id).where(Spending.rt_id.in_(ids))),
            ),
        )
        .order_by(Media.id)
    )
    files = []
    for item in media:
        row = by_id[item.rt_id]
        if item.report_id is not None:
            folder = report_stage.get(item.report_id, item.stage_key or SPENDING_FOLDER)
            name = f"{item.report_id}-{item.id}{_extension(item)}"
        else:
            folder, name = SPENDING_FOLDER, f"{spending_of[item.id].id}-{item.id}{_extension(item)}"
        files.append(PackFile(f"{prefix(row)}{folder}/{name}", store.absolute(item.path), item, row.kode))
    return files, reports, receipts, spending


def _summary(
    path: Path,
    rows: list[RTRow],
    files: list[PackFile],
    reports: list[StageReport],
    receipts: list[FundReceipt],
    spending: list[Spending],
    program: Program,
    labels: Mapping[str, str],
) -> None:
    import openpyxl

    kode = {row.id: row.kode for row in rows}
    stage_name = {s.kode: s.nama for s in program.stages}
    sent_back = {r.id for r in reports if r.status == ReportStatus.DIKEMBALIKAN}

    def header(*keys: str) -> list[str]:
        return [_label(labels, k) for k in keys]

    def flag(value: bool) -> str:
        return _label(labels, YES if value else NO)

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(_label(labels, "sheet_rt")[:31])
    sheet.append(table_header(program, labels))
    for row in rows:
        sheet.append(table_values(row, labels))
    sheet = workbook.create_sheet(_label(labels, "sheet_reports")[:31])
    sheet.append(header("kode", "stage", "status", "happened_on", "submitted_at", "reviewed_at", "review_reason",
                        "answers"))  # fmt: skip
    for r in reports:
        answers = "; ".join(f"{k}: {v}" for k, v in (r.answers or {}).items())
        sheet.append(
            [
                kode[r.rt_id],
                stage_name.get(r.stage_key, r.stage_key),
                _label(labels, r.status),
                r.happened_on,
                _naive(r.submitted_at),
                _naive(r.reviewed_at),
                r.review_reason or "",
                answers,
            ]
        )
    sheet = workbook.create_sheet(_label(labels, "sheet_funds")[:31])
    sheet.append(header("kode", "amount", "expected_amount", "received_on", "counted", "cancelled", "report_sent_back"))
    for f in receipts:
        back = f.report_id in sent_back
        sheet.append(
            [
                kode[f.rt_id],
                f.amount,
                f.expected_amount,
                f.received_on,
                flag(f.cancelled_at is None and not back),
                flag(f.cancelled_at is not None),
                flag(back),
            ]
        )
    sheet = workbook.create_sheet(_label(labels, "sheet_spending")[:31])
    sheet.append(header("kode", "amount", "bidang", "description", "spent_on", "cancelled"))
    for s in spending:
        bidang = program.bidang.get(s.bidang, s.bidang)
        sheet.append([kode[s.rt_id], s.amount, bidang, s.description, s.spent_on, flag(s.cancelled_at is not None)])
    sheet = workbook.create_sheet(_label(labels, "sheet_files")[:31])
    sheet.append(header("kode", "file", "kind", "exif_taken_at", "exif_latitude", "exif_longitude", "reuse",
                        "in_pack"))  # fmt: skip
    for file in files:
        m = file.media
        sheet.append(
            [
                file.rt,
                file.arcname,
                _label(labels, m.kind),
                _naive(m.exif_taken_at),
                m.exif_latitude,
                m.exif_longitude,
                flag(m.reuse_of_media_id is not None),
                flag(file.source.is_file()),
            ]
        )
    workbook.save(path)


def _naive(moment):
    """XLSX has no time zones: times are written in UTC without one (openpyxl refuses aware datetimes)."""
    return moment.replace(tzinfo=None) if moment is not None else None


def _write_zip(path: Path, summary: Path, summary_name: str, files: list[PackFile]) -> None:
    # Photos and PDFs are compressed already: stored as they are, which is fast and no bigger.
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.write(summary, summary_name, compress_type=zipfile.ZIP_DEFLATED)
        for file in files:
            if file.source.is_file():  # a file the sweeper removed or never arrived is listed in the summary only
                archive.write(file.source, file.arcname)


async def evidence_pack(
    session: AsyncSession,
    program: Program,
    store: MediaStore,
    viewer: Person,
    today: date,
    labels: Mapping[str, str],
    *,
    rt_id: int | None = None,
    kelurahan: str | None = None,
    folder: Path | None = None,
) -> Path | None:
    """A ZIP of one RT's evidence (`<stage>/<file>`) or of a kelurahan's RTs the viewer may see
    (`<RT kode>/<stage>/<file>`), with a summary workbook; None when the viewer may see none of them."""
    if rt_id is not None:
        one = await rt_row(session, program, viewer, rt_id, today)
        rows = [one] if one else []

        def prefix(row: RTRow) -> str:
            return ""
    else:
        f = RTFilter(kelurahan=kelurahan)
        rows = [row async for batch in iter_rt_rows(session, program, viewer, f, today) for row in batch]

        def prefix(row: RTRow) -> str:
            return f"{row.kode}/"

    if not rows:
        return None
    files, reports, receipts, spending = await _pack_contents(session, store, rows, prefix)
    summary = _temp_file(".xlsx", folder)
    path = _temp_file(".zip", folder)
    try:
        await asyncio.to_thread(_summary, summary, rows, files, reports, receipts, spending, program, labels)
        name = f"{_label(labels, 'summary_file')}.xlsx"
        await asyncio.to_thread(_write_zip, path, summary, name, files)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    finally:
        summary.unlink(missing_ok=True)
    return path
