"""The whole program step over Telegram with the real `kampung-bahagia run` process in polling mode, every person in
their own chat: registration by deep link, the KK count confirmed with a button, a rembuk warga report with an album
of three photos, the Pokja treasurer's fund confirmation, the pendamping's review from the notification, and the
Ketua RT receiving the decision — notifications delivered by the process's own outbox worker.

The process runs as on 10 April 2026 (SIMULATED_START), Kelompok A's funds month, so the test does not depend on
the day it runs."""

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from bot import migrate
from bot.bootstrap import App
from services.db import Database
from services.models import RT, FundReceipt, Media, Person, ReportStatus, Role, StageReport
from services.program import Program
from tests.bot.channels.telegram.conftest import Telegram, settings_for, texts
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramServer
from tests.handlers.conftest import load_roster
from tests.handlers.flows.bendahara import ready_for_funds
from tests.handlers.flows.ketua_setup import add_reports
from tests.images import jpeg

RT1 = "15.71.01.1001-001"  # Kelompok A, 87 KK → Rp70.000.000, pendamping Dewi Lubis; sosialisasi approved
RT2 = "15.71.01.1001-002"  # Kelompok A, pendamping Dewi Lubis; every stage before the funds already approved
SIMULATED_START = "2026-04-10T10:00:00"  # WIB: Kelompok A's pencairan dana month; rembuk warga is overdue
APRIL_10 = date(2026, 4, 10)
SECRET_KEY = "journey-secret"
KETUA, BENDAHARA, DEWI = 91001, 91002, 91003


@dataclass
class Process:
    handle: asyncio.subprocess.Process
    output: Path

    def text(self) -> str:
        return self.output.read_text()


@contextlib.asynccontextmanager
async def kampung_bahagia_run(server: FakeTelegramServer, database_url: str, tmp_path: Path) -> AsyncIterator[Process]:
    """`kampung-bahagia run` as an operator starts it, pointed at the fake Bot API server; stopped with SIGINT."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "WEB_", "SIMULATED_"))},
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "MEDIA_DIR": str(tmp_path / "media"),
        "SECRET_KEY": SECRET_KEY,
        "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_API_URL": server.base_url,
        "TELEGRAM_RATE_PER_CHAT_PER_SECOND": "20",
        "SIMULATED_START": SIMULATED_START,
    }
    output = tmp_path / "run.log"  # a file, not a pipe: a full pipe would stall the process mid-journey
    with output.open("wb") as sink:
        handle = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "kampung-bahagia"), "run", cwd=tmp_path, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=sink, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    process = Process(handle, output)
    try:
        await server.wait_for("getUpdates", timeout=30)
        yield process
    finally:
        if handle.returncode is None:
            handle.send_signal(signal.SIGINT)
        await asyncio.wait_for(handle.wait(), 20)


async def prepare(database_url: str, program: Program, server: FakeTelegramServer, tmp_path: Path) -> Telegram:
    """The roster, the RTs' history so far, and a view of the database the running process shares."""
    await asyncio.to_thread(migrate.upgrade, database_url)
    db = Database(database_url)
    await load_roster(db, program)
    await add_reports(db, RT1, ["sosialisasi"])
    await ready_for_funds(db, program, RT2)
    return Telegram(server, App(settings_for(database_url, tmp_path, server), program, db, SECRET_KEY.encode()))


async def until(telegram: Telegram, chat: int, fragment: str, timeout: float = 15.0) -> dict:
    """The first message to `chat` containing `fragment` (notifications come through the worker, later)."""
    call = await telegram.wait_for(
        lambda c: c.params.get("chat_id") == chat and fragment in (c.params.get("text") or ""), timeout
    )
    return call.params


