"""The real delivery worker with the WhatsApp policy and sender, against the fake Graph API, on both databases:
the 24-hour window, templates (and their count), the daily quota, and each Graph error the policy acts on."""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.channels.whatsapp.client import WhatsAppClient
from bot.channels.whatsapp.delivery import NO_ANSWER, PolicySettings, policy_factory
from bot.channels.whatsapp.sender import WhatsAppSender
from bot.delivery.progress import ProgressReporter
from bot.delivery.worker import ChannelWorker, WorkerConfig
from handlers.messages import Reply
from handlers.payload import payload_of
from services import delivery, whatsapp_delivery, whatsapp_usage
from services.db import Database
from services.models import RT, ChannelIdentity, OutboxMessage, Person, utcnow
from services.program import Program
from tests.fakes.whatsapp_api import DEFAULT_PHONE_NUMBER_ID, DEFAULT_TOKEN, FakeWhatsAppServer
from tests.people import load_rts

PAUSE = 0.3  # the sender's pauses for 130429 / 131056, short for the tests


@pytest.fixture
async def server() -> AsyncIterator[FakeWhatsAppServer]:
    async with FakeWhatsAppServer() as srv:
        yield srv


@pytest.fixture
async def sender(server: FakeWhatsAppServer, db: Database, tmp_path: Path) -> AsyncIterator[WhatsAppSender]:
    client = WhatsAppClient(DEFAULT_TOKEN, DEFAULT_PHONE_NUMBER_ID, server.api_url, timeout=5.0)
    wa = WhatsAppSender(client, tmp_path / "media", db, throughput_pause=PAUSE, pair_rate_pause=PAUSE)
    yield wa
    await wa.close()


@pytest.fixture
async def rt(db: Database, program: Program) -> RT:
    rts = await load_rts(db, program, [(1, "A", "Dewi")])
    return next(iter(rts.values()))


def config(**policy) -> WorkerConfig:
    settings = PolicySettings(**{"recheck": timedelta(seconds=0.2), **policy})
    return WorkerConfig(
        per_second=500, per_chat_per_second=50, poll_interval=0.05, backoff=0.05, policy=policy_factory(settings)
    )


async def person(
    db: Database, server: FakeWhatsAppServer, rt: RT | None, wa: str, *, inside: bool, nama: str = "Budi Santoso"
) -> ChannelIdentity:
    """A Ketua RT on WhatsApp who wrote an hour ago (inside) or never (outside their window)."""
    async with db.unit_of_work() as session:
        someone = Person(nama=nama, role="ketua_rt" if rt else "pendamping", rt_id=rt.id if rt else None)
        session.add(someone)
        await session.flush()
        last = utcnow() - timedelta(hours=1) if inside else None
        identity = ChannelIdentity(person_id=someone.id, channel="whatsapp", external_id=wa, last_inbound_at=last)
        session.add(identity)
    if inside:
        server.inbound(wa, time.time() - 3600)
    return identity


async def queue(db: Database, identity: ChannelIdentity, text: str, purpose: str | None = None, **extra) -> int:
    async with db.unit_of_work() as session:
        payload = {**payload_of(Reply(text), purpose=purpose), **extra}
        return await delivery.enqueue_once(session, identity, payload, dedupe_key=f"t:{text}:{identity.external_id}")


async def row(db: Database, row_id: int) -> OutboxMessage:
    async with db.unit_of_work() as session:
        return await session.get(OutboxMessage, row_id)


async def rows(db: Database) -> list[OutboxMessage]:
    async with db.unit_of_work() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def identity_of(db: Database, wa: str) -> ChannelIdentity:
    async with db.unit_of_work() as session:
        return await session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == wa))


async def usage(db: Database) -> dict[str, int]:
    async with db.unit_of_work() as session:
        return {u.template: u.count for u in await whatsapp_usage.usage(session)}


async def run_until(
    db: Database,
    sender: WhatsAppSender,
    cfg: WorkerConfig,
    done: Callable[[], Awaitable[bool]],
    *,
    timeout: float = 30,
    settle: float = 0.3,
) -> ChannelWorker:
    """Run the worker until `done()` holds (and a little longer, to catch anything sent twice)."""
    stop = asyncio.Event()
    lock = asyncio.Lock()
    reporter = ProgressReporter(db, lock, interval=0.05)
    worker = ChannelWorker(db, sender, cfg, db_lock=lock, on_broadcast=reporter.touched)
    tasks = asyncio.gather(worker.run(stop), reporter.run(stop))
    try:
        async with asyncio.timeout(timeout):
            while not await done():
                await asyncio.sleep(0.05)
            await asyncio.sleep(settle)
    finally:
        stop.set()
        await tasks
    return worker


