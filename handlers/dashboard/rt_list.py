"""The RT list: the viewer's RTs with a filter form, sorting links, pages, and the exports of the same list.

The filter lives in the address (services/rt_filter.py), so the overview's numbers, a bookmark and the CSV/XLSX
links all name the same RTs; what the viewer may see is decided in services/rt_table.py (services/assignments.py).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.dashboard.pages import page, speaking
from handlers.dashboard.rt_words import list_href, status_label, symbol
from handlers.formatting import number, rt_nama, rupiah
from handlers.i18n import _
from services.assignments import visible_rts
from services.models import RT, Kecamatan, Kelurahan, Person, Role
from services.program import Program
from services.rt_filter import SORT_KEYS, STATUSES, RTFilter, Sort
from services.rt_table import RTRow, rt_rows
from services.web_sessions import SignedIn

PER_PAGE = 50
CSV_PATH, XLSX_PATH = "/rt/ekspor.csv", "/rt/ekspor.xlsx"


@dataclass(frozen=True)
class StageCell:
    symbol: str
    status: str
    title: str


@dataclass(frozen=True)
class RowView:
    href: str
    name: str  # RT 003 Kel. Talang Banjar
    kelurahan: str
    kecamatan: str
    kelompok: str
    jumlah_kk: str
    pilot: bool
    pendamping: str
    seats: str  # what is not registered, or empty
    unreachable: str
    stages: list[StageCell]
    progress: str
    allocation: str
    received: str
    spent: str
    balance: str
    mismatch: bool
    attendance: str
    swadaya: str


@dataclass(frozen=True)
class Header:
    label: str
    href: str | None  # a sorting link; None for a column that does not sort
    arrow: str
    numeric: bool = False


def _page_number(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 7 else 1


def row_view(row: RTRow) -> RowView:
    missing = [
        label
        for registered, label in (
            (row.ketua_registered, _("Ketua RT not registered")),
            (row.bendahara_registered, _("Bendahara not registered")),
        )
        if not registered
    ]
    attendance = ""
    if row.kk_hadir is not None:
        attendance = _("{kk} KK, {people} people", kk=number(row.kk_hadir), people=number(row.hadir or 0))
        if row.kk_share is not None:
            attendance += f" ({round(row.kk_share * 100)}%)"
    swadaya = " · ".join(
        part for part in (rupiah(row.swadaya_rupiah) if row.swadaya_rupiah else "", row.swadaya_barang or "") if part
    )
    return RowView(
        href=f"/rt/{row.id}",
        name=rt_nama(row.nomor, row.kelurahan),
        kelurahan=row.kelurahan,
        kecamatan=row.kecamatan,
        kelompok=row.kelompok,
        jumlah_kk=number(row.jumlah_kk) if row.jumlah_kk is not None else "-",
        pilot=row.pilot,
        pendamping=row.pendamping or "-",
        seats=", ".join(missing),
        unreachable=_("{count} cannot be reached", count=row.unreachable) if row.unreachable else "",
        stages=[
            StageCell(
                symbol(s.status),
                s.status,
                f"{s.stage.nama}: {status_label(s.status)}"
                + (f" ({_('late')})" if s.late and s.status != "terlambat" else ""),
            )
            for s in row.states
        ],
        progress=f"{row.done}/{len(row.states)}",
        allocation=rupiah(row.allocation) if row.allocation is not None else "-",
        received=rupiah(row.received),
        spent=rupiah(row.spent),
        balance=rupiah(row.balance),
        mismatch=row.fund_mismatch,
        attendance=attendance,
        swadaya=swadaya,
    )


def _headers(f: RTFilter, sort: Sort) -> list[Header]:
    def sortable(key: str, label: str, numeric: bool = False) -> Header:
        descending = not sort.descending if sort.key == key else False
        arrow = ("▼" if sort.descending else "▲") if sort.key == key else ""
        return Header(label, list_href(f, Sort(key, descending)), arrow, numeric)

    def plain(label: str, numeric: bool = False) -> Header:
        return Header(label, None, "", numeric)

    return [
        sortable("kode", _("RT name")),
        sortable("kelurahan", _("Kelurahan and kecamatan")),
        sortable("kelompok", _("Kelompok")),
        sortable("jumlah_kk", _("KK"), True),
        plain(_("Pendamping")),
        sortable("progress", _("Stages"), True),
        plain(_("Allocation"), True),
        plain(_("Received"), True),
        plain(_("Spent"), True),
        sortable("balance", _("Balance"), True),
        plain(_("Attendance at the rembuk warga")),
        plain(_("Self-help (swadaya)")),
    ]


async def _choices(session: AsyncSession, program: Program, viewer: Person) -> dict[str, list[tuple[str, str]]]:
    """The filter form's options: (value, label) each, an empty value first meaning "any"."""
    anything = [("", _("All"))]
    yes_no = [*anything, ("1", _("Yes")), ("0", _("No"))]
    # Only places where the viewer has RTs: a pendamping's list is not 68 kelurahan long.
    theirs = select(RT.kelurahan_kode).where(visible_rts(viewer))
    kelurahan = await session.execute(
        select(Kelurahan.kode, Kelurahan.nama).where(Kelurahan.kode.in_(theirs)).order_by(Kelurahan.nama)
    )
    kecamatan = await session.execute(
        select(Kecamatan.kode, Kecamatan.nama)
        .where(Kecamatan.kode.in_(select(Kelurahan.kecamatan_kode).where(Kelurahan.kode.in_(theirs))))
        .order_by(Kecamatan.nama)
    )
    choices = {
        "kecamatan": [*anything, *((kode, nama) for kode, nama in kecamatan)],
        "kelurahan": [*anything, *((kode, nama) for kode, nama in kelurahan)],
        "kelompok": [*anything, ("A", "A"), ("B", "B")],
        "stage": [("", _("Any stage")), *((s.kode, s.nama) for s in program.stages)],
        "status": [*anything, *((status, status_label(status)) for status in STATUSES)],
        "pilot": yes_no,
        "registered": yes_no,
        "bendahara_registered": yes_no,
        "seats_complete": yes_no,
        "fund_mismatch": yes_no,
        "unreachable": yes_no,
        "kk_known": yes_no,
    }
    if viewer.role == Role.ADMIN:
        pendamping = await session.execute(
            select(Person.id, Person.nama).where(Person.role == Role.PENDAMPING).order_by(Person.nama)
        )
        choices["pendamping_id"] = [*anything, *((str(pid), nama) for pid, nama in pendamping)]
    return choices


