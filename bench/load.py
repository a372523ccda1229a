"""City-scale load (issue 14): the morning after a reminder, every RT at once, over Telegram webhooks.

Not a test: `.venv/bin/python bench/load.py` (SQLite, one `kampung-bahagia run` process in webhook mode), or with
`--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres` (a throwaway database on that server, dropped
afterwards; two `kampung-bahagia web` processes and one `kampung-bahagia worker`). The bot runs as on 15 October 2026
(SIMULATED_START), a month where every step below is open.

Who arrives (Poisson arrivals over `--minutes`, default 5), each in their own Telegram chat on the fake Bot API
server (tests/fakes/telegram_api.py, in this process), each person's updates always POSTed to the same web process
(people alternate between the two):
- `--chairs` Ketua RT (default 1,583, the city): /start with their invitation code, /kk with a count and "Simpan",
  /lapor Sosialisasi "Hari ini" with an album of two photos, "Selesai kirim", "Kirim";
- `--treasurers` Bendahara Pokja (default 200, of RTs of their own whose stages before the funds are approved):
  /start with their code, /dana, the RT's allocation, "Hari ini", a photo of the transfer, "Simpan";
- `--pendamping` (default 20, those of the first chairs' RTs): /start with their code, then /tinjau and "Setujui"
  on every waiting report, coming back every 20–40 s until everyone else is done.
Like people, each waits for the bot's answer (and a think time, `--think` seconds on average) before the next
message. The time of a step is from the POST of the person's message to the send of the answer it waited for, as the
fake server recorded it (a send to that chat that says what the step expects).

Prints p50/p95/p99/max over every step and per kind of step, the errors (a webhook answered other than 200, an
answer saying something went wrong, a person who did not finish), the messages never answered within `--timeout`
(lost), the answers sent twice (duplicates), the database and media folder sizes at the end and the wall time.
The album step includes the bot's deliberate 1.5 s wait for an album's last photo (ALBUM_QUIET), so it is also
left out of a second overall line.
"""

import argparse
import asyncio
import contextlib
import gc
import itertools
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from sqlalchemy import select, text

from bench.common import database_url, percentile
from bot import heap, migrate
from bot.channels.inbound import ALBUM_QUIET
from bot.channels.telegram.webhook import PATH, SECRET_HEADER
from services import invitations, roster, wilayah
from services.db import Database
from services.demo import demo_roster
from services.models import RT, Person, ReportStatus, Role, StageReport
from services.program import Program, load_program
from tests.fakes.telegram_api import DEFAULT_TOKEN, EDIT_METHODS, SEND_METHODS, FakeTelegramServer
from tests.images import jpeg

SIMULATED_START = "2026-10-15T09:00:00"  # WIB; sosialisasi is overdue for both Kelompok, Kelompok B's funds month
SECRET = "load-bench-secret"
SECRET_KEY = "load-bench-key"
CLI = Path(sys.executable).parent / "kampung-bahagia"
FIRST_CHAT = 5_000_000
STARTUP_SECONDS = 90.0
SETTLE_SECONDS = 3.0  # after everyone finished: anything sent twice would have been sent by now
WENT_WRONG = "terjadi kesalahan"  # both of the engine's "Sorry, something went wrong" answers
EMPTY_QUEUE = "Tidak ada laporan yang menunggu diperiksa."
ALBUM = "album of 2 photos"
ANSWERED = SEND_METHODS | EDIT_METHODS
LOGS: Path | None = None  # --logs: where the processes' whole logs are copied


# ---- what the fake server sent, per chat --------------------------------------------------------------------------
@dataclass
class Sent:
    at: float  # time.monotonic(), as the fake recorded it
    method: str
    params: dict[str, Any]

    @property
    def text(self) -> str:
        parts = [self.params.get("text") or "", self.params.get("caption") or ""]
        parts += [item.get("caption") or "" for item in self.params.get("media") or [] if isinstance(item, dict)]
        return "\n".join(part for part in parts if part)

    def has_button(self, label: str) -> bool:
        markup = self.params.get("reply_markup")
        rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
        return any(label.lower() in button.get("text", "").lower() for row in rows for button in row)


