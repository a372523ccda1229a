"""The console channel and `kampung-bahagia chat`: typed lines in, numbered Indonesian text out."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bootstrap import App
from bot.channels.console import CHANNEL, ConsoleChannel, render
from bot.cli.chat import console_offer, offer_lines
from bot.settings import DEFAULT_DATABASE_URL, Settings
from handlers.engine import Engine
from handlers.flows import all_flows
from handlers.messages import Choice, Expect, Kind, MediaItem, Reply
from services import invitations, outbox
from services.media import MediaStore
from services.models import ChannelIdentity, OutboxMessage, Person, Role
from tests.handlers.conftest import World, load_roster

RT1 = "15.71.01.1001-001"
RT1_NAME = "RT 001 Kel. Simpang IV Sipin"  # how the chat names RT1 (the CLI shows its code)
SECRET = "console-test-secret"
EXECUTABLE = Path(sys.executable).parent / "kampung-bahagia"


@pytest.fixture
async def world(db, program, pepper, tmp_path: Path) -> World:
    """The conversation tests' world (tests/handlers/conftest.py), for the console."""
    await load_roster(db, program)
    engine = Engine(db, program, pepper, MediaStore(tmp_path / "media"), all_flows())
    return World(db, program, pepper, engine, tmp_path / "media")


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "berkas"
    folder.mkdir()
    for name in ("rapat.jpg", "warga.png", "nota.pdf", "catatan.txt", "foto rapat.jpg"):
        (folder / name).write_bytes(b"isi " + name.encode())
    return folder


def channel() -> ConsoleChannel:
    return ConsoleChannel(engine=None, user_id="local", write=lambda _text: None)  # type: ignore[arg-type]


def test_render_numbers_the_choices_in_indonesian():
    reply = Reply("Simpan?", (Choice("save", "Simpan"), Choice("change", "Ubah")), Expect.CHOICE)
    assert render(reply) == "Simpan?\n  1. Simpan\n  2. Ubah\n(Ketik nomor pilihannya.)"
    media = render(Reply("Kirim foto.", expect=Expect.MEDIA, attachments=(("photo", "ab/cd/x.jpg"),)))
    assert "[lampiran: ab/cd/x.jpg]" in media and "/foto" in media
    assert "/lokasi LAT,LON" in render(Reply("Di mana?", expect=Expect.LOCATION))


def test_a_number_picks_the_latest_choice_with_its_token():
    console = channel()
    console.show([Reply("Pilih:", (Choice("a", "A"), Choice("b", "B")), Expect.CHOICE, token=7)])
    picked = console.parse(" 2 ")
    assert (picked.kind, picked.choice, picked.token) == (Kind.CHOICE, "b", 7)
    assert console.parse("3").kind == Kind.TEXT  # not a choice: sent as typed, the question says why
    assert console.parse("²").kind == Kind.TEXT  # a digit int() refuses is text, not a crash
    assert console.parse("٢").choice == "b"  # another script's 2 is a 2
    # A later question that wants a typed number: digits are then the answer.
    console.show([Reply("Berapa KK?", expect=Expect.NUMBER, token=8)])
    typed = console.parse("2")
    assert (typed.kind, typed.text) == (Kind.TEXT, "2")


def test_foto_sends_photos_and_pdf_as_one_album(files: Path):
    incoming = channel().parse(f"/foto {files / 'rapat.jpg'} {files / 'nota.pdf'}")
    assert incoming.kind == Kind.MEDIA
    assert [(m.kind, m.mime_type, m.file_name) for m in incoming.media] == [
        ("photo", "image/jpeg", "rapat.jpg"),
        ("document", "application/pdf", "nota.pdf"),
    ]
    assert incoming.media[0].size == len(b"isi rapat.jpg")


def test_a_pasted_path_is_sent_as_media(files: Path):
    console = channel()
    assert console.parse(str(files / "warga.png")).media[0].kind == "photo"
    quoted = console.parse(f"'{files / 'foto rapat.jpg'}' file://{files / 'rapat.jpg'}")
    assert [m.file_name for m in quoted.media] == ["foto rapat.jpg", "rapat.jpg"]
    # A path to something that is not a photo or PDF is not sent as media.
    assert console.parse(str(files / "catatan.txt")).kind == Kind.COMMAND
    assert console.parse(f"lihat {files / 'rapat.jpg'}").kind == Kind.TEXT


