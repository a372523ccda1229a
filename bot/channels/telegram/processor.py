"""Telegram's side of receiving: an `Update` → `Arrival` for the neutral core (bot/channels/inbound.py), answering
button presses at once, and the command menus after an answer. The same path for long polling and the webhook."""

import logging
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Update

from bot.channels.inbound import ALBUM_QUIET, REPLY_GRACE, Arrival, InboundProcessor
from bot.channels.telegram import incoming as convert
from bot.channels.telegram.client import QUICK_TIMEOUT, SEND_TIMEOUT
from bot.channels.telegram.commands import CommandMenus
from bot.channels.telegram.media import MAX_DOWNLOAD_MB, item_too_large, telegram_fetcher
from bot.channels.telegram.sender import CHANNEL, TelegramSender
from handlers.engine import Engine
from handlers.messages import Incoming, MediaItem
from services.db import Database

log = logging.getLogger(__name__)


class TelegramAdapter:
    """The `InboundAdapter` of Telegram."""

    channel = CHANNEL
    max_download_mb = MAX_DOWNLOAD_MB
    send_timeout = SEND_TIMEOUT

    def __init__(self, bot: Bot, db: Database, sender: TelegramSender) -> None:
        self.bot = bot
        self.sender = sender
        self.fetch = telegram_fetcher(bot)
        self.menus = CommandMenus(bot, db)

    def arrival(self, update: Update) -> Arrival:
        incoming = convert.to_incoming(update)
        group = convert.album_id(update)
        return Arrival(
            id=update.update_id,
            person=person_key(update),
            incoming=incoming,
            album=group,
            position=update.message.message_id if group is not None else 0,
            acknowledge=update.callback_query.id if update.callback_query is not None else None,
            blocked=str(update.my_chat_member.chat.id) if blocked_by(update) else None,
        )

    @staticmethod
    def too_large(item: MediaItem) -> bool:
        return item_too_large(item)

    async def acknowledge(self, query_id: str) -> None:
        # Always answered, so the button stops spinning, even for an old button; the engine explains old ones.
        try:
            await self.bot.answer_callback_query(query_id, request_timeout=QUICK_TIMEOUT)
        except TelegramAPIError as error:
            log.info("answerCallbackQuery %s failed: %s", query_id, error)

    async def answered(self, incoming: Incoming) -> None:
        await self.menus.sync(incoming)

    @staticmethod
    async def prepare(incoming: Incoming) -> Incoming:
        return incoming  # a Telegram button press arrives as one: nothing to read back


class TelegramProcessor(InboundProcessor[Update]):
    """The neutral core with Telegram's adapter: what polling, the webhook and the album flusher share."""

    def __init__(
        self,
        bot: Bot,
        engine: Engine,
        sender: TelegramSender,
        album_quiet: timedelta = ALBUM_QUIET,
        grace: timedelta | None = REPLY_GRACE,
    ):
        super().__init__(TelegramAdapter(bot, engine.db, sender), engine, album_quiet, grace)
        self.bot = bot
        self.sender = sender


def person_key(update: Update) -> str:
    if update.message is not None:
        return str(update.message.chat.id)
    if update.callback_query is not None:
        return str(update.callback_query.from_user.id)
    return f"update:{update.update_id}"


def blocked_by(update: Update) -> bool:
    member = update.my_chat_member
    return member is not None and member.chat.type == "private" and member.new_chat_member.status == "kicked"