def status_is(db: Database, row_id: int, *statuses: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await row(db, row_id)).status in statuses

    return check


# ---- the window ---------------------------------------------------------------------------------------------
async def test_inside_the_window_it_goes_free_form_and_costs_nothing(db, server, sender, rt) -> None:
    budi = await person(db, server, rt, "6281", inside=True)
    row_id = await queue(db, budi, "Laporan Rembuk warga disetujui.", "pemberitahuan")
    await run_until(db, sender, config(), status_is(db, row_id, "sent"))
    [body] = server.sent("6281")
    assert body["type"] == "text" and body["text"]["body"] == "Laporan Rembuk warga disetujui."
    sent = await row(db, row_id)
    assert (sent.template, sent.platform_message_id) == (None, server.wamids("6281")[0])
    assert await usage(db) == {}


async def test_outside_the_window_it_goes_as_its_purposes_template_counted(db, server, sender, rt) -> None:
    budi = await person(db, server, rt, "6282", inside=False)
    row_id = await queue(db, budi, "📢 Rapat koordinasi\nSabtu pukul 09.00", "pemberitahuan")
    await run_until(db, sender, config(), status_is(db, row_id, "sent"))
    [body] = server.sent("6282")
    template = body["template"]
    assert template["name"] == "kb_pemberitahuan" and template["language"] == {"code": "id"}
    values = [p["text"] for p in template["components"][0]["parameters"]]
    assert values == ["RT 001 Kel. Simpang IV Sipin", "📢 Rapat koordinasi Sabtu pukul 09.00"]
    sent = await row(db, row_id)
    assert (sent.template, sent.platform_message_id) == ("kb_pemberitahuan", server.wamids("6282")[0])
    assert await usage(db) == {"kb_pemberitahuan": 1}
    assert server.refused() == []


async def test_a_monthly_reminder_outside_the_window_fills_the_reminder_template(db, server, sender, rt) -> None:
    budi = await person(db, server, rt, "6283", inside=False)
    facts = {"template_facts": {"month": "Mei 2026", "stages": "Rembuk warga, Kemajuan pekerjaan"}}
    row_id = await queue(db, budi, "Pengingat Mei", "pengingat_bulanan", **facts)
    await run_until(db, sender, config(), status_is(db, row_id, "sent"))
    [body] = server.sent("6283")
    values = [p["text"] for p in body["template"]["components"][0]["parameters"]]
    assert values == ["Budi Santoso", "Mei 2026", "RT 001 Kel. Simpang IV Sipin", "Rembuk warga, Kemajuan pekerjaan"]
    buttons = [c for c in body["template"]["components"] if c["type"] == "button"]
    assert [b["parameters"][0]["payload"] for b in buttons] == ["0:cmd:lapor", "0:cmd:jadwal"]
    assert await usage(db) == {"kb_pengingat_bulanan": 1}


async def test_without_a_purpose_the_opener_goes_once_and_the_messages_follow_the_answer(db, server, sender, rt):
    budi = await person(db, server, rt, "6284", inside=False)
    first = await queue(db, budi, "Pendamping meminta perbaikan foto.")
    second = await queue(db, budi, "Catatan kedua.")

    async def opener_out() -> bool:
        payloads = [(await row(db, r)).payload for r in (first, second)]
        return len(server.sent("6284")) == 1 and all("_opener_at" in p for p in payloads)

    await run_until(db, sender, config(), opener_out)
    [opener] = server.sent("6284")
    assert opener["template"]["name"] == "kb_buka_percakapan"
    assert [p["text"] for p in opener["template"]["components"][0]["parameters"]] == [
        "Budi Santoso",
        "RT 001 Kel. Simpang IV Sipin",
    ]
    assert [(r.status, r.template) for r in await rows(db)] == [
        ("pending", None),
        ("pending", None),
        ("sent", "kb_buka_percakapan"),
    ]
    assert await usage(db) == {"kb_buka_percakapan": 1}
    # The person presses "Lanjutkan": the window opens, the inbound side says so, the messages go free-form.
    server.inbound("6284")
    async with db.unit_of_work() as session:
        (await session.get(ChannelIdentity, budi.id)).last_inbound_at = utcnow()
        assert await whatsapp_delivery.window_opened(session, "6284") == 2
    both_sent = status_is(db, second, "sent")
    await run_until(db, sender, config(recheck=timedelta(hours=1)), both_sent)
    texts = [b["text"]["body"] for b in server.sent("6284")[1:]]
    assert texts == ["Pendamping meminta perbaikan foto.", "Catatan kedua."]
    assert (await row(db, first)).status == "sent"
    assert await usage(db) == {"kb_buka_percakapan": 1}


