"""Tinjauan, the review queue on the dashboard: one report at a time, in full, oldest first; and a report's own
read-only page (/laporan/{id}), where an approved report can be marked as an example (Contoh).

The decision and the sender's notice are handlers/review_decision.py, the same code the chat's /tinjau runs; what a
reviewer may open is services/review.report_for_review (services/assignments.may_review), as in the chat.
Each function returns a `Shown` (an HTTP status and the page) and knows nothing of HTTP itself.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import review_decision
from handlers.dashboard.desk import WebDesk, web_actor
from handlers.dashboard.pages import not_found, page, refused, speaking
from handlers.flows.lapor_edit import part_names
from handlers.flows.pendamping_format import person_label, rt_label
from handlers.flows.pendamping_review import answer_lines, earlier_use_text, money_lines, stage_name
from handlers.formatting import rt_nama, tanggal, waktu
from handlers.i18n import _
from services import examples, media_reuse, review
from services.models import RT, Media, Person, ReportStatus, StageReport
from services.problems import ProblemError
from services.program import Program
from services.web_sessions import SignedIn

APPROVE = "setujui"
SEND_BACK = "kembalikan"


@dataclass(frozen=True)
class Shown:
    html: str
    status: int = 200


@dataclass(frozen=True)
class FileView:
    id: int
    label: str  # "Foto 1", "Dokumen 1"
    is_photo: bool
    details: list[str]  # when and where a photo was taken (EXIF), when known
    warnings: list[str]  # the same file used by another RT, or by this RT for something else


@dataclass(frozen=True)
class ReportView:
    id: int
    rt: str  # "RT 003 Kel. Talang Banjar"
    rt_label: str  # with its Kelompok, as the chat's review card names it
    stage: str
    lines: list[str]  # date, sender, answers, money, location: as the chat's review card shows them
    files: list[FileView]
    status: str
    status_label: str
    review_lines: list[str]  # who decided, the reason, what to fix; or who marked it as an example
    waiting: bool
    approved: bool
    contoh: bool
    fix_parts: list[tuple[str, str]]  # (part, label) a send-back can ask to fix


@dataclass(frozen=True)
class Notice:
    """What the last decision did, shown above the next report; an approved report can be marked as an example."""

    lines: list[str]
    contoh_report_id: int | None = None


@dataclass(frozen=True)
class Typed:
    """What the reviewer typed, kept when the form is shown again with a problem."""

    reason: str = ""
    fix: Sequence[str] = field(default=())


def _status_label(status: str) -> str:
    return {
        ReportStatus.MENUNGGU_TINJAUAN: _("⏳ Waiting for review"),
        ReportStatus.DISETUJUI: _("✅ Approved"),
        ReportStatus.DIKEMBALIKAN: _("↩️ Sent back"),
    }.get(status, status)


def _fix_labels() -> dict[str, str]:
    return {"tanggal": _("the date"), "isian": _("the answers"), "foto": _("the photos")}


def _place(latitude: float | None, longitude: float | None) -> str | None:
    if latitude is None or longitude is None:
        return None
    return f"{latitude:.5f}, {longitude:.5f}"


def _file_views(program: Program, report: StageReport, earlier: dict) -> list[FileView]:
    views = []
    photos = [m for m in report.media if m.kind == "photo"]
    documents = [m for m in report.media if m.kind != "photo"]
    for number, media in enumerate(photos, start=1):
        label = _("Photo {number}", number=number)
        details = []
        if media.exif_taken_at is not None:
            details.append(_("Taken on {time}", time=waktu(media.exif_taken_at)))
        place = _place(media.exif_latitude, media.exif_longitude)
        if place:
            details.append(_("Taken at {place}", place=place))
        views.append(FileView(media.id, label, True, details, _warnings(program, media, label, earlier, True, number)))
    for number, media in enumerate(documents, start=1):
        label = _("Document {number}", number=number)
        views.append(FileView(media.id, label, False, [], _warnings(program, media, label, earlier, False, number)))
    return views


def _warnings(program: Program, media: Media, label: str, earlier: dict, photo: bool, number: int) -> list[str]:
    """The chat's review card's warnings about this file, word for word."""
    found = []
    if media.reuse_of_media_id is not None:
        if photo:
            found.append(_("⚠️ Photo {number}: this photo was also used by another RT.", number=number))
        else:
            found.append(_("⚠️ Document {number}: this file was also used by another RT.", number=number))
    if media.id in earlier:
        found.append(earlier_use_text(program, label, earlier[media.id]))
    return found


async def _review_lines(session: AsyncSession, report: StageReport) -> list[str]:
    lines = []
    if report.status != ReportStatus.MENUNGGU_TINJAUAN:
        lines.append(await review_decision.already_text(session, report))
    if report.status == ReportStatus.DIKEMBALIKAN:
        lines.append(_("Reason: {reason}", reason=report.review_reason or "-"))
        if report.review_fix:
            lines.append(_("To fix: {parts}.", parts=part_names(report.review_fix)))
    if report.contoh_at is not None:
        marker = await session.get(Person, report.contoh_by_id) if report.contoh_by_id else None
        lines.append(
            _(
                "Marked as an example by {name} on {date}.",
                name=marker.nama if marker is not None and marker.nama else "-",
                date=tanggal(report.contoh_at),
            )
        )
    return lines


async def report_view(session: AsyncSession, program: Program, report: StageReport, rt: RT) -> ReportView:
    """Everything the chat's review card says about a report (call under the viewer's locale)."""
    sender = await session.get(Person, report.submitted_by_id)
    lines = [
        _("Date of the activity: {date}", date=tanggal(report.happened_on)),
        _(
            "Sent by {person} on {time}",
            person=person_label(sender) if sender else "-",
            time=waktu(report.submitted_at),
        ),
        *answer_lines(program, report),
        *money_lines(program, report, rt),
    ]
    location = _place(report.latitude, report.longitude)
    if location:
        lines.append(_("Location: {latitude}, {longitude}", latitude=report.latitude, longitude=report.longitude))
    labels = _fix_labels()
    return ReportView(
        id=report.id,
        rt=rt_nama(rt.nomor, rt.kelurahan.nama),
        rt_label=rt_label(rt),
        stage=stage_name(program, report.stage_key),
        lines=lines,
        files=_file_views(program, report, await media_reuse.same_rt_uses(session, report)),
        status=report.status,
        status_label=_status_label(report.status),
        review_lines=await _review_lines(session, report),
        waiting=report.status == ReportStatus.MENUNGGU_TINJAUAN,
        approved=report.status == ReportStatus.DISETUJUI,
        contoh=report.contoh_at is not None,
        fix_parts=[(part, labels[part]) for part in review_decision.fix_parts(program, report.stage_key)],
    )


async def _reviewable(session: AsyncSession, viewer: SignedIn, report_id: int) -> tuple[StageReport, RT] | Shown:
    """The report, or the 404 / 403 page: the same rule as the chat (services/review.report_for_review)."""
    try:
        return await review.report_for_review(session, viewer.person, report_id)
    except ProblemError as error:
        if error.problems[0].code == "report_not_yours":
            return Shown(refused(viewer), 403)
        return Shown(not_found(viewer), 404)


async def queue_page(
    session: AsyncSession,
    program: Program,
    viewer: SignedIn,
    report_id: int | None = None,
    *,
    notice: Notice | None = None,
    problem: str | None = None,
    typed: Typed | None = None,
    status: int = 200,
) -> Shown:
    """The review page: this report (or the oldest waiting one), its place in the queue, and the actions."""
    queue = [r.id for r in await review.review_queue(session, viewer.person)]
    if report_id is None and queue:
        report_id = queue[0]
    shown: ReportView | None = None
    position = following = None
    if report_id is not None:
        found = await _reviewable(session, viewer, report_id)
        if isinstance(found, Shown):
            return found
        with speaking(viewer):
            shown = await report_view(session, program, *found)
        if report_id in queue:
            at = queue.index(report_id)
            position = at + 1
            # Skipping goes round: after the newest, back to the oldest still waiting (as /tinjau offers again).
            following = queue[(at + 1) % len(queue)] if len(queue) > 1 else None
        else:
            following = queue[0] if queue else None
    with speaking(viewer):
        title = _("Reports waiting for review")
    return Shown(
        page(
            "tinjauan.html",
            viewer,
            title=title,
            active="tinjauan",
            report=shown,
            position=position,
            total=len(queue),
            following=following,
            notice=notice,
            problem=problem,
            typed=typed or Typed(),
            max_reason=review.MAX_REASON,
        ),
        status,
    )


def _reason_problem(error: ProblemError) -> str | None:
    """The chat's words for a reason it cannot send (handlers/flows/tinjau.py), or None for another problem."""
    found = error.problems[0]
    if found.code == "review_reason_missing":
        return _("The reason is empty. Please write what must be fixed.")
    if found.code == "review_reason_too_long":
        return _(
            "The reason is too long ({length} characters). Please shorten it to at most {maximum} characters.",
            length=found.params["length"],
            maximum=found.params["maximum"],
        )
    return None


