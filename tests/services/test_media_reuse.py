"""services/media_reuse.py on SQLite and PostgreSQL: the same file used twice by one RT is found, with what it
was used for first; a report sent back and a cancelled spending do not count."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from services import funds, media_reuse
from services.media import Evidence, MediaStore, record_evidence
from services.models import RT, Person, ReportStatus, Role, Spending, StageReport, utcnow
from tests.handlers.conftest import load_roster
from tests.images import jpeg

RT_KODE, OTHER_RT = "15.71.01.1001-001", "15.71.01.1002-003"
SAME = Evidence("photo", "image/jpeg", jpeg(7), "file-7", "sama.jpg")
OTHER = Evidence("photo", "image/jpeg", jpeg(8), "file-8", "lain.jpg")


@pytest.fixture
async def setup(db, program, tmp_path: Path):
    await load_roster(db, program)
    async with db.unit_of_work() as session:
        rts = {rt.kode: rt for rt in await session.scalars(select(RT))}
        person = Person(nama="Ketua", role=Role.KETUA_RT, rt_id=rts[RT_KODE].id)
        session.add(person)
        await session.flush()
    return db, MediaStore(tmp_path / "media"), rts, person


async def stage_report(session, store, rt, person, stage_key, *files, status=ReportStatus.MENUNGGU_TINJAUAN):
    report = StageReport(
        rt_id=rt.id, stage_key=stage_key, status=status, happened_on=date(2026, 2, 9), answers={},
        submitted_by_id=person.id, submitted_at=utcnow(),
    )  # fmt: skip
    session.add(report)
    await session.flush()
    for evidence in files:
        await record_evidence(
            session, store, evidence, uploaded_by_id=person.id, rt_id=rt.id, stage_key=stage_key, report_id=report.id
        )
    return report.id


async def uses_of(db, report_id: int) -> list[media_reuse.EarlierUse]:
    async with db.unit_of_work() as session:
        report = await session.scalar(
            select(StageReport).where(StageReport.id == report_id).options(selectinload(StageReport.media))
        )
        found = await media_reuse.same_rt_uses(session, report)
        return [found[m.id] for m in report.media if m.id in found]


async def test_a_photo_of_an_earlier_stage_is_found_with_its_stage(setup):
    db, store, rts, person = setup
    async with db.unit_of_work() as session:
        await stage_report(session, store, rts[RT_KODE], person, "sosialisasi", SAME)
        later = await stage_report(session, store, rts[RT_KODE], person, "rembuk_warga", OTHER, SAME)
    assert await uses_of(db, later) == [media_reuse.EarlierUse("stage", date(2026, 2, 9), "sosialisasi")]


async def test_the_first_use_and_another_rts_use_are_not_flagged_here(setup):
    db, store, rts, person = setup
    async with db.unit_of_work() as session:
        first = await stage_report(session, store, rts[RT_KODE], person, "sosialisasi", SAME)
        other_rt = await stage_report(session, store, rts[OTHER_RT], person, "sosialisasi", SAME)
    assert await uses_of(db, first) == []
    assert await uses_of(db, other_rt) == []  # across RTs: Media.reuse_of_media_id says it


async def test_a_report_sent_back_does_not_count(setup):
    db, store, rts, person = setup
    async with db.unit_of_work() as session:
        await stage_report(session, store, rts[RT_KODE], person, "sosialisasi", SAME, status=ReportStatus.DIKEMBALIKAN)
        again = await stage_report(session, store, rts[RT_KODE], person, "sosialisasi", SAME)
    assert await uses_of(db, again) == []


async def test_a_proof_of_transfer_shown_as_a_stage_photo_is_found(setup):
    db, store, rts, person = setup
    async with db.unit_of_work() as session:
        await funds.record_fund_receipt(
            session, store, rt=rts[RT_KODE], person=person, amount=70_000_000, received_on=date(2026, 4, 2),
            expected_amount=70_000_000, proof=SAME, actor="test:1",
        )  # fmt: skip
        later = await stage_report(session, store, rts[RT_KODE], person, "pelaksanaan", SAME)
    assert await uses_of(db, later) == [media_reuse.EarlierUse("receipt", date(2026, 4, 2))]


async def test_a_spending_receipt_shown_as_a_stage_photo_is_found_unless_cancelled(setup):
    db, store, rts, person = setup
    async with db.unit_of_work() as session:
        spending = await funds.record_spending(
            session, store, rt=rts[RT_KODE], person=person, amount=1_500_000, description="semen",
            bidang="penataan_lingkungan", known_bidang=["penataan_lingkungan"], spent_on=date(2026, 4, 5),
            receipt=SAME, actor="test:1",
        )  # fmt: skip
        later = await stage_report(session, store, rts[RT_KODE], person, "pelaksanaan", SAME)
    assert await uses_of(db, later) == [media_reuse.EarlierUse("spending", date(2026, 4, 5))]
    async with db.unit_of_work() as session:
        (await session.get(Spending, spending.id)).cancelled_at = utcnow()
    assert await uses_of(db, later) == []
