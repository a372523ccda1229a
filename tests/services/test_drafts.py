"""Report drafts: one per RT and stage, replaced when saved again, gone after seven days, on SQLite and PostgreSQL."""

from datetime import timedelta

from sqlalchemy import func, select

from services import drafts
from services.models import ReportDraft
from tests.services.pendamping_data import NOW, people, setup


async def test_a_draft_is_replaced_found_and_expires(db, program):
    await setup(db, program)
    async with db.unit_of_work() as session:
        p = await people(session)
        rt = p.rts[1]
        first = {"stage": "rembuk_warga", "happened_on": "2026-02-09"}
        await drafts.save_draft(
            session, rt_id=rt.id, stage_key="rembuk_warga", person_id=p.ketua_1.id, data=first, step="field", now=NOW
        )
        later = NOW + timedelta(days=2)
        second = {**first, "answers": {"jumlah_hadir": 45}}
        await drafts.save_draft(
            session, rt_id=rt.id, stage_key="rembuk_warga", person_id=p.ketua_1.id, data=second, step="media", now=later
        )
        assert await session.scalar(select(func.count()).select_from(ReportDraft)) == 1
        found = await drafts.find_draft(session, rt_id=rt.id, stage_key="rembuk_warga", now=later)
        assert (found.data, found.step, found.expires_at) == (second, "media", later + drafts.KEPT)
        assert await drafts.find_draft(session, rt_id=rt.id, stage_key="sosialisasi", now=later) is None
        assert await drafts.find_draft(session, rt_id=p.rts[2].id, stage_key="rembuk_warga", now=later) is None
        just_before = later + drafts.KEPT - timedelta(seconds=1)
        assert await drafts.find_draft(session, rt_id=rt.id, stage_key="rembuk_warga", now=just_before) is not None
        expired = later + drafts.KEPT
        assert await drafts.find_draft(session, rt_id=rt.id, stage_key="rembuk_warga", now=expired) is None
        assert await session.scalar(select(func.count()).select_from(ReportDraft)) == 0  # pruned


async def test_discard(db, program):
    await setup(db, program)
    async with db.unit_of_work() as session:
        p = await people(session)
        await drafts.save_draft(
            session, rt_id=p.rts[1].id, stage_key="sosialisasi", person_id=p.ketua_1.id, data={}, step="date", now=NOW
        )
        await drafts.discard_draft(session, rt_id=p.rts[1].id, stage_key="sosialisasi")
        assert await drafts.find_draft(session, rt_id=p.rts[1].id, stage_key="sosialisasi", now=NOW) is None
