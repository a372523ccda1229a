"""A fake Bot API server on 127.0.0.1, a real aiogram `Bot` pointed at it, and the whole Telegram channel
(polling loop, album flusher, engine with every flow) running in-process against a real database."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from aiogram import Bot
from sqlalchemy import select

from bot.bootstrap import App
from bot.channels.telegram.client import make_bot
from bot.channels.telegram.polling import poll
from bot.channels.telegram.processor import TelegramProcessor
from bot.channels.telegram.runtime import album_flusher, build_processor
from bot.settings import Settings
from services import invitations
from services.db import Database
from services.models import RT, Person, Role
from services.program import Program
from tests.fakes.telegram_api import DEFAULT_TOKEN, Call, FakeTelegramServer
from tests.handlers.conftest import load_roster


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer(max_poll_timeout=0.2) as srv:
        yield srv


@pytest.fixture
async def bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    bot = make_bot(DEFAULT_TOKEN, server.base_url)
    yield bot
    await bot.session.close()


def settings_for(database_url: str, tmp_path: Path, server: FakeTelegramServer, **extra) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        data_dir=tmp_path / "data",
        media_dir=tmp_path / "media",
        secret_key="test-secret",
        telegram_bot_token=DEFAULT_TOKEN,
        telegram_api_url=server.base_url,
        **extra,
    )


@dataclass
class Telegram:
    """The running channel, and helpers to talk to it as people in their Telegram chats."""

    server: FakeTelegramServer
    app: App
    bot: Bot | None = None  # None when the channel runs in another process
    processor: TelegramProcessor | None = None
    tasks: list[asyncio.Task] = field(default_factory=list)

    def start_polling(self) -> None:
        """The channel's loops as `kampung-bahagia run` starts them, with a fresh processor (no memory carried)."""
        self.processor = build_processor(self.app, self.bot)
        self.processor.album_quiet = timedelta(seconds=0.3)
        stop = asyncio.Event()  # never set: stopping is cancelling, whatever the loops are doing
        self.tasks = [
            asyncio.create_task(poll(self.bot, self.processor, stop, timeout=1)),
            asyncio.create_task(album_flusher(self.processor, stop, every=0.1)),
        ]

    async def kill_polling(self) -> None:
        """Cancel the loops wherever they are, as a crash would cut off the work in flight."""
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks = []

    async def invite(
        self, role: Role, rt_kode: str | None = None, rts: list[str] | None = None, person: Person | None = None
    ) -> str:
        async with self.app.db.unit_of_work() as session:
            rt = await session.scalar(select(RT).where(RT.kode == rt_kode)) if rt_kode else None
            rt_rows = list(await session.scalars(select(RT).where(RT.kode.in_(rts or []))))
            issued = await invitations.create_invitation(
                session, self.app.pepper, role=role, created_by="test", rt=rt, rts=rt_rows, person=person
            )
            return issued.code

    def mark(self) -> int:
        return len(self.server.calls)

    async def push(self, update: dict, *, settle: float = 5.0) -> list[dict]:
        """Push an update and return what the bot sent to that chat because of it (after it went quiet)."""
        chat = chat_of(update)
        before = len(self.server.sent_messages(chat))
        self.server.push_update(update)
        await self.handled(update["update_id"], settle)  # replies are sent before the next getUpdates
        await self.settle(settle, quiet=0.05)
        return self.server.sent_messages(chat)[before:]

    async def say(self, chat: int, text: str) -> list[dict]:
        return await self.push(self.server.message_update(chat, text))

    async def press(self, chat: int, label_fragment: str) -> list[dict]:
        """Press the button whose label contains the fragment, on the bot's latest message with a keyboard."""
        return await self.push(self.button_press(chat, label_fragment))

    def button_press(self, chat: int, label_fragment: str) -> dict:
        """The update Telegram sends when that button is pressed (not pushed yet)."""
        for message in reversed(self.server.chat_log(chat)):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if label_fragment.lower() in button["text"].lower():
                        return self.server.callback_update(chat, button["callback_data"], message["message_id"])
        raise AssertionError(f"no button with {label_fragment!r} in chat {chat}")

    async def handled(self, update_id: int, timeout: float = 5.0) -> None:
        """Wait until the polling loop confirmed the update: it asks for the next offset only after handling."""
        await self.server.wait_for(
            lambda c: c.method == "getUpdates" and (c.params.get("offset") or 0) > update_id, timeout
        )

    async def settle(self, timeout: float = 5.0, quiet: float = 0.3) -> None:
        """Wait until the bot has made no API call (other than polling) for `quiet` seconds."""
        deadline = asyncio.get_running_loop().time() + timeout
        seen = -1
        while asyncio.get_running_loop().time() < deadline:
            count = len([c for c in self.server.calls if c.method != "getUpdates"])
            if count == seen:
                return
            seen = count
            await asyncio.sleep(quiet)
        raise TimeoutError("the bot kept calling the API")

    async def wait_for(self, predicate, timeout: float = 5.0) -> Call:
        return await self.server.wait_for(predicate, timeout)


def chat_of(update: dict) -> int:
    if "message" in update:
        return update["message"]["chat"]["id"]
    return update["callback_query"]["message"]["chat"]["id"]


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or m.get("caption") or "" for m in messages)


@pytest.fixture
async def telegram(
    server: FakeTelegramServer, database_url: str, program: Program, pepper: bytes, tmp_path: Path
) -> AsyncIterator[Telegram]:
    settings = settings_for(database_url, tmp_path, server)
    db = Database(database_url)
    await load_roster(db, program)
    app = App(settings=settings, program=program, db=db, pepper=pepper)
    channel = Telegram(server, app, make_bot(DEFAULT_TOKEN, server.base_url))
    channel.start_polling()
    try:
        yield channel
    finally:
        await channel.kill_polling()
        await channel.bot.session.close()
        await db.dispose()
