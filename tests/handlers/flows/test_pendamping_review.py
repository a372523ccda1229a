"""The review card flags a photo the same RT already sent for another stage, end to end (/lapor, then /tinjau)."""

from tests.handlers.flows.ketua_setup import FEB_10, RT_A, at, ketua, pendamping, photo, text_of


async def report(chat, stage: str, *photos) -> None:
    await chat.send("/lapor")
    await chat.press(f"s:{stage}")
    await chat.press("yesterday")
    if stage == "rembuk_warga":
        await chat.send("45")
        await chat.send("30")
    await chat.send_media(*photos)
    await chat.press("done")
    await chat.press("send")


async def test_a_photo_sent_again_for_another_stage_is_flagged_on_the_card(world):
    at(world, FEB_10)
    dewi = await pendamping(world, RT_A)
    chat = await ketua(world, RT_A)
    await report(chat, "sosialisasi", photo(1))
    await report(chat, "rembuk_warga", photo(2), photo(1))
    replies = await dewi.send("/tinjau")
    first = replies[-1].text
    assert "Tahap: Sosialisasi" in first and "⚠️" not in first  # the first use is not the reuse
    replies = await dewi.press_label("Lewati")
    card = text_of(replies)
    assert "Tahap: Rembuk Warga" in card
    assert "⚠️ Foto 2: RT ini sudah mengirim file yang sama untuk Sosialisasi (9 Februari 2026)." in card
    assert "Foto 1:" not in card
