"""The console channel: talk to the bot in a terminal, exactly as a Ketua RT would on Telegram.

A reply is printed as text with its choices as a numbered list; typing a number picks that choice. Media and
locations, which a terminal cannot send, are typed: `/foto PATH [PATH…]` (or just the path of an image or PDF;
several paths make one album) and `/lokasi LAT,LON`. Messages other people caused for this identity (the outbox)
are shown after each answer, since no other process delivers to a terminal.
"""

import asyncio
import dataclasses
import mimetypes
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from handlers.engine import Engine
from handlers.i18n import _, use_locale
from handlers.incoming_text import text_incoming
from handlers.messages import Choice, Expect, Incoming, Kind, MediaItem, Reply
from handlers.payload import reply_from_payload
from services import numbers
from services.models import ConversationState, OutboxMessage, utcnow
from services.people import identity_person

CHANNEL = "console"
EXIT_WORDS = ("/keluar", "/exit", "/quit")


def media_kind(mime_type: str) -> str | None:
    """photo for images, document for PDF; anything else cannot be sent from the console."""
    if mime_type.startswith("image/"):
        return "photo"
    if mime_type == "application/pdf":
        return "document"
    return None


def media_item(path: Path) -> MediaItem | None:
    mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    kind = media_kind(mime_type)
    if kind is None or not path.is_file():
        return None
    return MediaItem(kind, str(path.resolve()), mime_type, path.stat().st_size, path.name)


def split_paths(text: str) -> list[Path]:
    """Paths as a terminal gives them: quoted, with escaped spaces, or dragged in as file:// URLs."""
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    return [Path(word.removeprefix("file://")).expanduser() for word in words]


def render(reply: Reply) -> str:
    lines = [reply.text]
    lines += [f"  {number}. {choice.label}" for number, choice in enumerate(reply.choices, start=1)]
    lines += [_("  [attachment: {path}]", path=path) for _kind, path in reply.attachments]
    if reply.choices:
        lines.append(_("(Type the number of your choice.)"))
    if reply.expect == Expect.MEDIA:
        lines.append(_("(To send a photo or PDF, type /foto followed by the file path, or paste the path.)"))
    elif reply.expect == Expect.LOCATION:
        lines.append(_("(To send a location, type /lokasi LAT,LON, for example /lokasi -1.61,103.61.)"))
    return "\n".join(lines)


@dataclass
class ConsoleChannel:
    engine: Engine
    user_id: str
    write: Callable[[str], None] = print
    display_name: str | None = None
    # The choices a typed number picks: those of the latest question, with the version they were offered under.
    choices: tuple[Choice, ...] = ()
    token: int | None = None
    history: list[Reply] = field(default_factory=list)

    async def fetch(self, item: MediaItem) -> bytes:
        return await asyncio.to_thread(Path(item.ref).read_bytes)

    def parse(self, line: str) -> Incoming | str | None:
        """The message a typed line stands for, or a sentence saying why it cannot be sent (None: nothing)."""
        text = line.strip()
        if not text:
            return None
        head, _sep, rest = text.partition(" ")
        if head.lower() == "/foto":
            return self._media(rest)
        if head.lower() == "/lokasi":
            return self._location(rest)
        if (picked_at := numbers.position(text, len(self.choices))) is not None:
            choice = self.choices[picked_at]
            return Incoming(CHANNEL, self.user_id, Kind.CHOICE, choice=choice.id, token=self.token)
        # Checked before commands: an absolute path starts with a slash too.
        if (paths := split_paths(text)) and all(media_item(p) for p in paths):
            return self._media(text)
        return text_incoming(CHANNEL, self.user_id, line, self.display_name)

    def _media(self, rest: str) -> Incoming | str:
        paths = split_paths(rest)
        if not paths:
            return _("Type /foto followed by the path of a photo or PDF file, for example /foto rapat.jpg")
        items = []
        for path in paths:
            if not path.is_file():
                return _("File not found: {path}", path=str(path))
            item = media_item(path)
            if item is None:
                return _("Only photos (JPG, PNG) and PDF documents can be sent: {path}", path=str(path))
            items.append(item)
        return Incoming(CHANNEL, self.user_id, Kind.MEDIA, media=tuple(items), display_name=self.display_name)

    def _location(self, rest: str) -> Incoming | str:
        parts = rest.replace(",", " ").split()
        try:
            latitude, longitude = (float(p) for p in parts)
        except ValueError:
            latitude = longitude = float("nan")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return _("Type the location as /lokasi LAT,LON, for example /lokasi -1.61,103.61")
        return Incoming(CHANNEL, self.user_id, Kind.LOCATION, latitude=latitude, longitude=longitude)

    async def send(self, line: str) -> list[Reply]:
        """Handle one typed line: print the replies (or why it could not be sent) and return them."""
        message = self.parse(line)
        if message is None:
            return []
        if isinstance(message, str):
            self.write(message)
            self.write("")
            return []
        return await self.deliver(message)

    async def deliver(self, incoming: Incoming) -> list[Reply]:
        replies = await self.engine.handle(incoming, self.fetch)
        self.show(replies)
        self.show(await self.inbox(), heading=_("Message for you:"))
        return replies

    def show(self, replies: list[Reply], heading: str | None = None) -> None:
        for reply in replies:
            if heading:
                self.write(heading)
            self.write(render(reply))
            self.write("")
        self.history.extend(replies)
        self._remember_choices(replies)

    def _remember_choices(self, replies: list[Reply]) -> None:
        for reply in replies:
            if reply.choices:
                self.choices, self.token = reply.choices, reply.token
            elif reply.expect != Expect.NOTHING:
                # A later question wants typed input: a number is then an answer, not a choice.
                self.choices, self.token = (), None

    async def current(self) -> tuple[str | None, Reply | None]:
        """The flow this identity is in and its open question (to show again when the console restarts)."""
        engine = self.engine
        async with engine.db.unit_of_work() as session:
            state = await session.get(ConversationState, (CHANNEL, self.user_id))
            if state is None or state.flow is None:
                return None, None
            flow = engine.flows.get(state.flow)
            step = flow.steps.get(state.step or "") if flow else None
            person = await identity_person(session, CHANNEL, self.user_id)
            if step is None or person is None:
                return state.flow, None
            incoming = Incoming(CHANNEL, self.user_id, Kind.TEXT)
            ctx = engine.context(session, incoming, person, self.fetch)
            with use_locale(person.locale):
                question = await step.ask(ctx, dict(state.data or {}))
            return state.flow, dataclasses.replace(question, token=state.version)

    async def inbox(self) -> list[Reply]:
        """Queued messages for this identity, marked sent as they are shown."""
        async with self.engine.db.unit_of_work() as session:
            rows = list(
                await session.scalars(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.channel == CHANNEL,
                        OutboxMessage.external_id == self.user_id,
                        OutboxMessage.status == "pending",
                        OutboxMessage.claimed_by.is_(None),
                    )
                    .order_by(OutboxMessage.id)
                )
            )
            now = utcnow()
            for row in rows:
                row.status, row.sent_at, row.attempts = "sent", now, row.attempts + 1
            return [reply_from_payload(row.payload) for row in rows]

    async def run(self, read_line: Callable[[], Awaitable[str | None]]) -> None:
        """Read and answer lines until end of input or /keluar."""
        self.show(await self.inbox(), heading=_("Message for you:"))
        while True:
            line = await read_line()
            if line is None or line.strip().lower() in EXIT_WORDS:
                return
            await self.send(line)
