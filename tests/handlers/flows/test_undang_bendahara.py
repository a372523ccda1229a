"""/undang_bendahara end to end through the engine, on SQLite and PostgreSQL."""

import re

import pytest
from sqlalchemy import select

from services.models import ChannelIdentity, Invitation, Person, Role
from tests.handlers.flows.ketua_setup import RT_A, RT_B, ketua, rows, rt_row, text_of

CODE = re.compile(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b")


def code_in(text: str) -> str:
    return CODE.search(text).group(1)


async def test_code_is_made_for_this_rt_and_the_treasurer_registers_with_it(world):
    chat = await ketua(world, RT_A)
    replies = await chat.send("/undang_bendahara")
    text = text_of(replies)
    assert "Kode undangan untuk Bendahara Pokja RT 001 Kel. Simpang IV Sipin:" in text
    code = code_in(text)
    assert f"/start {code}" in text and "hanya bisa dipakai sekali" in text
    [invitation] = await rows(world, Invitation, Invitation.role == Role.BENDAHARA)
    assert invitation.rt_id == (await rt_row(world, RT_A)).id
    assert invitation.created_by == f"test:{chat.user_id}"

    treasurer = await world.chat()
    replies = await treasurer.send(f"/start {code}")
    assert "RT 001 Kel. Simpang IV Sipin" in text_of(replies)
    async with world.db.unit_of_work() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == treasurer.user_id))
        person = await session.get(Person, identity.person_id)
        assert (person.role, person.rt_id) == (Role.BENDAHARA, invitation.rt_id)


async def test_an_unused_code_is_mentioned_and_kept_on_request(world):
    chat = await ketua(world, RT_A)
    await chat.send("/undang_bendahara")
    replies = await chat.send("/undang_bendahara")
    assert "Kode untuk Bendahara Pokja sudah dibuat" in text_of(replies)
    assert [c.label for c in replies[-1].choices] == ["Buat kode baru", "Pakai kode lama"]
    replies = await chat.send("apa?")
    assert "Tekan Buat kode baru atau Pakai kode lama." in text_of(replies)
    replies = await chat.press("keep")
    assert "kode lama masih berlaku" in text_of(replies)
    [invitation] = await rows(world, Invitation, Invitation.role == Role.BENDAHARA)
    assert invitation.revoked_at is None


async def test_a_new_code_revokes_the_old_one(world):
    chat = await ketua(world, RT_A)
    old_code = code_in(text_of(await chat.send("/undang_bendahara")))
    await chat.send("/undang_bendahara")
    replies = await chat.press("new")
    new_code = code_in(text_of(replies))
    assert new_code != old_code
    old, new = await rows(world, Invitation, Invitation.role == Role.BENDAHARA)
    assert old.revoked_at is not None and new.revoked_at is None

    refused = await world.chat()
    replies = await refused.send(f"/start {old_code}")
    assert "dibatalkan" in text_of(replies).lower() or "cancelled" in text_of(replies).lower()
    accepted = await world.chat()
    replies = await accepted.send(f"/start {new_code}")
    assert "RT 001 Kel. Simpang IV Sipin" in text_of(replies)


async def test_a_registered_bendahara_means_no_new_code_until_the_seat_is_free(world):
    chat = await ketua(world, RT_A)
    code = code_in(text_of(await chat.send("/undang_bendahara")))
    bendahara = await world.chat()
    bendahara.display_name = "Siti Aminah"
    await bendahara.send(f"/start {code}")
    # A code made now could never be redeemed (one Bendahara Pokja per RT): say who holds the seat instead.
    text = text_of(await chat.send("/undang_bendahara"))
    assert "Kode baru tidak dibuat." in text and "Siti Aminah" in text
    assert "Bendahara Pokja untuk RT 001 Kel. Simpang IV Sipin" in text
    assert "hubungi pendamping" in text and "Kode undangan untuk Bendahara Pokja" not in text
    assert len(await rows(world, Invitation, Invitation.role == Role.BENDAHARA)) == 1
    # Once that Bendahara Pokja is no longer active, the used code does not block a new one.
    async with world.db.unit_of_work() as session:
        for person in await session.scalars(select(Person).where(Person.role == Role.BENDAHARA)):
            person.active = False
    replies = await chat.send("/undang_bendahara")
    assert "Kode undangan untuk Bendahara Pokja" in text_of(replies)
    assert len(await rows(world, Invitation, Invitation.role == Role.BENDAHARA)) == 2


async def test_the_bendahara_registering_while_the_ketua_decides_makes_no_new_code(world):
    chat = await ketua(world, RT_A)
    code = code_in(text_of(await chat.send("/undang_bendahara")))
    await chat.send("/undang_bendahara")  # asks: make a new code or keep the old one?
    await (await world.chat()).send(f"/start {code}")
    text = text_of(await chat.send("ya"))
    assert "Kode baru tidak dibuat." in text and "Kode undangan untuk Bendahara Pokja" not in text
    invitation = (await rows(world, Invitation, Invitation.role == Role.BENDAHARA))[0]
    assert invitation.used_at is not None and invitation.revoked_at is None
    assert len(await rows(world, Invitation, Invitation.role == Role.BENDAHARA)) == 1


async def test_each_ketua_invites_for_their_own_rt(world):
    chat = await ketua(world, RT_B)
    await chat.send("/undang_bendahara")
    [invitation] = await rows(world, Invitation, Invitation.role == Role.BENDAHARA)
    assert invitation.rt_id == (await rt_row(world, RT_B)).id
    other = await ketua(world, RT_A)
    replies = await other.send("/undang_bendahara")
    assert "Kode untuk Bendahara Pokja sudah dibuat" not in text_of(replies)


@pytest.mark.parametrize("role", [Role.BENDAHARA, Role.PENDAMPING])
async def test_only_the_ketua_rt_invites(world, role):
    chat = await world.chat(role, RT_A if role == Role.BENDAHARA else None)
    before = len(await rows(world, Invitation))
    replies = await chat.send("/undang_bendahara")
    assert "Kode undangan" not in text_of(replies)
    assert len(await rows(world, Invitation)) == before
