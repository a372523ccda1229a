"""The Telegram part exactly as `kampung-bahagia run` starts it: in-process in both modes, and once for real
as a subprocess driven through the fake Bot API server and stopped with SIGINT."""

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest

from bot import migrate
from bot.bootstrap import App
from bot.channels.telegram.runtime import part
from bot.channels.telegram.webhook import SECRET_HEADER
from services.db import Database
from services.models import Role
from services.program import Program
from tests.bot.channels.telegram.conftest import Telegram, settings_for, texts
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramServer
from tests.handlers.conftest import load_roster

CHAT = 83001


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start(app: App) -> tuple[asyncio.Event, asyncio.Task]:
    stop = asyncio.Event()
    return stop, asyncio.create_task(part(app, stop))


async def test_polling_part_serves_and_stops_cleanly(
    server: FakeTelegramServer, database_url: str, program: Program, pepper: bytes, tmp_path: Path
) -> None:
    db = Database(database_url)
    app = App(settings_for(database_url, tmp_path, server), program, db, pepper)
    stop, task = await start(app)
    try:
        await server.wait_for("deleteWebhook")
        default = await server.wait_for("setMyCommands")
        assert "start" in [c["command"] for c in default.params["commands"]]
        server.push_update(server.message_update(CHAT, "/bantuan"))
        reply = await server.wait_for("sendMessage")
        assert "kode undangan" in reply.params["text"]
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)  # stops by itself, no cancellation needed
        await db.dispose()


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
    stop, task = await start(app)
    try:
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
        assert len(server.sent_messages(CHAT)) == 1
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await db.dispose()


async def test_kampung_bahagia_run_as_a_subprocess(
    server: FakeTelegramServer, program: Program, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'run.db'}"
    await asyncio.to_thread(migrate.upgrade, url)
    db = Database(url)
    await load_roster(db, program)
    secret_key = "subprocess-secret"
    tg = Telegram(server, App(settings_for(url, tmp_path, server), program, db, secret_key.encode()))
    code = await tg.invite(Role.KETUA_RT, "15.71.01.1001-001")
    await db.dispose()

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "WEB_"))},
        "DATABASE_URL": url,
        "DATA_DIR": str(tmp_path / "data"),
        "MEDIA_DIR": str(tmp_path / "media"),
        "SECRET_KEY": secret_key,
        "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_API_URL": server.base_url,
    }
    executable = Path(sys.executable).parent / "kampung-bahagia"
    process = await asyncio.create_subprocess_exec(
        str(executable), "run", cwd=tmp_path, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        await server.wait_for("getUpdates", timeout=30)
        assert "Pendaftaran berhasil" in texts(await tg.say(CHAT, f"/start {code}"))
        await tg.say(CHAT, "/kk")
        keyboard = (await tg.say(CHAT, "95"))[-1]["reply_markup"]["inline_keyboard"]
        assert any("Simpan" in b["text"] for row in keyboard for b in row)
        assert "95 KK" in texts(await tg.press(CHAT, "Simpan"))
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(process.communicate(), 20)
    text = output.decode()
    assert process.returncode == 0, text
    assert server.base_url in text  # the Bot API server in use is printed
    assert "Berhenti" in text or "Stopped" in text, text


@pytest.fixture(autouse=True)
def _no_stray_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET"):
        monkeypatch.delenv(key, raising=False)
