"""/saldo end to end through the engine, on SQLite and PostgreSQL."""

from datetime import date

from sqlalchemy import select

from services.models import RT, FundReceipt, Person, Role, Spending
from tests.handlers.flows.bendahara import RT_87_KK, RT_120_KK, bendahara, text_of


async def add_money(world, rt_kode: str, received: list[int], spent: list[tuple[int, str, date, str]]) -> None:
    async with world.db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == rt_kode))
        # A former Bendahara Pokja recorded these (an RT has one active Bendahara: the chat's).
        person = Person(nama="Bendahara lama", role=Role.BENDAHARA, rt_id=rt.id, active=False)
        session.add(person)
        await session.flush()
        for amount in received:
            session.add(FundReceipt(rt_id=rt.id, amount=amount, received_on=date(2026, 4, 2), recorded_by_id=person.id))
        for amount, bidang, day, description in spent:
            session.add(
                Spending(
                    rt_id=rt.id,
                    amount=amount,
                    bidang=bidang,
                    spent_on=day,
                    description=description,
                    recorded_by_id=person.id,
                )
            )


async def test_empty_balance_says_what_to_do(world):
    chat = await bendahara(world)
    [reply] = await chat.send("/saldo")
    assert "Dana Pokja RT 001 Kel. Simpang IV Sipin" in reply.text
    assert "Dana masuk: Rp0" in reply.text and "Belanja: Rp0" in reply.text and "Saldo: Rp0" in reply.text
    assert "/dana" in reply.text and "/belanja" in reply.text
    assert "⚠️" not in reply.text
    assert not reply.choices


async def test_balance_per_bidang_and_latest_five_items(world):
    chat = await bendahara(world)
    spent = [
        (1_000_000, "penataan_lingkungan", date(2026, 4, 10), "Semen tahap 1"),
        (2_000_000, "penataan_lingkungan", date(2026, 4, 11), "Pasir dan batu"),
        (500_000, "sosial_kemasyarakatan", date(2026, 4, 12), "Konsumsi gotong royong"),
        (750_000, "kesehatan_pendidikan", date(2026, 4, 13), "Timbangan posyandu"),
        (250_000, "sosial_kemasyarakatan", date(2026, 4, 14), "Spanduk"),
        (3_000_000, "penataan_lingkungan", date(2026, 4, 15), "Upah tukang " + "panjang " * 20),
    ]
    await add_money(world, RT_87_KK, [35_000_000, 35_000_000], spent)
    await add_money(world, RT_120_KK, [100_000_000], [(9_000_000, "ekonomi_rumah_tangga", date(2026, 4, 9), "Lain")])
    [reply] = await chat.send("/saldo")
    text = reply.text
    assert "Dana masuk: Rp70.000.000" in text
    assert "Belanja: Rp7.500.000" in text
    assert "Saldo: Rp62.500.000" in text
    assert "• Penataan lingkungan: Rp6.000.000" in text
    assert "• Penguatan sosial kemasyarakatan: Rp750.000" in text
    assert "• Peningkatan kesehatan dan pendidikan keluarga: Rp750.000" in text
    assert "Pengembangan ekonomi rumah tangga" not in text  # nothing spent (the other RT's spending is not ours)
    latest = text.split("Belanja terakhir:")[1]
    assert latest.index("15 April 2026") < latest.index("14 April 2026") < latest.index("11 April 2026")
    assert "Semen tahap 1" not in latest  # only the five newest
    assert "Upah tukang" in latest and "…" in latest  # a long description is shortened
    assert "⚠️" not in text


async def test_spending_more_than_received_is_a_clear_warning(world):
    chat = await bendahara(world)
    await add_money(world, RT_87_KK, [1_000_000], [(1_200_000, "penataan_lingkungan", date(2026, 4, 10), "Semen")])
    [reply] = await chat.send("/saldo")
    assert "Saldo: -Rp200.000" in reply.text
    assert "⚠️ Perhatian: belanja lebih besar Rp200.000 daripada dana masuk." in reply.text


async def test_saldo_is_only_for_the_treasurer(world):
    ketua = await world.chat(Role.KETUA_RT, RT_87_KK)
    replies = await ketua.send("/saldo")
    assert "/saldo bukan untuk peran Bapak/Ibu" in text_of(replies)


async def test_a_treasurer_without_an_rt_is_told_to_contact_the_pendamping(world):
    chat = await bendahara(world)
    async with world.db.unit_of_work() as session:
        person = await session.scalar(select(Person).where(Person.role == Role.BENDAHARA))
        person.rt_id = None
    for command in ("/saldo", "/dana", "/belanja"):
        replies = await chat.send(command)
        assert "belum terhubung ke RT" in text_of(replies)
