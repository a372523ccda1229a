"""Single-use invitation codes; only a keyed hash of the code is stored."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.models.base import Base, UtcDateTime, utcnow


class Invitation(Base):
    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The last two characters, so an admin can tell codes apart in `invite list` without the secret.
    code_hint: Mapped[str] = mapped_column(String(4))
    role: Mapped[str] = mapped_column(String(16))
    rt_id: Mapped[int | None] = mapped_column(ForeignKey("rt.id"), index=True)
    # A pendamping's RT set (RT ids), assigned to them when the code is redeemed.
    rt_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # When set, redeeming binds the channel identity to this existing person (e.g. a roster pendamping).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    nama: Mapped[str | None] = mapped_column(String(120))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    used_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # `invite create --ganti`: the seat holder this code replaces. Redeeming it deactivates them (only them: if the
    # seat changed hands meanwhile, the code is refused like any code for a taken seat).
    replaces_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
