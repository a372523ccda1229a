"""The channel-neutral half of receiving: from a platform's raw update to the answer, the same for every channel
(Telegram by long polling or webhook, WhatsApp next) — courier's shape: a thin adapter per channel over this core.

skip ids already handled → acknowledge (a button press) → buffer album media (claimed with them) → `Incoming` →
engine (claims the id in its unit of work) → answer, directly, with what cannot go handed to the outbox.
A failure is logged with the update id and never escapes: the polling loop and the webhook keep going.

What a channel supplies is `InboundAdapter`; everything else — per-person ordering, duplicate claims, gathering an
album into one `Incoming`, the too-large notices, the person's language for them, the direct answer — lives here.
Entries: `process_batch` (long polling), `process` (one raw update), `process_arrival` (an update a webhook stored
and the drain of bot/channels/stored.py took up, in order per person), `handle` (an `Incoming` already claimed).

Every answer is recorded as outbox rows with its work (the engine's `answer` with a `Recording`), then sent by the
direct path on those rows (bot/channels/direct.py `send_answer`): a crash between the commit and the send loses no
answer, and a person's answers go out in the order they were made. `grace=None` turns that off (plain path).
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from typing import Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.answer_marks import AnswerMarks
from bot.channels.base import Sender, SendResult
from bot.channels.direct import Watch, direct_send, send_answer
from bot.channels.ordering import Lanes
from bot.delivery.worker import worker_id
from handlers.channel_notices import file_too_large, some_files_too_large
from handlers.context import MediaFetcher
from handlers.engine import Answer, Engine, Recording, claimed, record
from handlers.i18n import use_locale
from handlers.messages import Incoming, Kind, MediaItem, Reply
from services import direct_answers, inbound, outbox, people
from services.models import ConversationState, utcnow

log = logging.getLogger(__name__)

ALBUM_QUIET = timedelta(seconds=1.5)
FLUSH_EVERY = 0.5
PRUNE_EVERY = timedelta(hours=1)
KEEP_UPDATE_IDS = timedelta(days=2)
KEEP_ANSWERS = timedelta(days=2)  # answers' outbox rows, once done (services/outbox.py prune_answers)
# How long the worker leaves an answer to the process that recorded it. Its direct send takes a few seconds at most
# (direct.py TIME_HERE and the channel's send timeout), so only a process that died, or is stuck far longer, is
# passed over. After a crash the answer goes this long after it was made, at the latest.
REPLY_GRACE = timedelta(seconds=30)

Raw = TypeVar("Raw")
RawIn = TypeVar("RawIn", contravariant=True)


class TryLater(Exception):
    """An update that arrived before what it is about (WhatsApp: the status of a message whose id the worker has
    not committed yet): not handled now, nothing of it kept, taken up again after `after` by the stored path."""

    def __init__(self, reason: str, after: timedelta) -> None:
        super().__init__(reason)
        self.after = after


@dataclass(frozen=True)
class Arrival:
    """One raw update as the core sees it; the adapter makes it without touching the network or the database."""

    id: str | int  # the platform's id of this delivery (Telegram's update_id, WhatsApp's message id): claimed once
    person: str  # whose line it waits in: the chat of a message, the sender of a button press
    incoming: Incoming | None  # None: nothing for the conversation (a membership change, a delivery status)
    album: str | None = None  # media sent together (Telegram's media_group_id): gathered into one Incoming
    position: int = 0  # its place among the album's items (Telegram's message_id)
    acknowledge: str | None = None  # what the platform wants acknowledged at once (a button press's query id)
    blocked: str | None = None  # the identity that blocked the bot: marked unreachable with the claim
    # Something to record with the claim, in the same unit of work, for an update that is not a message (a
    # WhatsApp delivery status updating its outbox row). Only with `incoming=None`.
    effect: Callable[[AsyncSession], Awaitable[None]] | None = None


class InboundAdapter(Protocol[RawIn]):
    """What one channel contributes to receiving; a new channel (WhatsApp, …) is this and a `Sender`, nothing more.

    - `arrival(raw)`: the platform's payload → `Arrival` (pure: the `Incoming` inside carries `channel` and
      `update_id`). Called once per raw update; must never raise for a payload the webhook accepted (unknown kinds
      become an `Arrival` with `incoming=None` or an `Incoming` the conversations answer kindly).
    - `fetch`: downloads a `MediaItem`'s bytes for the engine (getFile, or the Graph API's media URL).
    - `too_large(item)` / `max_download_mb`: what the platform will not hand over (checked before any download),
      and the limit the person is told.
    - `send_timeout`: seconds one send may take; after a send got no answer, the direct path does not try for as long.
    - `acknowledge(token)`: the platform's immediate acknowledgement (Telegram: answerCallbackQuery); a failure is
      logged there, never raised.
    - `answered(incoming)`: after an answer reached the person (Telegram: their command menu); never raises.
    - `prepare(incoming)`: the channel's last word, with the database, before the conversation sees a message
      (WhatsApp: a typed number of the numbered menu on screen becomes the button it stands for); never raises.
    """

    channel: str
    sender: Sender
    fetch: MediaFetcher
    max_download_mb: int
    send_timeout: float

    def arrival(self, raw: RawIn) -> Arrival: ...

    def too_large(self, item: MediaItem) -> bool: ...

    async def acknowledge(self, token: str) -> None: ...

    async def answered(self, incoming: Incoming) -> None: ...

    async def prepare(self, incoming: Incoming) -> Incoming: ...


class InboundProcessor(Generic[Raw]):
    def __init__(
        self,
        adapter: InboundAdapter[Raw],
        engine: Engine,
        album_quiet: timedelta = ALBUM_QUIET,
        grace: timedelta | None = REPLY_GRACE,
    ) -> None:
        """`grace`: answers recorded in the outbox with their work, left to this process that long (None: not
        recorded, sent directly with only what cannot go handed to the outbox)."""
        self.adapter = adapter
        self.grace = grace
        self.holder = direct_answers.holder_name(worker_id())
        self.marks = AnswerMarks(engine.db, self.holder, grace or REPLY_GRACE)
        self.channel = adapter.channel
        self.engine = engine
        self.db = engine.db
        self.album_quiet = album_quiet
        self.lanes = Lanes(self.db.engine.dialect.name)
        self.watch = Watch(pause=adapter.send_timeout)

    async def process_batch(self, raws: Sequence[Raw]) -> None:
        """A batch (getUpdates): each person's updates in order, people side by side.

        Raises only when the database cannot even be asked which updates were handled: the caller must then fetch
        the batch again.
        """
        arrivals = [arrival for raw in raws if (arrival := self._arrival(raw)) is not None]
        async with self.db.sessions() as session:
            handled = await inbound.handled_among(session, self.channel, [a.id for a in arrivals])
            albums_first = await inbound.albums_waiting_for(session, self.channel, {a.person for a in arrivals})
        by_person: dict[str, list[Arrival]] = {}
        for arrival in arrivals:
            key = str(arrival.id)
            if key in handled:
                log.info("%s update %s already handled", self.channel, arrival.id)
                continue
            handled.add(key)  # the same id twice in one batch is still one update
            by_person.setdefault(arrival.person, []).append(arrival)

        async def one_person(queue: list[Arrival]) -> None:
            for arrival in queue:
                await self._guarded(arrival, albums_first)

        await asyncio.gather(*(one_person(queue) for queue in by_person.values()))

    async def process(self, raw: Raw) -> bool:
        """Handle one update (a webhook); False when it was handled already.

        Raises only when the database cannot be asked (the webhook then answers 503 and the platform delivers the
        update again). Any failure after that is logged and never escapes.
        """
        arrival = self._arrival(raw)
        if arrival is None:
            return True
        async with self.db.sessions() as session:
            if await inbound.handled_among(session, self.channel, [arrival.id]):
                log.info("%s update %s already handled", self.channel, arrival.id)
                return False
        return await self.process_arrival(arrival)

    async def process_arrival(self, arrival: Arrival) -> bool:
        """One update already read (a stored webhook update, bot/channels/stored.py); False when handled already.
        Raises only `TryLater`: any other failure is logged with the update id (the person heard "sorry" if it
        came to that)."""
        return await self._guarded(arrival, None, may_defer=True)

    def _arrival(self, raw: Raw) -> Arrival | None:
        try:
            return self.adapter.arrival(raw)
        except Exception:  # a payload the adapter cannot read is this one's failure, never the batch's
            log.exception("%s update could not be read", self.channel)
            return None

    async def _guarded(self, arrival: Arrival, albums_first: set[str] | None, *, may_defer: bool = False) -> bool:
        """`albums_first`: people with an album still gathering, shared along a batch. Their next message is
        handled after the album (sent before it), not ahead of it while the album waits for its quiet time."""
        try:
            async with self.lanes.hold(arrival.person):
                return await self._process(arrival, albums_first)
        except TryLater:
            if may_defer:
                raise  # the caller keeps it for later (bot/channels/stored.py)
            log.warning("%s update %s came too early and cannot be kept for later", self.channel, arrival.id)
            return True
        except Exception:
            log.exception("%s update %s failed", self.channel, arrival.id)
            return True

    async def _process(self, arrival: Arrival, albums_first: set[str] | None) -> bool:
        """The update id is claimed in the unit of work that acts on it (by the engine for a message), so a crash
        before that commits leaves the redelivered update to be handled, and a redelivery after it is dropped."""
        if albums_first is None:
            # One update (the webhook): asked under the person's lock, so their album's photos, whose requests
            # may still be waiting for that lock, are not overtaken.
            async with self.db.sessions() as session:
                albums_first = await inbound.albums_waiting_for(session, self.channel, [arrival.person])
        incoming, group = arrival.incoming, arrival.album
        if incoming is None or group is not None:
            async with self.db.unit_of_work() as session:
                if not await inbound.claim_update(session, self.channel, arrival.id):
                    log.info("%s update %s already handled", self.channel, arrival.id)
                    return False
                if incoming is not None:  # an item of an album: kept until its siblings are in
                    await inbound.add_album_item(session, self.channel, group, incoming.user_id, album_item(arrival))
                elif arrival.blocked is not None:
                    await people.mark_unreachable(session, self.channel, arrival.blocked, "blocked the bot")
                if incoming is None and arrival.effect is not None:
                    await arrival.effect(session)
            if group is not None:
                albums_first.add(incoming.user_id)
        if arrival.acknowledge is not None:
            await self.adapter.acknowledge(arrival.acknowledge)
        if incoming is not None and group is None:
            if incoming.user_id in albums_first:
                albums_first.discard(incoming.user_id)
                await self._handle_albums_of(incoming.user_id)
            await self.handle(incoming)
        return True

    async def handle(self, incoming: Incoming) -> None:
        """One `Incoming` through the conversations and its answer out. The caller holds the person's lane."""
        incoming = await self.adapter.prepare(incoming)
        too_large = self.adapter.too_large
        fitting = tuple(item for item in incoming.media if not too_large(item))
        recording = None
        if self.grace is not None:
            check = await self.watch.may_have_unsent(self.db, self.channel, incoming.user_id, self.holder)
            recording = Recording(self.holder, self.grace, check=check)
        if incoming.kind == Kind.MEDIA and not fitting:
            answer = await self._too_large(incoming, recording)
        elif incoming.kind == Kind.MEDIA and len(fitting) < len(incoming.media):
            # Part of an album is over the limit: the rest goes on, and the person hears which ones did not. The
            # notice is made first: nothing may fail between the conversation's commit and its answer going out.
            notice = await self._some_too_large(incoming)
            if recording is not None:
                recording = replace(recording, before=(notice,))  # recorded with the answer, ahead of it
            answer = await self.engine.answer(replace(incoming, media=fitting), self.adapter.fetch, recording)
            if recording is None and answer.replies:
                answer = Answer([notice, *answer.replies])
        else:
            answer = await self.engine.answer(incoming, self.adapter.fetch, recording)
        if answer.replies:  # none: a redelivery already answered
            result = await self.send_answer(incoming.user_id, answer)
            if result.ok:  # else the platform is away, the chat gone, or the worker has it: the next one catches up
                await self.adapter.answered(incoming)

    async def _too_large(self, incoming: Incoming, recording: Recording | None) -> Answer:
        # The platform will not hand it over: say so here, store nothing, and leave the conversation as it was.
        async with self.db.unit_of_work() as session:
            if not await claimed(session, incoming):
                return Answer([])
            person = await people.identity_person(session, self.channel, incoming.user_id)
            locale = person.locale if person is not None else await self._locale(session, incoming.user_id)
            with use_locale(locale):
                replies = [file_too_large(self.adapter.max_download_mb)]
            return await record(session, incoming, person.id if person else None, replies, recording)

    async def _some_too_large(self, incoming: Incoming) -> Reply:
        too_large = self.adapter.too_large
        refused = [(n, item.file_name) for n, item in enumerate(incoming.media, 1) if too_large(item)]
        async with self.db.sessions() as session:
            locale = await self._locale(session, incoming.user_id)
        with use_locale(locale):
            return some_files_too_large(refused, self.adapter.max_download_mb)

    async def send(self, user_id: str, replies: list[Reply]) -> SendResult:
        return await direct_send(self.adapter.sender, user_id, replies, self.db, self.watch)

    async def send_answer(self, user_id: str, answer: Answer) -> SendResult:
        return await send_answer(self.adapter.sender, user_id, answer, self.db, self.watch, self.marks)

    async def _locale(self, session: AsyncSession, user_id: str) -> str | None:
        person = await people.identity_person(session, self.channel, user_id)
        if person is not None:
            return person.locale
        state = await session.get(ConversationState, {"channel": self.channel, "user_id": user_id})
        return state.locale if state is not None else None

    # ---- albums ---------------------------------------------------------------------------------------------
    async def flush_albums(self) -> int:
        """Hand every album that has been quiet long enough to the engine as one message; returns how many."""
        async with self.db.unit_of_work() as session:
            groups = await inbound.quiet_albums(session, self.channel, utcnow() - self.album_quiet)
        flushed = 0
        for group in groups:
            try:
                flushed += await self._handle_album(group, lock=True)
            except Exception:
                log.exception("%s album %s failed", self.channel, group)
        return flushed

    async def _handle_albums_of(self, user_id: str) -> None:
        """This person's albums still gathering, now (the caller holds their lock): a message came after them."""
        async with self.db.sessions() as session:
            groups = await inbound.waiting_albums_of(session, self.channel, user_id)
        for group in groups:
            try:
                await self._handle_album(group, lock=False)
            except Exception:  # the message that came after it is still handled
                log.exception("%s album %s failed", self.channel, group)

    async def _handle_album(self, group: str, *, lock: bool) -> int:
        """1 when the album was handled here; 0 when nothing was waiting (another worker had it)."""
        async with self.db.sessions() as session:
            items = await inbound.waiting_album(session, self.channel, group)
        if not items:
            return 0
        # The items are claimed with the work, in the engine's unit of work: a crash midway leaves them waiting.
        incoming = album_incoming(self.channel, [item.item for item in items])
        incoming = replace(incoming, album_items=tuple(i.id for i in items))
        try:
            if lock:
                async with self.lanes.hold(incoming.user_id):
                    await self.handle(incoming)
            else:
                await self.handle(incoming)
        except Exception:
            # A broken album would be taken up again every half second: set it aside, once. A cancellation (a stop)
            # is not caught here, so an album cut off by it waits for the next start.
            async with self.db.unit_of_work() as session:
                await inbound.claim_album_items(session, self.channel, incoming.album_items)
            raise
        return 1


