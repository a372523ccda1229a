"""`WhatsAppSender` against the fake Graph API over real HTTP, with the menu remembered in a real database."""

import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.channels.base import TRANSIENT, Sender
from bot.channels.whatsapp.client import WhatsAppClient
from bot.channels.whatsapp.sender import WhatsAppSender
from bot.channels.whatsapp.templates import template_message
from handlers.messages import Choice, Expect, Reply
from services import whatsapp_menus
from services.db import Database
from services.whatsapp_templates import shipped_templates
from tests.fakes.whatsapp_api import DEFAULT_PHONE_NUMBER_ID, DEFAULT_TOKEN, FakeWhatsAppServer

WA = "6281234567890"


@pytest.fixture
async def server() -> AsyncIterator[FakeWhatsAppServer]:
    async with FakeWhatsAppServer() as srv:
        srv.inbound(WA)
        yield srv


@pytest.fixture
async def sender(server: FakeWhatsAppServer, db: Database, tmp_path: Path) -> AsyncIterator[WhatsAppSender]:
    client = WhatsAppClient(DEFAULT_TOKEN, DEFAULT_PHONE_NUMBER_ID, server.api_url, timeout=2.0)
    wa = WhatsAppSender(client, tmp_path / "media", db)
    yield wa
    await wa.close()


def question(count: int, text: str = "Pilih tahap:") -> Reply:
    choices = tuple(Choice(f"s:{n}", f"Tahap nomor {n}") for n in range(1, count + 1))
    return Reply(text, choices, Expect.CHOICE, token=4)


def test_it_is_a_sender(sender) -> None:
    assert isinstance(sender, Sender) and sender.channel == "whatsapp"


async def test_two_choices_go_as_reply_buttons(server, sender) -> None:
    result = await sender.send(WA, question(2))
    [body] = server.sent(WA)
    assert result.ok and result.message_id and result.error_code is None
    buttons = body["interactive"]["action"]["buttons"]
    assert [b["reply"]["id"] for b in buttons] == ["4:s:1", "4:s:2"]


async def test_five_choices_go_as_a_list_with_the_indonesian_button(server, sender) -> None:
    assert (await sender.send(WA, question(5))).ok
    [body] = server.sent(WA)
    assert body["interactive"]["type"] == "list"
    assert body["interactive"]["action"]["button"] == "Pilih"
    assert len(body["interactive"]["action"]["sections"][0]["rows"]) == 5


async def test_twelve_choices_go_as_a_numbered_menu_that_is_remembered(server, sender, db: Database) -> None:
    result = await sender.send(WA, question(12))
    [body] = server.sent(WA)
    text = body["text"]["body"]
    assert "12. Tahap nomor 12" in text
    assert text.endswith("Ketik nomor pilihan, misalnya 2.")
    assert result.ok
    async with db.unit_of_work() as session:
        assert await whatsapp_menus.pick(session, WA, "7") == (4, "s:7")


async def test_a_menu_that_did_not_go_is_not_remembered(server, sender, db: Database) -> None:
    server.fail_next("messages", 131000, "Something went wrong", status=500)
    result = await sender.send(WA, question(12))
    assert not result.ok and result.error.startswith(TRANSIENT) and result.error_code == 131000
    async with db.unit_of_work() as session:
        assert await whatsapp_menus.pick(session, WA, "7") is None


async def test_a_long_text_is_split_with_the_choices_on_the_last_part(server, sender) -> None:
    long = "\n".join(f"Baris {n}: " + "x" * 90 for n in range(60))  # ~6,000 characters
    result, done = await sender.send_from(WA, question(2, long), 0)
    bodies = server.sent(WA)
    assert result.ok and done == len(bodies) >= 2
    assert [b["type"] for b in bodies[:-1]] == ["text"] * (len(bodies) - 1)
    assert bodies[-1]["type"] == "interactive" and len(bodies[-1]["interactive"]["body"]["text"]) <= 1024
    assert result.message_id.startswith("wamid.")


async def test_an_attachment_is_uploaded_then_sent_by_its_id(server, sender, tmp_path: Path) -> None:
    (tmp_path / "media" / "rt1").mkdir(parents=True)
    (tmp_path / "media" / "rt1" / "foto.jpg").write_bytes(b"\xff\xd8 jpeg bytes")
    reply = Reply("Foto laporan", attachments=(("photo", "rt1/foto.jpg"),))
    result, done = await sender.send_from(WA, reply, 0)
    assert result.ok and done == 2
    assert [c.method for c in server.calls] == ["media", "messages", "messages"]
    image, words = server.sent(WA)
    assert server.media[image["image"]["id"]].content == b"\xff\xd8 jpeg bytes"
    assert "path" not in image["image"]
    assert words["text"]["body"] == "Foto laporan"


