"""services/fund_corrections.py on SQLite and PostgreSQL: recent entries are corrected or cancelled, never deleted;
a cancelled entry counts nowhere; older entries stay as they are."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from services import fund_corrections, funds
from services.media import Evidence, MediaStore
from services.models import RT, AuditLog, Person, ReportStatus, Role, StageReport
from services.problems import ProblemError
from tests.handlers.conftest import load_roster
from tests.images import jpeg

NOW = datetime(2026, 4, 20, 3, 0, tzinfo=UTC)
RT_KODE = "15.71.01.1001-001"
BIDANG = ["penataan_lingkungan"]


@pytest.fixture
async def setup(db, program, tmp_path: Path):
    await load_roster(db, program)
    async with db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == RT_KODE))
        person = Person(nama="Bendahara", role=Role.BENDAHARA, rt_id=rt.id)
        session.add(person)
        await session.flush()
    return db, MediaStore(tmp_path / "media"), rt, person


async def spend(session, store, rt, person, amount, n, *, now=NOW):
    return await funds.record_spending(
        session, store, rt=rt, person=person, amount=amount, description=f"belanja {n}", bidang=BIDANG[0],
        known_bidang=BIDANG, spent_on=date(2026, 4, 10), receipt=Evidence("photo", "image/jpeg", jpeg(n)),
        actor="test:1", now=now,
    )  # fmt: skip


async def test_a_cancelled_spending_counts_nowhere_and_is_kept(setup):
    db, store, rt, person = setup
    async with db.unit_of_work() as session:
        kept = await spend(session, store, rt, person, 1_000_000, 1)
        wrong = await spend(session, store, rt, person, 9_000_000, 2)
        await fund_corrections.cancel(
            session, kind="spending", rt=rt, entry_id=wrong.id, person=person, actor="test:1", now=NOW
        )
    async with db.unit_of_work() as session:
        assert await funds.total_spent(session, rt.id) == 1_000_000
        balance = await funds.balance(session, rt.id, BIDANG)
        assert balance.by_bidang == {"penataan_lingkungan": 1_000_000} and [s.id for s in balance.latest] == [kept.id]
        assert [e.id for e in await fund_corrections.recent(session, "spending", rt.id, NOW)] == [kept.id]
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "funds.spending.cancel"))
        assert audit.entity_id == str(wrong.id) and audit.detail["before"]["amount"] == 9_000_000


async def test_only_the_last_30_days_can_be_changed(setup):
    db, store, rt, person = setup
    async with db.unit_of_work() as session:
        old = await spend(session, store, rt, person, 1_000_000, 1, now=NOW - timedelta(days=31))
        assert await fund_corrections.recent(session, "spending", rt.id, NOW) == []
        with pytest.raises(ProblemError):
            await fund_corrections.correct(
                session, kind="spending", rt=rt, entry_id=old.id, person=person, actor="test:1", now=NOW, amount=5
            )


async def test_a_corrected_receipt_goes_back_to_review_and_a_cancelled_one_is_withdrawn(setup):
    db, store, rt, person = setup
    async with db.unit_of_work() as session:
        receipt, report = await funds.record_fund_receipt(
            session, store, rt=rt, person=person, amount=7_000_000, received_on=date(2026, 4, 2),
            expected_amount=70_000_000, proof=Evidence("photo", "image/jpeg", jpeg(3)), actor="test:1", now=NOW,
        )  # fmt: skip
        report.status = ReportStatus.DISETUJUI
        before, after = await fund_corrections.correct(
            session, kind="receipt", rt=rt, entry_id=receipt.id, person=person, actor="test:1", now=NOW,
            amount=70_000_000, on=date(2026, 4, 3),
        )  # fmt: skip
    assert (before.amount, after.amount, after.on) == (7_000_000, 70_000_000, date(2026, 4, 3))
    async with db.unit_of_work() as session:
        report = await session.get(StageReport, report.id)
        assert report.status == ReportStatus.MENUNGGU_TINJAUAN and report.answers == {"jumlah": 70_000_000}
        assert report.happened_on == date(2026, 4, 3) and await funds.total_received(session, rt.id) == 70_000_000
        await fund_corrections.cancel(
            session, kind="receipt", rt=rt, entry_id=receipt.id, person=person, actor="test:1", now=NOW
        )
    async with db.unit_of_work() as session:
        assert await funds.total_received(session, rt.id) == 0
        assert (await session.get(StageReport, report.id)).status == ReportStatus.DIKEMBALIKAN
