"""WhatsApp bookkeeping that no other channel needs."""

from datetime import datetime

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.models.base import Base, UtcDateTime, utcnow


class WhatsAppTemplateSend(Base):
    """How many times each template was sent in a month (WIB): the city pays Meta per template message.

    Not read from the outbox: a row there holds a channel-neutral reply, and whether it goes as free text or as a
    template is decided only when it is sent (inside or outside the person's 24-hour window)."""

    __tablename__ = "whatsapp_template_send"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-05"
    template: Mapped[str] = mapped_column(String(512), primary_key=True)  # Meta's template name
    count: Mapped[int] = mapped_column(Integer, default=0)


class WhatsAppMenu(Base):
    """The last numbered text menu shown to one WhatsApp number (more choices than a list holds): a typed "7" is
    read against it. Kept in the database, so another process or a restart reads the same menu."""

    __tablename__ = "whatsapp_menu"

    external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[int | None] = mapped_column(Integer)  # the question's version, as on a button
    choices: Mapped[list] = mapped_column(JSON)  # the choice ids in the order they were numbered (1 = first)
    shown_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
