"""A stalled Bot API, end to end: people write through the webhook (uvicorn on 127.0.0.1) while the fake Bot API
server accepts every call and answers none; then it comes back, people react to what they see, and the outbox
worker delivers what was handed over. Used by tests/security/test_stalled_server.py and bench/stalled.py.

Counted: how long each webhook request was held; per chat, every message the bot sent more than once (the person's
messages are chosen so that no answer repeats another: "halo" is answered with two messages, "/bahasa" with one);
and per chat, whether the answer to the person's latest message is there in full (else it was lost).
"""

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from bot.bootstrap import App
from bot.channels.telegram.client import make_bot
from bot.channels.telegram.runtime import build_inbound
from bot.channels.telegram.sender import TelegramSender
from bot.channels.telegram.webhook import PATH, SECRET_HEADER, webhook_router
from bot.delivery.worker import ChannelWorker, WorkerConfig
from bot.settings import Settings
from bot.web import create_web_app
from services.db import Database
from services.delivery import PENDING, SENDING
from services.models import InboundUpdate, OutboxMessage
from services.program import Program
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramServer

SECRET = "stall-secret-123"
FIRST_CHAT = 880_000
FIRST, NEXT = "halo", "/bahasa"  # an unknown person's first message, and what they write once they see an answer
# People who see an answer write their next message this long after it arrived.
REACTION = 0.3


@dataclass
class Outcome:
    mode: str
    people: str
    chats: int
    longest_request: float = 0.0
    statuses: list[int] = field(default_factory=list)
    latest: dict[int, str] = field(default_factory=dict)  # chat -> the person's latest message
    answers: dict[str, list[str]] = field(default_factory=dict)  # message -> its answer, from an unstalled chat
    received: dict[int, list[str]] = field(default_factory=dict)
    outbox: Counter = field(default_factory=Counter)
    api_calls: int = 0

    @property
    def duplicates(self) -> int:
        return sum(count - 1 for texts in self.received.values() for count in Counter(texts).values())

    @property
    def lost(self) -> int:
        """Messages of the answer to each person's latest message that never arrived."""
        return sum(
            len(set(self.answers[text]) - set(self.received.get(chat, []))) for chat, text in self.latest.items()
        )


def message(update_id: int, chat: int, text: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": chat, "type": "private", "first_name": "Warga"},
            "from": {"id": chat, "is_bot": False, "first_name": "Warga"},
            "text": text,
        },
    }


@contextlib.asynccontextmanager
async def served(asgi: FastAPI) -> AsyncIterator[str]:
    """The ASGI app under uvicorn on a free port of 127.0.0.1; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(asgi, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    server.install_signal_handlers = lambda: None
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


async def run(
    database_url: str,
    program: Program,
    pepper: bytes,
    tmp_path: Path,
    *,
    mode: str,
    people: str = "carry_on",  # "carry_on": who sees an answer writes again; "silent": nobody writes again
    chats: int = 8,
    stall_seconds: float = 6.0,
    uncertain_wait: timedelta = timedelta(seconds=1),
    worker_during_stall: bool = False,
) -> Outcome:
    outcome = Outcome(mode, people, chats)
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        data_dir=tmp_path / "data",
        media_dir=tmp_path / "media",
        secret_key="stall-secret-key",
        telegram_bot_token=DEFAULT_TOKEN,
    )
    db = Database(database_url)
    async with FakeTelegramServer() as fake:
        settings.telegram_api_url = fake.base_url
        app = App(settings, program, db, pepper)
        web_bot, worker_bot = make_bot(DEFAULT_TOKEN, fake.base_url), make_bot(DEFAULT_TOKEN, fake.base_url)
        inbound = build_inbound(app, web_bot)
        asgi = create_web_app(app, [webhook_router(inbound, SECRET)])
        config = WorkerConfig(poll_interval=0.05, backoff=0.2, uncertain_wait=uncertain_wait)
        worker = ChannelWorker(db, TelegramSender(worker_bot, settings.media_dir), config)
        stop = asyncio.Event()
        delivering: asyncio.Task | None = None
        draining = asyncio.create_task(inbound.run(stop))  # the webhook stores; the drain does the work
        try:
            async with served(asgi) as base, httpx.AsyncClient(base_url=base, timeout=120) as client:
                ids = iter(range(1, 1_000_000))

                async def say(chat: int, text: str) -> None:
                    started = time.monotonic()
                    update = message(next(ids), chat, text)
                    response = await client.post(PATH, json=update, headers={SECRET_HEADER: SECRET})
                    await _until_handled(db, update["update_id"])  # the request and the work behind it
                    outcome.longest_request = max(outcome.longest_request, time.monotonic() - started)
                    outcome.statuses.append(response.status_code)
                    outcome.latest[chat] = text

                control = FIRST_CHAT - 1  # what each message is answered with, when nothing stalls
                for text in (FIRST, NEXT):
                    before = len(fake.sent_messages(control))
                    await say(control, text)
                    outcome.answers[text] = [m["text"] for m in fake.sent_messages(control)[before:]]
                del outcome.latest[control]
                outcome.longest_request, outcome.statuses = 0.0, []
                people_chats = [FIRST_CHAT + i for i in range(chats)]
                if worker_during_stall:
                    delivering = asyncio.create_task(worker.run(stop))
                fake.stall(mode)
                await asyncio.gather(*(say(chat, FIRST) for chat in people_chats))
                await asyncio.sleep(max(0.0, stall_seconds - outcome.longest_request))
                fake.resume()
                await asyncio.sleep(REACTION)  # what the stall was holding is done (or not) now
                if people == "carry_on":
                    seen = [chat for chat in people_chats if fake.sent_messages(chat)]
                    await asyncio.gather(*(say(chat, NEXT) for chat in seen))
                if delivering is None:
                    delivering = asyncio.create_task(worker.run(stop))
                await _until_delivered(db, timeout=uncertain_wait.total_seconds() * 3 + 30)
        finally:
            stop.set()
            await asyncio.wait_for(draining, 30)
            if delivering is not None:
                await asyncio.wait_for(delivering, 30)
            for bot in (web_bot, worker_bot):
                await bot.session.close()
        outcome.received = {chat: [m["text"] for m in fake.sent_messages(chat)] for chat in outcome.latest}
        outcome.api_calls = len(fake.calls)
    async with db.sessions() as session:
        rows = (await session.execute(select(OutboxMessage.status, OutboxMessage.error))).all()
    outcome.outbox = Counter(status if status != "failed" else f"failed: {error}" for status, error in rows)
    await db.dispose()
    return outcome


async def _until_handled(db: Database, update_id: int, timeout: float = 60) -> None:
    """Until the drain has handled this stored update (the time a person waits for the answer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with db.sessions() as session:
            done = await session.scalar(select(InboundUpdate.done_at).where(InboundUpdate.update_id == str(update_id)))
        if done is not None:
            return
        await asyncio.sleep(0.02)


async def _until_delivered(db: Database, timeout: float) -> None:
    """Until the outbox has nothing waiting (or `timeout`: the caller's counts then tell what is missing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with db.sessions() as session:
            waiting = await session.scalar(select(OutboxMessage.id).where(OutboxMessage.status.in_((PENDING, SENDING))))
        if waiting is None:
            return
        await asyncio.sleep(0.1)
