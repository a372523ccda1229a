"""What the benchmarks of bench/updates.py share, whatever the channel: a throwaway database (SQLite file or a
database of its own on a PostgreSQL server) with the demo roster and registered Ketua RT, counting the replies a
fake platform server accepted, and percentiles."""

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot import migrate
from bot.bootstrap import App
from bot.settings import Settings
from services import roster, wilayah
from services.db import Database
from services.demo import demo_roster
from services.models import RT, ChannelIdentity, Person, Role
from services.program import load_program


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


async def prepare_database(url: str, folder: Path, channel: str, external_ids: Sequence[str]) -> App:
    """Migrated, the demo roster for as many RTs as there are ids, and the Ketua RT of each RT registered on
    `channel` under one of the ids (in order)."""
    await asyncio.to_thread(migrate.upgrade, url)
    db = Database(url)
    program = load_program()
    chats = len(external_ids)
    async with db.unit_of_work() as session:
        await wilayah.ensure_wilayah(session)
        rows = roster.validate_rows(demo_roster(rts=chats), await roster.known_kelurahan(session), program)
        await roster.import_rows(session, rows, actor="bench")
        rts = list(await session.scalars(select(RT).order_by(RT.id)))
        for i, (rt, external_id) in enumerate(zip(rts[:chats], external_ids, strict=True)):
            person = Person(nama=f"Ketua {i}", role=Role.KETUA_RT, rt_id=rt.id)
            session.add(person)
            await session.flush()
            session.add(ChannelIdentity(person_id=person.id, channel=channel, external_id=external_id))
    settings = Settings(
        _env_file=None, database_url=url, data_dir=folder, media_dir=folder / "media", secret_key="bench"
    )
    return App(settings=settings, program=program, db=db, pepper=b"bench")


class SentCounter:
    """Replies a fake server accepted so far, counted incrementally over its call log (`calls`: records with
    `method`, `params`, `error_code`); `is_reply` tells a reply from other calls. Incremental because the loop
    counting may share the CPU with the bot."""

    def __init__(self, server: Any, is_reply: Callable[[Any], bool]) -> None:
        self.server = server
        self.is_reply = is_reply
        self.index = 0
        self.count = 0

    def __call__(self) -> int:
        calls = self.server.calls
        self.count += sum(1 for call in calls[self.index :] if self.is_reply(call))
        self.index = len(calls)
        return self.count


async def wait_sent(sent: SentCounter, target: int, timeout: float = 300.0) -> None:
    deadline = time.perf_counter() + timeout
    while sent() < target:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"only {sent()} of {target} replies")
        await asyncio.sleep(0.005)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
