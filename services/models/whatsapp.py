"""WhatsApp bookkeeping that no other channel needs."""

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.models.base import Base


class WhatsAppTemplateSend(Base):
    """How many times each template was sent in a month (WIB): the city pays Meta per template message.

    Not read from the outbox: a row there holds a channel-neutral reply, and whether it goes as free text or as a
    template is decided only when it is sent (inside or outside the person's 24-hour window)."""

    __tablename__ = "whatsapp_template_send"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-05"
    template: Mapped[str] = mapped_column(String(512), primary_key=True)  # Meta's template name
    count: Mapped[int] = mapped_column(Integer, default=0)