def test_foto_problems_are_explained_without_sending(files: Path):
    console = channel()
    assert console.parse("/foto") == "Ketik /foto lalu letak berkas foto atau PDF, misalnya /foto rapat.jpg"
    assert console.parse(f"/foto {files / 'hilang.jpg'}").startswith("Berkas tidak ditemukan:")
    assert console.parse(f"/foto {files / 'catatan.txt'}").startswith("Yang bisa dikirim hanya foto")


def test_lokasi_and_commands():
    console = channel()
    location = console.parse("/lokasi -1.61, 103.61")
    assert (location.kind, location.latitude, location.longitude) == (Kind.LOCATION, -1.61, 103.61)
    assert console.parse("/lokasi 100,200").startswith("Ketik lokasi sebagai /lokasi LAT,LON")
    assert console.parse("/lokasi di balai RT").startswith("Ketik lokasi")
    command = console.parse("/start ABCD-EFGH")
    assert (command.kind, command.command, command.args) == (Kind.COMMAND, "start", "ABCD-EFGH")
    assert console.parse("   ") is None


async def test_fetch_reads_the_file(files: Path):
    item = MediaItem("photo", str(files / "rapat.jpg"), "image/jpeg")
    assert await channel().fetch(item) == b"isi rapat.jpg"


async def test_a_conversation_through_the_console_channel(world, files: Path):
    lines: list[str] = []
    console = ConsoleChannel(world.engine, "konsol-1", write=lines.append)
    code = await world.invite(Role.KETUA_RT, RT1)
    await console.send(f"/start {invitations.display_code(code)}")
    text = "\n".join(lines)
    assert "Pendaftaran berhasil. Bapak/Ibu terdaftar sebagai" in text
    # The invitation carried no name and the console gives none: it is asked, then the menu follows.
    assert "Siapa nama Bapak/Ibu?" in text
    lines.clear()
    await console.send("Budi Santoso")
    text = "\n".join(lines)
    assert "Terima kasih, Bapak/Ibu Budi Santoso." in text
    assert "  1. /kk — daftarkan jumlah KK" in text
    number = next(i for i, c in enumerate(console.choices, start=1) if c.id == "cmd:bantuan")
    lines.clear()
    await console.send(str(number))
    assert lines[0].startswith("Perintah yang bisa dipakai:")
    lines.clear()
    await console.send(f"/foto {files / 'hilang.jpg'}")
    assert lines[0].startswith("Berkas tidak ditemukan")

    # A message someone else caused for this person is shown once, then marked sent.
    async with world.db.unit_of_work() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == "konsol-1"))
        await outbox.enqueue_for_person(session, identity.person_id, {"text": "Laporan Anda disetujui."})
    lines.clear()
    await console.send("/batal")
    assert lines[-3:] == ["Pesan untuk Bapak/Ibu:", "Laporan Anda disetujui.", ""]
    async with world.db.unit_of_work() as session:
        assert (await session.scalar(select(OutboxMessage))).status == "sent"
    lines.clear()
    await console.send("/batal")
    assert "Laporan Anda disetujui." not in lines


def _app(world, database_url: str) -> App:
    return App(Settings(database_url=database_url), world.program, world.db, world.pepper)


async def test_run_offers_a_fresh_demo_code_on_the_embedded_default(world):
    lines = await offer_lines(_app(world, DEFAULT_DATABASE_URL))
    assert lines[0] == "Belum ada saluran pesan yang diatur. Coba bot ini di terminal lain:"
    code_line = next(line for line in lines if "--code" in line)
    assert code_line.endswith(f"(Ketua RT baru untuk RT {RT1})")
    async with world.db.unit_of_work() as session:
        dewi = await session.scalar(select(Person).where(Person.nama == "Dewi Lubis"))
    assert f"kampung-bahagia chat --as {dewi.id}    (Dewi Lubis, Pendamping)" in lines[-1]
    # The code works right away.
    chat = await world.chat()
    replies = await chat.send(f"/start {code_line.split('--code ')[1].split()[0]}")
    assert "Bapak/Ibu Ketua RT Demo terdaftar sebagai Ketua RT untuk RT 001 Kel. Simpang IV Sipin." in replies[0].text


async def test_run_offers_no_code_on_another_database(world):
    lines = await offer_lines(_app(world, "sqlite+aiosqlite:///elsewhere.db"))
    assert not any("--code" in line for line in lines)
    assert lines[-1].split("    ")[0].endswith("--force")


def test_the_offer_needs_a_terminal_and_no_messaging_channel(monkeypatch):
    class Terminal:
        @staticmethod
        def isatty() -> bool:
            return True

    assert console_offer(Settings()) == []  # tests do not run in a terminal
    monkeypatch.setattr(sys, "stdin", Terminal())
    assert len(console_offer(Settings())) == 1
    assert console_offer(Settings(telegram_bot_token="123:abc")) == []


