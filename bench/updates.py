"""Telegram throughput and latency, end to end: fake Bot API server → our polling loop → flow → database → reply.

Not a test: run `.venv/bin/python bench/updates.py` (SQLite, the default), or with
`--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres` to run ours on a throwaway PostgreSQL database
made on that server (dropped afterwards). Prints
- updates/s of a bare aiogram echo bot and of ours on the same fake server in the same run, and the ratio;
- p50/p99 latency (update pushed → reply received by the server) of ours at a steady 50 updates/s.
Every update comes from a registered Ketua RT sending /menu (state lock, identity, claim, reply, commands check);
a second workload runs the KK flow (/kk, a number, "ya"), which saves the count with its history every third update.
"""

import argparse
import asyncio
import contextlib
import gc
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiogram import Dispatcher
from aiogram.types import Message
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot import migrate
from bot.bootstrap import App
from bot.channels.telegram.client import make_bot
from bot.channels.telegram.polling import poll
from bot.channels.telegram.runtime import build_processor
from bot.settings import Settings
from handlers.incoming_text import text_incoming
from services import roster, wilayah
from services.db import Database
from services.demo import demo_roster
from services.models import RT, ChannelIdentity, Person, Role
from services.program import load_program
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramServer

FIRST_CHAT = 700_000


def push_all(server: FakeTelegramServer, chats: int, count: int, text: str) -> None:
    for i in range(count):
        server.push_update(server.message_update(FIRST_CHAT + i % chats, text))


class SentCounter:
    """Replies the server accepted so far, counted incrementally (this loop shares the CPU with the bots)."""

    def __init__(self, server: FakeTelegramServer) -> None:
        self.server = server
        self.index = 0
        self.count = 0

    def __call__(self) -> int:
        calls = self.server.calls
        for call in calls[self.index :]:
            if call.method == "sendMessage" and call.error_code is None:
                self.count += 1
        self.index = len(calls)
        return self.count


async def wait_sent(sent: SentCounter, target: int, timeout: float = 300.0) -> None:
    deadline = time.perf_counter() + timeout
    while sent() < target:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"only {sent()} of {target} replies")
        await asyncio.sleep(0.005)


async def echo_rate(chats: int, count: int) -> float:
    """A fresh aiogram echo bot on a fresh fake server: updates/s for `count` /menu messages."""
    async with FakeTelegramServer(max_poll_timeout=1.0) as server:
        return await _echo_rate(server, chats, count)


async def _echo_rate(server: FakeTelegramServer, chats: int, count: int) -> float:
    bot = make_bot(DEFAULT_TOKEN, server.base_url)
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "?")

    push_all(server, chats, count, "/menu")
    start = time.perf_counter()
    polling = asyncio.create_task(dp.start_polling(bot, polling_timeout=1, handle_signals=False))
    await wait_sent(SentCounter(server), count)
    elapsed = time.perf_counter() - start
    await dp.stop_polling()
    with contextlib.suppress(asyncio.CancelledError):
        await polling
    await bot.session.close()
    return count / elapsed


@contextlib.asynccontextmanager
async def database_url(folder: Path, postgres_admin_url: str | None) -> AsyncIterator[str]:
    """A new empty database: a file in `folder`, or a database of its own on the PostgreSQL server."""
    if postgres_admin_url is None:
        yield f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        return
    name = f"kb_bench_{os.getpid()}"
    admin = create_async_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f"CREATE DATABASE {name}"))
        yield postgres_admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        await admin.dispose()


async def prepare_database(url: str, folder: Path, chats: int) -> App:
    await asyncio.to_thread(migrate.upgrade, url)
    db = Database(url)
    program = load_program()
    async with db.unit_of_work() as session:
        await wilayah.ensure_wilayah(session)
        rows = roster.validate_rows(demo_roster(rts=chats), await roster.known_kelurahan(session), program)
        await roster.import_rows(session, rows, actor="bench")
        rts = list(await session.scalars(select(RT).order_by(RT.id)))
        for i, rt in enumerate(rts[:chats]):
            person = Person(nama=f"Ketua {i}", role=Role.KETUA_RT, rt_id=rt.id)
            session.add(person)
            await session.flush()
            session.add(ChannelIdentity(person_id=person.id, channel="telegram", external_id=str(FIRST_CHAT + i)))
    settings = Settings(
        _env_file=None, database_url=url, data_dir=folder, media_dir=folder / "media", secret_key="bench"
    )
    return App(settings=settings, program=program, db=db, pepper=b"bench")


class Ours:
    """Our bot polling one fake server for the whole run (update ids keep counting up, as Telegram's do)."""

    def __init__(self, server: FakeTelegramServer, app: App, chats: int) -> None:
        self.server = server
        self.app = app
        self.chats = chats
        self.sent = SentCounter(server)
        self.kk_rounds: dict[int, int] = defaultdict(int)

    async def __aenter__(self) -> "Ours":
        self.bot = make_bot(DEFAULT_TOKEN, self.server.base_url)
        self.stop = asyncio.Event()
        self.loop = asyncio.create_task(poll(self.bot, build_processor(self.app, self.bot), self.stop, timeout=1))
        # Warm up: every person once (their command list is set on first contact), not timed.
        await self.burst(self.chats)
        await asyncio.sleep(0.5)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        self.loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.loop
        await self.bot.session.close()

    async def burst(self, count: int) -> float:
        """Push `count` /menu messages at once; updates/s until every reply reached the server."""
        target = self.sent() + count
        start = time.perf_counter()
        push_all(self.server, self.chats, count, "/menu")
        await wait_sent(self.sent, target)
        return count / (time.perf_counter() - start)

    async def kk_burst(self, count: int) -> float:
        """The KK flow, a write each third update: `/kk`, a new number, `ya`, by one person after another.
        Each of the three gets one reply; updates/s until every reply reached the server."""
        triples = count // 3
        target = self.sent() + 3 * triples
        start = time.perf_counter()
        for i in range(triples):
            chat = FIRST_CHAT + i % self.chats
            self.kk_rounds[chat] += 1
            number = 60 + self.kk_rounds[chat] % 39  # a different count each time (60–98: the same tier)
            for step in ("/kk", str(number), "ya"):
                self.server.push_update(self.server.message_update(chat, step))
        await wait_sent(self.sent, target)
        return 3 * triples / (time.perf_counter() - start)


