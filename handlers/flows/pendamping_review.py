"""What the review conversation shows: a report card for the pendamping, and the decision for whoever sent it."""

from handlers.context import Context
from handlers.flows.lapor_media import evidence_text
from handlers.flows.pendamping_format import person_label, rt_label
from handlers.formatting import number, rt_nama, rupiah, tanggal, waktu
from handlers.i18n import _
from handlers.messages import Choice, Expect, Reply
from services.models import RT, Person, ReportStatus, Role, StageReport
from services.program import Stage


def _stage(ctx: Context, stage_key: str) -> Stage | None:
    # A report may name a stage since removed from the program file: show its key rather than fail.
    return next((s for s in ctx.program.stages if s.kode == stage_key), None)


def _answer_lines(ctx: Context, report: StageReport) -> list[str]:
    stage = _stage(ctx, report.stage_key)
    fields = {f.kode: f for f in stage.isian} if stage else {}
    lines = []
    for kode, value in (report.answers or {}).items():
        field = fields.get(kode)
        if field is not None and field.jenis == "rupiah" and isinstance(value, int):
            shown = rupiah(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            shown = number(value)
        else:
            shown = str(value)
        lines.append(f"{field.label if field else kode}: {shown}")
    return lines


def stage_name(ctx: Context, stage_key: str) -> str:
    stage = _stage(ctx, stage_key)
    return stage.nama if stage else stage_key


def report_card(ctx: Context, report: StageReport, rt: RT, sender: Person | None, waiting: int) -> Reply:
    photos = [m for m in report.media if m.kind == "photo"]
    documents = [m for m in report.media if m.kind != "photo"]
    lines = [
        _("📋 Report for review: {rt}", rt=rt_label(rt)),
        _("Stage: {stage}", stage=stage_name(ctx, report.stage_key)),
        _("Date of the activity: {date}", date=tanggal(report.happened_on)),
        _(
            "Sent by {person} on {time}",
            person=person_label(sender) if sender else "-",
            time=waktu(report.submitted_at),
        ),
        *_answer_lines(ctx, report),
    ]
    if photos or documents:
        lines.append(_("Evidence: {evidence}", evidence=evidence_text(len(photos), len(documents))))
    for index, media in enumerate(photos, start=1):
        if media.reuse_of_media_id is not None:
            lines.append(_("⚠️ Photo {number}: this photo was also used by another RT.", number=index))
    for index, media in enumerate(documents, start=1):
        if media.reuse_of_media_id is not None:
            lines.append(_("⚠️ Document {number}: this file was also used by another RT.", number=index))
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
