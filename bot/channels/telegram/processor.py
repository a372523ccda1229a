"""One Telegram update, from arrival to answer — the same path for long polling and the webhook.

skip ids already handled → answer a button press → buffer album photos (claimed with them) → `Incoming` → engine
(claims the id in its unit of work) → reply.
A failure is logged with the update id and never escapes: the polling loop and the webhook keep going.
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import SendResult
from bot.channels.telegram import incoming as convert
from bot.channels.telegram.client import QUICK_TIMEOUT
from bot.channels.telegram.commands import CommandMenus
from bot.channels.telegram.direct import Watch, direct_send
from bot.channels.telegram.locks import KeyedLocks
from bot.channels.telegram.media import MAX_DOWNLOAD_MB, item_too_large, telegram_fetcher, too_large
from bot.channels.telegram.sender import CHANNEL, TelegramSender
from handlers.channel_notices import file_too_large, some_files_too_large
from handlers.engine import Engine, claimed
from handlers.i18n import use_locale
from handlers.messages import Incoming, Kind, MediaItem, Reply
from services import inbound, people
from services.models import ConversationState, utcnow

log = logging.getLogger(__name__)

ALBUM_QUIET = timedelta(seconds=1.5)
# People handled at once. On SQLite the calls run in place on the loop (services/sqlite_inline), so more people
# at once mostly overlaps their network calls: 16 measured better than 4 in bench/updates.py. PostgreSQL takes many.
CONCURRENCY = {"sqlite": 16, "postgresql": 32}


class TelegramProcessor:
    def __init__(self, bot: Bot, engine: Engine, sender: TelegramSender, album_quiet: timedelta = ALBUM_QUIET):
        self.bot = bot
        self.engine = engine
        self.db = engine.db
        self.sender = sender
        self.fetch = telegram_fetcher(bot)
        self.menus = CommandMenus(bot, self.db)
        self.album_quiet = album_quiet
        self.locks = KeyedLocks()
        self.slots = asyncio.Semaphore(CONCURRENCY.get(self.db.engine.dialect.name, 8))
        self.watch = Watch()

    async def process_batch(self, updates: Sequence[Update]) -> None:
        """A getUpdates batch: each person's updates in order, people side by side.

        Raises only when the database cannot even be asked which updates were handled: the caller must then fetch
        the batch again.
        """
        async with self.db.sessions() as session:
            handled = await inbound.handled_among(session, CHANNEL, [u.update_id for u in updates])
            albums_first = await inbound.albums_waiting_for(session, CHANNEL, {person_key(u) for u in updates})
        by_person: dict[str, list[Update]] = {}
        for update in updates:
            key = str(update.update_id)
            if key in handled:
                log.info("telegram update %s already handled", update.update_id)
                continue
            handled.add(key)  # the same id twice in one batch is still one update
            by_person.setdefault(person_key(update), []).append(update)

        async def one_person(queue: list[Update]) -> None:
            for update in queue:
                await self._guarded(update, albums_first)

        await asyncio.gather(*(one_person(queue) for queue in by_person.values()))

    async def process(self, update: Update) -> bool:
        """Handle one update (the webhook); False when it was handled already.

        Raises only when the database cannot be asked (the webhook then answers 503 and Telegram delivers the
        update again). Any failure after that is logged and never escapes.
        """
        async with self.db.sessions() as session:
            if await inbound.handled_among(session, CHANNEL, [update.update_id]):
                log.info("telegram update %s already handled", update.update_id)
                return False
        return await self._guarded(update, None)

    async def _guarded(self, update: Update, albums_first: set[str] | None) -> bool:
        """`albums_first`: people with an album still gathering, shared along a batch. Their next message is
        handled after the album (sent before it), not ahead of it while the album waits for its quiet time."""
        try:
            # The person's lock first: a burst from one person (a 10-photo album by webhook) waits in line without
            # holding slots that other people could use.
            async with self.locks.hold(person_key(update)), self.slots:
                return await self._process(update, albums_first)
        except Exception:
            log.exception("telegram update %s failed", update.update_id)
            return True

    async def _process(self, update: Update, albums_first: set[str] | None) -> bool:
        """The update id is claimed in the unit of work that acts on it (by the engine for a message), so a crash
        before that commits leaves the redelivered update to be handled, and a redelivery after it is dropped."""
        if albums_first is None:
            # One update (the webhook): asked under the person's lock, so their album's photos, whose requests
            # may still be waiting for that lock, are not overtaken.
            async with self.db.sessions() as session:
                albums_first = await inbound.albums_waiting_for(session, CHANNEL, [person_key(update)])
        incoming = convert.to_incoming(update)
        group = convert.album_id(update)
        if incoming is None or group is not None:
            async with self.db.unit_of_work() as session:
                if not await inbound.claim_update(session, CHANNEL, update.update_id):
                    log.info("telegram update %s already handled", update.update_id)
                    return False
                if incoming is not None:  # a photo of an album: kept until its siblings are in
                    await inbound.add_album_item(
                        session, CHANNEL, group, incoming.user_id, album_item(update, incoming)
                    )
                elif blocked_by(update):
                    chat = str(update.my_chat_member.chat.id)
                    await people.mark_unreachable(session, CHANNEL, chat, "blocked the bot")
            if group is not None:
                albums_first.add(incoming.user_id)
        if update.callback_query is not None:
            await self._answer_callback(update.callback_query.id)
        if incoming is not None and group is None:
            if incoming.user_id in albums_first:
                albums_first.discard(incoming.user_id)
                await self._handle_albums_of(incoming.user_id)
            await self._handle(incoming)
        return True

    async def _answer_callback(self, query_id: str) -> None:
        # Always answered, so the button stops spinning, even for an old button; the engine explains old ones.
        try:
            await self.bot.answer_callback_query(query_id, request_timeout=QUICK_TIMEOUT)
        except TelegramAPIError as error:
            log.info("answerCallbackQuery %s failed: %s", query_id, error)

    async def _handle(self, incoming: Incoming) -> None:
        fitting = tuple(item for item in incoming.media if not item_too_large(item))
        if incoming.kind == Kind.MEDIA and not fitting:
            replies = await self._too_large(incoming)
        elif incoming.kind == Kind.MEDIA and too_large(incoming):
            # Part of an album is over the limit: the rest goes on, and the person hears which ones did not. The
            # notice is made first: nothing may fail between the conversation's commit and its answer going out.
            notice = await self._some_too_large(incoming)
            replies = await self.engine.handle(replace(incoming, media=fitting), self.fetch)
            if replies:
                replies = [notice, *replies]
        else:
            replies = await self.engine.handle(incoming, self.fetch)
        if replies:  # none: a redelivery already answered
            result = await self.send(incoming.user_id, replies)
            if result.ok:  # else Telegram is away or the chat gone: the next message syncs it
                await self.menus.sync(incoming)

    async def _too_large(self, incoming: Incoming) -> list[Reply]:
        # getFile cannot download it: say so here, store nothing, and leave the conversation as it was.
        async with self.db.unit_of_work() as session:
            if not await claimed(session, incoming):
                return []
            locale = await self._locale(session, incoming.user_id)
        with use_locale(locale):
            return [file_too_large(MAX_DOWNLOAD_MB)]

    async def _some_too_large(self, incoming: Incoming) -> Reply:
        refused = [(n, item.file_name) for n, item in enumerate(incoming.media, 1) if item_too_large(item)]
        async with self.db.sessions() as session:
            locale = await self._locale(session, incoming.user_id)
        with use_locale(locale):
            return some_files_too_large(refused, MAX_DOWNLOAD_MB)

    async def send(self, user_id: str, replies: list[Reply]) -> SendResult:
        return await direct_send(self.sender, user_id, replies, self.db, self.watch)

    @staticmethod
    async def _locale(session: AsyncSession, user_id: str) -> str | None:
        person = await people.identity_person(session, CHANNEL, user_id)
        if person is not None:
            return person.locale
        state = await session.get(ConversationState, {"channel": CHANNEL, "user_id": user_id})
        return state.locale if state is not None else None

    # ---- albums ---------------------------------------------------------------------------------------------
    async def flush_albums(self) -> int:
        """Hand every album that has been quiet long enough to the engine as one message; returns how many."""
        async with self.db.unit_of_work() as session:
            groups = await inbound.quiet_albums(session, CHANNEL, utcnow() - self.album_quiet)
        flushed = 0
        for group in groups:
            try:
                flushed += await self._handle_album(group, lock=True)
            except Exception:
                log.exception("telegram album %s failed", group)
        return flushed

    async def _handle_albums_of(self, user_id: str) -> None:
        """This person's albums still gathering, now (the caller holds their lock): a message came after them."""
        async with self.db.sessions() as session:
            groups = await inbound.waiting_albums_of(session, CHANNEL, user_id)
        for group in groups:
            try:
                await self._handle_album(group, lock=False)
            except Exception:  # the message that came after it is still handled
                log.exception("telegram album %s failed", group)

    async def _handle_album(self, group: str, *, lock: bool) -> int:
        """1 when the album was handled here; 0 when nothing was waiting (another worker had it)."""
        async with self.db.sessions() as session:
            items = await inbound.waiting_album(session, CHANNEL, group)
        if not items:
            return 0
        # The items are claimed with the work, in the engine's unit of work: a crash midway leaves them waiting.
        incoming = replace(album_incoming([item.item for item in items]), album_items=tuple(i.id for i in items))
        try:
            if lock:
                async with self.locks.hold(incoming.user_id), self.slots:
                    await self._handle(incoming)
            else:
                await self._handle(incoming)
        except Exception:
            # A broken album would be taken up again every half second: set it aside, once. A cancellation (a stop)
            # is not caught here, so an album cut off by it waits for the next start.
            async with self.db.unit_of_work() as session:
                await inbound.claim_album_items(session, CHANNEL, incoming.album_items)
            raise
        return 1


def person_key(update: Update) -> str:
    if update.message is not None:
        return str(update.message.chat.id)
    if update.callback_query is not None:
        return str(update.callback_query.from_user.id)
    return f"update:{update.update_id}"


def blocked_by(update: Update) -> bool:
    member = update.my_chat_member
    return member is not None and member.chat.type == "private" and member.new_chat_member.status == "kicked"


def album_item(update: Update, incoming: Incoming) -> dict:
    return {
        "message_id": update.message.message_id,
        "media": asdict(incoming.media[0]),
        "caption": incoming.text,
        "display_name": incoming.display_name,
        "user_id": incoming.user_id,
    }


def album_incoming(items: list[dict]) -> Incoming:
    items = sorted(items, key=lambda item: item["message_id"])  # the order the person chose in the album
    first = items[0]
    caption = next((item["caption"] for item in items if item["caption"]), "")
    return Incoming(
        CHANNEL,
        first["user_id"],
        Kind.MEDIA,
        text=caption,
        media=tuple(MediaItem(**item["media"]) for item in items),
        display_name=first["display_name"],
    )
