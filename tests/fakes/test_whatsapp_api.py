"""The fake Graph API over raw HTTP (aiohttp, not our client): it must refuse what Meta refuses."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from .whatsapp_api import DEFAULT_APP_SECRET, DEFAULT_PHONE_NUMBER_ID, DEFAULT_TOKEN, FakeWhatsAppServer

WA = "6281234567890"
AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}


@pytest.fixture
async def server() -> AsyncIterator[FakeWhatsAppServer]:
    async with FakeWhatsAppServer() as srv:
        srv.inbound(WA)
        yield srv


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(http: aiohttp.ClientSession, server: FakeWhatsAppServer, body: dict, headers=AUTH) -> tuple[int, Any]:
    url = f"{server.api_url}/{DEFAULT_PHONE_NUMBER_ID}/messages"
    async with http.post(url, json={"messaging_product": "whatsapp", "to": WA, **body}, headers=headers) as response:
        return response.status, await response.json()


def text(body: str) -> dict:
    return {"type": "text", "text": {"body": body}}


def buttons(*titles: str, body: str = "Lanjut?") -> dict:
    items = [{"type": "reply", "reply": {"id": f"1:{n}", "title": t}} for n, t in enumerate(titles)]
    return {
        "type": "interactive",
        "interactive": {"type": "button", "body": {"text": body}, "action": {"buttons": items}},
    }


def rows(*rows: dict, button: str = "Pilih") -> dict:
    action = {"button": button, "sections": [{"rows": [{"id": f"1:{n}", **r} for n, r in enumerate(rows)]}]}
    return {"type": "interactive", "interactive": {"type": "list", "body": {"text": "Pilih:"}, "action": action}}


async def test_a_text_is_accepted_recorded_and_given_a_wamid(server: FakeWhatsAppServer, http) -> None:
    status, answer = await post(http, server, text("Halo Pak"))
    assert status == 200
    assert answer["messages"][0]["id"].startswith("wamid.")
    assert answer["contacts"] == [{"input": WA, "wa_id": WA}]
    assert [b["text"]["body"] for b in server.sent(WA)] == ["Halo Pak"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": DEFAULT_TOKEN}])
async def test_the_bearer_token_is_required(server: FakeWhatsAppServer, http, headers: dict) -> None:
    status, answer = await post(http, server, text("Halo"), headers=headers)
    assert (status, answer["error"]["code"]) == (401, 190)
    assert server.sent() == []


@pytest.mark.parametrize(
    ("body", "accepted"),
    [
        (text("x" * 4096), True),
        (text("x" * 4097), False),
        (text("   "), False),
        (buttons("Ya", "Tidak", "Nanti"), True),
        (buttons("A", "B", "C", "D"), False),
        (buttons(), False),
        (buttons("x" * 20), True),
        (buttons("x" * 21), False),
        (buttons("Ya", "ya"), False),  # titles must differ
        (buttons("Ya", body="x" * 1024), True),
        (buttons("Ya", body="x" * 1025), False),
        (rows(*({"title": f"Tahap {n}"} for n in range(10))), True),
        (rows(*({"title": f"Tahap {n}"} for n in range(11))), False),
        (rows({"title": "x" * 24, "description": "y" * 72}), True),
        (rows({"title": "x" * 25}), False),
        (rows({"title": "x", "description": "y" * 73}), False),
        (rows({"title": "x"}, button="y" * 21), False),
        ({"type": "image", "image": {"id": "no-such-media"}}, False),
    ],
)
async def test_metas_limits(server: FakeWhatsAppServer, http, body: dict, accepted: bool) -> None:
    status, answer = await post(http, server, body)
    assert (status == 200) is accepted, answer
    if not accepted:
        assert status == 400
        assert answer["error"]["code"] in (131009, 131053)
        assert server.refused()[-1].params["type"] == body["type"]


async def test_free_form_only_within_24_hours_templates_always(server: FakeWhatsAppServer, http) -> None:
    now = time.time()
    server.inbound(WA, at=now - 23 * 3600)
    assert (await post(http, server, text("masih boleh")))[0] == 200
    server.inbound(WA, at=now - 25 * 3600)
    status, answer = await post(http, server, text("sudah lewat"))
    assert (status, answer["error"]["code"]) == (400, 131047)
    template = {"type": "template", "template": {"name": "pengingat_bulanan", "language": {"code": "id"}}}
    assert (await post(http, server, template))[0] == 200
    server.templates = {"pengingat_bulanan"}
    other = {"type": "template", "template": {"name": "tidak_ada", "language": {"code": "id"}}}
    assert (await post(http, server, other))[1]["error"]["code"] == 132001


async def test_someone_who_never_wrote_gets_only_templates(server: FakeWhatsAppServer, http) -> None:
    server.last_inbound.clear()
    assert (await post(http, server, text("halo")))[1]["error"]["code"] == 131047


async def test_upload_then_url_then_download_with_the_token(server: FakeWhatsAppServer, http) -> None:
    form = aiohttp.FormData()
    form.add_field("messaging_product", "whatsapp")
    form.add_field("type", "image/jpeg")
    form.add_field("file", b"\xff\xd8jpeg-bytes", filename="rapat.jpg", content_type="image/jpeg")
    async with http.post(f"{server.api_url}/{DEFAULT_PHONE_NUMBER_ID}/media", data=form, headers=AUTH) as response:
        media_id = (await response.json())["id"]
    assert (await post(http, server, {"type": "image", "image": {"id": media_id}}))[0] == 200
    async with http.get(f"{server.api_url}/{media_id}", headers=AUTH) as response:
        info = await response.json()
    assert info["mime_type"] == "image/jpeg"
    assert info["file_size"] == 12
    assert info["sha256"] == hashlib.sha256(b"\xff\xd8jpeg-bytes").hexdigest()
    async with http.get(info["url"]) as response:
        assert response.status == 401  # the URL alone is not enough, as at Meta
    async with http.get(info["url"], headers=AUTH) as response:
        assert await response.read() == b"\xff\xd8jpeg-bytes"


async def test_mark_read(server: FakeWhatsAppServer, http) -> None:
    status, answer = await post(http, server, {"status": "read", "message_id": "wamid.IN1"})
    assert (status, answer) == (200, {"success": True})
    assert server.read == ["wamid.IN1"]
    assert server.sent() == []


async def test_injected_failures_and_delays(server: FakeWhatsAppServer, http) -> None:
    server.fail_next("messages", 130429, "Rate limit hit")
    status, answer = await post(http, server, text("a"))
    assert (status, answer["error"]["code"]) == (400, 130429)
    delay = server.delay_next("messages", 0.3)
    started = time.monotonic()
    assert (await post(http, server, text("b")))[0] == 200
    assert delay.arrived.is_set() and time.monotonic() - started >= 0.3


async def test_signed_webhooks_reach_a_url(server: FakeWhatsAppServer) -> None:
    received: list[tuple[bytes, str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((await request.read(), request.headers.get("X-Hub-Signature-256")))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/webhook/whatsapp", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/webhook/whatsapp"
    try:
        server.last_inbound.clear()
        assert await server.post_webhook(url, server.text_webhook("628111", "Halo")) == (200, "ok")
        await server.post_webhook(url, server.button_reply_webhook("628111", "5:ya"), signature="wrong")
        await server.post_webhook(url, server.image_webhook(None, b"img", user_id="ID.77"), signature=None)
        await server.post_webhook(url, server.status_webhook("wamid.OUT1", "failed", "628111", [{"code": 131026}]))
    finally:
        await runner.cleanup()
    expected = [hmac.new(DEFAULT_APP_SECRET.encode(), body, hashlib.sha256).hexdigest() for body, _ in received]
    signatures = [header for _, header in received]
    assert signatures[0] == f"sha256={expected[0]}"
    assert signatures[1] is not None and signatures[1] != f"sha256={expected[1]}"
    assert signatures[2] is None
    assert signatures[3] == f"sha256={expected[3]}"
    payloads = [json.loads(body) for body, _ in received]
    values = [p["entry"][0]["changes"][0]["value"] for p in payloads]
    assert values[0]["messages"][0]["text"] == {"body": "Halo"}
    assert values[0]["contacts"][0] == {"profile": {"name": "Warga"}, "wa_id": "628111"}
    assert values[1]["messages"][0]["interactive"]["button_reply"]["id"] == "5:ya"
    image = values[2]["messages"][0]
    assert "from" not in image and image["from_user_id"] == "ID.77"
    assert server.media[image["image"]["id"]].content == b"img"
    assert values[3]["statuses"][0]["errors"] == [{"code": 131026}]
    assert set(server.last_inbound) == {"628111", "ID.77"}  # each person's message opened their window


async def test_the_server_answers_while_a_slow_call_waits(server: FakeWhatsAppServer, http) -> None:
    server.delay_next("messages", 0.5)
    slow = asyncio.create_task(post(http, server, text("lambat")))
    await asyncio.sleep(0.05)
    assert (await post(http, server, text("cepat")))[0] == 200
    await slow
    assert [b["text"]["body"] for b in server.sent()] == ["cepat", "lambat"]
