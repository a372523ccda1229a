"""The Telegram channel exactly as `kampung-bahagia run` starts it (the registry's channels part), in-process in both
modes (the real process is driven through the whole journey in test_journey.py)."""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.bootstrap import App
from bot.channels.registry import part
from bot.channels.telegram.webhook import SECRET_HEADER
from services.db import Database
from services.program import Program
from tests.bot.channels.telegram.conftest import settings_for
from tests.fakes.telegram_api import FakeTelegramServer

CHAT = 83001


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def running_part(app: App, stop_within: float = 5) -> AsyncIterator[asyncio.Task]:
    """The Telegram part as `run` starts it; on leaving, stopped with `stop` and expected to end by itself."""
    stop = asyncio.Event()
    task = asyncio.create_task(part(app, stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, stop_within)  # no cancellation needed


@pytest.fixture
async def polling_app(
    server: FakeTelegramServer, database_url: str, program: Program, pepper: bytes, tmp_path: Path
) -> AsyncIterator[App]:
    db = Database(database_url)
    yield App(settings_for(database_url, tmp_path, server), program, db, pepper)
    await db.dispose()


async def test_polling_part_serves_and_stops_cleanly(server: FakeTelegramServer, polling_app: App) -> None:
    async with running_part(polling_app):
        await server.wait_for("deleteWebhook")
        default = await server.wait_for("setMyCommands")
        assert "start" in [c["command"] for c in default.params["commands"]]
        server.push_update(server.message_update(CHAT, "/bantuan"))
        reply = await server.wait_for("sendMessage")
        assert "kode undangan" in reply.params["text"]


async def test_polling_starts_even_when_telegram_hiccups_at_start_up(
    server: FakeTelegramServer, polling_app: App
) -> None:
    server.fail_next("deleteWebhook", 1, 502, description="Bad Gateway")
    async with running_part(polling_app):
        server.push_update(server.message_update(CHAT, "/bantuan"))
        assert "kode undangan" in (await server.wait_for("sendMessage", timeout=10)).params["text"]
        assert [c.error_code for c in server.calls if c.method == "deleteWebhook"] == [502, None]


async def test_a_refused_token_turns_the_channel_off_without_retrying(
    server: FakeTelegramServer, polling_app: App
) -> None:
    server.fail_next("deleteWebhook", 1, 401, description="Unauthorized")
    async with running_part(polling_app) as task:
        await asyncio.wait_for(task, 5)  # ends by itself: nothing would ever work with that token
        assert not [c for c in server.calls if c.method == "getUpdates"]


async def test_webhook_part_registers_the_secret_and_guards_the_route(
    server: FakeTelegramServer, database_url: str, program: Program, pepper: bytes, tmp_path: Path
) -> None:
    port = free_port()
    settings = settings_for(
        database_url, tmp_path, server, telegram_webhook_url="https://bot.example.id/webhook/telegram", web_port=port
    )
    db = Database(database_url)
    app = App(settings, program, db, pepper)
    server.fail_next("setWebhook", 1, 502, description="Bad Gateway")  # Telegram hiccups at start-up
    try:
        async with running_part(app, stop_within=10):
            await _registers_and_guards(server, tmp_path, port)
    finally:
        await db.dispose()


async def _registers_and_guards(server: FakeTelegramServer, tmp_path: Path, port: int) -> None:
    registered = await server.wait_for("setWebhook", timeout=10)
    secret = registered.params["secret_token"]
    assert secret == (tmp_path / "data" / ".telegram_webhook_secret").read_text().strip()
    assert server.webhook_url == "https://bot.example.id/webhook/telegram"
    update = server.message_update(CHAT, "/bantuan")
    update["update_id"] = 1
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        assert (await http.post("/webhook/telegram", json=update)).status_code == 401
        assert (await http.post("/webhook/telegram", json=update, headers={SECRET_HEADER: "x"})).status_code == 401
        ok = await http.post("/webhook/telegram", json=update, headers={SECRET_HEADER: secret})
        assert ok.status_code == 200
    # Answered at once; the drain of the running part handles the stored update right after.
    await server.wait_for(lambda call: call.method == "sendMessage" and call.params.get("chat_id") == CHAT)
    assert len(server.sent_messages(CHAT)) == 1


@pytest.fixture(autouse=True)
def _no_stray_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET"):
        monkeypatch.delenv(key, raising=False)
