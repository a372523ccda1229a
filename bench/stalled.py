"""A stalled Bot API: how long webhook requests are held, and how many answers arrive twice (or not at all).

Not a test: run `.venv/bin/python bench/stalled.py` (SQLite in a temporary folder; `--postgres URL` for a throwaway
PostgreSQL database on that server). For each thing a stall may do with the calls it holds — Telegram does them at
once and only the answers are stuck (`at_once`), does them when it comes back (`later`), or drops those whose
client gave up (`drops`) — `--chats` people write through the webhook (uvicorn on 127.0.0.1) while the fake Bot API
server stalls for `--stall` seconds; then it comes back and people react to what they see (`carry_on`: who got an
answer writes again; `silent`: nobody writes again). The delivery worker runs all along, with `--wait` seconds as its
unknown-fate wait (production: 60 s). Prints, per case: the longest webhook request, duplicates, lost answers, and
what became of the outbox rows. See tests/security/stall_scenario.py for how each is counted.
"""

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot import migrate
from services.program import load_program
from tests.fakes.telegram_api import DOES_IT_AT_ONCE, DOES_IT_LATER, DROPS_IT
from tests.security import stall_scenario


@contextlib.asynccontextmanager
async def database(postgres: str | None, folder: Path, name: str) -> AsyncIterator[str]:
    if postgres is None:
        url = f"sqlite+aiosqlite:///{folder / f'{name}.db'}"
        await asyncio.to_thread(migrate.upgrade, url)
        yield url
        return
    admin = create_async_engine(postgres, isolation_level="AUTOCOMMIT")
    db_name = f"kb_bench_stalled_{name}_{int(time.time())}"
    async with admin.connect() as connection:
        await connection.execute(text(f"CREATE DATABASE {db_name}"))
    url = postgres.rsplit("/", 1)[0] + f"/{db_name}"
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        yield url
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"))
        await admin.dispose()


async def main(args: argparse.Namespace) -> None:
    program = load_program()
    cases = [(mode, people) for mode in (DOES_IT_AT_ONCE, DOES_IT_LATER, DROPS_IT) for people in ("carry_on", "silent")]
    print(f"{args.chats} chats, stall {args.stall:.0f} s, unknown-fate wait {args.wait:.0f} s")
    print(f"{'stall does':<10} {'people':<9} {'longest request':>16} {'duplicates':>11} {'lost':>5}  outbox")
    for index, (mode, people) in enumerate(cases):
        with tempfile.TemporaryDirectory() as folder:
            async with database(args.postgres, Path(folder), f"c{index}") as url:
                result = await stall_scenario.run(
                    url,
                    program,
                    b"bench-pepper",
                    Path(folder),
                    mode=mode,
                    people=people,
                    chats=args.chats,
                    stall_seconds=args.stall,
                    uncertain_wait=timedelta(seconds=args.wait),
                    worker_during_stall=True,
                )
        rows = ", ".join(f"{count} {status}" for status, count in result.outbox.most_common())
        print(
            f"{mode:<10} {people:<9} {result.longest_request:>15.1f}s {result.duplicates:>11} {result.lost:>5}  {rows}",
            flush=True,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--stall", type=float, default=20.0, help="seconds the Bot API answers nothing")
    parser.add_argument("--wait", type=float, default=5.0, help="the worker's unknown-fate wait, seconds")
    parser.add_argument("--postgres", default=None, help="admin URL of a PostgreSQL server for a throwaway database")
    asyncio.run(main(parser.parse_args()))