async def test_a_message_nobody_answers_the_opener_for_is_given_up(db, server, sender, rt) -> None:
    budi = await person(db, server, rt, "6285", inside=False)
    row_id = await queue(db, budi, "Halo")
    await run_until(db, sender, config(patience=timedelta(seconds=0.5)), status_is(db, row_id, "failed"))
    assert (await row(db, row_id)).error == NO_ANSWER
    assert len(server.sent("6285")) == 1  # the one opener, never a second


async def test_131047_because_the_window_closed_meanwhile_falls_back_to_the_template(db, server, sender, rt) -> None:
    budi = await person(db, server, rt, "6286", inside=True)
    server.last_inbound.pop("6286")  # Meta's clock: the window has closed; our record still says open
    row_id = await queue(db, budi, "Laporan dikembalikan: foto buram.", "pemberitahuan")
    await run_until(db, sender, config(), status_is(db, row_id, "sent"))
    assert [c.error_code for c in server.refused()] == [131047]
    [body] = server.sent("6286")
    assert body["template"]["name"] == "kb_pemberitahuan"
    assert (await row(db, row_id)).template == "kb_pemberitahuan"
    assert await usage(db) == {"kb_pemberitahuan": 1}


async def test_a_failed_status_131047_after_accept_sends_it_again_as_a_template(db, server, sender, rt) -> None:
    budi = await person(db, server, rt, "6287", inside=True)
    row_id = await queue(db, budi, "Laporan disetujui.", "pemberitahuan")
    await run_until(db, sender, config(), status_is(db, row_id, "sent"))
    # Later the webhook says: failed, 131047 (Meta's window had closed). Our record still says it is open.
    async with db.unit_of_work() as session:
        accepted = await session.get(OutboxMessage, row_id)
        outcome = await whatsapp_delivery.failed_after_accept(session, accepted, 131047, "Re-engagement message")
    assert outcome.action == "template"
    await run_until(db, sender, config(), status_is(db, row_id, "sent"))
    assert [b["type"] for b in server.sent("6287")] == ["text", "template"]
    assert (await row(db, row_id)).template == "kb_pemberitahuan"


# ---- Graph errors ---------------------------------------------------------------------------------------------
async def test_130429_slows_the_channel_down_and_loses_nothing(db, server, sender, rt) -> None:
    people = [await person(db, server, None, f"6290{n}", inside=True) for n in range(6)]
    ids = [await queue(db, p, f"Pesan {n}", "pemberitahuan") for n, p in enumerate(people)]
    server.fail_next("messages", 130429, "Rate limit hit", count=2)
    started = time.monotonic()

    async def all_sent() -> bool:
        return all([(await row(db, i)).status == "sent" for i in ids])

    worker = await run_until(db, sender, config(), all_sent)
    assert time.monotonic() - started >= PAUSE
    assert worker.stats["retry_after"] == 2
    assert sorted(len(server.sent(f"6290{n}")) for n in range(6)) == [1] * 6
    assert {(await row(db, i)).attempts for i in ids} == {1}  # a slow-down costs no attempt


async def test_131056_holds_back_only_that_person(db, server, sender, rt) -> None:
    siti = await person(db, server, None, "62911", inside=True)
    budi = await person(db, server, rt, "62912", inside=True)
    held = await queue(db, siti, "Untuk Siti", "pemberitahuan")
    server.fail_next("messages", 131056, "Pair rate limit hit")
    others = [await queue(db, budi, f"Untuk Budi {n}", "pemberitahuan") for n in range(3)]
    worker = await run_until(db, sender, config(), status_is(db, held, "sent"))
    assert worker.stats["pair_rate"] == 1 and worker.stats["retry_after"] == 0
    assert not worker.throttle.paused
    accepted = [c for c in server.calls if c.method == "messages" and c.error_code is None]
    budi_times = [c.timestamp for c in accepted if c.params["to"] == "62912"]
    siti_time = next(c.timestamp for c in accepted if c.params["to"] == "62911")
    assert len(budi_times) == 3 and max(budi_times) < siti_time  # Budi's messages did not wait for Siti's
    assert (await row(db, held)).attempts == 1
    assert all([(await row(db, o)).status == "sent" for o in others])


