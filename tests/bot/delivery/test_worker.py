import asyncio
import itertools
import time

from sqlalchemy import select

from bot.delivery.worker import ChannelWorker, WorkerConfig
from services import delivery
from services.db import Database
from services.models import ChannelIdentity, OutboxMessage, Person
from services.program import Program
from tests.bot.delivery.conftest import FAST, deliveries, run_until_done, unfinished
from tests.people import Town, add_person, build_town

CHATS = 1000


async def _broadcast(db: Database, program: Program, count: int, *, town: Town | None = None) -> tuple[Town, int]:
    town = town or await build_town(db, program)
    # Pendamping: many recipients, and an RT has only one Ketua RT.
    people = [await add_person(db, "pendamping", chat=CHATS + n) for n in range(count)]
    async with db.unit_of_work() as session:
        broadcast, _queued = await delivery.queue_broadcast(
            session,
            text="Rapat koordinasi Sabtu",
            recipients=people,
            payload={"text": "Rapat koordinasi Sabtu"},
            created_by="test",
            created_by_id=town.dewi.id,
        )
    return town, broadcast.id


async def _statuses(db: Database) -> dict[str, int]:
    async with db.unit_of_work() as session:
        rows = list(await session.scalars(select(OutboxMessage.status)))
    return {status: rows.count(status) for status in set(rows)}


async def test_every_recipient_gets_it_once_and_the_sender_a_report(db, program, server, sender):
    await _broadcast(db, program, 30)
    await run_until_done(db, sender)
    counts = deliveries(server)
    assert all(counts[CHATS + n] == 1 for n in range(30))
    report = [m["text"] for m in server.sent_messages(9)]  # Dewi, the sender, has chat 9
    assert report == ["Siaran “Rapat koordinasi Sabtu” selesai: terkirim ke 30 dari 30 penerima."]
    assert await _statuses(db) == {"sent": 31}


async def test_rates_overall_and_per_chat_cause_no_429(db, program, server, sender):
    server.enforce_rate(30, 1)
    await _broadcast(db, program, 45)
    async with db.unit_of_work() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == "1"))
        for n in range(3):  # three notifications for one Ketua RT: one a second
            await delivery.enqueue_once(session, identity, {"text": f"catatan {n}"}, dedupe_key=f"n{n}")
    started = time.monotonic()
    await run_until_done(db, sender, WorkerConfig(per_second=30, per_chat_per_second=1, poll_interval=0.05))
    elapsed = time.monotonic() - started
    assert server.count_429 == 0
    assert elapsed >= (45 + 3 - 15) / 30  # half a second of burst, then 30 a second
    own = [c for c in server.calls if c.params.get("chat_id") == 1 and c.error_code is None]
    assert [c.params["text"] for c in own] == ["catatan 0", "catatan 1", "catatan 2"]  # in order
    assert all(b.timestamp - a.timestamp >= 1.0 for a, b in itertools.pairwise(own))


async def test_a_429_storm_pauses_the_channel_and_loses_nothing(db, program, server, sender):
    await _broadcast(db, program, 20)
    server.fail_next("sendMessage", count=6, retry_after=1)
    started = time.monotonic()
    worker = await run_until_done(db, sender)
    assert time.monotonic() - started >= 1.0  # retry_after honoured
    counts = deliveries(server)
    assert [counts[CHATS + n] for n in range(20)] == [1] * 20
    assert server.count_429 == 6 and worker.stats["retry_after"] == 6
    async with db.unit_of_work() as session:
        assert set(await session.scalars(select(OutboxMessage.attempts))) == {1}  # a 429 costs no attempt


async def test_a_blocked_chat_is_unreachable_counted_and_not_retried(db, program, server, sender):
    server.block_chat(CHATS + 3)
    await _broadcast(db, program, 10)
    await run_until_done(db, sender)
    assert sum(1 for c in server.calls if c.params.get("chat_id") == CHATS + 3) == 1
    async with db.unit_of_work() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == str(CHATS + 3)))
        assert identity.unreachable_at is not None and "blocked" in identity.unreachable_reason
    report = server.sent_messages(9)[-1]["text"]
    assert "terkirim ke 9 dari 10 penerima" in report
    assert "1 penerima memblokir bot" in report


async def test_a_message_failing_every_time_is_failed_with_its_reason(db, program, server, sender):
    town = await build_town(db, program)
    async with db.unit_of_work() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == "1"))
        await delivery.enqueue_once(session, identity, {"text": "halo"}, dedupe_key="x")
    server.fail_next("sendMessage", count=3, error_code=400, description="Bad Request: can't parse entities")
    config = WorkerConfig(per_second=500, per_chat_per_second=50, poll_interval=0.05, backoff=0.05, max_attempts=3)
    worker = await run_until_done(db, sender, config)
    assert worker.stats == {**worker.stats, "failed": 1, "errors": 2}
    async with db.unit_of_work() as session:
        row = await session.scalar(select(OutboxMessage))
    assert (row.status, row.attempts, row.error) == (
        "failed",
        3,
        "Telegram server says - Bad Request: can't parse entities",
    )
    assert town


async def test_a_reply_of_several_messages_resumes_where_a_429_stopped_it(db, program, server, sender, tmp_path):
    await build_town(db, program)
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "a.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    async with db.unit_of_work() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == "1"))
        payload = {"text": "Foto laporan", "choices": [], "attachments": [["photo", "a.jpg"]]}
        await delivery.enqueue_once(session, identity, payload, dedupe_key="x")
    server.fail_next("sendMessage", count=1, retry_after=1)
    await run_until_done(db, sender)
    sent = server.sent_messages(1)
    assert [m["_method"] for m in sent] == ["sendPhoto", "sendMessage"]  # the photo went once


async def test_a_clean_stop_hands_claimed_rows_back_and_a_restart_finishes(db, program, server, sender):
    await _broadcast(db, program, 40)
    stop = asyncio.Event()
    worker = ChannelWorker(db, sender, WorkerConfig(per_second=20, per_chat_per_second=5, poll_interval=0.05))
    task = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.8)
    stop.set()
    await task
    statuses = await _statuses(db)
    assert "sending" not in statuses and 0 < statuses.get("sent", 0) < 41
    await run_until_done(db, sender)
    assert await unfinished(db) == 0
    counts = deliveries(server)
    assert [counts[CHATS + n] for n in range(40)] == [1] * 40


async def test_only_its_own_channel_is_delivered(db, program, server, sender):
    town = await build_town(db, program)
    await add_person(db, "ketua_rt", person_id=town.ketua_a.id, chat=77, channel="console")
    async with db.unit_of_work() as session:
        person = await session.get(Person, town.ketua_a.id)
        console = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.channel == "console"))
        await delivery.enqueue_once(session, console, {"text": "di terminal"}, dedupe_key="c")
    stop = asyncio.Event()
    task = asyncio.create_task(ChannelWorker(db, sender, FAST).run(stop))
    await asyncio.sleep(0.3)
    stop.set()
    await task
    assert server.sent_messages() == [] and person
    assert await _statuses(db) == {"pending": 1}
