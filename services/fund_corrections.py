"""Correcting the treasurer's own money entries: change the amount, date or description of a recent entry, or
cancel it. Nothing is deleted: a cancelled entry is marked and no longer counted; every change is in the audit log
with the values before and after.

A funds receipt is also a `pencairan_dana` report: correcting it sends the report back to the pendamping's review
(the amount they approved is no longer the one kept); cancelling it withdraws the report, so /dana is open again.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import audit
from services.funds import MAX_DESCRIPTION, counted_receipts, validate_amount
from services.models import RT, FundReceipt, Person, ReportStatus, Spending, StageReport
from services.problems import ProblemError

# Mistakes are noticed within days; older entries are part of what was reported and stay as they are.
CORRECTION_DAYS = 30
SPENDING, RECEIPT = "spending", "receipt"
LISTED = 8  # buttons on one screen


@dataclass(frozen=True)
class Entry:
    kind: str  # spending | receipt
    id: int
    amount: int
    on: date
    description: str | None = None  # spending only


def _entry(row: Spending | FundReceipt) -> Entry:
    if isinstance(row, Spending):
        return Entry(SPENDING, row.id, row.amount, row.spent_on, row.description)
    return Entry(RECEIPT, row.id, row.amount, row.received_on)


def _model(kind: str):
    return Spending if kind == SPENDING else FundReceipt


def _correctable(kind: str, rt_id: int, now: datetime) -> tuple:
    model = _model(kind)
    conditions = (
        model.rt_id == rt_id,
        model.cancelled_at.is_(None),
        model.recorded_at >= now - timedelta(days=CORRECTION_DAYS),
    )
    if kind == RECEIPT:
        # A receipt whose report was sent back already counts for nothing: it is redone with /dana, not corrected.
        counted = counted_receipts(rt_id).subquery()
        conditions += (FundReceipt.id.in_(select(counted.c.id)),)
    return conditions


async def recent(session: AsyncSession, kind: str, rt_id: int, now: datetime) -> list[Entry]:
    """The RT's entries of this kind recorded in the last 30 days and not cancelled, newest first."""
    model = _model(kind)
    rows = await session.scalars(
        select(model).where(*_correctable(kind, rt_id, now)).order_by(model.recorded_at.desc(), model.id.desc())
    )
    return [_entry(row) for row in list(rows)[:LISTED]]


async def _row(session: AsyncSession, kind: str, rt_id: int, entry_id: int, now: datetime):
    model = _model(kind)
    row = await session.scalar(select(model).where(model.id == entry_id, *_correctable(kind, rt_id, now)))
    if row is None:
        raise ProblemError.one("entry_not_correctable", kind=kind, entry_id=entry_id)
    return row


async def find(session: AsyncSession, kind: str, rt_id: int, entry_id: int, now: datetime) -> Entry | None:
    try:
        return _entry(await _row(session, kind, rt_id, entry_id, now))
    except ProblemError:
        return None


async def correct(
    session: AsyncSession,
    *,
    kind: str,
    rt: RT,
    entry_id: int,
    person: Person,
    actor: str,
    now: datetime,
    amount: int | None = None,
    on: date | None = None,
    description: str | None = None,
) -> tuple[Entry, Entry]:
    """Change what was given (amount, date, description); returns the entry before and after."""
    row = await _row(session, kind, rt.id, entry_id, now)
    before = _entry(row)
    if amount is not None:
        validate_amount(amount)
        row.amount = amount
    if on is not None:
        if kind == SPENDING:
            row.spent_on = on
        else:
            row.received_on = on
    if description is not None:
        if kind != SPENDING:
            raise ProblemError.one("entry_has_no_description", kind=kind)
        description = description.strip()
        if not description or len(description) > MAX_DESCRIPTION:
            raise ProblemError.one("spending_bad_description", maksimum=MAX_DESCRIPTION)
        row.description = description
    if kind == RECEIPT and row.report_id is not None:
        report = await session.get(StageReport, row.report_id)
        report.answers = {**(report.answers or {}), "jumlah": row.amount}
        report.happened_on = row.received_on
        report.status = ReportStatus.MENUNGGU_TINJAUAN
        report.reviewed_by_id = report.reviewed_at = report.review_reason = None
    await session.flush()
    after = _entry(row)
    audit.record(
        session,
        actor=actor,
        action=f"funds.{kind}.correct",
        entity=_model(kind).__tablename__,
        entity_id=row.id,
        person_id=person.id,
        rt=rt.kode,
        before=_detail(before),
        after=_detail(after),
    )
    return before, after


async def cancel(
    session: AsyncSession, *, kind: str, rt: RT, entry_id: int, person: Person, actor: str, now: datetime
) -> Entry:
    row = await _row(session, kind, rt.id, entry_id, now)
    row.cancelled_at = now
    row.cancelled_by_id = person.id
    if kind == RECEIPT and row.report_id is not None:
        # Withdrawn like a report sent back: the stage is open again for the right amount.
        report = await session.get(StageReport, row.report_id)
        report.status = ReportStatus.DIKEMBALIKAN
        report.reviewed_by_id, report.reviewed_at, report.review_reason = person.id, now, None
    await session.flush()
    entry = _entry(row)
    audit.record(
        session,
        actor=actor,
        action=f"funds.{kind}.cancel",
        entity=_model(kind).__tablename__,
        entity_id=row.id,
        person_id=person.id,
        rt=rt.kode,
        before=_detail(entry),
    )
    return entry


def _detail(entry: Entry) -> dict:
    detail = {"amount": entry.amount, "on": entry.on.isoformat()}
    if entry.description is not None:
        detail["description"] = entry.description
    return detail
