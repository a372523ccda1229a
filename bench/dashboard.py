"""The dashboard at city scale, over HTTP: Ringkasan, the RT list (filtered), an RT's page, the exports.

Not a test: run `.venv/bin/python bench/dashboard.py` (SQLite, the default), or with
`--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres` for a throwaway PostgreSQL database made on
that server (dropped afterwards). Builds the demo roster of 1,583 RTs with both seats registered in most, every
stage reported in most RTs (a mix of approved, waiting and sent back), 30,000 media rows (real tiny files only for
one kelurahan, enough for its evidence pack), fund receipts and spending; starts `kampung-bahagia web` in a process
of its own, signs in an admin and a pendamping with one-time links, and prints median and p95 of each page over
`--runs` requests; then how long a page holds the web process's event loop (/healthz answered beside it).
`--services`: the same data through the services in this process, without HTTP or templates.
"""

import argparse
import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import func, insert, select

from bench.common import database_url, percentile
from bot import migrate
from services import roster, web_sessions, wilayah
from services.db import Database
from services.demo import demo_roster
from services.exports import evidence_pack, table_xlsx
from services.media import MediaStore
from services.models import (
    RT,
    ChannelIdentity,
    FundReceipt,
    Media,
    Person,
    ReportStatus,
    Role,
    Spending,
    StageReport,
    utcnow,
)
from services.overview import overview
from services.program import Program, load_program
from services.rt_filter import RTFilter, Sort
from services.rt_table import rt_row, rt_rows
from tests.images import jpeg

TODAY = date(2026, 11, 20)  # Kelompok A finished, Kelompok B in pelaksanaan: every status occurs
MEDIA_ROWS = 30_000
TARGET_MS = 200
SECRET_KEY = "bench"  # the web process's pepper is its SECRET_KEY: sign-in links made here open there