class LoadServer(FakeTelegramServer):
    """The fake Bot API server, also keeping each chat's sends apart so a person waits on their own chat only."""

    def __init__(self) -> None:
        super().__init__()
        self.by_chat: dict[int, list[Sent]] = defaultdict(list)
        self.changed: dict[int, asyncio.Event] = defaultdict(asyncio.Event)

    def _record(self, method: str, params: dict[str, Any], error_code: int | None) -> None:
        super()._record(method, params, error_code)
        chat = params.get("chat_id")
        if error_code is None and method.lower() in ANSWERED and isinstance(chat, int):
            self.by_chat[chat].append(Sent(time.monotonic(), method, params))
            event, self.changed[chat] = self.changed[chat], asyncio.Event()
            event.set()


# ---- the results --------------------------------------------------------------------------------------------------
@dataclass
class Results:
    steps: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # kind → seconds
    http_errors: Counter = field(default_factory=Counter)  # status → count
    went_wrong: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # messages never answered
    stuck: list[str] = field(default_factory=list)  # answers without the button the person had to press
    unfinished: Counter = field(default_factory=Counter)  # role → people
    finished: Counter = field(default_factory=Counter)
    duplicates: int = 0
    reviewed: int = 0
    wall: float = 0.0  # from the first arrival to the last answer
    last_done: Counter = field(default_factory=Counter)  # role → seconds after the start its last person finished
    lag: list[float] = field(default_factory=list)  # how late this process's own loop woke up (seconds)


class Lost(Exception):
    """No answer in time: the person gives up."""


class WentWrong(Exception):
    """The bot answered that something went wrong."""


# ---- one simulated person -----------------------------------------------------------------------------------------
class Actor:
    """One person in their chat, posting to one web process, waiting for each answer like a human."""

    def __init__(self, run: "Run", chat: int, role: str, webhook: str) -> None:
        self.run, self.chat, self.role, self.webhook = run, chat, role, webhook
        self.server = run.server
        self.window_start = 0  # index into the chat's sends where the current step's answers begin

    async def think(self) -> None:
        await asyncio.sleep(self.run.rng.uniform(0.5, 1.5) * self.run.think)

    async def post(self, update: dict) -> None:
        """POST like Telegram: a non-200 counts as an error and is delivered again a second later."""
        update = {"update_id": next(self.run.update_ids), **update}
        for _attempt in range(5):
            try:
                async with self.run.http.post(self.webhook, json=update, headers={SECRET_HEADER: SECRET}) as response:
                    await response.read()
                    if response.status == 200:
                        return
                    self.run.results.http_errors[str(response.status)] += 1
            except aiohttp.ClientError as error:
                self.run.results.http_errors[type(error).__name__] += 1
            await asyncio.sleep(1.0)
        raise Lost(f"webhook refused {update['update_id']} five times")

    def close_window(self) -> None:
        """The answers since the last message: the same answer twice is a duplicate."""
        sends = self.server.by_chat[self.chat][self.window_start :]
        seen = Counter((s.method, s.text, repr(s.params.get("reply_markup"))) for s in sends if s.text)
        self.run.results.duplicates += sum(n - 1 for n in seen.values())
        self.window_start = len(self.server.by_chat[self.chat])

    async def step(self, kind: str, updates: list[dict], expect: Callable[[Sent], bool]) -> Sent:
        """Post the updates (one message, or an album's photos), then wait for a send that `expect`s."""
        self.close_window()
        start = time.monotonic()
        for update in updates:
            await self.post(update)
        sends = self.server.by_chat[self.chat]
        index = self.window_start
        deadline = start + self.run.timeout
        while True:
            while index < len(sends):
                sent = sends[index]
                index += 1
                if WENT_WRONG in sent.text:
                    self.run.results.went_wrong.append(f"{self.role} {self.chat} {kind}: {sent.text[:80]}")
                    self.run.results.steps[f"{self.role}: {kind} — went wrong"].append(sent.at - start)
                    raise WentWrong(kind)
                if expect(sent):
                    self.run.results.steps[f"{self.role}: {kind}"].append(sent.at - start)
                    return sent
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                got = [s.text[:60] for s in sends[self.window_start :]]
                self.run.results.lost.append(f"{self.role} {self.chat} {kind}: answers {got}")
                raise Lost(kind)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.server.changed[self.chat].wait(), remaining)

    async def say(self, kind: str, words: str, expect: Callable[[Sent], bool]) -> Sent:
        return await self.again(lambda: self._say(kind, words, expect))

    async def press(self, kind: str, label: str, expect: Callable[[Sent], bool]) -> Sent:
        return await self.again(lambda: self._press(kind, label, expect))

    async def photos(self, kind: str, contents: list[bytes], expect: Callable[[Sent], bool]) -> Sent:
        return await self.again(lambda: self._photos(kind, contents, expect))

    async def again(self, attempt: Callable[[], Any]) -> Sent:
        """Told that something went wrong, a person does it once more (as the answer asks); a second time they
        give up."""
        try:
            return await attempt()
        except WentWrong:
            return await attempt()

    async def _say(self, kind: str, words: str, expect: Callable[[Sent], bool]) -> Sent:
        await self.think()
        return await self.step(kind, [self.server.message_update(self.chat, words)], expect)

    async def _press(self, kind: str, label: str, expect: Callable[[Sent], bool]) -> Sent:
        """Press the button whose label contains `label` on the bot's latest message that has one."""
        await self.think()
        for message in reversed(self.server.chat_log(self.chat)):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if label.lower() in button["text"].lower():
                        update = self.server.callback_update(self.chat, button["callback_data"], message["message_id"])
                        return await self.step(kind, [update], expect)
        self.run.results.stuck.append(f"{self.role} {self.chat} {kind}: no button {label!r}")
        raise Lost(kind)

    async def _photos(self, kind: str, contents: list[bytes], expect: Callable[[Sent], bool]) -> Sent:
        """Photos as Telegram delivers them: several make an album (one media_group_id), one update each."""
        await self.think()
        first = next(self.run.file_ids)
        group = f"album-{first}" if len(contents) > 1 else None
        updates = []
        for n, content in enumerate(contents):
            file_id = f"photo-{first}-{n}"
            self.server.add_file(file_id, content)
            updates.append(self.server.photo_update(self.chat, file_id, media_group_id=group))
        return await self.step(kind, updates, expect)