async def decide(
    session: AsyncSession,
    program: Program,
    viewer: SignedIn,
    report_id: int,
    action: str,
    *,
    now: datetime,
    reason: str = "",
    fix: Sequence[str] = (),
) -> Shown:
    """Approve or send back, tell the sender, and show the next report of the queue with what was done."""
    found = await _reviewable(session, viewer, report_id)
    if isinstance(found, Shown):
        return found
    report, _rt = found
    before = [r.id for r in await review.review_queue(session, viewer.person)]
    desk = WebDesk(session, program, viewer.person, now)
    allowed = review_decision.fix_parts(program, report.stage_key)
    try:
        if action == APPROVE:
            decided = await review_decision.approve(desk, report_id)
        else:
            decided = await review_decision.send_back(desk, report_id, reason, [p for p in fix if p in allowed])
    except ProblemError as error:
        with speaking(viewer):
            problem = _reason_problem(error)
        if problem is not None:
            return await queue_page(
                session, program, viewer, report_id, problem=problem, typed=Typed(reason, fix), status=400
            )
        if error.problems[0].code == "report_already_reviewed":
            await session.refresh(report)
            with speaking(viewer):
                problem = await review_decision.already_text(session, report)
            return await queue_page(session, program, viewer, report_id, problem=problem, status=409)
        raise
    with speaking(viewer):
        notice = Notice(decided.summary(), report_id if decided.approved else None)
    waiting = {r.id for r in await review.review_queue(session, viewer.person)}
    at = before.index(report_id) if report_id in before else 0
    # The report after this one in the order the reviewer was going, else the oldest still waiting.
    after = [i for i in before[at + 1 :] + before[:at] if i in waiting]
    return await queue_page(session, program, viewer, after[0] if after else None, notice=notice)


