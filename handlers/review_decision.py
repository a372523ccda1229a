"""Approving a report or sending it back, and telling whoever sent it: the one way, for the chat's /tinjau and the
dashboard's Tinjauan page alike.

The decision itself is services/review.py (a conditional update: two reviewers can never both decide). Here it is
followed by what people hear: the sender's notice (in their language, through the outbox), and for confirmed funds
the RT's Ketua and Bendahara. Both callers pass a `Desk`: the chat its Context, the dashboard its own
(handlers/dashboard/desk.py), so a decision taken in a browser is told exactly as one taken in the chat.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import Desk
from handlers.flows import dana_diterima
from handlers.flows.pendamping_format import rt_label
from handlers.flows.pendamping_review import already_reviewed, approved_notice, sent_back_notice, stage_name
from handlers.i18n import _
from services import review
from services.models import RT, Person, ReportStatus, Role, StageReport
from services.program import Program

# The purpose of the sender's notice (WhatsApp template outside the person's window, handlers/payload.py).
PURPOSE = "pemberitahuan"


@dataclass(frozen=True)
class Decided:
    report: StageReport
    rt: RT
    stage: str  # the stage's name
    sender: Person | None
    told: bool  # False: the sender cannot be reached in the bot

    @property
    def approved(self) -> bool:
        return self.report.status == ReportStatus.DISETUJUI

    def summary(self) -> list[str]:
        """What the reviewer is shown (in the reviewer's language: call it under their locale)."""
        if self.approved:
            done = _("✅ Approved: {rt} — {stage}.", rt=rt_label(self.rt), stage=self.stage)
        else:
            done = _("↩️ Sent back with your reason: {rt} — {stage}.", rt=rt_label(self.rt), stage=self.stage)
        name = self.sender.nama if self.sender is not None and self.sender.nama else "-"
        if self.told:
            return [done, _("{name} has been told.", name=name)]
        return [done, _("{name} cannot be reached in the bot; please tell them yourself.", name=name)]


def fix_parts(program: Program, stage_key: str) -> list[str]:
    """The parts of a report of this stage its sender can be asked again (review.FIX_PARTS): answers only for a
    stage with questions, and none for a stage not reported with /lapor (the reason alone says it for /dana)."""
    stage = next((s for s in program.stages if s.kode == stage_key), None)
    if stage is None or stage.pelapor != Role.KETUA_RT:
        return []
    return [p for p in review.FIX_PARTS if p != "isian" or stage.isian]


async def approve(desk: Desk, report_id: int) -> Decided:
    """Raises ProblemError: report_not_found, report_not_yours, report_already_reviewed (nothing changed then)."""
    report = await review.approve(desk.session, desk.person, report_id, actor=desk.actor, now=desk.now)
    return await _announce(desk, report)


async def send_back(desk: Desk, report_id: int, reason: str, fix: Sequence[str] = ()) -> Decided:
    """As `approve`, and review_reason_missing / review_reason_too_long for a reason the sender could not use."""
    report = await review.send_back(
        desk.session, desk.person, report_id, reason, actor=desk.actor, now=desk.now, fix=list(fix)
    )
    return await _announce(desk, report)


async def _announce(desk: Desk, report: StageReport) -> Decided:
    """Tell the sender at once (in the same unit of work: no decision without its notice, and no notice alone)."""
    _report, rt = await review.load_report(desk.session, report.id)
    stage = stage_name(desk.program, report.stage_key)
    sender = await desk.session.get(Person, report.submitted_by_id)
    reviewer = desk.person
    told = 0
    if report.status == ReportStatus.DISETUJUI:
        if sender is not None:
            told = await desk.notify(
                sender, lambda: approved_notice(report, rt, stage, reviewer, sender), purpose=PURPOSE
            )
        await dana_diterima.confirmed(desk, report, rt)
    elif sender is not None:
        told = await desk.notify(sender, lambda: sent_back_notice(report, rt, stage, reviewer, sender), purpose=PURPOSE)
    return Decided(report, rt, stage, sender, told > 0)


async def already_text(session: AsyncSession, report: StageReport) -> str:
    """Who decided this report before (another reviewer, another tab, the chat), and when."""
    reviewer = await session.get(Person, report.reviewed_by_id) if report.reviewed_by_id else None
    return already_reviewed(report, reviewer)
