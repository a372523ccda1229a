"""Registration by invitation code, on SQLite and PostgreSQL."""

import logging
from datetime import timedelta

from sqlalchemy import func, select

from handlers.formatting import waktu
from services import code_attempts
from services.models import (
    RT,
    AuditLog,
    ChannelIdentity,
    CodeAttempt,
    ConversationState,
    Invitation,
    Person,
    Role,
    utcnow,
)


async def test_unregistered_person_is_asked_for_a_code(world):
    chat = await world.chat()
    replies = await chat.send("/start")
    assert "invitation code" in chat.texts(replies) or "kode undangan" in chat.texts(replies)


async def test_a_greeting_gets_the_welcome_and_a_mistyped_code_what_a_code_looks_like(world):
    chat = await world.chat()
    for greeting in ("halo", "Selamat pagi pak"):
        [reply] = await chat.send(greeting)
        assert reply.text.startswith("Selamat datang di bot Kampung Bahagia Kota Jambi.")
    for mistyped in ("ABCD-EFG", "abcd efgh9"):
        [reply] = await chat.send(mistyped)
        assert reply.text.startswith("Kode undangan terdiri atas 8 huruf dan angka, misalnya ABCD-EFGH.")


async def test_deep_link_registers_in_one_step(world):
    chat = await world.chat()
    code = await world.invite(Role.KETUA_RT, "15.71.01.1001-001")
    replies = await chat.send(f"/start {code}")
    assert "RT 001 Kel. Simpang IV Sipin" in chat.texts(replies)
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
    assert "RT 001 Kel. Simpang IV Sipin" in chat.texts(replies)


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
    assert "RT 001 Kel. Simpang IV Sipin" in chat.texts(replies)
    async with world.db.unit_of_work() as session:
        invitation = await session.scalar(select(Invitation).where(Invitation.role == Role.BENDAHARA))
        assert invitation.used_at is None


async def _written(world) -> dict[str, int]:
    """What a refused code must not add to: people, identities, used codes, audit rows, wrong-code attempts."""
    async with world.db.unit_of_work() as session:
        return {
            "people": await session.scalar(select(func.count()).select_from(Person)),
            "identities": await session.scalar(select(func.count()).select_from(ChannelIdentity)),
            "used": await session.scalar(
                select(func.count()).select_from(Invitation).where(Invitation.used_at.is_not(None))
            ),
            "audit": await session.scalar(select(func.count()).select_from(AuditLog)),
            "attempts": await session.scalar(select(func.count()).select_from(CodeAttempt)),
        }


async def test_a_code_for_a_taken_seat_says_who_holds_it_and_writes_nothing(world):
    holder = await world.chat()
    holder.display_name = "Budi Santoso"
    await holder.send(f"/start {await world.invite(Role.KETUA_RT, '15.71.01.1001-001')}")
    older = await world.invite(Role.KETUA_RT, "15.71.01.1001-001")  # printed earlier, never used
    before = await _written(world)
    chat = await world.chat()
    text = chat.texts(await chat.send(f"/start {older}"))
    assert text.startswith("Kode ini tidak dipakai. Ketua RT untuk RT 001 Kel. Simpang IV Sipin sudah terdaftar")
    assert "atas nama Budi Santoso" in text and text.endswith("silakan hubungi pendamping.")
    assert "Anda" not in text and "Maaf" not in text
    assert await _written(world) == before  # not even a wrong-code attempt: the code was real
    # The other seat of that RT is free: the same chat registers as its Bendahara Pokja.
    replies = await chat.send(f"/start {await world.invite(Role.BENDAHARA, '15.71.01.1001-001')}")
    assert "Pendaftaran berhasil" in chat.texts(replies)


