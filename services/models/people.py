"""People, their roles, and the channel identities (Telegram, WhatsApp, console) they speak through."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.models.base import Base, UtcDateTime, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    PENDAMPING = "pendamping"
    KETUA_RT = "ketua_rt"
    BENDAHARA = "bendahara"


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nama: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    role: Mapped[str] = mapped_column(String(16), index=True)
    # Ketua RT and bendahara belong to exactly one RT; pendamping are linked from rt.pendamping_id.
    rt_id: Mapped[int | None] = mapped_column(ForeignKey("rt.id"), index=True)
    locale: Mapped[str] = mapped_column(String(8), default="id")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    identities: Mapped[list["ChannelIdentity"]] = relationship(back_populates="person")


class ChannelIdentity(Base):
    """One way to reach a person: a Telegram chat, a WhatsApp number, a console session."""

    __tablename__ = "channel_identity"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Set when the platform says the person blocked the bot; shown to the pendamping, cleared on next message.
    unreachable_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    unreachable_reason: Mapped[str | None] = mapped_column(String(200))
    # The last time the person wrote to us (WhatsApp's 24-hour window is measured from it).
    last_inbound_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    person: Mapped[Person] = relationship(back_populates="identities")


class AuditLog(Base):
    """Every change a person (or an admin through the CLI) makes, with enough detail to explain it later."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
