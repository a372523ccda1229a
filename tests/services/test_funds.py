"""services/funds.py on SQLite and PostgreSQL: receipts with their stage report, spending, the balance."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services import funds
from services.media import Evidence, MediaStore
from services.models import RT, AuditLog, FundReceipt, Media, Person, Role, Spending, StageReport
from services.problems import ProblemError
from tests.handlers.conftest import load_roster
from tests.images import jpeg

PHOTO = Evidence("photo", "image/jpeg", jpeg(), "file-1", "bukti.jpg")
BIDANG = ["penataan_lingkungan", "sosial_kemasyarakatan", "kesehatan_pendidikan", "ekonomi_rumah_tangga"]


@pytest.fixture
async def setup(db, program, tmp_path: Path):
    await load_roster(db, program)
    async with db.unit_of_work() as session:
        rts = {rt.kode: rt for rt in await session.scalars(select(RT))}
        people = {}
        for kode, rt in rts.items():
            people[kode] = Person(nama=f"Bendahara {rt.nomor}", role=Role.BENDAHARA, rt_id=rt.id)
            session.add(people[kode])
        await session.flush()
    return db, MediaStore(tmp_path / "media"), rts, people


async def test_fund_receipt_comes_with_a_stage_report_and_its_proof(setup):
    db, store, rts, people = setup
    rt, person = rts["15.71.01.1001-001"], people["15.71.01.1001-001"]
    async with db.unit_of_work() as session:
        receipt, report = await funds.record_fund_receipt(
            session, store, rt=rt, person=person, amount=65_000_000, received_on=date(2026, 4, 2),
            expected_amount=70_000_000, proof=PHOTO, actor="test:1",
        )  # fmt: skip
    async with db.unit_of_work() as session:
        media = await session.scalar(select(Media))
        report = await session.get(StageReport, report.id)
        receipt = await session.get(FundReceipt, receipt.id)
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "funds.receive"))
    assert (receipt.amount, receipt.expected_amount, receipt.proof_media_id) == (65_000_000, 70_000_000, media.id)
    assert (report.stage_key, report.status, report.answers) == (
        "pencairan_dana",
        "menunggu_tinjauan",
        {"jumlah": 65_000_000},
    )
    assert (report.happened_on, report.submitted_by_id) == (date(2026, 4, 2), person.id)
    assert (media.report_id, media.stage_key, media.uploaded_by_id, media.original_name) == (
        report.id, "pencairan_dana", person.id, "bukti.jpg",
    )  # fmt: skip
    assert store.absolute(media.path).read_bytes() == PHOTO.content
    assert (audit.detail["amount"], audit.detail["report_id"], audit.person_id) == (65_000_000, report.id, person.id)


@pytest.mark.parametrize("amount", [0, -1, funds.MAX_AMOUNT, 10**20])
async def test_amounts_out_of_range_are_refused_before_anything_is_written(setup, amount):
    db, store, rts, people = setup
    rt, person = rts["15.71.01.1001-001"], people["15.71.01.1001-001"]
    async with db.unit_of_work() as session:
        with pytest.raises(ProblemError):
            await funds.record_fund_receipt(
                session, store, rt=rt, person=person, amount=amount, received_on=date(2026, 4, 2),
                expected_amount=None, proof=PHOTO, actor="test:1",
            )  # fmt: skip
        with pytest.raises(ProblemError):
            await funds.record_spending(
                session, store, rt=rt, person=person, amount=amount, description="Semen", bidang=BIDANG[0],
                known_bidang=BIDANG, spent_on=date(2026, 4, 3), receipt=PHOTO, actor="test:1",
            )  # fmt: skip
        for model in (FundReceipt, StageReport, Spending, Media):
            assert await session.scalar(select(func.count()).select_from(model)) == 0


@pytest.mark.parametrize(("description", "bidang"), [("", BIDANG[0]), ("x" * 201, BIDANG[0]), ("Semen", "olahraga")])
async def test_spending_needs_a_description_and_a_known_bidang(setup, description, bidang):
    db, store, rts, people = setup
    rt, person = rts["15.71.01.1001-001"], people["15.71.01.1001-001"]
    async with db.unit_of_work() as session:
        with pytest.raises(ProblemError):
            await funds.record_spending(
                session, store, rt=rt, person=person, amount=1000, description=description, bidang=bidang,
                known_bidang=BIDANG, spent_on=date(2026, 4, 3), receipt=PHOTO, actor="test:1",
            )  # fmt: skip
        assert await session.scalar(select(func.count()).select_from(Media)) == 0


async def test_balance_adds_up_per_rt_and_per_bidang(setup):
    db, store, rts, people = setup
    ours, other = "15.71.01.1001-001", "15.71.01.1002-003"

    async def spend(kode, amount, bidang, day):
        async with db.unit_of_work() as session:
            await funds.record_spending(
                session, store, rt=rts[kode], person=people[kode], amount=amount, description=f"Item {day}",
                bidang=bidang, known_bidang=[*BIDANG, "lama"], spent_on=date(2026, 4, day), receipt=PHOTO,
                actor="test:1",
            )  # fmt: skip

    async with db.unit_of_work() as session:
        for amount in (35_000_000, 35_000_000):
            session.add(FundReceipt(rt_id=rts[ours].id, amount=amount, received_on=date(2026, 4, 2),
                                    recorded_by_id=people[ours].id))  # fmt: skip
    for day in range(3, 10):
        await spend(ours, 100_000 * day, BIDANG[day % 2], day)
    await spend(ours, 1_000, "lama", 2)  # a bidang since removed from the program file is not lost
    await spend(other, 9_000_000, BIDANG[3], 20)

    async with db.unit_of_work() as session:
        balance = await funds.balance(session, rts[ours].id, BIDANG, latest=5)
        assert await funds.total_received(session, rts[ours].id) == 70_000_000
        assert await funds.total_spent(session, rts[other].id) == 9_000_000
        assert await funds.total_received(session, rts[other].id) == 0
    assert balance.received == 70_000_000
    assert balance.spent == 4_201_000
    assert balance.remaining == 70_000_000 - 4_201_000
    assert list(balance.by_bidang) == [*BIDANG, "lama"]
    assert balance.by_bidang == {
        BIDANG[0]: 100_000 * (4 + 6 + 8),
        BIDANG[1]: 100_000 * (3 + 5 + 7 + 9),
        BIDANG[2]: 0,
        BIDANG[3]: 0,
        "lama": 1_000,
    }
    assert [item.spent_on.day for item in balance.latest] == [9, 8, 7, 6, 5]


async def test_the_same_proof_is_found_per_rt_spending_first_and_not_from_a_sent_back_report(setup):
    import hashlib

    from services.models import ReportStatus

    db, store, rts, people = setup
    rt, person = rts["15.71.01.1001-001"], people["15.71.01.1001-001"]
    other = rts["15.71.01.1002-003"]
    sha256 = hashlib.sha256(PHOTO.content).hexdigest()
    async with db.unit_of_work() as session:
        assert await funds.same_proof(session, rt.id, sha256) is None
        _receipt, report = await funds.record_fund_receipt(
            session, store, rt=rt, person=person, amount=70_000_000, received_on=date(2026, 4, 2),
            expected_amount=70_000_000, proof=PHOTO, actor="test:1",
        )  # fmt: skip
        assert await funds.same_proof(session, rt.id, sha256) == funds.SameProof(
            "receipt", 70_000_000, date(2026, 4, 2)
        )
        assert await funds.same_proof(session, other.id, sha256) is None  # another RT's proof is not this RT's
        report.status = ReportStatus.DIKEMBALIKAN  # sent back: sending that proof again is the correction
        await session.flush()
        assert await funds.same_proof(session, rt.id, sha256) is None
        await funds.record_spending(
            session, store, rt=rt, person=person, amount=1_500_000, description="Semen", bidang=BIDANG[0],
            known_bidang=BIDANG, spent_on=date(2026, 4, 3), receipt=PHOTO, actor="test:1",
        )  # fmt: skip
        assert await funds.same_proof(session, rt.id, sha256) == funds.SameProof(
            "spending", 1_500_000, date(2026, 4, 3)
        )
