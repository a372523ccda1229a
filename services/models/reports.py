"""Stage reports with their evidence, and the media files behind them."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.models.base import Base, UtcDateTime, utcnow


class ReportStatus(StrEnum):
    MENUNGGU_TINJAUAN = "menunggu_tinjauan"
    DISETUJUI = "disetujui"
    DIKEMBALIKAN = "dikembalikan"


class StageReport(Base):
    __tablename__ = "stage_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rt_id: Mapped[int] = mapped_column(ForeignKey("rt.id"), index=True)
    stage_key: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(24), default=ReportStatus.MENUNGGU_TINJAUAN, index=True)
    happened_on: Mapped[date] = mapped_column(Date)
    # The stage's own answers (attendance, Pokja names, swadaya, progress %), keyed by the program file.
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    review_reason: Mapped[str | None] = mapped_column(Text)
    # What a send-back asks to fix (services.review.FIX_PARTS, in that order); None: see the reason.
    review_fix: Mapped[list | None] = mapped_column(JSON)

    # Marked by a pendamping or admin as an example for other RTs (the dashboard's Contoh, the bot's /contoh).
    contoh_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    contoh_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    media: Mapped[list["Media"]] = relationship(back_populates="report", order_by="Media.id")


class Media(Base):
    __tablename__ = "media"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # Path relative to MEDIA_DIR, so the directory can move.
    path: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    mime_type: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # photo | document
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    rt_id: Mapped[int | None] = mapped_column(ForeignKey("rt.id"), index=True)
    stage_key: Mapped[str | None] = mapped_column(String(32))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("stage_report.id"), index=True)
    channel_file_id: Mapped[str | None] = mapped_column(String(255))
    original_name: Mapped[str | None] = mapped_column(String(255))
    exif_taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    exif_latitude: Mapped[float | None] = mapped_column(Float)
    exif_longitude: Mapped[float | None] = mapped_column(Float)
    # Same content already stored for another RT: flagged to the pendamping as possible reuse.
    reuse_of_media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    report: Mapped[StageReport | None] = relationship(back_populates="media")


class ReportDraft(Base):
    """A /lapor left unfinished (for another command, or cancelled after answers were given), kept for a while.

    One per RT and stage: the answers and the channel's file references as the conversation held them, offered
    back when /lapor is sent for that stage again. Nothing in it counts as reported.
    """

    __tablename__ = "report_draft"
    __table_args__ = (UniqueConstraint("rt_id", "stage_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rt_id: Mapped[int] = mapped_column(ForeignKey("rt.id"))
    stage_key: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    # The conversation's data of the /lapor flow, and the step it was left at.
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    step: Mapped[str] = mapped_column(String(32))
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
