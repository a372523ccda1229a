"""The review queue and decisions, with their permission rule, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import select, update

from services import review
from services.assignments import rts_for
from services.models import AuditLog, ReportStatus, StageReport
from services.problems import ProblemError
from tests.services.pendamping_data import NOW, new_report, people, setup


@pytest.fixture
async def reports(db, program):
    """Three waiting reports: RT 1 (newer), RT 2 (older), RT 3."""
    await setup(db, program)
    async with db.unit_of_work() as session:
        p = await people(session)
        rt1 = new_report(p.rts[1], "sosialisasi", p.ketua_1, minute=30)
        rt2 = new_report(p.rts[2], "sosialisasi", p.ketua_1, minute=10)
        rt3 = new_report(p.rts[3], "sosialisasi", p.ketua_3, minute=20)
        session.add_all([rt1, rt2, rt3])
        await session.flush()
        return {1: rt1.id, 2: rt2.id, 3: rt3.id}


def codes(error: ProblemError) -> list[str]:
    return [p.code for p in error.problems]


async def test_assignments_follow_the_role(db, reports):
    async with db.unit_of_work() as session:
        p = await people(session)
        assert [rt.nomor for rt in await rts_for(session, p.dewi)] == [1, 2]
        assert [rt.nomor for rt in await rts_for(session, p.rudi)] == [3]
        assert [rt.nomor for rt in await rts_for(session, p.admin)] == [1, 2, 3]
        assert [rt.nomor for rt in await rts_for(session, p.ketua_1)] == [1]
        assert [rt.nomor for rt in await rts_for(session, p.bendahara_1)] == [1]


async def test_queue_is_the_reviewers_rts_oldest_first(db, reports):
    async with db.unit_of_work() as session:
        p = await people(session)
        assert [r.id for r in await review.review_queue(session, p.dewi)] == [reports[2], reports[1]]
        assert [r.id for r in await review.review_queue(session, p.rudi)] == [reports[3]]
        assert [r.id for r in await review.review_queue(session, p.admin)] == [reports[2], reports[3], reports[1]]
        assert await review.review_queue(session, p.ketua_1) == []


async def test_approve_records_who_and_when(db, reports):
    async with db.unit_of_work() as session:
        p = await people(session)
        report = await review.approve(session, p.dewi, reports[1], actor="test:dewi", now=NOW)
        assert report.status == ReportStatus.DISETUJUI
        assert report.reviewed_by_id == p.dewi.id and report.reviewed_at == NOW and report.review_reason is None
    async with db.unit_of_work() as session:
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "report.disetujui"))
        assert audit.actor == "test:dewi" and audit.detail["stage"] == "sosialisasi"
        assert [r.id for r in await review.review_queue(session, p.dewi)] == [reports[2]]


async def test_send_back_keeps_the_reason(db, reports):
    async with db.unit_of_work() as session:
        p = await people(session)
        report = await review.send_back(session, p.admin, reports[3], "  Foto buram  ", actor="cli", now=NOW)
        assert report.status == ReportStatus.DIKEMBALIKAN and report.review_reason == "Foto buram"
        assert report.review_fix is None  # no part named: the reason says it


async def test_send_back_keeps_the_parts_to_fix_in_order_and_drops_unknown_ones(db, reports):
    async with db.unit_of_work() as session:
        p = await people(session)
        fix = ["foto", "warna", "tanggal", "foto"]
        report = await review.send_back(session, p.dewi, reports[1], "Foto buram", actor="t", now=NOW, fix=fix)
        assert report.review_fix == ["tanggal", "foto"]
    async with db.unit_of_work() as session:
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "report.dikembalikan"))
        assert audit.detail["fix"] == ["tanggal", "foto"]


@pytest.mark.parametrize(
    ("reason", "code"),
    [("", "review_reason_missing"), ("   ", "review_reason_missing"), ("x" * 501, "review_reason_too_long")],
)
async def test_send_back_needs_a_reason_of_at_most_500_characters(db, reports, reason, code):
    async with db.unit_of_work() as session:
        p = await people(session)
        with pytest.raises(ProblemError) as error:
            await review.send_back(session, p.dewi, reports[1], reason, actor="t")
        assert codes(error.value) == [code]
        assert (await session.get(StageReport, reports[1])).status == ReportStatus.MENUNGGU_TINJAUAN
    async with db.unit_of_work() as session:
        assert (await review.send_back(session, p.dewi, reports[1], "x" * 500, actor="t")).review_reason == "x" * 500


async def test_other_rts_reports_are_refused_and_unchanged(db, reports):
    async with db.unit_of_work() as session:
        p = await people(session)
        for person, report_id in ((p.rudi, reports[1]), (p.dewi, reports[3]), (p.ketua_1, reports[1])):
            with pytest.raises(ProblemError) as error:
                await review.approve(session, person, report_id, actor="t")
            assert codes(error.value) == ["report_not_yours"]
        with pytest.raises(ProblemError) as error:
            await review.approve(session, p.admin, 424242, actor="t")
        assert codes(error.value) == ["report_not_found"]
    async with db.unit_of_work() as session:
        statuses = {r.status for r in await session.scalars(select(StageReport))}
        assert statuses == {ReportStatus.MENUNGGU_TINJAUAN}
        assert await session.scalar(select(AuditLog).where(AuditLog.action.like("report.%"))) is None


async def test_second_decision_is_refused(db, reports):
    async with db.unit_of_work() as session:
        p = await people(session)
        await review.approve(session, p.dewi, reports[1], actor="t")
        with pytest.raises(ProblemError) as error:
            await review.send_back(session, p.admin, reports[1], "terlambat", actor="t")
        assert codes(error.value) == ["report_already_reviewed"]
        assert error.value.problems[0].params["reviewed_by_id"] == p.dewi.id


async def test_race_lost_while_the_report_looked_open(db, reports):
    """Another reviewer decides between our read and our write: the conditional update notices."""
    async with db.unit_of_work() as session:
        p = await people(session)
        report = await session.get(StageReport, reports[1])
        assert report.status == ReportStatus.MENUNGGU_TINJAUAN  # what this reviewer saw
        # The other decision, written behind the session's back (as another transaction would).
        await session.execute(
            update(StageReport)
            .where(StageReport.id == reports[1])
            .values(status=ReportStatus.DISETUJUI, reviewed_by_id=p.admin.id)
            .execution_options(synchronize_session=False)
        )
        assert report.status == ReportStatus.MENUNGGU_TINJAUAN  # the stale copy still says "waiting"
        with pytest.raises(ProblemError) as error:
            await review.send_back(session, p.dewi, reports[1], "foto buram", actor="t")
        assert codes(error.value) == ["report_already_reviewed"]
        assert report.status == ReportStatus.DISETUJUI and report.review_reason is None