def says(fragment: str) -> Callable[[Sent], bool]:
    return lambda sent: fragment in sent.text


def button(label: str) -> Callable[[Sent], bool]:
    return lambda sent: sent.has_button(label)


def card_or_empty(sent: Sent) -> bool:
    return sent.has_button("Setujui") or EMPTY_QUEUE in sent.text


# ---- the people and what they do --------------------------------------------------------------------------------
@dataclass
class Chair:
    chat: int
    code: str
    kk: int
    photos: list[bytes]
    role: ClassVar[str] = "ketua"

    async def play(self, p: Actor, _others_done: asyncio.Event) -> None:
        await p.say("/start CODE", f"/start {self.code}", says("Pendaftaran berhasil"))
        await p.say("/kk", "/kk", says("Ada berapa KK"))
        await p.say("KK count", str(self.kk), button("Simpan"))
        await p.press("Simpan KK", "Simpan", says("sekarang:"))
        await p.say("/lapor", "/lapor", button("Sosialisasi"))
        await p.press("stage Sosialisasi", "Sosialisasi", button("Hari ini"))
        await p.press("Hari ini", "Hari ini", says("Sekarang kirim bukti"))
        await p.photos(ALBUM, self.photos, says(f"Sudah diterima: {len(self.photos)} foto"))
        await p.press("Selesai kirim", "Selesai", button("Kirim"))
        await p.press("Kirim", "Kirim", says("menunggu diperiksa"))