async def test_registration_kk_report_funds_review_decision(
    server: FakeTelegramServer, database_url: str, program: Program, tmp_path: Path
) -> None:
    tg = await prepare(database_url, program, server, tmp_path)
    try:
        async with tg.app.db.unit_of_work() as session:
            dewi = await session.get(Person, (await session.scalar(select(RT).where(RT.kode == RT1))).pendamping_id)
        codes = {
            KETUA: await tg.invite(Role.KETUA_RT, RT1),
            BENDAHARA: await tg.invite(Role.BENDAHARA, RT2),
            DEWI: await tg.invite(Role.PENDAMPING, person=dewi),
        }
        async with kampung_bahagia_run(server, database_url, tmp_path) as process:
            await journey(tg, codes)
        log = process.text()
        assert process.handle.returncode == 0, log
        assert server.base_url in log and "SIMULASI" in log  # what it runs against, and that time is simulated
        assert "Berhenti" in log, log

        async with tg.app.db.unit_of_work() as session:
            rt = await session.scalar(select(RT).where(RT.kode == RT1))
            assert rt.jumlah_kk == 95
            report = await session.scalar(
                select(StageReport).where(StageReport.stage_key == "rembuk_warga", StageReport.rt_id == rt.id)
            )
            assert report.status == ReportStatus.DISETUJUI
            assert report.happened_on == APRIL_10  # "Hari ini" on the simulated day
            assert report.answers == {"jumlah_hadir": 45, "jumlah_kk_hadir": 30}
            assert len(list(await session.scalars(select(Media).where(Media.report_id == report.id)))) == 3
            receipt = await session.scalar(select(FundReceipt))
            assert (receipt.amount, receipt.received_on) == (70_000_000, APRIL_10)
    finally:
        await tg.app.db.dispose()


async def journey(tg: Telegram, codes: dict[int, str]) -> None:
    for chat, code in codes.items():
        assert "Pendaftaran berhasil" in texts(await tg.say(chat, f"/start {code}"))

    # Ketua RT: the KK count, confirmed with a button.
    await tg.say(KETUA, "/kk")
    keyboard = (await tg.say(KETUA, "95"))[-1]["reply_markup"]["inline_keyboard"]
    assert any("Simpan" in b["text"] for row in keyboard for b in row)
    assert "95 KK" in texts(await tg.press(KETUA, "Simpan"))

    # Ketua RT: /lapor rembuk warga (overdue since February), two answers, then an album of three photos.
    await tg.say(KETUA, "/lapor")
    await tg.press(KETUA, "Rembuk Warga")
    await tg.press(KETUA, "Hari ini")
    await tg.say(KETUA, "45")
    await tg.say(KETUA, "30")
    before = len(tg.server.sent_messages(KETUA))
    for i in range(3):
        tg.server.add_file(f"album-{i}", jpeg(i))
        tg.server.push_update(tg.server.photo_update(KETUA, f"album-{i}", media_group_id="rembuk-1"))
    received = await until(tg, KETUA, "3 foto")
    await tg.settle()
    assert len(tg.server.sent_messages(KETUA)) - before == 1, "one answer for the whole album"
    assert "Sudah diterima: 3 foto." in received["text"]
    await tg.press(KETUA, "Selesai")
    assert "sudah terkirim dan menunggu diperiksa" in texts(await tg.press(KETUA, "Kirim"))

    # Bendahara of an RT further along, in its funds month: /dana with the transfer proof.
    await tg.say(BENDAHARA, "/dana")
    await tg.say(BENDAHARA, "70.000.000")
    await tg.press(BENDAHARA, "Hari ini")
    tg.server.add_file("bukti", jpeg(100))
    await tg.push(tg.server.photo_update(BENDAHARA, "bukti"))
    assert "Rp70.000.000" in texts(await tg.press(BENDAHARA, "Simpan"))

    # Pendamping: both notifications arrive through the outbox; the report's button opens its card.
    notice = await until(tg, DEWI, "Rembuk Warga")
    assert any("Periksa" in b["text"] for row in notice["reply_markup"]["inline_keyboard"] for b in row)
    await until(tg, DEWI, "Rp70.000.000")
    before = len(tg.server.sent_messages(DEWI))
    await press_on(tg, DEWI, notice, "Periksa")
    card = tg.server.sent_messages(DEWI)[before:]
    assert [m["_method"] for m in card].count("sendPhoto") == 3  # the album, shown to the reviewer
    assert "Rembuk Warga" in texts(card)
    await tg.press(DEWI, "Setujui")

    # Ketua RT: the decision, through the outbox.
    decision = await until(tg, KETUA, "disetujui")
    assert "Rembuk Warga" in decision["text"]


async def press_on(tg: Telegram, chat: int, message: dict, label: str) -> list[dict]:
    """Press a button on one particular message (a notification), not the latest keyboard."""
    stored = next(m for m in tg.server.chat_log(chat) if m.get("text") == message["text"])
    button = next(b for row in stored["reply_markup"]["inline_keyboard"] for b in row if label in b["text"])
    return await tg.push(tg.server.callback_update(chat, button["callback_data"], stored["message_id"]))
