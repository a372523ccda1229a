"""The "/" command list Telegram shows: everyone sees the registration commands, each registered person the
commands of their role in their language (scope = their chat)."""

import logging
from collections import OrderedDict

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.channels.telegram.client import QUICK_TIMEOUT
from handlers.i18n import use_locale
from handlers.menu import role_commands
from handlers.messages import Incoming, Kind
from services.db import Database
from services.people import identity_person

log = logging.getLogger(__name__)
CHANNEL = "telegram"
# Enough to remember every RT chair and pendamping of the city; older entries are simply checked again.
REMEMBERED = 20_000


def bot_commands(role: str | None, locale: str | None) -> list[BotCommand]:
    with use_locale(locale):
        return [BotCommand(command=c, description=d[:256]) for c, d in role_commands(role)]


async def set_default_commands(bot: Bot) -> None:
    await bot.set_my_commands(bot_commands(None, "id"), scope=BotCommandScopeDefault())


class CommandMenus:
    """Sets a person's command list when their role or language changes (registration, /bahasa)."""

    def __init__(self, bot: Bot, db: Database) -> None:
        self.bot = bot
        self.db = db
        self.known: OrderedDict[str, tuple[str, str] | None] = OrderedDict()

    def may_have_changed(self, incoming: Incoming) -> bool:
        # Role and language change only by registering (/start or a code typed by someone unknown) or /bahasa.
        if incoming.user_id not in self.known or self.known[incoming.user_id] is None:
            return True
        if incoming.kind == Kind.COMMAND:
            return incoming.command in ("start", "bahasa")
        return incoming.kind == Kind.CHOICE and (incoming.choice or "").startswith("lang:")

    async def sync(self, incoming: Incoming) -> None:
        if not self.may_have_changed(incoming):
            return
        user_id = incoming.user_id
        async with self.db.sessions() as session:
            person = await identity_person(session, CHANNEL, user_id)
            current = (person.role, person.locale) if person is not None else None
        if current is not None and self.known.get(user_id) != current and user_id.lstrip("-").isdigit():
            try:
                scope = BotCommandScopeChat(chat_id=int(user_id))
                await self.bot.set_my_commands(bot_commands(*current), scope=scope, request_timeout=QUICK_TIMEOUT)
            except TelegramAPIError as error:
                log.warning("could not set commands for %s: %s", user_id, error)
                return
        self.known[user_id] = current
        self.known.move_to_end(user_id)
        while len(self.known) > REMEMBERED:
            self.known.popitem(last=False)