@dataclass
class Treasurer:
    chat: int
    code: str
    amount: int
    proof: bytes
    role: ClassVar[str] = "bendahara"

    async def play(self, p: Actor, _others_done: asyncio.Event) -> None:
        await p.say("/start CODE", f"/start {self.code}", says("Pendaftaran berhasil"))
        await p.say("/dana", "/dana", says("Berapa dana"))
        await p.say("amount", f"{self.amount:,}".replace(",", "."), says("Tanggal berapa"))
        await p.press("Hari ini", "Hari ini", says("Kirim satu foto bukti"))
        await p.photos("proof photo", [self.proof], button("Simpan"))
        await p.press("Simpan", "Simpan", says("sudah disimpan"))


@dataclass
class Pendamping:
    chat: int
    code: str
    role: ClassVar[str] = "pendamping"

    async def play(self, p: Actor, others_done: asyncio.Event) -> None:
        """Approves whatever waits, comes back every 20–40 s, and once more after everyone else is done."""
        await p.say("/start CODE", f"/start {self.code}", says("Pendaftaran berhasil"))
        while True:
            last_visit = others_done.is_set()
            answer = await p.say("/tinjau", "/tinjau", card_or_empty)
            while answer.has_button("Setujui"):
                answer = await p.press("Setujui", "Setujui", card_or_empty)
                p.run.results.reviewed += 1
            if last_visit:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(others_done.wait(), p.run.rng.uniform(20, 40))


# ---- the run ------------------------------------------------------------------------------------------------------
@dataclass
class Run:
    server: LoadServer
    http: aiohttp.ClientSession
    think: float
    timeout: float
    rng: random.Random
    results: Results = field(default_factory=Results)
    update_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    file_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    people: list[Actor] = field(default_factory=list)
    start: float = 0.0


async def arrive(
    run: Run, who: Chair | Treasurer | Pendamping, webhook: str, at: float, others_done: asyncio.Event
) -> None:
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    p = Actor(run, who.chat, who.role, webhook)
    run.people.append(p)
    try:
        await who.play(p, others_done)
        run.results.finished[who.role] += 1
        run.results.last_done[who.role] = max(run.results.last_done[who.role], time.monotonic() - run.start)
    except (Lost, WentWrong):
        run.results.unfinished[who.role] += 1


def arrivals(rng: random.Random, count: int, seconds: float, start: float) -> list[float]:
    """Poisson arrivals: exponential gaps at count/seconds a second, squeezed to end within the period."""
    gaps = list(itertools.accumulate(rng.expovariate(1.0) for _ in range(count)))
    scale = seconds / gaps[-1] if gaps and gaps[-1] > 0 else 0.0
    return [start + gap * scale for gap in gaps]


async def watch_lag(results: Results, every: float = 0.05) -> None:
    """The generator shares the machine: how late its own loop wakes tells how far its timing can be trusted."""
    while True:
        due = time.monotonic() + every
        await asyncio.sleep(every)
        results.lag.append(time.monotonic() - due)


async def generate(
    server: LoadServer,
    webhooks: list[str],
    people: tuple[list[Chair], list[Treasurer], list[Pendamping]],
    seconds: float,
    think: float,
    timeout: float,
) -> Results:
    """Everyone arrives and plays their part; each person's updates go to one web process, people alternating."""
    chairs, treasurers, pendamping = people
    rng = random.Random(14)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        run = Run(server, http, think, timeout, rng)
        watcher = asyncio.create_task(watch_lag(run.results))
        start = run.start = time.monotonic() + 0.5
        others_done = asyncio.Event()
        everyone: list[Chair | Treasurer] = [*chairs, *treasurers]
        rng.shuffle(everyone)
        when = arrivals(rng, len(everyone), seconds, start)
        others = [
            asyncio.create_task(arrive(run, who, webhooks[i % len(webhooks)], when[i], others_done))
            for i, who in enumerate(everyone)
        ]
        reviewers = [
            asyncio.create_task(
                arrive(run, who, webhooks[i % len(webhooks)], start + rng.uniform(0, seconds), others_done)
            )
            for i, who in enumerate(pendamping)
        ]
        await asyncio.gather(*others)
        others_done.set()
        await asyncio.gather(*reviewers)
        run.results.wall = time.monotonic() - start
        watcher.cancel()
        await asyncio.sleep(SETTLE_SECONDS)
        for p in run.people:  # what came after each person's last answer
            p.close_window()
    return run.results


