"""The WhatsApp `InboundAdapter`: stored items → `Arrival`s, media from the fake Graph API over real HTTP, statuses
recorded on outbox rows, and `prepare` reading a typed menu number and the person's Meta user id from the database."""

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.channels.base import Sender
from bot.channels.inbound import InboundAdapter
from bot.channels.whatsapp.adapter import WhatsAppAdapter
from bot.channels.whatsapp.client import DownloadTooLarge, WhatsAppClient
from bot.channels.whatsapp.items import split
from bot.channels.whatsapp.payload import parse
from bot.redaction import remember
from handlers.context import MediaTooLarge, MediaUnavailable
from handlers.incoming_text import text_incoming
from handlers.messages import Incoming, Kind, MediaItem
from services import whatsapp_menus
from services.db import Database
from services.models import ChannelIdentity, ConversationState, OutboxMessage, Person, Role
from tests.bot.channels.whatsapp.wa_sender import TestSender
from tests.fakes.whatsapp_api import DEFAULT_PHONE_NUMBER_ID, DEFAULT_TOKEN, FakeWhatsAppServer

PAYLOADS = Path(__file__).parent / "payloads"
WA = "6281234567890"
USER_ID = "ID.1234567890123456"
WAMID = "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBDNzk1RjM2QTNBN0Y2RkUxAA=="
STATUS_WAMID = "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEkRBMjk3RTFFQTQ1RjBCQjY5AA=="
MB = 1024 * 1024
# What each real payload becomes for the conversation; None: nothing to answer (a reaction, see the adapter).
KINDS = {
    "text": Kind.TEXT,
    "text_daftar": Kind.COMMAND,
    "extra_fields": Kind.TEXT,
    "button_reply": Kind.CHOICE,
    "list_reply": Kind.CHOICE,
    "template_button": Kind.CHOICE,
    "image": Kind.MEDIA,
    "document": Kind.MEDIA,
    "location": Kind.LOCATION,
    "sticker": Kind.UNSUPPORTED,
    "audio": Kind.UNSUPPORTED,
    "video": Kind.UNSUPPORTED,
    "contacts": Kind.UNSUPPORTED,
    "unsupported": Kind.UNSUPPORTED,
    "unknown_type": Kind.UNSUPPORTED,
    "reaction": None,
}


def stored(name: str) -> dict:
    [item] = split(parse((PAYLOADS / f"{name}.json").read_bytes()))
    return json.loads(json.dumps(item.item))  # as it comes back out of the database's JSON column


@pytest.fixture
async def server() -> AsyncIterator[FakeWhatsAppServer]:
    async with FakeWhatsAppServer() as srv:
        srv.inbound(WA)
        yield srv


@pytest.fixture
async def client(server: FakeWhatsAppServer) -> AsyncIterator[WhatsAppClient]:
    async with WhatsAppClient(DEFAULT_TOKEN, DEFAULT_PHONE_NUMBER_ID, server.api_url) as wa:
        yield wa


@pytest.fixture
def adapter(client: WhatsAppClient, db: Database) -> WhatsAppAdapter:
    return WhatsAppAdapter(client, db, TestSender(client, db), fetch_backoff=0.01)


@pytest.fixture
async def offline() -> AsyncIterator[WhatsAppAdapter]:
    """For what needs neither the network nor a database (`arrival` is pure)."""
    async with WhatsAppClient(DEFAULT_TOKEN, DEFAULT_PHONE_NUMBER_ID, "http://127.0.0.1:9/v23.0") as wa:
        yield WhatsAppAdapter(wa, None, TestSender(wa, None))


def test_the_adapter_meets_the_contracts(offline: WhatsAppAdapter) -> None:
    adapter: InboundAdapter[dict] = offline  # a type checker holds this line to the Protocol
    assert isinstance(adapter.sender, Sender)
    assert adapter.channel == "whatsapp" and adapter.max_download_mb == 100


