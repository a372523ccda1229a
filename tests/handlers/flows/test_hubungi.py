"""`/hubungi` and "Balas": an RT writes to its pendamping and gets the answer; free text is offered to them."""

from sqlalchemy import select

from handlers.flow import action_choice_id
from handlers.menu import menu_reply
from services.models import RT, Person, Pesan, Role
from tests.handlers.chat import outbox_for
from tests.handlers.flows.pendamping import person_of, press_notification, text_of

RT1 = "15.71.01.1001-001"  # pendamping Dewi Lubis
RT1_NAME = "RT 001 Kel. Simpang IV Sipin"
NOT_UNDERSTOOD = "Pesan itu tidak dikenali bot. Silakan tekan salah satu tombol di bawah."  # then the menu


async def dewi(world, phone: str | None = "+6281234567890"):
    """Dewi Lubis (the roster's pendamping of RT 1) in the bot, with her phone number recorded."""
    async with world.db.unit_of_work() as session:
        person = await session.scalar(select(Person).where(Person.nama == "Dewi Lubis"))
        person.phone = phone
    return await world.chat(Role.PENDAMPING, person=person)


async def pesan_rows(world) -> list[Pesan]:
    async with world.db.unit_of_work() as session:
        return list(await session.scalars(select(Pesan).order_by(Pesan.id)))


async def test_a_message_reaches_the_pendamping_and_the_answer_comes_back(world):
    pendamping = await dewi(world)
    ketua = await world.chat(Role.KETUA_RT, RT1, nama="Budi Santoso")
    replies = await ketua.send("/hubungi")
    text = text_of(replies)
    assert f"Pendamping {RT1_NAME}: Dewi Lubis, telepon 081234567890." in text
    assert "misalnya: Bu, rembuk warga kami hari Sabtu" in text and "Anda" not in text
    replies = await ketua.send("Bu, rembuk warga kami jadi hari Sabtu.")
    assert text_of(replies) == "Terkirim ke pendamping Dewi Lubis. Balasannya akan muncul di sini."

    [to_dewi] = await outbox_for(world.engine, pendamping.user_id)
    [first] = await pesan_rows(world)
    assert to_dewi.payload["text"] == (
        f"✉️ Pesan dari Bapak/Ibu Budi Santoso (Ketua RT, {RT1_NAME}):\n"
        "Bu, rembuk warga kami jadi hari Sabtu.\n\nTekan Balas untuk menjawab."
    )
    assert to_dewi.payload["choices"] == [{"id": action_choice_id("balas", first.id), "label": "Balas"}]

    # Dewi answers with the button, whatever she was doing.
    await pendamping.send("/rt")
    replies = await press_notification(pendamping, action_choice_id("balas", first.id))
    assert "Ketik balasan untuk Bapak/Ibu Budi Santoso" in text_of(replies)
    replies = await pendamping.send("Baik Pak, saya datang jam 9.")
    assert text_of(replies) == "Balasan sudah dikirim ke Bapak/Ibu Budi Santoso."
    [to_budi] = await outbox_for(world.engine, ketua.user_id)
    first, answer = await pesan_rows(world)
    assert to_budi.payload["text"].startswith("✉️ Balasan dari pendamping Dewi Lubis:\nBaik Pak, saya datang jam 9.")
    assert to_budi.payload["choices"] == [{"id": action_choice_id("balas", answer.id), "label": "Balas"}]
    budi, dewi_person = await person_of(world, ketua), await person_of(world, pendamping)
    assert (answer.from_person_id, answer.to_person_id, answer.reply_to_id) == (dewi_person.id, budi.id, first.id)
    assert (first.from_person_id, first.to_person_id, first.rt_id) == (budi.id, dewi_person.id, answer.rt_id)

    # Budi can answer back the same way.
    await press_notification(ketua, action_choice_id("balas", answer.id))
    await ketua.send("Terima kasih Bu.")
    assert len(await outbox_for(world.engine, pendamping.user_id)) == 2


