"""Telegram throughput and latency, end to end: fake Bot API server → our polling loop → flow → SQLite → reply.

Not a test: run `.venv/bin/python bench/updates.py`. Prints
- updates/s of a bare aiogram echo bot and of ours on the same fake server in the same run, and the ratio;
- p50/p99 latency (update pushed → reply received by the server) of ours at a steady 50 updates/s.
Every update comes from a registered Ketua RT sending /menu (state lock, identity, claim, reply, commands check).
"""

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections import defaultdict, deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiogram import Dispatcher
from aiogram.types import Message
from sqlalchemy import select

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


def sent_count(server: FakeTelegramServer) -> int:
    # Cheaper than server.sent_messages(): this loop shares the CPU with the bots being measured.
    return server.count_sent if hasattr(server, "count_sent") else _count(server)


_seen: dict[int, tuple[int, int]] = {}


def _count(server: FakeTelegramServer) -> int:
    index, count = _seen.get(id(server), (0, 0))
    calls = server.calls
    for call in calls[index:]:
        if call.method == "sendMessage" and call.error_code is None:
            count += 1
    _seen[id(server)] = (len(calls), count)
    return count


async def wait_sent(server: FakeTelegramServer, target: int, timeout: float = 300.0) -> None:
    deadline = time.perf_counter() + timeout
    while sent_count(server) < target:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"only {sent_count(server)} of {target} replies")
        await asyncio.sleep(0.005)


async def echo_rate(server: FakeTelegramServer, chats: int, count: int) -> float:
    bot = make_bot(DEFAULT_TOKEN, server.base_url)
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "?")

    push_all(server, chats, count, "/menu")
    start = time.perf_counter()
    polling = asyncio.create_task(dp.start_polling(bot, polling_timeout=1, handle_signals=False))
    await wait_sent(server, count)
    elapsed = time.perf_counter() - start
    await dp.stop_polling()
    with contextlib.suppress(asyncio.CancelledError):
        await polling
    await bot.session.close()
    return count / elapsed


async def prepare_database(folder: Path, chats: int) -> App:
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
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


async def ours_rate(server: FakeTelegramServer, app: App, chats: int, count: int) -> tuple[float, list[float]]:
    bot = make_bot(DEFAULT_TOKEN, server.base_url)
    processor = build_processor(app, bot)
    stop = asyncio.Event()
    loop = asyncio.create_task(poll(bot, processor, stop, timeout=1))
    try:
        # Warm up: every person once (their command list is set on first contact), not timed.
        sent = sent_count(server)
        push_all(server, chats, chats, "/menu")
        await wait_sent(server, sent + chats)
        await asyncio.sleep(0.5)

        sent = sent_count(server)
        start = time.perf_counter()
        push_all(server, chats, count, "/menu")
        await wait_sent(server, sent + count)
        rate = count / (time.perf_counter() - start)

        latencies = await steady_latency(server, chats, per_second=50, seconds=10)
    finally:
        stop.set()
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop
        await bot.session.close()
    return rate, latencies


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


async def main(chats: int, count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = await prepare_database(Path(folder), chats)
        async with FakeTelegramServer(max_poll_timeout=1.0) as server:
            echo = await echo_rate(server, chats, count)
        async with FakeTelegramServer(max_poll_timeout=1.0) as server:
            ours, latencies = await ours_rate(server, app, chats, count)
        core = await engine_only_rate(app, chats, count)
        await app.db.dispose()
    print(f"echo bot (aiogram Dispatcher): {echo:8.1f} updates/s")
    print(f"kampung bahagia (SQLite):      {ours:8.1f} updates/s")
    print(f"engine alone, sequential:      {core:8.1f} updates/s  (no Telegram, same SQLite file)")
    print(f"ratio:                         {ours / echo:8.2f}x  (target >= 0.5x)")
    print(
        f"latency at 50 updates/s:       p50 {statistics.median(latencies):.1f} ms, "
        f"p99 {percentile(latencies, 99):.1f} ms over {len(latencies)} updates  (target p99 < 50 ms)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=200, help="registered people sending updates")
    parser.add_argument("--updates", type=int, default=2000, help="updates for the throughput runs")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.chats, arguments.updates))
