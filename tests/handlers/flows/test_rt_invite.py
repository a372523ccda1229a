"""/rt → Belum terdaftar → a fresh invitation code for an RT's Ketua RT or Bendahara Pokja, passed on in the chat."""

import re

from sqlalchemy import select

from bot.bootstrap import invite_links
from bot.settings import Settings
from handlers.flow import action_choice_id
from services import invitations
from services.models import AuditLog, Invitation, Person, Role
from tests.handlers.chat import Chat
from tests.handlers.flows.pendamping import (
    RT_1,
    RT_3,
    pendamping,
    press_notification,
    registered,
    rt_id,
    text_of,
)

CODE = re.compile(r"/start ([A-Z0-9]{4}-[A-Z0-9]{4})")


async def _open_unregistered(world) -> Chat:
    await registered(world, Role.KETUA_RT, RT_1, "Budi")
    dewi = await pendamping(world)
    await dewi.send("/rt")
    [page] = await dewi.press_label("Belum terdaftar (2)")
    assert page.text.splitlines()[1:3] == [
        "RT 001 Kel. Simpang IV Sipin (Kelompok A) — belum terdaftar: Bendahara Pokja",
        "RT 002 Kel. Simpang IV Sipin (Kelompok A) — belum terdaftar: Ketua RT, Bendahara Pokja",
    ]
    return dewi


async def _invitations(world) -> list[Invitation]:
    async with world.db.unit_of_work() as session:
        return list(await session.scalars(select(Invitation).order_by(Invitation.id)))


async def test_a_code_for_the_one_open_seat_is_shown_once_and_works(world):
    world.engine.settings["invite_links"] = invite_links(
        Settings(telegram_bot_username="@kampung_bot", whatsapp_display_number="+62 812-3456-7890")
    )
    dewi = await _open_unregistered(world)
    before = len(await _invitations(world))
    note, forward = await dewi.press_label("Kode RT 001")
    assert note.text.startswith(
        "Kode undangan baru untuk RT 001 Kel. Simpang IV Sipin (Kelompok A), sebagai Bendahara Pokja."
    )
    assert "tidak berlaku lagi" not in note.text  # there was no earlier code
    code = CODE.search(forward.text).group(1)
    plain = invitations.normalize_code(code)
    assert forward.text.splitlines() == [
        "Undangan bot Kampung Bahagia untuk RT 001 Kel. Simpang IV Sipin (Kelompok A), sebagai Bendahara Pokja.",
        f"Telegram, sekali tekan: https://t.me/kampung_bot?start={plain}",
        f"WhatsApp, sekali tekan: https://wa.me/6281234567890?text=DAFTAR%20{plain}",
        f"Atau buka bot lalu kirim: /start {code}",
        "Kode ini hanya bisa dipakai sekali, sampai 14 April 2026.",
    ]
    [stored] = (await _invitations(world))[before:]
    assert stored.role == Role.BENDAHARA and stored.rt_id == await rt_id(world, RT_1)
    assert stored.code_hash == invitations.hash_code(code, world.pepper) and plain not in stored.code_hash

    # The treasurer registers with it.
    sari = Chat(world.engine, user_id="sari")
    assert "terdaftar" in text_of(await sari.send(f"/start {code}")).lower()
    async with world.db.unit_of_work() as session:
        person = await session.scalar(
            select(Person).where(Person.id == (await session.get(Invitation, stored.id)).used_by_person_id)
        )
        assert (person.role, person.rt_id, person.active) == (Role.BENDAHARA, stored.rt_id, True)
    # RT 1 is now complete: its button is gone, and an old button says so.
    await dewi.send("/rt")
    [page] = await dewi.press_label("Belum terdaftar (1)")
    assert "RT 001" not in page.text
    [told] = await dewi.press(action_choice_id("rtundang", await rt_id(world, RT_1)))
    assert told.text == "RT 001 Kel. Simpang IV Sipin (Kelompok A): Ketua RT dan Bendahara Pokja sudah terdaftar."


async def test_a_new_code_revokes_the_unused_one(world):
    dewi = await _open_unregistered(world)
    _note, first = await dewi.press_label("Kode RT 001")
    note, second = await dewi.press_label("Kode RT 001")
    assert "Kode sebelumnya yang belum dipakai tidak berlaku lagi." in note.text
    # Without links configured, the code alone.
    assert "t.me" not in second.text and "wa.me" not in second.text
    old, new = CODE.search(first.text).group(1), CODE.search(second.text).group(1)
    assert old != new
    by_hash = {i.code_hash: i for i in await _invitations(world)}
    assert by_hash[invitations.hash_code(old, world.pepper)].revoked_at is not None
    assert by_hash[invitations.hash_code(new, world.pepper)].revoked_at is None
    late = Chat(world.engine, user_id="late")
    assert "terdaftar" not in text_of(await late.send(f"/start {old}")).lower()
    async with world.db.unit_of_work() as session:
        actions = list(await session.scalars(select(AuditLog.action).where(AuditLog.action.like("invitation.%"))))
    assert actions.count("invitation.revoke") == 1


async def test_both_seats_open_asks_whose_code(world):
    dewi = await _open_unregistered(world)
    [which] = await dewi.press_label("Kode RT 002")
    assert which.text == (
        "RT 002 Kel. Simpang IV Sipin (Kelompok A): Ketua RT dan Bendahara Pokja belum terdaftar. "
        "Kode undangan untuk siapa?"
    )
    assert [c.label for c in which.choices] == ["Ketua RT", "Bendahara Pokja"]
    note, forward = await dewi.press_label("Ketua RT")
    assert note.text.startswith("Kode undangan baru untuk RT 002 Kel. Simpang IV Sipin (Kelompok A), sebagai Ketua RT.")
    budi = Chat(world.engine, user_id="ketua2")
    assert "terdaftar" in text_of(await budi.send(f"/start {CODE.search(forward.text).group(1)}")).lower()


async def test_no_code_for_an_rt_that_is_not_yours(world):
    dewi = await pendamping(world)
    await dewi.send("/rt")
    before = len(await _invitations(world))
    [refused] = await dewi.press(action_choice_id("rtundang", await rt_id(world, RT_3)))
    assert refused.text == "RT ini bukan RT dampingan. Kirim /rt untuk melihat daftar RT dampingan."
    [refused] = await dewi.press(action_choice_id("rtundang", "abc"))
    assert "bukan RT dampingan" in refused.text
    assert len(await _invitations(world)) == before


async def test_a_ketua_rt_cannot_press_the_button(world):
    ketua = await registered(world, Role.KETUA_RT, RT_1)
    before = len(await _invitations(world))
    replies = await press_notification(ketua, action_choice_id("rtundang", await rt_id(world, RT_1)))
    assert "bukan untuk" in text_of(replies).lower()
    assert len(await _invitations(world)) == before
