"""Channels come from the registry by short code: only configured ones run, send, and bring their routes."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.bootstrap import App
from bot.channels import registry
from bot.channels.base import Sender
from bot.channels.telegram.sender import TelegramSender
from bot.channels.whatsapp.sender import WhatsAppSender
from bot.settings import Settings
from services.db import Database
from services.program import Program
from tests.bot.channels.telegram.test_runtime import free_port
from tests.fakes.telegram_api import DEFAULT_TOKEN


@pytest.fixture
async def bare_app(tmp_path: Path, program: Program, pepper: bytes) -> AsyncIterator[App]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bare.db'}"
    settings = Settings(
        _env_file=None, database_url=url, data_dir=tmp_path / "data", media_dir=tmp_path / "media", web_port=free_port()
    )
    db = Database(url)
    yield App(settings, program, db, pepper)
    await db.dispose()


def test_telegram_is_registered_by_its_short_code() -> None:
    assert registry.channel_types()["TG"].channel == "telegram"


def test_whatsapp_is_registered_by_its_short_code() -> None:
    assert registry.channel_types()["WA"].channel == "whatsapp"


async def test_whatsapp_is_on_with_a_token_and_a_phone_number_id(bare_app: App) -> None:
    half = bare_app.settings.model_copy(update={"whatsapp_access_token": SecretStr("EAAG-token-value")})
    assert registry.senders(App(half, bare_app.program, bare_app.db, bare_app.pepper)) == []
    settings = half.model_copy(update={"whatsapp_phone_number_id": "1098765", "whatsapp_daily_limit": 40})
    [(sender, limits)] = registry.senders(App(settings, bare_app.program, bare_app.db, bare_app.pepper))
    assert isinstance(sender, WhatsAppSender) and isinstance(sender, Sender) and sender.channel == "whatsapp"
    # Meta's pace: 80 messages a second, about one every 6 seconds to the same person; the daily quota applies.
    assert (limits.per_second, round(1 / limits.per_chat_per_second)) == (80.0, 6)
    policy = limits.policy(sender, bare_app.db, asyncio.Lock())
    assert policy.settings.daily_limit == 40
    await sender.close()


async def test_nothing_configured_nothing_to_send(bare_app: App) -> None:
    assert registry.configured(bare_app) == []
    assert registry.senders(bare_app) == []


async def test_a_configured_channel_brings_its_sender_with_its_limits(bare_app: App) -> None:
    settings = bare_app.settings.model_copy(
        update={"telegram_bot_token": SecretStr(DEFAULT_TOKEN), "telegram_rate_per_second": 7.0}
    )
    [(sender, limits)] = registry.senders(App(settings, bare_app.program, bare_app.db, bare_app.pepper))
    assert isinstance(sender, TelegramSender) and isinstance(sender, Sender)
    assert limits.per_second == 7.0
    await sender.close()


async def test_the_web_process_serves_without_any_channel_and_stops(bare_app: App) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(registry.make_part(web=True)(bare_app, stop))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{bare_app.settings.web_port}") as http:
            for _ in range(100):
                try:
                    response = await http.get("/healthz")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            assert response.json() == {"ok": True}
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


async def test_without_channels_or_web_the_part_waits_for_the_stop(bare_app: App) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(registry.part(bare_app, stop))
    await asyncio.sleep(0.1)
    assert not task.done()  # ending early would read as a failure to the runner
    stop.set()
    await asyncio.wait_for(task, 2)
