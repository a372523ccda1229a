"""WhatsApp webhooks under load (issue 11), run by `bench/updates.py --channel whatsapp`: the real web process
(`kampung-bahagia web`, a subprocess: the load generator must not share its CPU) takes signed webhook POSTs from
registered Ketua RT sending /menu, stores each and answers 200 while its drain runs the conversations behind and
sends the replies to the fake Graph API (tests/fakes/whatsapp_api.py, in this process). Prints
- the time to answer 200 at a steady rate (default 100 requests/s; p50/p95/p99/max; target p99 < 50 ms), and how
  many stored updates still waited for the drain right after the last of them;
- signed POSTs answered per second in a burst (as fast as `--concurrency` connections go);
- end to end, replies per second: from the burst's first POST until the fake has received every reply.
Every request is signed beforehand, so the generator does no hashing while it measures.
"""

import asyncio
import contextlib
import gc
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.common import SentCounter, database_url, percentile, prepare_database, wait_sent
from bot import heap
from services import inbound_queue
from services.db import Database
from tests.fakes.whatsapp_api import DEFAULT_PHONE_NUMBER_ID, DEFAULT_TOKEN, FakeWhatsAppServer

CHANNEL = "whatsapp"
FIRST_WA = 6281200000000  # Indonesian mobile numbers as Meta writes them (wa_id: digits, no plus)
PATH = "/webhook/whatsapp"
TEXT = "/menu"
STARTUP_SECONDS = 60.0


def wa_ids(chats: int) -> list[str]:
    return [str(FIRST_WA + i) for i in range(chats)]


def is_reply(call) -> bool:
    """A message the fake accepted (not a read receipt)."""
    return call.method == "messages" and call.error_code is None and call.params.get("status") != "read"


@dataclass(frozen=True)
class Signed:
    body: bytes
    headers: dict[str, str]


def signed_posts(fake: FakeWhatsAppServer, people: list[str], count: int) -> list[Signed]:
    """`count` text webhooks, one person after another in turn, each with its own message id, signed as Meta signs."""
    posts = []
    for i in range(count):
        body = json.dumps(fake.text_webhook(people[i % len(people)], TEXT)).encode()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": fake.signature(body)}
        posts.append(Signed(body, headers))
    return posts


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.asynccontextmanager
async def web_process(url: str, folder: Path, fake: FakeWhatsAppServer) -> AsyncIterator[str]:
    """`kampung-bahagia web` on a free port of 127.0.0.1, configured by its environment only (run from `folder`, so
    no `.env` is read); yields the webhook URL once the health check answers."""
    port = free_port()
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env |= {
        "DATABASE_URL": url,
        "DATA_DIR": str(folder),
        "MEDIA_DIR": str(folder / "media"),
        "SECRET_KEY": "bench",
        "LOG_LEVEL": "WARNING",
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "WHATSAPP_ACCESS_TOKEN": DEFAULT_TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": DEFAULT_PHONE_NUMBER_ID,
        "WHATSAPP_APP_SECRET": fake.app_secret,
        "WHATSAPP_API_URL": fake.api_url,
    }
    command = [sys.executable, "-m", "bot.cli", "web"]
    log_path = folder / "web.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_healthy(base, process, log_path)
        yield base + PATH
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, 20)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)
        _show_errors(log_path)


