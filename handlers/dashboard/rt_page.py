"""One RT's page: its stages on a timeline with every report (photos as thumbnails, EXIF time and place, reuse
warnings: the review card's own view), the funds it confirmed and what it spent with their proofs, the history of
its KK count, and the audit trail of changes about it. Only for those who may see the RT (services/rt_table.py)."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from handlers.dashboard.pages import not_found, page, refused, speaking
from handlers.dashboard.rt_words import list_href, status_label, symbol
from handlers.dashboard.tinjauan import ReportView, Shown, report_view
from handlers.flows.jadwal import months_text
from handlers.flows.pendamping_format import rt_label
from handlers.formatting import number, rupiah, tanggal, waktu
from handlers.i18n import _
from services.models import (
    RT,
    AuditLog,
    FundReceipt,
    JumlahKKHistory,
    Person,
    ReportStatus,
    Spending,
    StageReport,
)
from services.program import Program
from services.rt_filter import RTFilter
from services.rt_table import RTRow, rt_row
from services.web_sessions import SignedIn

AUDIT_ROWS = 200


@dataclass(frozen=True)
class StageView:
    symbol: str
    name: str
    months: str
    status: str
    status_label: str
    reports: list[ReportView]  # newest first


@dataclass(frozen=True)
class MoneyLine:
    on: str
    amount: str
    text: str  # what it is: status of a receipt, bidang and description of a spending item
    counted: bool
    proof_id: int | None
    report_id: int | None = None


@dataclass(frozen=True)
class Line:
    when: str
    text: str


def _receipt_text(receipt: FundReceipt, sent_back: set[int]) -> tuple[str, bool]:
    if receipt.cancelled_at is not None:
        return _("cancelled by the treasurer on {date}", date=tanggal(receipt.cancelled_at)), False
    if receipt.report_id in sent_back:
        return _("its report was sent back: not counted"), False
    if receipt.expected_amount is not None and receipt.expected_amount != receipt.amount:
        return _("counted; differs from the allocation of {amount}", amount=rupiah(receipt.expected_amount)), True
    return _("counted"), True


def _detail(detail: dict) -> str:
    return ", ".join(f"{key}={value}" for key, value in (detail or {}).items())


def _kk_line(change: JumlahKKHistory, people: dict[int, str]) -> Line:
    who = people.get(change.changed_by_id, change.source) if change.changed_by_id else change.source
    old = number(change.old) if change.old is not None else "-"
    return Line(waktu(change.changed_at), _("{old} → {new} KK, by {who}", old=old, new=number(change.new), who=who))


async def _people(session: AsyncSession, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {
        pid: nama for pid, nama in await session.execute(select(Person.id, Person.nama).where(Person.id.in_(wanted)))
    }


async def rt_page(session: AsyncSession, program: Program, viewer: SignedIn, rt_id: int, today: date) -> Shown:
    row = await rt_row(session, program, viewer.person, rt_id, today)
    if row is None:
        exists = await session.get(RT, rt_id) is not None
        return Shown(refused(viewer), 403) if exists else Shown(not_found(viewer), 404)
    rt = await session.scalar(select(RT).options(selectinload(RT.kelurahan)).where(RT.id == rt_id))
    reports = list(
        await session.scalars(
            select(StageReport)
            .options(selectinload(StageReport.media))
            .where(StageReport.rt_id == rt_id)
            .order_by(StageReport.id.desc())
        )
    )
    receipts = list(
        await session.scalars(select(FundReceipt).where(FundReceipt.rt_id == rt_id).order_by(FundReceipt.id))
    )
    spending = list(
        await session.scalars(select(Spending).where(Spending.rt_id == rt_id).order_by(Spending.spent_on, Spending.id))
    )
    kk_history = list(
        await session.scalars(
            select(JumlahKKHistory).where(JumlahKKHistory.rt_id == rt_id).order_by(JumlahKKHistory.changed_at)
        )
    )
    about = [
        AuditLog.detail["rt"].as_string() == rt.kode,
        and_(AuditLog.entity == "rt", AuditLog.entity_id == str(rt.id)),
    ]
    for entity, ids in (("stage_report", reports), ("fund_receipt", receipts), ("spending", spending)):
        if ids:
            about.append(and_(AuditLog.entity == entity, AuditLog.entity_id.in_([str(item.id) for item in ids])))
    audit = list(
        await session.scalars(
            select(AuditLog).where(or_(*about)).order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(AUDIT_ROWS)
        )
    )
    people = await _people(session, {c.changed_by_id for c in kk_history})
    with speaking(viewer):
        views = {report.id: await report_view(session, program, report, rt) for report in reports}
        stages = _stages(row, reports, views)
        sent_back = {r.id for r in reports if r.status == ReportStatus.DIKEMBALIKAN}
        funds = []
        for receipt in receipts:
            text, counted = _receipt_text(receipt, sent_back)
            funds.append(
                MoneyLine(tanggal(receipt.received_on), rupiah(receipt.amount), text, counted, receipt.proof_media_id,
                          receipt.report_id)
            )  # fmt: skip
        spent = [
            MoneyLine(
                tanggal(item.spent_on),
                rupiah(item.amount),
                f"{program.bidang.get(item.bidang, item.bidang)}: {item.description}"
                + (f" ({_('cancelled')})" if item.cancelled_at is not None else ""),
                item.cancelled_at is None,
                item.receipt_media_id,
            )
            for item in spending
        ]
        kk = [_kk_line(change, people) for change in kk_history]
        trail = [Line(waktu(entry.at), f"{entry.actor} · {entry.action} · {_detail(entry.detail)}") for entry in audit]
        title = rt_label(rt)
        facts = _facts(row)
    return Shown(
        page(
            "rt_page.html",
            viewer,
            title=title,
            active="rt",
            row=row,
            facts=facts,
            stages=stages,
            funds=funds,
            spent=spent,
            kk=kk,
            trail=trail,
            pack_href=f"/rt/{rt_id}/bukti.zip",
            kelurahan_pack_href=f"/kelurahan/{rt.kelurahan_kode}/bukti.zip",
            kelurahan_list_href=list_href(RTFilter(kelurahan=rt.kelurahan_kode)),
            kelurahan=rt.kelurahan.nama,
        )
    )


def _stages(row: RTRow, reports: list[StageReport], views: dict[int, ReportView]) -> list[StageView]:
    result = []
    for state in row.states:
        label = status_label(state.status)
        if state.late and state.status != "terlambat":
            label += f" ({_('late')})"
        result.append(
            StageView(
                symbol(state.status),
                state.stage.nama,
                months_text(state),
                state.status,
                label,
                [views[r.id] for r in reports if r.stage_key == state.stage.kode],
            )
        )
    return result


def _facts(row: RTRow) -> list[tuple[str, str]]:
    """(label, value) lines at the top of the page."""
    return [
        (_("Kecamatan name"), row.kecamatan),
        (_("Pendamping"), row.pendamping or "-"),
        (_("Number of KK"), number(row.jumlah_kk) if row.jumlah_kk is not None else "-"),
        (_("Allocation"), rupiah(row.allocation) if row.allocation is not None else "-"),
        (
            _("Funds received (confirmed)"),
            rupiah(row.received) + (f" — {_('differs from the allocation')}" if row.fund_mismatch else ""),
        ),
        (_("Spent"), rupiah(row.spent)),
        (_("Balance"), rupiah(row.balance)),
        (_("Ketua RT"), _("registered") if row.ketua_registered else _("not registered")),
        (_("Pokja treasurer"), _("registered") if row.bendahara_registered else _("not registered")),
        (_("Pilot 2025"), _("yes") if row.pilot else _("no")),
    ]
