"""Per-(channel, user) conversation state and the registration lock, kept in the database."""

from datetime import datetime

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.models.base import Base, UtcDateTime, utcnow


class ConversationState(Base):
    __tablename__ = "conversation_state"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    flow: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(48))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # Language chosen before registration (afterwards person.locale is used).
    locale: Mapped[str | None] = mapped_column(String(8))
    # Bumped on every step: a reply to an old question (old button) can be recognised.
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class CodeAttempt(Base):
    """A wrong invitation code typed by an identity (services/code_attempts.py: the lock and the ceiling)."""

    __tablename__ = "code_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    # Indexed: the ceiling across all chats counts the last hour's rows on every code typed.
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
