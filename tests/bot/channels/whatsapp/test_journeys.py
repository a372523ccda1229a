"""The program's conversations over WhatsApp, end to end: the fake Graph API posts signed webhooks to the real web app
(uvicorn on 127.0.0.1), the drain answers from the database, the outbox worker delivers notifications with
WhatsApp's sender and policy — all as `kampung-bahagia run` wires them (tests/bot/channels/whatsapp/running.py).
Every person on their own number; on SQLite and PostgreSQL.

The program runs as on 10 April 2026 10:00 WIB (like SIMULATED_START), Kelompok A's funds month, so the tests do not
depend on the day they run; WhatsApp's 24-hour window is on the real clock, as Meta's is.
"""

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.program_clock import running_from
from services import delivery, whatsapp_usage
from services.models import (
    RT,
    Broadcast,
    ChannelIdentity,
    FundReceipt,
    Media,
    OutboxMessage,
    Person,
    ReportStatus,
    Role,
    StageReport,
    utcnow,
)
from services.program import DEFAULT_PROGRAM_FILE, Program, load_program
from services.whatsapp_templates import shipped_templates
from tests.bot.channels.whatsapp.running import WhatsAppBot, reply_ids, running_whatsapp, texts, wait_until
from tests.fakes.whatsapp_api import FakeWhatsAppServer
from tests.handlers.conftest import load_roster
from tests.handlers.flows.bendahara import ready_for_funds
from tests.handlers.flows.ketua_setup import add_reports
from tests.images import jpeg

RT1 = "15.71.01.1001-001"  # Kelompok A, 87 KK → Rp70.000.000, pendamping Dewi Lubis; sosialisasi approved
RT2 = "15.71.01.1001-002"  # Kelompok A, pendamping Dewi Lubis
APRIL_10 = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)  # 10:00 WIB: rembuk warga overdue since February
KETUA, BENDAHARA, DEWI = "6281200000001", "6281200000002", "6281200000003"


@pytest.fixture
async def fake() -> AsyncIterator[FakeWhatsAppServer]:
    async with FakeWhatsAppServer() as server:
        yield server


@pytest.fixture
async def bot(
    database_url: str, program: Program, pepper: bytes, tmp_path: Path, fake: FakeWhatsAppServer
) -> AsyncIterator[WhatsAppBot]:
    async with running_whatsapp(database_url, program, pepper, tmp_path, fake, running_from(APRIL_10)) as running:
        await load_roster(running.db, program)
        yield running


async def dewi(bot: WhatsAppBot) -> Person:
    async with bot.db.sessions() as session:
        rt = await session.scalar(select(RT).where(RT.kode == RT1))
        return await session.get(Person, rt.pendamping_id)


def kinds(bodies: list[dict]) -> list[str]:
    return [body["type"] for body in bodies]


