"""The evidence step of /lapor fed one photo per message, as WhatsApp sends them (it has no albums): every photo is
taken, and each answer says how many are in."""

from datetime import UTC, datetime

from handlers.messages import Expect, Incoming, Kind, MediaItem
from services.models import Media, Role, StageReport
from tests.handlers.chat import Chat
from tests.handlers.flows.ketua_setup import FEB_10, PDF, RT_A, at, count, photo, rows, seed_reports, text_of

WA = "6281234567890"
JUN_10 = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)  # Kelompok A's month for serah terima and the LPJ


async def whatsapp_ketua_at_the_photos(world) -> Chat:
    at(world, FEB_10)
    await seed_reports(world, RT_A, ["sosialisasi"])
    chat = Chat(world.engine, WA, channel="whatsapp", display_name="Budi")
    replies = await chat.send(f"DAFTAR {await world.invite(Role.KETUA_RT, RT_A)}")
    assert "terdaftar" in text_of(replies).lower()
    await chat.send("/lapor")
    await chat.press("s:rembuk_warga")
    await chat.press("today")
    await chat.send("45")
    replies = await chat.send("30")
    assert replies[-1].expect == Expect.MEDIA
    return chat


def one_photo(chat: Chat, n: int, update_id: str) -> Incoming:
    _name, content, mime = photo(n)
    media_id = f"11044808737772{n:02d}"  # WhatsApp's media ids; photos come without a file name
    chat.files[media_id] = content
    item = MediaItem("photo", media_id, mime, len(content))
    return Incoming("whatsapp", WA, Kind.MEDIA, media=(item,), display_name="Budi", update_id=update_id)


async def test_three_photos_in_three_messages_are_all_taken_and_counted(world) -> None:
    chat = await whatsapp_ketua_at_the_photos(world)
    reports, media = await count(world, StageReport), await count(world, Media)
    for n in (1, 2, 3):
        replies = await chat.deliver(one_photo(chat, n, f"wamid.FOTO{n}"))
        assert f"Sudah diterima: {n} foto." in text_of(replies)
        assert replies[-1].expect == Expect.MEDIA and [c.id for c in replies[-1].choices] == ["done"]
    assert "Sudah cukup" in replies[-1].text
    # Meta delivering the second photo again changes nothing: it was handled once.
    assert await chat.engine.handle(one_photo(chat, 2, "wamid.FOTO2"), chat.fetch) == []
    await chat.press("done")
    replies = await chat.press("send")
    assert "menunggu diperiksa" in text_of(replies)
    assert await count(world, StageReport) == reports + 1
    assert await count(world, Media) == media + 3


async def test_the_sk_pokja_is_named_and_taken_as_a_pdf_or_a_photo(world) -> None:
    at(world, FEB_10)
    await seed_reports(world, RT_A, ["sosialisasi", "rembuk_warga"])
    chat = await world.chat(Role.KETUA_RT, RT_A)
    await chat.send("/lapor")
    await chat.press("s:pembentukan_pokja")
    await chat.press("today")
    for name in ("Siti", "Rahmat", "Ani"):
        replies = await chat.send(name)
    assert "paling sedikit 1 foto; juga foto atau berkas PDF SK Pokja jika ada" in text_of(replies)
    replies = await chat.send_media(PDF, kind="document")  # refused on a photo-only stage before
    assert "Sudah diterima: 0 foto, 1 dokumen." in text_of(replies)
    replies = await chat.send_media(photo(1))
    assert "Sudah cukup" in text_of(replies)
    await chat.press("done")
    await chat.press("send")
    [report] = await rows(world, StageReport, StageReport.stage_key == "pembentukan_pokja")
    kinds = sorted(m.kind for m in await rows(world, Media, Media.report_id == report.id))
    assert kinds == ["document", "photo"]


async def test_a_photographed_berita_acara_counts_as_the_document_once_the_photos_are_enough(world) -> None:
    at(world, JUN_10)
    await seed_reports(world, RT_A, [s.kode for s in world.program.stages[: world.program.stage_order("serah_terima")]])
    chat = await world.chat(Role.KETUA_RT, RT_A)
    await chat.send("/lapor")
    replies = await chat.press("s:serah_terima")
    replies = await chat.press("today")
    assert "paling sedikit 1 foto kegiatan, dan foto atau berkas PDF Berita Acara Serah Terima" in text_of(replies)
    replies = await chat.send_media(photo(1), photo(2))  # the activity, and the signed paper
    assert "Sudah diterima: 1 foto, 1 dokumen." in text_of(replies) and "Sudah cukup" in text_of(replies)
