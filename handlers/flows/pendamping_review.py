"""What the review conversation shows: a report card for the pendamping, and the decision for whoever sent it."""

from handlers.context import Context
from handlers.flows.lapor_edit import part_names
from handlers.flows.lapor_media import evidence_text
from handlers.flows.pendamping_format import person_label, rt_label
from handlers.formatting import number, rt_nama, rupiah, tanggal, waktu
from handlers.i18n import _
from handlers.messages import Choice, Expect, Reply
from services import media_reuse
from services.funds import STAGE_PENCAIRAN
from services.media_reuse import EarlierUse
from services.models import RT, Person, ReportStatus, Role, StageReport
from services.program import Program, Stage

# The answer /dana stores on the pencairan_dana report: the rupiah that reached the Pokja's account.
RECEIVED = "jumlah"


def _stage(program: Program, stage_key: str) -> Stage | None:
    # A report may name a stage since removed from the program file: show its key rather than fail.
    return next((s for s in program.stages if s.kode == stage_key), None)


def answer_lines(program: Program, report: StageReport) -> list[str]:
    """The stage's answers as `label: value` lines (rupiah and numbers formatted), as the review card shows them."""
    stage = _stage(program, report.stage_key)
    fields = {f.kode: f for f in stage.isian} if stage else {}
    lines = []
    for kode, value in (report.answers or {}).items():
        field = fields.get(kode)
        if _is_money(report, kode, field) and isinstance(value, int) and not isinstance(value, bool):
            shown = rupiah(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            shown = number(value)
        else:
            shown = str(value)
        if field is not None:
            label = field.label
        elif _is_received(report, kode):
            label = _("Amount received")
        else:
            label = kode
        lines.append(f"{label}: {shown}")
    return lines


def _is_received(report: StageReport, kode: str) -> bool:
    return report.stage_key == STAGE_PENCAIRAN and kode == RECEIVED


def _is_money(report: StageReport, kode: str, field) -> bool:
    return (field is not None and field.jenis == "rupiah") or _is_received(report, kode)


def money_lines(program: Program, report: StageReport, rt: RT) -> list[str]:
    """For a report about money: the RT's allocation, and how the amount received differs from it."""
    stage = _stage(program, report.stage_key)
    fields = {f.kode: f for f in stage.isian} if stage else {}
    if not any(_is_money(report, kode, fields.get(kode)) for kode in report.answers or {}):
        return []
    allocation = program.allocation(rt.jumlah_kk)
    if allocation is None:
        return [_("Allocation of this RT: not known yet (the KK count is not registered).")]
    lines = [_("Allocation of this RT: {amount} ({kk} KK)", amount=rupiah(allocation), kk=number(rt.jumlah_kk))]
    received = (report.answers or {}).get(RECEIVED) if _is_received(report, RECEIVED) else None
    if isinstance(received, int) and received != allocation:
        if received < allocation:
            lines.append(_("⚠️ {amount} less than the allocation: please check.", amount=rupiah(allocation - received)))
        else:
            lines.append(_("⚠️ {amount} more than the allocation: please check.", amount=rupiah(received - allocation)))
    return lines


def stage_name(program: Program, stage_key: str) -> str:
    stage = _stage(program, stage_key)
    return stage.nama if stage else stage_key


def earlier_use_text(program: Program, item: str, use: EarlierUse) -> str:
    if use.what == media_reuse.RECEIPT:
        return _("⚠️ {item}: this RT already sent the same file as the proof of transfer.", item=item)
    if use.what == media_reuse.SPENDING:
        return _(
            "⚠️ {item}: this RT already sent the same file as a spending receipt ({date}).",
            item=item,
            date=tanggal(use.on),
        )
    return _(
        "⚠️ {item}: this RT already sent the same file for {stage} ({date}).",
        item=item,
        stage=stage_name(program, use.stage_key),
        date=tanggal(use.on),
    )


def report_card(
    ctx: Context,
    report: StageReport,
    rt: RT,
    sender: Person | None,
    waiting: int,
    earlier: dict[int, EarlierUse] | None = None,
) -> Reply:
    """`earlier`: files of this report the same RT already used elsewhere (services/media_reuse.py)."""
    earlier = earlier or {}
    photos = [m for m in report.media if m.kind == "photo"]
    documents = [m for m in report.media if m.kind != "photo"]
    lines = [
        _("📋 Report for review: {rt}", rt=rt_label(rt)),
        _("Stage: {stage}", stage=stage_name(ctx.program, report.stage_key)),
        _("Date of the activity: {date}", date=tanggal(report.happened_on)),
        _(
            "Sent by {person} on {time}",
            person=person_label(sender) if sender else "-",
            time=waktu(report.submitted_at),
        ),
        *answer_lines(ctx.program, report),
        *money_lines(ctx.program, report, rt),
    ]
    if photos or documents:
        lines.append(_("Evidence: {evidence}", evidence=evidence_text(len(photos), len(documents))))
    for index, media in enumerate(photos, start=1):
        if media.reuse_of_media_id is not None:
            lines.append(_("⚠️ Photo {number}: this photo was also used by another RT.", number=index))
        if media.id in earlier:
            lines.append(earlier_use_text(ctx.program, _("Photo {number}", number=index), earlier[media.id]))
    for index, media in enumerate(documents, start=1):
        if media.reuse_of_media_id is not None:
            lines.append(_("⚠️ Document {number}: this file was also used by another RT.", number=index))
        if media.id in earlier:
            lines.append(earlier_use_text(ctx.program, _("Document {number}", number=index), earlier[media.id]))
    if report.latitude is not None and report.longitude is not None:
        lines.append(_("Location: {latitude}, {longitude}", latitude=report.latitude, longitude=report.longitude))
    lines += ["", _("Reports waiting in your queue: {count}", count=waiting)]
    lines.append(_("If the report is in order, approve it. If something must be fixed, send it back with a reason."))
    return Reply(
        "\n".join(lines),
        (
            Choice(f"ok:{report.id}", _("Approve")),
            Choice(f"back:{report.id}", _("Send back")),
            Choice(f"skip:{report.id}", _("Skip")),
        ),
        Expect.CHOICE,
        attachments=tuple((m.path, m.kind) for m in report.media),
    )


def approved_notice(report: StageReport, rt: RT, stage: str, reviewer: Person, recipient: Person) -> Reply:
    text = _(
        "✅ Your report of the stage {stage} ({rt}) was approved by {reviewer}. Thank you!",
        stage=stage,
        rt=rt_nama(rt.nomor, rt.kelurahan.nama),  # to the RT itself: its Kelompok goes without saying
        reviewer=person_label(reviewer),
    )
    if recipient.role == Role.KETUA_RT:
        after = _("Send /jadwal to see what comes next.")
    else:
        after = _("Send /menu to see what you can do next.")
    return Reply(f"{text}\n{after}")


def sent_back_notice(report: StageReport, rt: RT, stage: str, reviewer: Person, recipient: Person) -> Reply:
    text = _(
        "↩️ Your report of the stage {stage} ({rt}) was sent back by {reviewer} to be fixed.\nReason: {reason}",
        stage=stage,
        rt=rt_nama(rt.nomor, rt.kelurahan.nama),  # to the RT itself: its Kelompok goes without saying
        reviewer=person_label(reviewer),
        reason=report.review_reason or "-",
    )
    if report.review_fix:
        text += "\n" + _("To fix: {parts}.", parts=part_names(report.review_fix))
    # The bendahara reports the funds received with /dana; every other stage is reported with /lapor.
    if recipient.role == Role.BENDAHARA:
        again = _("Please fix it and send it again with /dana.")
    else:
        again = _("Please fix it and send the report again with /lapor.")
    return Reply(f"{text}\n{again}")


def already_reviewed(report: StageReport, reviewer: Person | None) -> str:
    name = person_label(reviewer) if reviewer else "-"
    when = tanggal(report.reviewed_at) if report.reviewed_at else "-"
    if report.status == ReportStatus.DISETUJUI:
        return _("This report was already reviewed: approved by {name} on {date}.", name=name, date=when)
    return _("This report was already reviewed: sent back by {name} on {date}.", name=name, date=when)
