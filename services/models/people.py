"""People, their roles, and the channel identities (Telegram, WhatsApp, console) they speak through."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.models.base import Base, UtcDateTime, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    PENDAMPING = "pendamping"
    KETUA_RT = "ketua_rt"
    BENDAHARA = "bendahara"


# The roles that are one seat per RT: at most one active holder each, enforced by the index below.
SEAT_ROLES = (Role.KETUA_RT.value, Role.BENDAHARA.value)
# Written out (not built from SEAT_ROLES) because migration 0003 must keep creating exactly this index.
_ACTIVE_SEAT = text("active AND role IN ('ketua_rt', 'bendahara')")


class Person(Base):
    __tablename__ = "person"
    __table_args__ = (
        # An RT has at most one active Ketua RT and one active Bendahara Pokja. The database says so, not only the
        # code: two codes for the same seat redeemed at the same moment cannot both win (the second insert fails),
        # and reminders never go to two holders. A holder who leaves is deactivated (active = false), which frees
        # the seat for a new one and keeps their history.
        Index(
            "uq_person_active_seat",
            "rt_id",
            "role",
            unique=True,
            sqlite_where=_ACTIVE_SEAT,
            postgresql_where=_ACTIVE_SEAT,
        ),
    )

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
    # Meta's business-scoped user id (WhatsApp `contacts[].user_id`), kept beside the wa_id the identity is keyed on.
    platform_user_id: Mapped[str | None] = mapped_column(String(128))
    # The platform could not deliver to this identity for a while (WhatsApp 131026 / 131049): retried within
    # limits, and shown to the pendamping in /rt. Cleared when a message is delivered again.
    undeliverable_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    undeliverable_reason: Mapped[str | None] = mapped_column(String(200))

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