# ---- set-up: the database, the people, their codes ---------------------------------------------------------------
async def prepare(
    url: str, chairs: int, treasurers: int, pendamping: int, photo_size: tuple[int, int]
) -> tuple[list[Chair], list[Treasurer], list[Pendamping]]:
    """The demo roster with an RT for every chair and every treasurer; the treasurers' RTs have every stage before
    the funds approved. Invitation codes made through services/invitations.py, as `invite create` makes them."""
    await asyncio.to_thread(migrate.upgrade, url)
    program = load_program()
    db = Database(url)
    rng = random.Random(2026)
    try:
        async with db.unit_of_work() as session:
            await wilayah.ensure_wilayah(session)
            table = demo_roster(rts=chairs + treasurers)
            rows = roster.validate_rows(table, await roster.known_kelurahan(session), program)
            await roster.import_rows(session, rows, actor="bench")
            rts = list(await session.scalars(select(RT).order_by(RT.id)))
            chair_rts, treasurer_rts = rts[:chairs], rts[chairs : chairs + treasurers]
        return await _people(db, program, rng, chair_rts, treasurer_rts, pendamping, photo_size)
    finally:
        await db.dispose()


async def _people(
    db: Database,
    program: Program,
    rng: random.Random,
    chair_rts: list[RT],
    treasurer_rts: list[RT],
    pendamping: int,
    photo_size: tuple[int, int],
) -> tuple[list[Chair], list[Treasurer], list[Pendamping]]:
    pepper = SECRET_KEY.encode()  # what the processes make of SECRET_KEY (Settings.invitation_pepper)
    chat = itertools.count(FIRST_CHAT)
    photo = itertools.count(1)
    chairs, treasurers, reviewers = [], [], []
    async with db.unit_of_work() as session:
        for i, rt in enumerate(chair_rts):
            rt = await session.get(RT, rt.id)
            issued = await invitations.create_invitation(
                session, pepper, role=Role.KETUA_RT, created_by="bench", rt=rt, nama=f"Ketua RT {i}"
            )
            kk = (rt.jumlah_kk or rng.randint(40, 160)) + rng.choice((-2, -1, 1, 2))
            photos = [jpeg(next(photo), photo_size) for _ in range(2)]
            chairs.append(Chair(next(chat), issued.code, kk, photos))
        for i, rt in enumerate(treasurer_rts):
            rt = await session.get(RT, rt.id)
            if rt.jumlah_kk is None:
                rt.jumlah_kk = rng.randint(40, 160)
            reporter = Person(nama=f"Ketua contoh {i}", role=Role.KETUA_RT, rt_id=rt.id)
            session.add(reporter)
            await session.flush()
            for stage in program.stages[: program.stage_order("pencairan_dana")]:
                session.add(
                    StageReport(
                        rt_id=rt.id,
                        stage_key=stage.kode,
                        status=ReportStatus.DISETUJUI,
                        happened_on=stage.first_month(rt.kelompok),
                        answers={},
                        submitted_by_id=reporter.id,
                    )
                )
            issued = await invitations.create_invitation(
                session, pepper, role=Role.BENDAHARA, created_by="bench", rt=rt, nama=f"Bendahara {i}"
            )
            amount = program.allocation(rt.jumlah_kk)
            treasurers.append(Treasurer(next(chat), issued.code, amount, jpeg(next(photo), photo_size)))
        seen: list[int] = []
        for rt in chair_rts:
            if rt.pendamping_id is not None and rt.pendamping_id not in seen:
                seen.append(rt.pendamping_id)
        for person_id in seen[:pendamping]:
            person = await session.get(Person, person_id)
            issued = await invitations.create_invitation(
                session, pepper, role=Role.PENDAMPING, created_by="bench", person=person
            )
            reviewers.append(Pendamping(next(chat), issued.code))
    return chairs, treasurers, reviewers


