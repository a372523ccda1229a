"""The name is asked at registration when the invitation carried none; greetings say "Bapak/Ibu <nama>"."""

from sqlalchemy import select

from services.models import AuditLog, Invitation, Role
from tests.handlers.chat import Chat
from tests.handlers.flows.pendamping import person_of, text_of

RT1 = "15.71.01.1001-001"
RT1_NAME = "RT 001 Kel. Simpang IV Sipin"


async def test_a_treasurer_invited_from_the_chat_is_asked_their_name(world):
    ketua = await world.chat(Role.KETUA_RT, RT1, nama="Budi Santoso")
    code_text = text_of(await ketua.send("/undang_bendahara"))
    code = next(word for word in code_text.split() if len(word) == 9 and word[4] == "-")
    async with world.db.unit_of_work() as session:
        assert (await session.scalar(select(Invitation).where(Invitation.role == Role.BENDAHARA))).nama is None

    treasurer = Chat(world.engine, user_id="bendahara-1", display_name=None)  # a chat that gives no name
    replies = await treasurer.send(f"/start {code}")
    assert replies[0].text.startswith("Pendaftaran berhasil. Bapak/Ibu terdaftar sebagai Bendahara Pokja untuk RT")
    assert replies[-1].text == "Siapa nama Bapak/Ibu? Ketik nama lengkap, misalnya Siti Aminah."
    assert replies[-1].choices == ()  # no name to offer
    assert (await person_of(world, treasurer)).nama == ""
    replies = await treasurer.send("  Siti   Aminah ")
    assert replies[0].text == "Terima kasih, Bapak/Ibu Siti Aminah."
    assert replies[1].choices  # the menu
    person = await person_of(world, treasurer)
    assert person.nama == "Siti Aminah"
    async with world.db.unit_of_work() as session:
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "person.name"))
    assert (audit.person_id, audit.detail) == (person.id, {"before": "", "after": "Siti Aminah"})
    replies = await treasurer.send("/start")
    assert replies[0].text == (
        f"Selamat datang kembali, Bapak/Ibu Siti Aminah. Bapak/Ibu terdaftar sebagai Bendahara Pokja untuk {RT1_NAME}."
    )


async def test_a_name_that_is_not_a_name_is_asked_again(world):
    chat = Chat(world.engine, user_id="u-nama", display_name=None)
    replies = await chat.send(f"/start {await world.invite(Role.KETUA_RT, RT1)}")
    replies = await chat.send("12345")
    assert replies[0].text == "Silakan ketik nama dengan huruf, misalnya Siti Aminah."
    assert replies[1].text.startswith("Siapa nama Bapak/Ibu?")
    replies = await chat.send("x" * 121)
    assert replies[0].text == "Nama itu terlalu panjang. Silakan ketik paling banyak 120 karakter."
    assert (await person_of(world, chat)).nama == ""


async def test_the_chat_apps_name_is_offered_and_kept_until_answered(world):
    chat = Chat(world.engine, user_id="u-tg", display_name="Ani 🌸")
    replies = await chat.send(f"/start {await world.invite(Role.KETUA_RT, RT1)}")
    assert [c.label for c in replies[-1].choices] == ["Ani 🌸"]
    # Meanwhile the pendamping sees that name rather than "-".
    assert (await person_of(world, chat)).nama == "Ani 🌸"
    replies = await chat.press(replies[-1].choices[0].id)
    assert replies[0].text == "Terima kasih, Bapak/Ibu Ani 🌸."


async def test_an_invitation_with_a_name_asks_nothing_and_greets_by_name(world):
    chat = Chat(world.engine, user_id="u-named", display_name="Telegram Name")
    replies = await chat.send(f"/start {await world.invite(Role.KETUA_RT, RT1, nama='Budi Santoso')}")
    assert replies[0].text == (
        f"Pendaftaran berhasil. Bapak/Ibu Budi Santoso terdaftar sebagai Ketua RT untuk {RT1_NAME}."
    )
    assert replies[1].choices and "Siapa nama" not in text_of(replies)
    assert (await person_of(world, chat)).nama == "Budi Santoso"
