"""Broadcast benchmark: one message to every RT chair through the real delivery worker and TelegramSender, against
the fake Bot API server (in its own process) enforcing the rate limits and answering 429 past them.

    python bench/broadcast.py --recipients 1583 --rate 30

Prints wall time, the floor (recipients / rate), their ratio, and delivered / duplicated / lost as counted by the
server. Exit code 1 when the ratio is above --target (1.08) or anything was duplicated or lost.
"""

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST_CHAT = 700_000


def _serve_fake(rate: float, per_chat: float, conn) -> None:
    """Child process: the fake server; answers "stats" on the pipe with per-chat deliveries and the 429 count."""
    from tests.fakes.telegram_api import FakeTelegramServer

    async def main() -> None:
        server = FakeTelegramServer()
        server.enforce_rate(rate, per_chat)
        await server.start()
        conn.send(server.base_url)
        loop = asyncio.get_running_loop()
        while (await loop.run_in_executor(None, conn.recv)) == "stats":
            conn.send((Counter(m["chat_id"] for m in server.sent_messages()), server.count_429))
        await server.stop()

    asyncio.run(main())


async def _prepare(database_url: str, recipients: int) -> int:
    from sqlalchemy import select

    from bot import migrate
    from services import delivery, roster, wilayah
    from services.db import Database
    from services.demo import demo_roster
    from services.models import RT, ChannelIdentity, Person
    from services.program import load_program

    await asyncio.to_thread(migrate.upgrade, database_url)
    db, program = Database(database_url), load_program()
    try:
        async with db.unit_of_work() as session:
            await wilayah.ensure_wilayah(session)
            rows = roster.validate_rows(demo_roster(recipients), await roster.known_kelurahan(session), program)
            await roster.import_rows(session, rows, actor="bench")
        async with db.unit_of_work() as session:
            rts = list(await session.scalars(select(RT).order_by(RT.id)))
            people = [Person(nama=f"Ketua {rt.kode}", role="ketua_rt", rt_id=rt.id) for rt in rts]
            session.add_all(people)
            await session.flush()
            session.add_all(
                ChannelIdentity(person_id=p.id, channel="telegram", external_id=str(FIRST_CHAT + i))
                for i, p in enumerate(people)
            )
            await session.flush()
            _broadcast, queued = await delivery.queue_broadcast(
                session, text="Bench", recipients=people, payload={"text": "Rapat koordinasi"}, created_by="bench"
            )
        return queued
    finally:
        await db.dispose()


async def _deliver(database_url: str, base_url: str, rate: float, per_chat: float) -> float:
    from sqlalchemy import func, select

    from bot.bootstrap import bootstrap
    from bot.delivery.part import deliver, senders
    from bot.settings import Settings
    from services.models import OutboxMessage

    settings = Settings(
        database_url=database_url,
        telegram_bot_token="123456:TEST-TOKEN",
        telegram_api_url=base_url,
        telegram_rate_per_second=rate,
        telegram_rate_per_chat_per_second=per_chat,
        secret_key="bench",
    )
    app = bootstrap(settings)
    channels = senders(app)  # imports aiogram and opens the Bot: start-up, not delivery
    stop = asyncio.Event()
    started = time.monotonic()
    task = asyncio.create_task(deliver(app, stop, channels))
    try:
        while True:
            await asyncio.sleep(0.02)
            async with app.db.unit_of_work() as session:
                left = await session.scalar(
                    select(func.count()).where(OutboxMessage.status.in_(("pending", "sending")))
                )
            if not left:
                return time.monotonic() - started
    finally:
        stop.set()
        await task
        await app.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1583)
    parser.add_argument("--rate", type=float, default=30.0, help="messages per second, worker and server")
    parser.add_argument("--per-chat-rate", type=float, default=1.0)
    parser.add_argument("--target", type=float, default=1.08, help="highest acceptable wall / floor")
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve_fake, args=(args.rate, args.per_chat_rate, child), daemon=True)
    server.start()
    base_url = parent.recv()
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        queued = asyncio.run(_prepare(database_url, args.recipients))
        wall = asyncio.run(_deliver(database_url, base_url, args.rate, args.per_chat_rate))
    parent.send("stats")
    per_chat, count_429 = parent.recv()
    parent.send("stop")
    server.join(timeout=5)

    expected = {FIRST_CHAT + i for i in range(queued)}
    delivered = sum(1 for chat in expected if per_chat[chat] >= 1)
    duplicated = sum(count - 1 for chat, count in per_chat.items() if count > 1)
    lost = len(expected) - delivered
    floor = queued / args.rate
    ratio = wall / floor
    print(f"recipients {queued}  rate {args.rate:g}/s  per chat {args.per_chat_rate:g}/s  (SQLite)")
    print(f"wall {wall:.2f} s  floor {floor:.2f} s  ratio {ratio:.3f}  (target <= {args.target})")
    print(f"delivered {delivered}  duplicated {duplicated}  lost {lost}  429 answers {count_429}")
    return 0 if ratio <= args.target and duplicated == 0 and lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
