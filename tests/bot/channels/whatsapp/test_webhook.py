"""`/webhook/whatsapp` on the real web app served by uvicorn, with the drain and the delivery worker running behind
it (tests/bot/channels/whatsapp/running.py): Meta's handshake, the signature guard, the 1 MB limit, and a message
delivered twice answered once. Real HTTP on 127.0.0.1, on SQLite and PostgreSQL."""

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from services.models import InboundUpdate
from services.program import Program
from tests.bot.channels.whatsapp.running import VERIFY_TOKEN, WhatsAppBot, running_whatsapp, texts
from tests.fakes.whatsapp_api import FakeWhatsAppServer
from tests.handlers.conftest import load_roster

WA = "6281234500001"


@pytest.fixture
async def bot(database_url: str, program: Program, pepper: bytes, tmp_path: Path) -> AsyncIterator[WhatsAppBot]:
    async with (
        FakeWhatsAppServer() as fake,
        running_whatsapp(database_url, program, pepper, tmp_path, fake) as running,
    ):
        await load_roster(running.db, program)
        yield running


async def stored(bot: WhatsAppBot) -> int:
    async with bot.db.sessions() as session:
        return await session.scalar(select(func.count()).select_from(InboundUpdate))


def handshake(**params: str) -> dict[str, str]:
    return {f"hub.{key}": value for key, value in params.items()}


async def test_the_handshake_answers_the_challenge_only_to_our_token(bot: WhatsAppBot) -> None:
    async with httpx.AsyncClient() as http:
        right = await http.get(bot.url, params=handshake(mode="subscribe", verify_token=VERIFY_TOKEN, challenge="42"))
        assert (right.status_code, right.text) == (200, "42")
        for wrong in (
            handshake(mode="subscribe", verify_token="not-ours", challenge="42"),
            handshake(mode="unsubscribe", verify_token=VERIFY_TOKEN, challenge="42"),
            handshake(challenge="42"),
        ):
            response = await http.get(bot.url, params=wrong)
            assert response.status_code == 403 and "42" not in response.text


async def test_a_post_without_signature_is_401_with_a_wrong_one_403_and_nothing_is_stored(bot: WhatsAppBot) -> None:
    payload = bot.fake.text_webhook(WA, "halo")
    assert await bot.post(payload, signature=None) == 401
    assert await bot.post(payload, signature="wrong") == 403
    assert await bot.post(payload, signature="sha256=") == 403
    assert await bot.post(payload, signature="md5=abc") == 403
    assert await stored(bot) == 0
    assert bot.fake.sent(WA) == []


async def test_a_signed_post_is_stored_answered_200_and_the_person_answered(bot: WhatsAppBot) -> None:
    answer = await bot.deliver(WA, bot.fake.text_webhook(WA, "halo"))
    assert await stored(bot) == 1
    assert "kode undangan" in texts(answer).lower()  # an unknown number is asked for its invitation code


async def test_a_body_over_one_megabyte_is_413_signed_or_not(bot: WhatsAppBot) -> None:
    body = json.dumps(bot.fake.text_webhook(WA, "x" * (1024 * 1024))).encode()
    assert len(body) > 1024 * 1024

    async def chunks():  # sent without Content-Length: the limit holds for what is read, not what is announced
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    async with httpx.AsyncClient() as http:
        for sized in (True, False):
            for signature in (bot.fake.signature(body), bot.fake.signature(body, "not-the-app-secret")):
                headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
                response = await http.post(bot.url, content=body if sized else chunks(), headers=headers)
                assert response.status_code == 413
    assert await stored(bot) == 0
    assert bot.fake.sent(WA) == []


async def test_the_same_message_delivered_twice_is_answered_once(bot: WhatsAppBot) -> None:
    payload = bot.fake.text_webhook(WA, "halo")
    first = await bot.deliver(WA, payload)
    assert first
    again = await bot.deliver(WA, payload)  # Meta's redelivery: 200, and nothing more
    assert again == []
    assert await stored(bot) == 1
    # Even after the first was handled long ago, a third delivery is still the same message.
    assert await bot.deliver(WA, payload) == []