async def build(db: Database, program: Program, store: MediaStore, seed: int = 13) -> tuple[int, int]:
    """The city; returns (an RT id of the kelurahan with real files, that kelurahan's kode is in `SAMPLE`)."""
    rng = random.Random(seed)
    async with db.unit_of_work() as session:
        await wilayah.ensure_wilayah(session)
        rows = roster.validate_rows(demo_roster(), await roster.known_kelurahan(session), program)
        await roster.import_rows(session, rows, actor="bench")
        session.add(Person(nama="Admin", role=Role.ADMIN))
    async with db.unit_of_work() as session:
        rts = list(await session.execute(select(RT.id, RT.kelompok, RT.jumlah_kk, RT.kelurahan_kode).order_by(RT.id)))
        people = []
        for rt_id, *_ in rts:
            for role in (Role.KETUA_RT, Role.BENDAHARA):
                if rng.random() < 0.93:
                    people.append({"nama": f"{role} {rt_id}", "role": role, "rt_id": rt_id})
        await session.execute(insert(Person), people)
        ids = list(await session.execute(select(Person.id, Person.rt_id).where(Person.rt_id.is_not(None))))
        blocked = datetime(2026, 10, 1, tzinfo=UTC)
        await session.execute(
            insert(ChannelIdentity),
            [
                {"person_id": pid, "channel": "telegram", "external_id": str(pid),
                 "unreachable_at": blocked if rng.random() < 0.02 else None}
                for pid, _ in ids
            ],
        )  # fmt: skip
        submitter = {rt_id: pid for pid, rt_id in ids}
        reports = []
        for rt_id, kelompok, _, _ in rts:
            if rt_id not in submitter or rng.random() < 0.08:
                continue
            for stage in program.stages:
                if stage.first_month(kelompok) > TODAY.replace(day=1):
                    break
                status = rng.choices(
                    [ReportStatus.DISETUJUI, ReportStatus.MENUNGGU_TINJAUAN, ReportStatus.DIKEMBALIKAN], [8, 1, 1]
                )[0]
                answers = {}
                if stage.kode == "rembuk_warga":
                    answers = {"jumlah_hadir": rng.randint(40, 300), "jumlah_kk_hadir": rng.randint(20, 110)}
                elif stage.kode == "pemetaan_swadaya":
                    answers = {"swadaya_rupiah": rng.randint(0, 50) * 100_000, "swadaya_barang": "semen"}
                reports.append(
                    {"rt_id": rt_id, "stage_key": stage.kode, "status": status, "happened_on": stage.first_month(
                     kelompok), "answers": answers, "submitted_by_id": submitter[rt_id]}
                )  # fmt: skip
        await session.execute(insert(StageReport), reports)
        report_rows = list(
            await session.execute(select(StageReport.id, StageReport.rt_id, StageReport.stage_key, StageReport.status))
        )
        sample_kelurahan = rts[0][3]
        sample = {rt_id for rt_id, _, _, kel in rts if kel == sample_kelurahan}
        media = []
        files = 0
        for i in range(MEDIA_ROWS):
            report_id, rt_id, stage_key, _ = report_rows[i % len(report_rows)]
            if rt_id in sample and files < 200:
                sha, path = store.write(session, jpeg(i % 50), ".jpg")
                files += 1
            else:
                sha, path = f"{i:064x}", f"{i % 256:02x}/{i:064x}.jpg"
            media.append(
                {"sha256": sha, "path": path, "size": 600, "mime_type": "image/jpeg", "kind": "photo",
                 "rt_id": rt_id, "stage_key": stage_key, "report_id": report_id}
            )  # fmt: skip
        await session.execute(insert(Media), media)
        receipts, spending = [], []
        jumlah_kk = {rt_id: kk for rt_id, _, kk, _ in rts}
        for report_id, rt_id, stage_key, _status in report_rows:
            if stage_key != "pencairan_dana":
                continue
            allocation = program.allocation(jumlah_kk[rt_id])
            # One in ten differs from the allocation (or the RT has no KK count): the mismatches to flag.
            amount = (allocation or 70_000_000) - (1_000_000 if rng.random() < 0.1 else 0)
            receipts.append(
                {"rt_id": rt_id, "amount": amount, "expected_amount": allocation, "received_on": TODAY,
                 "report_id": report_id, "recorded_by_id": submitter[rt_id]}
            )  # fmt: skip
            for n in range(3):
                spending.append(
                    {"rt_id": rt_id, "amount": rng.randint(1, 50) * 200_000, "description": f"Belanja {n}",
                     "bidang": "penataan_lingkungan", "spent_on": TODAY, "recorded_by_id": submitter[rt_id]}
                )  # fmt: skip
        await session.execute(insert(FundReceipt), receipts)
        await session.execute(insert(Spending), spending)
    async with db.unit_of_work() as session:
        counts = {m.__name__: await session.scalar(select(func.count()).select_from(m)) for m in
                  (RT, Person, StageReport, Media, FundReceipt, Spending)}  # fmt: skip
    print("built:", ", ".join(f"{name} {count:,}" for name, count in counts.items()))
    return min(sample), sample_kelurahan


def process_cpu(pid: int | None) -> float:
    """CPU seconds a process has used so far (user + system), from /proc; this process's own when pid is None."""
    if pid is None:
        return time.process_time()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    name: str, runs: int, work: Callable[[], Awaitable[object]], target: float | None = None, pid: int | None = None
) -> None:
    """Wall time, and CPU time of the process doing the work (this one, or the web process `pid`) per run: on a
    shared machine the wall time also counts waiting for a core, the CPU time only the work itself."""
    await work()  # warm: imports, caches, the first connection
    times = []
    cpu_start = process_cpu(pid)
    for _ in range(runs):
        start = time.perf_counter()
        await work()
        times.append((time.perf_counter() - start) * 1000)
    cpu = (process_cpu(pid) - cpu_start) * 1000 / runs
    median, p95 = percentile(times, 50), percentile(times, 95)
    goal = f"  target median < {target:.0f} ms: {'ok' if median < target else 'MISSED'}" if target else ""
    print(f"{name:<46} median {median:7.1f} ms  p95 {p95:7.1f} ms  (CPU {cpu:6.1f} ms a run)  {runs} runs{goal}")


