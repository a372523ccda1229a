"""Outgoing messages in bulk (outbox), broadcasts, reminder claims, and inbound de-duplication."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.models.base import Base, UtcDateTime, utcnow


class Broadcast(Base):
    __tablename__ = "broadcast"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    # How the audience was chosen: {"scope": "assigned" | "kelompok" | "behind" | "city", ...}.
    audience: Mapped[dict] = mapped_column(JSON, default=dict)
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OutboxMessage(Base):
    """One message to one identity. The delivery worker claims rows atomically and sends them once."""

    __tablename__ = "outbox"
    __table_args__ = (
        # "does this chat have an earlier answer not sent yet?" — asked before every answer goes out
        Index("ix_outbox_chat", "channel", "external_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Unique when set: the same logical message (a reminder, a broadcast recipient) is queued once.
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    channel: Mapped[str] = mapped_column(String(16), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcast.id"), index=True)
    # A rendered-agnostic reply: {"text": ..., "choices": [...]} — the channel renders it.
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The platform's id of the (last) message this row became (WhatsApp's wamid): its delivery statuses find the
    # row by it, so a broadcast report can say delivered / read / failed.
    platform_message_id: Mapped[str | None] = mapped_column(String(128), index=True)
    # What the platform said happened after it accepted the message: "delivered", "read" or "failed".
    delivery_status: Mapped[str | None] = mapped_column(String(16))
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Meta's template name when the row went out as a template (outside the person's 24-hour window).
    template: Mapped[str | None] = mapped_column(String(512))


class InboundUpdate(Base):
    """One update as a webhook received it, stored before the 200 goes back: the conversation work is done after,
    from here, in arrival order per person. A crash after the 200 loses nothing; a redelivery is one row."""

    __tablename__ = "inbound_update"
    __table_args__ = (
        UniqueConstraint("channel", "update_id"),
        # "is an earlier update of this person still waiting?" — asked for every claim
        Index("ix_inbound_update_person", "channel", "person", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # arrival order
    channel: Mapped[str] = mapped_column(String(16))
    update_id: Mapped[str] = mapped_column(String(128))
    person: Mapped[str] = mapped_column(String(64))  # whose line it waits in
    payload: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)


class ReminderClaim(Base):
    """The database, not the scheduler, decides whether a reminder was sent: one row per key."""

    __tablename__ = "reminder_claim"
    __table_args__ = (UniqueConstraint("person_id", "kind", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(16))
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))


class ProcessedUpdate(Base):
    """Inbound update ids already handled: platforms redeliver, we act once."""

    __tablename__ = "processed_update"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AlbumItem(Base):
    """One photo of an album (media group) waiting for its siblings; kept here, not in process memory."""

    __tablename__ = "album_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    media_group_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[str] = mapped_column(String(64))
    item: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    flushed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ChannelLease(Base):
    """Which worker process sends as one channel account (a bot, a WhatsApp number): one at a time, so the
    platform's limits for that account are kept by one pace (services/send_lease.py)."""

    __tablename__ = "channel_lease"

    # The channel and the account's public id ("telegram:123456", "whatsapp:<phone number id>"), never a token.
    account: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
