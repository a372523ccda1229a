"""The Pokja's money: funds received into its account, spending items with receipts, and the balance."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import audit
from services.media import Evidence, MediaStore, record_evidence
from services.models import RT, FundReceipt, Media, Person, ReportStatus, Spending, StageReport, utcnow
from services.problems import ProblemError

# Receiving funds is itself a program stage, reviewed by the pendamping like any other.
STAGE_PENCAIRAN = "pencairan_dana"
# A typo guard: the largest allocation is Rp100 juta, so one amount of a billion or more is a slip of the finger
# (and keeps absurd numbers away from the BIGINT columns).
MAX_AMOUNT = 1_000_000_000
MAX_DESCRIPTION = 200


def validate_amount(amount: int) -> None:
    if amount <= 0:
        raise ProblemError.one("amount_not_positive", value=amount)
    if amount >= MAX_AMOUNT:
        raise ProblemError.one("amount_too_large", value=amount, maksimum=MAX_AMOUNT)


async def record_fund_receipt(
    session: AsyncSession,
    store: MediaStore,
    *,
    rt: RT,
    person: Person,
    amount: int,
    received_on: date,
    expected_amount: int | None,
    proof: Evidence,
    actor: str,
    now: datetime | None = None,
) -> tuple[FundReceipt, StageReport]:
    """Save the receipt and its `pencairan_dana` stage report (proof attached), waiting for the pendamping."""
    validate_amount(amount)
    now = now or utcnow()
    report = StageReport(
        rt_id=rt.id,
        stage_key=STAGE_PENCAIRAN,
        status=ReportStatus.MENUNGGU_TINJAUAN,
        happened_on=received_on,
        answers={"jumlah": amount},
        submitted_by_id=person.id,
        submitted_at=now,
    )
    session.add(report)
    await session.flush()
    media = await record_evidence(
        session, store, proof, uploaded_by_id=person.id, rt_id=rt.id, stage_key=STAGE_PENCAIRAN, report_id=report.id
    )
    receipt = FundReceipt(
        rt_id=rt.id,
        amount=amount,
        expected_amount=expected_amount,
        received_on=received_on,
        proof_media_id=media.id,
        report_id=report.id,
        recorded_by_id=person.id,
        recorded_at=now,
    )
    session.add(receipt)
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action="funds.receive",
        entity="fund_receipt",
        entity_id=receipt.id,
        person_id=person.id,
        rt=rt.kode,
        amount=amount,
        expected_amount=expected_amount,
        received_on=received_on.isoformat(),
        report_id=report.id,
    )
    return receipt, report


async def record_spending(
    session: AsyncSession,
    store: MediaStore,
    *,
    rt: RT,
    person: Person,
    amount: int,
    description: str,
    bidang: str,
    known_bidang: dict[str, str] | list[str],
    spent_on: date,
    receipt: Evidence,
    actor: str,
    now: datetime | None = None,
) -> Spending:
    validate_amount(amount)
    description = description.strip()
    if not description or len(description) > MAX_DESCRIPTION:
        raise ProblemError.one("spending_bad_description", maksimum=MAX_DESCRIPTION)
    if bidang not in known_bidang:
        raise ProblemError.one("spending_unknown_bidang", bidang=bidang)
    media = await record_evidence(session, store, receipt, uploaded_by_id=person.id, rt_id=rt.id, stage_key=None)
    spending = Spending(
        rt_id=rt.id,
        amount=amount,
        description=description,
        bidang=bidang,
        spent_on=spent_on,
        receipt_media_id=media.id,
        recorded_by_id=person.id,
        recorded_at=now or utcnow(),
    )
    session.add(spending)
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action="funds.spend",
        entity="spending",
        entity_id=spending.id,
        person_id=person.id,
        rt=rt.kode,
        amount=amount,
        bidang=bidang,
        spent_on=spent_on.isoformat(),
    )
    return spending


@dataclass(frozen=True)
class SameProof:
    """A proof already kept for this RT with the very same content: what it proves, how much, and when."""

    what: str  # spending | receipt | stage
    amount: int | None
    on: date | None
    stage_key: str | None = None


async def same_proof(session: AsyncSession, rt_id: int, sha256: str) -> SameProof | None:
    """The RT's earlier spending receipt, proof of funds or stage photo with this content, spending first.

    The same nota twice is most often the same purchase entered twice, which would count twice in /saldo. Files of
    a report the pendamping sent back do not count: sending that proof again is the way to correct it.
    """
    media = (
        select(Media.id, Media.stage_key, StageReport.happened_on)
        .outerjoin(StageReport, Media.report_id == StageReport.id)
        .where(
            Media.rt_id == rt_id,
            Media.sha256 == sha256,
            or_(StageReport.id.is_(None), StageReport.status != ReportStatus.DIKEMBALIKAN),
        )
        .order_by(Media.id)
    )
    rows = (await session.execute(media)).all()
    if not rows:
        return None
    ids = [row.id for row in rows]
    spending = await session.scalar(
        select(Spending)
        .where(Spending.receipt_media_id.in_(ids), Spending.cancelled_at.is_(None))
        .order_by(Spending.id)
        .limit(1)
    )
    if spending is not None:
        return SameProof("spending", spending.amount, spending.spent_on)
    receipt = await session.scalar(
        select(FundReceipt)
        .where(FundReceipt.proof_media_id.in_(ids), FundReceipt.cancelled_at.is_(None))
        .order_by(FundReceipt.id)
        .limit(1)
    )
    if receipt is not None:
        return SameProof("receipt", receipt.amount, receipt.received_on)
    staged = next((row for row in rows if row.stage_key is not None), None)
    if staged is not None:
        return SameProof("stage", None, staged.happened_on, staged.stage_key)
    return None


def receipts_that_count(*columns):
    """Receipts that count, of every RT: all but those whose report the pendamping sent back (the treasurer redoes
    those) and those the treasurer cancelled. `columns`: what to select (the receipt rows by default)."""
    return (
        select(*(columns or (FundReceipt,)))
        .outerjoin(StageReport, FundReceipt.report_id == StageReport.id)
        .where(
            FundReceipt.cancelled_at.is_(None),
            or_(StageReport.id.is_(None), StageReport.status != ReportStatus.DIKEMBALIKAN),
        )
    )


def counted_receipts(rt_id: int):
    """The receipts of one RT that count (see receipts_that_count)."""
    return receipts_that_count().where(FundReceipt.rt_id == rt_id)


async def total_received(session: AsyncSession, rt_id: int) -> int:
    receipts = counted_receipts(rt_id).subquery()
    return int(await session.scalar(select(func.coalesce(func.sum(receipts.c.amount), 0))))


# Spending that counts: all but what the treasurer cancelled.
SPENDING_COUNTS = Spending.cancelled_at.is_(None)


def counted_spending(rt_id: int):
    """The spending of one RT that counts."""
    return (Spending.rt_id == rt_id, SPENDING_COUNTS)


async def total_spent(session: AsyncSession, rt_id: int) -> int:
    total = select(func.coalesce(func.sum(Spending.amount), 0)).where(*counted_spending(rt_id))
    return int(await session.scalar(total))


@dataclass
class Balance:
    received: int
    spent: int
    # Spent per bidang, every bidang of the program present (0 when nothing was spent on it), in program order;
    # spending under a bidang no longer in the program file is kept under its own key rather than lost.
    by_bidang: dict[str, int] = field(default_factory=dict)
    latest: list[Spending] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return self.received - self.spent


async def balance(session: AsyncSession, rt_id: int, bidang: list[str], *, latest: int = 5) -> Balance:
    """Received, spent, spent per bidang and the newest spending items of one RT."""
    by_bidang = dict.fromkeys(bidang, 0)
    rows = await session.execute(
        select(Spending.bidang, func.sum(Spending.amount)).where(*counted_spending(rt_id)).group_by(Spending.bidang)
    )
    for key, total in rows:
        by_bidang[key] = by_bidang.get(key, 0) + int(total)
    items = list(
        await session.scalars(
            select(Spending)
            .where(*counted_spending(rt_id))
            .order_by(Spending.spent_on.desc(), Spending.id.desc())
            .limit(latest)
        )
    )
    return Balance(
        received=await total_received(session, rt_id),
        spent=sum(by_bidang.values()),
        by_bidang=by_bidang,
        latest=items,
    )
