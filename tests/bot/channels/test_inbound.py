"""The neutral inbound core with a channel that is not Telegram: the seam a WhatsApp adapter plugs into.

The adapter here is as thin as a real one must be (raw payload → `Arrival`); the sender collects what it is asked to
send. Everything in between — duplicate claims, albums, ordering, too-large notices, the direct answer — is the real
core against a real database.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from bot.bootstrap import App
from bot.channels.base import Sender, SendResult
from bot.channels.inbound import Arrival, InboundAdapter, InboundProcessor
from bot.settings import Settings
from handlers.incoming_text import text_incoming
from handlers.messages import Incoming, Kind, MediaItem, Reply
from services.db import Database
from services.program import Program

CHANNEL = "plain"
LIMIT_MB = 7


@dataclass
class CollectingSender:
    channel: str = CHANNEL
    sent: list[tuple[str, Reply]] = field(default_factory=list)

    async def send(self, external_id: str, reply: Reply) -> SendResult:
        return (await self.send_from(external_id, reply, 0))[0]

    async def send_from(self, external_id: str, reply: Reply, start: int) -> tuple[SendResult, int]:
        self.sent.append((external_id, reply))
        return SendResult(ok=True), start + 1

    async def send_file(self, external_id: str, path: str, kind: str) -> SendResult:
        return await self.send(external_id, Reply("", attachments=((kind, path),)))

    async def alive(self) -> bool:
        return True

    async def close(self) -> None:
        pass


@dataclass
class PlainAdapter:
    """Raw updates are dicts: {"id", "from", "text"} or {"id", "from", "photo": (ref, size), "group", "n"}."""

    sender: CollectingSender = field(default_factory=CollectingSender)
    channel: str = CHANNEL
    max_download_mb: int = LIMIT_MB
    send_timeout: float = 5.0
    acknowledged: list[str] = field(default_factory=list)
    answered_to: list[Incoming] = field(default_factory=list)

    async def fetch(self, item: MediaItem) -> bytes:
        return b"\xff\xd8jpeg"

    def arrival(self, raw: dict) -> Arrival:
        user = str(raw["from"])
        if "photo" in raw:
            ref, size = raw["photo"]
            media = (MediaItem("photo", ref, "image/jpeg", size, f"{ref}.jpg"),)
            incoming = Incoming(CHANNEL, user, Kind.MEDIA, media=media, update_id=str(raw["id"]))
        else:
            incoming = replace(text_incoming(CHANNEL, user, raw["text"]), update_id=str(raw["id"]))
        return Arrival(raw["id"], user, incoming, raw.get("group"), raw.get("n", 0), raw.get("ack"))

    def too_large(self, item: MediaItem) -> bool:
        return item.size is not None and item.size > LIMIT_MB * 1024 * 1024

    async def acknowledge(self, token: str) -> None:
        self.acknowledged.append(token)

    async def answered(self, incoming: Incoming) -> None:
        self.answered_to.append(incoming)

    async def prepare(self, incoming: Incoming) -> Incoming:
        return incoming


@pytest.fixture
async def core(database_url: str, program: Program, pepper: bytes, tmp_path: Path) -> AsyncIterator[InboundProcessor]:
    settings = Settings(
        _env_file=None, database_url=database_url, data_dir=tmp_path / "data", media_dir=tmp_path / "media"
    )
    db = Database(database_url)
    yield InboundProcessor(PlainAdapter(), App(settings, program, db, pepper).engine())
    await db.dispose()


def test_the_adapter_and_sender_meet_the_contracts() -> None:
    adapter: InboundAdapter[dict] = PlainAdapter()  # a type checker holds this line to the Protocol
    assert isinstance(adapter.sender, Sender)


async def test_a_message_is_answered_once_however_often_it_comes(core: InboundProcessor) -> None:
    adapter: PlainAdapter = core.adapter
    message = {"id": "m1", "from": "62811", "text": "/bantuan", "ack": "press-1"}
    assert await core.process(message)
    assert not await core.process(message)  # the platform delivered it again
    await core.process_batch([message, message])
    assert [user for user, _reply in adapter.sender.sent] == ["62811"]
    assert adapter.acknowledged == ["press-1"]
    assert [incoming.update_id for incoming in adapter.answered_to] == ["m1"]


async def test_an_album_is_one_message_in_the_order_sent_before_what_came_after(core: InboundProcessor) -> None:
    adapter: PlainAdapter = core.adapter
    batch = [
        {"id": "p2", "from": "62812", "photo": ("b", 10), "group": "g", "n": 2},
        {"id": "p1", "from": "62812", "photo": ("a", 10), "group": "g", "n": 1},
        {"id": "t", "from": "62812", "text": "/bantuan"},
    ]
    await core.process_batch(batch)
    album, text = adapter.answered_to
    assert [item.ref for item in album.media] == ["a", "b"]
    assert text.update_id == "t"
    assert await core.flush_albums() == 0  # nothing left waiting


async def test_a_file_over_the_limit_is_refused_with_the_channels_limit(core: InboundProcessor) -> None:
    adapter: PlainAdapter = core.adapter
    await core.process({"id": "big", "from": "62813", "photo": ("x", (LIMIT_MB + 1) * 1024 * 1024)})
    [(_user, notice)] = adapter.sender.sent
    assert f"{LIMIT_MB} MB" in notice.text


async def test_a_payload_the_adapter_cannot_read_harms_nothing_else(core: InboundProcessor) -> None:
    adapter: PlainAdapter = core.adapter
    await core.process_batch([{"id": "broken"}, {"id": "ok", "from": "62814", "text": "/bantuan"}])
    assert [user for user, _reply in adapter.sender.sent] == ["62814"]
    assert await core.process({"nothing": "here"})  # a webhook answers 200: sending it again would not help