async def chat_process(tmp_path: Path, database_url: str, *args: str, lines: list[str]) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TELEGRAM_")}
    env |= {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "DATA_DIR": str(tmp_path / "data"),
        "MEDIA_DIR": str(tmp_path / "media"),
    }
    return await asyncio.to_thread(
        subprocess.run,
        [str(EXECUTABLE), "chat", *args],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


@pytest.mark.slow
async def test_chat_command_registers_and_talks_indonesian(db, program, database_url, tmp_path: Path, files: Path):
    await load_roster(db, program)
    async with db.unit_of_work() as session:
        from services import rts

        rt = await rts.get_rt(session, RT1)
        issued = await invitations.create_invitation(
            session, SECRET.encode(), role=Role.KETUA_RT, created_by="test", rt=rt, nama="Siti Hasibuan"
        )
    code = invitations.display_code(issued.code)

    refused = await chat_process(tmp_path, database_url, "--code", code, lines=[])
    assert refused.returncode == 2
    assert "--force" in refused.stderr and "basis data demo bawaan" in refused.stderr

    typed = ["8", "/batal", f"/foto {files / 'hilang.jpg'}", "/bahasa", "/keluar", "tidak terbaca"]
    done = await chat_process(tmp_path, database_url, "--code", code, "--force", lines=typed)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Bot Kampung Bahagia di terminal ini." in out
    assert f"Pendaftaran berhasil. Bapak/Ibu Siti Hasibuan terdaftar sebagai Ketua RT untuk {RT1_NAME}." in out
    assert "  1. /kk — daftarkan jumlah KK" in out and "(Ketik nomor pilihannya.)" in out
    assert "Perintah yang bisa dipakai:" in out  # 8 = /bantuan in the menu
    assert "Tidak ada yang perlu dibatalkan." in out
    assert "Berkas tidak ditemukan" in out
    assert "Pilih bahasa:\n  1. Bahasa Indonesia\n  2. English" in out
    assert out.rstrip().endswith("Sampai jumpa.") and "tidak terbaca" not in out

    # Next time, the same person is where they left off (choosing a language).
    again = await chat_process(tmp_path, database_url, "--as", "Siti Hasibuan", "--force", lines=["2", "/bantuan"])
    assert "Bapak/Ibu sedang mengisi /bahasa" in again.stdout
    assert "Language set to English." in again.stdout and "You can use:" in again.stdout
    async with db.unit_of_work() as session:
        identities = list(await session.scalars(select(ChannelIdentity).where(ChannelIdentity.channel == CHANNEL)))
    assert len(identities) == 1 and identities[0].external_id.startswith("code-")
    assert code.replace("-", "") not in identities[0].external_id


@pytest.mark.slow
async def test_chat_as_a_person_binds_a_console_identity(db, program, database_url, tmp_path: Path):
    await load_roster(db, program)
    done = await chat_process(tmp_path, database_url, "--as", "dewi", "--force", lines=["/bantuan"])
    assert done.returncode == 0, done.stderr
    assert "Selamat datang kembali, Bapak/Ibu Dewi Lubis. Bapak/Ibu terdaftar sebagai Pendamping." in done.stdout
    assert "/tinjau — periksa laporan" in done.stdout
    nobody = await chat_process(tmp_path, database_url, "--as", "Tidak Ada", "--force", lines=[])
    assert nobody.returncode == 1 and "Tidak ada orang yang cocok dengan Tidak Ada." in nobody.stderr
    async with db.unit_of_work() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.channel == CHANNEL))
        person = await session.get(Person, identity.person_id)
    assert (person.nama, identity.external_id) == ("Dewi Lubis", f"person-{person.id}")


async def test_the_demo_code_is_for_an_rt_whose_ketua_seat_is_free(world):
    await world.chat(Role.KETUA_RT, RT1)  # RT 1 has its Ketua RT: a code for it could never be redeemed
    lines = await offer_lines(_app(world, DEFAULT_DATABASE_URL))
    code_line = next(line for line in lines if "--code" in line)
    assert code_line.endswith("(Ketua RT baru untuk RT 15.71.01.1001-002)")
    chat = await world.chat()
    replies = await chat.send(f"/start {code_line.split('--code ')[1].split()[0]}")
    assert "Ketua RT untuk RT 002 Kel. Simpang IV Sipin" in replies[0].text