def _field_labels() -> dict[str, str]:
    return {
        "q": _("RT code contains"),
        "kecamatan": _("Kecamatan name"),
        "kelurahan": _("Kelurahan"),
        "kelompok": _("Kelompok"),
        "pendamping_id": _("Pendamping"),
        "stage": _("Stage"),
        "status": _("Stage status"),
        "pilot": _("Pilot 2025"),
        "registered": _("Ketua RT registered"),
        "bendahara_registered": _("Bendahara registered"),
        "seats_complete": _("Both registered"),
        "fund_mismatch": _("Funds differ from allocation"),
        "unreachable": _("Someone cannot be reached"),
        "kk_known": _("KK count known"),
    }


async def rt_list_page(
    session: AsyncSession, program: Program, viewer: SignedIn, params: Mapping[str, str], today: date
) -> str:
    f = RTFilter.from_query(params, program)
    sort = Sort.from_query(params.get("sort"))
    found = await rt_rows(session, program, viewer.person, f, today, sort, _page_number(params.get("page")), PER_PAGE)
    with speaking(viewer):
        title = _("RT list")
        choices = await _choices(session, program, viewer.person)
        rows = [row_view(row) for row in found.rows]
        headers = _headers(f, sort)
        summary = _(
            "{total} RTs · page {page} of {pages}",
            total=number(found.total),
            page=number(found.page),
            pages=number(found.pages),
        )
        field_labels = _field_labels()
        stage_names = [s.nama for s in program.stages]
    chosen = f.to_query()
    return page(
        "rt_list.html",
        viewer,
        title=title,
        active="rt",
        rows=rows,
        headers=headers,
        choices=choices,
        field_labels=field_labels,
        chosen=chosen,
        q=f.q or "",
        sort=sort.to_query() if sort != Sort() else "",
        summary=summary,
        stage_names=stage_names,
        previous=list_href(f, sort, found.page - 1) if found.page > 1 else None,
        next=list_href(f, sort, found.page + 1) if found.page < found.pages else None,
        csv_href=list_href(f, sort, path=CSV_PATH),
        xlsx_href=list_href(f, sort, path=XLSX_PATH),
        pack_href=f"/kelurahan/{f.kelurahan}/bukti.zip" if f.kelurahan else None,
        sort_keys=SORT_KEYS,
    )
