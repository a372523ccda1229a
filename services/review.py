"""The pendamping's review of stage reports: the queue, approving, and sending back with a reason.

A decision is a conditional update (only while the report still waits), so two reviewers pressing at the same
moment can never both decide: the second one is told who was first.
"""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services import audit
from services.assignments import REVIEWER_ROLES, may_review, real_rt
from services.models import RT, Person, ReportStatus, Role, StageReport, utcnow
from services.problems import ProblemError

MAX_REASON = 500
# The parts of a report a send-back can ask to fix: the sender is then asked only those again (/lapor).
FIX_PARTS = ("tanggal", "isian", "foto")


async def review_queue(session: AsyncSession, reviewer: Person) -> list[StageReport]:
    """Reports waiting for review in the reviewer's RTs, oldest first."""
    if reviewer.role not in REVIEWER_ROLES:
        return []
    query = (
        select(StageReport)
        .where(StageReport.status == ReportStatus.MENUNGGU_TINJAUAN)
        .order_by(StageReport.submitted_at, StageReport.id)
    )
    # Not a training RT's (the simulator's): an admin sees every RT's reports, but those are nobody's work.
    query = query.join(RT, RT.id == StageReport.rt_id).where(real_rt())
    if reviewer.role != Role.ADMIN:
        query = query.where(RT.pendamping_id == reviewer.id)
    return list(await session.scalars(query))


async def load_report(session: AsyncSession, report_id: int) -> tuple[StageReport, RT] | None:
    """A report with its media, and its RT with the kelurahan; None when there is no such report."""
    report = await session.scalar(
        select(StageReport).where(StageReport.id == report_id).options(selectinload(StageReport.media))
    )
    if report is None:
        return None
    rt = await session.scalar(select(RT).where(RT.id == report.rt_id).options(selectinload(RT.kelurahan)))
    return report, rt


async def report_for_review(session: AsyncSession, reviewer: Person, report_id: int) -> tuple[StageReport, RT]:
    """The report, if this person may review it (whatever its status).

    Raises report_not_found, or report_not_yours when the RT is not assigned to the reviewer.
    """
    found = await load_report(session, report_id)
    if found is None:
        raise ProblemError.one("report_not_found", id=report_id)
    report, rt = found
    if not may_review(reviewer, rt):
        raise ProblemError.one("report_not_yours", id=report_id)
    return report, rt


def check_reason(reason: str) -> str:
    """The reason as it will be stored; raises review_reason_missing / review_reason_too_long."""
    cleaned = (reason or "").strip()
    if not cleaned:
        raise ProblemError.one("review_reason_missing")
    if len(cleaned) > MAX_REASON:
        raise ProblemError.one("review_reason_too_long", length=len(cleaned), maximum=MAX_REASON)
    return cleaned


async def approve(
    session: AsyncSession, reviewer: Person, report_id: int, *, actor: str, now: datetime | None = None
) -> StageReport:
    return await _decide(session, reviewer, report_id, ReportStatus.DISETUJUI, None, actor=actor, now=now)


async def send_back(
    session: AsyncSession,
    reviewer: Person,
    report_id: int,
    reason: str,
    *,
    actor: str,
    now: datetime | None = None,
    fix: tuple[str, ...] | list[str] = (),
) -> StageReport:
    """Send back with a reason and, optionally, the parts to fix (FIX_PARTS; others are ignored)."""
    cleaned = check_reason(reason)
    parts = [part for part in FIX_PARTS if part in fix] or None
    return await _decide(
        session, reviewer, report_id, ReportStatus.DIKEMBALIKAN, cleaned, actor=actor, now=now, fix=parts
    )


async def _decide(
    session: AsyncSession,
    reviewer: Person,
    report_id: int,
    status: ReportStatus,
    reason: str | None,
    *,
    actor: str,
    now: datetime | None,
    fix: list[str] | None = None,
) -> StageReport:
    """Raises report_not_found, report_not_yours, or report_already_reviewed (nothing is written then)."""
    now = now or utcnow()
    report, _rt = await report_for_review(session, reviewer, report_id)
    if report.status == ReportStatus.MENUNGGU_TINJAUAN:
        result = await session.execute(
            update(StageReport)
            .where(StageReport.id == report.id, StageReport.status == ReportStatus.MENUNGGU_TINJAUAN)
            .values(status=status, reviewed_by_id=reviewer.id, reviewed_at=now, review_reason=reason, review_fix=fix)
            .execution_options(synchronize_session=False)
        )
        decided_here = result.rowcount == 1
    else:
        decided_here = False
    # The row may have changed under us (another reviewer, or this update): read it as it is now.
    await session.refresh(report)
    if not decided_here:
        raise ProblemError.one(
            "report_already_reviewed", id=report.id, status=report.status, reviewed_by_id=report.reviewed_by_id
        )
    audit.record(
        session,
        actor=actor,
        action=f"report.{status.value}",
        entity="stage_report",
        entity_id=report.id,
        person_id=reviewer.id,
        rt_id=report.rt_id,
        stage=report.stage_key,
        reason=reason,
        fix=fix,
    )
    return report