async def album_flusher(processor: InboundProcessor, stop: asyncio.Event, every: float = FLUSH_EVERY) -> None:
    """Gathers albums and forgets old update ids and answers; a failure is logged and the loop goes on."""
    since_prune = PRUNE_EVERY
    while not stop.is_set():
        try:
            await processor.flush_albums()
            since_prune += timedelta(seconds=every)
            if since_prune >= PRUNE_EVERY:
                async with processor.db.unit_of_work() as session:
                    await inbound.prune(session, KEEP_UPDATE_IDS)
                    await outbox.prune_answers(session, KEEP_ANSWERS)
                since_prune = timedelta(0)
        except Exception:
            log.exception("album flusher failed; continuing")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


def album_item(arrival: Arrival) -> dict:
    incoming = arrival.incoming
    return {
        "message_id": arrival.position,  # the name albums were stored under first: kept, so waiting ones still read
        "media": asdict(incoming.media[0]),
        "caption": incoming.text,
        "display_name": incoming.display_name,
        "user_id": incoming.user_id,
    }


def album_incoming(channel: str, items: list[dict]) -> Incoming:
    items = sorted(items, key=lambda item: item["message_id"])  # the order the person chose in the album
    first = items[0]
    caption = next((item["caption"] for item in items if item["caption"]), "")
    return Incoming(
        channel,
        first["user_id"],
        Kind.MEDIA,
        text=caption,
        media=tuple(MediaItem(**item["media"]) for item in items),
        display_name=first["display_name"],
    )