async def laporan_page(
    session: AsyncSession, program: Program, viewer: SignedIn, report_id: int, *, problem: str | None = None
) -> Shown:
    """A report, read-only, for those who may review its RT; an approved one can be marked as an example."""
    found = await _reviewable(session, viewer, report_id)
    if isinstance(found, Shown):
        return found
    with speaking(viewer):
        shown = await report_view(session, program, *found)
        title = _("Report: {rt} — {stage}", rt=shown.rt, stage=shown.stage)
    return Shown(page("laporan.html", viewer, title=title, active="tinjauan", report=shown, problem=problem))


async def set_contoh(
    session: AsyncSession, program: Program, viewer: SignedIn, report_id: int, marked: bool, *, now: datetime
) -> Shown | None:
    """Mark or unmark as an example; None when done (the caller shows the report again), else the page to show."""
    found = await _reviewable(session, viewer, report_id)
    if isinstance(found, Shown):
        return found
    try:
        if marked:
            await examples.mark(session, viewer.person, report_id, actor=web_actor(viewer.person), now=now)
        else:
            await examples.unmark(session, viewer.person, report_id, actor=web_actor(viewer.person))
    except ProblemError as error:
        if error.problems[0].code != "contoh_not_approved":
            raise
        with speaking(viewer):
            problem = _("Only an approved report can be an example.")
        shown = await laporan_page(session, program, viewer, report_id, problem=problem)
        return Shown(shown.html, 409)
    return None