async def test_send_file_sends_a_document(server, sender, tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "nota.pdf").write_bytes(b"%PDF-1.4 nota")
    assert (await sender.send_file(WA, "nota.pdf", "document")).ok
    [body] = server.sent(WA)
    assert body["type"] == "document" and body["document"]["filename"] == "nota.pdf"


async def test_a_missing_attachment_does_not_hold_back_the_words(server, sender) -> None:
    reply = Reply("Foto laporan", attachments=(("photo", "gone.jpg"),))
    result, done = await sender.send_from(WA, reply, 0)
    assert result.ok and done == 2
    assert [b["type"] for b in server.sent(WA)] == ["text"]


async def test_send_from_resumes_without_repeating_what_went_out(server, sender, tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "a.jpg").write_bytes(b"\xff\xd8 a")
    reply = Reply(
        "Sudah diterima?", (Choice("ya", "Ya"), Choice("tidak", "Tidak")), Expect.CHOICE, 2, (("photo", "a.jpg"),)
    )
    server.fail_next("messages", 131000, "Something went wrong", status=500, after=1)
    failed, done = await sender.send_from(WA, reply, 0)
    assert not failed.ok and done == 1
    assert [b["type"] for b in server.sent(WA)] == ["image"]
    rest, total = await sender.send_from(WA, reply, done)
    assert rest.ok and total == 2
    assert [b["type"] for b in server.sent(WA)] == ["image", "interactive"]
    assert [c.method for c in server.calls].count("media") == 1  # the photo was not uploaded again
    assert rest.message_id == server.wamids(WA)[-1]


@pytest.mark.parametrize(
    ("code", "status", "retry_after", "transient"),
    [
        (130429, 400, True, False),
        (131056, 400, True, False),
        (131047, 400, False, False),
        (131026, 400, False, True),
        (131049, 400, False, True),
        (100, 400, False, False),
        (131000, 500, False, True),
    ],
)
async def test_graph_errors_keep_their_code(server, sender, code, status, retry_after, transient) -> None:
    server.fail_next("messages", code, "Error", status=status)
    result = await sender.send(WA, Reply("Halo"))
    assert not result.ok and result.error_code == code
    assert (result.retry_after is not None) == retry_after
    assert result.error.startswith(TRANSIENT) == transient
    assert not result.uncertain and not result.unreachable


async def test_outside_the_window_the_fake_refuses_with_131047(server, sender) -> None:
    result = await sender.send("6289999999999", Reply("Halo"))
    assert result.error_code == 131047 and not result.ok


async def test_a_malformed_request_is_logged_with_its_payload(server, sender, caplog) -> None:
    caplog.set_level(logging.ERROR)
    server.fail_next("messages", 100, "Invalid parameter")
    await sender.send(WA, Reply("Isi pesan yang ditolak"))
    [record] = [r for r in caplog.records if "refused a request" in r.getMessage()]
    assert "Isi pesan yang ditolak" in record.getMessage()
    assert DEFAULT_TOKEN not in record.getMessage()


async def test_a_template_goes_and_returns_its_wamid(server, sender) -> None:
    template = shipped_templates().for_purpose("buka_percakapan")
    result = await sender.send_template("6289999999999", template_message(template, ("Budi", "RT 001 Kel. X")))
    assert result.ok and result.message_id.startswith("wamid.")
    [body] = server.sent("6289999999999")
    assert body["template"]["name"] == "kb_buka_percakapan"


async def test_no_answer_is_unknown_fate_and_a_refused_connection_is_not(server, sender, db, tmp_path) -> None:
    server.delay_next("messages", 5.0)
    slow = await sender.send(WA, Reply("Halo"))
    assert slow.uncertain and slow.no_answer and slow.error.startswith(TRANSIENT)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    client = WhatsAppClient(DEFAULT_TOKEN, DEFAULT_PHONE_NUMBER_ID, f"http://127.0.0.1:{port}/v23.0")
    nobody = WhatsAppSender(client, tmp_path, db)
    refused = await nobody.send(WA, Reply("Halo"))
    assert refused.no_answer and not refused.uncertain and refused.error.startswith(TRANSIENT)
    assert await sender.alive() and not await nobody.alive()
    await nobody.close()
