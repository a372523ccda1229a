"""The RT roster: read a CSV or XLSX file, validate every row, and import all of it or nothing."""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import audit, numbers, wilayah
from services.models import RT, JumlahKKHistory, Kelurahan
from services.people import find_or_create_pendamping
from services.problems import Problem, ProblemError
from services.program import KELOMPOK, Program

COLUMNS = ("kode_kelurahan", "rt", "kelompok", "jumlah_kk", "pilot_2025", "pendamping")
YES = {"ya", "y", "yes", "1", "true", "benar"}
NO = {"tidak", "t", "no", "n", "0", "false", "salah", ""}


def rt_code(kode_kelurahan: str, nomor: int) -> str:
    return f"{kode_kelurahan}-{nomor:03d}"


@dataclass(frozen=True)
class RosterRow:
    line: int
    kode_kelurahan: str
    nomor: int
    kelompok: str
    jumlah_kk: int | None
    pilot_2025: bool
    pendamping: str | None

    @property
    def kode(self) -> str:
        return rt_code(self.kode_kelurahan, self.nomor)


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def read_table(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV or XLSX roster as dicts of text, keyed by the lower-cased header."""
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise ProblemError.one("roster_bad_format", suffix=path.suffix.lower())
    return read_bytes(path.read_bytes(), path.suffix)


def read_bytes(data: bytes, suffix: str) -> list[dict[str, str]]:
    """The same from a file's content (an upload on the dashboard); `suffix` is the file name's, like ".csv".

    Raises roster_bad_format, roster_unreadable (not UTF-8 text, a damaged workbook), roster_empty or
    roster_missing_columns.
    """
    suffix = suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(data)
    if suffix == ".csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ProblemError.one("roster_unreadable", suffix=suffix) from None
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t") if text.strip() else csv.excel
        return _normalize_rows(csv.reader(io.StringIO(text), dialect))
    raise ProblemError.one("roster_bad_format", suffix=suffix)


def _read_xlsx(data: bytes) -> list[dict[str, str]]:
    import openpyxl  # imported here: only this path needs it, and it is slow to import

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a damaged or disguised file: zipfile, XML and openpyxl's own errors alike
        raise ProblemError.one("roster_unreadable", suffix=".xlsx") from None
    try:
        sheet = workbook.worksheets[0]
        rows = (["" if cell is None else _cell_text(cell) for cell in row] for row in sheet.iter_rows(values_only=True))
        return _normalize_rows(rows)
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    # Excel stores 7 as 7.0; an RT number or KK count must not become "7.0".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _normalize_rows(rows: Iterable[list[str]]) -> list[dict[str, str]]:
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        raise ProblemError.one("roster_empty")
    names = [str(h).strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise ProblemError.one("roster_missing_columns", columns=", ".join(missing))
    result = []
    for values in iterator:
        if not any(str(v).strip() for v in values):
            result.append({})  # keep the row number honest; blank rows are skipped in validation
            continue
        result.append({name: str(values[i]).strip() if i < len(values) else "" for i, name in enumerate(names)})
    return result


def validate_rows(table: list[dict[str, str]], known_kelurahan: set[str], program: Program) -> list[RosterRow]:
    """Every row checked; raises ProblemError listing each bad row (spreadsheet numbering, header = 1)."""
    problems: list[Problem] = []
    rows: list[RosterRow] = []
    first_line_of: dict[str, int] = {}
    for index, raw in enumerate(table):
        line = index + 2
        if not raw:
            continue
        where = str(line)
        row_problems: list[Problem] = []
        kelurahan = raw["kode_kelurahan"]
        if kelurahan not in known_kelurahan:
            row_problems.append(Problem("roster_unknown_kelurahan", {"value": kelurahan}, where))
        nomor = _positive_int(raw["rt"])
        if nomor is None or nomor > 999:
            row_problems.append(Problem("roster_bad_rt", {"value": raw["rt"]}, where))
        kelompok = raw["kelompok"].upper()
        if kelompok not in KELOMPOK:
            row_problems.append(Problem("roster_bad_kelompok", {"value": raw["kelompok"]}, where))
        jumlah_kk = None
        if raw["jumlah_kk"]:
            jumlah_kk = _positive_int(raw["jumlah_kk"])
            if jumlah_kk is None or jumlah_kk > program.kk_maksimum:
                row_problems.append(
                    Problem("roster_bad_kk", {"value": raw["jumlah_kk"], "maksimum": program.kk_maksimum}, where)
                )
        pilot = raw["pilot_2025"].lower()
        if pilot not in YES | NO:
            row_problems.append(Problem("roster_bad_pilot", {"value": raw["pilot_2025"]}, where))
        if not row_problems and nomor is not None:
            code = rt_code(kelurahan, nomor)
            if code in first_line_of:
                row_problems.append(
                    Problem("roster_duplicate_rt", {"kode": code, "first_line": first_line_of[code]}, where)
                )
            else:
                first_line_of[code] = line
        if row_problems:
            problems.extend(row_problems)
            continue
        rows.append(RosterRow(line, kelurahan, nomor, kelompok, jumlah_kk, pilot in YES, raw["pendamping"] or None))
    if problems:
        raise ProblemError(problems)
    if not rows:
        raise ProblemError.one("roster_empty")
    return rows


def _positive_int(text: str) -> int | None:
    value = numbers.whole_number(text)
    return value if value else None


async def validate_and_import(
    session: AsyncSession, table: list[dict[str, str]], program: Program, *, actor: str, progress=None
) -> ImportSummary:
    """Every row validated, then all imported in the caller's unit of work: on any bad row ProblemError lists
    them all and nothing is written (the CLI's `roster import` and the dashboard's upload alike)."""
    await wilayah.ensure_wilayah(session)
    rows = validate_rows(table, await known_kelurahan(session), program)
    return await import_rows(session, rows, actor=actor, progress=progress)


async def import_rows(session: AsyncSession, rows: list[RosterRow], *, actor: str, progress=None) -> ImportSummary:
    """Create or update RTs by code. The caller's unit of work makes it all-or-nothing."""
    existing = {rt.kode: rt for rt in await session.scalars(select(RT))}
    pendamping_cache: dict[str, int] = {}
    created = updated = unchanged = 0
    for row in rows:
        pendamping_id = None
        if row.pendamping:
            key = row.pendamping.strip().lower()
            if key not in pendamping_cache:
                pendamping_cache[key] = (await find_or_create_pendamping(session, row.pendamping)).id
            pendamping_id = pendamping_cache[key]
        rt = existing.get(row.kode)
        if rt is None:
            rt = RT(
                kode=row.kode,
                kelurahan_kode=row.kode_kelurahan,
                nomor=row.nomor,
                kelompok=row.kelompok,
                jumlah_kk=row.jumlah_kk,
                pilot_2025=row.pilot_2025,
                pendamping_id=pendamping_id,
            )
            session.add(rt)
            existing[row.kode] = rt
            await session.flush()
            if row.jumlah_kk is not None:
                session.add(JumlahKKHistory(rt_id=rt.id, old=None, new=row.jumlah_kk, source="roster"))
            created += 1
        else:
            changes = _apply(session, rt, row, pendamping_id)
            if changes:
                updated += 1
                audit.record(session, actor=actor, action="rt.roster_update", entity="rt", entity_id=rt.kode, **changes)
            else:
                unchanged += 1
        if progress:
            progress()
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action="roster.import",
        entity="roster",
        entity_id="-",
        created=created,
        updated=updated,
        unchanged=unchanged,
    )
    return ImportSummary(created, updated, unchanged)


def _apply(session: AsyncSession, rt: RT, row: RosterRow, pendamping_id: int | None) -> dict[str, list]:
    """Update an existing RT from its roster row; returns {field: [old, new]} of what changed.

    An empty jumlah_kk or pendamping in the file keeps what the RT already has: the count registered in the bot
    by the Ketua RT must not be wiped by a re-import of the city's original list.
    """
    changes: dict[str, list] = {}
    wanted = {"kelompok": row.kelompok, "pilot_2025": row.pilot_2025}
    if row.jumlah_kk is not None:
        wanted["jumlah_kk"] = row.jumlah_kk
    if pendamping_id is not None:
        wanted["pendamping_id"] = pendamping_id
    for field, value in wanted.items():
        old = getattr(rt, field)
        if old != value:
            changes[field] = [old, value]
            setattr(rt, field, value)
    if "jumlah_kk" in changes:
        old, new = changes["jumlah_kk"]
        session.add(JumlahKKHistory(rt_id=rt.id, old=old, new=new, source="roster"))
    return changes


async def known_kelurahan(session: AsyncSession) -> set[str]:
    return set(await session.scalars(select(Kelurahan.kode)))