async def _wait_healthy(base: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.perf_counter() + STARTUP_SECONDS
    async with aiohttp.ClientSession() as session:
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the web process ended ({process.returncode}):\n{log_path.read_text()}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(base + "/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise TimeoutError(f"the web process did not answer within {STARTUP_SECONDS:.0f} s")


def _show_errors(log_path: Path) -> None:
    """The web process logs at WARNING: anything it said is worth seeing next to the numbers."""
    lines = log_path.read_text(errors="replace").splitlines()
    if lines:
        print(f"web process said ({len(lines)} lines, last 20):", file=sys.stderr)
        for line in lines[-20:]:
            print("  " + line, file=sys.stderr)


async def timed_post(session: aiohttp.ClientSession, url: str, post: Signed) -> float:
    """Milliseconds from sending the request until the whole 200 is read."""
    start = time.perf_counter()
    async with session.post(url, data=post.body, headers=post.headers) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"webhook answered {response.status}")
    return (time.perf_counter() - start) * 1000


async def steady(
    session: aiohttp.ClientSession, url: str, posts: list[Signed], rate: float
) -> tuple[list[float], float]:
    """One POST every 1/rate s, each sent on time whatever the earlier ones are doing (an open loop, as Meta sends).
    Returns the response times (ms) and how late the generator sent its latest request (ms): a sanity number."""
    tasks = []
    late = 0.0
    start = time.perf_counter()
    for i, post in enumerate(posts):
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        late = max(late, time.perf_counter() - due)
        tasks.append(asyncio.create_task(timed_post(session, url, post)))
    return list(await asyncio.gather(*tasks)), late * 1000


async def burst(session: aiohttp.ClientSession, url: str, posts: list[Signed], concurrency: int) -> None:
    """Every POST as fast as `concurrency` connections answer them."""
    queue = iter(posts)

    async def connection() -> None:
        for post in queue:
            await timed_post(session, url, post)

    await asyncio.gather(*(connection() for _ in range(concurrency)))


async def waiting(db: Database) -> int:
    async with db.unit_of_work() as session:
        return await inbound_queue.waiting(session, CHANNEL)


@dataclass
class Measured:
    replies_per_update: int
    latencies: list[float]
    late_ms: float
    waiting_after_steady: int
    caught_up_s: float  # from the steady phase's last answer until its last reply reached the fake
    burst_count: int
    answered_per_s: float
    replies_per_s: float
    updates_per_s: float


async def measure(
    settled_at: float,
    db: Database,
    fake: FakeWhatsAppServer,
    url: str,
    people: list[str],
    rate: float,
    seconds: float,
    count: int,
    concurrency: int,
) -> Measured:
    sent = SentCounter(fake, is_reply)
    for wa in people:
        fake.inbound(wa)  # each person wrote to us just now: their 24-hour window is open on the fake's side
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        # Warm up, not timed: every person once (first contact), the connections opened; how many replies a /menu gets.
        await burst(session, url, signed_posts(fake, people, len(people)), concurrency)
        await wait_sent(sent, len(people))
        await asyncio.sleep(1.0)
        per_update = round(sent() / len(people))

        # The web process freezes its start-up heap once, a few seconds after it starts (bot/heap.py): a one-time
        # pause of a few hundred ms that belongs to its start, not to its steady state. Measured after it.
        await asyncio.sleep(max(0.0, settled_at - time.perf_counter()))
        steady_posts = signed_posts(fake, people, int(rate * seconds))
        burst_posts = signed_posts(fake, people, count)
        gc.collect()
        gc.freeze()  # what was built so far (the fake's call log, the signed bodies) is not scanned again mid-run
        target = sent() + per_update * len(steady_posts)
        # The stopwatch must not stop: a collection in this process (the fake records every reply it receives)
        # would add its pause to every answer timed across it, a delay the web process did not cause.
        gc.disable()
        try:
            latencies, late = await steady(session, url, steady_posts, rate)
        finally:
            gc.enable()
        answered = time.perf_counter()
        left = await waiting(db)
        await wait_sent(sent, target)
        caught_up = time.perf_counter() - answered

        target = sent() + per_update * count
        start = time.perf_counter()
        await burst(session, url, burst_posts, concurrency)
        answered_in = time.perf_counter() - start
        await wait_sent(sent, target)
        replied_in = time.perf_counter() - start
        gc.unfreeze()
    return Measured(
        replies_per_update=per_update,
        latencies=latencies,
        late_ms=late,
        waiting_after_steady=left,
        caught_up_s=caught_up,
        burst_count=count,
        answered_per_s=count / answered_in,
        replies_per_s=per_update * count / replied_in,
        updates_per_s=count / replied_in,
    )


async def main(
    folder: Path,
    postgres_admin_url: str | None,
    *,
    chats: int,
    rate: float,
    seconds: float,
    count: int,
    concurrency: int,
) -> None:
    people = wa_ids(chats)
    async with FakeWhatsAppServer() as fake, database_url(folder, postgres_admin_url) as url:
        app = await prepare_database(url, folder, CHANNEL, people)
        try:
            async with web_process(url, folder, fake) as webhook:
                settled_at = time.perf_counter() + heap.SETTLE_AFTER_SECONDS + 1.0
                measured = await measure(settled_at, app.db, fake, webhook, people, rate, seconds, count, concurrency)
        finally:
            await app.db.dispose()
    report(measured, "PostgreSQL" if postgres_admin_url else "SQLite", rate, chats, concurrency)


def report(m: Measured, kind: str, rate: float, chats: int, concurrency: int) -> None:
    lat = m.latencies
    print(f"WhatsApp webhook, {kind}, web process `kampung-bahagia web`, {chats} Ketua RT sending {TEXT}")
    print(
        f"answer 200 at {rate:.0f} requests/s:  p50 {percentile(lat, 50):.1f} ms, p95 {percentile(lat, 95):.1f} ms, "
        f"p99 {percentile(lat, 99):.1f} ms, max {max(lat):.1f} ms over {len(lat)} POSTs  (target p99 < 50 ms)"
    )
    print(
        f"  stored updates still waiting right after: {m.waiting_after_steady}; the last reply "
        f"{m.caught_up_s:.2f} s after the last answer (generator at most {m.late_ms:.1f} ms late)"
    )
    print(f"burst of {m.burst_count} POSTs, {concurrency} connections: {m.answered_per_s:8.1f} requests/s answered")
    print(
        f"end to end (first POST → last reply at the fake): {m.replies_per_s:8.1f} replies/s "
        f"({m.updates_per_s:.1f} updates/s, {m.replies_per_update} reply each)"
    )
