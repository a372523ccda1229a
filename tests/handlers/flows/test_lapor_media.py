"""The evidence step of /lapor fed one photo per message, as WhatsApp sends them (it has no albums): every photo is
taken, and each answer says how many are in."""

from handlers.messages import Expect, Incoming, Kind, MediaItem
from services.models import Media, Role, StageReport
from tests.handlers.chat import Chat
from tests.handlers.flows.ketua_setup import FEB_10, RT_A, at, count, photo, seed_reports, text_of

WA = "6281234567890"


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
