"""A collecting channel for tests: talk to the real engine as one person, read replies and the outbox."""

from dataclasses import dataclass, field

from sqlalchemy import select

from handlers.engine import Engine
from handlers.incoming_text import text_incoming
from handlers.messages import Incoming, Kind, MediaItem, Reply
from services.models import OutboxMessage


@dataclass
class Chat:
    engine: Engine
    user_id: str
    channel: str = "test"
    display_name: str | None = "Tester"
    files: dict[str, bytes] = field(default_factory=dict)
    history: list[Reply] = field(default_factory=list)

    async def fetch(self, item: MediaItem) -> bytes:
        return self.files[item.ref]

    async def deliver(self, incoming: Incoming) -> list[Reply]:
        replies = await self.engine.handle(incoming, self.fetch)
        assert replies, f"no reply to {incoming}"
        self.history.extend(replies)
        return replies

    async def send(self, text: str) -> list[Reply]:
        return await self.deliver(text_incoming(self.channel, self.user_id, text, self.display_name))

    async def press(self, choice_id: str, token: int | None = None) -> list[Reply]:
        """Press a button; by default one offered by the last reply that had choices."""
        if token is None:
            token = next(r.token for r in reversed(self.history) if r.choices)
        return await self.deliver(Incoming(self.channel, self.user_id, Kind.CHOICE, choice=choice_id, token=token))

    async def press_label(self, fragment: str) -> list[Reply]:
        last = next(r for r in reversed(self.history) if r.choices)
        choice = next(c for c in last.choices if fragment.lower() in c.label.lower())
        return await self.press(choice.id, last.token)

    async def send_media(self, *items: tuple[str, bytes, str], kind: str = "photo") -> list[Reply]:
        media = []
        for ref, content, mime in items:
            self.files[ref] = content
            media.append(MediaItem(kind=kind, ref=ref, mime_type=mime, size=len(content), file_name=ref))
        return await self.deliver(Incoming(self.channel, self.user_id, Kind.MEDIA, media=tuple(media)))

    @property
    def last(self) -> Reply:
        return self.history[-1]

    def texts(self, replies: list[Reply]) -> str:
        return "\n".join(r.text for r in replies)


async def outbox_for(engine: Engine, external_id: str) -> list[OutboxMessage]:
    async with engine.db.unit_of_work() as session:
        return list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.external_id == external_id).order_by(OutboxMessage.id)
            )
        )