# ---- the processes ------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(url: str, folder: Path, server: FakeTelegramServer, port: int) -> dict[str, str]:
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return env | {
        "DATABASE_URL": url,
        "DATA_DIR": str(folder / "data"),
        "MEDIA_DIR": str(folder / "media"),  # one folder for every process, as production requires
        "SECRET_KEY": SECRET_KEY,
        "LOG_LEVEL": "WARNING",
        "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_API_URL": server.base_url,
        "TELEGRAM_WEBHOOK_URL": "https://bot.example.id/webhook/telegram",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_BOT_USERNAME": "kampung_bahagia_bot",
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "SIMULATED_START": SIMULATED_START,
    }


@dataclass
class Process:
    name: str
    handle: subprocess.Popen
    log: Path


@contextlib.asynccontextmanager
async def processes(url: str, folder: Path, server: FakeTelegramServer, postgres: bool) -> AsyncIterator[list[str]]:
    """SQLite: `run` (webhook, drain, worker, clock in one). PostgreSQL: two `web`, one `worker`. Yields the webhook
    URLs once every web process answers its health check."""
    commands = [("web", free_port()), ("web", free_port()), ("worker", None)] if postgres else [("run", free_port())]
    started: list[Process] = []
    webhooks = []
    try:
        for n, (command, port) in enumerate(commands):
            log = folder / f"{command}-{n}.log"
            env = environment(url, folder, server, port or free_port())
            with log.open("wb") as sink:
                handle = subprocess.Popen(
                    [str(CLI), command], cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=sink,
                    stderr=subprocess.STDOUT,
                )  # fmt: skip
            started.append(Process(f"{command}-{n}", handle, log))
            if port is not None:
                base = f"http://127.0.0.1:{port}"
                await _wait_healthy(base, started[-1])
                webhooks.append(base + PATH)
        yield webhooks
    finally:
        for process in started:
            if process.handle.poll() is None:
                process.handle.send_signal(signal.SIGTERM)
        for process in started:
            try:
                await asyncio.to_thread(process.handle.wait, 30)
            except subprocess.TimeoutExpired:
                process.handle.kill()
                await asyncio.to_thread(process.handle.wait)
            _show_log(process)


