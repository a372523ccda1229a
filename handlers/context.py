"""Everything a flow step may use, for one incoming message, inside one unit of work."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.i18n import use_locale
from handlers.messages import Incoming, MediaItem, Reply
from handlers.payload import payload_of
from services import outbox, training
from services.media import MediaStore
from services.models import Person
from services.program import Program
from services.wib import WIB

# Supplied by the channel: fetch the bytes of a media item (Telegram getFile, WhatsApp media URL, a local file).
# It raises MediaTooLarge for a file bigger than the channel lets a bot download, and MediaUnavailable when the
# platform would not give the file (an error status, an expired link); flows ask for the file again either way.
MediaFetcher = Callable[[MediaItem], Awaitable[bytes]]


class MediaTooLarge(Exception):
    """The file is bigger than the channel lets a bot download (Telegram: 20 MB); nothing of it was fetched."""


class MediaUnavailable(Exception):
    """The platform would not hand the file over (after the channel's own retries). The message carries no secret:
    channels raise it with a plain description, never the platform's URL (Telegram's holds the bot token)."""


@dataclass
class Context:
    session: AsyncSession
    program: Program
    pepper: bytes
    now: datetime
    incoming: Incoming
    person: Person | None
    media: MediaStore
    fetch: MediaFetcher
    settings: dict = field(default_factory=dict)
    # Rows this unit of work already loaded, held on purpose: the session's identity map keeps only weak references,
    # so a row a step let go of would be selected again by the next step of the same message.
    kept: dict = field(default_factory=dict, repr=False)

    @property
    def today(self) -> date:
        return self.now.astimezone(WIB).date()

    @property
    def actor(self) -> str:
        return f"{self.incoming.channel}:{self.incoming.user_id}"

    async def notify(
        self,
        recipient: Person,
        render: Callable[[], Reply],
        *,
        dedupe_key: str | None = None,
        purpose: str | None = None,
    ) -> int:
        """Queue a message to someone else (see `notify`); part of this unit of work: if the step fails, the
        notification is never sent."""
        if not await training.may_reach(self.session, self.person, recipient):
            return 0  # the simulator's training persons tell no real person anything (services/training.py)
        return await notify(self.session, recipient, render, dedupe_key=dedupe_key, purpose=purpose)


async def notify(
    session: AsyncSession,
    recipient: Person,
    render: Callable[[], Reply],
    *,
    dedupe_key: str | None = None,
    purpose: str | None = None,
) -> int:
    """Queue a message to someone else, written in their language, sent by the delivery worker; the number of
    outbox rows (0: the person cannot be reached in the bot).

    `purpose`: which WhatsApp template carries it outside the person's window (handlers/payload.py PURPOSE).
    The chat's Context and the dashboard both tell people through here, so a message is the same from either.
    """
    with use_locale(recipient.locale):
        reply = render()
    return await outbox.enqueue_for_person(
        session, recipient.id, payload_of(reply, purpose=purpose), dedupe_key=dedupe_key
    )


class Desk(Protocol):
    """What a decision taken on someone's behalf needs (handlers/review_decision.py): the chat's `Context` is one,
    the dashboard builds another (handlers/dashboard/desk.py)."""

    session: AsyncSession
    program: Program
    person: Person | None
    now: datetime

    @property
    def actor(self) -> str: ...

    async def notify(
        self,
        recipient: Person,
        render: Callable[[], Reply],
        *,
        dedupe_key: str | None = None,
        purpose: str | None = None,
    ) -> int: ...