async def services_mode(db: Database, program: Program, store: MediaStore, folder: Path, runs: int,
                        rt_id: int, kelurahan: str) -> None:  # fmt: skip
    """The services alone, in this process: what the pages cost before HTTP and templates."""
    async with db.unit_of_work() as session:
        admin = await session.scalar(select(Person).where(Person.role == Role.ADMIN))
        pendamping = await session.scalar(select(Person).where(Person.role == Role.PENDAMPING).order_by(Person.id))

    def timed(call):
        async def work():
            async with db.unit_of_work() as session:
                return await call(session)

        return work

    async def xlsx(session):
        path = await table_xlsx(session, program, admin, RTFilter(), TODAY, Sort(), {}, folder=folder)
        path.unlink()

    async def pack(session):
        path = await evidence_pack(session, program, store, admin, TODAY, {}, kelurahan=kelurahan, folder=folder)
        path.unlink()

    filtered = RTFilter(kecamatan="15.71.02", status="overdue")
    city_wide = RTFilter(stage="lpj", status="overdue")
    await measure("overview (admin, whole city)", runs, timed(lambda s: overview(s, program, admin, TODAY)))
    await measure("rt_rows page 1 (admin, no filter)", runs,
                  timed(lambda s: rt_rows(s, program, admin, RTFilter(), TODAY)), TARGET_MS)  # fmt: skip
    await measure("rt_rows filtered, sorted by balance (admin)", runs,
                  timed(lambda s: rt_rows(s, program, admin, filtered, TODAY, Sort("balance", True))),
                  TARGET_MS)  # fmt: skip
    await measure("rt_rows city-wide: LPJ overdue, by progress", runs,
                  timed(lambda s: rt_rows(s, program, admin, city_wide, TODAY, Sort("progress"))),
                  TARGET_MS)  # fmt: skip
    mine = timed(lambda s: rt_rows(s, program, pendamping, RTFilter(), TODAY))
    await measure("rt_rows (a pendamping, 25 RTs)", runs, mine, TARGET_MS)
    await measure("rt_row: one RT (admin)", runs, timed(lambda s: rt_row(s, program, admin, rt_id, TODAY)))
    await measure("XLSX export of every RT (admin)", runs, timed(xlsx))
    await measure("evidence pack ZIP of a kelurahan", max(5, runs // 5), timed(pack))


# --- over HTTP ------------------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def web_process(url: str, folder: Path) -> AsyncIterator[tuple[str, int]]:
    """`kampung-bahagia web` in a process of its own (the requests must not share its CPU), on a free port; the
    program clock set to TODAY. Yields its base URL and process id once /healthz answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env |= {
        "DATABASE_URL": url,
        "DATA_DIR": str(folder / "data"),
        "MEDIA_DIR": str(folder / "media"),
        "SECRET_KEY": SECRET_KEY,
        "LOG_LEVEL": "WARNING",
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "SIMULATED_START": f"{TODAY.isoformat()}T09:00:00",
    }
    log_path = folder / "web.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "web"], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            for _ in range(300):
                if process.poll() is not None:
                    raise RuntimeError(f"the web process ended:\n{log_path.read_text()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, 20)
        except subprocess.TimeoutExpired:
            process.kill()
        said = log_path.read_text(errors="replace").splitlines()
        if said:
            print(f"web process said ({len(said)} lines, last 10):", *said[-10:], sep="\n  ", file=sys.stderr)


async def signed_in(db: Database, base: str, person: Person) -> httpx.AsyncClient:
    """A browser with this person's session, signed in as they would: a link from the bot, opened."""
    async with db.unit_of_work() as session:
        token = await web_sessions.issue_link(
            session, await session.get(Person, person.id), SECRET_KEY.encode(), now=utcnow(), actor="bench"
        )
    client = httpx.AsyncClient(base_url=base, timeout=120)
    opened = await client.get(web_sessions.LINK_PATH + token)
    assert opened.status_code == 303, opened.text
    return client


async def loop_hold(client: httpx.AsyncClient, health: httpx.AsyncClient, path: str, runs: int) -> None:
    """How long the web process's event loop is held by one request: /healthz asked every 5 ms on its own
    connection while `path` is served; the slowest /healthz answer is (about) the longest stretch the loop could
    serve nobody else."""
    worst = []
    for _ in range(runs):
        done = asyncio.Event()
        answers = []

        async def ask_health(done: asyncio.Event = done, answers: list[float] = answers) -> None:
            while not done.is_set():
                start = time.perf_counter()
                await health.get("/healthz")
                answers.append((time.perf_counter() - start) * 1000)
                await asyncio.sleep(0.005)

        prober = asyncio.create_task(ask_health())
        await client.get(path)
        done.set()
        await prober
        worst.append(max(answers))
    print(f"  /healthz during {path:<40} slowest answer: median {percentile(worst, 50):7.1f} ms, "
          f"p95 {percentile(worst, 95):7.1f} ms")  # fmt: skip


async def http_mode(db: Database, base: str, pid: int, runs: int, rt_id: int, kelurahan: str) -> None:
    async with db.unit_of_work() as session:
        admin = await session.scalar(select(Person).where(Person.role == Role.ADMIN))
        pendamping = await session.scalar(select(Person).where(Person.role == Role.PENDAMPING).order_by(Person.id))
    browser = await signed_in(db, base, admin)
    theirs = await signed_in(db, base, pendamping)
    health = httpx.AsyncClient(base_url=base)
    try:

        def get(client: httpx.AsyncClient, path: str):
            async def work():
                response = await client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                return response

            return work

        pages = [
            ("Ringkasan (admin, whole city)", "/", None),
            ("RT list page 1 (admin)", "/rt", TARGET_MS),
            ("RT list: kecamatan + overdue, by balance", "/rt?kecamatan=15.71.02&status=overdue&sort=-balance",
             TARGET_MS),
            ("RT list city-wide: LPJ overdue, by progress", "/rt?stage=lpj&status=overdue&sort=progress", TARGET_MS),
            ("RT page (admin)", f"/rt/{rt_id}", None),
            ("CSV of every RT", "/rt/ekspor.csv", None),
            ("XLSX of every RT", "/rt/ekspor.xlsx", None),
        ]  # fmt: skip
        for name, path, target in pages:
            await measure(name, runs, get(browser, path), target, pid)
        await measure("RT list (a pendamping, 25 RTs)", runs, get(theirs, "/rt"), TARGET_MS, pid)
        await measure(
            "evidence pack ZIP of a kelurahan",
            max(5, runs // 5),
            get(browser, f"/kelurahan/{kelurahan}/bukti.zip"),
            None,
            pid,
        )
        print("event loop of the web process (one request at a time, /healthz beside it):")
        await loop_hold(browser, health, "/rt", 10)
        await loop_hold(browser, health, "/rt?stage=lpj&status=overdue&sort=progress", 10)
        await loop_hold(browser, health, "/", 10)
        await loop_hold(browser, health, "/rt/ekspor.xlsx", 5)
    finally:
        for client in (browser, theirs, health):
            await client.aclose()


async def main(runs: int, postgres_admin_url: str | None, services: bool) -> None:
    program = load_program()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        async with database_url(folder, postgres_admin_url) as url:
            await asyncio.to_thread(migrate.upgrade, url)
            db = Database(url)
            store = MediaStore(folder / "media")
            try:
                rt_id, kelurahan = await build(db, program, store)
                kind = "PostgreSQL" if postgres_admin_url else "SQLite"
                if services:
                    print(f"database: {kind}; services called in this process; today {TODAY}")
                    await services_mode(db, program, store, folder, runs, rt_id, kelurahan)
                else:
                    print(f"database: {kind}; HTTP to `kampung-bahagia web` (its own process); today {TODAY}")
                    print("(wall time as the browser waits; CPU: the web process's, a run on average)")
                    async with web_process(url, folder) as (base, pid):
                        await http_mode(db, base, pid, runs, rt_id, kelurahan)
            finally:
                await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help="admin URL of a PostgreSQL server to make a database on")
    parser.add_argument("--runs", type=int, default=50, help="runs of each measurement")
    parser.add_argument("--services", action="store_true", help="call the services in this process, no HTTP")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.postgres, arguments.services))