async def test_ketua_rt_registers_confirms_kk_reports_with_three_photos_and_hears_the_decision(
    bot: WhatsAppBot,
) -> None:
    await add_reports(bot.db, RT1, ["sosialisasi"])
    await bot.register(DEWI, Role.PENDAMPING, person=await dewi(bot))

    # DAFTAR with the code as `invite create` prints it, typed in lower case without the dash.
    code = await bot.invite(Role.KETUA_RT, RT1)
    welcome = await bot.say(KETUA, f"daftar {code.replace('-', '').lower()}")
    assert "terdaftar" in texts(welcome).lower()

    # /kk: the number, then the reply buttons the fake accepted (≤ 3, titles ≤ 20); pressed with the id sent.
    await bot.say(KETUA, "/kk")
    [question] = (await bot.say(KETUA, "95"))[-1:]
    assert question["interactive"]["type"] == "button"
    assert any("Simpan" in title for title in reply_ids(question))
    assert "95 KK" in texts(await bot.press(KETUA, "Simpan"))

    # /lapor rembuk warga: two answers, then three photos as three separate image messages.
    await bot.say(KETUA, "/lapor")
    await bot.press(KETUA, "Rembuk Warga")
    await bot.press(KETUA, "Hari ini")
    await bot.say(KETUA, "45")
    await bot.say(KETUA, "30")
    for n in (1, 2, 3):
        assert f"Sudah diterima: {n} foto." in texts(await bot.image(KETUA, jpeg(n)))
    await bot.press(KETUA, "Selesai")
    assert "sudah terkirim dan menunggu diperiksa" in texts(await bot.press(KETUA, "Kirim"))
    assert len([c for c in bot.fake.calls if c.method == "download"]) == 3

    # Dewi, on WhatsApp too: the notification comes through the outbox worker; its button opens the card.
    notice = await bot.until(DEWI, "Rembuk Warga")
    before = len(bot.fake.sent(DEWI))
    await bot.press(DEWI, "Periksa", on=notice)
    card = bot.fake.sent(DEWI)[before:]
    assert kinds(card).count("image") == 3  # the photos, uploaded to /media and sent by id
    assert len([c for c in bot.fake.calls if c.method == "media"]) == 3
    assert "Rembuk Warga" in texts(card)
    await bot.press(DEWI, "Setujui")

    # The Ketua RT hears the decision on WhatsApp, free-form: they wrote minutes ago, their window is open.
    decision = await bot.until(KETUA, "disetujui")
    assert decision["type"] != "template" and "Rembuk Warga" in texts([decision])
    assert not bot.fake.refused()

    async with bot.db.sessions() as session:
        rt = await session.scalar(select(RT).where(RT.kode == RT1))
        assert rt.jumlah_kk == 95
        report = await session.scalar(
            select(StageReport).where(StageReport.stage_key == "rembuk_warga", StageReport.rt_id == rt.id)
        )
        assert report.status == ReportStatus.DISETUJUI
        assert report.happened_on == date(2026, 4, 10)  # "Hari ini" on the program's day
        assert report.answers == {"jumlah_hadir": 45, "jumlah_kk_hadir": 30}
        assert len(list(await session.scalars(select(Media).where(Media.report_id == report.id)))) == 3


async def test_the_treasurer_confirms_the_funds_with_the_transfer_proof(bot: WhatsAppBot, program: Program) -> None:
    await ready_for_funds(bot.db, program, RT2)
    await bot.register(DEWI, Role.PENDAMPING, person=await dewi(bot))
    await bot.register(BENDAHARA, Role.BENDAHARA, RT2)

    await bot.say(BENDAHARA, "/dana")
    await bot.say(BENDAHARA, "70.000.000")
    await bot.press(BENDAHARA, "Hari ini")
    await bot.image(BENDAHARA, jpeg(100))
    saved = await bot.press(BENDAHARA, "Simpan")
    assert "Rp70.000.000" in texts(saved)

    # The pendamping is told through the outbox, on WhatsApp.
    await bot.until(DEWI, "Rp70.000.000")
    async with bot.db.sessions() as session:
        receipt = await session.scalar(select(FundReceipt))
        assert (receipt.amount, receipt.received_on) == (70_000_000, date(2026, 4, 10))
        assert receipt.proof_media_id is not None  # the photo, downloaded from the Graph API


# ---- more choices than a WhatsApp list holds ---------------------------------------------------------------------
PROGRESS = ["0%", "25%", "50%", "75%", "100%"]


def twelve_stage_program(path: Path) -> Path:
    """The shipped program file with its stage catalog replaced by twelve stages open at once in April (Kelompok A):
    /lapor then offers twelve choices. The last one asks a question with five answers."""
    head, _, rest = DEFAULT_PROGRAM_FILE.read_text().partition("[[tahap]]")
    tail = rest[rest.index("[bidang]") :]
    stages = []
    for n in range(1, 13):
        isian = "[]"
        if n == 12:
            options = ", ".join(f'"{p}"' for p in PROGRESS)
            isian = f'[{{ kode = "progres", label = "Progres pekerjaan", jenis = "pilihan", pilihan = [{options}] }}]'
        stages.append(
            f'[[tahap]]\nkode = "tahap_{n:02d}"\nnama = "Kegiatan Nomor {n}"\npelapor = "ketua_rt"\nsetelah = []\n'
            f'bukti = {{ foto = 0, dokumen = 0 }}\nisian = {isian}\nbulan = {{ A = ["2026-04"], B = ["2026-09"] }}\n'
        )
    path.write_text(head + "\n".join(stages) + "\n" + tail)
    return path


