"""Contoh: marking approved reports as examples, who may, and which examples a stage shows — SQLite and PostgreSQL."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from services import examples
from services.models import AuditLog, Media, ReportStatus, StageReport
from services.problems import ProblemError
from tests.services.pendamping_data import NOW, new_report, people, setup


def photo(report: StageReport, kind: str = "photo") -> Media:
    sha = f"{report.id:064d}"
    return Media(
        sha256=sha, path=f"{sha[:2]}/{sha}.jpg", size=100, mime_type="image/jpeg", kind=kind, rt_id=report.rt_id,
        report_id=report.id,
    )  # fmt: skip


async def add(session, rt, stage: str, by, *, status=ReportStatus.DISETUJUI, happened=20, kind="photo") -> StageReport:
    report = new_report(rt, stage, by, status=status)
    report.happened_on = date(2026, 2, happened)
    session.add(report)
    await session.flush()
    if kind:
        session.add(photo(report, kind))
        await session.flush()
    return report


async def audit_actions(session, report_id: int) -> list[str]:
    rows = await session.scalars(select(AuditLog.action).where(AuditLog.entity_id == str(report_id)))
    return list(rows)


async def test_marking_an_approved_report_once(db, program):
    await setup(db, program)
    async with db.unit_of_work() as session:
        p = await people(session)
        report = await add(session, p.rts[1], "rembuk_warga", p.ketua_1)
        marked = await examples.mark(session, p.dewi, report.id, actor="web:1", now=NOW)
        assert (marked.contoh_at, marked.contoh_by_id) == (NOW, p.dewi.id)
        # Marked again (another tab, the admin): the first mark stays, one audit row.
        again = await examples.mark(session, p.admin, report.id, actor="web:2", now=NOW + timedelta(hours=1))
        assert (again.contoh_at, again.contoh_by_id) == (NOW, p.dewi.id)
        assert await audit_actions(session, report.id) == ["report.contoh"]
        await examples.unmark(session, p.admin, report.id, actor="web:2")
        await examples.unmark(session, p.admin, report.id, actor="web:2")
        found = await session.get(StageReport, report.id)
        assert (found.contoh_at, found.contoh_by_id) == (None, None)
        assert await audit_actions(session, report.id) == ["report.contoh", "report.contoh_removed"]


@pytest.mark.parametrize("status", [ReportStatus.MENUNGGU_TINJAUAN, ReportStatus.DIKEMBALIKAN])
async def test_only_an_approved_report_can_be_an_example(db, program, status):
    await setup(db, program)
    async with db.unit_of_work() as session:
        p = await people(session)
        report = await add(session, p.rts[1], "rembuk_warga", p.ketua_1, status=status)
        with pytest.raises(ProblemError) as refused:
            await examples.mark(session, p.dewi, report.id, actor="web:1", now=NOW)
        assert refused.value.problems[0].code == "contoh_not_approved"
        assert (await session.get(StageReport, report.id)).contoh_at is None
        assert await audit_actions(session, report.id) == []


async def test_only_the_rts_pendamping_or_an_admin_may_mark(db, program):
    await setup(db, program)
    async with db.unit_of_work() as session:
        p = await people(session)
        report = await add(session, p.rts[1], "rembuk_warga", p.ketua_1)
        for someone in (p.rudi, p.ketua_1, p.bendahara_1):
            with pytest.raises(ProblemError) as refused:
                await examples.mark(session, someone, report.id, actor="t", now=NOW)
            assert refused.value.problems[0].code == "report_not_yours"
            with pytest.raises(ProblemError):
                await examples.unmark(session, someone, report.id, actor="t")
        with pytest.raises(ProblemError) as missing:
            await examples.mark(session, p.admin, 999_999, actor="t", now=NOW)
        assert missing.value.problems[0].code == "report_not_found"
        assert (await session.get(StageReport, report.id)).contoh_at is None


async def test_examples_of_a_stage_pilot_rts_first_then_the_newest(db, program):
    await setup(db, program)
    async with db.unit_of_work() as session:
        p = await people(session)  # RT 1 is of the 2025 pilot, RT 2 and RT 3 are not
        old_pilot = await add(session, p.rts[1], "rembuk_warga", p.ketua_1, happened=5)
        newest = await add(session, p.rts[3], "rembuk_warga", p.ketua_3, happened=27)
        middle = await add(session, p.rts[2], "rembuk_warga", p.ketua_1, happened=15)
        older = await add(session, p.rts[3], "rembuk_warga", p.ketua_3, happened=10)
        not_marked = await add(session, p.rts[2], "rembuk_warga", p.ketua_1, happened=28)
        no_photo = await add(session, p.rts[2], "rembuk_warga", p.ketua_1, happened=26, kind="document")
        other_stage = await add(session, p.rts[1], "sosialisasi", p.ketua_1, happened=25)
        for report in (old_pilot, newest, middle, older, no_photo, other_stage):
            await examples.mark(session, p.admin, report.id, actor="t", now=NOW)
        # Marked, then its status changed behind the service's back: no longer approved, no longer shown.
        reopened = await add(session, p.rts[1], "rembuk_warga", p.ketua_1, happened=28)
        await examples.mark(session, p.admin, reopened.id, actor="t", now=NOW)
        reopened.status = ReportStatus.DIKEMBALIKAN
        await session.flush()

        found = await examples.examples_for_stage(session, "rembuk_warga")
        assert [e.report.id for e in found] == [old_pilot.id, newest.id, middle.id]
        assert [e.rt.kelurahan.nama for e in found] == ["Simpang IV Sipin", "Buluran Kenali", "Simpang IV Sipin"]
        assert [len(e.photos) for e in found] == [1, 1, 1]
        every = await examples.examples_for_stage(session, "rembuk_warga", limit=10)
        assert [e.report.id for e in every] == [old_pilot.id, newest.id, middle.id, older.id]
        assert not_marked.id not in [e.report.id for e in every]
        assert [e.report.id for e in await examples.examples_for_stage(session, "sosialisasi")] == [other_stage.id]
        assert await examples.examples_for_stage(session, "lpj") == []
