"""Messages between an RT and its pendamping (`/hubungi`, "Balas"), kept so both sides can show what was said."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.models.base import Base, UtcDateTime, utcnow


class Pesan(Base):
    __tablename__ = "pesan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The RT the conversation is about: a pendamping's answer is checked against it (only the RT's pendamping).
    rt_id: Mapped[int] = mapped_column(ForeignKey("rt.id"), index=True)
    from_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    to_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    # The message this one answers ("Balas"), None for the first one.
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("pesan.id"))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
