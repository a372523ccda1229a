"""The dashboard's RT table: one row per RT the viewer may see, filtered, sorted and paged.

Built from a handful of set-based queries over all the RTs in scope (the RTs, the latest report of each stage,
funds and spending summed per RT, registered seats, unreachable people), never one query per RT: the city has
1,583 RTs and the list must stay fast. Stage statuses come from services/schedule.py `stage_states` (the one
computation), the scope from services/assignments.py, what counts as money received from services/funds.py.
The stage answers (attendance, swadaya) are read only for the rows actually shown or exported, batch by batch.
"""

import asyncio
import math
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import NamedTuple

from sqlalchemy import String, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.assignments import REVIEWER_ROLES, visible_rts
from services.contacts import cut_off_counts, registered_seats
from services.funds import SPENDING_COUNTS, receipts_that_count
from services.models import RT, FundReceipt, Kecamatan, Kelurahan, Person, ReportStatus, Role, Spending, StageReport
from services.program import Program, Stage
from services.rt_filter import NOT_STARTED, OVERDUE, RTFilter, Sort
from services.schedule import StageState, StageStatus, stage_states

# The answer fields the table reads, by their kode in the program file (the stage that asks them is looked up).
HADIR, KK_HADIR = "jumlah_hadir", "jumlah_kk_hadir"
SWADAYA_RUPIAH, SWADAYA_BARANG = "swadaya_rupiah", "swadaya_barang"
# What a Ketua RT types for "no in-kind swadaya".
NOTHING = {"", "-", "tidak ada"}
BATCH = 500
# Above this many RTs the rows are computed in a worker thread (a pendamping's 25 RTs are not worth the hop).
IN_THREAD_FROM = 200
MAX_PER_PAGE = 500


@dataclass(frozen=True, slots=True)
class RTRow:
    id: int
    kode: str
    nomor: int
    kelurahan_kode: str
    kelurahan: str
    kecamatan_kode: str
    kecamatan: str
    kelompok: str
    jumlah_kk: int | None
    pilot: bool
    pendamping_id: int | None
    pendamping: str | None
    ketua_registered: bool
    bendahara_registered: bool
    states: tuple[StageState, ...]
    allocation: int | None
    receipts: int  # counted fund receipts
    received: int
    spent: int
    unreachable: int  # people of the RT blocked or undeliverable on their channel
    # From the latest report of the stages that ask them (a sent-back report does not count): None if not reported.
    hadir: int | None = None
    kk_hadir: int | None = None
    swadaya_rupiah: int | None = None
    swadaya_barang: str | None = None

    @property
    def balance(self) -> int:
        return self.received - self.spent

    @property
    def done(self) -> int:
        return sum(1 for s in self.states if s.status == StageStatus.SELESAI)

    @property
    def progress(self) -> float:
        """Share of the stages approved, 0..1."""
        return self.done / len(self.states) if self.states else 0.0

    @property
    def fund_mismatch(self) -> bool:
        """Funds were confirmed, but their total is not the RT's allocation (or the allocation is unknown): the same
        test the treasurer's /dana applies to an amount, over everything that counts."""
        return self.receipts > 0 and (self.allocation is None or self.received != self.allocation)

    @property
    def kk_share(self) -> float | None:
        """KK present at the rembuk warga as a share of the RT's KK."""
        if self.kk_hadir is None or not self.jumlah_kk:
            return None
        return self.kk_hadir / self.jumlah_kk

    @property
    def hadir_per_kk(self) -> float | None:
        """Residents present at the rembuk warga per KK of the RT."""
        if self.hadir is None or not self.jumlah_kk:
            return None
        return self.hadir / self.jumlah_kk

    def state(self, kode: str) -> StageState | None:
        return next((s for s in self.states if s.stage.kode == kode), None)


_ANSWER_FIELDS = ("hadir", "kk_hadir", "swadaya_rupiah", "swadaya_barang")
_COMPUTED_FIELDS = tuple(f.name for f in fields(RTRow))[: -len(_ANSWER_FIELDS)]
assert tuple(f.name for f in fields(RTRow))[-len(_ANSWER_FIELDS) :] == _ANSWER_FIELDS


@dataclass(frozen=True)
class RTPage:
    rows: list[RTRow]
    total: int
    page: int
    pages: int
    per_page: int


def status_matches(state: StageState, status: str) -> bool:
    """A stage state against a filter status (services/rt_filter.py STATUSES)."""
    if status == OVERDUE:
        return state.late
    if status == NOT_STARTED:
        return state.report_id is None and not state.late
    return state.status == status


