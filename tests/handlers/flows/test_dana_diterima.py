"""The RT hears about its money: the Ketua RT when /dana is saved, Ketua and Bendahara when the pendamping confirms."""

from sqlalchemy import select

from services.models import RT, Person, Role
from tests.handlers.chat import outbox_for
from tests.handlers.flows.bendahara import PHOTO, RT_87_KK, bendahara, pendamping_of, text_of

RT_NAME = "RT 001 Kel. Simpang IV Sipin"


async def _ketua(world):
    """A chat for the Ketua RT `ready_for_funds` put in the seat (a second one could not be registered)."""
    async with world.db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == RT_87_KK))
        person = await session.scalar(select(Person).where(Person.rt_id == rt.id, Person.role == Role.KETUA_RT))
    return await world.chat(Role.KETUA_RT, RT_87_KK, person=person)


async def test_ketua_hears_of_funds_recorded_and_both_hear_when_they_are_confirmed(world):
    pendamping = await pendamping_of(world, RT_87_KK)
    treasurer = await bendahara(world)
    ketua = await _ketua(world)
    async with world.db.unit_of_work() as session:
        (await session.scalar(select(Person).where(Person.role == Role.BENDAHARA))).nama = "Siti Aminah"
    await treasurer.send("/dana")
    await treasurer.send("70 juta")
    await treasurer.press_label("Hari ini")
    await treasurer.send_media(("bukti.jpg", PHOTO, "image/jpeg"))
    await treasurer.press_label("Simpan")

    [recorded] = await outbox_for(world.engine, ketua.user_id)
    assert recorded.payload["text"] == (
        f"{RT_NAME}: Bendahara Pokja Bapak/Ibu Siti Aminah mencatat dana Rp70.000.000 masuk ke rekening Pokja pada "
        "15 Oktober 2026. Pendamping akan memeriksa buktinya; Bapak/Ibu akan diberi tahu setelah dana dikonfirmasi."
    )

    await pendamping.send("/tinjau")
    replies = await pendamping.press_label("Setujui")
    assert "disetujui" in text_of(replies).lower()
    _recorded, confirmed = await outbox_for(world.engine, ketua.user_id)
    assert confirmed.payload["text"] == (
        f"✅ Dana {RT_NAME} sudah dikonfirmasi diterima: Rp70.000.000 pada 15 Oktober 2026, diperiksa oleh "
        "pendamping Dewi Lubis.\nKirim /laporan untuk melihat semua yang sudah dilaporkan RT."
    )
    # The treasurer sent the report: they hear the approval once, not twice.
    [to_treasurer] = await outbox_for(world.engine, treasurer.user_id)
    assert "disetujui" in to_treasurer.payload["text"]


async def test_a_sent_back_funds_report_is_not_announced_as_confirmed(world):
    pendamping = await pendamping_of(world, RT_87_KK)
    treasurer = await bendahara(world)
    ketua = await _ketua(world)
    await treasurer.send("/dana")
    await treasurer.send("70 juta")
    await treasurer.press_label("Hari ini")
    await treasurer.send_media(("bukti.jpg", PHOTO, "image/jpeg"))
    await treasurer.press_label("Simpan")
    await pendamping.send("/tinjau")
    await pendamping.press_label("Kembalikan")
    await pendamping.send("Bukti transfer buram.")
    assert len(await outbox_for(world.engine, ketua.user_id)) == 1  # only "recorded"