async def engine_only_rate(app: App, chats: int, count: int) -> float:
    """The conversation core alone, one update after another, no Telegram at all: the ceiling for ours."""
    engine = build_processor(app, None).engine  # type: ignore[arg-type]
    start = time.perf_counter()
    for i in range(count):
        await engine.handle(text_incoming("telegram", str(FIRST_CHAT + i % chats), "/menu"), None)  # type: ignore[arg-type]
    return count / (time.perf_counter() - start)


async def steady_latency(server: FakeTelegramServer, chats: int, per_second: float, seconds: float) -> list[float]:
    """Push at a steady rate, one person at a time in turn; latency = push → that person's next reply."""
    pushed: dict[int, deque[float]] = defaultdict(deque)
    first_call = len(server.calls)
    total = int(per_second * seconds)
    start = time.monotonic()
    for i in range(total):
        chat = FIRST_CHAT + i % chats
        await asyncio.sleep(max(0.0, start + i / per_second - time.monotonic()))
        pushed[chat].append(time.monotonic())
        server.push_update(server.message_update(chat, "/menu"))
    await asyncio.sleep(1.0)
    latencies = []
    for call in server.calls[first_call:]:
        chat = call.params.get("chat_id")
        if call.method == "sendMessage" and pushed.get(chat):
            latencies.append((call.timestamp - pushed[chat].popleft()) * 1000)
    if len(latencies) != total:
        print(f"warning: {len(latencies)} replies matched of {total} pushed", file=sys.stderr)
    return latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Measured:
    echo_rates: list[float] = field(default_factory=list)
    our_rates: list[float] = field(default_factory=list)
    kk_rates: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    core: float = 0.0


async def measure(app: App, chats: int, count: int, rounds: int) -> Measured:
    measured = Measured()
    async with FakeTelegramServer(max_poll_timeout=1.0) as server, Ours(server, app, chats) as ours:
        # Rounds alternate, so a noisy neighbour on the machine weighs on both bots alike; medians are reported.
        for _ in range(rounds):
            measured.echo_rates.append(await echo_rate(chats, count))
            measured.our_rates.append(await ours.burst(count))
            measured.kk_rates.append(await ours.kk_burst(count))
        # The fake server's call log (tens of thousands of records by now) lives in this process and makes each
        # full garbage collection take tens of milliseconds, a pause a real bot does not have: set it aside.
        gc.collect()
        gc.freeze()
        measured.latencies = await steady_latency(server, chats, per_second=50, seconds=10)
        gc.unfreeze()
    measured.core = await engine_only_rate(app, chats, count)
    return measured


async def main(chats: int, count: int, rounds: int, postgres_admin_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with database_url(Path(folder), postgres_admin_url) as url:
            app = await prepare_database(url, Path(folder), chats)
            try:
                measured = await measure(app, chats, count, rounds)
            finally:
                await app.db.dispose()
    kind = "PostgreSQL" if postgres_admin_url else "SQLite"
    echo, mine = statistics.median(measured.echo_rates), statistics.median(measured.our_rates)
    latencies = measured.latencies
    print(f"echo bot (aiogram Dispatcher): {echo:8.1f} updates/s  (rounds: {_rates(measured.echo_rates)})")
    print(f"{f'kampung bahagia ({kind}):':<30s} {mine:8.1f} updates/s  (rounds: {_rates(measured.our_rates)})")
    print(f"engine alone, sequential:      {measured.core:8.1f} updates/s  (no Telegram, same {kind} database)")
    print(f"ratio of medians:              {mine / echo:8.2f}x  (target >= 0.5x)")
    kk = statistics.median(measured.kk_rates)
    print(f"kampung bahagia, KK flow:      {kk:8.1f} updates/s  (rounds: {_rates(measured.kk_rates)})")
    print(f"  /kk, number, ya: a write in every third update; ratio to the echo bot {kk / echo:.2f}x")
    print(
        f"latency at 50 updates/s:       p50 {statistics.median(latencies):.1f} ms, "
        f"p99 {percentile(latencies, 99):.1f} ms over {len(latencies)} updates  (target p99 < 50 ms)"
    )


def _rates(values: list[float]) -> str:
    return ", ".join(f"{value:.0f}" for value in values)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=200, help="registered people sending updates")
    parser.add_argument("--updates", type=int, default=2000, help="updates for each throughput run")
    parser.add_argument("--rounds", type=int, default=5, help="throughput runs of each bot, alternating")
    parser.add_argument(
        "--postgres", metavar="ADMIN_URL", help="run ours on PostgreSQL: a server URL allowed to create databases"
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.chats, arguments.updates, arguments.rounds, arguments.postgres))