def matches(row: RTRow, f: RTFilter) -> bool:
    """The filter's conditions that need the computed row (the rest narrowed the query already)."""
    if f.status is not None:
        states = [row.state(f.stage)] if f.stage else row.states
        if not any(s is not None and status_matches(s, f.status) for s in states):
            return False
    checks = (
        (f.registered, row.ketua_registered),
        (f.bendahara_registered, row.bendahara_registered),
        (f.seats_complete, row.ketua_registered and row.bendahara_registered),
        (f.fund_mismatch, row.fund_mismatch),
        (f.unreachable, row.unreachable > 0),
    )
    return all(wanted is None or wanted == actual for wanted, actual in checks)


def _conditions(viewer: Person, f: RTFilter, only: Sequence[int] | None) -> list | None:
    """Conditions on the `rt` table for the viewer's scope and the filter's simple fields; None: nothing to see.

    The dashboard is for pendamping and admins: a Ketua RT or Bendahara sees nothing here, even their own RT."""
    if viewer.role not in REVIEWER_ROLES or not viewer.active:
        return None
    # visible_rts leaves the training RTs (the simulator's) out: never counted or listed as real ones.
    conditions = [visible_rts(viewer)]
    if f.kecamatan is not None:
        conditions.append(RT.kelurahan_kode.in_(select(Kelurahan.kode).where(Kelurahan.kecamatan_kode == f.kecamatan)))
    if f.kelurahan is not None:
        conditions.append(RT.kelurahan_kode == f.kelurahan)
    if f.kelompok is not None:
        conditions.append(RT.kelompok == f.kelompok)
    if f.pendamping_id is not None:
        conditions.append(RT.pendamping_id == f.pendamping_id)
    if f.pilot is not None:
        conditions.append(RT.pilot_2025 == f.pilot)
    if f.kk_known is not None:
        conditions.append(RT.jumlah_kk.is_not(None) if f.kk_known else RT.jumlah_kk.is_(None))
    if f.q is not None:
        conditions.append(RT.kode.contains(f.q, autoescape=True))
    if only is not None:
        conditions.append(RT.id.in_(list(only)))
    return conditions


class _Report(NamedTuple):
    """What stage_states reads of a report: its id and status."""

    id: int
    status: str


async def _latest(session: AsyncSession, in_scope) -> dict[int, dict[str, _Report]]:
    """The newest report (highest id, as services/schedule.py latest_reports) of each stage of each RT.

    Id, stage and status only, packed into one string per RT by the database ("id:stage:status,..."): reading
    15,000 report rows one by one costs more than the whole rest of the page. Stage codes and statuses are plain
    words (services/program.py STAGE_KODE), so the separators cannot occur in them."""
    packed = func.aggregate_strings(
        cast(StageReport.id, String) + ":" + StageReport.stage_key + ":" + StageReport.status, ","
    )
    rows = await session.execute(
        select(StageReport.rt_id, packed).where(StageReport.rt_id.in_(in_scope)).group_by(StageReport.rt_id)
    )
    result: dict[int, dict[str, _Report]] = {}
    for rt_id, text in rows:
        newest: dict[str, _Report] = {}
        for part in text.split(","):
            number, stage, status = part.split(":")
            report = _Report(int(number), status)
            if stage not in newest or newest[stage].id < report.id:
                newest[stage] = report
        result[rt_id] = newest
    return result


async def _money(session: AsyncSession, in_scope) -> tuple[dict[int, tuple[int, int]], dict[int, int]]:
    received = await session.execute(
        receipts_that_count(FundReceipt.rt_id, func.count(FundReceipt.id), func.sum(FundReceipt.amount))
        .where(FundReceipt.rt_id.in_(in_scope))
        .group_by(FundReceipt.rt_id)
    )
    spent = await session.execute(
        select(Spending.rt_id, func.sum(Spending.amount))
        .where(SPENDING_COUNTS, Spending.rt_id.in_(in_scope))
        .group_by(Spending.rt_id)
    )
    return (
        {rt_id: (int(count), int(total)) for rt_id, count, total in received},
        {rt_id: int(total) for rt_id, total in spent},
    )


