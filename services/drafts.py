"""Report drafts: a /lapor left before it was sent, kept for `KEPT` and offered back for the same RT and stage.

A draft holds what the conversation held (answers, the channel's file references, the step reached). Expired
drafts count as absent and are deleted whenever a draft is written or looked up.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.models import ReportDraft

KEPT = timedelta(days=7)


async def save_draft(
    session: AsyncSession, *, rt_id: int, stage_key: str, person_id: int, data: dict, step: str, now: datetime
) -> ReportDraft:
    """Keep (or replace) the RT's draft of this stage until `now + KEPT`."""
    await prune(session, now)
    draft = await session.scalar(
        select(ReportDraft).where(ReportDraft.rt_id == rt_id, ReportDraft.stage_key == stage_key)
    )
    if draft is None:
        draft = ReportDraft(rt_id=rt_id, stage_key=stage_key)
        session.add(draft)
    draft.person_id = person_id
    draft.data = dict(data)
    draft.step = step
    draft.saved_at = now
    draft.expires_at = now + KEPT
    await session.flush()
    return draft


async def find_draft(session: AsyncSession, *, rt_id: int, stage_key: str, now: datetime) -> ReportDraft | None:
    """The RT's draft of this stage, unless it has expired."""
    await prune(session, now)
    return await session.scalar(
        select(ReportDraft).where(
            ReportDraft.rt_id == rt_id, ReportDraft.stage_key == stage_key, ReportDraft.expires_at > now
        )
    )


async def discard_draft(session: AsyncSession, *, rt_id: int, stage_key: str) -> None:
    """Sent, or started over: the draft is no longer wanted."""
    await session.execute(delete(ReportDraft).where(ReportDraft.rt_id == rt_id, ReportDraft.stage_key == stage_key))


async def prune(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(ReportDraft).where(ReportDraft.expires_at <= now))
