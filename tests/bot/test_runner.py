"""The one lifecycle of every process (bot/runner.run_parts): parts run until a signal, then get a grace period;
a separate process ends with its one part, `run` carries on without it."""

import asyncio
import os
import signal
from pathlib import Path

import pytest

from bot.bootstrap import App
from bot.runner import run_parts
from bot.settings import Settings
from services.db import Database
from services.program import Program


class Broken(Exception):
    pass


@pytest.fixture
async def app(tmp_path: Path, program: Program, pepper: bytes):
    url = f"sqlite+aiosqlite:///{tmp_path / 'runner.db'}"
    db = Database(url)
    yield App(Settings(_env_file=None, database_url=url, data_dir=tmp_path / "data"), program, db, pepper)
    await db.dispose()


def recorder(events: list[str], name: str):
    async def part(_app: App, stop: asyncio.Event) -> None:
        events.append(f"{name} started")
        await stop.wait()
        events.append(f"{name} stopped")

    return part


async def broken(_app: App, _stop: asyncio.Event) -> None:
    await asyncio.sleep(0.05)
    raise Broken("the delivery part fell over")


async def test_a_separate_process_ends_with_its_part_and_its_error(app: App) -> None:
    events: list[str] = []
    with pytest.raises(Broken):
        await asyncio.wait_for(run_parts(app, [recorder(events, "web"), broken], one_ends_all=True), 5)
    assert events == ["web started", "web stopped"]  # the healthy part was stopped, not abandoned


async def test_run_carries_on_without_a_part_that_ended_until_the_signal(app: App) -> None:
    events: list[str] = []
    serving = asyncio.create_task(run_parts(app, [recorder(events, "web"), broken], one_ends_all=False))
    await asyncio.sleep(0.3)
    assert not serving.done() and events == ["web started"]
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(serving, 5)
    assert events == ["web started", "web stopped"]
