"""The Graph API client against the fake server over real HTTP: calls, errors, and the token kept secret."""

import logging
import socket
from collections.abc import AsyncIterator

import pytest

from bot.channels.whatsapp.client import (
    DownloadTooLarge,
    FateUnknown,
    GraphApiError,
    NotSent,
    WhatsAppClient,
)
from bot.channels.whatsapp.incoming import choice_of
from bot.channels.whatsapp.render import Words, render, template_body, with_media_id
from handlers.context import MediaTooLarge
from handlers.messages import Choice, Expect, Reply
from tests.fakes.whatsapp_api import DEFAULT_PHONE_NUMBER_ID, DEFAULT_TOKEN, FakeWhatsAppServer

WA = "6281234567890"
WORDS = Words("Pilih", "Ketik nomor pilihan")


@pytest.fixture
async def server() -> AsyncIterator[FakeWhatsAppServer]:
    async with FakeWhatsAppServer() as srv:
        srv.inbound(WA)
        yield srv


@pytest.fixture
async def client(server: FakeWhatsAppServer) -> AsyncIterator[WhatsAppClient]:
    async with WhatsAppClient(DEFAULT_TOKEN, DEFAULT_PHONE_NUMBER_ID, server.api_url) as wa:
        yield wa


@pytest.fixture(autouse=True)
def no_token_in_logs(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    yield
    for record in caplog.records:
        assert DEFAULT_TOKEN not in record.getMessage(), record.getMessage()


async def test_send_returns_the_wamid_and_adds_the_envelope(server: FakeWhatsAppServer, client) -> None:
    wamid = await client.send(WA, {"type": "text", "text": {"body": "Halo Pak", "preview_url": False}})
    assert wamid.startswith("wamid.")
    assert server.sent(WA) == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": WA,
            "type": "text",
            "text": {"body": "Halo Pak", "preview_url": False},
        }
    ]


def long_labels(count: int) -> tuple[Choice, ...]:
    return tuple(Choice(f"s{n}", f"Tahap {n}: laporan kegiatan dan bukti foto rapat warga") for n in range(count))


@pytest.mark.parametrize("count", [0, 1, 2, 3, 4, 7, 10, 11, 12, 30])
async def test_every_rendered_reply_is_accepted_by_metas_rules(server: FakeWhatsAppServer, client, count) -> None:
    text = "\n".join(f"Baris {n} dari pesan yang panjang sekali untuk Bapak/Ibu Ketua RT" for n in range(90))
    reply = Reply(text, long_labels(count), Expect.CHOICE, token=42)
    rendered = render(reply, WORDS)
    for body in rendered.bodies:
        await client.send(WA, body)
    assert server.refused() == []
    assert len(server.sent(WA)) == len(rendered.bodies) >= 2


async def test_twelve_stages_go_as_a_numbered_menu(server: FakeWhatsAppServer, client) -> None:
    rendered = render(Reply("Pilih tahap:", long_labels(12), Expect.CHOICE, token=3), WORDS)
    for body in rendered.bodies:
        await client.send(WA, body)
    assert "12. Tahap 11" in server.sent(WA)[-1]["text"]["body"]
    assert rendered.pick("12") == (3, "s11")


async def test_a_body_meta_refuses_is_a_graph_error_with_details(client) -> None:
    buttons = [{"type": "reply", "reply": {"id": str(n), "title": str(n)}} for n in range(4)]
    body = {
        "type": "interactive",
        "interactive": {"type": "button", "body": {"text": "?"}, "action": {"buttons": buttons}},
    }
    with pytest.raises(GraphApiError) as caught:
        await client.send(WA, body)
    assert (caught.value.status, caught.value.code) == (400, 131009)
    assert "buttons: 4 given" in caught.value.details


async def test_outside_the_window_is_131047(server: FakeWhatsAppServer, client) -> None:
    server.last_inbound.clear()
    with pytest.raises(GraphApiError) as caught:
        await client.send(WA, {"type": "text", "text": {"body": "halo"}})
    assert caught.value.code == 131047
    template = {"type": "template", "template": {"name": "pengingat_bulanan", "language": {"code": "id"}}}
    assert (await client.send(WA, template)).startswith("wamid.")


@pytest.mark.parametrize(("code", "status"), [(130429, 400), (131056, 400), (131026, 400), (1, 500)])
async def test_error_codes_pass_through(server: FakeWhatsAppServer, client, code: int, status: int) -> None:
    server.fail_next("messages", code, "Meta says no", status=status, title="Judul")
    with pytest.raises(GraphApiError) as caught:
        await client.send(WA, {"type": "text", "text": {"body": "x"}})
    assert (caught.value.code, caught.value.status, caught.value.title) == (code, status, "Judul")
    assert f"(#{code}) Meta says no" in str(caught.value)


async def test_a_wrong_token_is_an_error_that_does_not_show_it(server: FakeWhatsAppServer) -> None:
    secret = "EAAG-wrong-but-secret-token"
    async with WhatsAppClient(secret, DEFAULT_PHONE_NUMBER_ID, server.api_url) as wa:
        with pytest.raises(GraphApiError) as caught:
            await wa.send(WA, {"type": "text", "text": {"body": "x"}})
        assert (caught.value.status, caught.value.code) == (401, 190)
        assert secret not in str(caught.value) and secret not in repr(wa)


