"""The same file used twice by one RT: a photo of one stage shown again for another, or a proof of transfer or
a spending receipt shown as a stage photo. Flagged on the pendamping's review card, like reuse across RTs
(`Media.reuse_of_media_id`), and worked out when the card is shown, so no file is ever judged twice differently.

Files of a report the pendamping sent back do not count (sending them again is how it is fixed), nor does a
spending entry the treasurer cancelled.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.models import FundReceipt, Media, ReportStatus, Spending, StageReport

STAGE, RECEIPT, SPENDING = "stage", "receipt", "spending"


@dataclass(frozen=True)
class EarlierUse:
    what: str  # stage | receipt | spending
    on: date | None
    stage_key: str | None = None


async def same_rt_uses(session: AsyncSession, report: StageReport) -> dict[int, EarlierUse]:
    """For each file of this report already used by the same RT elsewhere, its first earlier use (by media id)."""
    uses: dict[int, EarlierUse] = {}
    for media in report.media:
        if media.rt_id is None:
            continue
        use = await _earlier_use(session, media, report)
        if use is not None:
            uses[media.id] = use
    return uses


async def _earlier_use(session: AsyncSession, media: Media, report: StageReport) -> EarlierUse | None:
    rows = await session.execute(
        select(Media, StageReport)
        .outerjoin(StageReport, Media.report_id == StageReport.id)
        .where(
            Media.rt_id == media.rt_id,
            Media.sha256 == media.sha256,
            Media.id < media.id,
            or_(Media.report_id.is_(None), Media.report_id != report.id),
            or_(StageReport.id.is_(None), StageReport.status != ReportStatus.DIKEMBALIKAN),
        )
        .order_by(Media.id)
    )
    for earlier, earlier_report in rows:
        if earlier_report is not None:
            receipt = await session.scalar(select(FundReceipt.id).where(FundReceipt.proof_media_id == earlier.id))
            if receipt is not None:
                return EarlierUse(RECEIPT, earlier_report.happened_on)
            return EarlierUse(STAGE, earlier_report.happened_on, earlier_report.stage_key)
        spending = await session.scalar(
            select(Spending).where(Spending.receipt_media_id == earlier.id, Spending.cancelled_at.is_(None))
        )
        if spending is not None:
            return EarlierUse(SPENDING, spending.spent_on)
    return None
