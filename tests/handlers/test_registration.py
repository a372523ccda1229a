"""Registration by invitation code, on SQLite and PostgreSQL."""

from datetime import timedelta

from sqlalchemy import select

from services.models import ChannelIdentity, Invitation, Person, Role, utcnow


async def test_unregistered_person_is_asked_for_a_code(world):
    chat = await world.chat()
    replies = await chat.send("/start")
    assert "invitation code" in chat.texts(replies) or "kode undangan" in chat.texts(replies)


async def test_deep_link_registers_in_one_step(world):
    chat = await world.chat()
    code = await world.invite(Role.KETUA_RT, "15.71.01.1001-001")
    replies = await chat.send(f"/start {code}")
    assert "15.71.01.1001-001" in chat.texts(replies)
    async with world.db.unit_of_work() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == chat.user_id))
        person = await session.get(Person, identity.person_id)
        assert person.role == Role.KETUA_RT
        invitation = await session.scalar(select(Invitation))
        assert invitation.used_by_person_id == person.id


async def test_typed_code_with_dash_and_lower_case(world):
    chat = await world.chat()
    code = await world.invite(Role.KETUA_RT, "15.71.01.1001-001")
    await chat.send("halo")
    replies = await chat.send(f" {code[:4].lower()}-{code[4:].lower()} ")
    assert "15.71.01.1001-001" in chat.texts(replies)


async def test_used_code_is_refused_with_reason(world):
    code = await world.invite(Role.KETUA_RT, "15.71.01.1001-001")
    first, second = await world.chat(), await world.chat()
    await first.send(f"/start {code}")
    replies = await second.send(f"/start {code}")
    assert "already been used" in second.texts(replies) or "sudah dipakai" in second.texts(replies)


async def test_expired_code_is_refused(world):
    code = await world.invite(Role.KETUA_RT, "15.71.01.1001-001")
    async with world.db.unit_of_work() as session:
        invitation = await session.scalar(select(Invitation))
        invitation.expires_at = utcnow() - timedelta(minutes=1)
    chat = await world.chat()
    replies = await chat.send(f"/start {code}")
    assert "expired" in chat.texts(replies) or "kedaluwarsa" in chat.texts(replies)


async def test_five_wrong_codes_lock_the_identity(world):
    chat = await world.chat()
    for _ in range(5):
        await chat.send("/start AAAAAAAA")
    code = await world.invite(Role.KETUA_RT, "15.71.01.1001-001")
    replies = await chat.send(f"/start {code}")
    text = chat.texts(replies)
    assert "Too many" in text or "Terlalu banyak" in text
    async with world.db.unit_of_work() as session:
        assert (await session.scalar(select(Invitation).where(Invitation.used_at.is_not(None)))) is None


async def test_registered_person_using_another_code_is_told_who_they_are(world):
    chat = await world.chat(Role.KETUA_RT, "15.71.01.1001-001")
    other = await world.invite(Role.BENDAHARA, "15.71.01.1001-001")
    replies = await chat.send(f"/start {other}")
    assert "15.71.01.1001-001" in chat.texts(replies)
    async with world.db.unit_of_work() as session:
        invitation = await session.scalar(select(Invitation).where(Invitation.role == Role.BENDAHARA))
        assert invitation.used_at is None