@pytest.mark.parametrize("name", sorted(KINDS))
def test_arrival_of_every_message_type(offline: WhatsAppAdapter, name: str) -> None:
    arrival = offline.arrival(stored(name))
    assert (arrival.id, arrival.person) == (WAMID, WA)
    assert arrival.album is None and arrival.acknowledge is None and arrival.effect is None
    if KINDS[name] is None:
        assert arrival.incoming is None
        return
    incoming = arrival.incoming
    assert (incoming.channel, incoming.user_id, incoming.kind) == ("whatsapp", WA, KINDS[name])
    assert incoming.update_id == WAMID  # claimed by the engine with its work
    assert incoming.display_name == "Budi Santoso"


def test_arrival_details(offline: WhatsAppAdapter) -> None:
    assert offline.arrival(stored("list_reply")).incoming.choice == "tahap_3"
    assert offline.arrival(stored("list_reply")).incoming.token == 12
    document = offline.arrival(stored("document")).incoming
    pdf = MediaItem("document", "1298304877611222", "application/pdf", 284113, "bukti_transfer.pdf")
    assert document.media == (pdf,)
    username = offline.arrival(stored("username_user"))
    assert (username.person, username.incoming.user_id) == ("ID.8801234567890123",) * 2


def test_a_message_without_id_is_claimed_under_its_made_up_id(offline: WhatsAppAdapter) -> None:
    payload = json.loads((PAYLOADS / "text.json").read_text())
    del payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    [item] = split(parse(json.dumps(payload)))
    arrival = offline.arrival(item.item)
    assert arrival.id == item.update_id == arrival.incoming.update_id


@pytest.mark.parametrize("status", ["sent", "delivered", "read", "failed"])
async def test_a_status_is_recorded_on_its_outbox_row_with_the_claim(
    client: WhatsAppClient, db: Database, status: str
) -> None:
    failures = []

    async def on_failed(session, row, code, title) -> None:
        failures.append((row.id, code, title))

    adapter = WhatsAppAdapter(client, db, TestSender(client, db), on_failed=on_failed)
    async with db.unit_of_work() as session:
        row = OutboxMessage(
            channel="whatsapp", external_id=WA, payload={"text": "x"}, status="sent", platform_message_id=STATUS_WAMID
        )
        session.add(row)
        await session.flush()
        row_id = row.id
    arrival = adapter.arrival(stored(f"status_{status}"))
    assert (arrival.id, arrival.person, arrival.incoming) == (f"status:{STATUS_WAMID}:{status}", WA, None)
    async with db.unit_of_work() as session:
        await arrival.effect(session)
    async with db.sessions() as session:
        row = await session.get(OutboxMessage, row_id)
    expected = {"sent": None, "delivered": "delivered", "read": "read", "failed": "failed"}[status]
    assert row.delivery_status == expected
    if status == "read":
        at = datetime.fromtimestamp(int(stored("status_read")["status"]["timestamp"]), UTC)
        assert row.read_at == row.delivered_at == at  # Meta's time, not ours
    if status == "failed":
        assert row.error == "131047 Re-engagement message"
        assert failures == [(row_id, 131047, "Re-engagement message")]
    else:
        assert failures == []


async def test_a_status_error_is_redacted_before_it_is_stored(client: WhatsAppClient, db: Database) -> None:
    secret = "s3cr3t-app-token-value"
    remember([secret])
    adapter = WhatsAppAdapter(client, db, TestSender(client, db))
    item = stored("status_failed")
    item["status"]["errors"][0]["title"] = f"bad token {secret}"
    async with db.unit_of_work() as session:
        session.add(
            OutboxMessage(
                channel="whatsapp", external_id=WA, payload={}, status="sent", platform_message_id=STATUS_WAMID
            )
        )
    async with db.unit_of_work() as session:
        await adapter.arrival(item).effect(session)
    async with db.sessions() as session:
        error = await session.scalar(select(OutboxMessage.error))
    assert secret not in error and error.startswith("131047 bad token")


# ---- media ---------------------------------------------------------------------------------------------------
async def test_fetch_a_photo_with_the_bearer_token(server: FakeWhatsAppServer, adapter: WhatsAppAdapter) -> None:
    media_id = server.add_media(b"\xff\xd8photo", "image/jpeg")
    assert await adapter.fetch(MediaItem("photo", media_id, "image/jpeg")) == b"\xff\xd8photo"
    assert [c.method for c in server.calls] == ["media_info", "download"]