async def test_over_the_hourly_ceiling_no_code_is_checked(world, caplog):
    now = utcnow()
    world.engine.clock = lambda: now
    async with world.db.unit_of_work() as session:
        for n in range(code_attempts.MAX_WRONG_PER_HOUR - 1):  # 499 guesses from 100 chats over the last 50 minutes
            at = now - timedelta(minutes=50) + timedelta(seconds=6 * n)
            session.add(CodeAttempt(channel="test", user_id=f"guess{n % 100}", at=at))
    guesser = await world.chat()
    with caplog.at_level(logging.WARNING, logger="services.code_attempts"):
        await guesser.send("/start AAAA-AAAA")  # the 500th wrong code this hour
        code = await world.invite(Role.KETUA_RT, "15.71.01.1001-001")
        honest = await world.chat()
        text = honest.texts(await honest.send(f"/start {code}"))
        await guesser.send("/start CCCC-CCCC")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "500 wrong invitation codes in the last hour" in warnings[0].getMessage()
    # The oldest counted guess ages out at now + 10 minutes: that is when codes are checked again.
    until = waktu(now + timedelta(minutes=10))
    assert text == (
        "Terlalu banyak percobaan kode dalam satu jam terakhir. Demi keamanan, silakan ketik kodenya lagi setelah "
        f"{until}."
    )
    written = await _written(world)
    assert (written["used"], written["attempts"]) == (0, code_attempts.MAX_WRONG_PER_HOUR)  # not checked, not counted
    world.engine.clock = lambda: now + timedelta(minutes=10, seconds=1)
    assert "Pendaftaran berhasil" in honest.texts(await honest.send(f"/start {code}"))


async def test_a_deactivated_holder_can_no_longer_act_but_can_register_with_a_new_code(world):
    old = await world.chat(Role.KETUA_RT, "15.71.01.1001-001")
    async with world.db.unit_of_work() as session:  # as migration 0003 leaves an older second Ketua RT
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == old.user_id))
        (await session.get(Person, identity.person_id)).active = False
    for attempt in ("/lapor", "/kk", "halo", "/start"):
        text = old.texts(await old.send(attempt))
        assert text.startswith("Akun ini sudah tidak aktif di bot."), (attempt, text)
    async with world.db.unit_of_work() as session:
        state = await session.scalar(select(ConversationState).where(ConversationState.user_id == old.user_id))
        assert state.flow is None
    code = await world.invite(Role.KETUA_RT, "15.71.01.1001-002")
    replies = await old.send(code)
    assert "Pendaftaran berhasil" in old.texts(replies) and "RT 002 Kel. Simpang IV Sipin" in old.texts(replies)
    async with world.db.unit_of_work() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == old.user_id))
        person = await session.get(Person, identity.person_id)
        rt_2 = await session.scalar(select(RT.id).where(RT.kode == "15.71.01.1001-002"))
        assert (person.active, person.role, person.rt_id) == (True, Role.KETUA_RT, rt_2)


async def test_daftar_with_the_code_registers_as_typed_on_whatsapp(world):
    """What the wa.me link types, and what people type themselves: any case, with or without the dash."""
    for typed in ("DAFTAR {a}-{b}", "daftar {a}{b}", "Daftar  {a}-{b} ", "DAFTAR {a}{b}"):
        code = await world.invite(Role.KETUA_RT, "15.71.01.1001-001")
        chat = await world.chat()
        chat.channel = "whatsapp"
        a, b = code[:4], code[4:]
        if typed.startswith("daftar"):
            a, b = a.lower(), b.lower()
        replies = await chat.send(typed.format(a=a, b=b))
        assert "RT 001 Kel. Simpang IV Sipin" in chat.texts(replies), typed
        async with world.db.unit_of_work() as session:
            identity = await session.scalar(
                select(ChannelIdentity).where(
                    ChannelIdentity.channel == "whatsapp", ChannelIdentity.external_id == chat.user_id
                )
            )
            person = await session.get(Person, identity.person_id)
            assert person.role == Role.KETUA_RT
            # Registered: the seat is taken, so free it for the next spelling.
            person.active = False
