"""A `failed` status that overtakes the worker's own record of the message (Meta answered the send, the status
webhook came and was drained before the worker committed the wamid): kept and looked at again, never lost. The
real stored path (bot/channels/stored.py) with WhatsApp's adapter, on a real database, against the fake Graph API."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bootstrap import App
from bot.channels.stored import LATER_ATTEMPTS, StoredInbound
from bot.channels.whatsapp.adapter import EARLY_STATUS_AGAIN
from bot.channels.whatsapp.items import split
from bot.channels.whatsapp.payload import parse
from bot.channels.whatsapp.runtime import build_inbound, client_from_settings
from services.db import Database
from services.inbound_queue import Received
from services.models import InboundUpdate, OutboxMessage
from services.program import Program
from tests.bot.channels.whatsapp.running import whatsapp_settings
from tests.fakes.whatsapp_api import FakeWhatsAppServer

WA = "6281234567890"
ERRORS = [{"code": 131026, "title": "Message undeliverable"}]


@pytest.fixture
async def fake() -> AsyncIterator[FakeWhatsAppServer]:
    async with FakeWhatsAppServer() as server:
        yield server


@pytest.fixture
async def stored(
    database_url: str, program: Program, pepper: bytes, tmp_path: Path, fake: FakeWhatsAppServer
) -> AsyncIterator[StoredInbound]:
    app = App(whatsapp_settings(database_url, tmp_path, fake), program, Database(database_url), pepper)
    client = client_from_settings(app)
    try:
        yield build_inbound(app, client)
    finally:
        await client.aclose()
        await app.db.dispose()


async def accept(stored: StoredInbound, payload: dict) -> None:
    items = [Received(i.update_id, i.person, json.loads(json.dumps(i.item))) for i in split(parse(json.dumps(payload)))]
    assert await stored.accept(items) == len(items)


async def test_a_failed_status_before_the_wamid_is_recorded_is_applied_once_it_is(
    stored: StoredInbound, fake: FakeWhatsAppServer
) -> None:
    early = fake.status_webhook("wamid.EARLY", "failed", WA, ERRORS)
    async with stored.db.unit_of_work() as session:  # the worker's row, its send answered but not yet recorded
        row = OutboxMessage(channel="whatsapp", external_id=WA, payload={"text": "Rapat"}, status="sending")
        session.add(row)
        await session.flush()
        row_id = row.id
    await accept(stored, early)
    assert await stored.drain_once() == 0  # not handled: kept for a moment
    async with stored.db.unit_of_work() as session:  # the worker commits what Meta answered
        row = await session.get(OutboxMessage, row_id)
        row.status, row.platform_message_id = "sent", "wamid.EARLY"
    await asyncio.sleep(EARLY_STATUS_AGAIN.total_seconds() + 0.2)
    assert await stored.drain_once() == 1
    async with stored.db.sessions() as session:
        row = await session.get(OutboxMessage, row_id)
        update = await session.scalar(select(InboundUpdate))
    assert row.delivery_status == "failed" and "131026" in row.error  # and the failure policy acted on it
    assert update.done_at is not None and update.attempts == 2


async def test_a_failed_status_of_a_message_never_recorded_is_let_go_after_a_few_looks(
    stored: StoredInbound, fake: FakeWhatsAppServer, caplog
) -> None:
    caplog.set_level(logging.INFO, logger="bot.channels.stored")
    await accept(stored, fake.status_webhook("wamid.NOBODY", "failed", WA, ERRORS))
    fake.inbound(WA)  # the person wrote: their 24-hour window is open on the fake's side
    await accept(stored, fake.text_webhook(WA, "halo"))  # the same person's line waits behind it meanwhile
    looks = 0
    async with asyncio.timeout(30):
        while await stored.drain_once() < 2:
            looks += 1
            await asyncio.sleep(EARLY_STATUS_AGAIN.total_seconds() + 0.2)
    assert looks == LATER_ATTEMPTS - 1
    assert "still; left as it is" in caplog.text
    async with stored.db.sessions() as session:
        assert all(u.done_at is not None for u in await session.scalars(select(InboundUpdate)))
    assert fake.sent(WA)  # and the message behind it was answered