async def _wait_healthy(base: str, process: Process) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.handle.poll() is not None:
                raise RuntimeError(f"{process.name} ended ({process.handle.returncode}):\n{process.log.read_text()}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(base + "/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{process.name} did not answer within {STARTUP_SECONDS:.0f} s")


def _show_log(process: Process) -> None:
    """The processes log at WARNING: whatever they said belongs next to the numbers (whole with --logs)."""
    if LOGS is not None:
        LOGS.mkdir(parents=True, exist_ok=True)
        shutil.copy(process.log, LOGS / process.log.name)
    lines = process.log.read_text(errors="replace").splitlines()
    if lines:
        print(f"{process.name} said ({len(lines)} lines, last 15):", file=sys.stderr)
        for line in lines[-15:]:
            print("  " + line[:300], file=sys.stderr)


# ---- sizes --------------------------------------------------------------------------------------------------------
def folder_bytes(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
    return sum(p.stat().st_size for p in files), len(files)


async def database_bytes(url: str, folder: Path) -> int:
    if url.startswith("sqlite"):
        return sum(p.stat().st_size for p in folder.glob("bench.db*"))
    db = Database(url)
    try:
        async with db.sessions() as session:
            return await session.scalar(text("SELECT pg_database_size(current_database())"))
    finally:
        await db.dispose()


def megabytes(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


# ---- main ---------------------------------------------------------------------------------------------------------
async def main(arguments: argparse.Namespace, folder: Path) -> None:
    kind = "PostgreSQL, 2 × `web` + 1 × `worker`" if arguments.postgres else "SQLite, 1 × `run`"
    size = (arguments.photo_width, arguments.photo_width * 3 // 4)
    async with LoadServer() as server, database_url(folder, arguments.postgres) as url:
        chairs, treasurers, pendamping = await prepare(
            url, arguments.chairs, arguments.treasurers, arguments.pendamping, size
        )
        async with processes(url, folder, server, arguments.postgres is not None) as webhooks:
            await asyncio.sleep(heap.SETTLE_AFTER_SECONDS + 1.0)  # the processes' one start-up heap freeze is over
            gc.collect()
            gc.freeze()
            results = await generate(
                server,
                webhooks,
                (chairs, treasurers, pendamping),
                arguments.minutes * 60,
                arguments.think,
                arguments.timeout,
            )
        database = await database_bytes(url, folder)
        media, files = folder_bytes(folder / "media")
    report(results, len(pendamping), kind, arguments, results.wall, database, media, files, size)


def line(name: str, values: list[float]) -> str:
    if not values:
        return f"  {name:<34} —"
    ms = [v * 1000 for v in values]
    return (
        f"  {name:<34} p50 {percentile(ms, 50):6.0f} ms  p95 {percentile(ms, 95):6.0f} ms  "
        f"p99 {percentile(ms, 99):6.0f} ms  max {max(ms):6.0f} ms  ({len(ms)})"
    )


def report(
    r: Results,
    reviewers: int,
    kind: str,
    a: argparse.Namespace,
    wall: float,
    database: int,
    media: int,
    files: int,
    size: tuple[int, int],
) -> None:
    everything = [v for values in r.steps.values() for v in values]
    no_album = [v for key, values in r.steps.items() if not key.endswith(ALBUM) for v in values]
    print(
        f"City-scale load, Telegram webhooks, {kind}: {a.chairs} Ketua RT, {a.treasurers} bendahara, "
        f"{a.pendamping} pendamping arriving over {a.minutes:g} min (think time ~{a.think:g} s, photos "
        f"{size[0]}×{size[1]} JPEG)"
    )
    print("time from a person's message to the bot's answer:")
    print(line("every step", everything))
    print(line(f"without the album (waits {ALBUM_QUIET.total_seconds():g} s)", no_album))
    for key in sorted(r.steps):
        print(line(key, r.steps[key]))
    errors = sum(r.http_errors.values()) + len(r.went_wrong) + sum(r.unfinished.values())
    print(
        f"errors: {errors} — webhook not 200: {sum(r.http_errors.values())} {dict(r.http_errors) or ''}; "
        f"'something went wrong' answers: {len(r.went_wrong)} (each tried once more); "
        f"people who did not finish: {sum(r.unfinished.values())} {dict(r.unfinished) or ''}"
    )
    for problem in (r.went_wrong + r.stuck + r.lost)[:10]:
        print("  " + problem)
    print(
        f"lost (never answered within {a.timeout:g} s): {len(r.lost)};  "
        f"duplicates (an answer sent twice): {r.duplicates}"
    )
    last = ", ".join(f"{role} {seconds:.0f} s" for role, seconds in sorted(r.last_done.items()))
    print(f"finished: {dict(r.finished)} (the last at: {last}); reports approved by the pendamping: {r.reviewed}")
    if reviewers < a.pendamping:
        print(f"  (only {reviewers} pendamping have RTs among the chairs' {a.chairs})")
    print(f"database at the end: {megabytes(database)};  media folder: {megabytes(media)} in {files} files")
    print(f"wall time: {wall:.1f} s ({wall / 60:.1f} min) from the first arrival to the last answer")
    if r.lag:
        lag = [v * 1000 for v in r.lag]
        print(
            f"(the generator's own loop woke late by p99 {percentile(lag, 99):.0f} ms, max {max(lag):.0f} ms: "
            "its timing is no better than that)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chairs", type=int, default=1583)
    parser.add_argument("--treasurers", type=int, default=200)
    parser.add_argument("--pendamping", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=5.0, help="the period over which people arrive")
    parser.add_argument("--think", type=float, default=2.0, help="seconds a person takes before each message, mean")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds after which a message counts as lost")
    parser.add_argument("--photo-width", type=int, default=640, help="width of the photos sent (4:3)")
    parser.add_argument(
        "--postgres", metavar="ADMIN_URL", help="PostgreSQL server URL (a role that may create databases)"
    )
    parser.add_argument("--logs", type=Path, help="a folder to keep the processes' whole logs in")
    arguments = parser.parse_args()
    LOGS = arguments.logs
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(main(arguments, Path(folder)))