async def test_a_token_echoed_by_meta_is_scrubbed(server: FakeWhatsAppServer, client) -> None:
    server.fail_next("messages", 190, f"Malformed access token {DEFAULT_TOKEN}", title=DEFAULT_TOKEN)
    with pytest.raises(GraphApiError) as caught:
        await client.send(WA, {"type": "text", "text": {"body": "x"}})
    assert DEFAULT_TOKEN not in str(caught.value)
    assert "***" in caught.value.message and caught.value.title == "***"


async def test_upload_then_send_by_id(server: FakeWhatsAppServer, client) -> None:
    media_id = await client.upload_media(b"%PDF-1.7 bukti", "application/pdf", "bukti.pdf")
    [body] = render(Reply("", attachments=(("document", "ab/bukti.pdf"),)), WORDS).bodies
    await client.send(WA, with_media_id(body, media_id))
    assert server.media[media_id].content == b"%PDF-1.7 bukti"
    assert server.media[media_id].filename == "bukti.pdf"
    assert server.sent(WA)[-1]["document"] == {"filename": "bukti.pdf", "id": media_id}


async def test_media_url_then_download(server: FakeWhatsAppServer, client) -> None:
    media_id = server.add_media(b"\xff\xd8" + b"x" * 1000, "image/jpeg")
    info = await client.media_info(media_id)
    assert (info.mime_type, info.file_size) == ("image/jpeg", 1002)
    assert await client.download(info.url, max_bytes=5 * 1024 * 1024) == b"\xff\xd8" + b"x" * 1000
    with pytest.raises(DownloadTooLarge) as caught:
        await client.download(info.url, max_bytes=1001)
    assert isinstance(caught.value, MediaTooLarge)  # the flows' contract: ask for the file again


async def test_a_download_without_a_declared_size_is_cut_off_at_the_cap(server: FakeWhatsAppServer, client) -> None:
    server.chunked_downloads = True
    content = bytes(range(256)) * 4096  # 1 MiB, sent in chunks with no Content-Length
    info = await client.media_info(server.add_media(content, "application/pdf"))
    assert await client.download(info.url, max_bytes=len(content)) == content
    with pytest.raises(DownloadTooLarge):
        await client.download(info.url, max_bytes=300_000)


async def test_an_unknown_media_id_is_a_graph_error(client) -> None:
    with pytest.raises(GraphApiError):
        await client.media_info("404404")


async def test_an_expired_download_url_is_a_graph_error(server: FakeWhatsAppServer, client) -> None:
    info = await client.media_info(server.add_media(b"x", "image/jpeg"))
    server.fail_next("download", 100, "URL expired", status=404)
    with pytest.raises(GraphApiError) as caught:
        await client.download(info.url, max_bytes=100)
    assert caught.value.status == 404


async def test_mark_read(server: FakeWhatsAppServer, client) -> None:
    await client.mark_read("wamid.IN1")
    assert server.read == ["wamid.IN1"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_nothing_listening_is_not_sent() -> None:
    async with WhatsAppClient(DEFAULT_TOKEN, DEFAULT_PHONE_NUMBER_ID, f"http://127.0.0.1:{free_port()}/v23.0") as wa:
        with pytest.raises(NotSent) as caught:
            await wa.send(WA, {"type": "text", "text": {"body": "x"}})
    assert caught.value.sent is False


async def test_a_timeout_after_sending_is_fate_unknown(server: FakeWhatsAppServer) -> None:
    server.delay_next("messages", 1.0)
    async with WhatsAppClient(DEFAULT_TOKEN, DEFAULT_PHONE_NUMBER_ID, server.api_url, timeout=0.2) as wa:
        with pytest.raises(FateUnknown) as caught:
            await wa.send(WA, {"type": "text", "text": {"body": "mungkin terkirim"}})
    assert caught.value.sent is None
    # It did reach Meta: sending it again blindly would have been a duplicate.
    assert [b["text"]["body"] for b in await server.wait_for_sent(1, timeout=3)] == ["mungkin terkirim"]


async def test_a_template_with_a_multi_line_parameter_and_a_quick_reply(server: FakeWhatsAppServer, client) -> None:
    server.last_inbound.clear()  # outside the window: only a template may go
    server.templates = {"pemberitahuan_umum"}
    broadcast = "Rapat warga\n\nSabtu, 10 Januari\tpukul 19.00      di balai RT"
    body = template_body("pemberitahuan_umum", (broadcast,), quick_replies=("lapor",))
    await client.send(WA, body)
    [sent] = server.sent(WA)
    components = sent["template"]["components"]
    assert components[0]["parameters"] == [
        {"type": "text", "text": "Rapat warga Sabtu, 10 Januari pukul 19.00 di balai RT"}
    ]
    assert components[1]["parameters"] == [{"type": "payload", "payload": "0:lapor"}]
    assert choice_of(components[1]["parameters"][0]["payload"]) == (None, "lapor")
    raw = {"type": "template", "template": {**body["template"], "components": [
        {"type": "body", "parameters": [{"type": "text", "text": broadcast}]}
    ]}}  # fmt: skip
    with pytest.raises(GraphApiError) as caught:
        await client.send(WA, raw)
    assert caught.value.code == 132018