async def test_a_size_the_webhook_gives_is_refused_before_anything_is_asked(
    server: FakeWhatsAppServer, adapter: WhatsAppAdapter
) -> None:
    photo = MediaItem("photo", server.add_media(b"x"), "image/jpeg", size=6 * MB)
    document = MediaItem("document", server.add_media(b"x", "application/pdf"), "application/pdf", size=101 * MB)
    for item in (photo, document):
        assert adapter.too_large(item)
        with pytest.raises(MediaTooLarge):
            await adapter.fetch(item)
    assert server.calls == []
    # Within each kind's limit: a 20 MB document is fine for WhatsApp (the flows have their own limits).
    assert not adapter.too_large(MediaItem("document", "d", "application/pdf", size=20 * MB))
    assert not adapter.too_large(MediaItem("photo", "p", "image/jpeg", size=4 * MB))


async def test_a_size_the_media_answer_gives_is_refused_before_the_download(
    server: FakeWhatsAppServer, adapter: WhatsAppAdapter
) -> None:
    media_id = server.add_media(b"%PDF-1.4", "application/pdf", declared_size=150 * MB)
    with pytest.raises(DownloadTooLarge):
        await adapter.fetch(MediaItem("document", media_id, "application/pdf"))
    assert [c.method for c in server.calls] == ["media_info"]


async def test_a_photo_bigger_than_announced_is_cut_off(server: FakeWhatsAppServer, adapter: WhatsAppAdapter) -> None:
    server.chunked_downloads = True
    media_id = server.add_media(b"\xff\xd8" + b"x" * (5 * MB + 10), "image/jpeg", declared_size=1000)
    with pytest.raises(MediaTooLarge):
        await adapter.fetch(MediaItem("photo", media_id, "image/jpeg"))


async def test_an_expired_url_is_asked_for_again(server: FakeWhatsAppServer, adapter: WhatsAppAdapter) -> None:
    media_id = server.add_media(b"\xff\xd8photo", "image/jpeg")
    server.fail_next("download", 100, "URL expired", status=404)
    assert await adapter.fetch(MediaItem("photo", media_id, "image/jpeg")) == b"\xff\xd8photo"
    assert [c.method for c in server.calls] == ["media_info", "download", "media_info", "download"]


