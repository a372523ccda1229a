"""The words the RT list, the overview and the exports share: stage statuses, filter statuses, the exports' column
headers, and the address of an RT list for a filter (every number on the overview links to one)."""

from urllib.parse import urlencode

from handlers.flows.jadwal import SYMBOLS
from handlers.i18n import _
from services.rt_filter import NOT_STARTED, OVERDUE, RTFilter, Sort
from services.schedule import StageStatus

LIST_PATH = "/rt"


def status_label(status: str) -> str:
    """A stage status (services/schedule.StageStatus) or a filter status (services/rt_filter.STATUSES)."""
    return {
        StageStatus.SELESAI: _("Done"),
        StageStatus.MENUNGGU_TINJAUAN: _("Waiting for review"),
        StageStatus.DIKEMBALIKAN: _("Sent back"),
        StageStatus.JATUH_TEMPO: _("Due this month"),
        StageStatus.TERLAMBAT: _("Late, not reported"),
        StageStatus.AKAN_DATANG: _("Upcoming"),
        OVERDUE: _("Late (also sent back and late)"),
        NOT_STARTED: _("Not reported yet"),
    }.get(status, status)


def symbol(status: str) -> str:
    return SYMBOLS.get(status, "")


def list_href(filter: RTFilter, sort: Sort | None = None, page: int | None = None, path: str = LIST_PATH) -> str:
    """The RT list (or an export of it, with `path`) for this filter."""
    query = filter.to_query()
    if sort is not None and sort != Sort():
        query["sort"] = sort.to_query()
    if page is not None and page > 1:
        query["page"] = str(page)
    return f"{path}?{urlencode(query)}" if query else path


def export_labels() -> dict[str, str]:
    """Headers, sheet names and values of the exports (services/exports.py), in the reader's language."""
    labels = {
        "kode": _("RT code"),
        "kecamatan": _("Kecamatan name"),
        "kelurahan": _("Kelurahan"),
        "nomor": _("RT number"),
        "kelompok": _("Kelompok"),
        "jumlah_kk": _("Number of KK"),
        "pilot": _("Pilot 2025"),
        "pendamping": _("Pendamping"),
        "ketua_registered": _("Ketua RT registered"),
        "bendahara_registered": _("Bendahara registered"),
        "progress": _("Stages done (share)"),
        "allocation": _("Allocation (Rp)"),
        "received": _("Funds received (Rp)"),
        "spent": _("Spent (Rp)"),
        "balance": _("Balance (Rp)"),
        "fund_mismatch": _("Funds differ from the allocation"),
        "hadir": _("Residents at the rembuk warga"),
        "kk_hadir": _("KK at the rembuk warga"),
        "kk_share": _("KK present (share of the RT's KK)"),
        "swadaya_rupiah": _("Swadaya in money (Rp)"),
        "swadaya_barang": _("Swadaya in kind"),
        "yes": _("yes"),
        "no": _("no"),
        "late": _("late"),
        "sheet_rt": _("RT list"),
        "sheet_reports": _("Reports"),
        "sheet_funds": _("Funds received"),
        "sheet_spending": _("Spending"),
        "sheet_files": _("Files"),
        "summary_file": _("summary"),
        "stage": _("Stage"),
        "status": _("Report status"),
        "happened_on": _("Date of the activity"),
        "submitted_at": _("Sent at (UTC)"),
        "reviewed_at": _("Reviewed at (UTC)"),
        "review_reason": _("Reason sent back"),
        "answers": _("Answers"),
        "amount": _("Amount (Rp)"),
        "expected_amount": _("Allocation when recorded (Rp)"),
        "received_on": _("Date received"),
        "counted": _("Counted"),
        "cancelled": _("Cancelled"),
        "report_sent_back": _("Report sent back"),
        "bidang": _("Field of activity"),
        "description": _("Description"),
        "spent_on": _("Date spent"),
        "file": _("File in this ZIP"),
        "kind": _("Kind"),
        "photo": _("photo"),
        "document": _("document"),
        "exif_taken_at": _("Photo taken at (UTC)"),
        "exif_latitude": _("Latitude"),
        "exif_longitude": _("Longitude"),
        "reuse": _("Also used by another RT"),
        "in_pack": _("File present"),
    }
    labels.update({status: status_label(status) for status in StageStatus})
    labels.update({"disetujui": _("Approved")})  # a report's own status (the summary's Reports sheet)
    return labels