async def _computed(
    session: AsyncSession, program: Program, viewer: Person, f: RTFilter, today: date, only: Sequence[int] | None
) -> tuple[list[RTRow], dict[int, dict[str, _Report]]]:
    """Every matching row without the stage answers, and the latest reports (to read the answers from)."""
    conditions = _conditions(viewer, f, only)
    if conditions is None:
        return [], {}
    base = await session.execute(
        select(
            RT.id,
            RT.kode,
            RT.nomor,
            RT.kelurahan_kode,
            Kelurahan.nama,
            Kelurahan.kecamatan_kode,
            Kecamatan.nama,
            RT.kelompok,
            RT.jumlah_kk,
            RT.pilot_2025,
            RT.pendamping_id,
            Person.nama,
        )
        .join(Kelurahan, RT.kelurahan_kode == Kelurahan.kode)
        .join(Kecamatan, Kelurahan.kecamatan_kode == Kecamatan.kode)
        .outerjoin(Person, Person.id == RT.pendamping_id)
        .where(*conditions)
        .order_by(RT.kode)
    )
    base = base.all()
    if not base:
        return [], {}
    in_scope = select(RT.id).where(*conditions)
    latest = await _latest(session, in_scope)
    received, spent = await _money(session, in_scope)
    seats = await registered_seats(session, in_scope)
    cut_off = await cut_off_counts(session, in_scope)
    build = (program, base, latest, received, spent, seats, cut_off, f, today)
    # The whole city is ~16,000 stage states to work out: in a thread, so the event loop keeps answering others.
    rows = await asyncio.to_thread(_rows, *build) if len(base) > IN_THREAD_FROM else _rows(*build)
    return rows, latest


def _rows(program, base, latest, received, spent, seats, cut_off, f: RTFilter, today: date) -> list[RTRow]:
    """The rows from what the queries found, those matching the filter only. Pure: safe to run in a thread."""
    rows = []
    for rt_id, kode, nomor, kel_kode, kel, kec_kode, kec, kelompok, jumlah_kk, pilot, pendamping_id, pendamping in base:
        count, total = received.get(rt_id, (0, 0))
        row = RTRow(
            id=rt_id,
            kode=kode,
            nomor=nomor,
            kelurahan_kode=kel_kode,
            kelurahan=kel,
            kecamatan_kode=kec_kode,
            kecamatan=kec,
            kelompok=kelompok,
            jumlah_kk=jumlah_kk,
            pilot=bool(pilot),
            pendamping_id=pendamping_id,
            pendamping=pendamping,
            ketua_registered=(rt_id, Role.KETUA_RT) in seats,
            bendahara_registered=(rt_id, Role.BENDAHARA) in seats,
            states=tuple(stage_states(program, kelompok, latest.get(rt_id, {}), today)),
            allocation=program.allocation(jumlah_kk),
            receipts=count,
            received=total,
            spent=spent.get(rt_id, 0),
            unreachable=cut_off.get(rt_id, 0),
        )
        if matches(row, f):
            rows.append(row)
    return rows


def _stage_asking(program: Program, field: str) -> Stage | None:
    return next((s for s in program.stages if any(i.kode == field for i in s.isian)), None)


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


async def _with_answers(
    session: AsyncSession, program: Program, rows: list[RTRow], latest: dict[int, dict[str, _Report]]
) -> list[RTRow]:
    """The rows with attendance and swadaya read from their latest (not sent back) reports, in one query."""
    stages = {s.kode for s in (_stage_asking(program, KK_HADIR), _stage_asking(program, SWADAYA_RUPIAH)) if s}
    report_ids = [
        report.id
        for row in rows
        for kode, report in latest.get(row.id, {}).items()
        if kode in stages and report.status != ReportStatus.DIKEMBALIKAN
    ]
    if not report_ids:
        return rows
    answers: dict[int, dict] = defaultdict(dict)
    # Only the four answers, extracted by the database: decoding every report's whole JSON in Python was a third
    # of the overview's time (bench/dashboard.py).
    keys = (HADIR, KK_HADIR, SWADAYA_RUPIAH, SWADAYA_BARANG)
    found = await session.execute(
        select(StageReport.rt_id, *(StageReport.answers[key].as_string() for key in keys)).where(
            StageReport.id.in_(report_ids)
        )
    )
    for rt_id, *values in found:
        answers[rt_id].update({key: value for key, value in zip(keys, values, strict=True) if value is not None})
    result = []
    for row in rows:
        given = answers.get(row.id)
        if not given:
            result.append(row)
            continue
        barang = given.get(SWADAYA_BARANG)
        barang = str(barang).strip() if barang is not None else None
        # Positional, the answers being the last four fields: dataclasses.replace is slow, and this runs per row.
        result.append(
            RTRow(
                *(getattr(row, name) for name in _COMPUTED_FIELDS),
                _int(given.get(HADIR)),
                _int(given.get(KK_HADIR)),
                _int(given.get(SWADAYA_RUPIAH)),
                None if barang is None or barang.lower() in NOTHING else barang,
            )
        )
    return result


