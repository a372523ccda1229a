"""Money: funds received by the Pokja, spending items, and KK changes waiting for approval."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.models.base import Base, UtcDateTime, utcnow


class FundReceipt(Base):
    __tablename__ = "fund_receipt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rt_id: Mapped[int] = mapped_column(ForeignKey("rt.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    expected_amount: Mapped[int | None] = mapped_column(BigInteger)
    received_on: Mapped[date] = mapped_column(Date)
    proof_media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id"))
    # The `pencairan_dana` report the pendamping reviews: a receipt whose report was sent back does not count.
    report_id: Mapped[int | None] = mapped_column(ForeignKey("stage_report.id"), index=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Cancelled by the treasurer (a mistake): kept for the audit trail, no longer counted anywhere.
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class Spending(Base):
    __tablename__ = "spending"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rt_id: Mapped[int] = mapped_column(ForeignKey("rt.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(Text)
    bidang: Mapped[str] = mapped_column(String(32))
    spent_on: Mapped[date] = mapped_column(Date)
    receipt_media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Cancelled by the treasurer (a mistake): kept for the audit trail, no longer counted anywhere.
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class KKChangeRequest(Base):
    """A KK change after funds arrived changes the allocation, so the pendamping must approve it."""

    __tablename__ = "kk_change_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rt_id: Mapped[int] = mapped_column(ForeignKey("rt.id"), index=True)
    old: Mapped[int | None] = mapped_column(Integer)
    new: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | approved | rejected
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