async def test_131026_marks_the_number_retries_later_and_a_delivery_clears_it(db, server, sender, rt) -> None:
    budi = await person(db, server, rt, "62921", inside=True)
    row_id = await queue(db, budi, "Halo", "pemberitahuan")
    server.fail_next("messages", 131026, "Message undeliverable")

    async def marked() -> bool:
        return (await row(db, row_id)).error is not None

    await run_until(db, sender, config(undeliverable_wait=timedelta(hours=1)), marked, settle=0)
    waiting = await row(db, row_id)
    assert waiting.status == "pending" and waiting.next_attempt_at > utcnow() + timedelta(minutes=50)
    identity = await identity_of(db, "62921")
    assert identity.undeliverable_at is not None and "131026" in identity.undeliverable_reason
    assert not identity.undeliverable_reason.startswith("transient")
    async with db.unit_of_work() as session:
        (await session.get(OutboxMessage, row_id)).next_attempt_at = utcnow()
    await run_until(db, sender, config(), status_is(db, row_id, "sent"))
    assert (await identity_of(db, "62921")).undeliverable_at is None


async def test_131049_every_time_fails_within_the_attempts(db, server, sender, rt) -> None:
    budi = await person(db, server, rt, "62922", inside=True)
    row_id = await queue(db, budi, "Halo", "pemberitahuan")
    server.fail_next("messages", 131049, "Not delivered to maintain healthy ecosystem", count=3)
    cfg = config(undeliverable_wait=timedelta(seconds=0.1), max_attempts=3)
    await run_until(db, sender, cfg, status_is(db, row_id, "failed"))
    assert (await row(db, row_id)).attempts == 3
    assert len([c for c in server.calls if c.method == "messages"]) == 3
    assert (await identity_of(db, "62922")).undeliverable_at is not None


async def test_a_malformed_request_fails_once_without_a_loop(db, server, sender, rt) -> None:
    budi = await person(db, server, rt, "62931", inside=True)
    row_id = await queue(db, budi, "Halo", "pemberitahuan")
    server.fail_next("messages", 100, "Invalid parameter", count=5)
    worker = await run_until(db, sender, config(), status_is(db, row_id, "failed"), settle=0.5)
    failed = await row(db, row_id)
    assert failed.attempts == 1 and "100" in failed.error
    assert len([c for c in server.calls if c.method == "messages"]) == 1
    assert worker.stats["failed"] == 1


# ---- the daily quota ------------------------------------------------------------------------------------------
async def test_the_251st_person_outside_the_window_waits_for_a_free_slot(db, server, sender, rt) -> None:
    people = [await person(db, server, None, f"628{n:05d}", inside=False, nama=f"P{n}") for n in range(251)]
    ids = [await queue(db, p, f"Siaran {n}", "pemberitahuan") for n, p in enumerate(people)]

    async def settled() -> bool:
        found = await rows(db)
        return sum(r.status == "sent" for r in found) == 250 and all(r.status != "sending" for r in found)

    started = utcnow()
    await run_until(db, sender, config(daily_limit=250), settled, timeout=60)
    assert len(server.sent()) == 250 and await usage(db) == {"kb_pemberitahuan": 250}
    [late] = [r for r in await rows(db) if r.status == "pending"]
    assert late.id == ids[-1] and late.attempts == 0
    first_sent = min(r.sent_at for r in await rows(db) if r.sent_at)
    assert started + timedelta(hours=23) < late.next_attempt_at <= first_sent + timedelta(hours=24, seconds=2)
    # Someone already reached today costs nothing more: their next template goes at once.
    again = await queue(db, people[0], "Siaran susulan", "pemberitahuan")
    await run_until(db, sender, config(daily_limit=250), status_is(db, again, "sent"))
    assert (await row(db, ids[-1])).status == "pending"
