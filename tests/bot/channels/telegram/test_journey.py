"""The whole program step over Telegram, every person in their own chat: a Ketua RT reports rembuk warga with
an album of three photos, the Pokja treasurer confirms the funds, the pendamping reviews the report from the
notification, and the Ketua RT receives the decision — notifications delivered by the outbox worker."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.channels.telegram.sender import TelegramSender
from bot.delivery.part import deliver
from bot.delivery.worker import WorkerConfig
from services.models import RT, FundReceipt, Media, Person, ReportStatus, Role, StageReport
from tests.bot.channels.telegram.conftest import Telegram, texts
from tests.handlers.flows.bendahara import ready_for_funds

RT1 = "15.71.01.1001-001"  # Kelompok A, 87 KK → Rp70.000.000, pendamping Dewi Lubis
RT2 = "15.71.01.1001-002"  # Kelompok A, pendamping Dewi Lubis; every stage before the funds already approved
FEB_10 = datetime(2026, 2, 10, 3, 0, tzinfo=UTC)  # 10:00 WIB, Kelompok A's rembuk warga month
APR_10 = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)  # Kelompok A's pencairan dana month
KETUA, BENDAHARA, DEWI = 91001, 91002, 91003


@pytest.fixture
async def delivering(telegram: Telegram) -> AsyncIterator[Telegram]:
    """The delivery worker running beside the channel, sending the outbox through the same fake server."""
    stop = asyncio.Event()
    sender = TelegramSender(telegram.bot, telegram.app.settings.media_dir)
    config = WorkerConfig(poll_interval=0.05, per_chat_per_second=20.0)
    task = asyncio.create_task(deliver(telegram.app, stop, [(sender, config)]))
    try:
        yield telegram
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)


async def until(telegram: Telegram, chat: int, fragment: str, timeout: float = 10.0) -> dict:
    """The first message to `chat` containing `fragment` (notifications come through the worker, later)."""
    call = await telegram.wait_for(
        lambda c: c.params.get("chat_id") == chat and fragment in (c.params.get("text") or ""), timeout
    )
    return call.params


async def test_report_funds_review_decision(delivering: Telegram) -> None:
    tg = delivering
    tg.processor.engine.clock = lambda: FEB_10
    async with tg.app.db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == RT1))
        dewi = await session.get(Person, rt.pendamping_id)
        session.add(StageReport(rt_id=rt.id, stage_key="sosialisasi", status=ReportStatus.DISETUJUI,
                                happened_on=date(2026, 1, 20), answers={}, submitted_by_id=dewi.id))  # fmt: skip
    await ready_for_funds(tg.app.db, tg.app.program, RT2)
    people = [
        (KETUA, Role.KETUA_RT, RT1, None),
        (BENDAHARA, Role.BENDAHARA, RT2, None),
        (DEWI, Role.PENDAMPING, None, dewi),
    ]
    for chat, role, rt_kode, person in people:
        code = await tg.invite(role, rt_kode, person=person)
        assert "Pendaftaran berhasil" in texts(await tg.say(chat, f"/start {code}"))

    # Ketua RT: /lapor rembuk warga, two answers, then an album of three photos answered once.
    await tg.say(KETUA, "/lapor")
    await tg.press(KETUA, "Rembuk Warga")
    await tg.press(KETUA, "Hari ini")
    await tg.say(KETUA, "45")
    await tg.say(KETUA, "30")
    before = len(tg.server.sent_messages(KETUA))
    for i in range(3):
        tg.server.add_file(f"album-{i}", b"\xff\xd8\xff\xe0" + f"rembuk warga {i}".encode() * 30)
        tg.server.push_update(tg.server.photo_update(KETUA, f"album-{i}", media_group_id="rembuk-1"))
    received = await until(tg, KETUA, "3 foto")
    await tg.settle()
    assert len(tg.server.sent_messages(KETUA)) - before == 1, "one answer for the whole album"
    assert "Sudah diterima: 3 foto." in received["text"]
    await tg.press(KETUA, "Selesai")
    assert "Terkirim!" in texts(await tg.press(KETUA, "Kirim"))

    # Bendahara (of an RT further along, in its funds month): /dana with the transfer proof.
    tg.processor.engine.clock = lambda: APR_10
    await tg.say(BENDAHARA, "/dana")
    await tg.say(BENDAHARA, "70.000.000")
    await tg.press(BENDAHARA, "Hari ini")
    tg.server.add_file("bukti", b"\xff\xd8\xff\xe0" + b"proof-of-transfer" * 10)
    await tg.push(tg.server.photo_update(BENDAHARA, "bukti"))
    assert "Rp70.000.000" in texts(await tg.press(BENDAHARA, "Simpan"))

    # Pendamping: both notifications arrive through the outbox; the report's button opens its card.
    notice = await until(tg, DEWI, "Rembuk Warga")
    assert any("Tinjau" in b["text"] for row in notice["reply_markup"]["inline_keyboard"] for b in row)
    await until(tg, DEWI, "Rp70.000.000")
    before = len(tg.server.sent_messages(DEWI))
    await press_on(tg, DEWI, notice, "Tinjau")
    card = tg.server.sent_messages(DEWI)[before:]
    assert [m["_method"] for m in card].count("sendPhoto") == 3  # the album, shown to the reviewer
    assert "Rembuk Warga" in texts(card)
    await tg.press(DEWI, "Setujui")

    # Ketua RT: the decision, through the outbox.
    decision = await until(tg, KETUA, "disetujui")
    assert "Rembuk Warga" in decision["text"]

    async with tg.app.db.unit_of_work() as session:
        report = await session.scalar(
            select(StageReport).where(StageReport.stage_key == "rembuk_warga", StageReport.rt_id == rt.id)
        )
        assert report.status == ReportStatus.DISETUJUI and report.answers == {"jumlah_hadir": 45, "jumlah_kk_hadir": 30}
        assert len(list(await session.scalars(select(Media).where(Media.report_id == report.id)))) == 3
        assert (await session.scalar(select(FundReceipt))).amount == 70_000_000


async def press_on(tg: Telegram, chat: int, message: dict, label: str) -> list[dict]:
    """Press a button on one particular message (a notification), not the latest keyboard."""
    stored = next(m for m in tg.server.chat_log(chat) if m.get("text") == message["text"])
    button = next(b for row in stored["reply_markup"]["inline_keyboard"] for b in row if label in b["text"])
    return await tg.push(tg.server.callback_update(chat, button["callback_data"], stored["message_id"]))