async def test_media_meta_will_not_hand_over_is_unavailable(
    server: FakeWhatsAppServer, adapter: WhatsAppAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(MediaUnavailable) as caught:
        await adapter.fetch(MediaItem("photo", "404404", "image/jpeg"))
    assert [c.method for c in server.calls] == ["media_info"]  # an unknown id stays unknown: not asked again
    media_id = server.add_media(b"x", "image/jpeg")
    server.fail_next("download", 100, "gone", status=404, count=3)
    with pytest.raises(MediaUnavailable) as caught:
        await adapter.fetch(MediaItem("photo", media_id, "image/jpeg"))
    assert "/_media/" not in str(caught.value) and "HTTP 404" in str(caught.value)
    assert DEFAULT_TOKEN not in caplog.text


async def test_a_graph_api_away_is_unavailable(db: Database) -> None:
    async with WhatsAppClient(DEFAULT_TOKEN, DEFAULT_PHONE_NUMBER_ID, "http://127.0.0.1:9/v23.0") as wa:
        adapter = WhatsAppAdapter(wa, db, TestSender(wa, db), fetch_backoff=0.01)
        with pytest.raises(MediaUnavailable):
            await adapter.fetch(MediaItem("photo", "1", "image/jpeg"))
        await adapter.answered(text_incoming("whatsapp", WA, "x"))  # never raises


async def test_answered_marks_the_message_read(server: FakeWhatsAppServer, adapter: WhatsAppAdapter) -> None:
    incoming = Incoming("whatsapp", WA, Kind.TEXT, text="x", update_id="wamid.IN1")
    await adapter.answered(incoming)
    assert server.read == ["wamid.IN1"]
    server.fail_next("messages", 131000, "Something went wrong", status=500)
    await adapter.answered(incoming)  # logged, never raised
    await adapter.answered(Incoming("whatsapp", WA, Kind.TEXT, text="x", update_id="synthetic:abc"))
    assert server.read == ["wamid.IN1"]


async def test_acknowledge_is_nothing(adapter: WhatsAppAdapter, server: FakeWhatsAppServer) -> None:
    await adapter.acknowledge("x")
    assert server.calls == []


# ---- prepare ---------------------------------------------------------------------------------------------------
async def a_ketua(db: Database, external_id: str = WA, platform_user_id: str | None = None) -> int:
    async with db.unit_of_work() as session:
        person = Person(nama="Budi", role=Role.KETUA_RT)
        session.add(person)
        await session.flush()
        identity = ChannelIdentity(
            person_id=person.id, channel="whatsapp", external_id=external_id, platform_user_id=platform_user_id
        )
        session.add(identity)
        await session.flush()
        return identity.id


async def on_question(db: Database, version: int, choices: int = 12) -> None:
    async with db.unit_of_work() as session:
        state = ConversationState(channel="whatsapp", user_id=WA, flow="uji", step="pilih", data={}, version=version)
        session.add(state)
        await whatsapp_menus.remember(session, WA, version, [f"tahap:{n}" for n in range(1, choices + 1)])


def typed(text: str, update_id: str = "wamid.T1") -> Incoming:
    return Incoming("whatsapp", WA, Kind.TEXT, text=text, display_name="Budi", update_id=update_id)


async def test_a_typed_number_of_the_menu_on_screen_is_the_button(adapter: WhatsAppAdapter, db: Database) -> None:
    await on_question(db, version=7)
    assert await adapter.prepare(typed("12")) == Incoming(
        "whatsapp", WA, Kind.CHOICE, choice="tahap:12", token=7, display_name="Budi", update_id="wamid.T1"
    )
    assert (await adapter.prepare(typed(" 3. "))).choice == "tahap:3"
    for text in ("13", "0", "tiga", "12 KK"):
        assert await adapter.prepare(typed(text)) == typed(text)


async def test_a_menu_of_an_earlier_question_picks_nothing(adapter: WhatsAppAdapter, db: Database) -> None:
    await on_question(db, version=7)
    async with db.unit_of_work() as session:
        state = await session.get(ConversationState, {"channel": "whatsapp", "user_id": WA})
        state.version = 8  # the conversation moved on to a question without a menu ("How many KK?")
    assert await adapter.prepare(typed("7")) == typed("7")


async def test_prepare_touches_nothing_else(adapter: WhatsAppAdapter, db: Database) -> None:
    await on_question(db, version=7)
    for incoming in (
        Incoming("whatsapp", WA, Kind.CHOICE, choice="x", token=7),
        Incoming("whatsapp", WA, Kind.MEDIA, media=(MediaItem("photo", "1"),)),
        Incoming("whatsapp", "6289999", Kind.TEXT, text="1"),  # another person: no menu
    ):
        assert await adapter.prepare(incoming) == incoming


async def test_metas_user_id_is_kept_on_the_identity(offline: WhatsAppAdapter, db: Database) -> None:
    identity_id = await a_ketua(db)
    adapter = WhatsAppAdapter(offline.client, db, offline.sender)
    incoming = adapter.arrival(stored("extra_fields")).incoming  # wa_id and user_id both present
    assert await adapter.prepare(incoming) == incoming
    async with db.sessions() as session:
        assert (await session.get(ChannelIdentity, identity_id)).platform_user_id == USER_ID


async def test_a_message_with_only_the_user_id_reaches_the_person(offline: WhatsAppAdapter, db: Database) -> None:
    await a_ketua(db, platform_user_id="ID.8801234567890123")
    adapter = WhatsAppAdapter(offline.client, db, offline.sender)
    incoming = adapter.arrival(stored("username_user")).incoming
    assert incoming.user_id == "ID.8801234567890123"
    assert (await adapter.prepare(incoming)).user_id == WA  # answered on the identity registered with the number


async def test_prepare_never_raises(offline: WhatsAppAdapter, caplog: pytest.LogCaptureFixture) -> None:
    broken = Database("sqlite+aiosqlite:////nonexistent/dir/x.db")
    adapter = WhatsAppAdapter(offline.client, broken, offline.sender)
    with caplog.at_level(logging.ERROR):
        assert await adapter.prepare(typed("1")) == typed("1")
    assert "preparing failed" in caplog.text
    await broken.dispose()
