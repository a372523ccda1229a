"""`/laporan`: what the RT has reported, stage by stage — date, status, photos — and what was sent back and why.

For the Ketua RT and the Bendahara Pokja alike: both answer for the RT's reports (the treasurer's is the funds).
"""

from handlers.context import Context
from handlers.flow import Data, Finish, Flow, Outcome
from handlers.flows.ketua_common import no_rt, own_rt, rt_name
from handlers.flows.pendamping_format import as_messages
from handlers.flows.pendamping_review import stage_name
from handlers.formatting import rupiah, tanggal
from handlers.i18n import _
from handlers.messages import Reply
from services import funds, reports
from services.models import ReportStatus, Role, StageReport

NAME = "laporan"


def _status(report: StageReport) -> str:
    return {
        ReportStatus.DISETUJUI: _("✅ approved"),
        ReportStatus.DIKEMBALIKAN: _("↩️ sent back"),
        ReportStatus.MENUNGGU_TINJAUAN: _("🕓 waiting for review"),
    }.get(report.status, report.status)


def _files(report: StageReport) -> str:
    photos = sum(1 for m in report.media if m.kind == "photo")
    documents = len(report.media) - photos
    text = _("{count} photo(s)", count=photos)
    if documents:
        text += ", " + _("{count} document(s)", count=documents)
    return text


def _lines(ctx: Context, report: StageReport, redone: bool) -> list[str]:
    line = f"• {stage_name(ctx.program, report.stage_key)} — {tanggal(report.happened_on)} — {_status(report)} — "
    line += _files(report)
    amount = (report.answers or {}).get("jumlah")
    if report.stage_key == funds.STAGE_PENCAIRAN and isinstance(amount, int):
        line += f" — {rupiah(amount)}"
    lines = [line]
    if report.status == ReportStatus.DIKEMBALIKAN:
        lines.append(_("   Reason: {reason}", reason=report.review_reason or "-"))
        if redone:
            lines.append(_("   Already sent again."))
        elif report.stage_key == funds.STAGE_PENCAIRAN:
            lines.append(_("   Fix it and send it again with /dana."))
        else:
            lines.append(_("   Fix it and send it again with /lapor."))
    return lines


async def start(ctx: Context, data: Data) -> Outcome:
    rt = await own_rt(ctx)
    if rt is None:
        return no_rt()
    where = await rt_name(ctx, rt)
    found = await reports.list_reports(ctx.session, rt.id)
    if not found:
        return Finish((Reply(_("{rt} has not reported any stage yet. Send /jadwal to see what is due.", rt=where)),))
    order = {stage.kode: index for index, stage in enumerate(ctx.program.stages)}
    found.sort(key=lambda r: (order.get(r.stage_key, len(order)), r.submitted_at, r.id))
    lines = [_("Reports of {rt}:", rt=where)]
    for index, report in enumerate(found):
        # A report sent back and reported again later: its reason is history, no longer a task.
        redone = any(later.stage_key == report.stage_key for later in found[index + 1 :])
        lines += _lines(ctx, report, redone)
    return Finish(tuple(as_messages(lines)))


FLOW = Flow(name=NAME, roles=frozenset({Role.KETUA_RT.value, Role.BENDAHARA.value}), start=start)
