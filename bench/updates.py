"""Telegram throughput and latency, end to end: fake Bot API server → our polling loop → flow → database → reply.

Not a test: run `.venv/bin/python bench/updates.py` (SQLite, the default), or with
`--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres` to run ours on a throwaway PostgreSQL database
made on that server (dropped afterwards). Prints
- updates/s of a bare aiogram echo bot and of ours on the same fake server in the same run, and the ratio;
- p50/p99 latency (update pushed → reply received by the server) of ours at a steady 50 updates/s.
`--channel whatsapp`: signed webhook POSTs to the real web process instead (bench/whatsapp_webhook.py says what).
Every update comes from a registered Ketua RT sending /menu (state lock, identity, claim, reply, commands check);
a second workload runs the KK flow (/kk, a number, "ya"), which saves the count with its history every third update.
"""

import argparse
import asyncio
import contextlib
import gc
import statistics
import sys
import tempfile
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiogram import Dispatcher
from aiogram.types import Message

from bench.common import SentCounter, database_url, percentile, prepare_database, wait_sent
from bot.bootstrap import App
from bot.channels.telegram.client import make_bot
from bot.channels.telegram.polling import poll
from bot.channels.telegram.runtime import build_processor
from handlers.incoming_text import text_incoming
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramServer

FIRST_CHAT = 700_000


def is_reply(call) -> bool:
    return call.method == "sendMessage" and call.error_code is None


def push_all(server: FakeTelegramServer, chats: int, count: int, text: str) -> None:
    for i in range(count):
        server.push_update(server.message_update(FIRST_CHAT + i % chats, text))


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
    await wait_sent(SentCounter(server, is_reply), count)
    elapsed = time.perf_counter() - start
    await dp.stop_polling()
    with contextlib.suppress(asyncio.CancelledError):
        await polling
    await bot.session.close()
    return count / elapsed


class Ours:
    """Our bot polling one fake server for the whole run (update ids keep counting up, as Telegram's do)."""

    def __init__(self, server: FakeTelegramServer, app: App, chats: int) -> None:
        self.server = server
        self.app = app
        self.chats = chats
        self.sent = SentCounter(server, is_reply)
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
            ids = [str(FIRST_CHAT + i) for i in range(chats)]
            app = await prepare_database(url, Path(folder), "telegram", ids)
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


def whatsapp(arguments: argparse.Namespace) -> None:
    from bench import whatsapp_webhook  # the WhatsApp benchmark lives in its own module

    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(
            whatsapp_webhook.main(
                Path(folder),
                arguments.postgres,
                chats=arguments.chats,
                rate=arguments.rate,
                seconds=arguments.seconds,
                count=arguments.updates,
                concurrency=arguments.concurrency,
            )
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--channel",
        choices=("telegram", "whatsapp"),
        default="telegram",
        help="telegram: polling against the echo bot (below); whatsapp: bench/whatsapp_webhook.py",
    )
    parser.add_argument("--chats", type=int, default=200, help="registered people sending updates")
    parser.add_argument(
        "--updates", type=int, default=2000, help="updates for each throughput run (WhatsApp: the burst)"
    )
    parser.add_argument("--rounds", type=int, default=5, help="throughput runs of each bot, alternating")
    parser.add_argument(
        "--postgres", metavar="ADMIN_URL", help="run ours on PostgreSQL: a server URL allowed to create databases"
    )
    parser.add_argument("--rate", type=float, default=100.0, help="WhatsApp: webhook POSTs per second, steady phase")
    parser.add_argument("--seconds", type=float, default=15.0, help="WhatsApp: how long the steady phase lasts")
    parser.add_argument("--concurrency", type=int, default=32, help="WhatsApp: connections the burst uses at once")
    arguments = parser.parse_args()
    if arguments.channel == "whatsapp":
        whatsapp(arguments)
    else:
        asyncio.run(main(arguments.chats, arguments.updates, arguments.rounds, arguments.postgres))