_SORT_KEYS = {
    "kode": lambda r: r.kode,
    "kelurahan": lambda r: r.kelurahan,
    "kelompok": lambda r: r.kelompok,
    "jumlah_kk": lambda r: r.jumlah_kk,
    "progress": lambda r: r.done,
    "balance": lambda r: r.balance,
}


def sorted_rows(rows: list[RTRow], sort: Sort) -> list[RTRow]:
    """Sorted by the key (ties by code, ascending); rows without a value (no KK count yet) always last."""
    key = _SORT_KEYS.get(sort.key, _SORT_KEYS["kode"])
    by_kode = sorted(rows, key=lambda r: r.kode)
    known = [r for r in by_kode if key(r) is not None]
    unknown = [r for r in by_kode if key(r) is None]
    return sorted(known, key=key, reverse=sort.descending) + unknown


# Sorts the database can do: with no filter on computed values either, a page needs only its own RTs computed.
_SQL_SORTS = {
    "kode": (),
    "kelurahan": (Kelurahan.nama,),
    "kelompok": (RT.kelompok,),
    "jumlah_kk": (RT.jumlah_kk,),
}


def _pages_in_sql(f: RTFilter, sort: Sort) -> bool:
    computed = (f.status, f.registered, f.bendahara_registered, f.seats_complete, f.fund_mismatch, f.unreachable)
    return sort.key in _SQL_SORTS and all(value is None for value in computed)


async def _page_ids(
    session: AsyncSession, conditions: list, sort: Sort, page: int, per_page: int
) -> tuple[list[int], int, int]:
    """The ids of one page in order, the total and the page number (clamped), straight from the database; the
    order is sorted_rows' (unknown KK last whichever the direction, ties by code)."""
    total = await session.scalar(select(func.count()).select_from(RT).where(*conditions))
    pages = max(1, math.ceil(total / per_page))
    page = max(1, min(page, pages))
    order = []
    for column in _SQL_SORTS[sort.key]:
        order += [column.is_(None), column.desc() if sort.descending else column.asc()]
    order.append(RT.kode.desc() if sort.key == "kode" and sort.descending else RT.kode.asc())
    ids = await session.scalars(
        select(RT.id)
        .join(Kelurahan, RT.kelurahan_kode == Kelurahan.kode)
        .where(*conditions)
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(ids), total, page


async def rt_rows(
    session: AsyncSession,
    program: Program,
    viewer: Person,
    filter: RTFilter,
    today: date,
    sort: Sort = Sort(),
    page: int = 1,
    per_page: int = 50,
) -> RTPage:
    """One page of the viewer's RTs matching the filter; a page past the end shows the last one.

    When neither the filter nor the sort needs computed values (statuses, money, seats), the database pages and
    only the page's RTs are computed; otherwise every RT in scope is, then filtered, sorted and cut."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    conditions = _conditions(viewer, filter, None)
    if conditions is not None and _pages_in_sql(filter, sort):
        ids, total, page = await _page_ids(session, conditions, sort, page, per_page)
        rows, latest = await _computed(session, program, viewer, filter, today, ids)
        position = {rt_id: index for index, rt_id in enumerate(ids)}
        rows.sort(key=lambda row: position[row.id])
        pages = max(1, math.ceil(total / per_page))
        return RTPage(await _with_answers(session, program, rows, latest), total, page, pages, per_page)
    rows, latest = await _computed(session, program, viewer, filter, today, None)
    rows = sorted_rows(rows, sort)
    pages = max(1, math.ceil(len(rows) / per_page))
    page = max(1, min(page, pages))
    shown = rows[(page - 1) * per_page : page * per_page]
    return RTPage(await _with_answers(session, program, shown, latest), len(rows), page, pages, per_page)


async def iter_rt_rows(
    session: AsyncSession,
    program: Program,
    viewer: Person,
    filter: RTFilter,
    today: date,
    sort: Sort = Sort(),
    batch: int = BATCH,
) -> AsyncIterator[list[RTRow]]:
    """Every matching row, in order, in lists of at most `batch` (for exports): the answers are read per batch."""
    rows, latest = await _computed(session, program, viewer, filter, today, None)
    rows = sorted_rows(rows, sort)
    for start in range(0, len(rows), batch):
        yield await _with_answers(session, program, rows[start : start + batch], latest)


async def rt_row(session: AsyncSession, program: Program, viewer: Person, rt_id: int, today: date) -> RTRow | None:
    """One RT's row, or None when the viewer may not see it (or it does not exist)."""
    rows, latest = await _computed(session, program, viewer, RTFilter(), today, [rt_id])
    return (await _with_answers(session, program, rows, latest))[0] if rows else None