async def test_twelve_stages_come_as_a_numbered_menu_answered_by_typing_the_number(
    database_url: str, pepper: bytes, tmp_path: Path, fake: FakeWhatsAppServer
) -> None:
    program_file = twelve_stage_program(tmp_path / "program.toml")
    program = load_program(program_file)
    assert len(program.stages) == 12
    async with running_whatsapp(
        database_url, program, pepper, tmp_path, fake, running_from(APRIL_10), program_file=program_file
    ) as bot:
        await load_roster(bot.db, program)
        await bot.register(KETUA, Role.KETUA_RT, RT1)

        [menu] = await bot.say(KETUA, "/lapor")
        assert menu["type"] == "text"  # not a list: a list holds ten rows
        for n in range(1, 13):
            assert f"{n}. " in menu["text"]["body"] and f"Kegiatan Nomor {n}" in menu["text"]["body"]
        assert "Kegiatan Nomor 12" in texts(await bot.say(KETUA, "12"))

        # Five answers to the stage's own question: a list, answered by picking its row.
        await bot.press(KETUA, "Hari ini")
        question = bot.fake.sent(KETUA)[-1]
        assert question["interactive"]["type"] == "list"
        assert sorted(reply_ids(question)) == sorted(PROGRESS)
        assert "Sudah cukup" in texts(await bot.press(KETUA, "75%"))
        await bot.press(KETUA, "Selesai")
        assert "sudah terkirim dan menunggu diperiksa" in texts(await bot.press(KETUA, "Kirim"))
        async with bot.db.sessions() as session:
            report = await session.scalar(select(StageReport))
        assert (report.stage_key, report.answers) == ("tahap_12", {"progres": "75%"})


# ---- a broadcast and what WhatsApp said about it afterwards -----------------------------------------------------
RT3 = "15.71.01.1002-003"  # Kelompok B, pendamping Rudi Saputra
ADMIN, K1, K2, K3 = "6281200000010", "6281200000011", "6281200000012", "6281200000013"
NEWS = "Rapat koordinasi hari Senin jam 09.00 di kantor lurah."


async def broadcast_row_of(bot: WhatsAppBot, wa: str) -> OutboxMessage | None:
    async with bot.db.sessions() as session:
        return await session.scalar(
            select(OutboxMessage).where(OutboxMessage.external_id == wa, OutboxMessage.broadcast_id.is_not(None))
        )


async def test_a_failed_status_reaches_the_broadcast_report(bot: WhatsAppBot) -> None:
    """An admin's /siaran to the Ketua RT of all three RTs (an admin, not a pendamping: four audience choices come as a
    list, and the city has three RTs). K3's message is refused once with 131056 (too many to one person), so it goes
    6 seconds later: meanwhile WhatsApp says K1's was delivered and read and K2's failed after all, and the final
    report, made when K3's is out, counts all of it."""
    await bot.register(ADMIN, Role.ADMIN)
    for wa, rt_kode in ((K1, RT1), (K2, RT2), (K3, RT3)):
        await bot.register(wa, Role.KETUA_RT, rt_kode)

    await bot.say(ADMIN, "/siaran")
    assert bot.fake.sent(ADMIN)[-1]["interactive"]["type"] == "list"
    await bot.press(ADMIN, "Semua RT di kota")
    preview = await bot.say(ADMIN, NEWS)
    assert "3 Ketua RT" in texts(preview)
    bot.fake.fail_next_to(K3, 131056, "Spam rate limit hit")
    await bot.press(ADMIN, "Kirim")

    for wa in (K1, K2):
        assert NEWS in texts([await bot.until(wa, NEWS)])
    rows = {wa: await wait_until(lambda wa=wa: recorded(bot, wa)) for wa in (K1, K2)}
    assert [c.error_code for c in bot.fake.refused()] == [131056]
    assert bot.fake.sent(K3) and NEWS not in texts(bot.fake.sent(K3))  # only its registration so far

    for status in ("delivered", "read"):
        assert await bot.post(bot.fake.status_webhook(rows[K1].platform_message_id, status, K1)) == 200
    errors = [{"code": 131000, "title": "Something went wrong"}]
    assert await bot.post(bot.fake.status_webhook(rows[K2].platform_message_id, "failed", K2, errors)) == 200
    await bot.handled()

    report = texts([await bot.until(ADMIN, "selesai: terkirim", timeout=30)])
    assert NEWS in texts(bot.fake.sent(K3))  # K3's went after its pause
    assert "terkirim ke 2 dari 3 penerima" in report
    assert "Di WhatsApp: sampai ke HP 1, dibaca 1, gagal 1." in report
    assert "Tidak terkirim (1)" in report and "131000" in report
    async with bot.db.sessions() as session:
        broadcast = await session.scalar(select(Broadcast))
        progress = await delivery.broadcast_progress(session, broadcast.id)
    assert (progress.sent, progress.failed, progress.delivered, progress.read, progress.failed_after) == (2, 1, 1, 1, 1)


