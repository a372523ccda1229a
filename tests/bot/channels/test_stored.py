"""Webhook updates stored and drained (bot/channels/stored.py): in order per person across drains, each handled
once, and taken up again after a drain died holding them. The real core and engine against a real database, with
the plain test channel of test_inbound.py."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bootstrap import App
from bot.channels.inbound import InboundProcessor
from bot.channels.stored import StoredInbound
from bot.settings import Settings
from services import inbound_queue
from services.db import Database
from services.inbound_queue import MAX_ATTEMPTS, Received
from services.models import InboundUpdate, ProcessedUpdate
from services.program import Program
from tests.bot.channels.test_inbound import CHANNEL, PlainAdapter


@pytest.fixture
async def app(database_url: str, program: Program, pepper: bytes, tmp_path: Path) -> AsyncIterator[App]:
    settings = Settings(
        _env_file=None, database_url=database_url, data_dir=tmp_path / "data", media_dir=tmp_path / "media"
    )
    db = Database(database_url)
    yield App(settings, program, db, pepper)
    await db.dispose()


def drain(app: App, name: str, adapter: PlainAdapter | None = None, lease: float = 30) -> StoredInbound:
    processor = InboundProcessor(adapter or PlainAdapter(), app.engine())
    return StoredInbound(processor, decode=lambda raw: raw, name=name, lease=timedelta(seconds=lease), poll=0.05)


def text(update_id: str, person: str, words: str = "/bantuan") -> Received:
    return Received(update_id, person, {"id": update_id, "from": person, "text": words})


async def test_two_drains_handle_every_update_once_each_persons_in_order(app: App) -> None:
    adapter = PlainAdapter()
    first, second = drain(app, "one", adapter), drain(app, "two", adapter)
    people = [f"6281{n}" for n in range(5)]
    updates = [text(f"{person}-{k}", person) for k in range(4) for person in people]
    stop = asyncio.Event()
    running = [asyncio.create_task(d.run(stop)) for d in (first, second)]
    for update in updates:  # as webhook requests would, to either process
        await (first if hash(update.update_id) % 2 else second).accept([update, update])  # and Meta's redelivery
    async with asyncio.timeout(30):
        while len(adapter.answered_to) < len(updates):
            await asyncio.sleep(0.05)
    stop.set()
    await asyncio.gather(*running)

    for person in people:
        handled = [i.update_id for i in adapter.answered_to if i.user_id == person]
        assert handled == [f"{person}-{k}" for k in range(4)]  # each once, in the order they arrived
    async with app.db.sessions() as session:
        assert await inbound_queue.waiting(session, CHANNEL) == 0
        assert len((await session.scalars(select(ProcessedUpdate))).all()) == len(updates)


async def test_what_a_dead_drain_held_is_handled_after_its_lease(app: App) -> None:
    dead = drain(app, "dead", lease=0.5)
    await dead.accept([text("m1", "62811"), text("m2", "62811")])
    async with app.db.unit_of_work() as session:  # it claimed m1, then the process was killed
        [held] = await inbound_queue.claim(session, CHANNEL, worker="dead", lease=timedelta(seconds=0.5), limit=5)
    assert held.update_id == "m1"

    adapter = PlainAdapter()
    alive = drain(app, "alive", adapter, lease=0.5)
    assert await alive.drain_once() == 0  # m1 is held, m2 waits behind it
    await asyncio.sleep(0.6)
    assert await alive.drain_once() == 2
    assert [i.update_id for i in adapter.answered_to] == ["m1", "m2"]


async def test_an_update_that_keeps_killing_its_drain_is_set_aside(app: App, caplog) -> None:
    adapter = PlainAdapter()
    stored = drain(app, "x", adapter)
    await stored.accept([text("poison", "62811"), text("next", "62811")])
    async with app.db.unit_of_work() as session:
        row = await session.scalar(select(InboundUpdate).where(InboundUpdate.update_id == "poison"))
        row.attempts = MAX_ATTEMPTS  # taken up and crashed that often already
    assert await stored.drain_once() == 2
    assert [i.update_id for i in adapter.answered_to] == ["next"]
    assert "set aside" in caplog.text


async def test_a_stored_update_that_no_longer_reads_does_not_block_the_line(app: App) -> None:
    adapter = PlainAdapter()
    stored = drain(app, "x", adapter)
    await stored.accept([Received("bad", "62811", {"id": "bad"}), text("good", "62811")])  # no "from", no "text"
    assert await stored.drain_once() == 2
    assert [i.update_id for i in adapter.answered_to] == ["good"]
