"""The RT (rukun tetangga), the unit that receives the money, and the history of its KK count."""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.models.base import Base, UtcDateTime, utcnow
from services.models.wilayah import Kelurahan


class RT(Base):
    __tablename__ = "rt"
    __table_args__ = (
        UniqueConstraint("kelurahan_kode", "nomor"),
        CheckConstraint("kelompok IN ('A', 'B')", name="kelompok_a_or_b"),
        CheckConstraint("nomor > 0", name="nomor_positive"),
        CheckConstraint("jumlah_kk IS NULL OR jumlah_kk > 0", name="jumlah_kk_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stable code `<kode_kelurahan>-<nomor, 3 digits>`, e.g. 15.71.01.1001-003.
    kode: Mapped[str] = mapped_column(String(20), unique=True)
    kelurahan_kode: Mapped[str] = mapped_column(ForeignKey("kelurahan.kode"), index=True)
    nomor: Mapped[int] = mapped_column(Integer)
    kelompok: Mapped[str] = mapped_column(String(1), index=True)
    jumlah_kk: Mapped[int | None] = mapped_column(Integer)
    pilot_2025: Mapped[bool] = mapped_column(Boolean, default=False)
    # A training RT (the dashboard's simulator, pendamping training): never counted, listed or reminded as real.
    latihan: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    pendamping_id: Mapped[int | None] = mapped_column(
        # use_alter breaks the person <-> rt cycle: the constraint is added after both tables exist.
        ForeignKey("person.id", use_alter=True),
        index=True,
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # When the RT joined the bot (first ketua registered); late registrations get a catch-up reminder.
    registered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    kelurahan: Mapped[Kelurahan] = relationship()


class JumlahKKHistory(Base):
    __tablename__ = "jumlah_kk_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rt_id: Mapped[int] = mapped_column(ForeignKey("rt.id"), index=True)
    old: Mapped[int | None] = mapped_column(Integer)
    new: Mapped[int] = mapped_column(Integer)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    # Who or what made the change when it was not a person in the bot: "roster import", "cli".
    source: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