async def recorded(bot: WhatsAppBot, wa: str) -> OutboxMessage | None:
    """The broadcast's row to `wa` once its wamid is recorded (a status names the message by it)."""
    row = await broadcast_row_of(bot, wa)
    return row if row is not None and row.platform_message_id else None


# ---- reminders outside the 24-hour window --------------------------------------------------------------------------
CLI = Path(sys.executable).parent / "kampung-bahagia"


async def cli(bot: WhatsAppBot, *args: str) -> str:
    """`kampung-bahagia …` as an operator runs it, on the same database as the running bot."""
    settings = bot.app.settings
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TELEGRAM_", "WHATSAPP_", "DATABASE_", "SIMULATED_"))
        },
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(settings.data_dir),
        "MEDIA_DIR": str(settings.media_dir),
        "SECRET_KEY": "wa-e2e-secret",
    }
    process = await asyncio.create_subprocess_exec(
        str(CLI), *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, output.decode()
    return output.decode()


async def last_wrote(bot: WhatsAppBot, wa: str, ago: timedelta) -> None:
    """The person's last message to us was `ago` ago, in our records and at Meta."""
    async with bot.db.unit_of_work() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == wa))
        identity.last_inbound_at = utcnow() - ago
    bot.fake.inbound(wa, at=time.time() - ago.total_seconds())


async def test_a_reminder_outside_the_window_goes_as_a_template_and_is_counted(bot: WhatsAppBot) -> None:
    """K1 last wrote two days ago: the reminder goes as the approved template at once. K2 wrote an hour ago by our
    records, yet Meta says 25 hours (its clock decides): the free-form reminder is refused with 131047 and the
    template goes instead. Both are counted for the invoice, and `whatsapp usage` prints them."""
    await add_reports(bot.db, RT1, ["sosialisasi"])
    await bot.register(K1, Role.KETUA_RT, RT1)
    await bot.register(K2, Role.KETUA_RT, RT2)
    await last_wrote(bot, K1, timedelta(days=2))
    await last_wrote(bot, K2, timedelta(hours=1))
    bot.fake.inbound(K2, at=time.time() - 25 * 3600)

    output = await cli(bot, "remind", "--date", "2026-04-01")
    assert "2 masuk antrean" in output  # K1 and K2

    for wa in (K1, K2):
        reminder = await wait_until(lambda wa=wa: template_to(bot, wa))
        assert reminder["template"]["name"] == "kb_pengingat_bulanan"
        assert "Rembuk Warga" in texts([reminder])  # the stage still to report, as the template's parameter
    refused = bot.fake.refused()
    assert [(c.error_code, c.params["to"]) for c in refused] == [(131047, K2)]
    assert refused[0].params["type"] != "template"

    # "Lapor sekarang" on the template: the window opens again and /lapor starts, free-form.
    reminder = await template_to(bot, K1)
    lapor = shipped_templates().for_purpose("pengingat_bulanan").buttons[0]
    assert (lapor.title, lapor.opens) == ("Lapor sekarang", "lapor")
    answer = await bot.deliver(K1, bot.fake.quick_reply_webhook(K1, reminder["template"], 0, lapor.title))
    assert "Tahap mana" in texts(answer)  # /lapor's first question, its stages as buttons
    assert any("Rembuk Warga" in title for title in reply_ids(answer[-1]))

    usage = json.loads(await cli(bot, "whatsapp", "usage", "--json"))
    month = whatsapp_usage.month_of(utcnow())
    assert {"month": month, "template": "kb_pengingat_bulanan", "count": 2} in usage


async def template_to(bot: WhatsAppBot, wa: str) -> dict | None:
    templates = [body for body in bot.fake.sent(wa) if body["type"] == "template"]
    return templates[-1] if templates else None
