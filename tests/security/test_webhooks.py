"""Forged and malformed webhooks, over real HTTP: the web app served by uvicorn on 127.0.0.1, answering with the real
Telegram processor (fake Bot API server, real database). Nothing a stranger sends is handled, nothing crashes it,
and nothing big is read whole."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from bot.bootstrap import App
from bot.channels.telegram.client import make_bot
from bot.channels.telegram.runtime import build_inbound
from bot.channels.telegram.webhook import PATH, SECRET_HEADER, webhook_router
from bot.web import create_web_app
from bot.webhook_body import MAX_BODY_BYTES
from services.db import Database
from services.models import ProcessedUpdate
from services.program import Program
from tests.bot.channels.telegram.conftest import settings_for
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramServer

SECRET = "webhook-Secret_123"
GOOD = {SECRET_HEADER: SECRET}
TWO_MB = 2 * 1024 * 1024
CHAT = 5550001


def text_update(update_id: int = 1, text: str = "halo") -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": CHAT, "type": "private", "first_name": "Warga"},
            "from": {"id": CHAT, "is_bot": False, "first_name": "Warga"},
            "text": text,
        },
    }


@pytest.fixture
async def web(
    server: FakeTelegramServer, database_url: str, program: Program, pepper: bytes, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Database]]:
    """The web app on a free port of 127.0.0.1, and an HTTP client pointed at it."""
    db = Database(database_url)
    app = App(settings_for(database_url, tmp_path, server), program, db, pepper)
    bot = make_bot(DEFAULT_TOKEN, server.base_url)
    inbound = build_inbound(app, bot)
    asgi = create_web_app(app, [webhook_router(inbound, SECRET)])
    stop = asyncio.Event()
    draining = asyncio.create_task(inbound.run(stop))  # as in the running process: stored, then handled
    config = uvicorn.Config(asgi, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    served = uvicorn.Server(config)
    served.install_signal_handlers = lambda: None
    task = asyncio.create_task(served.serve())
    while not served.started:
        await asyncio.sleep(0.02)
    port = served.servers[0].sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client, db
    finally:
        served.should_exit = True
        await task
        stop.set()
        await draining
        await bot.session.close()
        await db.dispose()


async def handled(db: Database, expected: int = 0) -> int:
    """Updates handled; waits a moment for `expected` of them (the drain works after the 200)."""
    for _ in range(100):
        async with db.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
        if count >= expected:
            return count
        await asyncio.sleep(0.05)
    return count


async def test_a_real_update_is_handled(web, server: FakeTelegramServer) -> None:
    client, db = web
    response = await client.post(PATH, json=text_update(), headers=GOOD)
    assert response.status_code == 200
    assert await handled(db, expected=1) == 1
    # The answer goes out after its work commits (it is an outbox row of that work): wait for it, do not race it.
    await server.wait_for(lambda call: call.method == "sendMessage" and str(call.params.get("chat_id")) == str(CHAT))
    assert server.sent_messages(CHAT)


@pytest.mark.parametrize(
    "headers",
    [{}, {SECRET_HEADER: "forged"}, {SECRET_HEADER: ""}, {SECRET_HEADER: SECRET.upper()}, {"X-Other": SECRET}],
    ids=["missing", "forged", "empty", "wrong-case", "other-header"],
)
async def test_without_the_secret_nothing_is_handled(web, server: FakeTelegramServer, headers: dict) -> None:
    client, db = web
    response = await client.post(PATH, json=text_update(), headers=headers)
    assert response.status_code == 401
    assert server.sent_messages() == [] and await handled(db) == 0


async def test_the_secret_is_checked_before_the_size(web) -> None:
    client, _db = web
    response = await client.post(PATH, content=b"x" * TWO_MB, headers={SECRET_HEADER: "forged"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b"\xff\xfe\x00garbage", b'{"update_id": 1, "message": {', "[" * 10 + "]" * 9],
    ids=["broken", "empty", "not-utf8", "cut-off", "unbalanced"],
)
async def test_malformed_json_is_a_bad_request(web, server: FakeTelegramServer, body) -> None:
    client, db = web
    response = await client.post(PATH, content=body, headers=GOOD)
    assert response.status_code == 400
    assert server.sent_messages() == [] and await handled(db) == 0


@pytest.mark.parametrize("levels", [990, 5000, 100_000])
async def test_deeply_nested_json_is_a_bad_request_not_a_crash(web, levels: int) -> None:
    client, _db = web
    response = await client.post(PATH, content="[" * levels + "]" * levels, headers=GOOD)
    assert response.status_code == 400


async def test_an_update_with_a_deeply_nested_field_is_a_bad_request(web, server: FakeTelegramServer) -> None:
    client, db = web
    update = text_update()
    update["message"]["extra"] = json.loads("[" * 500 + "]" * 500)  # parses, but no real update looks like it
    response = await client.post(PATH, content=json.dumps(update), headers=GOOD)
    assert response.status_code == 400
    assert server.sent_messages() == [] and await handled(db) == 0


async def test_two_megabytes_with_content_length_are_refused_unread(web) -> None:
    client, _db = web
    response = await client.post(PATH, content=b"[" + b"0," * (TWO_MB // 2) + b"0]", headers=GOOD)
    assert response.status_code == 413


async def test_two_megabytes_chunked_are_refused(web) -> None:
    client, _db = web

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: Transfer-Encoding: chunked
        for _ in range(TWO_MB // 65536):
            yield b" " * 65536

    response = await client.post(PATH, content=chunks(), headers=GOOD)
    assert response.status_code == 413


async def test_a_chunked_body_is_read_only_up_to_the_limit(
    server: FakeTelegramServer, database_url: str, program: Program, pepper: bytes, tmp_path: Path
) -> None:
    """Against the ASGI app itself, which pulls the body chunk by chunk: it stops pulling past the limit."""
    db = Database(database_url)
    app = App(settings_for(database_url, tmp_path, server), program, db, pepper)
    bot = make_bot(DEFAULT_TOKEN, server.base_url)
    asgi = create_web_app(app, [webhook_router(build_inbound(app, bot), SECRET)])
    pulled = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal pulled
        while pulled < 100 * MAX_BODY_BYTES:
            pulled += 65536
            yield b" " * 65536

    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url="http://t") as client:
            response = await client.post(PATH, content=endless(), headers=GOOD)
    finally:
        await bot.session.close()
        await db.dispose()
    assert response.status_code == 413
    assert pulled <= MAX_BODY_BYTES + 2 * 65536


@pytest.mark.parametrize(
    "body",
    [[], 42, "text", None, {"foo": 1}, {"update_id": "abc"}, {"update_id": 1, "message": "hi"}, [text_update()]],
    ids=["list", "number", "string", "null", "no-update-id", "bad-update-id", "bad-message", "list-of-updates"],
)
async def test_json_that_is_not_an_update_is_a_bad_request(web, server: FakeTelegramServer, body) -> None:
    client, db = web
    response = await client.post(PATH, content=json.dumps(body), headers=GOOD)
    assert response.status_code == 400
    assert server.sent_messages() == [] and await handled(db) == 0


async def test_an_update_of_a_type_we_do_not_handle_is_taken_and_ignored(web, server: FakeTelegramServer) -> None:
    """Telegram adds update types over time: acknowledged (or Telegram would send it again and again), not acted on."""
    client, db = web
    edited = {**text_update()["message"], "edit_date": 1_700_000_100}
    for body in ({"update_id": 7, "a_future_kind_of_update": {"x": 1}}, {"update_id": 8, "edited_message": edited}):
        response = await client.post(PATH, json=body, headers=GOOD)
        assert response.status_code == 200
    assert await handled(db, expected=2) == 2
    assert server.sent_messages() == []


async def test_the_app_keeps_answering_after_all_of_it(web, server: FakeTelegramServer) -> None:
    client, db = web
    with contextlib.suppress(httpx.HTTPError):
        await client.post(PATH, content="[" * 100_000, headers=GOOD)
    response = await client.post(PATH, json=text_update(update_id=99), headers=GOOD)
    assert response.status_code == 200
    assert await handled(db, expected=1) == 1 and server.sent_messages(CHAT)


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer() as fake:
        yield fake
