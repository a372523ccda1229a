"""Contoh: approved reports a pendamping or admin marked as good examples, shown to other RTs (/contoh).

Who may mark is who may review (services/assignments.may_review: the RT's own pendamping, or an admin), and only
an approved report can be an example: a report still waiting or sent back is not yet what others should copy.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services import audit
from services.assignments import real_rt
from services.models import RT, Media, Person, ReportStatus, StageReport, utcnow
from services.problems import ProblemError
from services.review import report_for_review

# At most this many examples for a stage: enough to show how, few enough for a phone screen.
LIMIT = 3


async def mark(
    session: AsyncSession, person: Person, report_id: int, *, actor: str, now: datetime | None = None
) -> StageReport:
    """Mark as an example; marking one already marked changes nothing (the first mark keeps its time and name).

    Raises report_not_found, report_not_yours, or contoh_not_approved.
    """
    report = await _approved(session, person, report_id)
    # Conditional: two people marking at the same moment leave one mark and one audit row.
    result = await session.execute(
        update(StageReport)
        .where(StageReport.id == report.id, StageReport.contoh_at.is_(None))
        .values(contoh_at=now or utcnow(), contoh_by_id=person.id)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(report)
    if result.rowcount == 1:
        _record(session, person, report, "report.contoh", actor)
    return report


async def unmark(session: AsyncSession, person: Person, report_id: int, *, actor: str) -> StageReport:
    """No longer an example. Raises report_not_found or report_not_yours."""
    report, _rt = await report_for_review(session, person, report_id)
    result = await session.execute(
        update(StageReport)
        .where(StageReport.id == report.id, StageReport.contoh_at.is_not(None))
        .values(contoh_at=None, contoh_by_id=None)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(report)
    if result.rowcount == 1:
        _record(session, person, report, "report.contoh_removed", actor)
    return report


async def _approved(session: AsyncSession, person: Person, report_id: int) -> StageReport:
    report, _rt = await report_for_review(session, person, report_id)
    if report.status != ReportStatus.DISETUJUI:
        raise ProblemError.one("contoh_not_approved", id=report.id, status=report.status)
    return report


def _record(session: AsyncSession, person: Person, report: StageReport, action: str, actor: str) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="stage_report",
        entity_id=report.id,
        person_id=person.id,
        rt_id=report.rt_id,
        stage=report.stage_key,
    )


@dataclass(frozen=True)
class Example:
    report: StageReport
    rt: RT  # with its kelurahan loaded

    @property
    def photos(self) -> list[Media]:
        return [m for m in self.report.media if m.kind == "photo"]


async def examples_for_stage(session: AsyncSession, stage_key: str, limit: int = LIMIT) -> list[Example]:
    """Marked, approved reports of this stage with at least one photo (an example is shown by its photo): RTs of the
    2025 pilot first (they did it before, and were checked most), then the newest activity first."""
    has_photo = exists().where(Media.report_id == StageReport.id, Media.kind == "photo")
    query = (
        select(StageReport, RT)
        .join(RT, RT.id == StageReport.rt_id)
        .where(
            StageReport.stage_key == stage_key,
            StageReport.status == ReportStatus.DISETUJUI,
            StageReport.contoh_at.is_not(None),
            has_photo,
            real_rt(),  # a training RT's report (the simulator's) is never shown as how a real RT did it
        )
        .order_by(RT.pilot_2025.desc(), StageReport.happened_on.desc(), StageReport.id.desc())
        .limit(limit)
        .options(selectinload(StageReport.media), selectinload(RT.kelurahan))
    )
    return [Example(report, rt) for report, rt in (await session.execute(query)).all()]