async def test_only_the_recipient_can_answer_a_message(world):
    pendamping = await dewi(world)
    ketua = await world.chat(Role.KETUA_RT, RT1, nama="Budi Santoso")
    await ketua.send("/hubungi")
    await ketua.send("Bu, kapan proposal dikumpulkan?")
    [first] = await pesan_rows(world)
    treasurer = await world.chat(Role.BENDAHARA, RT1)
    replies = await press_notification(treasurer, action_choice_id("balas", first.id))
    assert text_of(replies).startswith("Pesan itu tidak dikirim kepada Bapak/Ibu")
    replies = await press_notification(pendamping, action_choice_id("balas", 999))
    assert text_of(replies).startswith("Pesan itu sudah tidak ada.")
    assert len(await pesan_rows(world)) == 1


async def test_free_text_is_offered_to_the_pendamping_not_lost(world):
    pendamping = await dewi(world, phone=None)
    bendahara = await world.chat(Role.BENDAHARA, RT1, nama="Siti Aminah")
    replies = await bendahara.send("Baik pak, saya hadir")
    assert replies[-1].text == (
        "Pesan ini belum terkirim ke siapa pun:\n“Baik pak, saya hadir”\nKirim ke pendamping Dewi Lubis?"
    )
    assert [c.label for c in replies[-1].choices] == ["Kirim ke pendamping", "Tidak"]
    replies = await bendahara.press_label("Kirim ke pendamping")
    assert text_of(replies) == "Terkirim ke pendamping Dewi Lubis. Balasannya akan muncul di sini."
    [to_dewi] = await outbox_for(world.engine, pendamping.user_id)
    assert to_dewi.payload["text"].startswith(f"✉️ Pesan dari Bapak/Ibu Siti Aminah (Bendahara Pokja, {RT1_NAME}):")
    assert "Baik pak, saya hadir" in to_dewi.payload["text"]

    # A number is a menu pick gone astray, not words for the pendamping.
    assert (await bendahara.send("3"))[0].text == NOT_UNDERSTOOD
    # "Tidak": nothing is sent, the menu is shown.
    await bendahara.send("oke siap")
    replies = await bendahara.press_label("Tidak")
    assert replies[0].text == "Baik, pesan tidak dikirim." and replies[1].choices
    assert len(await outbox_for(world.engine, pendamping.user_id)) == 1
    assert len(await pesan_rows(world)) == 1


async def test_without_a_pendamping_nothing_is_offered(world):
    pendamping = await dewi(world)
    async with world.db.unit_of_work() as session:
        (await session.scalar(select(RT).where(RT.kode == RT1))).pendamping_id = None
    ketua = await world.chat(Role.KETUA_RT, RT1)
    assert text_of(await ketua.send("/hubungi")).startswith("RT Bapak/Ibu belum punya pendamping di bot")
    assert (await ketua.send("halo"))[0].text == NOT_UNDERSTOOD
    # A pendamping's own stray text is not offered to anyone either.
    assert (await pendamping.send("halo"))[0].text == NOT_UNDERSTOOD
    assert await pesan_rows(world) == []


async def test_the_phone_number_is_said_when_known_and_the_menu_offers_hubungi(world):
    await dewi(world, phone=None)
    ketua = await world.chat(Role.KETUA_RT, RT1)
    text = text_of(await ketua.send("/hubungi"))
    assert f"Pendamping {RT1_NAME}: Dewi Lubis (nomor telepon belum tercatat)." in text
    replies = await ketua.press("cancel")
    assert replies[0].text == "Tidak dikirim."
    for role in (Role.KETUA_RT, Role.BENDAHARA):
        assert "cmd:hubungi" in [c.id for c in menu_reply(role).choices]


async def test_a_pendamping_not_in_the_bot_yet_is_named_and_nothing_is_kept(world):
    ketua = await world.chat(Role.KETUA_RT, RT1)  # Dewi Lubis is in the roster but never registered
    replies = await ketua.send("/hubungi")
    assert text_of(replies) == (
        f"Pendamping {RT1_NAME}: Dewi Lubis (nomor telepon belum tercatat).\n"
        "Dewi Lubis belum memakai bot, jadi pesan belum bisa dikirim di sini. Silakan hubungi langsung."
    )
    assert (await ketua.send("Baik pak, saya hadir"))[0].text == NOT_UNDERSTOOD
    assert await pesan_rows(world) == []
