"""Webhook mode through the ASGI app: the secret header guards the route, what arrived is stored and answered 200
at once, the drain handles it after (bot/channels/stored.py), and duplicates are handled once."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.bootstrap import App
from bot.channels.stored import StoredInbound
from bot.channels.telegram.client import make_bot
from bot.channels.telegram.runtime import build_inbound
from bot.channels.telegram.webhook import SECRET_HEADER, secret_matches, webhook_router, webhook_secret
from bot.web import create_web_app
from services.db import Database
from services.models import InboundUpdate, ProcessedUpdate
from services.program import Program
from tests.bot.channels.telegram.conftest import settings_for
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramServer

SECRET = "s3cret_Token-123"
UPDATES = Path(__file__).parent / "updates"


@dataclass
class Webhook:
    http: httpx.AsyncClient
    inbound: StoredInbound

    async def post(self, body: dict | bytes, headers: dict | None = None) -> httpx.Response:
        """POST as Telegram does, then let the drain handle what was stored (as the running process would)."""
        headers = {SECRET_HEADER: SECRET} if headers is None else headers
        if isinstance(body, bytes):
            response = await self.http.post("/webhook/telegram", content=body, headers=headers)
        else:
            response = await self.http.post("/webhook/telegram", json=body, headers=headers)
        await self.inbound.drain_once()
        return response


@pytest.fixture
async def webhook(
    server: FakeTelegramServer, database_url: str, program: Program, pepper: bytes, tmp_path: Path
) -> AsyncIterator[Webhook]:
    db = Database(database_url)
    app = App(settings_for(database_url, tmp_path, server), program, db, pepper)
    bot = make_bot(DEFAULT_TOKEN, server.base_url)
    inbound = build_inbound(app, bot)
    web = create_web_app(app, [webhook_router(inbound, SECRET)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://test") as http:
        yield Webhook(http, inbound)
    await bot.session.close()
    await db.dispose()


def update(name: str) -> dict:
    return json.loads((UPDATES / f"{name}.json").read_text())


async def test_good_secret_is_stored_answered_at_once_and_handled_after(
    webhook: Webhook, server: FakeTelegramServer, database_url: str
) -> None:
    response = await webhook.http.post("/webhook/telegram", json=update("text"), headers={SECRET_HEADER: SECRET})
    assert response.status_code == 200
    assert server.sent_messages() == []  # nothing done in the request: it is stored
    async with webhook.inbound.db.sessions() as session:
        [row] = (await session.scalars(select(InboundUpdate))).all()
    assert (row.channel, row.person, row.done_at) == ("telegram", "5550001", None)
    assert row.payload == update("text")  # exactly what Telegram sent, unknown fields included

    assert await webhook.inbound.drain_once() == 1
    sent = server.sent_messages(5550001)
    assert "kode undangan" in sent[-1]["text"].lower()  # an unknown person is asked for their invitation code
    async with webhook.inbound.db.sessions() as session:
        assert (await session.get(InboundUpdate, row.id)).done_at is not None


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""}, {SECRET_HEADER: SECRET + "x"}])
async def test_missing_or_bad_secret_is_rejected(webhook: Webhook, server: FakeTelegramServer, headers: dict) -> None:
    response = await webhook.post(update("text"), headers=headers)
    assert response.status_code == 401
    assert server.sent_messages() == []
    async with webhook.inbound.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(InboundUpdate)) == 0


async def test_duplicate_delivery_is_answered_once(webhook: Webhook, server: FakeTelegramServer) -> None:
    response = await webhook.post(update("text"))
    first = len(server.sent_messages(5550001))
    for _ in range(2):  # Telegram redelivers when it did not see our 200 in time
        response = await webhook.post(update("text"))
        assert response.status_code == 200
    assert first >= 1 and len(server.sent_messages(5550001)) == first
    async with webhook.inbound.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 1
        assert await session.scalar(select(func.count()).select_from(InboundUpdate)) == 1


async def test_a_redelivery_while_the_first_is_still_waiting_is_one_row(
    webhook: Webhook, server: FakeTelegramServer
) -> None:
    for _ in range(3):
        response = await webhook.http.post("/webhook/telegram", json=update("text"), headers={SECRET_HEADER: SECRET})
        assert response.status_code == 200
    assert await webhook.inbound.drain_once() == 1
    texts = [m["text"] for m in server.sent_messages(5550001)]
    [answer] = texts  # one answer (the welcome, asking for the code), not three
    assert "kode undangan" in answer


async def test_callback_is_answered(webhook: Webhook, server: FakeTelegramServer) -> None:
    response = await webhook.post(update("callback"))
    assert response.status_code == 200
    [answer] = [c for c in server.calls if c.method == "answerCallbackQuery"]
    assert answer.params["callback_query_id"] == "4382bfdwdsb323b2d9"


async def test_garbage_body_is_a_bad_request(webhook: Webhook) -> None:
    response = await webhook.post(b"{not json")
    assert response.status_code == 400


def test_secret_comparison() -> None:
    assert secret_matches(SECRET, SECRET)
    assert not secret_matches(SECRET, None)
    assert not secret_matches(SECRET, "")
    assert not secret_matches(SECRET, "s3cret_Token-12")


def test_secret_is_generated_once_and_kept(tmp_path: Path, server: FakeTelegramServer) -> None:
    settings = settings_for("sqlite+aiosqlite:///:memory:", tmp_path, server)
    first = webhook_secret(settings)
    assert first == webhook_secret(settings)
    assert (tmp_path / "data" / ".telegram_webhook_secret").stat().st_mode & 0o777 == 0o600  # the owner's only
    assert all(c.isalnum() or c in "-_" for c in first) and 1 <= len(first) <= 256
    given = settings_for("sqlite+aiosqlite:///:memory:", tmp_path, server, telegram_webhook_secret="given")
    assert webhook_secret(given) == "given"


def test_webhook_needs_a_secret(tmp_path: Path, server: FakeTelegramServer) -> None:
    with pytest.raises(ValueError):
        webhook_router(object(), "")  # type: ignore[arg-type]


async def test_unstorable_update_gets_503_so_telegram_sends_it_again(
    server: FakeTelegramServer, program: Program, pepper: bytes, tmp_path: Path
) -> None:
    # A database without our tables stands for one that is away: the update cannot be stored.
    url = f"sqlite+aiosqlite:///{tmp_path / 'unmigrated.db'}"
    db = Database(url)
    app = App(settings_for(url, tmp_path, server), program, db, pepper)
    bot = make_bot(DEFAULT_TOKEN, server.base_url)
    web = create_web_app(app, [webhook_router(build_inbound(app, bot), SECRET)])
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://test") as http:
            response = await http.post("/webhook/telegram", json=update("text"), headers={SECRET_HEADER: SECRET})
    finally:
        await bot.session.close()
        await db.dispose()
    assert response.status_code == 503
    assert server.sent_messages() == []
