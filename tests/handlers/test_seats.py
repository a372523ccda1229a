"""Handing a seat over: a `--ganti` code, redeemed in the chat, replaces the holder end to end."""

from sqlalchemy import select

from services import invitations
from services.models import RT, AuditLog, Person, Role
from tests.handlers.chat import Chat, outbox_for
from tests.handlers.flows.pendamping import person_of, text_of

RT1 = "15.71.01.1001-001"  # pendamping Dewi Lubis
RT1_NAME = "RT 001 Kel. Simpang IV Sipin"


async def ganti_code(world, holder: Person, role: Role = Role.KETUA_RT) -> str:
    """What `invite create --role ketua_rt --rt … --ganti` makes: a code naming the holder it replaces."""
    async with world.db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == RT1))
        issued = await invitations.create_invitation(
            session, world.pepper, role=role, created_by="cli:invite", rt=rt, replaces=holder
        )
        return issued.code


async def test_registering_with_a_ganti_code_hands_the_seat_over(world):
    async with world.db.unit_of_work() as session:
        dewi = await session.scalar(select(Person).where(Person.nama == "Dewi Lubis"))
    pendamping = await world.chat(Role.PENDAMPING, person=dewi)
    old = await world.chat(Role.KETUA_RT, RT1, nama="Budi Santoso")
    budi = await person_of(world, old)
    code = await ganti_code(world, budi)

    new = Chat(world.engine, user_id="new-ketua", display_name="Rahmat")
    replies = await new.send(f"/start {code}")
    assert replies[0].text.startswith("Pendaftaran berhasil. Bapak/Ibu terdaftar sebagai Ketua RT")
    await new.send("Rahmat Hidayat")
    rahmat = await person_of(world, new)
    async with world.db.unit_of_work() as session:
        budi = await session.get(Person, budi.id)
        handover = await session.scalar(select(AuditLog).where(AuditLog.action == "seat.handover"))
    assert (budi.active, rahmat.active, rahmat.role, rahmat.rt_id) == (False, True, Role.KETUA_RT, budi.rt_id)
    # The audit log says who left, who came, on whose invitation, and when.
    assert handover.actor == f"test:{new.user_id}" and handover.person_id == rahmat.id and handover.at is not None
    assert handover.detail["replaced_person_id"] == budi.id and handover.detail["replaced_nama"] == "Budi Santoso"
    assert handover.detail["invited_by"] == "cli:invite"

    # The old chair is told through the outbox, and no longer acts.
    [to_budi] = await outbox_for(world.engine, old.user_id)
    assert to_budi.payload["text"].startswith("Bapak/Ibu Budi Santoso, mulai ")
    assert f"Ketua RT untuk {RT1_NAME} di bot ini adalah Bapak/Ibu Rahmat." in to_budi.payload["text"]
    assert "Akun Bapak/Ibu tidak aktif lagi di bot." in to_budi.payload["text"]
    assert to_budi.payload["text"].endswith("Jika ini keliru, silakan hubungi pendamping Dewi Lubis.")
    assert text_of(await old.send("/lapor")).startswith("Akun ini sudah tidak aktif di bot.")
    [to_dewi] = await outbox_for(world.engine, pendamping.user_id)
    assert to_dewi.payload["text"].startswith(f"{RT1_NAME}: Bapak/Ibu Rahmat mendaftar sebagai Ketua RT baru pada ")
    assert to_dewi.payload["text"].endswith(", menggantikan Bapak/Ibu Budi Santoso.")


async def test_a_newcomer_without_a_name_yet_is_announced_as_a_new_chair(world):
    old = await world.chat(Role.KETUA_RT, RT1, nama="Budi Santoso")
    code = await ganti_code(world, await person_of(world, old))
    await Chat(world.engine, user_id="console", display_name=None).send(f"/start {code}")
    [to_budi] = await outbox_for(world.engine, old.user_id)
    assert f"ada Ketua RT baru untuk {RT1_NAME} di bot ini. Akun Bapak/Ibu tidak aktif lagi" in to_budi.payload["text"]


async def test_a_ganti_code_for_a_holder_who_already_left_is_refused(world):
    old = await world.chat(Role.KETUA_RT, RT1, nama="Budi Santoso")
    budi = await person_of(world, old)
    first, second = await ganti_code(world, budi), await ganti_code(world, budi)
    await Chat(world.engine, user_id="first").send(f"/start {first}")
    late = Chat(world.engine, user_id="late", display_name="Joko")
    text = text_of(await late.send(f"/start {second}"))
    # The seat changed hands since the code was made: it does not replace the new chair.
    assert text.startswith(f"Kode ini tidak dipakai. Ketua RT untuk {RT1_NAME} sudah terdaftar")
    async with world.db.unit_of_work() as session:
        assert (await invitations.find_invitation(session, world.pepper, second)).used_at is None
        active = list(await session.scalars(select(Person).where(Person.role == Role.KETUA_RT, Person.active)))
    assert [p.nama for p in active] == ["Tester"]  # the first chat's name, from its chat app


async def test_a_plain_code_still_cannot_take_a_held_seat(world):
    await world.chat(Role.KETUA_RT, RT1, nama="Budi Santoso")
    chat = await world.chat()
    text = text_of(await chat.send(f"/start {await world.invite(Role.KETUA_RT, RT1)}"))
    assert "atas nama Budi Santoso" in text
    async with world.db.unit_of_work() as session:
        assert await session.scalar(select(AuditLog).where(AuditLog.action == "seat.handover")) is None
